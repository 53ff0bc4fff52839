"""Batched inference over a list of texts: what every prediction ``*_from_text`` method shares.

The texts are tokenized once (so a truncation warning comes once per call), ordered by token
length, longest first (the batch that needs the most memory runs first, so a ``batch_size``
too large fails at once, and each batch pads little), and run ``batch_size`` at a time in
eval mode without a graph. :func:`run_batched` puts the results back in input order:

* per-text results (a list per batch: labels, spans, entities, fill-mask dicts) as one list;
* arrays or tensors with one row per text, ``(batch, ...)``, as one array or tensor;
* per-position arrays ``(batch, seq)`` (``pad=`` given) right-padded with ``pad`` to the
  longest encoding of the whole list, the width one padded batch of every text has.

Only the working set of one batch (its activations, its logits) is alive at a time; what
comes back is the small result. The losses (``get_loss_from_text``) stay unbatched: a
differentiable loss keeps the graph of every batch until ``backward``, so batching it would
bound nothing.
"""

from __future__ import annotations

import sys

import numpy as np
from tqdm import tqdm

from ... import _backend
from ..._tensor import Tensor
from . import _encodings
from ._task import batch_texts, eval_mode, resolve_device

__all__ = ["EncodedTexts", "check_batch_size", "check_progress", "length_order", "run_batched"]


def check_batch_size(batch_size) -> int:
    """``batch_size`` as an int once it is an int >= 1.

    Raises:
        TypeError: not an int (a bool or a float included), naming the value.
        ValueError: an int below 1, naming it.

    Example:
        >>> check_batch_size(8)
        8
        >>> check_batch_size(0)
        Traceback (most recent call last):
        ...
        ValueError: batch_size must be an int >= 1, got 0
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"batch_size must be an int >= 1, got {type(batch_size).__name__} {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
    return int(batch_size)


def check_progress(progress) -> bool:
    """``progress`` once it is a bool (a truthy string would show a bar nobody asked for).

    Example:
        >>> check_progress(True)
        True
    """
    if not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"progress must be True or False, got {type(progress).__name__} {progress!r}")
    return bool(progress)


def length_order(lengths) -> np.ndarray:
    """The indices of ``lengths`` longest first, equal lengths in input order.

    Example:
        >>> length_order([3, 7, 3, 9]).tolist()
        [3, 1, 0, 2]
    """
    return np.argsort(-np.asarray(lengths, dtype=np.int64), kind="stable")


class EncodedTexts:
    """The texts of one ``*_from_text`` call, tokenized once: :attr:`device` (the one
    :func:`~._task.resolve_device` picks), :attr:`texts_a`, :attr:`texts_b` (lists, or None
    for single texts) and :attr:`encodings`, the ``tokenizers`` encodings with special tokens,
    each truncated to ``max_length`` tokens (``None``: the longest input the model takes),
    unpadded.

    Example:
        >>> from lucid.models import BERTConfig, BERTForMaskedLM, BERTTokenizerFast
        >>> tok = BERTTokenizerFast(vocab={w: i for i, w in enumerate(
        ...     ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "movie"])})
        >>> model = BERTForMaskedLM(BERTConfig.tiny(vocab_size=7, max_position_embeddings=8))
        >>> texts = EncodedTexts(model, tok, ["a movie", "a"])
        >>> texts.device, [e.ids for e in texts.encodings]
        ('cpu', [[2, 5, 6, 3], [2, 5, 3]])
        >>> texts.inputs([1])["input_ids"].tolist()
        [[2, 5, 3]]
    """

    def __init__(self, model, tokenizer, text_a, text_b=None, device=None, max_length=None):
        self.model, self.tokenizer = model, tokenizer
        self.texts_a, self.texts_b = batch_texts(text_a, text_b)
        if max_length is None:
            max_length = model.config.max_position_embeddings
        elif isinstance(max_length, bool) or not isinstance(max_length, (int, np.integer)):
            raise TypeError(f"max_length must be an int or None, got {type(max_length).__name__}")
        elif max_length < 1:
            raise ValueError(f"max_length must be >= 1, got {max_length}")
        self.device = resolve_device(model, device)
        self.encodings = _encodings.encode_with_offsets(tokenizer, self.texts_a, self.texts_b, int(max_length))

    def inputs(self, rows) -> dict:
        """``input_ids``, ``token_type_ids``, ``attention_mask`` of the texts ``rows``, right-padded
        to the longest of them, on :attr:`device`."""
        return _encodings.model_inputs(self.tokenizer, [self.encodings[i] for i in rows], self.device)

    def run(self, step, *, batch_size=32, progress=False, pad=None, desc=None):
        """:func:`run_batched` over these texts (their token lengths order them)."""
        return run_batched(self.model, [len(e.ids) for e in self.encodings], step, batch_size=batch_size,
                           progress=progress, pad=pad, desc=desc or type(self.model).__name__)


def _assemble(parts, order, lengths, pad):
    """The batches' results ``parts`` (in ``order``'s order) back in input order."""
    first = parts[0]
    if isinstance(first, tuple):
        return tuple(_assemble([p[i] for p in parts], order, lengths, pad) for i in range(len(first)))
    if isinstance(first, list):
        out = [None] * len(order)
        for i, item in zip(order.tolist(), (item for p in parts for item in p)):
            out[i] = item
        return out
    arrays = [p.data if isinstance(p, Tensor) else p for p in parts]
    xp = _backend.xp_of(arrays[0])
    if pad is not None:  # per-position rows: as wide as the longest item, ``pad`` past each item's end
        width = int(lengths.max())
        past_end = np.arange(width)[None, :] >= lengths[order][:, None]
        arrays = [xp.pad(a, ((0, 0), (0, width - a.shape[1]))) for a in arrays]
    joined = xp.concatenate(arrays, axis=0) if len(arrays) > 1 else arrays[0]
    if pad is not None:
        joined[xp.asarray(past_end)] = pad
    inverse = xp.asarray(np.argsort(order))
    result = joined[inverse]
    return Tensor._wrap(result) if isinstance(first, Tensor) else result


def run_batched(model, lengths, step, *, batch_size=32, progress=False, pad=None, desc="batches", unit="text"):
    """Run ``step(rows)`` on the items ``rows`` (an int array of input indices, longest
    first) ``batch_size`` items at a time, in eval mode without a graph, and return the
    results in input order (see the module notes for the three kinds of result; a tuple of
    results is assembled item by item).

    Args:
        model: the model whose mode :func:`~._task.eval_mode` sets for the whole run.
        lengths: each item's length in tokens (what orders them, and ``pad``'s width).
        step: ``rows -> result`` of that batch: a list (one entry per row), an array or
            tensor ``(len(rows), ...)``, or a tuple of those.
        batch_size: items per ``step``; an int >= 1.
        progress: show a tqdm bar on standard error, counting ``unit``\\s.
        pad: for ``(len(rows), seq)`` results, the value of the positions past an item's
            length.

    Example:
        >>> import lucid.nn as nn, numpy as np
        >>> seen = []
        >>> def step(rows):
        ...     seen.append(rows.tolist())
        ...     return np.asarray(rows) * 10, [f"text {i}" for i in rows]
        >>> tens, names = run_batched(nn.Linear(1, 1), [2, 5, 3], step, batch_size=2)
        >>> seen, tens.tolist(), names
        ([[1, 2], [0]], [0, 10, 20], ['text 0', 'text 1', 'text 2'])
    """
    batch_size = check_batch_size(batch_size)
    progress = check_progress(progress)
    lengths = np.asarray(lengths, dtype=np.int64)
    order = length_order(lengths)
    parts = []
    with eval_mode(model), tqdm(total=len(order), desc=desc, unit=unit, file=sys.stderr,
                                disable=not progress) as bar:
        for begin in range(0, len(order), batch_size):
            rows = order[begin:begin + batch_size]
            parts.append(step(rows))
            bar.update(len(rows))
    return _assemble(parts, order, lengths, pad)
