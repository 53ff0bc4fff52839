"""Embedding's backward reads the ids: changing them in place after the forward raises, as
for every other saved tensor (torch raises the same way)."""

import pytest

import lucid
import lucid.nn.functional as F


def test_changing_the_ids_before_backward_raises():
    w = lucid.ones(4, 2, requires_grad=True)
    ids = lucid.tensor([0, 1, 1])
    out = F.embedding(ids, w).sum()
    ids[0] = 3
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*embedding"):
        out.backward()


def test_unchanged_ids_give_the_row_counts():
    w = lucid.ones(4, 2, requires_grad=True)
    F.embedding(lucid.tensor([0, 1, 1]), w).sum().backward()
    assert w.grad.tolist() == [[1.0, 1.0], [2.0, 2.0], [0.0, 0.0], [0.0, 0.0]]
