"""CuPy kernels for the fused ops: leaves that take CuPy arrays and return CuPy arrays.

Each kernel returns the same results as the ``xp`` reference code it stands in for in
:mod:`lucid.nn.kernels` (the GPU tests check one against the other). A kernel builds no
graph, checks no arguments and never falls back: the op in :mod:`lucid.nn.kernels` asks
:func:`takes` once and either calls the kernel or runs its own reference. Kernels are
built on first use and cached; nothing here imports CuPy until a GPU array reaches it.
Float16 data is read and written as float16 and computed in float32.

The :func:`disabled` context turns the kernels off on the calling thread (like grad mode
and autocast, the switch is per thread), so the reference code runs on the GPU.

Example:
    >>> import numpy as np
    >>> from lucid.nn.kernels import cuda
    >>> cuda.takes(np.zeros(2, np.float32))  # NumPy arrays never take a CUDA kernel
    False
    >>> with cuda.disabled():
    ...     cuda.enabled()
    False
"""

from __future__ import annotations

import contextlib
import threading

from ...._backend import is_gpu_array
from ._build import C_TYPES
from .cross_entropy import cross_entropy_arrays
from .dropout import dropout_backward, dropout_forward
from .gelu import gelu_arrays
from .layer_norm import layer_norm_arrays, layer_norm_backward_arrays
from .softmax import softmax_backward_rows_, softmax_rows_

__all__ = [
    "cross_entropy_arrays", "disabled", "dropout_backward", "dropout_forward", "enabled", "gelu_arrays",
    "layer_norm_arrays", "layer_norm_backward_arrays", "softmax_backward_rows_", "softmax_rows_", "takes",
]

_state = threading.local()


def enabled() -> bool:
    """Whether GPU arrays go through the CUDA kernels on this thread (True unless inside
    :func:`disabled`).

    Example:
        >>> from lucid.nn.kernels import cuda
        >>> cuda.enabled()
        True
    """
    return getattr(_state, "enabled", True)


def takes(arr, ndim=None) -> bool:
    """Whether a CUDA kernel takes ``arr``: kernels enabled on this thread, ``arr`` a CuPy
    array of float32 or float16, and (given ``ndim``) of ``ndim`` dimensions.

    The one dispatch question of :mod:`lucid.nn.kernels`: asked once per call, it picks
    the kernel or the op's own ``xp`` reference.

    Example:
        >>> import numpy as np
        >>> from lucid.nn.kernels import cuda
        >>> cuda.takes(np.ones((2, 3), np.float32), ndim=2)
        False
    """
    return (is_gpu_array(arr) and enabled() and arr.dtype in C_TYPES
            and (ndim is None or arr.ndim == ndim))


@contextlib.contextmanager
def disabled():
    """Run the plain ``xp`` reference code on GPU arrays inside this block, on this thread
    only (for tests and for measuring what a kernel gains).

    Example:
        >>> from lucid.nn.kernels import cuda
        >>> with cuda.disabled():
        ...     cuda.enabled()
        False
        >>> cuda.enabled()
        True
    """
    prev = enabled()
    _state.enabled = False
    try:
        yield
    finally:
        _state.enabled = prev
