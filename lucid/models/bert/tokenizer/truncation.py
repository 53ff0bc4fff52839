"""Truncation done before the Rust encoder sees a text pair, so that a long pair costs linear time.

Rust truncates a pair by splitting both texts into overflowing pieces and then combining every piece
of one with every piece of the other: time and memory grow with the product of the two lengths
(gigabytes for two long documents; tokenizers#2035). A long pair is therefore tokenized once without
truncation, its token counts give the kept lengths (Rust's own rule, :func:`longest_first`), and each
text is cut after its last kept token. That is a token boundary, so the kept tokens do not change and
Rust has (almost) nothing left to truncate. Short pairs pass through untouched.
"""

from __future__ import annotations


def longest_first(n1, n2, budget):
    """Token counts a text pair of ``n1`` and ``n2`` tokens keeps under longest-first truncation
    to ``budget`` tokens, by the rule of the Rust ``tokenizers`` library (the shorter text is kept
    whole when it fits in half the budget; otherwise both get half, the second the odd token).

    Example:
        >>> longest_first(2, 100, 10), longest_first(40, 50, 9), longest_first(3, 4, 10)
        ((2, 8), (4, 5), (3, 4))
    """
    if n1 + n2 <= budget:
        return n1, n2
    swap = n1 > n2
    if swap:
        n1, n2 = n2, n1
    n2 = n1 if n1 > budget else max(n1, budget - n1)
    if n1 + n2 > budget:
        n1 = budget // 2
        n2 = n1 + budget % 2
    return (n2, n1) if swap else (n1, n2)


def cut_after(text, offsets, n):
    """``text`` up to the end of its ``n``-th token (``offsets``: the tokens' character spans).

    Example:
        >>> cut_after("ab cd ef", [(0, 2), (3, 5), (6, 8)], 2)
        'ab cd'
    """
    if n >= len(offsets):
        return text
    return text[: offsets[n - 1][1]] if n > 0 else ""


def cut_long_pairs(pairs, budget, encode_plain):
    """``pairs`` with each long pair's two texts cut where longest-first truncation to ``budget``
    content tokens would cut them. ``encode_plain(texts)`` gives the encodings of a list of texts,
    untruncated and without special tokens.

    Example:
        >>> from tokenizers import Tokenizer, pre_tokenizers
        >>> from tokenizers.models import WordLevel
        >>> tk = Tokenizer(WordLevel({"a": 0}, unk_token="a"))
        >>> tk.pre_tokenizer = pre_tokenizers.Whitespace()
        >>> [(a.split(), b.split()) for a, b in cut_long_pairs([("a " * 50, "a " * 90)], 4, tk.encode_batch)]
        [(['a', 'a'], ['a', 'a'])]
    """
    long = [i for i, (a, b) in enumerate(pairs) if len(a) + len(b) > 4 * budget + 64]
    if not long:
        return pairs
    encs = encode_plain([t for i in long for t in pairs[i]])
    out = list(pairs)
    for k, i in enumerate(long):
        ea, eb = encs[2 * k], encs[2 * k + 1]
        n1, n2 = longest_first(len(ea.ids), len(eb.ids), budget)
        out[i] = (cut_after(pairs[i][0], ea.offsets, n1), cut_after(pairs[i][1], eb.offsets, n2))
    return out


def fit_to_length(inputs, text_b, truncate_to, add_special_tokens, encode_plain):
    """``(inputs, text_b)`` ready for Rust truncation to ``truncate_to`` tokens: long pairs (a single
    ``inputs``/``text_b`` pair, or a batch ``inputs`` of pairs) cut ahead by :func:`cut_long_pairs`.

    A length that cannot hold the special tokens is a ``ValueError``: Rust would skip the truncation
    silently and return rows longer than ``max_length``.

    Example:
        >>> fit_to_length("short", "pair", 16, True, encode_plain=None)
        ('short', 'pair')
    """
    batch_of_pairs = not isinstance(inputs, str) and inputs and isinstance(inputs[0], tuple)
    if add_special_tokens:
        has_pair = text_b is not None or batch_of_pairs
        need = 3 if has_pair else 2
        if truncate_to < need:
            raise ValueError(f"max_length={truncate_to} cannot hold the {need} special tokens of a "
                             f"{'text pair' if has_pair else 'text'}; use max_length >= {need}")
    budget = truncate_to - (3 if add_special_tokens else 0)
    if text_b is not None:
        inputs, text_b = cut_long_pairs([(inputs, text_b)], budget, encode_plain)[0]
    elif batch_of_pairs:
        inputs = cut_long_pairs(inputs, budget, encode_plain)
    return inputs, text_b
