"""The Rust pipeline of a BERT tokenizer, built the way ``transformers.BertTokenizerFast`` builds it.

The BERT normalizer (clean text, Chinese characters, lowercase, accent stripping), the BERT
pre-tokenizer (whitespace and punctuation), a WordPiece model, a ``[CLS] A [SEP] (B [SEP])`` template
and the WordPiece decoder; the special tokens are registered as special *added* tokens.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from tokenizers import AddedToken, Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import WordPiece

from .arguments import invalid_unicode, type_name
from .truncation import fit_to_length

#: The order in which a freshly trained (or empty) vocabulary lists the special tokens: [PAD] = 0.
SPECIAL_ROLES = ("pad_token", "unk_token", "cls_token", "sep_token", "mask_token")
#: The special tokens a tokenizer has when none are given.
DEFAULT_SPECIALS = {"pad_token": "[PAD]", "unk_token": "[UNK]", "cls_token": "[CLS]", "sep_token": "[SEP]",
                    "mask_token": "[MASK]"}


def check_vocab(vocab, specials):
    """``(token -> id, id -> token list)`` from a checked ``vocab``; ``specials`` (role -> token) must
    all be in it. A gap in the ids is ``None`` in the list.

    Example:
        >>> check_vocab({"[UNK]": 0, "hi": 2}, {"unk_token": "[UNK]"})
        ({'[UNK]': 0, 'hi': 2}, ['[UNK]', None, 'hi'])
    """
    if not isinstance(vocab, Mapping):
        raise TypeError(f"vocab must be a dict mapping token -> id, got {type_name(vocab)}")
    checked = {}
    seen = {}
    for token, idx in vocab.items():
        if not isinstance(token, str):
            raise TypeError(f"vocab keys must be str, got {type_name(token)} ({token!r})")
        if isinstance(idx, bool) or not isinstance(idx, (int, np.integer)) or idx < 0:
            raise ValueError(f"vocab id of {token!r} must be a non-negative int, got {idx!r}")
        idx = int(idx)
        if idx in seen:
            raise ValueError(f"vocab gives id {idx} to both {seen[idx]!r} and {token!r}")
        seen[idx] = token
        checked[token] = idx
    for role, token in specials.items():
        if token not in checked:
            raise ValueError(f"{role} {token!r} is not in the vocabulary")
    id_to_token = [None] * (max(seen) + 1)
    for idx, token in seen.items():
        id_to_token[idx] = token
    return checked, id_to_token


def normalizer(tok):
    """The BERT normalizer with ``tok``'s text settings.

    Example:
        >>> from lucid.models import BERTTokenizerFast
        >>> normalizer(BERTTokenizerFast()).normalize_str("Café")
        'cafe'
    """
    return normalizers.BertNormalizer(clean_text=tok.clean_text, handle_chinese_chars=tok.tokenize_chinese_chars,
                                      strip_accents=tok.strip_accents, lowercase=tok.lowercase)


def rust_tokenizer(tok, model, specials):
    """A Rust tokenizer around the WordPiece ``model`` with ``tok``'s normalizer and the BERT
    pre-tokenizer, ``specials`` registered as special tokens.

    Example:
        >>> from tokenizers.models import WordPiece
        >>> from lucid.models import BERTTokenizerFast
        >>> tk = rust_tokenizer(BERTTokenizerFast(), WordPiece({"[UNK]": 0, "hi": 1}, unk_token="[UNK]"), ["[UNK]"])
        >>> tk.encode("Hi [UNK]").tokens
        ['hi', '[UNK]']
    """
    tk = Tokenizer(model)
    tk.normalizer = normalizer(tok)
    tk.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    # Registered like transformers does: matched verbatim in the raw text, skipped by decode.
    tk.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
    return tk


def bert_pipeline(tok, vocab):
    """The whole Rust pipeline of ``tok`` over the checked ``vocab``: WordPiece, the ``[CLS] A [SEP]
    (B [SEP])`` template (second text type id 1) and the WordPiece decoder.

    Example:
        >>> from lucid.models import BERTTokenizerFast
        >>> tok = BERTTokenizerFast()
        >>> bert_pipeline(tok, tok.get_vocab()).encode("[MASK]").ids
        [2, 4, 3]
    """
    tk = rust_tokenizer(tok, WordPiece(vocab, unk_token=tok.unk_token,
                                       max_input_chars_per_word=tok.max_input_chars_per_word,
                                       continuing_subword_prefix=tok.wordpieces_prefix),
                        tok.all_special_tokens)
    cls, sep = tok.cls_token, tok.sep_token
    tk.post_processor = processors.TemplateProcessing(
        single=[f"{cls}:0", "$A:0", f"{sep}:0"],
        pair=[f"{cls}:0", "$A:0", f"{sep}:0", "$B:1", f"{sep}:1"],
        special_tokens=[(cls, vocab[cls]), (sep, vocab[sep])],
    )
    tk.decoder = decoders.WordPiece(prefix=tok.wordpieces_prefix, cleanup=True)
    return tk


class RustEncoder:
    """A Rust tokenizer and the truncation and padding it is set to; a call that asks for other
    settings changes them on the Rust object, one that asks for the same ones leaves it alone.

    ``truncate_to`` is ``None`` or a length; ``pad`` is ``None``, ``"longest"`` or
    ``(length or None, multiple or None)`` (see :func:`~.arguments.resolve_lengths`).

    Example:
        >>> from lucid.models import BERTTokenizerFast
        >>> tok = BERTTokenizerFast()
        >>> rust = RustEncoder(bert_pipeline(tok, tok.get_vocab()), pad_id=0, pad_token="[PAD]")
        >>> [e.ids for e in rust.encode(["[MASK]", "[MASK] [MASK]"], True, None, "longest")]
        [[2, 4, 3, 0], [2, 4, 4, 3]]
    """

    def __init__(self, tk, pad_id, pad_token):
        self.tk = tk
        self._pad_id, self._pad_token = pad_id, pad_token
        self._encode_batch = getattr(tk, "encode_batch_fast", tk.encode_batch)
        self._mode = (None, None)

    def configure(self, truncate_to, pad):
        """Set truncation and padding on the Rust tokenizer, touching it only when they change."""
        if self._mode == (truncate_to, pad):
            return
        if truncate_to is None:
            self.tk.no_truncation()
        else:
            self.tk.enable_truncation(truncate_to, stride=0, strategy="longest_first", direction="right")
        if pad is None:
            self.tk.no_padding()
        else:
            self.tk.enable_padding(direction="right", pad_id=self._pad_id, pad_type_id=0, pad_token=self._pad_token,
                                   length=None if pad == "longest" else pad[0],
                                   pad_to_multiple_of=None if pad == "longest" else pad[1])
        self._mode = (truncate_to, pad)

    def encode(self, inputs, add_special_tokens, truncate_to, pad, text_b=None):
        """The encoding of a text (pair) when ``inputs`` is a str, else the encodings of a batch; long
        pairs are cut ahead of Rust's truncation (:func:`~.truncation.fit_to_length`).

        Raises:
            ValueError: a text is not valid Unicode (Rust's own message, "must be str", would not say
                which text or why; the check runs only once Rust has refused, so valid text costs nothing).
        """
        try:
            if truncate_to is not None:
                inputs, text_b = fit_to_length(inputs, text_b, truncate_to, add_special_tokens, self.encode_plain)
            self.configure(truncate_to, pad)
            if isinstance(inputs, str):
                return self.tk.encode(inputs, text_b, add_special_tokens=add_special_tokens)
            return self._encode_batch(inputs, add_special_tokens=add_special_tokens)
        except TypeError as err:
            bad = invalid_unicode(inputs, text_b)
            if bad is None:
                raise
            raise bad from err

    def encode_plain(self, texts):
        """The encodings of ``texts``, untruncated and without special tokens."""
        self.configure(None, None)
        return self.tk.encode_batch(texts, add_special_tokens=False)
