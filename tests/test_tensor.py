"""The Tensor surface of API.md: construction and dtype rules, properties, methods,
indexing, operators, Python protocols and the errors a user can hit. Tests that take the
``device`` fixture run on "cpu" and on "gpu" (CuPy, skipped without a CUDA GPU)."""

import numpy as np
import pytest
import torch

import lucid
from lucid._backend import device_of, to_numpy

# ---- construction and dtype rules -------------------------------------------------------


@pytest.mark.parametrize(
    "data, dtype",
    [
        (1.5, np.float32),
        (3, np.int64),
        (True, np.bool_),
        ([1.0, 2.0], np.float32),
        ([[1, 2], [3, 4]], np.int64),
        ([True, False], np.bool_),
        ([1, 2.5], np.float32),
        (np.arange(3, dtype=np.int32), np.int32),
        (np.ones(2, dtype=np.float64), np.float64),
        (np.ones(2, dtype=np.float16), np.float16),
        (np.ones(2, dtype=np.uint8), np.uint8),
        (np.float64(2.0), np.float64),
        (np.int16(2), np.int16),
    ],
)
def test_constructor_dtype_rules(data, dtype):
    for make in (lucid.Tensor, lucid.tensor):
        t = make(data)
        assert t.dtype == np.dtype(dtype)
        assert t.device == "cpu"
        np.testing.assert_array_equal(t.numpy(), np.asarray(data))


def test_constructor_dtype_argument_and_tensor_input():
    t = lucid.tensor([1, 2], dtype=lucid.Float64)
    assert t.dtype == np.float64
    assert lucid.tensor([1.7], dtype=int).dtype == np.int64
    assert lucid.tensor([1], dtype=float).dtype == np.float32
    assert lucid.tensor([1], dtype=np.float16).dtype == np.float16
    assert lucid.tensor([1], dtype="float64").dtype == np.float64
    u = lucid.Tensor(t, dtype=lucid.Float32)
    assert u.dtype == np.float32 and u.tolist() == [1.0, 2.0]
    assert lucid.Tensor(t).tolist() == [1.0, 2.0]
    # a list of 0-d tensors and a nested list mixing arrays work too
    assert lucid.tensor([lucid.tensor(1.0), lucid.tensor(2.0)]).tolist() == [1.0, 2.0]


def test_constructor_flags():
    t = lucid.tensor([1.0], requires_grad=True, keep_grad=True)
    assert t.requires_grad and t.keep_grad and t.is_leaf and t.grad is None
    assert lucid.Tensor([1.0], device="cpu").device == "cpu"


@pytest.mark.parametrize(
    "bad, exc, words",
    [
        ("abc", TypeError, "dtype"),
        (None, TypeError, "NoneType"),
        ([[1, 2], [3]], ValueError, "ragged"),
        (np.ones(2, dtype=np.complex64), TypeError, "complex64"),
        ({"a": 1}, TypeError, "dict"),
    ],
)
def test_constructor_rejects_bad_data(bad, exc, words):
    with pytest.raises(exc, match=words):
        lucid.tensor(bad)


def test_requires_grad_only_for_floats():
    with pytest.raises(TypeError, match="int64"):
        lucid.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="int64"):
        lucid.LongTensor([1], requires_grad=True)


def test_unknown_dtype_named():
    with pytest.raises(TypeError, match="floaty"):
        lucid.tensor([1.0], dtype="floaty")


@pytest.mark.parametrize(
    "ctor, dtype",
    [
        (lucid.LongTensor, np.int64),
        (lucid.IntTensor, np.int32),
        (lucid.FloatTensor, np.float32),
        (lucid.DoubleTensor, np.float64),
        (lucid.HalfTensor, np.float16),
        (lucid.BoolTensor, np.bool_),
    ],
)
def test_typed_constructors(ctor, dtype):
    t = ctor([1, 0, 2])
    assert t.dtype == np.dtype(dtype) and t.shape == (3,) and t.device == "cpu"
    assert t.tolist() == np.array([1, 0, 2]).astype(dtype).tolist()
    if np.dtype(dtype).kind == "f":
        g = ctor([1.0], requires_grad=True, keep_grad=True, device="cpu")
        assert g.requires_grad and g.keep_grad


def test_dtype_names_and_aliases():
    assert lucid.Float16 == np.float16 and lucid.Float32 == np.float32 and lucid.Float64 == np.float64
    assert lucid.Int8 == np.int8 and lucid.Int16 == np.int16 and lucid.Int32 == np.int32
    assert lucid.Int64 == np.int64 and lucid.Bool == np.bool_
    assert lucid.Half is lucid.Float16 and lucid.Double is lucid.Float64
    assert lucid.Char is lucid.Int8 and lucid.Short is lucid.Int16 and lucid.Long is lucid.Int64
    assert lucid.Int is lucid.Int64 and lucid.Float is lucid.Float32
    # NumPy dtypes and Python types are accepted wherever a dtype is
    assert lucid.zeros(2, dtype=np.int16).dtype == np.int16
    assert lucid.zeros(2, dtype=bool).dtype == np.bool_
    assert lucid.ones(1).astype(int).dtype == np.int64
    assert lucid.ones(1).to(lucid.Half).dtype == np.float16


XP_NAME = {"cpu": "numpy", "gpu": "cupy"}


def test_construction_on_device(device):
    g = lucid.tensor([[1.0, 2.0]], device=device)
    assert g.device == device and g.is_gpu() == (device == "gpu") and g.is_cpu() == (device == "cpu")
    assert g.dtype == np.float32
    assert type(g.data).__module__.startswith(XP_NAME[device]) and g.xp.__name__ == XP_NAME[device]
    assert isinstance(g.numpy(), np.ndarray) and g.tolist() == [[1.0, 2.0]]
    assert lucid.tensor([1, 2], device=device).dtype == np.int64
    assert lucid.tensor(g.data).device == device  # an array stays where it is
    assert lucid.tensor(g.data, device="cpu").device == "cpu"
    assert g.sum().item() == 3.0
    for make in (lucid.zeros, lucid.ones):
        assert make(2, 3, device=device).device == device
    assert lucid.full((2,), 3, device=device).tolist() == [3, 3]
    assert lucid.arange(4, device=device).tolist() == [0, 1, 2, 3]
    assert lucid.zeros_like(g).device == device and lucid.ones_like(g, device="cpu").device == "cpu"
    for ctor in (lucid.LongTensor, lucid.FloatTensor, lucid.HalfTensor, lucid.BoolTensor):
        assert ctor([1, 0], device=device).device == device


@pytest.mark.gpu
def test_transfer_between_cpu_and_gpu():
    g = lucid.tensor([[1.0, 2.0]], device="gpu")
    c = g.cpu()
    assert c.device == "cpu" and c.tolist() == [[1.0, 2.0]]
    assert c.gpu().device == "gpu" and c.to("gpu").device == "gpu"
    assert "device='gpu'" in repr(g)
    with pytest.raises(TypeError, match=r"\.numpy\(\)"):
        np.asarray(g)


# ---- properties and conversions -----------------------------------------------------------


def test_properties():
    t = lucid.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and t.dtype == np.float64
    assert t.device == "cpu" and t.is_cpu() and not t.is_gpu() and t.is_leaf
    assert isinstance(t.data, np.ndarray) and t.xp is np
    y = t * 2
    assert not y.is_leaf and y.requires_grad


def test_item_tolist_numpy():
    assert lucid.tensor([[2.5]]).item() == 2.5
    assert isinstance(lucid.tensor(3).item(), int)
    with pytest.raises(ValueError, match=r"\(2,\)"):
        lucid.tensor([1.0, 2.0]).item()
    assert lucid.tensor([[1, 2]]).tolist() == [[1, 2]]
    arr = lucid.tensor([1.0, 2.0]).numpy()
    assert isinstance(arr, np.ndarray) and arr.dtype == np.float32
    assert float(lucid.tensor(2.0)) == 2.0 and int(lucid.tensor(3)) == 3
    assert np.asarray(lucid.tensor([1, 2])).tolist() == [1, 2]


def test_zero_results_are_arrays():
    # NumPy returns scalars for 0-d results; lucid keeps 0-d arrays so in-place updates work
    t = lucid.tensor([1.0, 2.0]).sum()
    assert isinstance(t.data, np.ndarray) and t.shape == ()
    assert isinstance((lucid.tensor(2.0) * lucid.tensor(3.0)).data, np.ndarray)
    assert isinstance(lucid.tensor([[1.0]])[0, 0].data, np.ndarray)


def test_detach_and_zero_grad():
    x = lucid.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and np.shares_memory(d.data, y.data)
    (y.sum() + d.sum()).backward()
    assert x.grad.tolist() == [2.0, 2.0]
    x.zero_grad()
    assert x.grad is None


@pytest.mark.parametrize(
    "method, dtype",
    [("long", np.int64), ("int", np.int32), ("float", np.float32), ("half", np.float16),
     ("double", np.float64), ("bool", np.bool_)],
)
def test_cast_methods(method, dtype):
    t = getattr(lucid.tensor([0.0, 1.5, -2.0]), method)()
    assert t.dtype == np.dtype(dtype)
    assert t.tolist() == np.array([0.0, 1.5, -2.0]).astype(dtype).tolist()


def test_astype_and_to():
    t = lucid.tensor([1.5, 2.5])
    assert t.astype(lucid.Int32).tolist() == [1, 2]
    assert t.astype(t.dtype) is t
    assert t.to("cpu") is t
    assert t.to("float64").dtype == np.float64
    assert t.to("cpu", lucid.Float16).dtype == np.float16
    assert t.to(dtype=lucid.Float64, device="cpu").dtype == np.float64
    assert t.cpu() is t
    with pytest.raises(ValueError, match="cuda"):
        t.to("cuda")


def test_astype_gradient_casts_back():
    x = lucid.tensor([1.0, 2.0], requires_grad=True)
    y = x.astype(lucid.Float64)
    assert y.requires_grad and y.dtype == np.float64
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [2.0, 4.0]
    assert not x.long().requires_grad  # integer casts end the graph


# ---- shape methods -------------------------------------------------------------------------


def test_shape_methods_forward():
    t = lucid.arange(24).reshape(2, 3, 4)
    a = t.numpy()
    np.testing.assert_array_equal(t.reshape((4, 6)).numpy(), a.reshape(4, 6))
    np.testing.assert_array_equal(t.reshape(-1).numpy(), a.reshape(-1))
    np.testing.assert_array_equal(t.swapaxes(0, 2).numpy(), a.swapaxes(0, 2))
    np.testing.assert_array_equal(t.transpose(2, 0, 1).numpy(), a.transpose(2, 0, 1))
    np.testing.assert_array_equal(t.transpose((2, 0, 1)).numpy(), a.transpose(2, 0, 1))
    np.testing.assert_array_equal(t.T.numpy(), a.T)
    assert t.mT.shape == (2, 4, 3)
    assert lucid.ones(3, 1).expand(2, -1, 4).shape == (2, 3, 4)
    assert lucid.ones(3, 1).expand((3, 5)).shape == (3, 5)
    assert lucid.ones(1, 3, 1).squeeze().shape == (3,)
    assert lucid.ones(1, 3, 1).squeeze(0).shape == (3, 1)
    assert lucid.ones(1, 3, 1).squeeze((0, 2)).shape == (3,)
    assert lucid.ones(3).unsqueeze(0).shape == (1, 3)
    assert lucid.ones(3).unsqueeze(-1).shape == (3, 1)
    assert t.flatten().shape == (24,)


@pytest.mark.parametrize(
    "shape, start, end",
    [((3,), 0, -1), ((2, 3, 4), 1, 1), ((2, 3, 4), -1, -1), ((2, 3, 4), 0, 1), ((2, 3, 4), 1, 2), ((2, 0, 3), 0, 0),
     ((2, 0, 3), 0, 1)],
)
def test_flatten_matches_torch(shape, start, end):
    a = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    x = lucid.tensor(a, requires_grad=True)
    y = x.flatten(start, end)
    expected = torch.from_numpy(a).flatten(start, end)
    assert y.shape == tuple(expected.shape)
    np.testing.assert_array_equal(y.numpy(), expected.numpy())
    y.sum().backward()
    assert x.grad.shape == shape


def test_flatten_rejects_start_after_end():
    with pytest.raises(ValueError, match="2.*1|1.*2"):
        lucid.ones(2, 3, 4).flatten(2, 1)


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda t: t.reshape(5, 5), ValueError, "(5, 5)"),
        (lambda t: t.transpose(0, 0, 1), ValueError, "(0, 0, 1)"),
        (lambda t: t.expand(3, 4), ValueError, "(3, 4)"),
        (lambda t: t.expand(-1, 2, 3, 4), ValueError, "-1"),
        (lambda t: t.squeeze(1), ValueError, "size 3"),
        (lambda t: t.unsqueeze(5), IndexError, "5"),
        (lambda t: t.sum(axis=3), IndexError, "axis 3"),
        (lambda t: t.mean(axis=(0, 0)), ValueError, "repeated"),
        (lambda t: t.swapaxes(0, 7), ValueError, "7"),
    ],
)
def test_shape_errors(call, exc, words):
    with pytest.raises(exc, match=words.replace("(", r"\(").replace(")", r"\)")):
        call(lucid.ones(2, 3, 4))


# ---- reductions ------------------------------------------------------------------------


def test_reductions_forward():
    a = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    t = lucid.tensor(a)
    for name in ("sum", "mean", "var", "max", "min"):
        for axis in (None, 0, -1, (0, 1)):
            for keepdims in (False, True):
                got = getattr(t, name)(axis=axis, keepdims=keepdims)
                want = getattr(np, name)(a, axis=axis, keepdims=keepdims)
                assert got.shape == np.shape(want), (name, axis, keepdims)
                np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)
                assert getattr(lucid, name)(t, axis, keepdims).shape == np.shape(want)


def test_argmax_argmin():
    a = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    t = lucid.tensor(a)
    assert t.argmax().item() == 3 and t.argmin().item() == 4
    assert t.argmax(axis=1).tolist() == [1, 0] and t.argmin(axis=0).tolist() == [0, 1, 0]
    assert lucid.argmax(t, axis=1, keepdims=True).shape == (2, 1)
    assert lucid.argmin(t, keepdims=True).shape == (1, 1)
    assert t.argmax().dtype == np.int64 and not t.argmax().requires_grad


def test_reductions_on_integers_and_empty():
    t = lucid.tensor([[1, 2], [3, 4]])
    assert t.sum().dtype == np.int64 and t.sum().item() == 10
    assert t.mean().dtype == np.float32 and t.mean().item() == 2.5
    assert t.var().dtype == np.float32 and t.var().item() == 1.25
    assert t.max().item() == 4
    with pytest.raises(ValueError, match="empty"):
        lucid.zeros(0).max()


def test_max_ties_share_gradient():
    x = lucid.tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    assert x.grad.tolist() == [0.0, 0.5, 0.5]


def test_zero_dim_axis():
    t = lucid.tensor(2.0)
    assert t.sum(axis=0).item() == 2.0 and t.sum(axis=-1).shape == ()


# ---- creation functions ---------------------------------------------------------------


def test_creation_functions():
    assert lucid.zeros(2, 3).shape == (2, 3) and lucid.zeros((2, 3)).dtype == np.float32
    assert lucid.ones([2]).tolist() == [1.0, 1.0]
    assert lucid.zeros(2, dtype=lucid.Int64).dtype == np.int64
    assert lucid.zeros(()).shape == ()
    assert lucid.full((2, 2), 1.5).tolist() == [[1.5, 1.5], [1.5, 1.5]]
    assert lucid.full((2,), 7).dtype == np.int64 and lucid.full(3, True).dtype == np.bool_
    assert lucid.full((2,), 7, dtype=lucid.Float16).dtype == np.float16
    like = lucid.tensor([[1, 2]], dtype=lucid.Int32)
    assert lucid.zeros_like(like).dtype == np.int32 and lucid.zeros_like(like).tolist() == [[0, 0]]
    assert lucid.ones_like(like, dtype=lucid.Float32).tolist() == [[1.0, 1.0]]
    assert lucid.arange(3).tolist() == [0, 1, 2] and lucid.arange(3).dtype == np.int64
    assert lucid.arange(1, 7, 2).tolist() == [1, 3, 5]
    assert lucid.arange(0.0, 1.0, 0.25).dtype == np.float32
    assert lucid.arange(4, dtype=lucid.Float64).dtype == np.float64
    assert lucid.zeros(2, requires_grad=True).requires_grad
    with pytest.raises(ValueError, match="-2"):
        lucid.zeros(3, -2)
    with pytest.raises(ValueError, match="tpu"):
        lucid.ones(2, device="tpu")
    with pytest.raises(ValueError, match="tpu"):
        lucid.arange(2, device="tpu")


def test_concatenate_stack_where_gather_forward():
    a, b = lucid.tensor([[1, 2]]), lucid.tensor([[3, 4]])
    assert lucid.concatenate([a, b]).tolist() == [[1, 2], [3, 4]]
    assert lucid.concatenate((a, b), axis=1).tolist() == [[1, 2, 3, 4]]
    assert lucid.stack([a, b], axis=1).shape == (1, 2, 2)
    assert lucid.concatenate([lucid.tensor([1]), lucid.tensor([0.5])]).dtype == np.float32
    c = lucid.tensor([True, False])
    assert lucid.where(c, 1, 2).tolist() == [1, 2]
    assert lucid.where(c, lucid.tensor([1.0, 2.0]), lucid.tensor([[5.0], [6.0]])).tolist() == [[1.0, 5.0], [1.0, 6.0]]
    x = lucid.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert lucid.gather(x, 1, lucid.tensor([[2], [0]])).tolist() == [[3.0], [4.0]]
    assert lucid.gather(x, 0, [[1, 0, 1]]).tolist() == [[4.0, 2.0, 6.0]]
    with pytest.raises(ValueError, match="concatenate"):
        lucid.concatenate([])
    with pytest.raises(ValueError, match=r"\(1, 2\)"):
        lucid.concatenate([a, lucid.ones(1, 3)])
    with pytest.raises(TypeError, match="float32"):
        lucid.gather(x, 1, lucid.tensor([[0.0]]))
    with pytest.raises(IndexError, match="size 3"):
        lucid.gather(x, 1, lucid.tensor([[3]]))
    with pytest.raises(ValueError, match="dimensions"):
        lucid.gather(x, 1, lucid.tensor([1]))
    with pytest.raises(IndexError, match="dim 2"):
        lucid.gather(x, 2, lucid.tensor([[1]]))


def test_where_and_gather_on_device(device):
    a = np.random.default_rng(0).standard_normal((3, 4))
    idx = np.array([[0, 3, 3], [1, 0, 2]])
    x = lucid.tensor(a, requires_grad=True, device=device)
    y = lucid.where(x > 0, x, x * 0.1) + 1.0
    z = lucid.gather(y, 1, lucid.tensor(idx, device=device))
    z.sum().backward()
    assert z.device == device and device_of(x.grad) == device
    slope = np.where(a > 0, 1.0, 0.1)
    grad = np.zeros_like(a)
    np.add.at(grad, (np.arange(2)[:, None], idx), 1.0)  # repeated indices accumulate
    np.testing.assert_allclose(z.numpy(), np.take_along_axis((a * slope + 1.0)[:2], idx, 1), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(x.grad), grad * slope, rtol=1e-12)


# ---- indexing ---------------------------------------------------------------------------


def test_getitem_forms_match_numpy():
    a = np.arange(24.0).reshape(2, 3, 4)
    t = lucid.tensor(a)
    idx_t = lucid.tensor([2, 0])
    mask = a[:, :, 0] > 5
    cases = [
        (1, 1), ((1, 2), (1, 2)), (slice(None, None, -1), slice(None, None, -1)), ((..., 1), (..., 1)),
        ((None, 0), (None, 0)), ([1, 0, 1], [1, 0, 1]), ((0, [2, 0]), (0, [2, 0])),
        ((0, idx_t), (0, np.array([2, 0]))), (lucid.tensor(mask), mask), ((0, lucid.tensor(1)), (0, 1)),
        ((slice(None), lucid.tensor([True, False, True])), (slice(None), [True, False, True])),
        (np.array([1]), np.array([1])),
    ]
    for li, ni in cases:
        np.testing.assert_array_equal(t[li].numpy(), a[ni])


def test_getitem_errors_name_the_index():
    t = lucid.ones(2, 3)
    with pytest.raises(IndexError, match=r"5.*\(2, 3\)"):
        t[5]
    with pytest.raises(IndexError, match=r"\(2, 3\)"):
        t[lucid.tensor([0.5])]


def test_getitem_gradient_accumulates_repeats():
    x = lucid.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x[lucid.tensor([0, 0, 2, 0])]
    (y * lucid.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    assert x.grad.tolist() == [7.0, 0.0, 3.0]


def test_setitem():
    t = lucid.zeros(2, 3)
    t[0] = 1.0
    t[1, lucid.tensor([0, 2])] = lucid.tensor([5.0, 6.0])
    t[t > 5.5] = -1.0
    t[:, 1] = lucid.tensor(9.0)
    assert t.tolist() == [[1.0, 9.0, 1.0], [5.0, 9.0, -1.0]]
    w = lucid.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad"):
        w[0] = 3.0
    with lucid.no_grad():
        w[0] = 3.0
    assert w.tolist() == [3.0, 1.0]


def test_indexing_and_scatter_accumulation_on_device(device):
    a = np.arange(12.0).reshape(3, 4)
    x = lucid.tensor(a, requires_grad=True, device=device)
    idx = lucid.tensor([2, 0, 2, 2], device=device)
    mask = lucid.tensor([True, False, True], device=device)
    y = x[idx].sum() + (x[mask] * 2).sum() + x[1:, [0, 0]].sum() + (x[x > 5.5] * 0.5).sum()
    y.backward()
    rows, keep = np.array([2, 0, 2, 2]), np.array([True, False, True])
    want = a[rows].sum() + (a[keep] * 2).sum() + a[1:, [0, 0]].sum() + (a[a > 5.5] * 0.5).sum()
    grad = np.zeros_like(a)
    np.add.at(grad, rows, 1.0)  # the repeated row gathers three times the gradient
    grad[keep] += 2.0
    grad[1:, 0] += 2.0
    grad[a > 5.5] += 0.5
    assert y.item() == want
    assert device_of(x.grad) == device
    np.testing.assert_array_equal(to_numpy(x.grad), grad)
    t = lucid.zeros(3, device=device)
    t[lucid.tensor([0, 2], device=device)] = 5.0
    t[t < 1] = lucid.tensor(-1.0, device=device)
    assert t.tolist() == [5.0, -1.0, 5.0]


# ---- operators ------------------------------------------------------------------------


def test_operators_with_scalars_keep_dtype():
    x = lucid.tensor([1.0, 2.0])
    for y in (x + 1, 1 + x, x - 1, 1 - x, x * 2, 2 * x, x / 2, 2 / x, x**2, 2**x, -x, +x, abs(x)):
        assert y.dtype == np.float32
    i = lucid.tensor([1, 2])
    assert (i + 1).dtype == np.int64 and (i * 2.5).dtype == np.float32 and (i / 2).dtype == np.float32
    assert (i + lucid.tensor([0.5, 0.5])).dtype == np.float32
    assert (x + lucid.tensor([1.0], dtype=lucid.Float64)).dtype == np.float64
    assert (x**np.float64(2)).dtype == np.float32
    assert (np.float64(2.0) * x).dtype == np.float32
    # NumPy operands defer to Tensor: the result is a Tensor
    assert isinstance(np.ones(2) + lucid.tensor([1, 2]), lucid.Tensor)
    assert (i // 1 if hasattr(i, "__floordiv__") else i).shape == (2,)


def test_comparisons_and_logic():
    x = lucid.tensor([1.0, 2.0, 3.0])
    assert (x == 2).tolist() == [False, True, False] and (x == 2).dtype == np.bool_
    assert (x != 2).tolist() == [True, False, True]
    assert (x < 2).tolist() == [True, False, False] and (x <= 2).tolist() == [True, True, False]
    assert (x > 2).tolist() == [False, False, True] and (x >= 2).tolist() == [False, True, True]
    assert (2 < x).tolist() == [False, False, True]
    m = x > 1
    assert (m & (x < 3)).tolist() == [False, True, False]
    assert (m | (x < 2)).tolist() == [True, True, True] and (m ^ (x < 3)).tolist() == [True, False, True]
    assert (~m).tolist() == [True, False, False]
    assert (x == None) is False  # noqa: E711  (falls back to identity, as for torch)
    assert x in [x]


def test_matmul_operator_and_errors():
    a, b = lucid.ones(2, 3), lucid.ones(3, 4)
    assert (a @ b).shape == (2, 4) and (a @ b).tolist()[0][0] == 3.0
    with pytest.raises(ValueError, match=r"\(2, 3\) @ \(2, 3\)"):
        a @ a
    with pytest.raises(ValueError, match="scalars"):
        lucid.matmul(lucid.tensor(1.0), a)


def test_len_iter_bool_repr():
    t = lucid.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert len(t) == 2
    rows = list(t)
    assert len(rows) == 2 and rows[1].tolist() == [3.0, 4.0]
    with pytest.raises(TypeError, match="0-d"):
        len(lucid.tensor(1.0))
    assert bool(lucid.tensor([1]))
    with pytest.raises(ValueError, match=r"\(2, 2\)"):
        bool(t)
    r = repr(t)
    assert r.startswith("Tensor(") and "3., 4." in r and "float32" in r
    rg = repr(lucid.tensor([1.0], requires_grad=True) * 2)
    assert "grad_fn=mul" in rg
    assert "requires_grad=True" in repr(lucid.tensor([1.0], requires_grad=True))
    assert [int(v) for v in lucid.tensor([3, 4])] == [3, 4]
    assert list(range(5))[lucid.tensor(2)] == 2  # __index__
    with pytest.raises(TypeError, match="integer"):
        [1, 2][lucid.tensor(1.0)]


def test_iteration_is_differentiable():
    x = lucid.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    total = None
    for k, row in enumerate(x):
        total = row.sum() * (k + 1) if total is None else total + row.sum() * (k + 1)
    total.backward()
    assert x.grad.tolist() == [[1.0, 1.0], [2.0, 2.0]]


def test_unsupported_operand_named():
    with pytest.raises(TypeError, match="str"):
        lucid.ones(2) + "a"


# ---- API.md's `lucid` section, name by name ---------------------------------------------

API_FUNCTIONS = [
    "Tensor", "tensor", "LongTensor", "IntTensor", "FloatTensor", "DoubleTensor", "HalfTensor", "BoolTensor",
    "matmul", "exp", "log", "sqrt", "tanh", "erf", "abs", "sum", "mean", "var", "max", "min", "argmax", "argmin",
    "where", "concatenate", "stack", "gather", "zeros", "ones", "full", "zeros_like", "ones_like", "arange",
    "no_grad", "grad_enabled", "save", "load",
]
API_DTYPES = ["Float16", "Float32", "Float64", "Int8", "Int16", "Int32", "Int64", "Bool", "Half", "Double",
              "Char", "Short", "Long", "Int", "Float"]
API_PROPERTIES = ["data", "grad", "requires_grad", "is_leaf", "shape", "ndim", "size", "dtype", "device", "T"]
API_METHODS = [
    "backward", "item", "tolist", "numpy", "detach", "zero_grad", "astype", "to", "cpu", "gpu", "is_cpu", "is_gpu",
    "reshape", "swapaxes", "transpose", "expand", "squeeze", "unsqueeze", "sum", "mean", "var", "max", "min",
    "argmax", "argmin", "exp", "log", "sqrt", "tanh", "abs", "long", "int", "float", "half", "double", "bool",
    "__getitem__", "__setitem__", "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
    "__truediv__", "__rtruediv__", "__pow__", "__rpow__", "__matmul__", "__rmatmul__", "__neg__", "__eq__",
    "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__len__", "__iter__", "__repr__",
]


@pytest.mark.parametrize("name", API_FUNCTIONS + API_DTYPES)
def test_api_names_exist(name):
    obj = getattr(lucid, name)
    if name not in API_DTYPES:
        assert callable(obj) and obj.__doc__ and ">>>" in obj.__doc__, f"{name} needs a docstring example"


def test_api_random_names():
    for name in ("seed", "rand", "randn", "randint"):
        fn = getattr(lucid.random, name)
        assert callable(fn) and ">>>" in (fn.__doc__ or ""), name


@pytest.mark.parametrize("name", API_PROPERTIES + API_METHODS)
def test_api_tensor_attributes(name):
    t = lucid.tensor([[1.0, 2.0]], requires_grad=True)
    assert hasattr(t, name)
    attr = getattr(type(t), name, None)
    if not name.startswith("__") and name not in ("data", "grad", "requires_grad"):
        assert ">>>" in (attr.__doc__ or ""), f"Tensor.{name} needs a docstring example"


def test_rmatmul_with_numpy_left_operand():
    out = np.ones((1, 2)) @ lucid.tensor([[1.0], [2.0]])
    assert isinstance(out, lucid.Tensor) and out.tolist() == [[3.0]]


def test_full_dtype_follows_numpy_scalars_like_python_ones():
    assert lucid.full((2,), np.int64(3)).dtype == lucid.Int64
    assert lucid.full((2,), np.bool_(True)).dtype == lucid.Bool
    assert lucid.full((2,), np.float64(0.5)).dtype == lucid.Float32
