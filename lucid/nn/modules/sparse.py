"""Embedding: a lookup table of vectors."""

from __future__ import annotations

from ..._tensor import Tensor
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter
from ._factory import check_int, empty_parameter


class Embedding(Module):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``, indexed by integer ids.

    Args:
        num_embeddings: number of rows (vocabulary size).
        embedding_dim: size of each vector.
        padding_idx: a row that starts at zero and never receives a gradient (negative
            values count from the end).
        device, dtype: where and in which float dtype to create the weight.

    ``weight`` starts as N(0, 1), as in PyTorch, with the padding row zeroed.

    Example:
        >>> import lucid, lucid.nn as nn
        >>> emb = nn.Embedding(10, 3, padding_idx=0)
        >>> emb(lucid.tensor([[0, 2, 5]])).shape
        (1, 3, 3)
        >>> emb.weight[0].tolist()
        [0.0, 0.0, 0.0]
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, device=None, dtype=None, _weight=None):
        super().__init__()
        self.num_embeddings = check_int("num_embeddings", num_embeddings)
        self.embedding_dim = check_int("embedding_dim", embedding_dim)
        if padding_idx is not None:
            n = self.num_embeddings
            if isinstance(padding_idx, bool) or not isinstance(padding_idx, int) or not -n <= padding_idx < n:
                raise ValueError(f"padding_idx must be an int in [-{n}, {n}) for num_embeddings={n}, got {padding_idx!r}")
            padding_idx %= n
        self.padding_idx = padding_idx
        if _weight is None:
            self.weight = empty_parameter((self.num_embeddings, self.embedding_dim), device, dtype)
            self.reset_parameters()
        else:
            w = _weight if isinstance(_weight, Tensor) else Tensor(_weight)
            if w.shape != (self.num_embeddings, self.embedding_dim):
                raise ValueError(
                    f"_weight has shape {w.shape}, expected ({self.num_embeddings}, {self.embedding_dim})"
                )
            self.weight = w if isinstance(w, Parameter) else Parameter(w)

    def reset_parameters(self):
        """Re-draw the weight from N(0, 1) and zero the padding row."""
        init.normal(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None):
        """An Embedding whose weight is the 2-D tensor ``embeddings`` (shared, not copied);
        ``freeze=True`` turns its gradient off.

        Example:
            >>> import lucid, lucid.nn as nn
            >>> emb = nn.Embedding.from_pretrained(lucid.tensor([[1.0, 2.0], [3.0, 4.0]]))
            >>> emb(lucid.tensor([1])).tolist(), emb.weight.requires_grad
            ([[3.0, 4.0]], False)
        """
        t = embeddings if isinstance(embeddings, Tensor) else Tensor(embeddings)
        if t.ndim != 2:
            raise ValueError(f"embeddings must be 2-dimensional, got shape {t.shape}")
        emb = cls(t.shape[0], t.shape[1], padding_idx=padding_idx, _weight=t)
        emb.weight.requires_grad_(not freeze)
        return emb

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        return text
