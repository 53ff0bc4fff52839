"""Labels, losses and metrics of the task classes that score sequences or tokens.

* targets: :func:`class_targets` (one class per example), :func:`token_targets` (one
  label per position, ``ignore_index`` allowed);
* losses: :func:`check_reduction`, :func:`labelled_rows` and :func:`token_loss` (a token
  loss computed on the labelled positions only, scattered back for ``reduction=None``);

``reduction`` is ``"mean"``, ``"sum"`` or ``None``; a per-element token loss is a
``(batch * seq,)`` vector with 0 at ignored positions (PyTorch's layout).
"""

from __future__ import annotations

import numpy as np

from ..._tensor import Tensor
from ...nn import functional as F
from ...ops.shape import concatenate
from ._task import as_label_tensor, batch_labels, first_out_of_range

__all__ = ["REDUCTIONS", "check_num_labels", "check_reduction", "class_targets", "labelled_rows", "token_loss",
           "token_targets"]

REDUCTIONS = ("mean", "sum", None, "none")


def check_reduction(reduction):
    """``reduction`` once it is one of ``"mean"``, ``"sum"``, ``None`` (``"none"`` too, as
    :func:`lucid.nn.functional.cross_entropy` takes it).

    Example:
        >>> check_reduction("sum")
        'sum'
        >>> check_reduction("avg")
        Traceback (most recent call last):
        ...
        ValueError: reduction must be 'mean', 'sum' or None, got 'avg'
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be 'mean', 'sum' or None, got {reduction!r}")
    return reduction


def check_num_labels(num_labels) -> int:
    """``num_labels`` as an int once it is an int >= 1.

    Example:
        >>> check_num_labels(3)
        3
        >>> check_num_labels(0)
        Traceback (most recent call last):
        ...
        ValueError: num_labels must be an int >= 1, got 0
    """
    if isinstance(num_labels, bool) or not isinstance(num_labels, (int, np.integer)) or num_labels < 1:
        raise ValueError(f"num_labels must be an int >= 1, got {num_labels!r}")
    return int(num_labels)


def class_targets(labels, batch, num_classes, device, name="labels"):
    """One class id per example as an int64 ``(batch,)`` tensor on ``device``: an int, a list,
    or a tensor of shape ``(batch,)`` or ``(batch, 1)``, every id in ``[0, num_classes)``.

    Example:
        >>> class_targets([[1], [0]], 2, 2, "cpu").tolist()
        [1, 0]
        >>> class_targets([0, 2], 2, 2, "cpu")
        Traceback (most recent call last):
        ...
        ValueError: labels must be in [0, 2), got 2
    """
    labels = batch_labels(labels, batch, device)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integers, got dtype {labels.dtype}")
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels.reshape(-1)
    if labels.ndim != 1:
        raise ValueError(f"{name} must have shape (batch,) or (batch, 1), got {labels.shape}")
    bad = first_out_of_range(labels.data, num_classes)
    if bad is not None:
        raise ValueError(f"{name} must be in [0, {num_classes}), got {bad}")
    return labels


def token_targets(labels, shape, num_classes, ignore_index, device, name="labels"):
    """Per-position labels as an integer tensor of ``shape`` (the input's ``(batch, seq)``) on
    ``device``; each label in ``[0, num_classes)`` or ``ignore_index``.

    Example:
        >>> token_targets([[3, -100]], (1, 2), 5, -100, "cpu").tolist()
        [[3, -100]]
        >>> token_targets([[3, 7]], (1, 2), 5, -100, "cpu")
        Traceback (most recent call last):
        ...
        ValueError: labels must be in [0, 5) or -100 (ignore_index), got 7
    """
    labels = as_label_tensor(labels, device, name)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integer ids ({ignore_index} = ignore), got dtype {labels.dtype}")
    if labels.shape != tuple(shape):
        raise ValueError(f"{name} of shape {labels.shape} do not match the input's shape {tuple(shape)}")
    bad = first_out_of_range(labels.data, num_classes, ignore_index)
    if bad is not None:
        raise ValueError(f"{name} must be in [0, {num_classes}) or {ignore_index} (ignore_index), got {bad}")
    return labels


def labelled_rows(hidden, targets, ignore_index):
    """The rows of ``hidden`` ``(batch, seq, width)`` whose target is not ``ignore_index``, so
    that a wide head (the vocabulary decoder) runs on those positions only.

    Returns:
        ``(rows (n, width), row_targets (n,), positions)``: ``positions`` (an int array) are the
        flat indices of the rows in ``batch * seq``. With nothing labelled, one ignored row
        stands in (loss 0, zero gradients).

    Example:
        >>> import lucid
        >>> rows, t, pos = labelled_rows(lucid.ones(1, 3, 2), lucid.tensor([[-100, 4, -100]]), -100)
        >>> rows.shape, t.tolist(), pos.tolist()
        ((1, 2), [4], [1])
    """
    b, s, h = hidden.shape
    flat, xp = targets.data.reshape(-1), targets.xp
    positions = xp.nonzero(flat != ignore_index)[0]
    if positions.size == 0:
        positions = xp.zeros(1, dtype=positions.dtype)
    return hidden.reshape(b * s, h)[Tensor._wrap(positions)], Tensor._wrap(flat[positions]), positions


def token_loss(logits, targets, positions, total, ignore_index, reduction):
    """Cross-entropy of the labelled rows' ``logits`` ``(n, classes)`` against ``targets``
    ``(n,)``; for ``reduction=None`` the ``(total,)`` vector over every position (rows at
    ``positions``, 0 elsewhere), built by indexing so gradients flow back to the rows.

    Example:
        >>> import lucid, numpy as np
        >>> loss = token_loss(lucid.zeros(1, 2), lucid.tensor([1]), np.array([2]), 4, -100, None)
        >>> [round(x, 4) for x in loss.tolist()]
        [0.0, 0.0, 0.6931, 0.0]
    """
    if check_reduction(reduction) not in (None, "none"):
        return F.cross_entropy(logits, targets, reduction=reduction, ignore_index=ignore_index)
    per_row = F.cross_entropy(logits, targets, reduction=None, ignore_index=ignore_index)
    xp = targets.xp
    n = int(per_row.shape[0])
    where = xp.full(total, n, dtype=xp.int64)  # index n is the appended zero
    where[positions] = xp.arange(n)
    zero = Tensor._wrap(xp.zeros(1, dtype=per_row.dtype))
    return concatenate([per_row, zero])[Tensor._wrap(where)]
