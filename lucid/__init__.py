"""lucid: a small deep-learning library on NumPy (CPU) and CuPy (GPU).

Example:
    >>> import lucid
    >>> x = lucid.tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad.tolist()
    [2.0, 4.0]
"""

from . import random
from ._backend import gpu_available
from ._dtype import (
    Bool, Char, Double, Float, Float16, Float32, Float64, Half, Int, Int8, Int16, Int32, Int64, Long, Short,
)
from ._function import enable_grad, grad_enabled, no_grad
from ._tensor import Tensor
from .ops import (
    BoolTensor, DoubleTensor, FloatTensor, HalfTensor, IntTensor, LongTensor, abs, add, arange, argmax, argmin,
    as_tensor, concatenate, div, erf, exp, expand, flatten, from_numpy, full, gather, log, matmul, max, mean, min,
    mul, ones, ones_like, reshape, sqrt, squeeze, stack, sub, sum, swapaxes, tanh, tensor, transpose, unsqueeze,
    var, where, zeros, zeros_like,
)
from .serialization import load, save
from . import amp, nn, optim

__version__ = "0.1.0"
