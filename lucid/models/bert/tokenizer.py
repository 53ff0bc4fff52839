"""BERT's WordPiece tokenizer, run by Hugging Face's ``tokenizers`` library (Rust).

The pipeline is the one Hugging Face's ``BertTokenizerFast`` builds: the BERT normalizer (clean text,
Chinese characters, lowercase, accent stripping), the BERT pre-tokenizer (whitespace and punctuation),
a WordPiece model, a ``[CLS] A [SEP] (B [SEP])`` template and the WordPiece decoder. The five special
tokens are registered as special *added* tokens, so ``"[MASK]"`` written in a text stays one token and
``decode(..., skip_special_tokens=True)`` drops them, exactly as in ``transformers``.
"""

from __future__ import annotations

import collections
import itertools
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
from tokenizers import AddedToken, Tokenizer, decoders, normalizers, pre_tokenizers, processors, trainers
from tokenizers.models import WordPiece

from ... import _backend
from ..._tensor import Tensor
from ...serialization import atomic_write_files

__all__ = ["BERTTokenizerFast"]

# The order in which a freshly trained (or empty) vocabulary lists the special tokens: [PAD] = 0.
_SPECIAL_ROLES = ("pad_token", "unk_token", "cls_token", "sep_token", "mask_token")
_DEFAULT_SPECIALS = {"pad_token": "[PAD]", "unk_token": "[UNK]", "cls_token": "[CLS]", "sep_token": "[SEP]",
                     "mask_token": "[MASK]"}
_PADDING_CHOICES = (False, True, "longest", "max_length", "do_not_pad")


def _type_name(value) -> str:
    return type(value).__name__


def _check_text(text, what="text"):
    if not isinstance(text, str):
        raise TypeError(f"{what} must be a str, got {_type_name(text)}")
    return text


def _as_text_list(texts, what="texts"):
    """One string -> a batch of one; a list/tuple of strings -> a list. Anything else is a TypeError."""
    if isinstance(texts, str):
        return [texts]
    if isinstance(texts, np.ndarray):
        texts = texts.tolist()
    if not isinstance(texts, (list, tuple)):
        raise TypeError(f"{what} must be a str or a list of str, got {_type_name(texts)}")
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"{what}[{i}] must be a str, got {_type_name(t)}")
    return list(texts)


def _flatten(rows, total):
    """The int lists ``rows`` end to end as one int64 array (C-level iteration, no Python loop)."""
    return np.fromiter(itertools.chain.from_iterable(rows), dtype=np.int64, count=total)


def _longest_first(n1, n2, budget):
    """Token counts a text pair of ``n1`` and ``n2`` tokens keeps under longest-first truncation
    to ``budget`` tokens, by the rule of the Rust ``tokenizers`` library (the shorter text is kept
    whole when it fits in half the budget; otherwise both get half, the second the odd token).

    Example:
        >>> _longest_first(2, 100, 10), _longest_first(40, 50, 9), _longest_first(3, 4, 10)
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


def _cut_after(text, offsets, n):
    """``text`` up to the end of its ``n``-th token (``offsets``: the tokens' character spans)."""
    if n >= len(offsets):
        return text
    return text[: offsets[n - 1][1]] if n > 0 else ""


def _read_vocab_txt(path) -> dict[str, int]:
    # Same reading as transformers' load_vocab: one token per line (universal newlines), a token's id is
    # its line number, and a repeated token keeps its last line.
    try:
        with open(path, encoding="utf-8") as f:
            return {line.rstrip("\n"): i for i, line in enumerate(f.readlines())}
    except UnicodeDecodeError as err:
        raise ValueError(f"{os.fspath(path)!r} is not a UTF-8 text vocabulary (one token per line): {err}") from err


def _read_json(path) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except ValueError as err:  # bad JSON or bad UTF-8
        raise ValueError(f"{os.fspath(path)!r} is not valid JSON: {err}") from err
    if not isinstance(data, dict):
        raise ValueError(f"{os.fspath(path)!r} must hold a JSON object, got {_type_name(data)}")
    return data


def _token_content(value, where):
    """A special token as written in a config: a string, or a dict with ``content`` (an AddedToken)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("content"), str):
        return value["content"]
    raise ValueError(f"{where}: a special token must be a string or an object with 'content', got {value!r}")


class BERTTokenizerFast:
    """BERT's WordPiece tokenizer on Hugging Face ``tokenizers``; its ids equal ``transformers.BertTokenizerFast``'s.

    Args:
        vocab: a dict ``token -> id`` (ids unique and non-negative). Give this or ``vocab_file``; with
            neither, the vocabulary holds only the five special tokens (``[PAD]`` = 0), ready for :meth:`fit`.
        vocab_file: a ``vocab.txt`` (one token per line; the line number is the id).
        unk_token, pad_token, cls_token, sep_token, mask_token: the special tokens; each must be in the
            vocabulary (``ValueError`` naming the token otherwise).
        lowercase: lowercase the text before WordPiece (an uncased vocabulary).
        wordpieces_prefix: the prefix marking a word-continuation piece.
        max_input_chars_per_word: longer words become ``unk_token``.
        clean_text: drop control characters and turn every whitespace into a space.
        strip_accents: strip accents; ``None`` follows ``lowercase`` (as in the original BERT).
        tokenize_chinese_chars: put spaces around CJK ideographs so each is its own word.
        model_max_length: the length ``truncation=True`` truncates to when ``max_length`` is not given.

    Return types follow Lucid: :meth:`encode` gives a list of ids, or with ``return_tensor=True`` a 1-D
    int64 :class:`lucid.Tensor`; :meth:`encode_plus` and :meth:`encode_pretraining_inputs` of one text give
    dicts of lists, or of int64 tensors of shape ``(1, L)``; :meth:`batch_encode` gives a dict of lists of
    lists, or of ``(B, L)`` int64 tensors. ``text_b`` / ``text_pairs`` is the second argument everywhere,
    as in ``transformers``. The tokenizer keeps truncation and padding settings inside its Rust object
    between calls (as ``transformers`` does), so one instance should not be shared across threads.

    Example:
        >>> from lucid.models import BERTTokenizerFast
        >>> words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "##s", "!"]
        >>> tok = BERTTokenizerFast(vocab={w: i for i, w in enumerate(words)})
        >>> tok.tokenize("Hello worlds!")
        ['hello', 'world', '##s', '!']
        >>> tok.encode("Hello worlds!")
        [2, 5, 6, 7, 8, 3]
        >>> tok.decode([2, 5, 6, 7, 8, 3])
        'hello worlds!'
    """

    def __init__(self, vocab=None, vocab_file=None, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                 sep_token="[SEP]", mask_token="[MASK]", lowercase=True, wordpieces_prefix="##",
                 max_input_chars_per_word=100, clean_text=True, strip_accents=None, tokenize_chinese_chars=True,
                 model_max_length=512):
        if vocab is not None and vocab_file is not None:
            raise ValueError("give either vocab or vocab_file, not both")
        specials = {"pad_token": pad_token, "unk_token": unk_token, "cls_token": cls_token,
                    "sep_token": sep_token, "mask_token": mask_token}
        for role, token in specials.items():
            if not isinstance(token, str) or not token:
                raise TypeError(f"{role} must be a non-empty str, got {token!r}")
        for name, value in (("lowercase", lowercase), ("clean_text", clean_text),
                            ("tokenize_chinese_chars", tokenize_chinese_chars)):
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"{name} must be a bool, got {_type_name(value)}")
        if strip_accents is not None and not isinstance(strip_accents, (bool, np.bool_)):
            raise TypeError(f"strip_accents must be a bool or None, got {_type_name(strip_accents)}")
        if not isinstance(wordpieces_prefix, str):
            raise TypeError(f"wordpieces_prefix must be a str, got {_type_name(wordpieces_prefix)}")
        for name, value in (("max_input_chars_per_word", max_input_chars_per_word),
                            ("model_max_length", model_max_length)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"{name} must be an int, got {_type_name(value)}")
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")

        self.unk_token, self.pad_token, self.cls_token = unk_token, pad_token, cls_token
        self.sep_token, self.mask_token = sep_token, mask_token
        self.lowercase = bool(lowercase)
        self.strip_accents = None if strip_accents is None else bool(strip_accents)
        self.tokenize_chinese_chars = bool(tokenize_chinese_chars)
        self.clean_text = bool(clean_text)
        self.wordpieces_prefix = wordpieces_prefix
        self.max_input_chars_per_word = int(max_input_chars_per_word)
        self.model_max_length = int(model_max_length)

        if vocab_file is not None:
            if not os.path.isfile(vocab_file):
                raise FileNotFoundError(f"vocabulary file {os.fspath(vocab_file)!r} does not exist")
            vocab = _read_vocab_txt(vocab_file)
        elif vocab is None:
            vocab = {}
            for role in _SPECIAL_ROLES:
                vocab.setdefault(specials[role], len(vocab))
        self._set_vocab(vocab)

    # ---- construction -----------------------------------------------------------------------------
    def _set_vocab(self, vocab):
        """Check ``vocab`` and (re)build the Rust pipeline around it."""
        if not isinstance(vocab, Mapping):
            raise TypeError(f"vocab must be a dict mapping token -> id, got {_type_name(vocab)}")
        checked = {}
        seen = {}
        for token, idx in vocab.items():
            if not isinstance(token, str):
                raise TypeError(f"vocab keys must be str, got {_type_name(token)} ({token!r})")
            if isinstance(idx, bool) or not isinstance(idx, (int, np.integer)) or idx < 0:
                raise ValueError(f"vocab id of {token!r} must be a non-negative int, got {idx!r}")
            idx = int(idx)
            if idx in seen:
                raise ValueError(f"vocab gives id {idx} to both {seen[idx]!r} and {token!r}")
            seen[idx] = token
            checked[token] = idx
        for role in _SPECIAL_ROLES:
            token = getattr(self, role)
            if token not in checked:
                raise ValueError(f"{role} {token!r} is not in the vocabulary")

        id_to_token = [None] * (max(seen) + 1)
        for idx, token in seen.items():
            id_to_token[idx] = token
        self._vocab = checked
        self._id_to_token = id_to_token

        tk = self._rust_tokenizer(WordPiece(checked, unk_token=self.unk_token,
                                            max_input_chars_per_word=self.max_input_chars_per_word,
                                            continuing_subword_prefix=self.wordpieces_prefix),
                                  self.all_special_tokens)
        cls, sep = self.cls_token, self.sep_token
        tk.post_processor = processors.TemplateProcessing(
            single=[f"{cls}:0", "$A:0", f"{sep}:0"],
            pair=[f"{cls}:0", "$A:0", f"{sep}:0", "$B:1", f"{sep}:1"],
            special_tokens=[(cls, checked[cls]), (sep, checked[sep])],
        )
        tk.decoder = decoders.WordPiece(prefix=self.wordpieces_prefix, cleanup=True)
        self._tk = tk
        self._encode_batch_rust = getattr(tk, "encode_batch_fast", tk.encode_batch)
        self._mode = (None, None)
        self._special_ids = np.array(sorted(set(self.all_special_ids)), dtype=np.int64)

    def _rust_tokenizer(self, model, specials):
        """A Rust tokenizer around ``model`` with this tokenizer's normalizer and pre-tokenizer."""
        tk = Tokenizer(model)
        tk.normalizer = self._normalizer()
        tk.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        # Registered like transformers does: matched verbatim in the raw text, skipped by decode.
        tk.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
        return tk

    def _normalizer(self):
        return normalizers.BertNormalizer(clean_text=self.clean_text, handle_chinese_chars=self.tokenize_chinese_chars,
                                          strip_accents=self.strip_accents, lowercase=self.lowercase)

    def __repr__(self):
        return (f"BERTTokenizerFast(vocab_size={self.vocab_size}, lowercase={self.lowercase}, "
                f"strip_accents={self.strip_accents}, model_max_length={self.model_max_length})")

    # ---- vocabulary -------------------------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        """The number of tokens in the vocabulary (``len(tokenizer)`` too)."""
        return len(self._vocab)

    def __len__(self):
        return len(self._vocab)

    def get_vocab(self) -> dict[str, int]:
        """A copy of the vocabulary, ``token -> id``.

        Example:
            >>> from lucid.models import BERTTokenizerFast
            >>> BERTTokenizerFast().get_vocab()["[PAD]"]
            0
        """
        return dict(self._vocab)

    @property
    def vocab(self) -> dict[str, int]:
        """A copy of the vocabulary, ``token -> id``."""
        return self.get_vocab()

    @property
    def all_special_tokens(self) -> list[str]:
        """The special tokens, each once: ``[UNK] [SEP] [PAD] [CLS] [MASK]`` (``transformers``' order)."""
        return list(dict.fromkeys([self.unk_token, self.sep_token, self.pad_token, self.cls_token, self.mask_token]))

    @property
    def all_special_ids(self) -> list[int]:
        """The ids of :attr:`all_special_tokens`, in the same order."""
        return [self._vocab[t] for t in self.all_special_tokens]

    @property
    def unk_token_id(self) -> int:
        """The id of ``unk_token``."""
        return self._vocab[self.unk_token]

    @property
    def pad_token_id(self) -> int:
        """The id of ``pad_token``."""
        return self._vocab[self.pad_token]

    @property
    def cls_token_id(self) -> int:
        """The id of ``cls_token``."""
        return self._vocab[self.cls_token]

    @property
    def sep_token_id(self) -> int:
        """The id of ``sep_token``."""
        return self._vocab[self.sep_token]

    @property
    def mask_token_id(self) -> int:
        """The id of ``mask_token``."""
        return self._vocab[self.mask_token]

    def convert_tokens_to_ids(self, tokens):
        """The id of a token (a str) or the ids of a list of tokens; unknown tokens give ``unk_token``'s id.

        Example:
            >>> from lucid.models import BERTTokenizerFast
            >>> tok = BERTTokenizerFast()
            >>> tok.convert_tokens_to_ids(["[CLS]", "nope"])
            [2, 1]
        """
        unk = self._vocab[self.unk_token]
        if isinstance(tokens, str):
            return self._vocab.get(tokens, unk)
        if not isinstance(tokens, (list, tuple)):
            raise TypeError(f"tokens must be a str or a list of str, got {_type_name(tokens)}")
        for i, t in enumerate(tokens):
            if not isinstance(t, str):
                raise TypeError(f"tokens[{i}] must be a str, got {_type_name(t)}")
        get = self._vocab.get
        return [get(t, unk) for t in tokens]

    def _ids_list(self, ids, what="ids"):
        """A flat list of Python ints from a list, a NumPy array or a 1-D Tensor, range-checked."""
        if isinstance(ids, Tensor):
            ids = ids.numpy()
        if isinstance(ids, np.ndarray):
            if ids.ndim != 1:
                raise ValueError(f"{what} must be 1-D, got shape {ids.shape}")
            if ids.size and ids.dtype.kind not in "iu":
                raise TypeError(f"{what} must hold integers, got dtype {ids.dtype}")
            arr = ids.astype(np.int64, copy=False)
        else:
            if not isinstance(ids, (list, tuple)):
                raise TypeError(f"{what} must be a list of int, a NumPy array or a Tensor, got {_type_name(ids)}")
            for i, v in enumerate(ids):
                if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                    raise TypeError(f"{what}[{i}] must be an int, got {_type_name(v)}")
            arr = np.asarray(ids, dtype=np.int64) if ids else np.zeros(0, np.int64)
        if arr.size:
            bad = (arr < 0) | (arr >= len(self._id_to_token))
            if bad.any():
                value = int(arr[np.argmax(bad)])
                raise IndexError(f"token id {value} is out of range for a vocabulary of size {self.vocab_size}")
        return arr.tolist()

    def convert_ids_to_tokens(self, ids):
        """The token of an id (an int) or the tokens of a list of ids; an unknown id is an ``IndexError``.

        Example:
            >>> from lucid.models import BERTTokenizerFast
            >>> BERTTokenizerFast().convert_ids_to_tokens([2, 4, 3])
            ['[CLS]', '[MASK]', '[SEP]']
        """
        single = isinstance(ids, (int, np.integer)) and not isinstance(ids, bool)
        if isinstance(ids, Tensor) and ids.ndim == 0:
            ids, single = int(ids.item()), True
        id_list = self._ids_list([ids] if single else ids)
        tokens = [self._id_to_token[i] for i in id_list]
        for i, t in zip(id_list, tokens):
            if t is None:
                raise IndexError(f"token id {i} is not in the vocabulary")
        return tokens[0] if single else tokens

    def convert_tokens_to_string(self, tokens) -> str:
        """Join word pieces back into text with the WordPiece decoder.

        Example:
            >>> from lucid.models import BERTTokenizerFast
            >>> BERTTokenizerFast().convert_tokens_to_string(["un", "##believ", "##able", "!"])
            'unbelievable!'
        """
        if isinstance(tokens, str) or not isinstance(tokens, (list, tuple)):
            raise TypeError(f"tokens must be a list of str, got {_type_name(tokens)}")
        for i, t in enumerate(tokens):
            if not isinstance(t, str):
                raise TypeError(f"tokens[{i}] must be a str, got {_type_name(t)}")
        return self._tk.decoder.decode(list(tokens))

    # ---- Rust settings ----------------------------------------------------------------------------
    def _configure(self, truncate_to, pad):
        """Set truncation (``None`` or a length) and padding (``None``, ``"longest"`` or a length) on the
        Rust tokenizer, touching it only when they change."""
        if self._mode == (truncate_to, pad):
            return
        if truncate_to is None:
            self._tk.no_truncation()
        else:
            self._tk.enable_truncation(truncate_to, stride=0, strategy="longest_first", direction="right")
        if pad is None:
            self._tk.no_padding()
        else:
            self._tk.enable_padding(direction="right", pad_id=self._vocab[self.pad_token], pad_type_id=0,
                                    pad_token=self.pad_token, length=None if pad == "longest" else pad[0],
                                    pad_to_multiple_of=None if pad == "longest" else pad[1])
        self._mode = (truncate_to, pad)

    def _resolve_lengths(self, padding, truncation, max_length, pad_to_multiple_of=None):
        if padding not in _PADDING_CHOICES or isinstance(padding, (int, float)) and not isinstance(padding, bool):
            raise ValueError(f"padding must be one of False, True, 'longest', 'max_length', got {padding!r}")
        if not isinstance(truncation, (bool, np.bool_)) and truncation not in ("longest_first", "do_not_truncate"):
            raise ValueError(f"truncation must be a bool or 'longest_first', got {truncation!r}")
        if max_length is not None:
            if isinstance(max_length, bool) or not isinstance(max_length, (int, np.integer)):
                raise TypeError(f"max_length must be an int or None, got {_type_name(max_length)}")
            if max_length < 1:
                raise ValueError(f"max_length must be >= 1, got {max_length}")
            max_length = int(max_length)
        if pad_to_multiple_of is not None:
            if isinstance(pad_to_multiple_of, bool) or not isinstance(pad_to_multiple_of, (int, np.integer)) \
                    or pad_to_multiple_of < 1:
                raise ValueError(f"pad_to_multiple_of must be a positive int or None, got {pad_to_multiple_of!r}")
            pad_to_multiple_of = int(pad_to_multiple_of)
        limit = max_length if max_length is not None else self.model_max_length
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

    def _run(self, inputs, add_special_tokens, truncate_to, pad, single_pair=None):
        """Encode through Rust; a text (pair) alone when ``inputs`` is a str, else a batch."""
        batch_of_pairs = not isinstance(inputs, str) and inputs and isinstance(inputs[0], tuple)
        if truncate_to is not None and add_special_tokens:
            # Rust silently skips truncation it cannot do (and so returns rows longer than max_length).
            has_pair = single_pair is not None or batch_of_pairs
            need = 3 if has_pair else 2
            if truncate_to < need:
                raise ValueError(f"max_length={truncate_to} cannot hold the {need} special tokens of a "
                                 f"{'text pair' if has_pair else 'text'}; use max_length >= {need}")
        if truncate_to is not None:
            budget = truncate_to - (3 if add_special_tokens else 0)
            if single_pair is not None:
                inputs, single_pair = self._cut_long_pairs([(inputs, single_pair)], budget)[0]
            elif batch_of_pairs:
                inputs = self._cut_long_pairs(inputs, budget)
        self._configure(truncate_to, pad)
        if isinstance(inputs, str):
            return self._tk.encode(inputs, single_pair, add_special_tokens=add_special_tokens)
        return self._encode_batch_rust(inputs, add_special_tokens=add_special_tokens)

    def _cut_long_pairs(self, pairs, budget):
        """Pairs whose two texts are cut where longest-first truncation to ``budget`` content tokens
        would cut them.

        Rust truncates a pair by splitting both texts into overflowing pieces and then combines every
        piece of one with every piece of the other: time and memory grow with the product of the two
        lengths (gigabytes for two long documents; tokenizers#2035). A long pair is therefore tokenized
        once without truncation, its token counts give the kept lengths (Rust's rule), and each text is
        cut after its last kept token (a token boundary, so the kept tokens do not change); Rust then
        has (almost) nothing left to truncate. Short pairs are passed through untouched.
        """
        long = [i for i, (a, b) in enumerate(pairs) if len(a) + len(b) > 4 * budget + 64]
        if not long:
            return pairs
        self._configure(None, None)
        encs = self._tk.encode_batch([t for i in long for t in pairs[i]], add_special_tokens=False)
        out = list(pairs)
        for k, i in enumerate(long):
            ea, eb = encs[2 * k], encs[2 * k + 1]
            n1, n2 = _longest_first(len(ea.ids), len(eb.ids), budget)
            out[i] = (_cut_after(pairs[i][0], ea.offsets, n1), _cut_after(pairs[i][1], eb.offsets, n2))
        return out

    # ---- single texts -----------------------------------------------------------------------------
    def tokenize(self, text: str) -> list[str]:
        """Split one text into word pieces (no special tokens added).

        Example:
            >>> from lucid.models import BERTTokenizerFast
            >>> BERTTokenizerFast().tokenize("Zebra [MASK]")
            ['[UNK]', '[MASK]']
        """
        _check_text(text)
        return self._run(text, False, None, None).tokens

    def build_inputs_with_special_tokens(self, ids_a, ids_b=None):
        """``[CLS] a [SEP]`` or ``[CLS] a [SEP] b [SEP]`` around lists of ids (or of token strings).

        Example:
            >>> from lucid.models import BERTTokenizerFast
            >>> tok = BERTTokenizerFast()
            >>> tok.build_inputs_with_special_tokens([7, 8], [9])
            [2, 7, 8, 3, 9, 3]
            >>> tok.build_inputs_with_special_tokens(["hi"])
            ['[CLS]', 'hi', '[SEP]']
        """
        seqs = [ids_a] if ids_b is None else [ids_a, ids_b]
        for name, seq in zip(("ids_a", "ids_b"), seqs):
            if not isinstance(seq, (list, tuple)):
                raise TypeError(f"{name} must be a list, got {_type_name(seq)}")
        as_tokens = any(isinstance(x, str) for seq in seqs for x in seq)
        cls, sep = (self.cls_token, self.sep_token) if as_tokens else (self.cls_token_id, self.sep_token_id)
        out = [cls, *ids_a, sep]
        if ids_b is not None:
            out += [*ids_b, sep]
        return out

    def get_special_tokens_mask(self, ids, already_has_special_tokens=True):
        """1 where ``ids`` holds a special token (``[CLS] [SEP] [PAD] [UNK] [MASK]``), else 0, as in
        ``transformers``' ``get_special_tokens_mask(ids, already_has_special_tokens=True)``.

        Example:
            >>> from lucid.models import BERTTokenizerFast
            >>> BERTTokenizerFast().get_special_tokens_mask([2, 4, 3, 0])
            [1, 1, 1, 1]
        """
        if not already_has_special_tokens:
            n = len(self._ids_list(ids))
            return [1] + [0] * n + [1]
        arr = np.asarray(self._ids_list(ids), dtype=np.int64)
        return np.isin(arr, self._special_ids).astype(np.int64).tolist()

    @staticmethod
    def _single_pair(text_b):
        if text_b is None:
            return None
        _check_text(text_b, "text_b")
        # transformers encodes a single text with an empty second text as a single text (it tests the pair
        # for truth); do the same so ids stay equal. In a batch an empty second text is kept, as there.
        return text_b or None

    @staticmethod
    def _check_pair_arg(text_b, name="text_b"):
        if isinstance(text_b, (bool, np.bool_)):
            raise TypeError(f"{name} must be a str or None, got bool (pass add_special_tokens by keyword)")

    def encode(self, text, text_b=None, add_special_tokens=True, return_tensor=False, device="cpu", *,
               truncation=False, max_length=None):
        """Token ids of one text (or a text pair): a list of int, or a 1-D int64 Tensor on ``device``.

        ``truncation=True`` cuts to ``max_length`` (default ``model_max_length``), longest text first.

        Example:
            >>> from lucid.models import BERTTokenizerFast
            >>> tok = BERTTokenizerFast()
            >>> tok.encode("[MASK]", "[MASK]")
            [2, 4, 3, 4, 3]
            >>> tok.encode("[MASK]", return_tensor=True).shape
            (3,)
        """
        self._check_pair_arg(text_b)
        _check_text(text)
        text_b = self._single_pair(text_b)
        truncate_to, _ = self._resolve_lengths(False, truncation, max_length)
        ids = self._run(text, add_special_tokens, truncate_to, None, text_b).ids
        if return_tensor:
            return Tensor(np.asarray(ids, dtype=np.int64), device=_backend.check_device(device))
        return ids

    def __call__(self, text, text_b=None, add_special_tokens=True, return_tensor=False, device="cpu", *,
                 truncation=False, max_length=None):
        """Same as :meth:`encode`.

        Example:
            >>> from lucid.models import BERTTokenizerFast
            >>> BERTTokenizerFast()("[MASK]")
            [2, 4, 3]
        """
        return self.encode(text, text_b, add_special_tokens, return_tensor, device,
                           truncation=truncation, max_length=max_length)

    def encode_plus(self, text_a, text_b=None, add_special_tokens=True, return_tensor=False, device="cpu", *,
                    truncation=False, max_length=None, padding=True, return_special_tokens_mask=False):
        """``input_ids``, ``token_type_ids`` and ``attention_mask`` of one text or text pair.

        For one string the values are lists (``return_tensor``: int64 tensors of shape ``(1, L)``). A list
        of strings is encoded as a batch (see :meth:`batch_encode`), padded to the longest by default.

        Example:
            >>> from lucid.models import BERTTokenizerFast
            >>> enc = BERTTokenizerFast().encode_plus("[MASK]", "[UNK] [UNK]")
            >>> enc["input_ids"], enc["token_type_ids"]
            ([2, 4, 3, 1, 1, 3], [0, 0, 0, 1, 1, 1])
        """
        self._check_pair_arg(text_b)
        if not isinstance(text_a, str):
            if isinstance(text_a, (list, tuple, np.ndarray)):
                return self.batch_encode(text_a, text_b, add_special_tokens=add_special_tokens, padding=padding,
                                         max_length=max_length, truncation=truncation, return_tensor=return_tensor,
                                         device=device, return_special_tokens_mask=return_special_tokens_mask)
            _check_text(text_a, "text_a")
        text_b = self._single_pair(text_b)
        truncate_to, _ = self._resolve_lengths(False, truncation, max_length)
        enc = self._run(text_a, add_special_tokens, truncate_to, None, text_b)
        out = {"input_ids": enc.ids, "token_type_ids": enc.type_ids, "attention_mask": enc.attention_mask}
        if return_special_tokens_mask:
            out["special_tokens_mask"] = self.get_special_tokens_mask(enc.ids)
        if return_tensor:
            device = _backend.check_device(device)
            return {k: Tensor(np.asarray(v, dtype=np.int64).reshape(1, -1), device=device) for k, v in out.items()}
        return out

    def encode_pretraining_inputs(self, text_a, text_b=None, return_tensor=False, device="cpu", *,
                                  truncation=False, max_length=None, padding=True):
        """:meth:`encode_plus` plus ``special_tokens_mask``: 1 at every ``[CLS] [SEP] [PAD] [UNK] [MASK]``
        position (as ``transformers``' ``get_special_tokens_mask(ids, already_has_special_tokens=True)``),
        the positions masked-LM pre-training must never pick.

        Example:
            >>> from lucid.models import BERTTokenizerFast
            >>> BERTTokenizerFast().encode_pretraining_inputs("[MASK] [UNK]")["special_tokens_mask"]
            [1, 1, 1, 1]
        """
        return self.encode_plus(text_a, text_b, True, return_tensor, device, truncation=truncation,
                                max_length=max_length, padding=padding, return_special_tokens_mask=True)

    # ---- batches ----------------------------------------------------------------------------------
    def batch_encode(self, texts, text_pairs=None, add_special_tokens=True, padding=False, max_length=None,
                     truncation=False, return_tensor=False, device="cpu", *, return_special_tokens_mask=False,
                     pad_to_multiple_of=None):
        """Encode a batch in one call to the Rust batch encoder.

        Args:
            texts: a list of strings (one string is a batch of one).
            text_pairs: ``None`` or the second texts, one per text (a str when ``texts`` is a str).
            padding: ``False``; ``True`` / ``"longest"`` (to the longest in the batch); ``"max_length"``
                (to ``max_length``, default ``model_max_length``). Pads on the right with ``pad_token``.
            truncation: ``True`` cuts every sequence to ``max_length`` (default ``model_max_length``),
                removing tokens from the longer text of a pair first.
            return_tensor: give int64 Tensors of shape ``(B, L)`` on ``device`` instead of lists (the batch
                must then be padded or all of one length).
            return_special_tokens_mask: also return ``special_tokens_mask``.

        Returns:
            a dict with ``input_ids``, ``token_type_ids``, ``attention_mask`` (and ``special_tokens_mask``).

        Example:
            >>> from lucid.models import BERTTokenizerFast
            >>> tok = BERTTokenizerFast()
            >>> enc = tok.batch_encode(["[MASK]", "[MASK] [MASK]"], padding=True, return_tensor=True)
            >>> enc["input_ids"].tolist()
            [[2, 4, 3, 0], [2, 4, 4, 3]]
            >>> enc["attention_mask"].tolist()
            [[1, 1, 1, 0], [1, 1, 1, 1]]
        """
        self._check_pair_arg(text_pairs, "text_pairs")
        if isinstance(texts, str) and text_pairs is not None and not isinstance(text_pairs, str):
            raise TypeError(f"text_pairs must be a str when texts is a str, got {_type_name(text_pairs)}")
        if isinstance(texts, str):
            text_pairs = self._single_pair(text_pairs)
        batch = _as_text_list(texts)
        if text_pairs is not None:
            pairs = _as_text_list(text_pairs, "text_pairs")
            if len(pairs) != len(batch):
                raise ValueError(f"got {len(batch)} texts but {len(pairs)} text_pairs; they must match")
            batch = list(zip(batch, pairs))
        truncate_to, pad = self._resolve_lengths(padding, truncation, max_length, pad_to_multiple_of)
        if return_tensor:
            device = _backend.check_device(device)
            # Pad in NumPy straight into the arrays: cheaper than padded Python lists turned into arrays.
            encodings = self._run(batch, add_special_tokens, truncate_to, None) if batch else []
            return self._tensors(encodings, pad, text_pairs is not None, return_special_tokens_mask, device)
        encodings = self._run(batch, add_special_tokens, truncate_to, pad) if batch else []
        ids = [e.ids for e in encodings]
        lengths = [len(r) for r in ids]
        out = {"input_ids": ids,
               # single texts have type id 0 everywhere: no need to ask Rust for those rows
               "token_type_ids": [e.type_ids for e in encodings] if text_pairs is not None else
               [[0] * n for n in lengths],
               "attention_mask": [e.attention_mask for e in encodings]}
        if return_special_tokens_mask:
            marks = np.isin(_flatten(ids, sum(lengths)), self._special_ids).astype(np.int64)
            out["special_tokens_mask"] = [m.tolist() for m in np.split(marks, np.cumsum(lengths)[:-1])] if ids else []
        return out

    def _tensors(self, encodings, pad, pairs, with_special, device):
        """``(B, L)`` int64 tensors from unpadded encodings, padded on the right as ``pad`` says."""
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
        input_ids = np.full((n, width), self.pad_token_id, dtype=np.int64)
        input_ids[filled] = _flatten(ids, total)
        token_type_ids = np.zeros((n, width), dtype=np.int64)
        if pairs:
            token_type_ids[filled] = _flatten([e.type_ids for e in encodings], total)
        arrays = {"input_ids": input_ids, "token_type_ids": token_type_ids,
                  "attention_mask": filled.astype(np.int64)}
        if with_special:
            arrays["special_tokens_mask"] = np.isin(input_ids, self._special_ids).astype(np.int64)
        return {k: Tensor._wrap(_backend.to_device(v, device)) for k, v in arrays.items()}

    def decode(self, ids, skip_special_tokens=True) -> str:
        """Text from token ids (a list, a NumPy array or a 1-D Tensor), word pieces joined.

        Example:
            >>> from lucid.models import BERTTokenizerFast
            >>> tok = BERTTokenizerFast()
            >>> tok.decode([2, 4, 3]), tok.decode([2, 4, 3], skip_special_tokens=False)
            ('', '[CLS] [MASK] [SEP]')
        """
        if isinstance(ids, Tensor) and ids.ndim != 1:
            raise ValueError(f"decode takes 1-D ids, got shape {ids.shape}: use batch_decode for a batch")
        return self._tk.decode(self._ids_list(ids), skip_special_tokens=skip_special_tokens)

    def batch_decode(self, batch_ids, skip_special_tokens=True) -> list[str]:
        """:meth:`decode` for each row of a list of id lists or a 2-D Tensor/array.

        Example:
            >>> from lucid.models import BERTTokenizerFast
            >>> BERTTokenizerFast().batch_decode([[2, 4, 3], [1]], skip_special_tokens=False)
            ['[CLS] [MASK] [SEP]', '[UNK]']
        """
        if isinstance(batch_ids, Tensor):
            batch_ids = batch_ids.numpy()
        if isinstance(batch_ids, np.ndarray):
            if batch_ids.ndim != 2:
                raise ValueError(f"batch_decode takes 2-D ids, got shape {batch_ids.shape}")
            rows = [self._ids_list(row) for row in batch_ids]
        elif isinstance(batch_ids, (list, tuple)):
            rows = [self._ids_list(row, f"batch_ids[{i}]") for i, row in enumerate(batch_ids)]
        else:
            raise TypeError(f"batch_ids must be a list of id lists or a 2-D Tensor, got {_type_name(batch_ids)}")
        return self._tk.decode_batch(rows, skip_special_tokens=skip_special_tokens)

    # ---- training ---------------------------------------------------------------------------------
    def fit(self, texts, vocab_size=30522, min_frequency=2, limit_alphabet=None, show_progress=False):
        """Learn a new WordPiece vocabulary from ``texts`` in place (this tokenizer's normalization and
        special tokens kept; ``[PAD] [UNK] [CLS] [SEP] [MASK]`` get ids 0 to 4) and return ``self``.

        Training is ``tokenizers``' ``WordPieceTrainer``: every character seen stays in the vocabulary
        (``limit_alphabet`` keeps only the most frequent ones), so it can exceed ``vocab_size`` on a small
        ``vocab_size``. The texts are read into a list and trained on twice, so that the vocabulary is the
        same on every run (the trainer alone breaks ties between merges in hash-map order).

        Example:
            >>> from lucid.models import BERTTokenizerFast
            >>> tok = BERTTokenizerFast().fit(["low lower lowest"] * 5, vocab_size=60)
            >>> tok.convert_ids_to_tokens([0, 1, 2, 3, 4])
            ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
            >>> tok.decode(tok.encode("Lower LOWEST"))
            'lower lowest'
        """
        if isinstance(vocab_size, bool) or not isinstance(vocab_size, (int, np.integer)):
            raise TypeError(f"vocab_size must be an int, got {_type_name(vocab_size)}")
        specials = list(dict.fromkeys(getattr(self, role) for role in _SPECIAL_ROLES))
        if vocab_size < len(specials):
            raise ValueError(f"vocab_size must be at least {len(specials)} (the special tokens), got {vocab_size}")
        if isinstance(min_frequency, bool) or not isinstance(min_frequency, (int, np.integer)) or min_frequency < 0:
            raise ValueError(f"min_frequency must be a non-negative int, got {min_frequency!r}")
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, Iterable):
            raise TypeError(f"texts must be an iterable of str, got {_type_name(texts)}")

        corpus = []
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise TypeError(f"texts[{i}] must be a str, got {_type_name(t)}")
            corpus.append(t)
        if limit_alphabet is not None and (isinstance(limit_alphabet, bool) or
                                           not isinstance(limit_alphabet, (int, np.integer)) or limit_alphabet < 1):
            raise ValueError(f"limit_alphabet must be a positive int or None, got {limit_alphabet!r}")

        def train(fixed=(), alphabet=None):
            tk = self._rust_tokenizer(WordPiece(unk_token=self.unk_token,
                                                max_input_chars_per_word=self.max_input_chars_per_word,
                                                continuing_subword_prefix=self.wordpieces_prefix), specials)
            # initial_alphabet + limit_alphabet of the same size keeps exactly that alphabet
            options = {} if alphabet is None else {"initial_alphabet": alphabet, "limit_alphabet": len(alphabet)}
            trainer = trainers.WordPieceTrainer(vocab_size=int(vocab_size), min_frequency=int(min_frequency),
                                                special_tokens=specials + list(fixed),
                                                show_progress=bool(show_progress),
                                                continuing_subword_prefix=self.wordpieces_prefix, **options)
            tk.train_from_iterator(corpus, trainer=trainer)
            return tk.get_vocab(with_added_tokens=False)

        # The trainer numbers the word-continuation characters ("##a") in hash-map order, and those
        # numbers break ties between equally frequent merges; it also cuts the alphabet at limit_alphabet
        # with ties in hash-map order. So one run differs from the next (huggingface/tokenizers#1794).
        # A first run finds the alphabet and the continuation pieces; lucid picks the alphabet itself
        # (most frequent first, ties by code point), and the second run gets the pieces as fixed,
        # sorted entries ahead of the rest: the result is the same on every run.
        prefix = self.wordpieces_prefix
        first = train()
        chars = sorted(t for t in first if len(t) == 1 and t not in specials)
        alphabet = None
        if limit_alphabet is not None and len(chars) > limit_alphabet:
            counts = collections.Counter()
            normalize = self._normalizer().normalize_str
            for text in corpus:
                counts.update(normalize(text))
            alphabet = sorted(sorted(chars, key=lambda c: (-counts[c], c))[:int(limit_alphabet)])
        keep = set(chars if alphabet is None else alphabet)
        pieces = sorted(t for t in first if t.startswith(prefix) and len(t) == len(prefix) + 1
                        and t not in specials and t[-1] in keep)
        self._set_vocab(train(pieces, alphabet))
        return self

    @classmethod
    def train_from_iterator(cls, texts, vocab_size=30522, min_frequency=2, limit_alphabet=None,
                            show_progress=False, **kwargs):
        """A new tokenizer (constructor options in ``kwargs``) whose WordPiece vocabulary is learned from
        ``texts``; see :meth:`fit`.

        Example:
            >>> from lucid.models import BERTTokenizerFast
            >>> tok = BERTTokenizerFast.train_from_iterator(["a cat sat"] * 3, vocab_size=40, lowercase=False)
            >>> tok.tokenize("a cat")
            ['a', 'cat']
        """
        for key in ("vocab", "vocab_file"):
            if kwargs.get(key) is not None:
                raise ValueError(f"train_from_iterator learns the vocabulary; do not pass {key}")
        return cls(**kwargs).fit(texts, vocab_size=vocab_size, min_frequency=min_frequency,
                                 limit_alphabet=limit_alphabet, show_progress=show_progress)

    # ---- files ------------------------------------------------------------------------------------
    def save_pretrained(self, folder) -> list[str]:
        """Write ``vocab.txt``, ``tokenizer.json``, ``tokenizer_config.json`` and ``special_tokens_map.json``
        into ``folder`` (made if missing) as one atomic save (a failure leaves the previous files
        intact); returns their paths.

        ``transformers.BertTokenizerFast.from_pretrained`` loads the folder to the same ids. (It ignores a
        non-default ``wordpieces_prefix``, ``max_input_chars_per_word`` or ``clean_text``; lucid keeps them.)

        Example:
            >>> import tempfile
            >>> from lucid.models import BERTTokenizerFast
            >>> folder = tempfile.mkdtemp()
            >>> paths = BERTTokenizerFast().save_pretrained(folder)
            >>> BERTTokenizerFast.from_pretrained(folder).encode("[MASK]")
            [2, 4, 3]
        """
        folder = os.fspath(folder)
        for token in self._vocab:
            if "\n" in token or "\r" in token:
                raise ValueError(f"token {token!r} holds a line break and cannot be written to vocab.txt")
        os.makedirs(folder, exist_ok=True)
        # A gap in the ids gets a copy of the last token: reading keeps a repeated token's last line, so
        # the file reads back to exactly this vocabulary.
        last = self._id_to_token[-1]
        lines = [last if t is None else t for t in self._id_to_token]
        self._configure(None, None)  # keep per-call truncation/padding out of tokenizer.json
        config = {
            "tokenizer_class": "BertTokenizer",
            "do_lower_case": self.lowercase,
            "strip_accents": self.strip_accents,
            "tokenize_chinese_chars": self.tokenize_chinese_chars,
            "model_max_length": self.model_max_length,
            "clean_up_tokenization_spaces": False,  # the WordPiece decoder already does this cleanup
            "unk_token": self.unk_token, "sep_token": self.sep_token, "pad_token": self.pad_token,
            "cls_token": self.cls_token, "mask_token": self.mask_token,
            "wordpieces_prefix": self.wordpieces_prefix,
            "max_input_chars_per_word": self.max_input_chars_per_word,
            "clean_text": self.clean_text,
        }
        special_map = {role: getattr(self, role) for role in
                       ("unk_token", "sep_token", "pad_token", "cls_token", "mask_token")}
        files = {
            "vocab.txt": ("\n".join(lines) + "\n").encode("utf-8"),
            "tokenizer.json": self._tk.to_str(pretty=True).encode("utf-8"),
            "tokenizer_config.json": json.dumps(config, indent=2, ensure_ascii=False).encode("utf-8"),
            "special_tokens_map.json": json.dumps(special_map, indent=2, ensure_ascii=False).encode("utf-8"),
        }
        # staged together: a failure part way leaves every previous file of the folder intact
        paths = {os.path.join(folder, name): data for name, data in files.items()}
        atomic_write_files(paths)
        return list(paths)

    @classmethod
    def from_pretrained(cls, folder, **overrides):
        """Load a tokenizer folder written by lucid or by ``transformers``.

        The folder needs ``vocab.txt`` or ``tokenizer.json`` (both: ``tokenizer.json``'s vocabulary is used,
        as ``transformers`` does); ``tokenizer_config.json`` and ``special_tokens_map.json`` are honoured
        (``do_lower_case``, ``strip_accents``, ``tokenize_chinese_chars``, ``model_max_length``, the special
        tokens). Keyword arguments override them. ``folder`` may also name a ``vocab.txt`` or
        ``tokenizer.json`` file directly.

        Example:
            >>> import tempfile, os
            >>> from lucid.models import BERTTokenizerFast
            >>> folder = tempfile.mkdtemp()
            >>> with open(os.path.join(folder, "vocab.txt"), "w") as f:
            ...     _ = f.write("[PAD]\\n[UNK]\\n[CLS]\\n[SEP]\\n[MASK]\\nhi\\n")
            >>> BERTTokenizerFast.from_pretrained(folder).encode("Hi")
            [2, 5, 3]
        """
        for key in ("vocab", "vocab_file"):
            if key in overrides:
                raise ValueError(f"from_pretrained reads the vocabulary from the folder; do not pass {key}")
        path = os.fspath(folder)
        vocab_txt = tok_json = None
        if os.path.isfile(path):
            base = os.path.dirname(os.path.abspath(path))
            if path.endswith(".json"):
                tok_json = path
            else:
                vocab_txt = path
        elif os.path.isdir(path):
            base = path
            if os.path.isfile(os.path.join(base, "tokenizer.json")):
                tok_json = os.path.join(base, "tokenizer.json")
            if os.path.isfile(os.path.join(base, "vocab.txt")):
                vocab_txt = os.path.join(base, "vocab.txt")
            if tok_json is None and vocab_txt is None:
                raise FileNotFoundError(f"no vocabulary in folder {path!r}: expected vocab.txt or tokenizer.json")
        else:
            raise FileNotFoundError(f"tokenizer folder {path!r} does not exist")

        config_path = os.path.join(base, "tokenizer_config.json")
        map_path = os.path.join(base, "special_tokens_map.json")
        config = _read_json(config_path) if os.path.isfile(config_path) else {}
        special_map = _read_json(map_path) if os.path.isfile(map_path) else {}

        settings = {}
        from_json_specials = {}
        added = {}  # token -> id from the files' added-token lists, checked against the vocabulary
        if tok_json is not None:
            data = _read_json(tok_json)
            model = data.get("model") or {}
            if model.get("type") not in (None, "WordPiece"):
                raise ValueError(f"{tok_json!r} holds a {model.get('type')!r} model, not WordPiece")
            vocab = model.get("vocab")
            if isinstance(vocab, list):  # an older list form: the position is the id
                vocab = {(t[0] if isinstance(t, list) else t): i for i, t in enumerate(vocab)}
            if not isinstance(vocab, dict):
                raise ValueError(f"{tok_json!r} has no WordPiece vocabulary")
            if "unk_token" in model:
                from_json_specials["unk_token"] = model["unk_token"]
            if "continuing_subword_prefix" in model:
                settings["wordpieces_prefix"] = model["continuing_subword_prefix"]
            if "max_input_chars_per_word" in model:
                settings["max_input_chars_per_word"] = model["max_input_chars_per_word"]
            norm = data.get("normalizer") or {}
            if norm.get("type") == "BertNormalizer":
                for ours, theirs in (("clean_text", "clean_text"), ("tokenize_chinese_chars", "handle_chinese_chars"),
                                     ("strip_accents", "strip_accents"), ("lowercase", "lowercase")):
                    if theirs in norm:
                        settings[ours] = norm[theirs]
            post = data.get("post_processor") or {}
            if post.get("type") == "TemplateProcessing":
                single = [p["SpecialToken"]["id"] for p in post.get("single", []) if "SpecialToken" in p]
                if len(single) == 2:
                    from_json_specials["cls_token"], from_json_specials["sep_token"] = single
                for spec in (post.get("special_tokens") or {}).values():
                    if spec.get("ids") and len(spec.get("tokens", [])) == 1:
                        added[spec["tokens"][0]] = (spec["ids"][0], tok_json)
            for entry in data.get("added_tokens") or []:
                added[entry.get("content")] = (entry.get("id"), tok_json)
        else:
            vocab = _read_vocab_txt(vocab_txt)

        if "lowercase" in config:  # lucid's own older key
            settings["lowercase"] = config["lowercase"]
        if "do_lower_case" in config:
            settings["lowercase"] = config["do_lower_case"]
        for key in ("strip_accents", "tokenize_chinese_chars", "model_max_length", "wordpieces_prefix",
                    "max_input_chars_per_word", "clean_text"):
            if key in config:
                settings[key] = config[key]
        if "model_max_length" in settings and settings["model_max_length"] is None:
            del settings["model_max_length"]

        for idx, spec in (config.get("added_tokens_decoder") or {}).items():
            content = _token_content(spec, f"{config_path}: added_tokens_decoder[{idx}]")
            added[content] = (int(idx), config_path)

        for role in _SPECIAL_ROLES:
            candidates = []
            for where, source in ((config_path, config), (map_path, special_map)):
                if source.get(role) is not None:
                    candidates.append((_token_content(source[role], f"{where}: {role}"), where))
            if role in from_json_specials:
                candidates.append((from_json_specials[role], tok_json))
            if role in overrides:
                continue
            if candidates:
                token, where = candidates[0]
                for other, other_where in candidates[1:]:
                    if other != token:
                        raise ValueError(f"inconsistent {role}: {token!r} in {where!r} but {other!r} in "
                                         f"{other_where!r}")
                settings[role] = token

        settings.update(overrides)
        for role in _SPECIAL_ROLES:
            token = settings.get(role, _DEFAULT_SPECIALS[role])
            if token not in vocab:
                raise ValueError(f"{role} {token!r} (from {base!r}) is not in the vocabulary")
        for token, (idx, where) in added.items():
            if token not in vocab:
                raise ValueError(f"added token {token!r} in {where!r} is not in the vocabulary; "
                                 "BERTTokenizerFast supports vocabulary tokens only")
            if vocab[token] != idx:
                raise ValueError(f"inconsistent id for token {token!r}: {idx} in {where!r} but "
                                 f"{vocab[token]} in the vocabulary")
        return cls(vocab=vocab, **settings)
