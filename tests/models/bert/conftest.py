"""Fixtures the BERT model tests share: a tiny config, random token ids, a small WordPiece
tokenizer, a padded batch and CPU/device model pairs (``device`` comes from tests/conftest.py)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import lucid
from lucid.models import BERTConfig, BERTTokenizerFast

TINY = dict(vocab_size=120, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=48,
            max_position_embeddings=32)
WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "movie", "is", "excellent", "bad", "machine",
         "learning", "helps", "us", "build", "useful", "systems", ".", "token", "##ization", "quality", "a"]


@pytest.fixture
def tiny_kwargs():
    """The tiny config's fields (vocabulary 120, hidden 32, 2 layers, 4 heads, 32 positions)."""
    return dict(TINY)


@pytest.fixture
def tiny():
    """``tiny(**overrides)``: a :class:`BERTConfig` of the tiny fields with ``overrides``."""
    return lambda **overrides: BERTConfig(**{**TINY, **overrides})


@pytest.fixture
def random_ids():
    """``random_ids(batch=3, seq=9, seed=0, low=5, high=120, device="cpu")``: an int64 id tensor."""
    def make(batch=3, seq=9, seed=0, low=5, high=120, device="cpu"):
        return lucid.tensor(np.random.default_rng(seed).integers(low, high, size=(batch, seq)), device=device)
    return make


@pytest.fixture
def tokenizer():
    """A WordPiece tokenizer over ``WORDS`` (``[PAD]`` = 0, ..., ``[MASK]`` = 4)."""
    return BERTTokenizerFast(vocab={w: i for i, w in enumerate(WORDS)})


@pytest.fixture
def model_pair(tiny, device):
    """``model_pair(cls, **kw)``: a dropout-free tiny ``cls(config, **kw)`` on the CPU and an
    exact copy of it on ``device``, to hold a device's results to the CPU's."""
    def make(cls, **kw):
        lucid.random.seed(0)
        cpu = cls(tiny(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0), **kw)
        return cpu, copy.deepcopy(cpu).to(device)
    return make


@pytest.fixture
def padded_batch():
    """``padded_batch(seed=0)``: ``(ids, mask)`` NumPy arrays of shape (3, 10); rows 1 and 2
    are right-padded (6 and 3 real tokens)."""
    def make(seed=0):
        rng = np.random.default_rng(seed)
        ids = rng.integers(5, 120, size=(3, 10))
        mask = np.ones_like(ids)
        mask[1, 6:] = 0
        mask[2, 3:] = 0
        ids[mask == 0] = 0
        return ids, mask
    return make
