"""Truncated texts are never cut without a word: one TruncationWarning per call of a model's
text methods, naming how many texts and the limit, pointing at the caller's line."""

from __future__ import annotations

import warnings

import pytest

from lucid.data import TruncationWarning, warn_if_truncated
from lucid.models import BERTConfig, BERTForMaskedLM, BERTForSequenceClassification, BERTTokenizerFast

WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "good", "bad", "film", "a"]


@pytest.fixture
def tok():
    return BERTTokenizerFast(vocab={w: i for i, w in enumerate(WORDS)})


def _config(tok, positions=16):
    return BERTConfig(vocab_size=len(WORDS), hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                      intermediate_size=16, max_position_embeddings=positions, pad_token_id=tok.pad_token_id)


def _caught(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    return result, [w for w in caught if issubclass(w.category, TruncationWarning)]


def test_one_warning_per_call_names_the_count_and_the_limit(tok):
    model = BERTForSequenceClassification(_config(tok))
    texts = ["good " * 10_000, "a film", "bad " * 15, "good film " * 7]  # 10002, 4, 17 and 16 tokens
    _, caught = _caught(lambda: model.predict_proba_from_text(tok, texts))
    assert len(caught) == 1
    w = caught[0]
    assert str(w.message) == "2 of 4 texts were longer than max_length=16 tokens and truncated to 16"
    assert (w.message.count, w.message.total, w.message.max_length) == (2, 4, 16)
    assert w.filename == __file__  # it points at the caller, not at lucid
    # an explicit max_length is the limit named; a lone text reads as one
    _, caught = _caught(lambda: model.get_loss_from_text(tok, "good " * 10, labels=1, max_length=8))
    assert [str(w.message) for w in caught] == ["the text was longer than max_length=8 tokens and truncated to 8"]


def test_no_warning_when_everything_fits(tok):
    model = BERTForSequenceClassification(_config(tok))
    _, caught = _caught(lambda: model.predict_labels_from_text(tok, ["good film " * 7, "a"]))  # exactly 16
    assert caught == []


def test_pairs_and_the_masked_lm_methods_warn_too(tok):
    model = BERTForMaskedLM(_config(tok))
    _, caught = _caught(lambda: model.get_loss_from_text(tok, ["good " * 20, "a"], ["bad " * 30, "film"]))
    assert [w.message.count for w in caught] == [1]
    _, caught = _caught(lambda: model.predict_token_ids_from_text(tok, "a " * 40, max_length=10))
    assert [w.message.max_length for w in caught] == [10]


def test_warn_if_truncated_tells_an_exact_fit_from_a_cut(tok):
    texts = ["good film", "good film good", "good"]  # 4, 5 and 3 tokens with [CLS]/[SEP]
    lengths = [min(n, 4) for n in (4, 5, 3)]
    count, caught = _caught(lambda: warn_if_truncated(tok, texts, None, lengths, 4))
    assert count == 1 and len(caught) == 1
    count, caught = _caught(lambda: warn_if_truncated(tok, texts, ["a", "a", "a"], [5, 5, 5], 5))
    assert count == 2 and caught[0].message.total == 3  # "good" + "a" is 5 tokens: it fits
