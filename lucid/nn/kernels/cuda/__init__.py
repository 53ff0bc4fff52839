"""CuPy kernels for the fused ops, used when the data lives on the GPU.

Each kernel takes the same arrays and returns the same results as the ``xp`` function it
replaces in :mod:`lucid.nn.kernels` (that function stays the reference the GPU tests check
these against). Kernels are built on first use and cached; nothing here imports CuPy
until a GPU array reaches it. Float16 data is read and written as float16 and computed
in float32.

The kernel modules consult :func:`active` at the top of their array functions; the
:func:`disabled` context turns the kernels off so the reference path runs on the GPU.

Example:
    >>> import numpy as np
    >>> from lucid.nn.kernels import cuda
    >>> cuda.active(np.zeros(2))  # NumPy arrays never take the CUDA path
    False
    >>> with cuda.disabled():
    ...     cuda.enabled()
    False
"""

from __future__ import annotations

import contextlib

import numpy as np

from .cross_entropy import cross_entropy_arrays
from .dropout import dropout
from .gelu import bias_gelu, gelu_arrays
from .layer_norm import layer_norm_arrays, layer_norm_backward_arrays
from .softmax import softmax_backward_rows_, softmax_rows_

__all__ = [
    "active", "bias_gelu", "cross_entropy_arrays", "disabled", "dropout", "enabled", "gelu_arrays",
    "layer_norm_arrays", "layer_norm_backward_arrays", "softmax_backward_rows_", "softmax_rows_",
]

_enabled = True


def enabled() -> bool:
    """Whether GPU arrays go through the CUDA kernels (True unless inside :func:`disabled`).

    Example:
        >>> from lucid.nn.kernels import cuda
        >>> cuda.enabled()
        True
    """
    return _enabled


def active(arr) -> bool:
    """Whether ``arr`` should take a CUDA kernel: kernels enabled and ``arr`` not a NumPy array.

    Example:
        >>> import numpy as np
        >>> from lucid.nn.kernels import cuda
        >>> cuda.active(np.ones(3))
        False
    """
    return _enabled and not isinstance(arr, np.ndarray)


@contextlib.contextmanager
def disabled():
    """Run the plain ``xp`` reference code on GPU arrays inside this block (for tests and
    for measuring what a kernel gains).

    Example:
        >>> from lucid.nn.kernels import cuda
        >>> with cuda.disabled():
        ...     cuda.enabled()
        False
        >>> cuda.enabled()
        True
    """
    global _enabled
    prev = _enabled
    _enabled = False
    try:
        yield
    finally:
        _enabled = prev
