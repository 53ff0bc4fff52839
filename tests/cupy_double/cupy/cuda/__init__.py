"""``cupy.cuda``: device queries and ``Device`` for the one pretend device."""

from __future__ import annotations

from . import runtime
from .runtime import CUDARuntimeError


def is_available():
    """Whether a CUDA device is there: the double pretends so."""
    return True


def get_device_id():
    """The current device's ordinal (always 0)."""
    return 0


class Device:
    """``cupy.cuda.Device(device=None)``: ordinal, context manager, ``synchronize``.

    Only device 0 exists; ``use()`` (or ``with``) on another raises ``CUDARuntimeError`` as
    CuPy does for an ordinal past ``getDeviceCount()``.
    """

    def __init__(self, device=None):
        self.id = 0 if device is None else int(device)

    def _check(self):
        if not 0 <= self.id < runtime.getDeviceCount():
            raise CUDARuntimeError("cudaErrorInvalidDevice: invalid device ordinal")

    def use(self):
        self._check()

    def synchronize(self):
        self._check()

    @property
    def compute_capability(self):
        self._check()
        return "90"

    def __enter__(self):
        self._check()
        return self

    def __exit__(self, *exc):
        return False

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self):
        return hash(("Device", self.id))

    def __int__(self):
        return self.id

    def __repr__(self):
        return f"<CUDA Device {self.id}>"
