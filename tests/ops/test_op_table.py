"""One table of every differentiable op, walked by four checks:

1. forward in float64 against a NumPy (or ``math``) reference,
2. backward in float64 against central finite differences,
3. forward and backward against ``torch.autograd`` in float32 and float64, with the inputs on
   each device of the ``device`` fixture (the GPU run is compared with torch on the CPU),
4. float32 inputs give float32 outputs.

Each case gives the lucid function, a NumPy reference and a torch function (defaulting to
the lucid one when the spelling is the same, as for operators and most methods), plus
the input shapes and the domain to sample them from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest

import lucid
from lucid._backend import device_of, to_numpy

torch = pytest.importorskip("torch")


@dataclass
class Case:
    name: str
    fn: Callable  # on lucid tensors
    ref: Callable  # on float64 NumPy arrays
    shapes: list
    torch_fn: Callable | None = None  # on torch tensors; None: same as fn
    domain: str = "any"  # "any": N(0, 1); "pos": U(0.5, 2)
    domains: list = field(default_factory=list)  # per-input override

    def sample(self, rng, dtype=np.float64):
        arrays = []
        for i, shape in enumerate(self.shapes):
            dom = self.domains[i] if self.domains else self.domain
            if dom == "pos":
                a = rng.uniform(0.5, 2.0, size=shape)
            else:
                a = rng.standard_normal(size=shape)
            arrays.append(a.astype(dtype))
        return arrays


_verf = np.vectorize(math.erf, otypes=[np.float64])


def _np_var(x, axis=None, keepdims=False):
    return np.var(x, axis=axis, keepdims=keepdims)


MASK = np.array([True, False, True, True, False])
IDX = np.array([2, 0, 2, 1, 2])  # repeated indices must accumulate gradient
GATHER_IDX = np.array([[0, 2, 2], [1, 1, 0]])

CASES = [
    # elementwise binary, with broadcasting
    Case("add", lambda a, b: a + b, lambda a, b: a + b, [(3, 4), (4,)]),
    Case("add_fn", lambda a, b: lucid.add(a, b), lambda a, b: a + b, [(2, 1, 3), (4, 1)], lambda a, b: torch.add(a, b)),
    Case("sub", lambda a, b: a - b, lambda a, b: a - b, [(3, 1), (1, 4)]),
    Case("rsub_scalar", lambda a: 2.5 - a, lambda a: 2.5 - a, [(3, 2)]),
    Case("mul", lambda a, b: a * b, lambda a, b: a * b, [(2, 3, 4), (3, 1)]),
    Case("mul_scalar", lambda a: a * 3, lambda a: a * 3, [(5,)]),
    Case("mul_self", lambda a: a * a, lambda a: a * a, [(2, 3)]),
    Case("div", lambda a, b: a / b, lambda a, b: a / b, [(3, 4), (4,)], domains=["any", "pos"]),
    Case("rdiv_scalar", lambda a: 1.5 / a, lambda a: 1.5 / a, [(4,)], domain="pos"),
    Case("neg", lambda a: -a, lambda a: -a, [(3, 2)]),
    Case("pow_scalar", lambda a: a**3, lambda a: a**3, [(2, 3)]),
    Case("pow_frac", lambda a: a**0.5, lambda a: a**0.5, [(2, 3)], domain="pos"),
    Case("pow_tensor", lambda a, b: a**b, lambda a, b: a**b, [(2, 3), (3,)], domain="pos"),
    Case("rpow_scalar", lambda a: 2.0**a, lambda a: 2.0**a, [(4,)]),
    # elementwise unary: functions and methods
    Case("exp", lucid.exp, np.exp, [(3, 4)], torch.exp),
    Case("exp_method", lambda a: a.exp(), np.exp, [(2, 2)]),
    Case("log", lucid.log, np.log, [(3, 4)], torch.log, domain="pos"),
    Case("log_method", lambda a: a.log(), np.log, [(5,)], domain="pos"),
    Case("sqrt", lucid.sqrt, np.sqrt, [(3, 4)], torch.sqrt, domain="pos"),
    Case("sqrt_method", lambda a: a.sqrt(), np.sqrt, [(3,)], domain="pos"),
    Case("tanh", lucid.tanh, np.tanh, [(3, 4)], torch.tanh),
    Case("tanh_method", lambda a: a.tanh(), np.tanh, [(3,)]),
    Case("abs", lucid.abs, np.abs, [(3, 4)], torch.abs),
    Case("abs_method", lambda a: a.abs(), np.abs, [(6,)]),
    Case("abs_builtin", lambda a: abs(a), np.abs, [(6,)]),
    Case("erf", lucid.erf, _verf, [(3, 4)], torch.erf),
    Case("erf_wide", lambda a: lucid.erf(a * 3), lambda a: _verf(a * 3), [(20,)], lambda a: torch.erf(a * 3)),
    Case("erf_method", lambda a: a.erf(), _verf, [(4,)]),
    # where
    Case(
        "where",
        lambda a, b: lucid.where(lucid.tensor(MASK[:4], device=a.device), a, b),
        lambda a, b: np.where(MASK[:4], a, b),
        [(3, 4), (4,)],
        lambda a, b: torch.where(torch.tensor(MASK[:4]), a, b),
    ),
    Case(
        "where_scalar",
        lambda a: lucid.where(a > 0, a, 0.0),
        lambda a: np.where(a > 0, a, 0.0),
        [(3, 4)],
        lambda a: torch.where(a > 0, a, torch.zeros((), dtype=a.dtype)),
    ),
    # matmul in every shape combination
    Case("matmul_2d", lambda a, b: a @ b, lambda a, b: a @ b, [(3, 4), (4, 2)]),
    Case("matmul_fn", lucid.matmul, np.matmul, [(2, 3), (3, 2)], torch.matmul),
    Case("matmul_method", lambda a, b: a.matmul(b), np.matmul, [(2, 3), (3, 2)]),
    Case("matmul_batch_weight", lambda a, b: a @ b, lambda a, b: a @ b, [(2, 3, 4), (4, 5)]),
    Case("matmul_batch_bcast", lambda a, b: a @ b, lambda a, b: a @ b, [(2, 1, 3, 4), (3, 4, 2)]),
    Case("matmul_vec_mat", lambda a, b: a @ b, lambda a, b: a @ b, [(4,), (4, 3)]),
    Case("matmul_mat_vec", lambda a, b: a @ b, lambda a, b: a @ b, [(3, 4), (4,)]),
    Case("matmul_vec_vec", lambda a, b: a @ b, lambda a, b: a @ b, [(4,), (4,)]),
    Case("matmul_vec_batch", lambda a, b: a @ b, lambda a, b: a @ b, [(4,), (2, 4, 3)]),
    Case("matmul_batch_vec", lambda a, b: a @ b, lambda a, b: a @ b, [(2, 3, 4), (4,)]),
    # reductions
    Case("sum_all", lucid.sum, np.sum, [(3, 4)], torch.sum),
    Case("sum_axis", lambda a: a.sum(axis=1), lambda a: a.sum(axis=1), [(3, 4, 2)], lambda a: a.sum(dim=1)),
    Case("sum_neg_axis_keep", lambda a: a.sum(axis=-1, keepdims=True), lambda a: a.sum(axis=-1, keepdims=True),
         [(3, 4)], lambda a: a.sum(dim=-1, keepdim=True)),
    Case("sum_tuple", lambda a: lucid.sum(a, axis=(0, 2)), lambda a: a.sum(axis=(0, 2)), [(3, 4, 2)],
         lambda a: a.sum(dim=(0, 2))),
    Case("mean_all", lucid.mean, np.mean, [(3, 4)], torch.mean),
    Case("mean_axis_keep", lambda a: a.mean(axis=0, keepdims=True), lambda a: a.mean(axis=0, keepdims=True),
         [(3, 4)], lambda a: a.mean(dim=0, keepdim=True)),
    Case("mean_tuple", lambda a: lucid.mean(a, axis=(1, 2)), lambda a: a.mean(axis=(1, 2)), [(2, 3, 4)],
         lambda a: a.mean(dim=(1, 2))),
    Case("var_all", lucid.var, _np_var, [(3, 4)], lambda a: torch.var(a, correction=0)),
    Case("var_axis", lambda a: a.var(axis=-1), lambda a: _np_var(a, axis=-1), [(3, 5)],
         lambda a: torch.var(a, dim=-1, correction=0)),
    Case("var_tuple_keep", lambda a: lucid.var(a, axis=(0, 1), keepdims=True),
         lambda a: _np_var(a, axis=(0, 1), keepdims=True), [(2, 3, 2)],
         lambda a: torch.var(a, dim=(0, 1), correction=0, keepdim=True)),
    Case("max_all", lucid.max, np.max, [(3, 4)], torch.amax),
    Case("max_axis", lambda a: a.max(axis=1), lambda a: a.max(axis=1), [(3, 4)], lambda a: torch.amax(a, dim=1)),
    Case("max_keep", lambda a: lucid.max(a, axis=0, keepdims=True), lambda a: a.max(axis=0, keepdims=True),
         [(3, 4)], lambda a: torch.amax(a, dim=0, keepdim=True)),
    Case("min_all", lucid.min, np.min, [(3, 4)], torch.amin),
    Case("min_tuple", lambda a: a.min(axis=(0, 2)), lambda a: a.min(axis=(0, 2)), [(2, 3, 2)],
         lambda a: torch.amin(a, dim=(0, 2))),
    # shape and layout
    Case("reshape", lambda a: a.reshape(4, 3), lambda a: a.reshape(4, 3), [(3, 4)]),
    Case("reshape_tuple_neg", lambda a: lucid.reshape(a, (2, -1)), lambda a: a.reshape(2, -1), [(3, 4)],
         lambda a: torch.reshape(a, (2, -1))),
    Case("swapaxes", lambda a: a.swapaxes(0, 2), lambda a: a.swapaxes(0, 2), [(2, 3, 4)]),
    Case("swapaxes_fn", lambda a: lucid.swapaxes(a, -1, -2), lambda a: a.swapaxes(-1, -2), [(2, 3, 4)],
         lambda a: torch.swapaxes(a, -1, -2)),
    Case("transpose_perm", lambda a: a.transpose(1, 2, 0), lambda a: a.transpose(1, 2, 0), [(2, 3, 4)],
         lambda a: a.permute(1, 2, 0)),
    Case("transpose_rev", lambda a: lucid.transpose(a), lambda a: a.transpose(), [(2, 3, 4)],
         lambda a: a.permute(2, 1, 0)),
    Case("T", lambda a: a.T, lambda a: a.T, [(3, 4)]),
    Case("expand", lambda a: a.expand(2, 3, 4), lambda a: np.broadcast_to(a, (2, 3, 4)), [(3, 1)]),
    Case("expand_keep", lambda a: lucid.expand(a, -1, 5), lambda a: np.broadcast_to(a, (3, 5)), [(3, 1)],
         lambda a: a.expand(-1, 5)),
    Case("squeeze_all", lambda a: a.squeeze(), lambda a: a.squeeze(), [(3, 1, 4, 1)]),
    Case("squeeze_axis", lambda a: lucid.squeeze(a, 1), lambda a: a.squeeze(1), [(3, 1, 4, 1)],
         lambda a: torch.squeeze(a, 1)),
    Case("unsqueeze", lambda a: a.unsqueeze(1), lambda a: np.expand_dims(a, 1), [(3, 4)]),
    Case("unsqueeze_neg", lambda a: lucid.unsqueeze(a, -1), lambda a: np.expand_dims(a, -1), [(3, 4)],
         lambda a: torch.unsqueeze(a, -1)),
    Case("flatten", lambda a: a.flatten(), lambda a: a.reshape(-1), [(2, 3, 2)]),
    Case("flatten_range", lambda a: lucid.flatten(a, 1, 2), lambda a: a.reshape(2, 6, 2), [(2, 3, 2, 2)],
         lambda a: torch.flatten(a, 1, 2)),
    Case("to_cpu", lambda a: a.to("cpu") * 2, lambda a: a * 2, [(3,)], lambda a: a.to("cpu") * 2),
    Case("cpu", lambda a: a.cpu() * 2, lambda a: a * 2, [(3,)]),
    Case("concatenate", lambda a, b: lucid.concatenate([a, b], axis=1), lambda a, b: np.concatenate([a, b], 1),
         [(2, 3), (2, 2)], lambda a, b: torch.cat([a, b], dim=1)),
    Case("concatenate_reuse", lambda a: lucid.concatenate([a, a * 2]), lambda a: np.concatenate([a, a * 2]),
         [(2, 3)], lambda a: torch.cat([a, a * 2])),
    Case("stack", lambda a, b: lucid.stack([a, b], axis=-1), lambda a, b: np.stack([a, b], -1),
         [(2, 3), (2, 3)], lambda a, b: torch.stack([a, b], dim=-1)),
    Case("stack_default", lambda a, b: lucid.stack([a, b]), lambda a, b: np.stack([a, b]), [(3,), (3,)],
         lambda a, b: torch.stack([a, b])),
    # indexing
    Case("getitem_int", lambda a: a[1], lambda a: a[1], [(3, 4)]),
    Case("getitem_slice", lambda a: a[:, 1:3], lambda a: a[:, 1:3], [(3, 4)]),
    Case("getitem_step_neg", lambda a: a[::-2, -1], lambda a: a[::-2, -1], [(5, 3)],
         lambda a: a.flip(0)[::2, -1]),
    Case("getitem_ellipsis_none", lambda a: a[..., None, 0], lambda a: a[..., None, 0], [(2, 3, 4)]),
    Case("getitem_intarray_repeat", lambda a: a[IDX], lambda a: a[IDX], [(3, 2)],
         lambda a: a[torch.tensor(IDX)]),
    Case("getitem_list_repeat", lambda a: a[[0, 0, 1]], lambda a: a[[0, 0, 1]], [(3, 2)]),
    Case("getitem_tensor_index", lambda a: a[lucid.tensor(IDX, device=a.device)], lambda a: a[IDX], [(3,)],
         lambda a: a[torch.tensor(IDX)]),
    Case("getitem_bool_mask", lambda a: a[lucid.tensor(MASK, device=a.device)], lambda a: a[MASK], [(5, 2)],
         lambda a: a[torch.tensor(MASK)]),
    Case("getitem_bool_from_op", lambda a: a[a > 0], lambda a: a[a > 0], [(4, 3)]),
    Case("getitem_mixed", lambda a: a[1:, lucid.tensor([2, 0, 2], device=a.device)], lambda a: a[1:, [2, 0, 2]], [(3, 4)],
         lambda a: a[1:, torch.tensor([2, 0, 2])]),
    Case("getitem_two_arrays", lambda a: a[[0, 2, 0], [1, 1, 1]], lambda a: a[[0, 2, 0], [1, 1, 1]], [(3, 4)]),
    Case("gather", lambda a: lucid.gather(a, 1, lucid.tensor(GATHER_IDX, device=a.device)),
         lambda a: np.take_along_axis(a[:2], GATHER_IDX, 1), [(3, 4)],
         lambda a: torch.gather(a, 1, torch.tensor(GATHER_IDX))),
    Case("gather_dim0", lambda a: lucid.gather(a, 0, lucid.tensor([[1, 0], [1, 1]], device=a.device)),
         lambda a: np.take_along_axis(a[:, :2], np.array([[1, 0], [1, 1]]), 0), [(2, 3)],
         lambda a: torch.gather(a, 0, torch.tensor([[1, 0], [1, 1]]))),
    # a small composite graph: reuse, broadcast, reduction and indexing together
    Case("composite", lambda a, b: ((a * b).tanh() @ b.T).sum(axis=0)[[0, 0, 0]] / (1 + a.var()),
         lambda a, b: (np.tanh(a * b) @ b.T).sum(axis=0)[[0, 0, 0]] / (1 + a.var()), [(3, 4), (1, 4)],
         lambda a, b: ((a * b).tanh() @ b.T).sum(dim=0)[[0, 0, 0]] / (1 + a.var(correction=0))),
]

NO_TORCH: set = set()

IDS = [c.name for c in CASES]


def _lucid_inputs(arrays, requires_grad=True):
    return [lucid.tensor(a, requires_grad=requires_grad) for a in arrays]


def test_table_names_unique():
    assert len(set(IDS)) == len(IDS)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_forward_matches_numpy_float64(case):
    rng = np.random.default_rng(1)
    arrays = case.sample(rng)
    out = case.fn(*_lucid_inputs(arrays, requires_grad=False))
    expect = np.asarray(case.ref(*[a.copy() for a in arrays]))
    assert out.dtype == np.float64
    assert out.shape == expect.shape
    np.testing.assert_allclose(out.numpy(), expect, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_backward_matches_finite_differences_float64(case):
    rng = np.random.default_rng(2)
    arrays = case.sample(rng)
    inputs = _lucid_inputs(arrays)
    out = case.fn(*inputs)
    cot = rng.standard_normal(out.shape)
    (out * lucid.tensor(cot)).sum().backward()

    def loss(arrs):
        with lucid.no_grad():
            return float((case.fn(*_lucid_inputs(arrs, requires_grad=False)).numpy() * cot).sum())

    eps = 1e-6
    for k, (t, a) in enumerate(zip(inputs, arrays)):
        numeric = np.zeros_like(a)
        for j in range(a.size):
            plus = [x.copy() for x in arrays]
            minus = [x.copy() for x in arrays]
            plus[k].flat[j] += eps
            minus[k].flat[j] -= eps
            numeric.flat[j] = (loss(plus) - loss(minus)) / (2 * eps)
        assert t.grad is not None, f"input {k} got no gradient"
        assert t.grad.shape == a.shape and t.grad.dtype == np.float64
        np.testing.assert_allclose(t.grad, numeric, rtol=1e-5, atol=1e-7, err_msg=f"input {k}")


# cases whose output is on the CPU whatever the input's device (the transfer is the op)
TO_CPU = {"to_cpu", "cpu"}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", [c for c in CASES if c.name not in NO_TORCH], ids=[i for i in IDS if i not in NO_TORCH])
def test_matches_torch_autograd(case, dtype, device):
    rng = np.random.default_rng(3)
    arrays = case.sample(rng, dtype=np.dtype(dtype))
    inputs = [lucid.tensor(a, requires_grad=True, device=device) for a in arrays]
    t_inputs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = case.fn(*inputs)
    t_out = (case.torch_fn or case.fn)(*t_inputs)
    assert out.device == ("cpu" if case.name in TO_CPU else device)
    assert out.shape == tuple(t_out.shape)
    assert out.dtype == np.dtype(str(t_out.dtype).replace("torch.", ""))
    tol = dict(rtol=2e-5, atol=2e-6) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), **tol)
    cot = rng.standard_normal(out.shape).astype(dtype)
    out.backward(lucid.tensor(cot, device=out.device))
    t_out.backward(torch.tensor(cot))
    for k, (t, tt) in enumerate(zip(inputs, t_inputs)):
        assert t.grad is not None and t.grad.dtype == np.dtype(dtype) and device_of(t.grad) == device
        np.testing.assert_allclose(to_numpy(t.grad), tt.grad.numpy(), **tol, err_msg=f"input {k}")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_float32_stays_float32(case):
    rng = np.random.default_rng(4)
    out = case.fn(*_lucid_inputs(case.sample(rng, dtype=np.float32)))
    assert out.dtype == np.float32
    assert out.requires_grad
