"""Learning a WordPiece vocabulary that comes out the same on every run.

``tokenizers``' ``WordPieceTrainer`` numbers the word-continuation characters (``"##a"``) in hash-map
order, and those numbers break ties between equally frequent merges; it also cuts the alphabet at
``limit_alphabet`` with ties in hash-map order. So one run differs from the next
(huggingface/tokenizers#1794). A first run finds the alphabet and the continuation pieces; lucid picks
the alphabet itself (most frequent first, ties by code point), and a second run gets the pieces as
fixed, sorted entries ahead of the rest: the result is the same on every run.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable

import numpy as np
from tokenizers import trainers
from tokenizers.models import WordPiece

from .arguments import type_name
from .pipeline import SPECIAL_ROLES, normalizer, rust_tokenizer


def _checked_corpus(texts, vocab_size, min_frequency, limit_alphabet, n_specials):
    """The texts as a list, after the checks of the training options."""
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, (int, np.integer)):
        raise TypeError(f"vocab_size must be an int, got {type_name(vocab_size)}")
    if vocab_size < n_specials:
        raise ValueError(f"vocab_size must be at least {n_specials} (the special tokens), got {vocab_size}")
    if isinstance(min_frequency, bool) or not isinstance(min_frequency, (int, np.integer)) or min_frequency < 0:
        raise ValueError(f"min_frequency must be a non-negative int, got {min_frequency!r}")
    if isinstance(texts, str):
        texts = [texts]
    if not isinstance(texts, Iterable):
        raise TypeError(f"texts must be an iterable of str, got {type_name(texts)}")
    corpus = []
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"texts[{i}] must be a str, got {type_name(t)}")
        corpus.append(t)
    if limit_alphabet is not None and (isinstance(limit_alphabet, bool) or
                                       not isinstance(limit_alphabet, (int, np.integer)) or limit_alphabet < 1):
        raise ValueError(f"limit_alphabet must be a positive int or None, got {limit_alphabet!r}")
    return corpus


def learn_vocab(tok, texts, vocab_size, min_frequency, limit_alphabet, show_progress):
    """A WordPiece vocabulary (token -> id) learned from ``texts`` with ``tok``'s normalization,
    word-piece prefix and special tokens (those first, in :data:`SPECIAL_ROLES` order).

    Example:
        >>> from lucid.models import BERTTokenizerFast
        >>> vocab = learn_vocab(BERTTokenizerFast(), ["a cat sat"] * 3, 40, 2, None, False)
        >>> sorted(vocab, key=vocab.get)[:6]
        ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', '##a']
    """
    specials = list(dict.fromkeys(getattr(tok, role) for role in SPECIAL_ROLES))
    corpus = _checked_corpus(texts, vocab_size, min_frequency, limit_alphabet, len(specials))
    prefix = tok.wordpieces_prefix

    def train(fixed=(), alphabet=None):
        model = WordPiece(unk_token=tok.unk_token, max_input_chars_per_word=tok.max_input_chars_per_word,
                          continuing_subword_prefix=prefix)
        tk = rust_tokenizer(tok, model, specials)
        # initial_alphabet + limit_alphabet of the same size keeps exactly that alphabet
        options = {} if alphabet is None else {"initial_alphabet": alphabet, "limit_alphabet": len(alphabet)}
        trainer = trainers.WordPieceTrainer(vocab_size=int(vocab_size), min_frequency=int(min_frequency),
                                            special_tokens=specials + list(fixed), show_progress=bool(show_progress),
                                            continuing_subword_prefix=prefix, **options)
        tk.train_from_iterator(corpus, trainer=trainer)
        return tk.get_vocab(with_added_tokens=False)

    first = train()
    chars = sorted(t for t in first if len(t) == 1 and t not in specials)
    alphabet = None
    if limit_alphabet is not None and len(chars) > limit_alphabet:
        counts = collections.Counter()
        normalize = normalizer(tok).normalize_str
        for text in corpus:
            counts.update(normalize(text))
        alphabet = sorted(sorted(chars, key=lambda c: (-counts[c], c))[:int(limit_alphabet)])
    keep = set(chars if alphabet is None else alphabet)
    pieces = sorted(t for t in first if t.startswith(prefix) and len(t) == len(prefix) + 1
                    and t not in specials and t[-1] in keep)
    return train(pieces, alphabet)
