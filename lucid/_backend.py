"""Floor 0 of the library: which array module holds what, and which device a name means.

``"cpu"`` maps to NumPy, ``"gpu"`` to CuPy, which is imported lazily (CPU users never need
it). Every "which array module / is this an array / are these on one device" question in
the library is answered here, once.

Example:
    >>> import numpy as np
    >>> xp_of(np.zeros(2)) is np, is_array(np.zeros(2)), is_array([1.0])
    (True, True, False)
"""

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


def is_gpu_array(obj) -> bool:
    """Whether ``obj`` is a CuPy array. A CuPy array met before CuPy was first imported
    here (its type comes from a ``cupy`` module) imports and checks CuPy.

    Example:
        >>> is_gpu_array(np.zeros(1))
        False
    """
    if _cupy is not None:
        return isinstance(obj, _cupy.ndarray)
    if type(obj).__module__.split(".")[0] == "cupy":
        return isinstance(obj, _import_cupy().ndarray)
    return False


def is_array(obj) -> bool:
    """Whether ``obj`` is a NumPy or a CuPy array (not a scalar, list or tensor).

    Example:
        >>> is_array(np.ones(2)), is_array(np.float32(1)), is_array([1])
        (True, False, False)
    """
    return isinstance(obj, np.ndarray) or is_gpu_array(obj)


def xp_of(arr):
    """``numpy`` or ``cupy``, whichever holds array ``arr`` (NumPy for host scalars).

    Example:
        >>> xp_of(np.ones(2)).__name__
        'numpy'
    """
    if isinstance(arr, (np.ndarray, np.generic)) or not is_gpu_array(arr):
        return np
    return _cupy


def device_of(arr) -> str:
    """The device an array lives on (host scalars and other data: ``"cpu"``).

    Example:
        >>> device_of(np.zeros(2))
        'cpu'
    """
    return "cpu" if xp_of(arr) is np else "gpu"


def to_device(arr, device: str):
    """Copy ``arr`` to ``device`` when it is elsewhere; return it unchanged otherwise.

    Example:
        >>> a = np.ones(2)
        >>> to_device(a, "cpu") is a
        True
    """
    device = check_device(device)
    if device_of(arr) == device:
        return arr
    if device == "cpu":
        return arr.get()
    return _import_cupy().asarray(arr)


def to_numpy(arr) -> np.ndarray:
    """A NumPy array with the data of ``arr`` (copied from the GPU when needed).

    Example:
        >>> to_numpy([1, 2]).tolist()
        [1, 2]
    """
    return arr.get() if is_gpu_array(arr) else np.asarray(arr)


def check_on(device: str, t, name: str, owner: str = "the model"):
    """Raise ``RuntimeError`` naming both devices and both owners when tensor ``t``
    (argument ``name``) is not on ``device`` (``owner``'s device).

    Example:
        >>> import lucid
        >>> check_on("cpu", lucid.ones(1), "input_ids")
    """
    if t.device != device:
        raise RuntimeError(
            f"expected all tensors on the same device, found devices '{device}' ({owner}) and "
            f"'{t.device}' ({name}); move one with .to(device)"
        )


def check_same_device(*tensors, names=None):
    """Raise ``RuntimeError`` naming both devices (and, given ``names``, both arguments)
    when ``tensors`` (anything with a ``.device``; None is skipped) are not all on one device.

    Example:
        >>> import lucid
        >>> check_same_device(lucid.ones(1), lucid.zeros(1))
    """
    present = [(t, None if names is None else names[i]) for i, t in enumerate(tensors) if t is not None]
    if not present:
        return
    first, first_name = present[0]
    for t, name in present[1:]:
        if t.device != first.device:
            if names is not None:
                check_on(first.device, t, name, first_name)
            raise RuntimeError(
                f"expected all tensors on the same device, found devices '{first.device}' and '{t.device}'; "
                "move one with .to(device)"
            )
