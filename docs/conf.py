"""Sphinx configuration for the lucid documentation: autodoc + napoleon, the furo theme, and a
local extension (``_ext/class_pages.py``) that renders the model class pages written in the
original Lucid's style."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))
sys.path.insert(0, os.path.abspath("_ext"))

project = "lucid"
author = "lucid contributors"
copyright = "2026, lucid contributors"
try:
    from lucid import __version__ as release
except Exception:  # the docs still build from a tree whose package does not import
    release = "0.1.0"
version = release

extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "class_pages"]

# CuPy is imported lazily by lucid; docs never need it.
autodoc_mock_imports = ["cupy"]
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
# No "show-inheritance": the bases of the public classes are private plumbing (TaskModel, mixins).
autodoc_default_options = {"members": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False

exclude_patterns = ["_build", "_ext"]
templates_path = []
# furo (the docs extra) gives code blocks the page's width; plain Sphinx falls back to alabaster.
try:
    import furo  # noqa: F401

    html_theme = "furo"
    html_static_path = ["_static"]
    html_css_files = ["lucid.css"]
except ImportError:
    html_theme = "alabaster"
html_title = f"lucid {release}"
nitpicky = False
