"""lucid/_tensor.pyi, the stub editors read for Tensor, matches the runtime class: every
attribute that lucid.ops binds or _tensor.py defines is declared there, with the same
parameter names, and the stub declares nothing that does not exist."""

import ast
import inspect
import pathlib

import lucid
from lucid import _tensor

STUB = pathlib.Path(_tensor.__file__).with_suffix(".pyi")
SKIP = {"__dict__", "__module__", "__doc__", "__slots__", "__weakref__", "_node", "__annotations__"}


def _stub_class():
    tree = ast.parse(STUB.read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Tensor")
    members = {}
    for node in cls.body:
        if isinstance(node, ast.FunctionDef):
            args = node.args
            names = [a.arg for a in args.posonlyargs + args.args]
            if args.vararg:
                names.append("*" + args.vararg.arg)
            names += [a.arg for a in args.kwonlyargs]
            members[node.name] = names
        elif isinstance(node, ast.AnnAssign):
            members[node.target.id] = None
    return members


def _runtime_names(fn):
    names = []
    for p in inspect.signature(fn).parameters.values():
        names.append("*" + p.name if p.kind is p.VAR_POSITIONAL else p.name)
    return names


def test_stub_declares_every_runtime_member():
    stub = _stub_class()
    runtime = {n: v for n, v in vars(lucid.Tensor).items() if n not in SKIP}
    assert sorted(set(runtime) - set(stub)) == []
    assert sorted(set(stub) - set(runtime) - {"data", "grad", "requires_grad", "keep_grad"}) == []


def test_stub_signatures_match():
    stub = _stub_class()
    for name, value in vars(lucid.Tensor).items():
        if name in SKIP or stub.get(name) is None:
            continue
        fn = value.__func__ if isinstance(value, classmethod) else value
        if callable(fn) and name != "__hash__":
            expected = _runtime_names(fn)
            assert stub[name] == expected, name


def test_stub_module_functions_exist():
    tree = ast.parse(STUB.read_text())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            assert _runtime_names(getattr(_tensor, node.name)) == [a.arg for a in node.args.args], node.name
