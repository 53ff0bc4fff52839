"""What a batch encoding returns, from the Rust encodings: lists of rows, or ``(B, L)`` int64 tensors.

The tensors are padded in NumPy straight into the arrays, which is cheaper than asking Rust for
padded rows and turning those Python lists into arrays.
"""

from __future__ import annotations

import itertools

import numpy as np

from .... import _backend
from ...._tensor import Tensor


def flatten(rows, total):
    """The int lists ``rows`` end to end as one int64 array (C-level iteration, no Python loop).

    Example:
        >>> flatten([[1, 2], [], [3]], 3)
        array([1, 2, 3])
    """
    return np.fromiter(itertools.chain.from_iterable(rows), dtype=np.int64, count=total)


#: What a batch encoding can return, in this order.
KEYS = ("input_ids", "token_type_ids", "attention_mask", "special_tokens_mask")


def as_lists(encodings, pairs, special_ids, keys=KEYS[:3]):
    """The ``keys`` (of :data:`KEYS`; ``special_tokens_mask`` is 1 where the id is in
    ``special_ids``) as lists of rows; only what is asked for is built.

    Example:
        >>> from lucid.models import BERTTokenizerFast
        >>> from lucid.models.bert.tokenizer.pipeline import bert_pipeline
        >>> tok = BERTTokenizerFast()
        >>> encodings = [bert_pipeline(tok, tok.get_vocab()).encode("[MASK]")]
        >>> as_lists(encodings, False, np.array([2, 3]), KEYS)["special_tokens_mask"]
        [[1, 0, 1]]
    """
    ids = [e.ids for e in encodings]
    lengths = [len(r) for r in ids]
    out = {"input_ids": ids}
    if "token_type_ids" in keys:
        # single texts have type id 0 everywhere: no need to ask Rust for those rows
        out["token_type_ids"] = [e.type_ids for e in encodings] if pairs else [[0] * n for n in lengths]
    if "attention_mask" in keys:
        out["attention_mask"] = [e.attention_mask for e in encodings]
    if "special_tokens_mask" in keys:
        marks = np.isin(flatten(ids, sum(lengths)), special_ids).astype(np.int64)
        out["special_tokens_mask"] = [m.tolist() for m in np.split(marks, np.cumsum(lengths)[:-1])] if ids else []
    return out


def as_tensors(encodings, pad, pairs, pad_id, special_ids, device, keys=KEYS[:3]):
    """The same as :func:`as_lists` as ``(B, L)`` int64 tensors on ``device``, from unpadded encodings
    padded on the right with ``pad_id`` as ``pad`` says (``None``: every row must have one length;
    ``"longest"``; or ``(length or None, multiple or None)``).

    Example:
        >>> from lucid.models import BERTTokenizerFast
        >>> from lucid.models.bert.tokenizer.pipeline import bert_pipeline
        >>> tok = BERTTokenizerFast()
        >>> tk = bert_pipeline(tok, tok.get_vocab())
        >>> encodings = [tk.encode("[MASK]"), tk.encode("")]
        >>> as_tensors(encodings, "longest", False, 0, np.array([2, 3]), "cpu")["input_ids"].tolist()
        [[2, 4, 3], [2, 3, 0]]
    """
    ids = [e.ids for e in encodings]
    n = len(ids)
    lengths = np.fromiter(map(len, ids), dtype=np.int64, count=n)
    longest = int(lengths.max()) if n else 0
    if pad is None:
        width = longest
        if n and int(lengths.min()) != width:
            raise ValueError(f"cannot make one tensor of sequences of lengths {int(lengths.min())} to "
                             f"{width}: pass padding=True (or padding='max_length')")
    else:
        length, multiple = (None, None) if pad == "longest" else pad
        width = longest if length is None else max(length, 0)
        if multiple:
            width = -(-width // multiple) * multiple
        if longest > width:
            raise ValueError(f"cannot make one tensor: a sequence of {longest} tokens is longer than "
                             f"max_length={width}; pass truncation=True")
    filled = np.arange(width) < lengths[:, None]
    total = int(lengths.sum())
    input_ids = np.full((n, width), pad_id, dtype=np.int64)
    input_ids[filled] = flatten(ids, total)
    arrays = {"input_ids": input_ids}
    if "token_type_ids" in keys:
        arrays["token_type_ids"] = np.zeros((n, width), dtype=np.int64)
        if pairs:
            arrays["token_type_ids"][filled] = flatten([e.type_ids for e in encodings], total)
    if "attention_mask" in keys:
        arrays["attention_mask"] = filled.astype(np.int64)
    if "special_tokens_mask" in keys:
        arrays["special_tokens_mask"] = np.isin(input_ids, special_ids).astype(np.int64)
    return {k: Tensor._wrap(_backend.to_device(v, device)) for k, v in arrays.items()}
