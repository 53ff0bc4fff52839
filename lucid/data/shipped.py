"""Small text data shipped with lucid, written for the ``lucid-bert demo`` and the docs
(importable from :mod:`lucid.data`).

* ``corpus.txt``: a few hundred short everyday sentences, one per line, for learning a
  WordPiece vocabulary and for masked-LM pre-training.
* ``sentiment.tsv``: a few hundred short reviews labelled ``positive`` or ``negative``
  (tab-separated ``text`` and ``label`` columns). Clear cue words make the task learnable
  by a very small model in seconds.

Nothing here is downloaded; both files were written for lucid.

Example:
    >>> from lucid import data
    >>> corpus = data.load_corpus()
    >>> len(corpus) > 100, isinstance(corpus[0], str)
    (True, True)
    >>> texts, labels = data.load_sentiment()
    >>> data.SENTIMENT_LABELS
    ('negative', 'positive')
    >>> sorted(set(labels))
    [0, 1]
"""

from __future__ import annotations

import os

__all__ = ["SENTIMENT_LABELS", "data_path", "load_corpus", "load_sentiment", "train_test_split"]

#: Label names of :func:`load_sentiment`, indexed by label id.
SENTIMENT_LABELS = ("negative", "positive")

_DIR = os.path.dirname(os.path.abspath(__file__))


def data_path(name: str) -> str:
    """The path of the shipped data file ``name`` (``"corpus.txt"`` or ``"sentiment.tsv"``).

    Example:
        >>> import os
        >>> from lucid.data import data_path
        >>> os.path.basename(data_path("corpus.txt"))
        'corpus.txt'
    """
    path = os.path.join(_DIR, name)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"lucid ships no data file named {name!r}")
    return path


def load_corpus() -> list[str]:
    """The sentences of ``corpus.txt``, one string each.

    Example:
        >>> from lucid.data import load_corpus
        >>> all(s.endswith(".") for s in load_corpus())
        True
    """
    with open(data_path("corpus.txt"), encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


def load_sentiment() -> tuple[list[str], list[int]]:
    """The labelled reviews of ``sentiment.tsv`` as ``(texts, labels)``.

    Labels are ids into :data:`SENTIMENT_LABELS` (0 = negative, 1 = positive).

    Example:
        >>> from lucid.data import load_sentiment
        >>> texts, labels = load_sentiment()
        >>> len(texts) == len(labels)
        True
    """
    texts, labels = [], []
    with open(data_path("sentiment.tsv"), encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        if header != ["text", "label"]:
            raise ValueError(f"sentiment.tsv has an unexpected header {header!r}")
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            text, label = line.split("\t")
            texts.append(text)
            labels.append(SENTIMENT_LABELS.index(label))
    return texts, labels


def train_test_split(n: int, test_fraction: float = 0.2, seed: int = 0) -> tuple[list[int], list[int]]:
    """Shuffle ``range(n)`` with ``seed`` and split it into train and test index lists.

    Example:
        >>> from lucid.data import train_test_split
        >>> train, test = train_test_split(10, test_fraction=0.3, seed=1)
        >>> len(train), len(test), sorted(train + test) == list(range(10))
        (7, 3, True)
    """
    import numpy as np

    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    order = np.random.default_rng(seed).permutation(n).tolist()
    n_test = max(1, int(round(n * test_fraction)))
    return order[n_test:], order[:n_test]
