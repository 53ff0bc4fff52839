"""Random short programs of ops, in-place updates (whole tensors, through views, setitem, under
no_grad, through detached aliases) and one backward, run by lucid and by PyTorch: the leaves'
gradients are equal, or both libraries raise at the same step (an in-place change of a leaf
that requires grad, or a backward through a tensor changed after an op saved it).

Every value is a float64 (2, 3) tensor: op results, and full views of them (so a change
through one shows in the other), while other views serve as targets of in-place changes.
Excluded on purpose: an in-place product or quotient whose operand shares the target's memory
(``h[0] *= h[1]``; torch refuses it, lucid copies the operand and differentiates it) and ops
whose torch backward keeps more than it reads (``var``).
"""

import numpy as np
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lucid

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REGIONS = [(0,), (slice(None), 1), (slice(0, 1), slice(1, None)), (1, slice(0, 2)), (Ellipsis,)]
RAISED = "raised"


class Lib:
    """The operations a program uses, on lucid or on torch."""

    def __init__(self, mod):
        self.mod = mod

    def tensor(self, a, rg):
        if self.mod is torch:
            return torch.tensor(a, dtype=torch.float64, requires_grad=rg)
        return lucid.tensor(np.asarray(a, dtype=np.float64), requires_grad=rg)

    def no_grad(self):
        return self.mod.no_grad()

    def grad(self, t):
        g = t.grad
        return None if g is None else (g.numpy() if self.mod is torch else np.asarray(g))


def _view(t, kind, region):
    if kind == "slice":
        return t[region]
    if kind == "T":
        return t.T[1]  # a row of the transpose: a column of t
    return t.reshape(6)[1:4]


def _region_value(lib, pool, j, region, kind):
    """A value for ``target_view op= value``: a tensor of the same view of another pool entry,
    or a Python number."""
    if j is None:
        return 0.5
    return _view(pool[j], kind, region)


def step(lib, pool, roots, s):
    """Run one step ``s`` on ``pool`` (a list of tensors; new results are appended, with the
    index of the entry whose memory they use in ``roots``)."""
    op, i, j, region, kind, grad_mode = s
    i, j = i % len(pool), None if j is None else j % len(pool)
    a = pool[i]
    roots.append(len(roots))
    if op == "view":
        pool.append(a[0:2])
        roots[-1] = roots[i]
    elif op in ("add", "sub", "mul", "div"):
        b = pool[j] if j is not None else 0.75
        out = {"add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b,
               "div": lambda: a / (b * b + 1.0)}[op]()
        pool.append(out)
    elif op in ("exp", "tanh"):
        pool.append(a.tanh().exp() if op == "exp" else a.tanh())
    elif op in ("iadd", "isub", "imul", "idiv", "setitem"):
        roots.pop()
        if op in ("imul", "idiv") and j is not None and roots[j] == roots[i]:
            j = None  # no operand sharing the target's memory (see the module docstring)
        ctx = lib.no_grad() if not grad_mode else _Null()
        with ctx:
            target = _view(a, kind, region) if region is not None else a
            value = (_region_value(lib, pool, j, region, kind) if region is not None
                     else (pool[j] if j is not None else 0.5))
            if op == "iadd":
                target += value
            elif op == "isub":
                target -= value
            elif op == "imul":
                target *= value
            elif op == "idiv":
                target /= value * value + 1.0
            elif region is None:
                target[0] = value[0] if j is not None else value
            else:
                target[...] = value
    elif op == "detach_write":
        roots.pop()
        a.detach()[0, 1] = 0.25
    else:
        raise AssertionError(op)


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def run(mod, leaves, program, weights):
    """The program's outcome on ``mod``: ``(step where it raised or None, leaf gradients)``."""
    lib = Lib(mod)
    x0, x1 = (lib.tensor(a, True) for a in leaves)
    c = lib.tensor(np.linspace(-1.0, 1.0, 6).reshape(2, 3), False)
    pool, roots = [x0, x1, c], [0, 1, 2]
    for n, s in enumerate(program):
        try:
            step(lib, pool, roots, s)
        except (RuntimeError, TypeError, ValueError):
            return n, None
    loss = None
    for k, t in enumerate(pool):  # every value, so each recorded op is on the backward's path
        term = (t * weights[k % len(weights)]).sum()
        loss = term if loss is None else loss + term
    try:
        if loss.requires_grad:
            loss.backward()
    except RuntimeError:
        return len(program), None
    return None, [lib.grad(x0), lib.grad(x1)]


OPS = ["add", "sub", "mul", "div", "exp", "tanh", "view", "iadd", "isub", "imul", "idiv", "setitem", "detach_write"]
index = st.one_of(st.integers(-2, -1), st.integers(0, 20))  # half the time one of the latest values
steps = st.tuples(
    st.sampled_from(OPS), index, st.one_of(st.none(), index),
    st.one_of(st.none(), st.sampled_from(range(len(REGIONS))).map(lambda k: REGIONS[k])),
    st.sampled_from(["slice", "T", "reshape"]), st.booleans(),
)
values = st.lists(st.floats(-1.5, 1.5), min_size=6, max_size=6).map(lambda v: np.reshape(v, (2, 3)))


@SETTINGS
@given(leaves=st.tuples(values, values), program=st.lists(steps, min_size=1, max_size=8),
       weights=st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=3))
def test_programs_match_torch(leaves, program, weights):
    ours = run(lucid, leaves, program, weights)
    theirs = run(torch, leaves, program, weights)
    assert ours[0] == theirs[0], f"lucid raised at step {ours[0]}, torch at step {theirs[0]}"
    if ours[0] is None:
        for g, h in zip(*(ours[1], theirs[1])):
            assert (g is None) == (h is None)
            if g is not None:
                np.testing.assert_allclose(g, h, rtol=1e-10, atol=1e-12)


def test_the_programs_reach_every_outcome():
    """Guards the property test: its strategy produces programs that raise while running,
    raise in backward, and give gradients (so agreement is not vacuous)."""
    x = (np.ones((2, 3)), np.full((2, 3), 0.5))
    leaf_change = [("iadd", 0, None, None, "slice", True)]
    saved_change = [("mul", 0, 2, None, "slice", True), ("setitem", 2, None, (0,), "slice", False)]
    fine = [("mul", 0, 1, None, "slice", True), ("imul", 3, 1, (0,), "T", True)]
    for program, expect in ((leaf_change, 0), (saved_change, 2), (fine, None)):
        for mod in (lucid, torch):
            assert run(mod, x, program, [1.0, -0.5])[0] == expect, (mod.__name__, program)
