"""``cupyx.scipy``: only :mod:`cupyx.scipy.special` is modeled."""

from . import special  # noqa: F401
