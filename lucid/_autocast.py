"""Autocast state and casting rules: which ops run in which precision, per thread.

This module sits on the floor beside :mod:`lucid._function` and imports no op: the ops
(``matmul``, and ``linear``, ``layer_norm``, ... in :mod:`lucid.nn.functional`) ask
:func:`on` and cast their inputs with :func:`low` (float16 GEMMs) or :func:`high`
(float32 reductions). The public names are re-exported by :mod:`lucid.amp`, beside
``GradScaler``.

Example:
    >>> with autocast(device="cpu"):
    ...     on("cpu"), on("gpu")
    (True, False)
"""

from __future__ import annotations

import functools
import threading

import numpy as np

from ._backend import check_device
from ._dtype import to_dtype

__all__ = ["autocast", "get_autocast_dtype", "is_autocast_enabled"]

_state = threading.local()  # .active: {device: dtype} of the autocast regions in force on this thread
_FLOAT16 = np.dtype(np.float16)
_FLOAT32 = np.dtype(np.float32)


def _active() -> dict:
    act = getattr(_state, "active", None)
    if act is None:
        act = _state.active = {}
    return act


class autocast:
    """Context manager and decorator that runs selected ops in lower precision on ``device``.

    Args:
        device: ``"gpu"`` (default) or ``"cpu"``; tensors on other devices are untouched.
        dtype: the lower-precision dtype, ``lucid.Float16`` (default) or ``lucid.Float32``
            (which makes the region a no-op for float32 models).
        enabled: ``False`` turns autocast off inside the region (e.g. for a part of the
            model that must run in float32), even within an enclosing autocast.

    Regions nest; leaving one restores the previous setting. The setting is per thread.

    Example:
        >>> import lucid, lucid.nn.functional as F
        >>> x, w = lucid.ones(2, 3), lucid.ones(4, 3)
        >>> with lucid.amp.autocast(device="cpu"):
        ...     y = F.linear(x, w)
        ...     with lucid.amp.autocast(device="cpu", enabled=False):
        ...         z = F.linear(x, w)
        >>> y.dtype, z.dtype
        (dtype('float16'), dtype('float32'))
    """

    def __init__(self, device="gpu", dtype=None, enabled=True):
        self.device = check_device(device)
        dtype = _FLOAT16 if dtype is None else to_dtype(dtype)
        if dtype not in (_FLOAT16, _FLOAT32):
            raise ValueError(f"autocast dtype must be float16 or float32, got {dtype}")
        if not isinstance(enabled, bool):
            raise TypeError(f"autocast enabled must be a bool, got {enabled!r}")
        self.dtype = dtype
        self.enabled = enabled
        self._prev = []

    def __enter__(self):
        act = _active()
        self._prev.append(act.get(self.device))
        if self.enabled:
            act[self.device] = self.dtype
        else:
            act.pop(self.device, None)
        return self

    def __exit__(self, *exc):
        prev = self._prev.pop()
        act = _active()
        if prev is None:
            act.pop(self.device, None)
        else:
            act[self.device] = prev
        return False

    def __call__(self, fn):
        device, dtype, enabled = self.device, self.dtype, self.enabled

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with autocast(device, dtype, enabled):
                return fn(*args, **kwargs)

        return wrapper


def is_autocast_enabled(device="gpu") -> bool:
    """Whether an autocast region is in force for ``device`` on this thread.

    Example:
        >>> import lucid
        >>> with lucid.amp.autocast(device="cpu"):
        ...     lucid.amp.is_autocast_enabled("cpu"), lucid.amp.is_autocast_enabled("gpu")
        (True, False)
    """
    return check_device(device) in _active()


def get_autocast_dtype(device="gpu"):
    """The lower-precision dtype of the autocast region in force for ``device``, or None.

    Example:
        >>> import lucid
        >>> with lucid.amp.autocast(device="cpu"):
        ...     lucid.amp.get_autocast_dtype("cpu")
        dtype('float16')
    """
    return _active().get(check_device(device))


# ---- hooks the ops call (cheap when no region is active) ------------------------------
def on(device) -> bool:
    """Whether ops on ``device`` are autocast right now (the fast check the ops make)."""
    act = getattr(_state, "active", None)
    return bool(act) and device in act


def _cast(tensors, target, widen_only):
    out = []
    for t in tensors:
        # float64 is never cast, as in PyTorch: a float64 tensor opted out of lower precision
        if t is not None and t.data.dtype.kind == "f" and t.data.dtype != target and t.data.dtype.itemsize < 8:
            if not widen_only or t.data.dtype.itemsize < target.itemsize:
                t = t.astype(target)  # the graph op bound by lucid.ops (no import of the ops here)
        out.append(t)
    return tuple(out)


def low(*tensors):
    """``tensors`` with float16/float32 ones cast to the autocast dtype of their device (float64
    and None pass)."""
    device = next(t.device for t in tensors if t is not None)
    return _cast(tensors, _active()[device], widen_only=False)


def high(*tensors):
    """``tensors`` with float16 ones cast to float32 (None passes)."""
    return _cast(tensors, _FLOAT32, widen_only=True)
