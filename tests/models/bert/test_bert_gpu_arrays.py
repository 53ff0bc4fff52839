"""CuPy arrays handed to the BERT task and tokenizer helpers where arrays are accepted: they
act as the GPU tensors holding them (found by the CuPy double: each of these once converted
its argument to NumPy implicitly, which CuPy refuses)."""

from __future__ import annotations

import numpy as np
import pytest

import lucid
from lucid.models import BERTForMaskedLM, BERTForSequenceClassification

pytestmark = pytest.mark.gpu


def _cp():
    return lucid._backend.get_xp("gpu")


def test_create_masked_lm_inputs_takes_cupy_ids_and_masks(tiny, padded_batch):
    model = BERTForMaskedLM(tiny()).to("gpu")
    ids, mask = padded_batch()
    outs = []
    for wrap in (lambda a: lucid.tensor(a, device="gpu"), _cp().asarray):
        lucid.random.seed(4)
        masked, labels = model.create_masked_lm_inputs(wrap(ids), attention_mask=wrap(mask))
        assert masked.device == labels.device == "gpu"
        outs.append((masked.numpy(), labels.numpy()))
    (m1, l1), (m2, l2) = outs
    np.testing.assert_array_equal(m1, m2)
    np.testing.assert_array_equal(l1, l2)
    assert (l2[mask == 0] == -100).all() and (l2 != -100).any()


def test_sequence_classification_loss_takes_cupy_labels(tiny, padded_batch):
    lucid.random.seed(0)
    model = BERTForSequenceClassification(tiny(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0),
                                          num_labels=3).to("gpu")
    ids, mask = padded_batch()
    inputs = dict(input_ids=lucid.tensor(ids, device="gpu"), attention_mask=lucid.tensor(mask, device="gpu"))
    expect = model.get_loss(labels=lucid.tensor([0, 2, 1], device="gpu"), **inputs).item()
    got = model.get_loss(labels=_cp().asarray(np.array([0, 2, 1])), **inputs)
    assert got.device == "gpu" and got.item() == expect


def test_decode_takes_cupy_ids(tokenizer):
    ids = [2, 5, 6, 7, 8, 3]
    arr = _cp().asarray(np.array(ids))
    assert tokenizer.decode(arr) == tokenizer.decode(ids) == "the movie is excellent"
    assert tokenizer.batch_decode(arr.reshape(2, 3)) == tokenizer.batch_decode([ids[:3], ids[3:]])
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        tokenizer.decode(arr.reshape(2, 3))
