"""Saying when a tokenizer cut texts short: :func:`warn_if_truncated` and its :class:`TruncationWarning`.

Truncation to ``max_length`` tokens is silent in the tokenizer (as in ``transformers``); a
model's text methods and ``lucid-bert`` call this after encoding so that a long document is
never cut without a word. Only encodings that reached the limit are encoded again, untruncated,
to tell a text that fits exactly from one that lost tokens.
"""

from __future__ import annotations

import os
import sys
import warnings

__all__ = ["TruncationWarning", "warn_if_truncated"]

_LUCID_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class TruncationWarning(UserWarning):
    """Texts were longer than ``max_length`` tokens and lost their ends. ``count``, ``total``
    and ``max_length`` say how many, out of how many, and the limit.

    Example:
        >>> import warnings
        >>> from lucid.data import TruncationWarning
        >>> warnings.filterwarnings("ignore", category=TruncationWarning)  # to silence it
        >>> TruncationWarning(2, 5, 128).count
        2
    """

    def __init__(self, count: int, total: int, max_length: int):
        self.count, self.total, self.max_length = count, total, max_length
        what = "the text was" if total == 1 else f"{count} of {total} texts were"
        super().__init__(f"{what} longer than max_length={max_length} tokens and truncated to {max_length}")


def _first_frame_outside_lucid() -> int:
    """The ``stacklevel`` that points a warning raised by this module's caller at user code."""
    level, frame = 2, sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(_LUCID_DIR):
        level, frame = level + 1, frame.f_back
    return level


def warn_if_truncated(tokenizer, texts, text_pairs, lengths, max_length) -> int:
    """Warn once (a :class:`TruncationWarning` pointing at the first caller outside lucid) when
    some of ``texts`` (with ``text_pairs``, or None) were truncated; return how many were.

    ``lengths`` are the token counts of their encodings truncated to ``max_length``; those at the
    limit are encoded again without truncation (``tokenizer.batch_encode_plus``) to see whether they
    lost tokens.

    Example:
        >>> import warnings
        >>> from lucid.models import BERTTokenizerFast
        >>> tok = BERTTokenizerFast()
        >>> texts = ["[MASK]", "[MASK] [MASK] [MASK]"]
        >>> lengths = [len(ids) for ids in tok.batch_encode(texts, truncation=True, max_length=4)]
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     warn_if_truncated(tok, texts, None, lengths, 4)
        1
        >>> str(caught[0].message)
        '1 of 2 texts were longer than max_length=4 tokens and truncated to 4'
    """
    at_limit = [i for i, n in enumerate(lengths) if n >= max_length]
    if not at_limit:
        return 0
    pairs = None if text_pairs is None else [text_pairs[i] for i in at_limit]
    full = tokenizer.batch_encode_plus([texts[i] for i in at_limit], pairs, padding=False, truncation=False,
                                       return_tensor=False)["input_ids"]
    count = sum(len(ids) > max_length for ids in full)
    if count:
        warnings.warn(TruncationWarning(count, len(lengths), max_length), stacklevel=_first_frame_outside_lucid())
    return count
