"""GELU (exact and tanh) forward with its derivative, optionally with a bias added first,
as CuPy ``ElementwiseKernel`` s: one pass reads ``x`` (and the bias) and writes ``y`` and
``gelu'(x)``, where the ``xp`` reference makes about ten passes."""

from __future__ import annotations

import math

from ...._function import make_result, needs_grad
from ....ops._util import check_same_device
from .._common import compute_dtype
from . import _build

_K = math.sqrt(2.0 / math.pi)
_C3 = 0.044715
_INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _body(approximate: str, want_grad: bool, bias: bool) -> str:
    load = "const float v = (float)x + (float)b[i % n];" if bias else "const float v = (float)x;"
    if approximate == "tanh":
        core = (
            f"const float u = {_K!r}f * (v + {_C3!r}f * v * v * v);"
            "const float th = tanhf(u);"
            "const float h = 0.5f * (1.0f + th);"
            "y = (T)(v * h);"
        )
        grad = f"d = (T)(h + 0.5f * v * (1.0f - th * th) * {_K!r}f * (1.0f + {3 * _C3!r}f * v * v));"
    else:
        core = "const float c = normcdff(v); y = (T)(v * c);"
        grad = f"d = (T)(c + v * {_INV_SQRT2PI!r}f * expf(-0.5f * v * v));"
    return load + core + (grad if want_grad else "")


def _kernel(approximate: str, want_grad: bool, bias: bool):
    name = f"lucid_gelu_{approximate}{'_grad' if want_grad else ''}{'_bias' if bias else ''}"
    in_params = "T x, raw B b, int32 n" if bias else "T x"
    out_params = "T y, T d" if want_grad else "T y"
    return _build.elementwise(name, in_params, out_params, _body(approximate, want_grad, bias))


def _reference(x, approximate, want_grad):
    from .. import gelu as ref

    return ref._reference(_build.cupy(), x, approximate, want_grad)


def gelu_arrays(x, approximate="none", want_grad=False, bias=None):
    """``(gelu(x + bias), gelu'(x + bias) or None)`` for a CuPy array ``x`` (``bias`` a 1-D
    array over the last axis, or None); float32 and float16 run the kernel, other dtypes
    the reference. Same results as :func:`lucid.nn.kernels.gelu.gelu_arrays`."""
    if x.dtype not in _build.C_TYPES:
        if bias is not None:
            x = (x + bias).astype(x.dtype, copy=False)
        return _reference(x, approximate, want_grad)
    k = _kernel(approximate, want_grad, bias is not None)
    if bias is None:
        out = k(x)
    else:
        cp = _build.cupy()
        out = k(cp.ascontiguousarray(x), cp.ascontiguousarray(bias), _build.i32(bias.shape[0]))
    return out if want_grad else (out, None)


def bias_gelu(a, bias, approximate="none"):
    """``gelu(a + bias)`` as one op (``bias`` a 1-D tensor over the last axis of ``a``),
    one fused kernel on the GPU; the output has ``a``'s dtype.

    On the GPU this saves the pass that adds the bias to a linear layer's output; the
    backward pass is one multiply for ``a`` and a column sum for ``bias``.

    Example:
        >>> import lucid
        >>> from lucid.nn.kernels.cuda import bias_gelu
        >>> y = bias_gelu(lucid.tensor([[0.0, -1.0]]), lucid.tensor([1.0, 1.0]))
        >>> [round(v, 4) for v in y.tolist()[0]]
        [0.8413, 0.0]
    """
    from .. import gelu as ref
    from . import active

    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu approximate must be 'none' or 'tanh', got {approximate!r}")
    check_same_device(a, bias)
    n = a.shape[-1] if a.ndim else 1
    if bias.shape != (n,):
        raise ValueError(f"bias_gelu bias must have shape ({n},) to match input of shape {a.shape}, got {bias.shape}")
    x, b = a.data, bias.data
    want = needs_grad(a, bias)
    if active(x):
        y, d = gelu_arrays(x, approximate, want, b)
    else:
        y, d = ref.gelu_arrays((x + b).astype(x.dtype, copy=False), approximate, want)

    def backward(g):
        gd = g * d
        gb = gd.reshape(-1, n).sum(axis=0, dtype=compute_dtype(gd.dtype)) if bias.requires_grad else None
        return gd, gb

    return make_result(y, (a, bias), backward if want else None, "bias_gelu")
