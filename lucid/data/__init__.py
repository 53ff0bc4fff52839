"""Data for training: datasets, a loader, samplers and text collators, and the small data
sets shipped with lucid.

* :mod:`~lucid.data.datasets`: :class:`Dataset`, :class:`TensorDataset`, :class:`Subset`,
  :class:`ConcatDataset`, :func:`random_split` (the original Lucid's and PyTorch's names);
* :mod:`~lucid.data.loader`: :class:`DataLoader` and :func:`default_collate`;
* :mod:`~lucid.data.samplers`: :class:`Sampler`, :class:`SequentialSampler`, :class:`RandomSampler`;
* :mod:`~lucid.data.distributed`: :class:`DistributedSampler`, one rank's share of a data set;
* :mod:`~lucid.data.collators`: Hugging Face-style collators of tokenized text;
* :mod:`~lucid.data.masking`: BERT's masked-LM masking, shared by the collator and the models;
* :mod:`~lucid.data.truncation`: :class:`TruncationWarning`, which says when texts were cut
  to ``max_length`` tokens;
* :mod:`~lucid.data.shipped`: the demo's corpus and sentiment set and their helpers;
* :mod:`~lucid.data.next_sentence`: :func:`next_sentence_pairs`, BERT's next-sentence pairs
  from documents;
* :mod:`~lucid.data.tokenizers`: :class:`~lucid.data.tokenizers.SpecialTokens`, the BERT special tokens.

Randomness (shuffling, splitting, masking) comes from :func:`lucid.random.generator`, so one
:func:`lucid.random.seed` reproduces a run.

Example:
    >>> import lucid
    >>> from lucid.data import DataLoader, TensorDataset
    >>> lucid.random.seed(0)
    >>> loader = DataLoader(TensorDataset(lucid.arange(6)), batch_size=4, shuffle=True)
    >>> [len(x) for (x,) in loader]
    [4, 2]
"""

from .collators import DataCollatorForLanguageModeling, DataCollatorForTokenClassification, DataCollatorWithPadding
from .datasets import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .distributed import DistributedSampler
from .loader import DataLoader, default_collate
from .next_sentence import next_sentence_pairs
from .samplers import RandomSampler, Sampler, SequentialSampler
from .shipped import SENTIMENT_LABELS, data_path, load_corpus, load_sentiment, train_test_split
from . import tokenizers  # noqa: F401  (lucid.data.tokenizers.SpecialTokens)
from .truncation import TruncationWarning, warn_if_truncated

__all__ = [
    "ConcatDataset", "DataCollatorForLanguageModeling", "DataCollatorForTokenClassification",
    "DataCollatorWithPadding", "DataLoader", "Dataset", "DistributedSampler", "RandomSampler", "Sampler",
    "SequentialSampler", "Subset", "TensorDataset", "TruncationWarning", "default_collate", "next_sentence_pairs",
    "random_split", "warn_if_truncated",
    # the data shipped with lucid
    "SENTIMENT_LABELS", "data_path", "load_corpus", "load_sentiment", "train_test_split",
]
