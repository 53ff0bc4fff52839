"""Packed execution of a padded batch: where its real tokens are, and moving rows in and out.

With a 2-D padding mask (or none), the backbone runs its token-wise work (embeddings, projections,
feed-forward, LayerNorms) on the ``(tokens, hidden)`` rows of the real tokens only, and
attention per sequence over its own tokens (:func:`lucid.nn.functional.packed_attention`).
At real positions this is the padded computation (the padded keys had no weight); padded
positions are never computed and read as zeros in the ``(batch, seq, ...)`` outputs. A batch
without padding is packed too (its rows are a reshape, no copy), so every encoder batch takes
one code path.
"""

from __future__ import annotations

import numpy as np

from ... import _backend
from ..._tensor import Tensor
from ...nn.kernels.packing import put_rows, take_rows
from ._task import mask_array

__all__ = ["Packing"]


class Packing:
    """The real tokens of a ``(batch, seq)`` batch, from its ``keep`` mask (bool array).

    ``index``: the real tokens' flat positions ``b * seq + s`` in order (device array);
    ``offsets``: where each sequence's rows start in the packed layout (NumPy, ``batch + 1``);
    ``positions``: each real token's position in its sequence (a tensor, for the position
    embeddings).

    Example:
        >>> import numpy as np
        >>> p = Packing(np.array([[True, True, False], [True, False, False]]))
        >>> p.index.tolist(), p.offsets.tolist(), p.positions.tolist()
        ([0, 1, 3], [0, 2, 3], [0, 1, 0])
    """

    def __init__(self, keep):
        xp = _backend.xp_of(keep)
        self.batch, self.seq = keep.shape
        self.keep = keep
        self.index = xp.flatnonzero(keep)
        lengths = _backend.to_numpy(keep.sum(axis=1))
        self.offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        self.tokens = int(self.offsets[-1])
        self.full = self.tokens == self.batch * self.seq  # no padding: rows are a reshape
        self.positions = Tensor._wrap(self.index % self.seq)

    @classmethod
    def of(cls, attention_mask, batch, seq, device):
        """The packing of a 2-D ``(batch, seq)`` padding mask (None: no padding), or None where
        packing does not apply: another mask shape, or a sequence whose first position is
        padding (the pooler reads position 0; an empty sequence has none).

        Example:
            >>> import lucid
            >>> Packing.of(lucid.tensor([[1, 1], [1, 0]]), 2, 2, "cpu").tokens
            3
            >>> Packing.of(None, 2, 2, "cpu").full, Packing.of(lucid.tensor([[0, 1], [1, 1]]), 2, 2, "cpu")
            (True, None)
        """
        if attention_mask is None:
            return cls(_backend.get_xp(device).ones((batch, seq), dtype=bool))
        if isinstance(attention_mask, Tensor):
            mask = attention_mask.data
        else:
            mask = _backend.get_xp(device).asarray(mask_array(attention_mask, "attention_mask"))
        if mask.ndim != 2 or tuple(mask.shape) != (batch, seq) or _backend.device_of(mask) != device:
            return None  # the padded path checks and explains the mask
        keep = mask.astype(bool, copy=False)
        if not bool(keep[:, 0].all()):
            return None
        return cls(keep)

    def ids(self, ids):
        """The real tokens' entries of a ``(batch, seq)`` or ``(1, seq)`` id tensor, ``(tokens,)``."""
        data = ids.data
        if data.shape[0] != self.batch:
            data = ids.xp.broadcast_to(data, (self.batch, self.seq))
        flat = data.reshape(-1)
        return Tensor._wrap(flat if self.full else flat[self.index])

    def pack(self, t):
        """``(batch, seq, ...)`` -> the real tokens' rows ``(tokens, ...)`` (differentiable)."""
        rows = t.reshape((self.batch * self.seq,) + t.shape[2:])
        return rows if self.full else take_rows(rows, self.index)

    def unpack(self, rows):
        """``(tokens, ...)`` -> ``(batch, seq, ...)`` with zeros at padded positions (differentiable)."""
        out = rows if self.full else put_rows(rows, self.index, self.batch * self.seq)
        return out.reshape((self.batch, self.seq) + rows.shape[1:])

    def firsts(self, rows):
        """Each sequence's first row (position 0, a real token), ``(batch, ...)``."""
        return take_rows(rows, rows.xp.asarray(self.offsets[:-1]))
