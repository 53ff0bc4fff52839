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
from . import files, training
from .arguments import (batch_inputs, check_options, check_pair_arg, check_str_items, check_text, id_rows,
                        ids_list, resolve_lengths, single_pair, type_name)
from .batches import as_lists, as_tensors
from .pipeline import SPECIAL_ROLES, RustEncoder, bert_pipeline, check_vocab

__all__ = ["BERTTokenizerFast"]


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
        check_options(specials, lowercase, clean_text, tokenize_chinese_chars, strip_accents, wordpieces_prefix,
                      max_input_chars_per_word, model_max_length)
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
        check_pair_arg(text_b)
        check_text(text)
        text_b = single_pair(text_b)
        truncate_to, _ = resolve_lengths(False, truncation, max_length, None, self.model_max_length)
        ids = self._rust.encode(text, add_special_tokens, truncate_to, None, text_b).ids
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
        check_pair_arg(text_b)
        if not isinstance(text_a, str):
            if isinstance(text_a, (list, tuple, np.ndarray)):
                return self.batch_encode(text_a, text_b, add_special_tokens=add_special_tokens, padding=padding,
                                         max_length=max_length, truncation=truncation, return_tensor=return_tensor,
                                         device=device, return_special_tokens_mask=return_special_tokens_mask)
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
        batch, has_pairs = batch_inputs(texts, text_pairs)
        truncate_to, pad = resolve_lengths(padding, truncation, max_length, pad_to_multiple_of,
                                           self.model_max_length)
        if return_tensor:
            device = _backend.check_device(device)
            encodings = self._rust.encode(batch, add_special_tokens, truncate_to, None) if batch else []
            return as_tensors(encodings, pad, has_pairs, return_special_tokens_mask, self.pad_token_id,
                              self._special_ids, device)
        encodings = self._rust.encode(batch, add_special_tokens, truncate_to, pad) if batch else []
        return as_lists(encodings, has_pairs, return_special_tokens_mask, self._special_ids)

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
        vocab, settings = files.load(folder, overrides)
        return cls(vocab=vocab, **settings)
