"""The class :class:`BERTTokenizerFast`: BERT's WordPiece tokenizer run by Hugging Face's ``tokenizers``
library (Rust), with the ids of ``transformers.BertTokenizerFast``.

The class is the one public face; it delegates to the modules beside it: :mod:`.pipeline` builds the
Rust pipeline, :mod:`.arguments` checks what callers pass, :mod:`.truncation` cuts long text pairs
ahead of Rust, :mod:`.batches` shapes batch output, :mod:`.training` learns a vocabulary and
:mod:`.files` reads and writes tokenizer folders.
"""

from __future__ import annotations

import os

import numpy as np

from .... import _backend
from ...._tensor import Tensor
from ....data.tokenizers import SpecialTokens
from ..hub import resolve_folder
from . import files, training
from .arguments import (batch_inputs, check_flag, check_options, check_pair_arg, check_str_items, check_text,
                        id_rows, ids_list, resolve_lengths, single_pair, type_name)
from .batches import KEYS, as_lists, as_tensors
from .pipeline import SPECIAL_ROLES, RustEncoder, bert_pipeline, check_vocab

__all__ = ["BERTTokenizerFast"]


class BERTTokenizerFast:
    """BERT's WordPiece tokenizer on Hugging Face ``tokenizers``; its ids equal ``transformers.BertTokenizerFast``'s.

    Args:
        vocab: a dict ``token -> id`` (ids unique and non-negative). Give this or ``vocab_file``; with
            neither, the vocabulary holds only the five special tokens (``[PAD]`` = 0), ready for :meth:`fit`.
        vocab_file: a ``vocab.txt`` (one token per line; the line number is the id).
        unk_token, pad_token, cls_token, mask_token, sep_token: the special tokens (in the original Lucid's
            order: mask before sep), each a string or a :class:`lucid.data.tokenizers.SpecialTokens` member;
            each must be in the vocabulary (``ValueError`` naming the token otherwise).
        lowercase: lowercase the text before WordPiece (an uncased vocabulary).
        wordpieces_prefix: the prefix marking a word-continuation piece.
        max_input_chars_per_word: longer words become ``unk_token``.
        clean_text: drop control characters and turn every whitespace into a space.
        strip_accents: (keyword-only) strip accents; ``None`` follows ``lowercase`` (as in the original BERT).
        tokenize_chinese_chars: (keyword-only) put spaces around CJK ideographs so each is its own word.
        model_max_length: (keyword-only) the length ``truncation=True`` truncates to when ``max_length`` is
            not given.

    Return types follow Lucid: :meth:`encode` (and calling the tokenizer on a string) gives a list of ids,
    or with ``return_tensor=True`` a 1-D int64 :class:`lucid.Tensor`; :meth:`batch_encode` (and calling it
    on a list) gives a list of id lists, or a ``(B, L)`` int64 tensor; :meth:`batch_encode_plus` gives the
    dict of ``input_ids``, ``token_type_ids``, ``attention_mask`` and ``special_tokens_mask`` the batched
    ``*_from_text`` methods use; :meth:`encode_plus` and :meth:`encode_pretraining_inputs` of one text give
    dicts of lists, or of int64 tensors of shape ``(1, L)``. The second text is ``text_b=`` (keyword-only)
    in :meth:`encode`, ``text_pairs=`` (keyword-only) in :meth:`batch_encode`, and the second positional
    argument of :meth:`encode_plus` and :meth:`batch_encode_plus`. ``padding=True`` pads to the longest
    row, lists included (as ``transformers``; the original Lucid padded only tensors, to ``max_length``
    when given: ``padding="max_length"`` does that here). The tokenizer keeps truncation and padding
    settings inside its Rust object between calls (as ``transformers`` does), so one instance should not
    be shared across threads.

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
                 mask_token="[MASK]", sep_token="[SEP]", lowercase=True, wordpieces_prefix="##",
                 max_input_chars_per_word=100, clean_text=True, *, strip_accents=None, tokenize_chinese_chars=True,
                 model_max_length=512):
        if vocab is not None and vocab_file is not None:
            raise ValueError("give either vocab or vocab_file, not both")
        specials = {role: token.value if isinstance(token, SpecialTokens) else token
                    for role, token in (("pad_token", pad_token), ("unk_token", unk_token), ("cls_token", cls_token),
                                        ("sep_token", sep_token), ("mask_token", mask_token))}
        check_options(specials, lowercase, clean_text, tokenize_chinese_chars, strip_accents, wordpieces_prefix,
                      max_input_chars_per_word, model_max_length)
        for role, token in specials.items():
            setattr(self, role, token)
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
            vocab = files.read_vocab_txt(vocab_file)
        elif vocab is None:
            vocab = {}
            for role in SPECIAL_ROLES:
                vocab.setdefault(specials[role], len(vocab))
        self._set_vocab(vocab)

    def _set_vocab(self, vocab):
        """Check ``vocab`` and (re)build the Rust pipeline around it."""
        self._vocab, self._id_to_token = check_vocab(vocab, {role: getattr(self, role) for role in SPECIAL_ROLES})
        self._rust = RustEncoder(bert_pipeline(self, self._vocab), self._vocab[self.pad_token], self.pad_token)
        self._special_ids = np.array(sorted(set(self.all_special_ids)), dtype=np.int64)

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
    def bos_token(self) -> str:
        """The token opening a sequence: ``cls_token`` (the original Lucid's name for it)."""
        return self.cls_token

    @property
    def eos_token(self) -> str:
        """The token closing a sequence (or segment): ``sep_token``."""
        return self.sep_token

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
            raise TypeError(f"tokens must be a str or a list of str, got {type_name(tokens)}")
        check_str_items(tokens, "tokens")
        get = self._vocab.get
        return [get(t, unk) for t in tokens]

    def _ids_list(self, ids, what="ids"):
        """A flat list of Python ints from a list, a NumPy array or a 1-D Tensor, range-checked."""
        return ids_list(ids, len(self._id_to_token), self.vocab_size, what)

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
            raise TypeError(f"tokens must be a list of str, got {type_name(tokens)}")
        check_str_items(tokens, "tokens")
        return self._rust.tk.decoder.decode(list(tokens))

    # ---- single texts -----------------------------------------------------------------------------
    def tokenize(self, text: str) -> list[str]:
        """Split one text into word pieces (no special tokens added).

        Example:
            >>> from lucid.models import BERTTokenizerFast
            >>> BERTTokenizerFast().tokenize("Zebra [MASK]")
            ['[UNK]', '[MASK]']
        """
        check_text(text)
        return self._rust.encode(text, False, None, None).tokens

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
                raise TypeError(f"{name} must be a list, got {type_name(seq)}")
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

    def encode(self, text, add_special_tokens=True, return_tensor=False, device="cpu", *, text_b=None,
               max_length=None, truncation=False):
        """Token ids of one text (or, with ``text_b``, a text pair): a list of int, or a 1-D int64 Tensor
        on ``device``.

        ``truncation=True`` cuts to ``max_length`` (default ``model_max_length``), longest text first.

        Example:
            >>> from lucid.models import BERTTokenizerFast
            >>> tok = BERTTokenizerFast()
            >>> tok.encode("[MASK]", text_b="[MASK]")
            [2, 4, 3, 4, 3]
            >>> tok.encode("[MASK]", False), tok.encode("[MASK]", return_tensor=True).shape
            ([4], (3,))
        """
        check_text(text)
        self._check_special_flag(add_special_tokens, "text_b")
        text_b = single_pair(text_b)
        truncate_to, _ = resolve_lengths(False, truncation, max_length, None, self.model_max_length)
        ids = self._rust.encode(text, add_special_tokens, truncate_to, None, text_b).ids
        if return_tensor:
            return Tensor(np.asarray(ids, dtype=np.int64), device=_backend.check_device(device))
        return ids

    @staticmethod
    def _check_special_flag(add_special_tokens, pair_name):
        """``add_special_tokens`` sits second, where older lucid took the second text: say so."""
        check_flag(add_special_tokens, "add_special_tokens",
                   f"the second argument is add_special_tokens; pass a second text as {pair_name}=")

    def __call__(self, text, add_special_tokens=True, return_tensor=False, device="cpu", *, text_b=None,
                 max_length=None, truncation=False, padding=False):
        """:meth:`encode` for a string, :meth:`batch_encode` for a list of strings (``text_b`` then being
        the list of second texts). ``padding`` (keyword-only) applies to a batch, or pads one text to
        ``max_length`` with ``padding="max_length"``.

        Example:
            >>> from lucid.models import BERTTokenizerFast
            >>> tok = BERTTokenizerFast()
            >>> tok("[MASK]"), tok(["[MASK]", ""], padding=True)
            ([2, 4, 3], [[2, 4, 3], [2, 3, 0]])
        """
        batch = isinstance(text, (list, tuple))
        if not batch and padding in (False, "do_not_pad"):
            return self.encode(text, add_special_tokens, return_tensor, device, text_b=text_b,
                               max_length=max_length, truncation=truncation)
        out = self.batch_encode(text if batch else check_text(text), add_special_tokens, padding, max_length,
                                truncation, return_tensor, device, text_pairs=text_b)
        return out if batch else out[0]

    def encode_plus(self, text_a, text_b=None, add_special_tokens=True, return_tensor=False, device="cpu", *,
                    truncation=False, max_length=None, padding=True, return_special_tokens_mask=False):
        """``input_ids``, ``token_type_ids`` and ``attention_mask`` of one text or text pair.

        For one string the values are lists (``return_tensor``: int64 tensors of shape ``(1, L)``). A list
        of strings is encoded as a batch (see :meth:`batch_encode_plus`), padded to the longest by default.

        Example:
            >>> from lucid.models import BERTTokenizerFast
            >>> enc = BERTTokenizerFast().encode_plus("[MASK]", "[UNK] [UNK]")
            >>> enc["input_ids"], enc["token_type_ids"]
            ([2, 4, 3, 1, 1, 3], [0, 0, 0, 1, 1, 1])
        """
        check_pair_arg(text_b)
        self._check_special_flag(add_special_tokens, "text_b")
        keys = KEYS if return_special_tokens_mask else KEYS[:3]
        if not isinstance(text_a, str):
            if isinstance(text_a, (list, tuple, np.ndarray)):
                return self._batch(text_a, text_b, add_special_tokens, padding, max_length, truncation,
                                   return_tensor, device, None, keys)
            check_text(text_a, "text_a")
        text_b = single_pair(text_b)
        truncate_to, _ = resolve_lengths(False, truncation, max_length, None, self.model_max_length)
        enc = self._rust.encode(text_a, add_special_tokens, truncate_to, None, text_b)
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
    def batch_encode(self, texts, add_special_tokens=True, padding=False, max_length=None, truncation=False,
                     return_tensor=False, device="cpu", *, text_pairs=None, pad_to_multiple_of=None):
        """The token ids of a batch, encoded in one call to the Rust batch encoder: a list of id lists,
        or with ``return_tensor=True`` a ``(B, L)`` int64 Tensor on ``device`` (the rows must then be
        padded or all of one length). :meth:`batch_encode_plus` gives the masks as well.

        Args:
            texts: a list of strings (one string is a batch of one).
            padding: ``False``; ``True`` / ``"longest"`` (to the longest in the batch); ``"max_length"``
                (to ``max_length``, default ``model_max_length``). Pads on the right with ``pad_token``.
            truncation: ``True`` cuts every sequence to ``max_length`` (default ``model_max_length``),
                removing tokens from the longer text of a pair first.
            text_pairs: (keyword-only) ``None`` or the second texts, one per text (a str when ``texts`` is
                a str).
            pad_to_multiple_of: (keyword-only) round the padded length up to a multiple of this.

        Example:
            >>> from lucid.models import BERTTokenizerFast
            >>> tok = BERTTokenizerFast()
            >>> tok.batch_encode(["[MASK]", "[MASK] [MASK]"])
            [[2, 4, 3], [2, 4, 4, 3]]
            >>> tok.batch_encode(["[MASK]", "[MASK] [MASK]"], padding=True, return_tensor=True).tolist()
            [[2, 4, 3, 0], [2, 4, 4, 3]]
        """
        self._check_special_flag(add_special_tokens, "text_pairs")
        return self._batch(texts, text_pairs, add_special_tokens, padding, max_length, truncation, return_tensor,
                           device, pad_to_multiple_of, KEYS[:1])["input_ids"]

    def batch_encode_plus(self, texts, text_pairs=None, *, add_special_tokens=True, padding=True, max_length=None,
                          truncation=True, return_tensor=True, device="cpu", pad_to_multiple_of=None):
        """A batch as the dict the batched ``*_from_text`` methods use: ``input_ids``, ``token_type_ids``,
        ``attention_mask`` (the model inputs) and ``special_tokens_mask`` (1 at each
        ``[CLS] [SEP] [PAD] [UNK] [MASK]``, what masking skips), by default padded,
        truncated to ``max_length`` (``model_max_length`` when None) and as ``(B, L)`` int64 tensors on
        ``device``; ``return_tensor=False`` gives lists of rows. Options as in :meth:`batch_encode`.

        Example:
            >>> from lucid.models import BERTTokenizerFast
            >>> enc = BERTTokenizerFast().batch_encode_plus(["[MASK]", "[MASK] [MASK]"], ["[UNK]", "[UNK]"])
            >>> enc["input_ids"].tolist()
            [[2, 4, 3, 1, 3, 0], [2, 4, 4, 3, 1, 3]]
            >>> enc["token_type_ids"].tolist(), enc["attention_mask"].tolist()[0]
            ([[0, 0, 0, 1, 1, 0], [0, 0, 0, 0, 1, 1]], [1, 1, 1, 1, 1, 0])
        """
        check_flag(add_special_tokens, "add_special_tokens")
        return self._batch(texts, text_pairs, add_special_tokens, padding, max_length, truncation, return_tensor,
                           device, pad_to_multiple_of, KEYS)

    def _batch(self, texts, text_pairs, add_special_tokens, padding, max_length, truncation, return_tensor, device,
               pad_to_multiple_of, keys):
        """The ``keys`` of :data:`~.batches.KEYS` for a batch: lists, or ``(B, L)`` tensors on ``device``."""
        batch, has_pairs = batch_inputs(texts, text_pairs)
        truncate_to, pad = resolve_lengths(padding, truncation, max_length, pad_to_multiple_of,
                                           self.model_max_length)
        if return_tensor:
            device = _backend.check_device(device)
            encodings = self._rust.encode(batch, add_special_tokens, truncate_to, None) if batch else []
            return as_tensors(encodings, pad, has_pairs, self.pad_token_id, self._special_ids, device, keys)
        encodings = self._rust.encode(batch, add_special_tokens, truncate_to, pad) if batch else []
        return as_lists(encodings, has_pairs, self._special_ids, keys)

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
        return self._rust.tk.decode(self._ids_list(ids), skip_special_tokens=skip_special_tokens)

    def batch_decode(self, batch_ids, skip_special_tokens=True) -> list[str]:
        """:meth:`decode` for each row of a list of id lists or a 2-D Tensor/array.

        Example:
            >>> from lucid.models import BERTTokenizerFast
            >>> BERTTokenizerFast().batch_decode([[2, 4, 3], [1]], skip_special_tokens=False)
            ['[CLS] [MASK] [SEP]', '[UNK]']
        """
        rows = id_rows(batch_ids, len(self._id_to_token), self.vocab_size)
        return self._rust.tk.decode_batch(rows, skip_special_tokens=skip_special_tokens)

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
        self._set_vocab(training.learn_vocab(self, texts, vocab_size, min_frequency, limit_alphabet, show_progress))
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
        self._rust.configure(None, None)  # keep per-call truncation/padding out of tokenizer.json
        return files.save(folder, self, self._id_to_token, self._rust.tk.to_str(pretty=True))

    @classmethod
    def from_pretrained(cls, folder, *, revision=None, cache_dir=None, **overrides):
        """Load a tokenizer folder written by lucid or by ``transformers``, or one on the Hugging Face Hub.

        The folder needs ``vocab.txt`` or ``tokenizer.json`` (both: ``tokenizer.json``'s vocabulary is used,
        as ``transformers`` does); ``tokenizer_config.json`` and ``special_tokens_map.json`` are honoured
        (``do_lower_case``, ``strip_accents``, ``tokenize_chinese_chars``, ``model_max_length``, the special
        tokens). Other keyword arguments override them. ``folder`` may also name a ``vocab.txt`` or
        ``tokenizer.json`` file directly.

        As for the model classes, ``folder`` may be a Hub repository id (``"org/name"``, when no such local
        path exists) or a :mod:`lucid.weights` entry: only the tokenizer files are downloaded, at
        ``revision`` (an entry's pinned commit by default), into the Hugging Face cache (or
        ``cache_dir``); ``HF_HUB_OFFLINE=1`` reads the cache only. See
        :func:`lucid.models.bert.hub.download`.

        Example:
            >>> import tempfile, os
            >>> from lucid.models import BERTTokenizerFast
            >>> folder = tempfile.mkdtemp()
            >>> with open(os.path.join(folder, "vocab.txt"), "w") as f:
            ...     _ = f.write("[PAD]\\n[UNK]\\n[CLS]\\n[SEP]\\n[MASK]\\nhi\\n")
            >>> BERTTokenizerFast.from_pretrained(folder).encode("Hi")
            [2, 5, 3]
            >>> tok = BERTTokenizerFast.from_pretrained("google-bert/bert-base-uncased")  # doctest: +SKIP
        """
        for key in ("vocab", "vocab_file"):
            if key in overrides:
                raise ValueError(f"from_pretrained reads the vocabulary from the folder; do not pass {key}")
        folder = resolve_folder(folder, revision=revision, cache_dir=cache_dir, tokenizer_only=True)
        vocab, settings = files.load(folder, overrides)
        return cls(vocab=vocab, **settings)
