"""LayerNorm."""

from __future__ import annotations

import numpy as np

from .. import functional as F
from .. import init
from ..module import Module
from ._factory import check_int, empty_parameter


class LayerNorm(Module):
    """Layer normalisation over the trailing ``normalized_shape`` axes:
    ``(x - mean) / sqrt(var + eps) * weight + bias`` (biased variance, as in PyTorch).

    Args:
        normalized_shape: an int or a tuple of the trailing axis sizes.
        eps: added to the variance for stability (default 1e-5; BERT uses 1e-12).
        elementwise_affine: learn ``weight`` (ones) and ``bias`` (zeros); default True.
        bias: learn ``bias`` when ``elementwise_affine`` (default True).
        device, dtype: where and in which float dtype to create the parameters.

    Example:
        >>> import lucid, lucid.nn as nn
        >>> ln = nn.LayerNorm(4)
        >>> [round(v, 4) for v in ln(lucid.tensor([[-1.0, 1.0, -1.0, 1.0]]))[0].tolist()]
        [-1.0, 1.0, -1.0, 1.0]
        >>> ln
        LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, (int, np.integer)) and not isinstance(normalized_shape, bool):
            normalized_shape = (normalized_shape,)
        try:
            shape = tuple(normalized_shape)
        except TypeError:
            raise ValueError(f"normalized_shape must be an int or a tuple of ints, got {normalized_shape!r}") from None
        if not shape:
            raise ValueError("normalized_shape must not be empty")
        self.normalized_shape = tuple(check_int("normalized_shape", n, 1) for n in shape)
        if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not eps >= 0:
            raise ValueError(f"eps must be a number >= 0, got {eps!r}")
        self.eps = float(eps)
        self.elementwise_affine = bool(elementwise_affine)
        if self.elementwise_affine:
            self.weight = empty_parameter(self.normalized_shape, device, dtype)
            if bias:
                self.bias = empty_parameter(self.normalized_shape, device, dtype)
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Set weight to ones and bias to zeros."""
        if self.weight is not None:
            init.ones(self.weight)
        if self.bias is not None:
            init.zeros(self.bias)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")
