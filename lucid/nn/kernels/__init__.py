"""Fused ops with hand-written backward passes, one module per op.

Each module keeps a plain ``xp`` implementation (NumPy or CuPy, any float dtype) as the
reference; NumPy float32 paths run in cache-sized blocks over a few threads
(:mod:`._blocks`), and a CuPy-specific kernel can be added beside the ``xp`` code without
changing callers. :mod:`lucid.nn.functional` validates arguments and calls these.
"""

from ._blocks import get_num_threads, set_num_threads, single_threaded_blas

__all__ = ["get_num_threads", "set_num_threads", "single_threaded_blas"]
