"""How the model class pages in the original Lucid's style are rendered (a local Sphinx extension).

Such a page (the two seed pages, copied unchanged from the original's documentation) opens
with a bare ``.. autoclass::`` and lists its methods itself with ``.. automethod::``. Read as
is, autodoc would list every method twice (the class's members, then the page's entries),
leave out the inherited ``from_pretrained``/``save_pretrained``, and its examples would use
``input_ids`` and friends without defining them. So, as each page is read, its text is kept
and this is added around it:

* ``:no-members:`` on the class, so each method appears once, where the page puts it (its
  entries lose ``:no-index:``: they are now the methods' only entries, to link to);
* a "Loading and saving" section and a "More methods" section with the public members the
  page does not name (inherited ones included, ``nn.Module``'s left to its own page);
* before the examples, a short block defining the names they use but never define.

:func:`render` is the whole transformation; ``tests/test_docs.py`` runs the rendered examples
(through :func:`render_doc`, as the build does).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import textwrap

_AUTOCLASS = re.compile(r"^\.\. autoclass:: (lucid\.models\.(\w+))[ \t]*\n(?![ \t]+:)", re.M)
_EXAMPLES = re.compile(r"^Examples\n-+\n", re.M)

#: What the examples may use without defining it, and how the added block defines it.
SETUP = {
    "input_ids": ">>> input_ids, attention_mask = batch[\"input_ids\"], batch[\"attention_mask\"]",
    "attention_mask": ">>> input_ids, attention_mask = batch[\"input_ids\"], batch[\"attention_mask\"]",
    "labels": ">>> labels = lucid.tensor([1, 0])  # a class id per text",
}
_BATCH = """\
>>> import lucid
>>> from lucid.models import BERTTokenizerFast
>>> tokenizer = BERTTokenizerFast.from_pretrained(".data/bert/pretrained")
>>> batch = tokenizer.batch_encode_plus(["The movie was great.", "The hotel was awful and dull."])"""


def _class(path):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _other_members(cls, named):
    """``(name, is_property)`` of the public, documented members of ``cls`` and its bases (up to
    ``nn.Module``, which has its own page) that the page does not name, in definition order."""
    from lucid import nn

    seen, out = set(named), []
    for klass in cls.__mro__:
        if issubclass(nn.Module, klass):  # nn.Module itself and object
            continue
        for name, value in vars(klass).items():
            if name.startswith("_") or name in seen:
                continue
            seen.add(name)
            func = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
            func = getattr(func, "on_class", func)  # from_pretrained: one descriptor, two forms
            if inspect.isfunction(func) and func.__doc__:
                out.append((name, isinstance(value, property)))
    return out


def _undefined(code):
    """The names ``code`` (doctest source) reads before anything defines them, in order."""
    defined, free = set(), []
    for stmt in ast.parse(code).body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in defined:
                if node.id not in free:
                    free.append(node.id)
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                defined.add(node.id)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                defined |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return free


def _doctest_source(text):
    lines = [ln.strip()[4:] for ln in text.splitlines() if ln.strip().startswith((">>> ", "... "))]
    return "\n".join(lines)


def _setup_block(examples):
    lines = []
    for name in _undefined(_doctest_source(examples)):
        if name in SETUP and SETUP[name] not in lines:
            lines.append(SETUP[name])
    if not lines:
        return ""
    code = textwrap.indent(_BATCH + "\n" + "\n".join(lines), "    ")
    return ("The examples below use a small batch made with the tokenizer of ``.data/bert/pretrained`` "
            "(the folder ``lucid-bert demo`` writes; any BERT checkpoint folder with its tokenizer will do):"
            f"\n\n.. code-block:: python\n\n{code}\n\n")


def render(source: str) -> str:
    """The page ``source`` as it is built: unchanged unless it is a class page in the original's
    style (a bare ``autoclass`` of a ``lucid.models`` class with ``automethod`` entries).

    Example:
        >>> page = ".. autoclass:: lucid.models.BERT\\n\\n.. automethod:: lucid.models.BERT.forward\\n   :no-index:\\n"
        >>> out = render(page)
        >>> for line in out.splitlines()[:12]:
        ...     if line.startswith((".. auto", "   :", "Loading", "More")):
        ...         print(line)
        .. autoclass:: lucid.models.BERT
           :no-members:
        .. automethod:: lucid.models.BERT.forward
        Loading and saving
        .. automethod:: lucid.models.BERT.from_pretrained
        .. automethod:: lucid.models.BERT.save_pretrained
    """
    m = _AUTOCLASS.search(source)
    if m is None:
        return source
    path = m.group(1)
    entry = re.compile(rf"^(\.\. automethod:: {re.escape(path)}\.(\w+)[ \t]*\n)[ \t]+:no-index:[ \t]*\n", re.M)
    named = [name for _, name in entry.findall(source)]
    if not named:
        return source
    source = source[:m.end()].rstrip("\n") + "\n   :no-members:\n" + source[m.end() - 1:]
    source = entry.sub(r"\1", source)
    others = _other_members(_class(path), named)
    sections = []
    io = [name for name, _ in others if name in ("from_pretrained", "save_pretrained")]
    if io:
        sections.append("Loading and saving\n------------------\n\n"
                        + "".join(f".. automethod:: {path}.{name}\n\n" for name in io))
    rest = [(name, prop) for name, prop in others if name not in io]
    if rest:
        sections.append("More methods\n------------\n\n" + "".join(
            f".. {'autoproperty' if prop else 'automethod'}:: {path}.{name}\n\n" for name, prop in rest))
    added = "".join(sections)
    examples = _EXAMPLES.search(source)
    if examples is None:
        return source.rstrip("\n") + "\n\n" + added
    setup = _setup_block(source[examples.end():])
    return (source[:examples.start()] + added + source[examples.start():examples.end()] + "\n" + setup
            + source[examples.end():].lstrip("\n"))


def render_doc(docname: str, source: str) -> str:
    """:func:`render` for the pages of the model reference (``api/models/``); other pages as they are."""
    return render(source) if docname.startswith("api/models/") else source


def _on_source_read(app, docname, source):
    source[0] = render_doc(docname, source[0])


def setup(app):
    app.connect("source-read", _on_source_read)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
