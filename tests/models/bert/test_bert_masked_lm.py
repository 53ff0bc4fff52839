"""BERTForMaskedLM: the tied decoder, BERT's masking policy, the loss over labelled
positions, predictions and accuracy, label errors, the ``*_from_text`` helpers, and the same
results on every device (tiny configs from conftest.py)."""

from __future__ import annotations

import numpy as np
import pytest

import lucid
from lucid.models import BERTConfig, BERTForMaskedLM


def test_tied_decoder_and_lm_bias(tiny):
    model = BERTForMaskedLM(tiny())
    pred = model.cls.predictions
    assert pred.decoder.weight is model.bert.embeddings.word_embeddings.weight
    assert pred.decoder.bias is pred.bias
    names = [n for n, _ in model.named_parameters()]
    assert "cls.predictions.decoder.weight" not in names and "cls.predictions.bias" in names
    # the shared matrix trains from both ends
    model.get_loss(labels=lucid.tensor([[-100, 7, -100]]), input_ids=lucid.tensor([[5, 6, 7]])).backward()
    assert pred.decoder.weight.grad is model.bert.embeddings.word_embeddings.weight.grad
    untied = BERTForMaskedLM(tiny(tie_word_embedding=False))
    assert untied.cls.predictions.decoder.weight is not untied.bert.embeddings.word_embeddings.weight
    assert "cls.predictions.decoder.weight" in [n for n, _ in untied.named_parameters()]


def _pretraining_batch(batch=400, seq=64, seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(5, 100, size=(batch, seq))
    lengths = rng.integers(8, seq + 1, size=batch)
    mask = (np.arange(seq)[None, :] < lengths[:, None]).astype(np.int64)
    ids[:, 0] = 101 % 120
    ids[np.arange(batch), lengths - 1] = 102
    ids[mask == 0] = 0
    return ids, mask


def test_create_masked_lm_inputs_statistics(tiny):
    cfg = tiny(mask_token_id=4, cls_token_id=101, sep_token_id=102)
    model = BERTForMaskedLM(cfg)
    ids, mask = _pretraining_batch()
    lucid.random.seed(7)
    masked, labels = model.create_masked_lm_inputs(lucid.tensor(ids), attention_mask=lucid.tensor(mask))
    masked, labels = masked.numpy(), labels.numpy()
    assert masked.dtype == np.int64 and labels.dtype == np.int64 and masked.shape == ids.shape
    special = (ids == 101) | (ids == 102) | (mask == 0)
    selected = labels != -100
    assert not np.any(selected & special)
    np.testing.assert_array_equal(labels[selected], ids[selected])
    np.testing.assert_array_equal(masked[~selected], ids[~selected])  # only selected positions change
    n_cand, n_sel = int((~special).sum()), int(selected.sum())
    rate = n_sel / n_cand
    # binomial: sd = sqrt(.15 * .85 / n) ~ 0.0017 for n ~ 14000; allow 5 sd
    assert abs(rate - 0.15) < 5 * np.sqrt(0.15 * 0.85 / n_cand), rate
    is_mask = masked[selected] == 4
    kept = masked[selected] == ids[selected]
    other = ~is_mask & ~kept
    # a random replacement lands on the mask id or on the same id ~1/120 of the time
    for got, want in ((is_mask.mean(), 0.8 + 0.1 / 120), (kept.mean(), 0.1 + 0.1 / 120), (other.mean(), 0.1 - 0.2 / 120)):
        assert abs(got - want) < 5 * np.sqrt(want * (1 - want) / n_sel), (got, want)
    # random replacements are spread over the vocabulary
    assert len(np.unique(masked[selected][other])) > 60


def test_create_masked_lm_inputs_is_reproducible_and_defaults_specials():
    model = BERTForMaskedLM(BERTConfig(vocab_size=200, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                       intermediate_size=16, max_position_embeddings=64))
    ids, _ = _pretraining_batch(50, 40, seed=3)
    lucid.random.seed(11)
    a = model.create_masked_lm_inputs(ids)
    lucid.random.seed(11)
    b = model.create_masked_lm_inputs(lucid.tensor(ids))
    np.testing.assert_array_equal(a[0].numpy(), b[0].numpy())
    np.testing.assert_array_equal(a[1].numpy(), b[1].numpy())
    lucid.random.seed(12)
    c = model.create_masked_lm_inputs(lucid.tensor(ids))
    assert not np.array_equal(a[1].numpy(), c[1].numpy())
    # without a mask argument, [CLS]=101, [SEP]=102, [PAD]=0 (bert-base-uncased ids) are never selected
    labels = a[1].numpy()
    assert not np.any((labels != -100) & np.isin(ids, [0, 101, 102, 103]))
    assert np.any(a[0].numpy() == 103)  # [MASK] is 103 by default


def test_create_masked_lm_inputs_arguments(tiny):
    model = BERTForMaskedLM(tiny())
    ids = lucid.tensor([[2, 10, 11, 12, 13, 3, 0, 0]])
    special = lucid.tensor([[1, 0, 0, 0, 0, 1, 1, 1]])
    masked, labels = model.create_masked_lm_inputs(ids, mlm_probability=1.0, special_tokens_mask=special,
                                                   mask_token_id=4)
    assert labels.tolist() == [[-100, 10, 11, 12, 13, -100, -100, -100]]
    masked, labels = model.create_masked_lm_inputs(ids, mlm_probability=0.0)
    assert masked.tolist() == ids.tolist() and set(labels.numpy().ravel()) == {-100}
    masked, labels = model.create_masked_lm_inputs(ids, mlm_probability=1.0, special_token_ids=[2, 3, 0])
    assert labels.tolist() == [[-100, 10, 11, 12, 13, -100, -100, -100]]
    for bad in (-0.1, 1.5, "0.2", True):
        with pytest.raises(ValueError, match="mlm_probability"):
            model.create_masked_lm_inputs(ids, mlm_probability=bad)
    with pytest.raises(ValueError, match="special_tokens_mask of shape"):
        model.create_masked_lm_inputs(ids, special_tokens_mask=lucid.ones(1, 3))
    with pytest.raises(TypeError, match="integer"):
        model.create_masked_lm_inputs(lucid.ones(1, 3))
    with pytest.raises(ValueError, match="mask_token_id 500"):
        model.create_masked_lm_inputs(ids, mask_token_id=500)


def test_mlm_loss_equals_cross_entropy_over_labelled_positions(tiny, random_ids):
    model = BERTForMaskedLM(tiny()).eval()
    ids = random_ids(2, 6, seed=4)
    labels = np.full((2, 6), -100)
    labels[0, 1], labels[1, 3], labels[1, 5] = 7, 50, 3
    logits = model(input_ids=ids).numpy().astype(np.float64)
    logp = logits - np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1, keepdims=True)) \
        - logits.max(-1, keepdims=True)
    want = -np.mean([logp[0, 1, 7], logp[1, 3, 50], logp[1, 5, 3]])
    got = model.get_loss(labels=lucid.tensor(labels), input_ids=ids)
    assert got.shape == () and abs(got.item() - want) < 1e-5


def test_mlm_loss_with_nothing_labelled_is_zero_with_zero_grads(tiny, random_ids):
    model = BERTForMaskedLM(tiny())
    loss = model.get_loss(labels=lucid.full((2, 5), -100), input_ids=random_ids(2, 5))
    assert loss.item() == 0.0
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is None or np.all(p.grad == 0), name


def test_mlm_predictions_and_accuracy(tiny, random_ids):
    model = BERTForMaskedLM(tiny(hidden_dropout_prob=0.5))
    model.train()
    ids = random_ids(3, 7, seed=5)
    pred = model.predict_token_ids(input_ids=ids)
    assert model.training  # the mode is restored
    assert pred.shape == (3, 7) and pred.dtype == np.int64
    np.testing.assert_array_equal(pred.numpy(), model.predict_token_ids(input_ids=ids).numpy())  # eval: no dropout
    p = pred.numpy()
    labels = np.full((3, 7), -100)
    labels[0, :4] = p[0, :4]          # 4 right
    labels[1, :2] = (p[1, :2] + 1) % 120  # 2 wrong
    assert model.get_accuracy(labels=lucid.tensor(labels), input_ids=ids) == pytest.approx(4 / 6)
    assert model.get_accuracy(labels=lucid.full((3, 7), -100), input_ids=ids) == 0.0


def test_mlm_label_errors(tiny, random_ids):
    model = BERTForMaskedLM(tiny())
    with pytest.raises(ValueError, match=r"labels of shape \(2, 3\)"):
        model.get_loss(labels=lucid.full((2, 3), -100), input_ids=random_ids(2, 4))
    with pytest.raises(ValueError, match="120"):
        model.get_loss(labels=lucid.tensor([[120, -100]]), input_ids=random_ids(1, 2))
    with pytest.raises(ValueError, match="-5"):
        model.get_loss(labels=lucid.tensor([[-5, -100]]), input_ids=random_ids(1, 2))
    with pytest.raises(TypeError, match="integer"):
        model.get_loss(labels=lucid.ones(1, 2), input_ids=random_ids(1, 2))


# truncates on purpose; tests/data/test_data_truncation.py checks the warning it gives
@pytest.mark.filterwarnings("ignore::lucid.data.TruncationWarning")
def test_mlm_from_text(tokenizer, tiny):
    model = BERTForMaskedLM(tiny())
    lucid.random.seed(1)
    loss = model.get_loss_from_text(tokenizer=tokenizer, text_a="Machine learning helps us build useful systems.",
                                    text_b="Tokenization quality strongly affects language model performance.")
    assert loss.shape == () and np.isfinite(loss.item()) and loss.requires_grad
    loss = model.get_loss_from_text(tokenizer, ["the movie is bad", "machine learning"],
                                    ["a movie", "the systems ."], mlm_probability=1.0, max_length=6)
    assert np.isfinite(loss.item()) and loss.item() > 0
    pred = model.predict_token_ids_from_text(tokenizer=tokenizer, text_a="Machine learning is [MASK].")
    ids = tokenizer.batch_encode(["Machine learning is [MASK]."], return_tensor=True)
    assert ids.tolist()[0][4] == 4  # [MASK] stays one token
    np.testing.assert_array_equal(pred.numpy(), model.predict_token_ids(input_ids=ids).numpy())
    pred = model.predict_token_ids_from_text(tokenizer, ["the movie", "machine learning helps us"])
    assert pred.shape == (2, 6)


def test_mlm_from_text_masks_only_real_tokens(tokenizer, monkeypatch, tiny):
    model = BERTForMaskedLM(tiny())
    seen = {}
    original = BERTForMaskedLM.get_loss

    def spy(self, labels, input_ids, *args, **kw):
        seen["labels"], seen["ids"] = labels.numpy(), input_ids.numpy()
        return original(self, labels, input_ids, *args, **kw)

    monkeypatch.setattr(BERTForMaskedLM, "get_loss", spy)
    model.get_loss_from_text(tokenizer, ["the movie is excellent", "a"], mlm_probability=1.0)
    labels, ids = seen["labels"], seen["ids"]
    # row 1 is "[CLS] a [SEP] [PAD] [PAD] [PAD]": only "a" may be labelled
    assert labels[1].tolist() == [-100, 21, -100, -100, -100, -100]
    assert labels[0].tolist() == [-100, 5, 6, 7, 8, -100]


def test_masking_on_device(device, model_pair):
    _, model = model_pair(BERTForMaskedLM)
    rng = np.random.default_rng(0)
    ids = rng.integers(5, 100, size=(200, 64))
    ids[:, 0], ids[:, -1] = 101, 102
    lucid.random.seed(3)
    masked, labels = model.create_masked_lm_inputs(lucid.tensor(ids, device=device))
    assert masked.device == device and labels.device == device
    masked, labels = masked.numpy(), labels.numpy()
    sel = labels != -100
    assert not sel[:, 0].any() and not sel[:, -1].any()
    assert abs(sel[:, 1:-1].mean() - 0.15) < 0.01
    assert abs((masked[sel] == 103).mean() - 0.8) < 0.03
    lucid.random.seed(3)
    again = model.create_masked_lm_inputs(lucid.tensor(ids, device=device))[1].numpy()
    np.testing.assert_array_equal(again, labels)


def test_masked_lm_on_device_matches_the_cpu_model(device, model_pair, padded_batch):
    cpu, moved = model_pair(BERTForMaskedLM)
    assert moved.device == device
    assert moved.cls.predictions.decoder.weight is moved.bert.embeddings.word_embeddings.weight
    ids, mask = padded_batch()
    labels = np.full_like(ids, -100)
    labels[0, 2], labels[1, 4], labels[2, 1] = 9, 17, 100
    outs = []
    for dev, model in (("cpu", cpu), (device, moved)):
        kw = dict(input_ids=lucid.tensor(ids, device=dev), attention_mask=lucid.tensor(mask, device=dev))
        logits = model(**kw)
        assert logits.device == dev
        loss = model.get_loss(labels=lucid.tensor(labels, device=dev), **kw)
        loss.backward()
        outs.append((logits.numpy(), loss.item(),
                     {n: lucid.Tensor(p.grad).numpy() for n, p in model.named_parameters()}))
    (ref_logits, ref_loss, ref_grads), (logits, loss, grads) = outs
    np.testing.assert_allclose(logits, ref_logits, atol=1e-4)
    assert abs(loss - ref_loss) < 1e-5
    for name, g in ref_grads.items():
        np.testing.assert_allclose(grads[name], g, atol=1e-5, err_msg=name)
