"""Device handling: ``"cpu"`` maps to NumPy, ``"gpu"`` to CuPy (imported lazily)."""

from __future__ import annotations

import numpy as np

DEVICES = ("cpu", "gpu")
_cupy = None


def check_device(device) -> str:
    """Return ``device`` as ``"cpu"`` or ``"gpu"``; raise ``ValueError`` for any other name.

    Example:
        >>> check_device("cpu")
        'cpu'
    """
    if device not in DEVICES:
        raise ValueError(f"unknown device {device!r}: expected 'cpu' or 'gpu'")
    return device


def _import_cupy():
    global _cupy
    if _cupy is None:
        try:
            import cupy
        except ImportError as err:
            raise RuntimeError(
                "device 'gpu' needs CuPy, which is not installed: install it with "
                "`pip install lucid[gpu]` (or `pip install cupy-cuda12x` for CUDA 12)"
            ) from err
        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception:  # CUDA driver missing or broken
            count = 0
        if count < 1:
            raise RuntimeError("device 'gpu' needs a CUDA GPU, but CuPy found no CUDA device here")
        _cupy = cupy
    return _cupy


def gpu_available() -> bool:
    """Whether CuPy is installed and sees at least one CUDA device.

    Example:
        >>> isinstance(gpu_available(), bool)
        True
    """
    try:
        _import_cupy()
    except RuntimeError:
        return False
    return True


def get_xp(device: str):
    """The array module for ``device``: ``numpy`` or ``cupy``.

    Example:
        >>> get_xp("cpu") is np
        True
    """
    if check_device(device) == "cpu":
        return np
    return _import_cupy()


def is_gpu_array(arr) -> bool:
    """Whether ``arr`` is a CuPy array (without importing CuPy when it is not loaded)."""
    return _cupy is not None and isinstance(arr, _cupy.ndarray)


def device_of(arr) -> str:
    """The device an array lives on.

    Example:
        >>> device_of(np.zeros(2))
        'cpu'
    """
    if isinstance(arr, np.ndarray) or np.isscalar(arr) or isinstance(arr, np.generic):
        return "cpu"
    if is_gpu_array(arr):
        return "gpu"
    if type(arr).__module__.startswith("cupy"):
        _import_cupy()
        return "gpu"
    return "cpu"


def to_device(arr, device: str):
    """Copy ``arr`` to ``device`` when it is elsewhere; return it unchanged otherwise."""
    device = check_device(device)
    if device_of(arr) == device:
        return arr
    if device == "cpu":
        return arr.get()
    return _import_cupy().asarray(arr)


def to_numpy(arr) -> np.ndarray:
    """A NumPy array with the data of ``arr`` (copied from the GPU when needed)."""
    return arr.get() if is_gpu_array(arr) else np.asarray(arr)
