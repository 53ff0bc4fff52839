"""Differentiable ops by family; this module also binds them to :class:`lucid.Tensor`."""

from .._tensor import Tensor
from . import arith, creation, index, inplace, linalg, reduce, shape
from .arith import abs, add, div, eq, erf, exp, ge, gt, le, log, lt, mul, ne, neg, pow, sqrt, sub, tanh, where
from .creation import (
    BoolTensor, DoubleTensor, FloatTensor, HalfTensor, IntTensor, LongTensor, arange, as_tensor, from_numpy, full,
    ones, ones_like, tensor, zeros, zeros_like,
)
from .index import gather, getitem, setitem
from .linalg import matmul
from .reduce import argmax, argmin, max, mean, min, sum, var
from .shape import astype, concatenate, expand, flatten, reshape, squeeze, stack, swapaxes, to, transpose, unsqueeze
from .._args import as_tensor as _operand


def _flip(fn):
    def reflected(a, b):
        return fn(_operand(b, a), a)

    reflected.__name__ = "r" + fn.__name__
    reflected.__doc__ = f"Reflected ``{fn.__name__}``: ``other op self`` for a non-tensor left operand."
    return reflected


def _cpu(a):
    """This tensor on the CPU (itself when it already is there).

    Example:
        >>> import lucid
        >>> lucid.ones(1).cpu().device
        'cpu'
    """
    return to(a, "cpu")


def _gpu(a):
    """This tensor on the GPU (needs CuPy and a CUDA device).

    Example:
        >>> import lucid
        >>> lucid.ones(1).gpu().device if lucid.gpu_available() else "gpu"
        'gpu'
    """
    return to(a, "gpu")


def _caster(name, dtype):
    def cast(a):
        return astype(a, dtype)

    cast.__name__ = name
    cast.__doc__ = f"""This tensor cast to {dtype} (itself when it already has that dtype).

    Example:
        >>> import lucid
        >>> lucid.tensor([1.5]).{name}().dtype
        dtype('{dtype}')
    """
    return cast


def _bind():
    T = Tensor
    T.__add__, T.__radd__ = add, _flip(add)
    T.__sub__, T.__rsub__ = sub, _flip(sub)
    T.__mul__, T.__rmul__ = mul, _flip(mul)
    T.__truediv__, T.__rtruediv__ = div, _flip(div)
    T.__iadd__, T.__isub__, T.__imul__, T.__itruediv__ = inplace.iadd, inplace.isub, inplace.imul, inplace.idiv
    T.__pow__, T.__rpow__ = pow, _flip(pow)
    T.__matmul__, T.__rmatmul__ = matmul, _flip(matmul)
    T.__neg__ = neg
    T.__pos__ = lambda a: a
    T.__abs__ = abs
    T.__eq__, T.__ne__, T.__lt__, T.__le__, T.__gt__, T.__ge__ = eq, ne, lt, le, gt, ge
    T.__and__, T.__or__, T.__xor__ = arith.logical_and, arith.logical_or, arith.logical_xor
    T.__invert__ = arith.invert
    T.__getitem__, T.__setitem__ = getitem, setitem
    for fn in (exp, log, sqrt, tanh, abs, erf, sum, mean, var, max, min, argmax, argmin, reshape, swapaxes,
               transpose, expand, squeeze, unsqueeze, flatten, astype, to, matmul):
        setattr(T, fn.__name__, fn)
    T.T = property(lambda a: transpose(a), doc="""The tensor with its axes reversed.

    Example:
        >>> import lucid
        >>> lucid.ones(2, 3).T.shape
        (3, 2)
    """)
    T.mT = property(lambda a: swapaxes(a, -1, -2), doc="""The tensor with its last two axes swapped.

    Example:
        >>> import lucid
        >>> lucid.ones(4, 2, 3).mT.shape
        (4, 3, 2)
    """)
    T.cpu, T.gpu = _cpu, _gpu
    for name, dt in (("long", "int64"), ("int", "int32"), ("float", "float32"), ("half", "float16"),
                     ("double", "float64"), ("bool", "bool")):
        setattr(T, name, _caster(name, dt))


_bind()
