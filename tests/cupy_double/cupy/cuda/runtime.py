"""``cupy.cuda.runtime``: one pretend device."""

from __future__ import annotations


class CUDARuntimeError(RuntimeError):
    """As CuPy's: a CUDA runtime call failed (here: a device ordinal out of range)."""


def getDeviceCount():
    """The number of CUDA devices: the double pretends to have one."""
    return 1


def deviceSynchronize():
    """Nothing to wait for: the double runs every routine at once."""


def runtimeGetVersion():
    """The CUDA runtime version the double claims (12.0)."""
    return 12000
