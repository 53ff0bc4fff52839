"""Next-sentence pairs for BERT pre-training, made from documents the way BERT made them.

Each sentence that has a successor in its document gives one pair: half the time (on
average) the pair is ``(sentence, the sentence after it)`` with label 0 ("is next"), else
``(sentence, a random sentence of another document)`` with label 1 ("is random"), the
labels :class:`~lucid.models.BERTForNextSentencePrediction` and
:class:`~lucid.models.BERTForPreTraining` use.
"""

from __future__ import annotations

import numpy as np

from ..random import generator

__all__ = ["next_sentence_pairs"]


def _sentences(doc, i):
    if isinstance(doc, str):
        return [line.strip() for line in doc.splitlines() if line.strip()]
    if isinstance(doc, (list, tuple)) and all(isinstance(s, str) for s in doc):
        return list(doc)
    raise TypeError(f"document {i} must be a list of sentences or a string of lines, got {type(doc).__name__}")


def next_sentence_pairs(documents, *, seed=None, random_fraction=0.5):
    """``(texts_a, texts_b, labels)``: next-sentence pairs from ``documents``.

    Args:
        documents: a list of documents, each a list of sentences (or one string, one sentence
            per line). A random second sentence always comes from another document, so at least
            two documents are needed.
        seed: an int seeds a generator of its own; ``None`` draws from :mod:`lucid.random`
            (reproducible after ``lucid.random.seed``).
        random_fraction: the probability that a pair's second sentence is a random one.

    Returns:
        Three lists of one length, in document and sentence order: first sentences, second
        sentences, and labels (0: the second follows the first; 1: it is random), ready for
        ``get_loss_from_text(tokenizer, texts_a, texts_b, nsp_label=labels)``.

    Example:
        >>> from lucid.data import next_sentence_pairs
        >>> docs = [["It rains.", "We stay in.", "We read."], ["The sun is out.", "We go for a walk."]]
        >>> a, b, labels = next_sentence_pairs(docs, seed=0)
        >>> len(a), a[0]
        (3, 'It rains.')
        >>> all(docs[0][1:].count(y) + docs[1][1:].count(y) for x, y, l in zip(a, b, labels) if l == 0)
        True
    """
    if isinstance(documents, str) or not isinstance(documents, (list, tuple)):
        raise TypeError(f"documents must be a list of documents, got {type(documents).__name__}")
    docs = [_sentences(d, i) for i, d in enumerate(documents)]
    if isinstance(random_fraction, bool) or not isinstance(random_fraction, (int, float)) or not (
            0.0 <= random_fraction <= 1.0):
        raise ValueError(f"random_fraction must be a probability in [0, 1], got {random_fraction!r}")
    sources = [i for i, d in enumerate(docs) if d]
    if random_fraction > 0 and len(sources) < 2:
        raise ValueError(f"random second sentences come from another document: give at least 2 non-empty "
                         f"documents, got {len(sources)}")
    rng = generator("cpu") if seed is None else np.random.default_rng(seed)
    texts_a, texts_b, labels = [], [], []
    for i, doc in enumerate(docs):
        here = sources.index(i) if doc else None
        for j in range(len(doc) - 1):
            texts_a.append(doc[j])
            if rng.random() < random_fraction:
                r = int(rng.integers(len(sources) - 1))  # any source document but this one
                other = sources[r + (r >= here)]
                texts_b.append(docs[other][int(rng.integers(len(docs[other])))])
                labels.append(1)
            else:
                texts_b.append(doc[j + 1])
                labels.append(0)
    return texts_a, texts_b, labels
