"""The text collators against ``transformers``' on the same inputs: the same padded ids, masks and
labels; the masked-LM collator with the same rules (specials and padding never masked) and the
same statistics (15% selected; 80% [MASK], 10% random, 10% kept) under lucid's own seed."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
import transformers

import lucid
from lucid.data import (DataCollatorForLanguageModeling, DataCollatorForTokenClassification, DataCollatorWithPadding,
                        DataLoader, load_corpus, load_sentiment)
from lucid.data.collators import pad_features
from lucid.models import BERTTokenizerFast

TEXTS = ["A short one.", "The teacher reads a long book in the quiet morning, slowly.", "Hello [MASK] world",
         "xylophone zebra", "One more sentence about the weather and the sea."]
PAIRS = ["a second segment", "b", "the third pair text is here", "d", "e e e"]


@pytest.fixture(scope="module")
def tokenizers(tmp_path_factory):
    """(lucid tokenizer, the same vocabulary loaded by transformers.BertTokenizerFast)."""
    folder = tmp_path_factory.mktemp("tok")
    ours = BERTTokenizerFast.train_from_iterator(load_corpus(), vocab_size=300)
    ours.save_pretrained(str(folder))
    return ours, transformers.BertTokenizerFast.from_pretrained(str(folder))


def _np(batch):
    return {k: (v.numpy() if hasattr(v, "numpy") else np.asarray(v)) for k, v in batch.items()}


def _assert_same(ours, theirs):
    ours, theirs = _np(ours), _np(theirs)
    assert sorted(ours) == sorted(theirs)
    for key in theirs:
        np.testing.assert_array_equal(ours[key], theirs[key], err_msg=key)
        assert ours[key].dtype == np.int64, key


@pytest.mark.parametrize("kwargs", [{}, {"pad_to_multiple_of": 8}, {"padding": "max_length", "max_length": 40}])
@pytest.mark.parametrize("pairs", [False, True])
def test_padding_collator_equals_transformers(tokenizers, kwargs, pairs):
    ours_tok, hf_tok = tokenizers
    ours_f = [dict(ours_tok.encode_plus(t, p if pairs else None), label=i % 2)
              for i, (t, p) in enumerate(zip(TEXTS, PAIRS))]
    hf_f = [dict(hf_tok(t, p if pairs else None), label=i % 2) for i, (t, p) in enumerate(zip(TEXTS, PAIRS))]
    _assert_same(DataCollatorWithPadding(ours_tok, **kwargs)(ours_f),
                 transformers.DataCollatorWithPadding(hf_tok, **kwargs)(hf_f))


def test_padding_collator_pads_special_tokens_mask_and_float_labels(tokenizers):
    # The same features into both collators: the tokenizers' masks differ on a literal [MASK] or
    # [UNK] in the text (lucid marks every special id), which is the tokenizer's business.
    ours_tok, hf_tok = tokenizers
    feats = [dict(ours_tok.encode_plus(t, return_special_tokens_mask=True), label_ids=[0.5, 1.0]) for t in TEXTS]
    ours = DataCollatorWithPadding(ours_tok)(feats)
    theirs = transformers.DataCollatorWithPadding(hf_tok)(feats)
    np.testing.assert_array_equal(ours["special_tokens_mask"].numpy(), theirs["special_tokens_mask"].numpy())
    assert ours["labels"].dtype == np.float32 and ours["labels"].shape == tuple(theirs["labels"].shape) == (5, 2)


def test_token_classification_collator_equals_transformers(tokenizers):
    ours_tok, hf_tok = tokenizers
    for key in ("labels", "label"):
        ours_f, hf_f = [], []
        for i, t in enumerate(TEXTS):
            enc = ours_tok.encode_plus(t)
            tags = [-100] + [(i + j) % 3 for j in range(len(enc["input_ids"]) - 2)] + [-100]
            ours_f.append(dict(enc, **{key: tags}))
            hf_f.append(dict(hf_tok(t), **{key: tags}))
        _assert_same(DataCollatorForTokenClassification(ours_tok, pad_to_multiple_of=4)(ours_f),
                     transformers.DataCollatorForTokenClassification(hf_tok, pad_to_multiple_of=4)(hf_f))


@pytest.mark.parametrize("with_special_mask", [False, True])
def test_masked_lm_collator_selects_the_same_positions_as_transformers(tokenizers, with_special_mask):
    """With every candidate selected and always replaced by [MASK], both collators are
    deterministic: they must mask the same positions (specials and padding excluded)."""
    ours_tok, hf_tok = tokenizers
    kw = dict(mlm_probability=1.0, mask_replace_prob=1.0, random_replace_prob=0.0)
    feats = [ours_tok.encode_plus(t, return_special_tokens_mask=with_special_mask) for t in TEXTS]
    _assert_same(DataCollatorForLanguageModeling(ours_tok, **kw)(feats),
                 transformers.DataCollatorForLanguageModeling(hf_tok, **kw)(feats))
    # plain id lists too; lucid adds the attention mask, which transformers leaves out there
    ids = [ours_tok.encode(t) for t in TEXTS]
    ours = _np(DataCollatorForLanguageModeling(ours_tok, **kw)(ids))
    np.testing.assert_array_equal(ours.pop("attention_mask"),
                                  np.arange(ours["input_ids"].shape[1]) < np.array([[len(r)] for r in ids]))
    _assert_same(ours, transformers.DataCollatorForLanguageModeling(hf_tok, **kw)(ids))


def test_causal_lm_labels_equal_transformers(tokenizers):
    ours_tok, hf_tok = tokenizers
    _assert_same(DataCollatorForLanguageModeling(ours_tok, mlm=False)([ours_tok.encode_plus(t) for t in TEXTS]),
                 transformers.DataCollatorForLanguageModeling(hf_tok, mlm=False)([hf_tok(t) for t in TEXTS]))


def _rates(batch, ids, candidates, mask_id):
    """(share of candidates selected, and among the selected: share [MASK], changed to another
    id, left as is) of one masked batch."""
    masked, labels = batch["input_ids"], batch["labels"]
    selected = labels != -100
    assert not (selected & ~candidates).any()  # only real, non-special tokens are ever selected
    np.testing.assert_array_equal(labels[selected], ids[selected])  # labels hold the original ids
    np.testing.assert_array_equal(masked[~selected], ids[~selected])  # the rest is untouched
    s = masked[selected]
    return (selected.sum() / candidates.sum(), (s == mask_id).mean(),
            ((s != mask_id) & (s != ids[selected])).mean(), (s == ids[selected]).mean())


def test_masked_lm_statistics_match_transformers(tokenizers):
    ours_tok, hf_tok = tokenizers
    texts = (load_corpus() + load_sentiment()[0]) * 3
    ours_f = [ours_tok.encode_plus(t) for t in texts]
    hf_f = [hf_tok(t) for t in texts]
    lucid.random.seed(0)
    ours = _np(DataCollatorForLanguageModeling(ours_tok)(ours_f))
    theirs = _np(transformers.DataCollatorForLanguageModeling(hf_tok, seed=0)(hf_f))
    ids = _np(DataCollatorWithPadding(ours_tok)(ours_f))["input_ids"]
    candidates = ~np.isin(ids, ours_tok.all_special_ids)
    r_ours = _rates(ours, ids, candidates, ours_tok.mask_token_id)
    r_theirs = _rates(theirs, ids, candidates, ours_tok.mask_token_id)
    n = candidates.sum()
    assert n > 20000
    # 15% selected; of those 80% [MASK], ~10% another id (a random id may equal the original), ~10% kept
    nominal = (0.15, 0.8, 0.1 * (1 - 1 / len(ours_tok)), 0.1 + 0.1 / len(ours_tok))
    k = 0.15 * n  # selected tokens, roughly
    for name, a, b, p, m in zip(("selected", "[MASK]", "random", "kept"), r_ours, r_theirs, nominal,
                                (n, k, k, k)):
        sigma = np.sqrt(p * (1 - p) / m)
        assert abs(a - p) < 5 * sigma, (name, a, p)
        assert abs(b - p) < 5 * sigma, (name, b, p)  # transformers' rates, for the record
        assert abs(a - b) < 5 * np.sqrt(2) * sigma, (name, a, b)


def test_masked_lm_collator_follows_the_lucid_seed(tokenizers):
    tok, _ = tokenizers
    collate = DataCollatorForLanguageModeling(tok, mlm_probability=0.5)
    feats = [tok.encode_plus(t) for t in TEXTS]
    lucid.random.seed(4)
    a = _np(collate(feats))
    lucid.random.seed(4)
    b = _np(collate(feats))
    c = _np(collate(feats))
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a["labels"], c["labels"])


@pytest.mark.parametrize("kwargs, words", [
    (dict(mlm_probability=1.5), ["mlm_probability", "1.5"]),
    (dict(mask_replace_prob=-0.1), ["mask_replace_prob", "-0.1"]),
    (dict(random_replace_prob="0.1"), ["random_replace_prob", "'0.1'"]),
    (dict(mask_replace_prob=0.8, random_replace_prob=0.3), ["0.8 + 0.3", "must be <= 1"]),
])
def test_masked_lm_collator_argument_errors(tokenizers, kwargs, words):
    with pytest.raises(ValueError) as info:
        DataCollatorForLanguageModeling(tokenizers[0], **kwargs)
    for w in words:
        assert w in str(info.value)
    with pytest.raises(ValueError, match="mask token"):
        DataCollatorForLanguageModeling(SimpleNamespace(pad_token_id=0, mask_token_id=None))


@pytest.mark.parametrize("features, kwargs, words", [
    ([], {}, ["non-empty list", "list"]),
    ([{"input_ids": [1]}, {"ids": [1, 2]}], {}, ["feature 1", "input_ids", "['ids']"]),
    ([{"input_ids": [1]}, {"input_ids": [1, 2]}], {"padding": False}, ["1 to 2 tokens", "padding=False"]),
    ([{"input_ids": [1, 2, 3]}], {"padding": "max_length", "max_length": 2}, ["3 tokens", "max_length=2"]),
    ([{"input_ids": [1]}], {"padding": "left"}, ["padding", "'left'"]),
    ([{"input_ids": [[1, 2]]}], {}, ["feature 0", "'input_ids'", "(1, 2)"]),
    ([{"input_ids": [1], "labels": [1, 2]}, {"input_ids": [1], "labels": [1]}], {}, ["'labels'", "lengths"]),
])
def test_padding_errors_name_the_feature_and_value(features, kwargs, words):
    with pytest.raises(ValueError) as info:
        pad_features(SimpleNamespace(pad_token_id=0, model_max_length=8), features, **kwargs)
    for w in words:
        assert w in str(info.value)


def test_token_classification_labels_longer_than_the_ids(tokenizers):
    with pytest.raises(ValueError, match="feature 0 has 3 labels for 2 tokens"):
        DataCollatorForTokenClassification(tokenizers[0])([{"input_ids": [2, 3], "labels": [0, 1, 2]}])


def test_collators_batch_a_data_loader_onto_a_device(tokenizers, device):
    tok, _ = tokenizers
    feats = [dict(tok.encode_plus(t), label=i % 2) for i, t in enumerate(TEXTS)]
    batch = next(iter(DataLoader(feats, batch_size=4, shuffle=True, collate_fn=DataCollatorWithPadding(
        tok, device=device))))
    assert {v.device for v in batch.values()} == {device} and batch["labels"].shape == (4,)
    mlm = DataCollatorForLanguageModeling(tok, device=device)(feats[:2])
    assert mlm["labels"].device == device and torch.is_tensor(torch.tensor(mlm["labels"].numpy()))
