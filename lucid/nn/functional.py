"""Functional neural-network ops (``import lucid.nn.functional as F``).

The hot ops (linear, gelu, layer_norm, softmax, log_softmax, cross_entropy,
binary_cross_entropy_with_logits, scaled_dot_product_attention, dropout, embedding) are
each one graph op with a hand-written backward, implemented in :mod:`lucid.nn.kernels`; this module checks
arguments and names the offending value when one is wrong.

Example:
    >>> import lucid
    >>> import lucid.nn.functional as F
    >>> F.softmax(lucid.tensor([0.0, 0.0])).tolist()
    [0.5, 0.5]
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import _autocast
from .._tensor import Tensor
from .._args import as_tensor, normalize_axis
from .._backend import check_same_device
from .kernels import activation as _activation
from .kernels import attention as _attention
from .kernels import binary_cross_entropy as _binary_cross_entropy
from .kernels import cross_entropy as _cross_entropy
from .kernels import dropout as _dropout
from .kernels import embedding as _embedding
from .kernels import gelu as _gelu
from .kernels import layer_norm as _layer_norm
from .kernels import linear as _linear
from .kernels import packed_attention as _packed_attention
from .kernels import softmax as _softmax

__all__ = [
    "add_layer_norm", "binary_cross_entropy_with_logits", "cross_entropy", "dropout", "embedding", "gelu",
    "layer_norm", "linear", "log_softmax", "mse_loss", "packed_attention", "relu", "scaled_dot_product_attention",
    "softmax", "tanh",
]


def _tensor(x, name):
    if isinstance(x, Tensor):
        return x
    try:
        return as_tensor(x)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a Tensor, got {type(x).__name__}") from err


def _floating(t, name):
    if t.data.dtype.kind != "f":
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {t.data.dtype}")


def _axis(axis, dim, ndim):
    if dim is not None:
        axis = dim
    return normalize_axis(axis, ndim)[0] if ndim else 0


def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` with ``weight`` of shape ``(out_features, in_features)``.

    Any leading dimensions of ``input`` are batch dimensions; the backward pass folds
    them into one GEMM for the weight gradient.

    Example:
        >>> import lucid
        >>> import lucid.nn.functional as F
        >>> F.linear(lucid.ones(2, 3), lucid.ones(4, 3), lucid.zeros(4)).tolist()[0]
        [3.0, 3.0, 3.0, 3.0]
    """
    input, weight = _tensor(input, "input"), _tensor(weight, "weight")
    tensors = (input, weight) if bias is None else (input, weight, _tensor(bias, "bias"))
    check_same_device(*tensors)
    if weight.ndim != 2:
        raise ValueError(f"linear weight must be 2-D (out_features, in_features), got shape {weight.shape}")
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"linear input of shape {input.shape} does not match weight of shape {weight.shape}: "
            f"the last input dimension must be {weight.shape[1]}"
        )
    if bias is not None:
        bias = tensors[2]
        if bias.shape != (weight.shape[0],):
            raise ValueError(f"linear bias must have shape ({weight.shape[0]},), got {bias.shape}")
    _floating(input, "linear input")
    if _autocast.on(input.device):  # autocast: float16 GEMM
        input, weight, bias = _autocast.low(input, weight, bias)
    return _linear.linear(input, weight, bias)


def embedding(input, weight, padding_idx=None):
    """Rows of ``weight`` (``(num_embeddings, dim)``) picked by the integer ids in ``input``.

    The ``padding_idx`` row (if given; negative counts from the end) never receives a
    gradient. Ids outside ``[0, num_embeddings)`` raise ``IndexError`` naming the id.

    Example:
        >>> import lucid
        >>> import lucid.nn.functional as F
        >>> w = lucid.tensor([[0.0, 0.0], [1.0, 2.0]])
        >>> F.embedding(lucid.tensor([1, 0]), w).tolist()
        [[1.0, 2.0], [0.0, 0.0]]
    """
    weight = _tensor(weight, "weight")
    if not isinstance(input, Tensor):
        input = Tensor(input, device=weight.device)
    check_same_device(input, weight)
    if input.data.dtype.kind not in "iu":
        raise TypeError(f"embedding input must be an integer tensor of ids, got dtype {input.data.dtype}")
    if weight.ndim != 2:
        raise ValueError(f"embedding weight must be 2-D (num_embeddings, dim), got shape {weight.shape}")
    n = weight.shape[0]
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise ValueError(f"padding_idx {padding_idx} is out of range for {n} embeddings")
        padding_idx = int(padding_idx) % n
    ids = input.data
    if ids.size:
        lo, hi = int(ids.min()), int(ids.max())
        if lo < 0 or hi >= n:
            bad = lo if lo < 0 else hi
            raise IndexError(f"embedding id {bad} is out of range for {n} embeddings (valid ids are 0..{n - 1})")
    return _embedding.embedding(input, weight, padding_idx)


def _layer_norm_affine(t, name, normalized_shape):
    """``t`` (layer_norm's weight or bias) as a Tensor of ``normalized_shape``, or None."""
    if t is None:
        return None
    t = _tensor(t, name)
    if t.shape != normalized_shape:
        raise ValueError(f"layer_norm {name} must have shape {normalized_shape}, got {t.shape}")
    return t


def _layer_norm_args(input, normalized_shape, weight, bias, eps, residual=None):
    """The checked arguments of :func:`layer_norm` / :func:`add_layer_norm`, cast for autocast."""
    input = _tensor(input, "input")
    if isinstance(normalized_shape, (int, np.integer)):
        normalized_shape = (int(normalized_shape),)
    normalized_shape = tuple(int(s) for s in normalized_shape)
    k = len(normalized_shape)
    if k == 0 or input.shape[input.ndim - k:] != normalized_shape or input.ndim < k:
        raise ValueError(
            f"layer_norm normalized_shape {normalized_shape} does not match the trailing dimensions "
            f"of an input of shape {input.shape}"
        )
    _floating(input, "layer_norm input")
    if residual is not None:
        residual = _tensor(residual, "residual")
        if residual.shape != input.shape:
            raise ValueError(f"add_layer_norm residual must have the input's shape {input.shape}, "
                             f"got {residual.shape}")
        _floating(residual, "add_layer_norm residual")
    if not eps >= 0:  # 0 is allowed, as in torch and nn.LayerNorm
        raise ValueError(f"layer_norm eps must be >= 0, got {eps}")
    weight = _layer_norm_affine(weight, "weight", normalized_shape)
    bias = _layer_norm_affine(bias, "bias", normalized_shape)
    check_same_device(input, *(t for t in (residual, weight, bias) if t is not None))
    if _autocast.on(input.device):  # autocast: float32
        input, residual, weight, bias = _autocast.high(input, residual, weight, bias)
    return input, normalized_shape, weight, bias, float(eps), residual


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize over the trailing ``normalized_shape`` dimensions, then scale and shift.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias`` with the population variance,
    as ``torch.nn.functional.layer_norm``.

    Example:
        >>> import lucid
        >>> import lucid.nn.functional as F
        >>> y = F.layer_norm(lucid.tensor([[1.0, 3.0]]), (2,))
        >>> [round(v, 3) for v in y.tolist()[0]]
        [-1.0, 1.0]
    """
    input, normalized_shape, weight, bias, eps, _ = _layer_norm_args(input, normalized_shape, weight, bias, eps)
    return _layer_norm.layer_norm(input, normalized_shape, weight, bias, eps)


def add_layer_norm(input, residual, normalized_shape, weight=None, bias=None, eps=1e-5):
    """``layer_norm(input + residual, normalized_shape, weight, bias, eps)`` as one op.

    The closing step of a transformer block: the sum is formed a block of rows at a time
    inside the normalisation, so it never exists as a separate full array (one pass over
    memory fewer than ``layer_norm(input + residual)``); backward gives both summands the
    same gradient. ``residual`` must have ``input``'s shape (no broadcasting); the result
    has their common dtype. The values equal the unfused expression up to float rounding.

    Example:
        >>> import lucid
        >>> import lucid.nn.functional as F
        >>> y = F.add_layer_norm(lucid.tensor([[1.0, 2.0]]), lucid.tensor([[0.0, 1.0]]), (2,))
        >>> [round(v, 3) for v in y.tolist()[0]]
        [-1.0, 1.0]
    """
    if residual is None:
        raise TypeError("add_layer_norm residual must be a Tensor, got None")
    input, normalized_shape, weight, bias, eps, residual = _layer_norm_args(
        input, normalized_shape, weight, bias, eps, residual)
    return _layer_norm.layer_norm(input, normalized_shape, weight, bias, eps, residual=residual)


def dropout(input, p=0.5, training=True):
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    In evaluation (``training=False``) or with ``p == 0`` the input comes back unchanged.
    The mask comes from :func:`lucid.random.generator` of the input's device, so
    :func:`lucid.random.seed` reproduces it. On the CPU a mask of more than
    ``lucid.nn.kernels.dropout.DRAW_BLOCK`` elements is drawn in blocks on the kernel
    threads, each block from a child generator seeded from that generator: the same seed
    gives the same masks with any number of threads (``LUCID_NUM_THREADS``).

    Example:
        >>> import lucid
        >>> import lucid.nn.functional as F
        >>> x = lucid.ones(4)
        >>> F.dropout(x, 0.5, training=False) is x
        True
        >>> sorted(set(F.dropout(lucid.ones(100), 0.5).tolist())) in ([0.0, 2.0], [2.0], [0.0])
        True
    """
    input = _tensor(input, "input")
    if not isinstance(p, (int, float, np.floating, np.integer)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be between 0 and 1, got {p!r}")
    if not training or p == 0.0:
        return input
    _floating(input, "dropout input")
    return _dropout.dropout(input, float(p), input.device)


def gelu(input, approximate="none"):
    """Gaussian error linear unit: ``x * Phi(x)`` (exact, with erf) or its tanh approximation.

    ``approximate="tanh"`` gives ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``, the
    ``gelu_new`` / ``gelu_pytorch_tanh`` form.

    Example:
        >>> import lucid
        >>> import lucid.nn.functional as F
        >>> [round(v, 4) for v in F.gelu(lucid.tensor([-1.0, 0.0, 1.0])).tolist()]
        [-0.1587, 0.0, 0.8413]
    """
    input = _tensor(input, "input")
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu approximate must be 'none' or 'tanh', got {approximate!r}")
    _floating(input, "gelu input")
    return _gelu.gelu(input, approximate)


def relu(input):
    """``max(x, 0)`` elementwise.

    Example:
        >>> import lucid
        >>> import lucid.nn.functional as F
        >>> F.relu(lucid.tensor([-1.0, 2.0])).tolist()
        [0.0, 2.0]
    """
    input = _tensor(input, "input")
    return _activation.relu(input)


def tanh(input):
    """Hyperbolic tangent elementwise.

    Example:
        >>> import lucid
        >>> import lucid.nn.functional as F
        >>> F.tanh(lucid.tensor([0.0])).tolist()
        [0.0]
    """
    input = _tensor(input, "input")
    _floating(input, "tanh input")
    return _activation.tanh(input)


def softmax(input, axis=-1, dim=None):
    """``exp(x) / sum(exp(x))`` along ``axis`` (``dim`` is accepted as PyTorch's name for it).

    Example:
        >>> import lucid
        >>> import lucid.nn.functional as F
        >>> [round(v, 4) for v in F.softmax(lucid.tensor([[1.0, 2.0, 3.0]]), axis=-1).tolist()[0]]
        [0.09, 0.2447, 0.6652]
    """
    input = _tensor(input, "input")
    _floating(input, "softmax input")
    if _autocast.on(input.device):  # autocast: float32
        (input,) = _autocast.high(input)
    return _softmax.softmax(input, _axis(axis, dim, input.ndim))


def log_softmax(input, axis=-1, dim=None):
    """``x - log(sum(exp(x)))`` along ``axis``, computed stably (``dim`` is PyTorch's name).

    Example:
        >>> import lucid
        >>> import lucid.nn.functional as F
        >>> [round(v, 4) for v in F.log_softmax(lucid.tensor([0.0, 0.0])).tolist()]
        [-0.6931, -0.6931]
    """
    input = _tensor(input, "input")
    _floating(input, "log_softmax input")
    if _autocast.on(input.device):  # autocast: float32
        (input,) = _autocast.high(input)
    return _softmax.log_softmax(input, _axis(axis, dim, input.ndim))


_REDUCTIONS = ("mean", "sum", None, "none")


def _reduction(reduction, op):
    """``reduction`` checked (``op`` names the loss in the message); ``"none"`` becomes None."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op} reduction must be 'mean', 'sum' or None, got {reduction!r}")
    return None if reduction == "none" else reduction


def _target(target, input):
    """``target`` as a Tensor, made on ``input``'s device from lists and arrays."""
    return target if isinstance(target, Tensor) else Tensor(target, device=input.device)


def cross_entropy(input, target, weight=None, reduction="mean", ignore_index=-100, label_smoothing=0.0):
    """Cross-entropy between logits ``input`` and class-index ``target``, as PyTorch's.

    ``input`` is ``(N, C)``, ``(N, C, d1, ...)`` (class axis 1) or unbatched ``(C,)``;
    ``target`` holds class ids of shape ``(N,)``, ``(N, d1, ...)`` or ``()``. Targets
    equal to ``ignore_index`` contribute nothing; ``reduction="mean"`` averages over the
    others (weighted by ``weight[target]`` when class weights are given), and a batch
    where every target is ignored gives a loss of 0 and zero gradients. ``reduction`` may
    also be ``"sum"`` or ``None``/``"none"`` (per-element losses).

    Example:
        >>> import lucid
        >>> import lucid.nn.functional as F
        >>> logits = lucid.tensor([[0.0, 0.0], [0.0, 0.0]])
        >>> round(F.cross_entropy(logits, lucid.tensor([0, 1])).item(), 4)
        0.6931
        >>> F.cross_entropy(logits, lucid.tensor([-100, -100])).item()
        0.0
    """
    input = _tensor(input, "input")
    target = _target(target, input)
    check_same_device(input, target)
    _floating(input, "cross_entropy input")
    reduction = _reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0 and 1, got {label_smoothing!r}")
    if target.data.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy target must hold integer class ids, got dtype {target.data.dtype}")
    if input.ndim == 0:
        raise ValueError("cross_entropy input must have a class dimension, got a 0-d tensor")
    expected = () if input.ndim == 1 else (input.shape[0],) + input.shape[2:]
    if target.shape != expected:
        raise ValueError(
            f"cross_entropy target of shape {target.shape} does not match input of shape {input.shape} "
            f"(expected target shape {expected})"
        )
    c = input.shape[0] if input.ndim == 1 else input.shape[1]
    if weight is not None:
        weight = _tensor(weight, "weight")
        check_same_device(input, weight)
        if weight.shape != (c,):
            raise ValueError(f"cross_entropy weight must have shape ({c},) (one per class), got {weight.shape}")
    t = target.data
    if t.size:
        bad = (t != ignore_index) & ((t < 0) | (t >= c))
        if bool(bad.any()):
            label = int(t[bad].reshape(-1)[0])
            raise IndexError(
                f"cross_entropy target {label} is out of range for {c} classes "
                f"(valid labels are 0..{c - 1}, or ignore_index={ignore_index})"
            )
    if _autocast.on(input.device):  # autocast: float32
        input, weight = _autocast.high(input, weight)
    return _cross_entropy.cross_entropy(input, t, weight, reduction, ignore_index, float(label_smoothing))


def mse_loss(input, target, reduction="mean"):
    """Mean squared error ``(input - target) ** 2``, reduced as PyTorch's ``mse_loss``.

    ``reduction`` is ``"mean"`` (default), ``"sum"`` or ``None``/``"none"`` (per-element
    losses). A ``target`` of another shape is broadcast against ``input`` with a warning,
    as PyTorch does; shapes that do not broadcast raise ``ValueError`` naming both. Built
    from the arithmetic ops, so its gradient (``2 (input - target)``, reduced) is theirs.

    Example:
        >>> import lucid
        >>> import lucid.nn.functional as F
        >>> F.mse_loss(lucid.tensor([1.0, 3.0]), lucid.tensor([0.0, 1.0])).item()
        2.5
        >>> F.mse_loss(lucid.tensor([1.0, 3.0]), lucid.tensor([0.0, 1.0]), reduction="none").tolist()
        [1.0, 4.0]
    """
    input = _tensor(input, "input")
    target = _target(target, input)
    check_same_device(input, target, names=("input", "target"))
    _floating(input, "mse_loss input")
    reduction = _reduction(reduction, "mse_loss")
    if target.shape != input.shape:
        try:
            np.broadcast_shapes(input.shape, target.shape)
        except ValueError:
            raise ValueError(
                f"mse_loss target of shape {target.shape} does not broadcast with input of shape {input.shape}"
            ) from None
        warnings.warn(f"mse_loss target of shape {target.shape} differs from input of shape {input.shape}: "
                      "they are broadcast, which is rarely what a loss wants", UserWarning, stacklevel=2)
    if _autocast.on(input.device):  # autocast: float32
        input, target = _autocast.high(input, target)
    diff = input - target
    loss = diff * diff
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """Binary cross-entropy between logits ``input`` and probabilities ``target``, as PyTorch's.

    Per element, ``-weight * (pos_weight * target * log(sigmoid(input)) + (1 - target) *
    log(1 - sigmoid(input)))``, computed in a form that stays finite for any logit (see
    :mod:`lucid.nn.kernels.binary_cross_entropy`). ``target`` has ``input``'s shape (any
    real dtype; it is computed in ``input``'s); ``weight`` and ``pos_weight`` broadcast
    to that shape (``pos_weight`` of shape ``(C,)`` weighs the positives of each of ``C``
    classes). ``reduction`` is ``"mean"``, ``"sum"`` or ``None``/``"none"``. One op with a
    hand-written backward; gradients reach ``input`` and ``target`` (not the weights, as in
    PyTorch).

    Example:
        >>> import lucid
        >>> import lucid.nn.functional as F
        >>> round(F.binary_cross_entropy_with_logits(lucid.tensor([0.0, 0.0]), lucid.tensor([0.0, 1.0])).item(), 4)
        0.6931
        >>> F.binary_cross_entropy_with_logits(lucid.tensor([1e4, -1e4]), lucid.tensor([0.0, 1.0]), reduction="none").tolist()
        [10000.0, 10000.0]
    """
    op = "binary_cross_entropy_with_logits"
    input = _tensor(input, "input")
    target = _target(target, input)
    weight = None if weight is None else _tensor(weight, "weight")
    pos_weight = None if pos_weight is None else _tensor(pos_weight, "pos_weight")
    check_same_device(input, target, weight, pos_weight, names=("input", "target", "weight", "pos_weight"))
    _floating(input, f"{op} input")
    reduction = _reduction(reduction, op)
    if target.shape != input.shape:
        raise ValueError(f"{op} target of shape {target.shape} must have the input's shape {input.shape}")
    for name, t in (("weight", weight), ("pos_weight", pos_weight)):
        if t is None:
            continue
        try:
            fits = np.broadcast_shapes(t.shape, input.shape) == input.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"{op} {name} of shape {t.shape} does not broadcast to the input's shape {input.shape}")
    if _autocast.on(input.device):  # autocast: float32
        input, target, weight, pos_weight = _autocast.high(input, target, weight, pos_weight)
    return _binary_cross_entropy.binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    """``softmax(query @ key^T * scale + mask) @ value`` over the last two dims, as PyTorch's.

    Shapes are ``(..., L, E)`` for ``query``, ``(..., S, E)`` for ``key`` and
    ``(..., S, Ev)`` for ``value``; the result is ``(..., L, Ev)``. ``attn_mask`` may be
    boolean (True = attend) or float (added to the scores) and broadcasts over the
    batch, heads and queries, e.g. ``(N, 1, 1, S)``. ``is_causal`` lets query ``i`` see
    only keys ``j <= i`` (combined with ``attn_mask`` when both are given). ``scale``
    defaults to ``1 / sqrt(E)``. ``dropout_p > 0`` drops attention probabilities (pass
    0 in evaluation). Masked scores use the dtype's most negative finite value, so a
    fully masked row stays finite (uniform weights) instead of NaN.

    Example:
        >>> import lucid
        >>> import lucid.nn.functional as F
        >>> q = k = v = lucid.ones(1, 2, 3, 4)
        >>> F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
        (1, 2, 3, 4)
    """
    query, key, value = _tensor(query, "query"), _tensor(key, "key"), _tensor(value, "value")
    check_same_device(query, key, value)
    for name, t in (("query", query), ("key", key), ("value", value)):
        _floating(t, name)
        if t.ndim < 2:
            raise ValueError(f"attention {name} needs at least 2 dimensions (..., length, features), got {t.shape}")
    if _autocast.on(query.device):  # autocast: float16 GEMMs (mixed input dtypes then agree, as in PyTorch)
        query, key, value = _autocast.low(query, key, value)
    if query.dtype != key.dtype or query.dtype != value.dtype:
        raise TypeError(
            f"attention query, key and value must share a dtype, got {query.dtype}, {key.dtype}, {value.dtype}"
        )
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(f"attention query features {query.shape[-1]} differ from key features {key.shape[-1]}")
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(f"attention key length {key.shape[-2]} differs from value length {value.shape[-2]}")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"attention dropout_p must be between 0 and 1, got {dropout_p!r}")
    if scale is not None and not np.isfinite(scale):
        raise ValueError(f"attention scale must be a finite number, got {scale!r}")
    L, S = query.shape[-2], key.shape[-2]
    batch = np.broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2])
    if attn_mask is not None:
        if not isinstance(attn_mask, Tensor):
            attn_mask = Tensor(attn_mask, device=query.device)
        check_same_device(query, attn_mask)
        if attn_mask.data.dtype.kind not in "fb":
            raise TypeError(f"attn_mask must be a bool or float tensor, got dtype {attn_mask.data.dtype}")
        try:
            ok = np.broadcast_shapes(attn_mask.shape, batch + (L, S)) == batch + (L, S)
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(
                f"attn_mask of shape {attn_mask.shape} does not broadcast to the scores' shape {batch + (L, S)}"
            )
    return _attention.attention(
        query, key, value, attn_mask, float(dropout_p), bool(is_causal), scale, query.device
    )


def packed_attention(query, key, value, offsets, dropout_p=0.0, scale=None):
    """Attention over packed sequences (a lucid addition): ``query``, ``key`` and ``value``
    hold the tokens of several sequences one after another, ``(tokens, heads, E)`` (``Ev``
    for ``value``), and each sequence attends only to its own tokens, as a padded batch with
    a padding mask does at its real positions, without computing the padding.

    ``offsets`` are ``batch + 1`` non-decreasing ints from 0 to ``tokens`` (sequence ``i`` is
    rows ``offsets[i]:offsets[i + 1]``; a list, an array or a CPU int tensor). The result is
    ``(tokens, heads, Ev)``. ``scale`` and ``dropout_p`` are as in
    :func:`scaled_dot_product_attention`.

    Example:
        >>> import lucid
        >>> import lucid.nn.functional as F
        >>> q = k = v = lucid.random.randn(5, 2, 4)  # sequences of 3 and 2 tokens, 2 heads
        >>> out = F.packed_attention(q, k, v, [0, 3, 5])
        >>> out.shape
        (5, 2, 4)
        >>> alone = F.scaled_dot_product_attention(q[3:].transpose(1, 0, 2), k[3:].transpose(1, 0, 2),
        ...                                        v[3:].transpose(1, 0, 2))
        >>> float(abs(out[3:] - alone.transpose(1, 0, 2)).max()) < 1e-6
        True
    """
    query, key, value = _tensor(query, "query"), _tensor(key, "key"), _tensor(value, "value")
    check_same_device(query, key, value)
    for name, t in (("query", query), ("key", key), ("value", value)):
        _floating(t, name)
        if t.ndim != 3:
            raise ValueError(f"packed attention {name} must be 3-D (tokens, heads, features), got {t.shape}")
    if _autocast.on(query.device):  # autocast: float16 GEMMs (mixed input dtypes then agree, as in PyTorch)
        query, key, value = _autocast.low(query, key, value)
    if query.dtype != key.dtype or query.dtype != value.dtype:
        raise TypeError(
            f"attention query, key and value must share a dtype, got {query.dtype}, {key.dtype}, {value.dtype}"
        )
    if query.shape[:2] != key.shape[:2] or key.shape[:2] != value.shape[:2]:
        raise ValueError(f"packed attention query, key and value must share (tokens, heads), got "
                         f"{query.shape}, {key.shape}, {value.shape}")
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(f"attention query features {query.shape[-1]} differ from key features {key.shape[-1]}")
    if isinstance(offsets, Tensor):
        offsets = offsets.numpy()
    offsets = np.asarray(offsets)
    tokens = query.shape[0]
    if (offsets.ndim != 1 or offsets.size < 2 or offsets.dtype.kind not in "iu" or offsets[0] != 0
            or offsets[-1] != tokens or (np.diff(offsets) < 0).any()):
        raise ValueError(f"offsets must be 1-D non-decreasing ints from 0 to the {tokens} tokens, got "
                         f"{offsets.tolist() if offsets.size <= 20 else offsets}")
    if tokens == 0:
        raise ValueError("packed attention needs at least one token")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"attention dropout_p must be between 0 and 1, got {dropout_p!r}")
    if scale is not None and not np.isfinite(scale):
        raise ValueError(f"attention scale must be a finite number, got {scale!r}")
    return _packed_attention.packed_attention(query, key, value, offsets.astype(np.int64), float(dropout_p), scale,
                                              query.device)
