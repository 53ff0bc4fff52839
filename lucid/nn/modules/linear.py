"""Linear: y = x W^T + b."""

from __future__ import annotations

import math

from .. import functional as F
from .. import init
from ..module import Module
from ._factory import check_int, empty_parameter


class Linear(Module):
    """Affine map ``y = x @ weight.T + bias`` over the last axis.

    Args:
        in_features: size of each input's last axis.
        out_features: size of each output's last axis.
        bias: whether to learn an additive bias (default True).
        device, dtype: where and in which float dtype to create the parameters.

    ``weight`` has shape ``(out_features, in_features)`` and starts as PyTorch's does:
    Kaiming-uniform with ``a=sqrt(5)``, i.e. U(-1/sqrt(in), 1/sqrt(in)); ``bias`` is
    U(-1/sqrt(in), 1/sqrt(in)) too.

    Example:
        >>> import lucid, lucid.nn as nn
        >>> fc = nn.Linear(4, 2)
        >>> fc.weight.shape, fc(lucid.ones(3, 4)).shape
        ((2, 4), (3, 2))
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = check_int("in_features", in_features)
        self.out_features = check_int("out_features", out_features)
        self.weight = empty_parameter((self.out_features, self.in_features), device, dtype)
        if bias:
            self.bias = empty_parameter((self.out_features,), device, dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Re-draw weight and bias with the default initialisation."""
        init.kaiming_uniform(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform(self.bias, -bound, bound)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    """Returns its input unchanged (a placeholder layer); takes and ignores any arguments.

    Example:
        >>> import lucid, lucid.nn as nn
        >>> nn.Identity()(lucid.ones(2)).tolist()
        [1.0, 1.0]
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input
