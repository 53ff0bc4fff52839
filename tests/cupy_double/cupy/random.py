"""``cupy.random``'s ``default_rng`` and ``Generator`` (the methods CuPy's Generator has).

Draws come from NumPy's PCG64, seeded through a ``SeedSequence`` that mixes in a fixed
salt, so that seed ``n`` never yields NumPy's own stream for ``n``: real CuPy (XORWOW on the
device) gives other numbers than NumPy for one seed, and a test that compared a GPU draw
with a CPU draw would pass here only by accident otherwise. The legacy API
(``cupy.random.rand``, ``seed``, ``RandomState``) is not modeled.
"""

from __future__ import annotations

import numpy as _np

from ._array import ndarray

_SALT = 0x6C756369  # keeps the double's stream apart from NumPy's for the same seed


def _floats(dtype):
    """CuPy draws float64 for 'd' and float32 for every other dtype, then casts."""
    return _np.float64 if _np.dtype(dtype).char == "d" else _np.float32


class Generator:
    """``cupy.random.Generator``: random, uniform, integers, standard_normal and the other
    distributions CuPy's has, on device arrays (``normal``, ``choice``, ``permutation``,
    ``shuffle`` are missing, as in CuPy)."""

    def __init__(self, bit_generator):
        self._g = _np.random.Generator(bit_generator)

    def _out(self, arr, out=None):
        if out is not None:
            out._a[...] = arr
            return out
        return ndarray._wrap(_np.asarray(arr))

    def random(self, size=None, dtype=_np.float64, out=None):
        arr = self._g.random(() if size is None else size, dtype=_floats(dtype)).astype(dtype, copy=False)
        return self._out(arr, out)

    def standard_normal(self, size=None, dtype=_np.float64, out=None):
        if _np.dtype(dtype).char not in "fd":
            raise TypeError(f"Unsupported dtype {_np.dtype(dtype).name} for standard_normal")
        return self._out(self._g.standard_normal(() if size is None else size, dtype=dtype), out)

    def uniform(self, low=0.0, high=1.0, size=None, dtype=_np.float64):
        arr = self._g.uniform(_host(low), _host(high), size).astype(_floats(dtype)).astype(dtype, copy=False)
        return self._out(arr)

    def integers(self, low, high=None, size=None, dtype=_np.int64, endpoint=False):
        return self._out(self._g.integers(low, high, size=size, dtype=dtype, endpoint=endpoint))


def _host(v):
    """A distribution parameter: device arrays are read as CuPy reads them (on the device)."""
    return v._a if type(v) is ndarray else v


def _distribution(name):
    def draw(self, *args, size=None, **kwargs):
        return self._out(getattr(self._g, name)(*map(_host, args), size=size, **kwargs))

    draw.__name__ = name
    draw.__doc__ = f"``cupy.random.Generator.{name}``: NumPy's draw, on the device."
    return draw


for _name in ("beta", "binomial", "chisquare", "dirichlet", "exponential", "f", "gamma", "geometric",
              "hypergeometric", "logseries", "poisson", "power", "standard_exponential", "standard_gamma"):
    setattr(Generator, _name, _distribution(_name))


def default_rng(seed=None):
    """``cupy.random.default_rng(seed)``: a :class:`Generator` (a Generator passes through)."""
    if isinstance(seed, Generator):
        return seed
    if seed is None:
        ss = _np.random.SeedSequence()
    elif isinstance(seed, _np.random.SeedSequence):
        ss = _np.random.SeedSequence(seed.entropy, spawn_key=(_SALT,))
    else:
        ss = _np.random.SeedSequence([int(seed), _SALT])
    return Generator(_np.random.PCG64(ss))
