"""Sphinx configuration for the lucid documentation (stock Sphinx only: autodoc + napoleon)."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

project = "lucid"
author = "lucid contributors"
copyright = "2026, lucid contributors"
try:
    from lucid import __version__ as release
except Exception:  # the docs still build from a tree whose package does not import
    release = "0.1.0"
version = release

extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon"]

# CuPy is imported lazily by lucid; docs never need it.
autodoc_mock_imports = ["cupy"]
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"members": True, "show-inheritance": False}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False

exclude_patterns = ["_build"]
templates_path = []
html_theme = "alabaster"
html_static_path = []
html_title = f"lucid {release}"
nitpicky = False
