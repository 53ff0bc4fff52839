"""Training utilities: gradient clipping and activations by name."""

from __future__ import annotations

import math

from .. import _backend
from .._tensor import Tensor

__all__ = ["clip_grad_norm", "clip_grad_norm_", "get_activation_from_name"]


def _norm(xp, g, norm_type):
    """The ``norm_type``-norm of array ``g`` as a 0-d float32-or-wider array on its device."""
    flat = g.reshape(-1)
    if flat.dtype.itemsize < 4:  # float16 sums of squares overflow; accumulate in float32
        flat = flat.astype(xp.float32)
    if norm_type == 2.0:
        return xp.sqrt(xp.dot(flat, flat))
    a = xp.abs(flat)
    if math.isinf(norm_type):  # only +inf: clip_grad_norm rejects norm_type <= 0
        return a.max()
    if norm_type == 1.0:
        return a.sum()
    return (a**norm_type).sum() ** (1.0 / norm_type)


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale the gradients of ``parameters`` so that their joint norm is at most ``max_norm``
    (as ``torch.nn.utils.clip_grad_norm_``); returns the total norm before clipping as a
    0-d tensor on the gradients' device.

    The norm is taken over all gradients together, as if concatenated into one vector.
    Gradients are replaced by scaled copies (``p.grad = p.grad * coef``), never scaled in
    place, because a gradient array may be shared. Parameters without a gradient are skipped.

    Args:
        parameters: a tensor or an iterable of tensors (``model.parameters()``).
        max_norm: the largest allowed norm.
        norm_type: the p of the p-norm; ``float("inf")`` for the max-norm.
        error_if_nonfinite: raise ``RuntimeError`` when the total norm is nan or inf.

    Example:
        >>> import lucid
        >>> w = lucid.nn.Parameter([3.0, 4.0])
        >>> (w * w).sum().backward()          # grad = [6, 8], norm 10
        >>> lucid.nn.utils.clip_grad_norm([w], max_norm=5.0).item()
        10.0
        >>> [round(v, 4) for v in w.grad.tolist()]
        [3.0, 4.0]
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    params = [p for p in parameters if p.grad is not None]
    max_norm, norm_type = float(max_norm), float(norm_type)
    if math.isnan(max_norm) or max_norm < 0:
        raise ValueError(f"max_norm must be a number >= 0, got {max_norm}")
    if math.isnan(norm_type) or norm_type <= 0:
        raise ValueError(f"norm_type must be > 0 (or inf), got {norm_type}")
    if not params:
        return Tensor(0.0)
    device = _backend.device_of(params[0].grad)
    for p in params:
        if _backend.device_of(p.grad) != device:
            raise RuntimeError(
                f"clip_grad_norm needs all gradients on one device, found '{device}' and '{_backend.device_of(p.grad)}'"
            )
    xp = _backend.get_xp(device)
    acc = xp.float64 if any(p.grad.dtype == xp.float64 for p in params) else xp.float32
    norms = xp.stack([_norm(xp, p.grad, norm_type).astype(acc) for p in params])
    total = _norm(xp, norms, norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"the total norm of order {norm_type} of the gradients is non-finite ({float(total)}), so it cannot be clipped"
        )
    coef = xp.minimum(max_norm / (total + 1e-6), 1.0)
    # On the CPU a coefficient of 1 changes nothing, so skip the pass; on the GPU multiply
    # anyway rather than synchronise to find out.
    if device == "cpu" and coef >= 1.0:
        return Tensor(total)
    for p in params:
        p.grad = p.grad * coef.astype(p.grad.dtype)
    return Tensor(total)


clip_grad_norm_ = clip_grad_norm

_ACTIVATIONS = {
    "gelu": ("GELU", {}),
    "relu": ("ReLU", {}),
    "tanh": ("Tanh", {}),
    "gelu_new": ("GELU", {"approximate": "tanh"}),
    "gelu_pytorch_tanh": ("GELU", {"approximate": "tanh"}),
}


def get_activation_from_name(name):
    """A new activation module for a Hugging Face ``hidden_act`` name: ``"gelu"`` (exact erf),
    ``"relu"``, ``"tanh"``, and ``"gelu_new"`` / ``"gelu_pytorch_tanh"`` (tanh approximation).
    A callable (a module or a function of a Tensor) is returned as it is.

    Example:
        >>> import lucid
        >>> lucid.nn.utils.get_activation_from_name("gelu_new")
        GELU(approximate='tanh')
    """
    from . import modules

    if callable(name):
        return name
    if not isinstance(name, str) or name not in _ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}: expected one of {', '.join(map(repr, _ACTIVATIONS))}")
    cls, kwargs = _ACTIVATIONS[name]
    return getattr(modules, cls)(**kwargs)
