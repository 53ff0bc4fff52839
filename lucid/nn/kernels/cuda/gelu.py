"""GELU (exact and tanh) forward with its derivative, optionally with a bias added first,
as CuPy ``ElementwiseKernel`` s: one pass reads ``x`` (and the bias) and writes ``y`` and
``gelu'(x)``, where the ``xp`` reference makes about ten passes."""

from __future__ import annotations

import math

from ...._backend import xp_of
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


def gelu_arrays(x, approximate="none", want_grad=False, bias=None):
    """``(gelu(x + bias), gelu'(x + bias) or None)`` for a CuPy float32/float16 array ``x``
    (``bias`` a 1-D array over the last axis, or None), in ``x``'s dtype. Same results as
    :func:`lucid.nn.kernels.gelu.gelu_arrays` on ``x + bias``."""
    k = _kernel(approximate, want_grad, bias is not None)
    if bias is None:
        out = k(x)
    else:
        cp = xp_of(x)
        out = k(cp.ascontiguousarray(x), cp.ascontiguousarray(bias), _build.i32(bias.shape[0]))
    return out if want_grad else (out, None)
