"""Independent references for the family's tests (not collected as a test module): NumPy
float64 cross-entropy with PyTorch's reductions, and the tiny tokenizer they share."""

from __future__ import annotations

import numpy as np


def cross_entropy(logits, targets, ignore_index=-100):
    """Per-element cross-entropy in float64 (0 where the target is ``ignore_index``) and the
    number of counted elements."""
    logits = np.asarray(logits, dtype=np.float64)
    targets = np.asarray(targets)
    z = logits - logits.max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    keep = targets != ignore_index
    per = np.zeros(targets.shape)
    per[keep] = -logp[keep, targets[keep]]
    return per, int(keep.sum())


def reduce(per, count, reduction):
    """``per`` reduced as PyTorch does: the mean over counted elements (0 when none), the sum, or itself."""
    if reduction == "mean":
        return per.sum() / count if count else 0.0
    if reduction == "sum":
        return per.sum()
    return per
