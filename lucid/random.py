"""Random numbers: one generator per device, all seeded together by :func:`seed`."""

from __future__ import annotations

import numpy as np

from . import _backend
from ._tensor import Tensor

_seed = None
_generators = {}


def seed(n: int) -> None:
    """Seed the CPU generator and (when used) the GPU generator.

    Example:
        >>> import lucid
        >>> lucid.random.seed(0); a = lucid.random.rand(2).tolist()
        >>> lucid.random.seed(0); a == lucid.random.rand(2).tolist()
        True
    """
    global _seed
    if not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"seed must be a non-negative int, got {n!r}")
    _seed = int(n)
    _generators.clear()


def generator(device: str = "cpu"):
    """The generator of ``device`` (``numpy.random.Generator`` or ``cupy.random.Generator``).

    Example:
        >>> import lucid
        >>> int(lucid.random.generator("cpu").integers(0, 1))
        0
    """
    device = _backend.check_device(device)
    gen = _generators.get(device)
    if gen is None:
        xp = _backend.get_xp(device)
        if device == "cpu":
            gen = np.random.default_rng(_seed)
        else:
            gen = xp.random.default_rng(_seed if _seed is not None else np.random.SeedSequence().entropy % 2**63)
        _generators[device] = gen
    return gen


def _shape(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _draw_dtype(dtype):
    """The dtype to draw in: the generators draw only float32 or float64, so other dtypes
    are drawn in float64 and cast."""
    return np.float32 if np.dtype(dtype) == np.float32 else np.float64


def rand(*shape, device="cpu", dtype="float32", requires_grad=False):
    """Uniform samples in ``[0, 1)``.

    Example:
        >>> import lucid
        >>> lucid.random.rand(2, 3).shape
        (2, 3)
    """
    arr = generator(device).random(_shape(shape), dtype=_draw_dtype(dtype))
    return Tensor(arr.astype(dtype, copy=False), requires_grad=requires_grad)


def randn(*shape, device="cpu", dtype="float32", requires_grad=False):
    """Standard normal samples; ``shape`` as ints or one tuple.

    Example:
        >>> import lucid
        >>> lucid.random.randn((2, 3)).dtype
        dtype('float32')
    """
    arr = generator(device).standard_normal(_shape(shape), dtype=_draw_dtype(dtype))
    return Tensor(arr.astype(dtype, copy=False), requires_grad=requires_grad)


def randint(low, high=None, size=(), device="cpu", dtype="int64"):
    """Integers in ``[low, high)`` (``[0, low)`` when ``high`` is omitted); ``size`` an int or tuple.

    Example:
        >>> import lucid
        >>> t = lucid.random.randint(0, 10, (2, 3))
        >>> t.shape, t.dtype
        ((2, 3), dtype('int64'))
    """
    if high is None:
        low, high = 0, low
    size = (size,) if isinstance(size, int) else tuple(size)
    arr = generator(device).integers(low, high, size=size)
    return Tensor(arr.astype(dtype, copy=False))


def uniform(low=0.0, high=1.0, size=(), device="cpu", dtype="float32"):
    """Uniform samples in ``[low, high)``.

    Example:
        >>> import lucid
        >>> bool((lucid.random.uniform(-1.0, 1.0, (4,)).abs() <= 1).numpy().all())
        True
    """
    size = (size,) if isinstance(size, int) else tuple(size)
    arr = generator(device).uniform(low, high, size=size)
    return Tensor(arr.astype(dtype, copy=False))
