"""Checks of what a caller hands the tokenizer: texts, token lists, ids and the length options.

Each error names the argument and the value it got, so a wrong call says what to fix.
"""

from __future__ import annotations

import numpy as np

from ...._backend import is_gpu_array, to_numpy
from ...._tensor import Tensor

_PADDING_CHOICES = (False, True, "longest", "max_length", "do_not_pad")


def type_name(value) -> str:
    """The name of ``value``'s type, as error messages show it.

    Example:
        >>> type_name(3), type_name([1])
        ('int', 'list')
    """
    return type(value).__name__


def check_text(text, what="text"):
    """``text`` itself when it is a str, else a ``TypeError`` naming ``what``.

    Example:
        >>> check_text("hi")
        'hi'
    """
    if not isinstance(text, str):
        raise TypeError(f"{what} must be a str, got {type_name(text)}")
    return text


def check_str_items(items, what):
    """A ``TypeError`` naming the first item of the list ``items`` that is not a str.

    Example:
        >>> check_str_items(["a", "b"], "tokens")
    """
    for i, t in enumerate(items):
        if not isinstance(t, str):
            raise TypeError(f"{what}[{i}] must be a str, got {type_name(t)}")


def as_text_list(texts, what="texts"):
    """One string -> a batch of one; a list/tuple (or NumPy array) of strings -> a list. Anything
    else is a ``TypeError``.

    Example:
        >>> as_text_list("one"), as_text_list(("a", "b"))
        (['one'], ['a', 'b'])
    """
    if isinstance(texts, str):
        return [texts]
    if isinstance(texts, np.ndarray):
        texts = texts.tolist()
    if not isinstance(texts, (list, tuple)):
        raise TypeError(f"{what} must be a str or a list of str, got {type_name(texts)}")
    check_str_items(texts, what)
    return list(texts)


def check_flag(value, name, hint=""):
    """A ``TypeError`` naming ``name`` unless ``value`` is a bool; ``hint`` says what a caller
    probably meant (a second text landing where the original's ``add_special_tokens`` sits).

    Example:
        >>> check_flag(True, "add_special_tokens")
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {type_name(value)} {value!r}" + (f" ({hint})" if hint else ""))


def invalid_unicode(inputs, text_b=None):
    """The error of the first text that is not valid Unicode (a lone surrogate such as
    ``"\\ud800"``, which has no UTF-8 form), naming it (``text``, ``text_b``, or ``texts[i]`` /
    ``text_pairs[i]`` in a batch, whose items may be ``(text, pair)`` tuples); None when all are valid.

    Example:
        >>> invalid_unicode(["fine", "bad \\udc00"])
        ValueError("texts[1] is not valid Unicode: it holds the lone surrogate '\\\\udc00' at index 4")
    """
    if isinstance(inputs, str):
        named = [("text", inputs), ("text_b", text_b)]
    else:
        named = []
        for i, item in enumerate(inputs):
            a, b = item if isinstance(item, tuple) else (item, None)
            named += [(f"texts[{i}]", a), (f"text_pairs[{i}]", b)]
    for name, text in named:
        if text is None:
            continue
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as err:
            return ValueError(f"{name} is not valid Unicode: it holds the lone surrogate "
                              f"{text[err.start]!r} at index {err.start}")
    return None


def check_pair_arg(text_b, name="text_b"):
    """A ``TypeError`` for a bool given as the second text: a positional ``add_special_tokens``
    landing in the wrong place.

    Example:
        >>> check_pair_arg("second")
    """
    if isinstance(text_b, (bool, np.bool_)):
        raise TypeError(f"{name} must be a str or None, got bool (pass add_special_tokens by keyword)")


def single_pair(text_b):
    """The second text of a single (not batched) encoding, or ``None`` for no pair.

    ``transformers`` encodes a single text with an empty second text as a single text (it tests the
    pair for truth); the same here keeps the ids equal. In a batch an empty second text is kept, as there.

    Example:
        >>> single_pair("b"), single_pair(""), single_pair(None)
        ('b', None, None)
    """
    if text_b is None:
        return None
    check_text(text_b, "text_b")
    return text_b or None


def batch_inputs(texts, text_pairs):
    """``(batch, has_pairs)``: what a batch encoding hands Rust (a list of texts, or of ``(text, pair)``
    tuples) from ``texts`` and ``text_pairs`` (each a str or a list of str; ``text_pairs`` may be None).

    Example:
        >>> batch_inputs(["a", "b"], ["c", "d"]), batch_inputs("a", "")
        (([('a', 'c'), ('b', 'd')], True), (['a'], False))
    """
    check_pair_arg(text_pairs, "text_pairs")
    if isinstance(texts, str) and text_pairs is not None and not isinstance(text_pairs, str):
        raise TypeError(f"text_pairs must be a str when texts is a str, got {type_name(text_pairs)}")
    if isinstance(texts, str):
        text_pairs = single_pair(text_pairs)
    batch = as_text_list(texts)
    if text_pairs is not None:
        pairs = as_text_list(text_pairs, "text_pairs")
        if len(pairs) != len(batch):
            raise ValueError(f"got {len(batch)} texts but {len(pairs)} text_pairs; they must match")
        batch = list(zip(batch, pairs))
    return batch, text_pairs is not None


def ids_list(ids, limit, vocab_size, what="ids"):
    """A flat list of Python ints from a list, a NumPy array or a 1-D Tensor, each in ``[0, limit)``
    (``limit``: one past the largest id; ``vocab_size`` is what the range error reports).

    Example:
        >>> import numpy as np
        >>> ids_list(np.array([2, 0, 3]), limit=5, vocab_size=5)
        [2, 0, 3]
    """
    if isinstance(ids, Tensor):
        ids = ids.numpy()
    elif is_gpu_array(ids):  # a CuPy array, as a GPU tensor: its ids come to the host
        ids = to_numpy(ids)
    if isinstance(ids, np.ndarray):
        if ids.ndim != 1:
            raise ValueError(f"{what} must be 1-D, got shape {ids.shape}")
        if ids.size and ids.dtype.kind not in "iu":
            raise TypeError(f"{what} must hold integers, got dtype {ids.dtype}")
        arr = ids.astype(np.int64, copy=False)
    else:
        if not isinstance(ids, (list, tuple)):
            raise TypeError(f"{what} must be a list of int, a NumPy array or a Tensor, got {type_name(ids)}")
        for i, v in enumerate(ids):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise TypeError(f"{what}[{i}] must be an int, got {type_name(v)}")
        arr = np.asarray(ids, dtype=np.int64) if ids else np.zeros(0, np.int64)
    if arr.size:
        bad = (arr < 0) | (arr >= limit)
        if bad.any():
            value = int(arr[np.argmax(bad)])
            raise IndexError(f"token id {value} is out of range for a vocabulary of size {vocab_size}")
    return arr.tolist()

def id_rows(batch_ids, limit, vocab_size):
    """The rows of a list of id lists or a 2-D Tensor/array, each checked by :func:`ids_list`.

    Example:
        >>> id_rows([[2, 4], (1,)], limit=5, vocab_size=5)
        [[2, 4], [1]]
    """
    if isinstance(batch_ids, Tensor):
        batch_ids = batch_ids.numpy()
    elif is_gpu_array(batch_ids):
        batch_ids = to_numpy(batch_ids)
    if isinstance(batch_ids, np.ndarray):
        if batch_ids.ndim != 2:
            raise ValueError(f"batch_decode takes 2-D ids, got shape {batch_ids.shape}")
        return [ids_list(row, limit, vocab_size) for row in batch_ids]
    if isinstance(batch_ids, (list, tuple)):
        return [ids_list(row, limit, vocab_size, f"batch_ids[{i}]") for i, row in enumerate(batch_ids)]
    raise TypeError(f"batch_ids must be a list of id lists or a 2-D Tensor, got {type_name(batch_ids)}")


def check_options(specials, lowercase, clean_text, tokenize_chinese_chars, strip_accents, wordpieces_prefix,
                  max_input_chars_per_word, model_max_length):
    """The constructor's checks of its options (``specials``: role -> token).

    Example:
        >>> check_options({"unk_token": "[UNK]"}, True, True, True, None, "##", 100, 512)
    """
    for role, token in specials.items():
        if not isinstance(token, str) or not token:
            raise TypeError(f"{role} must be a non-empty str, got {token!r}")
    for name, value in (("lowercase", lowercase), ("clean_text", clean_text),
                        ("tokenize_chinese_chars", tokenize_chinese_chars)):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be a bool, got {type_name(value)}")
    if strip_accents is not None and not isinstance(strip_accents, (bool, np.bool_)):
        raise TypeError(f"strip_accents must be a bool or None, got {type_name(strip_accents)}")
    if not isinstance(wordpieces_prefix, str):
        raise TypeError(f"wordpieces_prefix must be a str, got {type_name(wordpieces_prefix)}")
    for name, value in (("max_input_chars_per_word", max_input_chars_per_word),
                        ("model_max_length", model_max_length)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an int, got {type_name(value)}")
        if value < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")


def resolve_lengths(padding, truncation, max_length, pad_to_multiple_of, model_max_length):
    """The checked length options as ``(truncate_to, pad)``: ``truncate_to`` is ``None`` or a length;
    ``pad`` is ``None``, ``"longest"`` or ``(length or None, multiple or None)``.

    Example:
        >>> resolve_lengths(True, True, 8, None, 512)
        (8, 'longest')
        >>> resolve_lengths("max_length", False, None, 4, 512)
        (None, (512, 4))
    """
    if padding not in _PADDING_CHOICES or isinstance(padding, (int, float)) and not isinstance(padding, bool):
        raise ValueError(f"padding must be one of False, True, 'longest', 'max_length', got {padding!r}")
    if not isinstance(truncation, (bool, np.bool_)) and truncation not in ("longest_first", "do_not_truncate"):
        raise ValueError(f"truncation must be a bool or 'longest_first', got {truncation!r}")
    if max_length is not None:
        if isinstance(max_length, bool) or not isinstance(max_length, (int, np.integer)):
            raise TypeError(f"max_length must be an int or None, got {type_name(max_length)}")
        if max_length < 1:
            raise ValueError(f"max_length must be >= 1, got {max_length}")
        max_length = int(max_length)
    if pad_to_multiple_of is not None:
        if isinstance(pad_to_multiple_of, bool) or not isinstance(pad_to_multiple_of, (int, np.integer)) \
                or pad_to_multiple_of < 1:
            raise ValueError(f"pad_to_multiple_of must be a positive int or None, got {pad_to_multiple_of!r}")
        pad_to_multiple_of = int(pad_to_multiple_of)
    limit = max_length if max_length is not None else model_max_length
    truncate_to = limit if truncation in (True, "longest_first") else None
    if (truncate_to is not None and pad_to_multiple_of is not None and padding not in (False, "do_not_pad")
            and truncate_to % pad_to_multiple_of):
        # as transformers: padding to the multiple would break the truncation length
        raise ValueError(f"max_length={truncate_to} for truncation is not a multiple of "
                         f"pad_to_multiple_of={pad_to_multiple_of}")
    if padding in (False, "do_not_pad"):
        pad = None
    elif padding == "max_length":
        pad = (limit, pad_to_multiple_of)
    else:
        pad = "longest" if pad_to_multiple_of is None else (None, pad_to_multiple_of)
    return truncate_to, pad
