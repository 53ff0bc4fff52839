"""BERTForNextSentencePrediction: logits, losses in every reduction against NumPy float64,
predictions and accuracy, the text helpers, label errors, and the same results on every
device. Against transformers: tests/parity/test_bert_family_parity.py."""

from __future__ import annotations

import numpy as np
import pytest
from family_references import cross_entropy, reduce

import lucid
from lucid.data import TruncationWarning
from lucid.models import BERTForNextSentencePrediction


def _batch():
    ids = np.array([[2, 5, 6, 3, 7, 8, 3], [2, 9, 3, 10, 11, 3, 0], [2, 12, 13, 3, 14, 3, 0]])
    types = np.array([[0, 0, 0, 0, 1, 1, 1], [0, 0, 0, 1, 1, 1, 0], [0, 0, 0, 0, 1, 1, 0]])
    return dict(input_ids=lucid.tensor(ids), attention_mask=lucid.tensor((ids > 0).astype(np.int64)),
                token_type_ids=lucid.tensor(types))


@pytest.mark.parametrize("reduction", ["mean", "sum", None])
def test_loss_against_numpy(tiny, reduction):
    model = BERTForNextSentencePrediction(tiny()).eval()
    enc = _batch()
    logits = model(**enc)
    assert logits.shape == (3, 2)
    labels = np.array([0, 1, 1])
    per, n = cross_entropy(logits.numpy(), labels)
    for given in (labels, labels.reshape(3, 1), labels.tolist()):
        loss = model.get_loss(lucid.tensor(given) if isinstance(given, np.ndarray) else given, **enc,
                              reduction=reduction)
        np.testing.assert_allclose(loss.numpy(), reduce(per, n, reduction), rtol=1e-5, atol=1e-6)


def test_predictions_and_accuracy(tiny):
    model = BERTForNextSentencePrediction(tiny()).train()
    enc = _batch()
    with lucid.no_grad():
        logits = model.eval()(**enc).numpy()
    model.train()
    proba = model.predict_proba(**enc)
    assert model.training  # the mode comes back
    np.testing.assert_allclose(proba.numpy(), np.exp(logits) / np.exp(logits).sum(-1, keepdims=True), atol=1e-6)
    pred = model.predict_labels(**enc)
    np.testing.assert_array_equal(pred.numpy(), logits.argmax(-1))
    labels = pred.numpy().copy()
    labels[0] = 1 - labels[0]
    acc = model.get_accuracy(lucid.tensor(labels), **enc)
    assert acc.shape == () and acc.dtype == np.float32
    assert acc.item() == pytest.approx(2 / 3) and float(acc) == pytest.approx(2 / 3)


def test_text_helpers(tiny, tokenizer):
    model = BERTForNextSentencePrediction(tiny(vocab_size=len(tokenizer.get_vocab()))).eval()
    a = ["the movie is excellent .", "machine learning helps us"]
    b = ["a movie is bad .", "build useful systems"]
    loss = model.get_loss_from_text(tokenizer, a, b)  # labels=0: every pair is "is next"
    assert loss.shape == ()
    manual = model.get_loss_from_text(tokenizer, a, b, labels=[0, 0])
    assert loss.item() == pytest.approx(manual.item())
    per = model.get_loss_from_text(tokenizer, a, b, labels=[1, 0], reduction=None)
    assert per.shape == (2,)
    proba = model.predict_proba_from_text(tokenizer, a, b)
    np.testing.assert_allclose(per.numpy(), [-np.log(proba.numpy()[0, 1]), -np.log(proba.numpy()[1, 0])],
                               rtol=1e-5)
    np.testing.assert_array_equal(model.predict_labels_from_text(tokenizer, a, b).numpy(),
                                  proba.numpy().argmax(-1))
    with pytest.warns(TruncationWarning, match="max_length=5"):
        one = model.predict_proba_from_text(tokenizer, a[0], b[0], max_length=5)
    assert one.shape == (1, 2)


def test_label_errors(tiny):
    model = BERTForNextSentencePrediction(tiny())
    enc = _batch()
    with pytest.raises(ValueError, match=r"labels must be in \[0, 2\), got 2"):
        model.get_loss(lucid.tensor([0, 2, 1]), **enc)
    with pytest.raises(ValueError, match="got 2 labels for a batch of 3"):
        model.get_loss([0, 1], **enc)
    with pytest.raises(TypeError, match="labels must be integers, got dtype float32"):
        model.get_loss([0.0, 1.0, 1.0], **enc)
    with pytest.raises(ValueError, match=r"reduction must be 'mean', 'sum' or None, got 'avg'"):
        model.get_loss([0, 1, 1], **enc, reduction="avg")
    with pytest.raises(ValueError, match="add_pooling_layer must be True, got False"):
        BERTForNextSentencePrediction(tiny(add_pooling_layer=False))


def test_same_results_on_every_device(model_pair, device):
    cpu, model = model_pair(BERTForNextSentencePrediction)
    enc = _batch()
    enc_d = {k: v.to(device) for k, v in enc.items()}
    np.testing.assert_allclose(model(**enc_d).numpy(), cpu(**enc).numpy(), atol=1e-5)
    labels = lucid.tensor([0, 1, 1])
    loss = model.get_loss(labels.to(device), **enc_d)
    assert loss.item() == pytest.approx(cpu.get_loss(labels, **enc).item(), abs=1e-5)
    loss.backward()
    assert model.cls.seq_relationship.weight.grad is not None
    np.testing.assert_array_equal(model.predict_labels(**enc_d).numpy(), cpu.predict_labels(**enc).numpy())
    assert model.get_accuracy(labels.to(device), **enc_d).item() == cpu.get_accuracy(labels, **enc).item()
