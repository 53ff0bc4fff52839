"""BERTForSequenceClassification: the classifier head, labels as ints, lists or tensors,
the loss of each problem type (cross-entropy, mean squared error, binary cross-entropy),
predictions and accuracy, constructor errors, a training step, the ``*_from_text`` helpers,
and the same results on every device (tiny configs from conftest.py)."""

from __future__ import annotations

import numpy as np
import pytest

import lucid
from lucid.models import BERTForSequenceClassification


def test_classifier_dropout_falls_back_to_hidden_dropout(tiny):
    assert BERTForSequenceClassification(tiny(hidden_dropout_prob=0.2)).classifier.dropout.p == 0.2
    assert BERTForSequenceClassification(tiny(classifier_dropout=0.4)).classifier.dropout.p == 0.4
    assert BERTForSequenceClassification(tiny(classifier_dropout=0.0)).classifier.dropout.p == 0.0


def test_classification_labels_as_int_list_or_tensor(tiny, random_ids):
    model = BERTForSequenceClassification(tiny(), num_labels=3).eval()
    ids = random_ids(2, 5)
    a = model.get_loss(labels=[2, 0], input_ids=ids).item()
    b = model.get_loss(labels=lucid.tensor([2, 0]), input_ids=ids).item()
    assert a == b
    logits = model(input_ids=ids).numpy().astype(np.float64)
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    assert abs(a - (-(logp[0, 2] + logp[1, 0]) / 2)) < 1e-5
    one = model.get_loss(labels=1, input_ids=random_ids(1, 5))
    assert one.shape == ()
    with pytest.raises(ValueError, match="got 1 labels for a batch of 2"):
        model.get_loss(labels=1, input_ids=ids)
    with pytest.raises(ValueError, match=r"in \[0, 3\), got 3"):
        model.get_loss(labels=[3, 0], input_ids=ids)


def test_classification_predictions_and_accuracy(tiny, random_ids):
    model = BERTForSequenceClassification(tiny(), num_labels=4)
    ids = random_ids(5, 6, seed=8)
    proba = model.predict_proba(input_ids=ids)
    assert proba.shape == (5, 4) and not proba.requires_grad
    np.testing.assert_allclose(proba.numpy().sum(-1), 1.0, atol=1e-6)
    pred = model.predict_labels(input_ids=ids)
    assert pred.dtype == np.int64
    np.testing.assert_array_equal(pred.numpy(), proba.numpy().argmax(-1))
    labels = pred.numpy().copy()
    labels[:2] = (labels[:2] + 1) % 4
    assert model.get_accuracy(labels=labels.tolist(), input_ids=ids) == pytest.approx(3 / 5)
    assert model.training


def test_regression_and_multi_label_losses(tiny, random_ids):
    torch = pytest.importorskip("torch")
    ids = random_ids(3, 5)
    reg = BERTForSequenceClassification(tiny(), num_labels=1).eval()
    y = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    got = reg.get_loss(labels=lucid.tensor(y), input_ids=ids).item()
    want = np.mean((reg(input_ids=ids).numpy()[:, 0] - y) ** 2)
    assert abs(got - want) < 1e-5
    multi = BERTForSequenceClassification(tiny(), num_labels=3).eval()
    y = np.array([[1, 0, 1], [0, 0, 0], [1, 1, 1]], dtype=np.float32)
    got = multi.get_loss(labels=lucid.tensor(y), input_ids=ids).item()
    want = torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor(multi(input_ids=ids).numpy()),
                                                                 torch.tensor(y)).item()
    assert abs(got - want) < 1e-5


def test_classification_constructor_errors(tiny):
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match="num_labels"):
            BERTForSequenceClassification(tiny(), num_labels=bad)
    with pytest.raises(ValueError, match="add_pooling_layer"):
        BERTForSequenceClassification(tiny(add_pooling_layer=False))


def test_training_step_reduces_the_loss(tiny, random_ids):
    lucid.random.seed(0)
    model = BERTForSequenceClassification(tiny(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0))
    ids, labels = random_ids(4, 6, seed=9), [0, 1, 1, 0]
    opt = lucid.optim.AdamW(model.parameters(), lr=1e-3)
    first = None
    for _ in range(8):
        opt.zero_grad()
        loss = model.get_loss(labels=labels, input_ids=ids)
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    assert loss.item() < first


# truncates on purpose; tests/data/test_data_truncation.py checks the warning it gives
@pytest.mark.filterwarnings("ignore::lucid.data.TruncationWarning")
def test_classification_from_text(tokenizer, tiny):
    model = BERTForSequenceClassification(tiny(), num_labels=2)
    loss = model.get_loss_from_text(tokenizer=tokenizer, text_a="This movie is excellent.", labels=1)
    assert loss.shape == ()
    enc = tokenizer.batch_encode_plus(["This movie is excellent."])
    model.eval()
    direct = model.get_loss(labels=[1], input_ids=enc["input_ids"], attention_mask=enc["attention_mask"],
                            token_type_ids=enc["token_type_ids"])
    assert abs(model.get_loss_from_text(tokenizer, "This movie is excellent.", labels=1).item() - direct.item()) < 1e-6
    texts = ["the movie is excellent", "the movie is bad", "a"]
    for labels in ([1, 0, 0], lucid.tensor([1, 0, 0])):
        assert np.isfinite(model.get_loss_from_text(tokenizer, texts, labels=labels).item())
    pred = model.predict_labels_from_text(tokenizer=tokenizer, text_a="This movie is excellent.")
    assert pred.shape == (1,) and pred.dtype == np.int64
    proba = model.predict_proba_from_text(tokenizer, texts, text_b=["a", "b", "c"], max_length=5)
    assert proba.shape == (3, 2)
    # padded batch rows equal the texts alone
    alone = np.concatenate([model.predict_proba_from_text(tokenizer, t).numpy() for t in texts])
    np.testing.assert_allclose(model.predict_proba_from_text(tokenizer, texts).numpy(), alone, atol=2e-6)


def test_problem_type_from_the_config(tiny, random_ids):
    ids = random_ids(2, 5)
    model = BERTForSequenceClassification(tiny(extra={"problem_type": "regression"}), num_labels=2).eval()
    y = np.array([[0.5, 1.0], [-1.0, 0.0]], dtype=np.float32)
    want = np.mean((model(input_ids=ids).numpy() - y) ** 2)
    assert abs(model.get_loss(labels=lucid.tensor(y), input_ids=ids).item() - want) < 1e-5
    bad = BERTForSequenceClassification(tiny(extra={"problem_type": "ranking"}))
    with pytest.raises(ValueError, match="'ranking'"):
        bad.get_loss(labels=[0, 1], input_ids=ids)


def test_prediction_restores_each_submodule_mode(tiny, random_ids):
    model = BERTForSequenceClassification(tiny())
    model.bert.encoder.eval()  # a partly frozen model
    model.predict_labels(input_ids=random_ids(1, 4))
    assert model.training and model.classifier.training and not model.bert.encoder.training


def test_classification_on_device_matches_the_cpu_model(device, model_pair, padded_batch):
    cpu, moved = model_pair(BERTForSequenceClassification, num_labels=3)
    ids, mask = padded_batch(1)
    res = []
    for dev, model in (("cpu", cpu), (device, moved)):
        kw = dict(input_ids=lucid.tensor(ids, device=dev), attention_mask=lucid.tensor(mask, device=dev))
        res.append((model(**kw).numpy(), model.predict_proba(**kw).numpy(), model.predict_labels(**kw).numpy(),
                    model.get_loss(labels=[0, 2, 1], **kw).item(), model.get_accuracy(labels=[0, 2, 1], **kw).item()))
    for a, b in zip(res[1], res[0]):
        np.testing.assert_allclose(a, b, atol=1e-4)


@pytest.mark.parametrize("num_labels, labels", [
    (1, [[0.5], [-1.0], [2.0]]), (3, [[1.0, 0.0, 1.0], [0.0, 0.0, 0.0], [0.25, 1.0, 0.5]])],
    ids=["regression", "multi_label"])
def test_regression_and_multi_label_gradients_match_torch(device, tiny, random_ids, num_labels, labels):
    """The classifier's gradients equal those of torch's loss on the same logits."""
    torch = pytest.importorskip("torch")
    model = BERTForSequenceClassification(tiny(), num_labels=num_labels).to(device).eval()
    ids = random_ids(3, 5, device=device)
    model.get_loss(labels=lucid.tensor(np.array(labels, dtype=np.float32), device=device), input_ids=ids).backward()
    logits = torch.tensor(model(input_ids=ids).numpy(), requires_grad=True)
    y = torch.tensor(labels)
    if num_labels == 1:
        torch.nn.functional.mse_loss(logits.squeeze(), y.squeeze()).backward()
    else:
        torch.nn.functional.binary_cross_entropy_with_logits(logits, y).backward()
    pooled = model.bert(input_ids=ids)[1].numpy()
    g = logits.grad.numpy()
    np.testing.assert_allclose(lucid.Tensor(model.classifier.weight.grad).numpy(), g.T @ pooled, atol=1e-6)
    np.testing.assert_allclose(lucid.Tensor(model.classifier.bias.grad).numpy(), g.sum(0), atol=1e-6)
