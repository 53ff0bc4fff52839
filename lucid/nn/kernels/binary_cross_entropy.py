"""Binary cross-entropy on logits, as one op.

With logit ``x``, target ``y``, weight ``w`` and positive-class weight ``p`` (all ones when
not given), the per-element loss is

    ``w [p y softplus(-x) + (1 - y) softplus(x)] = w [(1 - y) x + (1 + (p - 1) y) softplus(-x)]``

and ``softplus(-x) = max(-x, 0) + log1p(exp(-|x|))``: ``exp`` only ever sees a value
``<= 0``, so logits of +-1e4 give a finite loss instead of ``inf - inf``. The gradients,
taken during the forward from the same ``exp(-|x|)``, are

    ``d/dx = w [(1 + (p - 1) y) sigmoid(x) - p y]`` (``sigmoid(x) - y`` without ``p``),
    ``d/dy = w [(p - 1) softplus(-x) - x]``,

with ``sigmoid(x)`` formed from ``exp(-|x|)`` on either side of 0 (exactly 0.5 at 0).
The weights are constants here, as in PyTorch. Float16 is computed in float32.
"""

from __future__ import annotations

from ..._backend import xp_of
from ..._function import make_result, needs_grad
from ._common import compute_dtype


def bce_with_logits_arrays(x, y, w, p, reduction, grad_x, grad_y):
    """Loss and the gradients of a unit upstream gradient for logits ``x`` and targets ``y``
    of one shape; ``w`` and ``p`` are ``None`` or arrays broadcasting to that shape.

    Returns ``(loss, dx or None, dy or None)``, all in the compute dtype; ``loss`` is 0-d
    for ``"mean"``/``"sum"``, else of ``x``'s shape.

    Example:
        >>> import numpy as np
        >>> loss, dx, _ = bce_with_logits_arrays(np.zeros(2), np.array([0.0, 1.0]), None, None, "sum", True, False)
        >>> round(float(loss), 4), dx.tolist()
        (1.3863, [0.5, -0.5])
    """
    xp = xp_of(x)
    ct = compute_dtype(x.dtype)
    x, y = x.astype(ct, copy=False), y.astype(ct, copy=False)
    e = xp.exp(-xp.abs(x))  # in (0, 1]: no overflow for any finite x
    sp_neg = xp.maximum(-x, 0)
    sp_neg += xp.log1p(e)  # softplus(-x)
    coef = None if p is None else 1.0 + (p - 1.0) * y  # 1 + (p - 1) y
    loss = (1.0 - y) * x
    loss += sp_neg if coef is None else coef * sp_neg
    if w is not None:
        loss *= w
    n = x.size
    scale = (1.0 / n if n else float("nan")) if reduction == "mean" else 1.0
    dx = dy = None
    if grad_x:
        sig = xp.where(x >= 0, 1.0, e) / (1.0 + e)  # sigmoid(x) = 1/(1+e) or e/(1+e), e = exp(-|x|)
        dx = sig - y if coef is None else coef * sig - p * y
    if grad_y:
        dy = -x if p is None else (p - 1.0) * sp_neg - x
    for g in (dx, dy):
        if g is not None:
            if w is not None:
                g *= w
            if scale != 1.0:
                g *= scale
    if reduction in ("mean", "sum"):
        loss = loss.sum() * scale
    return loss, dx, dy


def binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction):
    """The op on tensors ``input`` and ``target`` of one shape (already validated);
    ``weight``/``pos_weight`` are tensors broadcasting to it, or None. Gradients flow to
    ``input`` and ``target``.

    Example:
        >>> import lucid
        >>> x = lucid.tensor([0.0, 0.0], requires_grad=True)
        >>> binary_cross_entropy_with_logits(x, lucid.tensor([0.0, 1.0]), None, None, "mean").backward()
        >>> x.grad.tolist()
        [0.25, -0.25]
    """
    want_x, want_y = needs_grad(input), needs_grad(target)
    ct = compute_dtype(input.dtype)
    w = None if weight is None else weight.data.astype(ct, copy=False)
    p = None if pos_weight is None else pos_weight.data.astype(ct, copy=False)
    loss, dx, dy = bce_with_logits_arrays(input.data, target.data, w, p, reduction, want_x, want_y)
    out_dtype = input.dtype

    def backward(g):
        gx = None if dx is None else (dx * g).astype(out_dtype, copy=False)
        gy = None if dy is None else (dy * g).astype(target.dtype, copy=False)
        return gx, gy

    return make_result(loss.astype(out_dtype, copy=False), (input, target),
                       backward if want_x or want_y else None, "binary_cross_entropy_with_logits", saved=())
