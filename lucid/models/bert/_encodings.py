"""Encodings that keep track of where each WordPiece came from, for the span tasks.

Question answering, entity extraction and word-level labels need what the id tensors drop:
each piece's character offsets in its text, the word (pre-tokenizer split) it belongs to
and which segment it is in. Hugging Face's ``tokenizers`` encodings carry all three; this
module runs the tokenizer's own pipeline (:func:`~.tokenizer.pipeline.bert_pipeline`, so the
ids are the tokenizer's) and hands the encodings over, and turns a batch of them into the
model's padded id tensors.
"""

from __future__ import annotations

import numpy as np

from ...data import warn_if_truncated
from .tokenizer.arguments import invalid_unicode
from .tokenizer.batches import as_tensors
from .tokenizer.pipeline import bert_pipeline
from .tokenizer.truncation import fit_to_length

__all__ = ["encode_pieces", "encode_with_offsets", "model_inputs", "word_count"]


def encode_with_offsets(tokenizer, texts_a, texts_b=None, max_length=None) -> list:
    """The ``tokenizers`` encodings of a batch of texts (or text pairs), special tokens added,
    each truncated (longest text of a pair first) to ``max_length`` tokens when given (with a
    :class:`~lucid.data.TruncationWarning` when a text lost tokens, as every text method gives);
    a text that is not valid Unicode is a ``ValueError`` naming it.

    Example:
        >>> from lucid.models import BERTTokenizerFast
        >>> tok = BERTTokenizerFast(vocab={w: i for i, w in enumerate(
        ...     ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "##b"])})
        >>> enc = encode_with_offsets(tok, ["a ab"])[0]
        >>> enc.ids, enc.offsets[1:4], enc.word_ids
        ([2, 5, 5, 6, 3], [(0, 1), (2, 3), (3, 4)], [None, 0, 1, 1, None])
    """
    rust = bert_pipeline(tokenizer, tokenizer.get_vocab())
    inputs = list(texts_a) if texts_b is None else list(zip(texts_a, texts_b))
    try:
        if max_length is not None:
            # long pairs are cut ahead of Rust, as the tokenizer itself does (tokenizers#2035)
            inputs, _ = fit_to_length(inputs, None, max_length, True,
                                      lambda texts: rust.encode_batch(texts, add_special_tokens=False))
            rust.enable_truncation(max_length, strategy="longest_first")
        encodings = rust.encode_batch(inputs)
    except TypeError as err:  # Rust's "must be str" names no text: say which one, as the tokenizer does
        bad = invalid_unicode(inputs)
        if bad is None:
            raise
        raise bad from err
    if max_length is not None:
        warn_if_truncated(tokenizer, list(texts_a), texts_b, [len(e.ids) for e in encodings], max_length)
    return encodings


def encode_pieces(tokenizer, texts) -> list:
    """The encodings of ``texts`` without special tokens and untruncated (the pieces of a
    question and of a context, which question answering lays out in windows itself).

    Example:
        >>> from lucid.models import BERTTokenizerFast
        >>> tok = BERTTokenizerFast(vocab={w: i for i, w in enumerate(
        ...     ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a"])})
        >>> [e.ids for e in encode_pieces(tok, ["a a", ""])]
        [[5, 5], []]
    """
    return bert_pipeline(tokenizer, tokenizer.get_vocab()).encode_batch(list(texts), add_special_tokens=False)


def word_count(encoding) -> int:
    """How many words (pre-tokenizer splits) an encoding without special tokens holds.

    Example:
        >>> from lucid.models import BERTTokenizerFast
        >>> word_count(encode_pieces(BERTTokenizerFast(), ["[MASK] [UNK], [MASK]"])[0])
        4
    """
    ids = [w for w in encoding.word_ids if w is not None]
    return max(ids) + 1 if ids else 0


def model_inputs(tokenizer, encodings, device) -> dict:
    """``input_ids``, ``token_type_ids`` and ``attention_mask`` of ``encodings`` as right-padded
    ``(batch, seq)`` int64 tensors on ``device`` (what the tokenizer's batch encoding gives).

    Example:
        >>> from lucid.models import BERTTokenizerFast
        >>> tok = BERTTokenizerFast()
        >>> model_inputs(tok, encode_with_offsets(tok, ["[MASK]", ""]), "cpu")["input_ids"].tolist()
        [[2, 4, 3], [2, 3, 0]]
    """
    pairs = any(1 in e.sequence_ids for e in encodings)
    return as_tensors(encodings, "longest", pairs, tokenizer.pad_token_id,
                      np.asarray(tokenizer.all_special_ids, dtype=np.int64), device)
