"""The import rules of the package, checked by walking every module's imports with ``ast``.

An ``ast`` walk rather than import-linter: it needs no extra dependency, sees imports made
inside functions (the lazy ones that hid an import circle before), and states the layer
order in one readable table that this test and ARCHITECTURE.md share.

Rules:
1. A module imports only modules of its own layer or of lower layers (data flows one way).
2. No import circle among the modules, counting imports inside functions.
3. A private module (``_name``) of a subpackage is imported only from inside that
   subpackage; the floor modules ``lucid._*`` are shared by the whole library.
4. The library never imports torch or transformers; CuPy is imported only inside functions.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1] / "lucid"

#: The layers, lowest first. A module belongs to the longest prefix that names it.
LAYERS = [
    "lucid._backend",
    "lucid._dtype",
    "lucid._graph",
    "lucid._tensor",
    "lucid._function",
    "lucid._autocast",
    "lucid._args",
    "lucid.ops",
    "lucid.random",
    "lucid.serialization",
    "lucid.amp",
    "lucid.nn.kernels.cuda",
    "lucid.nn.kernels",
    "lucid.nn",
    "lucid.optim",
    "lucid",  # the package's __init__: public names only (exactly this module, no prefix)
    "lucid.data",
    "lucid.distributed",
    "lucid.nn.parallel",
    "lucid.models",
    "lucid.weights",
    "lucid.cli",
]


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules():
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _imports(name: str, path: pathlib.Path, known: set[str]):
    """(imported module, line, at top level) for each import of a lucid module or of an
    outside package in ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    top_level = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno, id(node) in top_level
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                base = ".".join(base + ([node.module] if node.module else []))
            else:
                base = node.module
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                yield (sub if sub in known else base), node.lineno, id(node) in top_level


def _layer(name: str) -> int:
    best = max((p for p in LAYERS if name == p or (p != "lucid" and name.startswith(p + "."))), key=len)
    return LAYERS.index(best)


def _graph():
    mods = _modules()
    known = set(mods)
    edges = {}
    for name, path in mods.items():
        edges[name] = list(_imports(name, path, known))
    return mods, edges


def test_every_module_has_a_layer():
    for name in _modules():
        assert any(name == p or (p != "lucid" and name.startswith(p + ".")) for p in LAYERS), name


def test_imports_never_run_up_the_layers():
    mods, edges = _graph()
    bad = []
    for name, imports in edges.items():
        for target, line, _ in imports:
            if target in mods and _layer(target) > _layer(name):
                bad.append(f"{mods[name]}:{line}: {name} ({LAYERS[_layer(name)]}) imports {target} "
                           f"({LAYERS[_layer(target)]})")
    assert not bad, "imports running up the layer order:\n" + "\n".join(bad)


def _cycles(edges, mods):
    graph = {n: sorted({t for t, _, _ in imps if t in mods and t != n}) for n, imps in edges.items()}
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_circle():
    mods, edges = _graph()
    cycles = _cycles(edges, mods)
    assert not cycles, "import circles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_private_modules_stay_in_their_package():
    mods, edges = _graph()
    bad = []
    for name, imports in edges.items():
        for target, line, _ in imports:
            if target not in mods:
                continue
            owner, _, leaf = target.rpartition(".")
            if leaf.startswith("_") and owner != "lucid" and not (name == owner or name.startswith(owner + ".")):
                bad.append(f"{mods[name]}:{line}: {name} imports private {target}")
    assert not bad, "private modules imported from outside their package:\n" + "\n".join(bad)


def test_no_framework_imports_and_lazy_cupy():
    _, edges = _graph()
    bad = []
    for name, imports in edges.items():
        for target, line, top in imports:
            root = target.split(".")[0]
            if root in ("torch", "transformers") or (root in ("cupy", "cupyx") and top):
                bad.append(f"{name}:{line}: {target}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("source, expect", [
    ("import lucid.cli\n", "runs up"),
    ("from ._tensor import Tensor\n", "circle"),
    ("from lucid.ops import _util\n", "private"),
])
def test_the_rules_catch_a_violation(tmp_path, monkeypatch, source, expect):
    """Each rule fails on a planted violation (in a copy of the package)."""
    import shutil

    copy = tmp_path / "lucid"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns("__pycache__", "*.txt", "*.tsv"))
    target = {"runs up": copy / "nn" / "kernels" / "cuda" / "_build.py", "circle": copy / "_dtype.py",
              "private": copy / "models" / "__init__.py"}[expect]
    target.write_text(target.read_text() + "\n" + source)
    monkeypatch.setattr(__import__(__name__), "ROOT", copy)
    rule = {"runs up": test_imports_never_run_up_the_layers, "circle": test_no_import_circle,
            "private": test_private_modules_stay_in_their_package}[expect]
    with pytest.raises(AssertionError):
        rule()
