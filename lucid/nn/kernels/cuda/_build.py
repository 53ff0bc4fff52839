"""Lazy construction and caching of CuPy kernels (CuPy is imported on first use only)."""

from __future__ import annotations

import string
import threading

import numpy as np

from ...._backend import get_xp

_lock = threading.Lock()
_cache = {}

#: C type names of the element types the raw kernels are instantiated for.
C_TYPES = {np.dtype(np.float32): "float", np.dtype(np.float16): "__half"}

#: Shared preamble of the raw kernels: float16 load/store in float32 and warp reductions.
PREAMBLE = r"""
#include <cuda_fp16.h>
#define NEG_INF __int_as_float((int)0xff800000u)
__device__ __forceinline__ float ld(float v) { return v; }
__device__ __forceinline__ float ld(__half v) { return __half2float(v); }
__device__ __forceinline__ void st(float* p, float v) { *p = v; }
__device__ __forceinline__ void st(__half* p, float v) { *p = __float2half_rn(v); }
__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}
"""

#: Threads per block of the row kernels: one warp per row, 8 rows per block.
ROW_THREADS = 256
ROWS_PER_BLOCK = ROW_THREADS // 32


def cached(key, make):
    """``make()`` on the first call for ``key``, the same object afterwards."""
    obj = _cache.get(key)
    if obj is None:
        with _lock:
            obj = _cache.get(key)
            if obj is None:
                obj = _cache[key] = make()
    return obj


def c_type(dtype) -> str:
    """The C type of a float32/float16 array element; TypeError for other dtypes."""
    try:
        return C_TYPES[np.dtype(dtype)]
    except KeyError:
        raise TypeError(f"the CUDA kernels take float32 or float16 arrays, got dtype {np.dtype(dtype)}") from None


def _suffix(dtype) -> str:
    """The kernel-name suffix of an element type: ``"f32"`` or ``"f16"``."""
    return "f16" if c_type(dtype) == "__half" else "f32"


def raw_source(template: str, dtype) -> str:
    """The full CUDA source of a row kernel for element type ``dtype`` (``$T`` in the
    template is the C type, ``$S`` the kernel-name suffix)."""
    body = string.Template(template).substitute(T=c_type(dtype), S=_suffix(dtype))
    return PREAMBLE + body


def raw_kernel(name: str, template: str, dtype):
    """The cached ``cupy.RawKernel`` ``name`` for ``dtype`` (compiled when first launched)."""
    suffix = _suffix(dtype)

    def make():
        return get_xp("gpu").RawKernel(raw_source(template, dtype), f"{name}_{suffix}")

    return cached(("raw", name, suffix), make)


def row_grid(rows: int):
    """Grid and block sizes for a one-warp-per-row kernel over ``rows`` rows."""
    return (max(1, -(-rows // ROWS_PER_BLOCK)),), (ROW_THREADS,)


def elementwise(name: str, in_params: str, out_params: str, body: str, preamble: str = ""):
    """The cached ``cupy.ElementwiseKernel`` ``name``."""
    return cached(
        ("ew", name),
        lambda: get_xp("gpu").ElementwiseKernel(in_params, out_params, body, name, preamble=preamble),
    )


def reduction(name: str, in_params: str, out_params: str, map_expr: str, reduce_expr: str, post_map: str,
              identity: str):
    """The cached ``cupy.ReductionKernel`` ``name``."""
    return cached(
        ("red", name),
        lambda: get_xp("gpu").ReductionKernel(in_params, out_params, map_expr, reduce_expr, post_map, identity, name),
    )


def i32(v):
    """``v`` as the ``int`` argument of a raw kernel."""
    return np.int32(v)


def f32(v):
    """``v`` as the ``float`` argument of a raw kernel."""
    return np.float32(v)
