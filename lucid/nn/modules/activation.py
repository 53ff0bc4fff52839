"""Activation layers: Tanh, ReLU, GELU."""

from __future__ import annotations

from .. import functional as F
from ..module import Module


class Tanh(Module):
    """Elementwise hyperbolic tangent.

    Example:
        >>> import lucid, lucid.nn as nn
        >>> nn.Tanh()(lucid.zeros(2)).tolist()
        [0.0, 0.0]
    """

    def forward(self, input):
        return F.tanh(input)


class ReLU(Module):
    """Elementwise ``max(x, 0)``. ``inplace`` is accepted for PyTorch compatibility and ignored.

    Example:
        >>> import lucid, lucid.nn as nn
        >>> nn.ReLU()(lucid.tensor([-1.0, 2.0])).tolist()
        [0.0, 2.0]
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = bool(inplace)

    def forward(self, input):
        return F.relu(input)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class GELU(Module):
    """Gaussian error linear unit ``x * Phi(x)``: the exact erf form by default, or the tanh
    approximation with ``approximate="tanh"`` (BERT's ``gelu_new``).

    Example:
        >>> import lucid, lucid.nn as nn
        >>> round(nn.GELU()(lucid.tensor([1.0])).item(), 4)
        0.8413
        >>> nn.GELU(approximate="tanh")
        GELU(approximate='tanh')
    """

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"
