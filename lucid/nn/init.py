"""Weight initialisation, in place, with PyTorch's formulas.

Every function overwrites ``t.data`` on ``t``'s own device using
``lucid.random.generator(t.device)`` (so ``lucid.random.seed`` makes it reproducible),
records no graph (as PyTorch's, which run under ``no_grad``), bumps ``t``'s version counter
(a graph that saved ``t`` refuses to backward through the new values) and returns ``t``.
The names ending in ``_`` are aliases for code ported from PyTorch.
"""

from __future__ import annotations

import math

import numpy as np

from .. import random as _random
from .._tensor import mark_modified

__all__ = [
    "calculate_gain", "constant", "constant_", "kaiming_normal", "kaiming_normal_", "kaiming_uniform",
    "kaiming_uniform_", "normal", "normal_", "ones", "ones_", "uniform", "uniform_", "xavier_normal",
    "xavier_normal_", "xavier_uniform", "xavier_uniform_", "zeros", "zeros_",
]


def _draw_dtype(arr):
    # draw in float32 (float64 for float64 tensors) and let assignment cast to float16
    return np.float64 if arr.dtype == np.float64 else np.float32


def _check(t, fn):
    if not hasattr(t, "data") or not hasattr(t.data, "dtype"):
        raise TypeError(f"{fn} expects a lucid Tensor, got {type(t).__name__}")
    if t.data.dtype.kind != "f":
        raise TypeError(f"{fn} needs a floating-point tensor, got dtype {t.data.dtype}")


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for an activation (PyTorch's table): 1 for linear/sigmoid,
    5/3 for tanh, sqrt(2) for relu, sqrt(2 / (1 + slope**2)) for leaky_relu, 3/4 for selu.

    Example:
        >>> round(calculate_gain("relu"), 4)
        1.4142
    """
    if nonlinearity in ("linear", "identity", "sigmoid", "conv1d", "conv2d", "conv3d"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"negative_slope {slope!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}")


def _fans(t):
    """``(fan_in, fan_out)`` of a weight: dims 1 and 0 times the receptive field size."""
    if t.ndim < 2:
        raise ValueError(f"fan in and fan out need a tensor with at least 2 dimensions, got shape {t.shape}")
    receptive = int(np.prod(t.shape[2:])) if t.ndim > 2 else 1
    return t.shape[1] * receptive, t.shape[0] * receptive


def _fan(t, mode):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode {mode!r} is not supported: use 'fan_in' or 'fan_out'")
    fan_in, fan_out = _fans(t)
    return fan_in if mode == "fan_in" else fan_out


def uniform(t, a=0.0, b=1.0):
    """Fill ``t`` with samples from U(a, b).

    Example:
        >>> import lucid
        >>> w = lucid.nn.init.uniform(lucid.zeros(1000), -2.0, 2.0)
        >>> bool((w.data >= -2).all() and (w.data < 2).all())
        True
    """
    _check(t, "uniform")
    if b < a:
        raise ValueError(f"uniform needs a <= b, got a={a} and b={b}")
    arr = t.data
    r = _random.generator(t.device).random(arr.shape, dtype=_draw_dtype(arr))
    r *= b - a
    r += a
    arr[...] = r
    mark_modified(t)
    return t


def normal(t, mean=0.0, std=1.0):
    """Fill ``t`` with samples from N(mean, std**2).

    Example:
        >>> import lucid
        >>> w = lucid.nn.init.normal(lucid.zeros(10000), std=0.02)
        >>> abs(float(w.data.std()) - 0.02) < 0.001
        True
    """
    _check(t, "normal")
    if std < 0:
        raise ValueError(f"normal needs std >= 0, got std={std}")
    arr = t.data
    r = _random.generator(t.device).standard_normal(arr.shape, dtype=_draw_dtype(arr))
    r *= std
    r += mean
    arr[...] = r
    mark_modified(t)
    return t


def constant(t, val):
    """Fill ``t`` with ``val``.

    Example:
        >>> import lucid
        >>> lucid.nn.init.constant(lucid.zeros(2), 0.5).tolist()
        [0.5, 0.5]
    """
    _check(t, "constant")
    t.data.fill(val)
    mark_modified(t)
    return t


def zeros(t):
    """Fill ``t`` with zeros.

    Example:
        >>> import lucid
        >>> lucid.nn.init.zeros(lucid.ones(2)).tolist()
        [0.0, 0.0]
    """
    return constant(t, 0.0)


def ones(t):
    """Fill ``t`` with ones.

    Example:
        >>> import lucid
        >>> lucid.nn.init.ones(lucid.zeros(2)).tolist()
        [1.0, 1.0]
    """
    return constant(t, 1.0)


def xavier_uniform(t, gain=1.0):
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)).

    Example:
        >>> import lucid
        >>> w = lucid.nn.init.xavier_uniform(lucid.zeros(30, 20))
        >>> float(abs(w.data).max()) <= (6 / 50) ** 0.5
        True
    """
    _check(t, "xavier_uniform")
    fan_in, fan_out = _fans(t)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out)) if fan_in + fan_out else 0.0
    return uniform(t, -bound, bound)


def xavier_normal(t, gain=1.0):
    """Glorot normal: N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out)).

    Example:
        >>> import lucid
        >>> lucid.nn.init.xavier_normal(lucid.zeros(30, 20)).shape
        (30, 20)
    """
    _check(t, "xavier_normal")
    fan_in, fan_out = _fans(t)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out)) if fan_in + fan_out else 0.0
    return normal(t, 0.0, std)


def kaiming_uniform(t, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """He uniform: U(-b, b) with b = gain * sqrt(3 / fan), gain from :func:`calculate_gain`
    (``a`` is the leaky-relu slope). ``Linear`` uses ``a=sqrt(5)``.

    Example:
        >>> import lucid
        >>> w = lucid.nn.init.kaiming_uniform(lucid.zeros(8, 50), nonlinearity="relu")
        >>> float(abs(w.data).max()) <= (6 / 50) ** 0.5
        True
    """
    _check(t, "kaiming_uniform")
    if t.size == 0:
        return t
    fan = _fan(t, mode)
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform(t, -bound, bound)


def kaiming_normal(t, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """He normal: N(0, std**2) with std = gain / sqrt(fan).

    Example:
        >>> import lucid
        >>> lucid.nn.init.kaiming_normal(lucid.zeros(4, 3), mode="fan_out").shape
        (4, 3)
    """
    _check(t, "kaiming_normal")
    if t.size == 0:
        return t
    fan = _fan(t, mode)
    return normal(t, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan))


uniform_, normal_, constant_, zeros_, ones_ = uniform, normal, constant, zeros, ones
xavier_uniform_, xavier_normal_ = xavier_uniform, xavier_normal
kaiming_uniform_, kaiming_normal_ = kaiming_uniform, kaiming_normal
