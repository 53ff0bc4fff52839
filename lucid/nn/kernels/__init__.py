"""Fused ops with hand-written backward passes, one module per op.

Each module keeps a plain ``xp`` implementation (NumPy or CuPy, any float dtype) as the
reference; NumPy float32 paths run in cache-sized blocks over a few threads
(:mod:`._blocks`). Where a CUDA kernel exists (:mod:`.cuda`, array-in, array-out leaves),
the op asks :func:`.cuda.takes` once and calls the kernel or runs its own reference; the
kernels never call back up. :mod:`lucid.nn.functional` validates arguments and calls these.
"""

from ._blocks import get_num_threads, set_num_threads, single_threaded_blas

__all__ = ["get_num_threads", "set_num_threads", "single_threaded_blas"]
