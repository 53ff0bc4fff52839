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
    if not isinstance(device, str) or device not in DEVICES:
        raise ValueError(f"unknown device {device!r}: expected 'cpu' or 'gpu'")
    return device


_INSTALL_HINT = (
    "install CuPy for your CUDA version with `pip install \"lucid[gpu]\"` (CUDA 12) "
    "or `pip install cupy-cuda11x` (CUDA 11)"
)


def _import_cupy():
    """CuPy, imported on first use; RuntimeError saying whether CuPy or a CUDA GPU is missing."""
    global _cupy
    if _cupy is not None:
        return _cupy
    try:
        import cupy
    except ImportError as err:
        raise RuntimeError(f"device 'gpu' needs CuPy, which is not installed here: {_INSTALL_HINT}") from err
    try:
        count = cupy.cuda.runtime.getDeviceCount()
        problem = ""
    except Exception as err:  # no CUDA driver, or a broken one
        count, problem = 0, f" ({type(err).__name__}: {err})"
    if count < 1:
        raise RuntimeError(
            "device 'gpu' needs a CUDA GPU, but CuPy is installed and found no CUDA device or driver"
            f"{problem}; use device='cpu' here, or run on a machine with an NVIDIA GPU and {_INSTALL_HINT}"
        )
    _cupy = cupy
    return cupy


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
    if device == "cpu":
        return np
    if device == "gpu":
        return _cupy if _cupy is not None else _import_cupy()
    raise ValueError(f"unknown device {device!r}: expected 'cpu' or 'gpu'")


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
