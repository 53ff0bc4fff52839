"""BERT modules and task models: structure, initialisation, masks, padding, masking policy,
predictions, losses and the ``*_from_text`` helpers (tiny configs, CPU)."""

from __future__ import annotations

import numpy as np
import pytest

import lucid
from lucid.models import (
    BERT, BERTConfig, BERTForMaskedLM, BERTForSequenceClassification, BERTTokenizerFast,
)

TINY = dict(vocab_size=120, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=48,
            max_position_embeddings=32)
WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "movie", "is", "excellent", "bad", "machine",
         "learning", "helps", "us", "build", "useful", "systems", ".", "token", "##ization", "quality", "a"]


def tiny(**kw):
    return BERTConfig(**{**TINY, **kw})


@pytest.fixture
def tokenizer():
    return BERTTokenizerFast(vocab={w: i for i, w in enumerate(WORDS)})


def _ids(batch=3, seq=9, seed=0, low=5, high=120):
    return lucid.tensor(np.random.default_rng(seed).integers(low, high, size=(batch, seq)))


# ---- structure and initialisation ---------------------------------------------------------------
def test_backbone_outputs_and_optional_pooler():
    model = BERT(tiny()).eval()
    seq, pooled = model(input_ids=_ids())
    assert seq.shape == (3, 9, 32) and pooled.shape == (3, 32)
    assert seq.dtype == np.float32
    seq, pooled = BERT(tiny(add_pooling_layer=False))(input_ids=_ids())
    assert pooled is None and seq.shape == (3, 9, 32)
    assert BERT(tiny(), add_pooling_layer=False).pooler is None


def test_parameter_names_equal_transformers():
    transformers = pytest.importorskip("transformers")
    hf_cfg = transformers.BertConfig(**TINY)
    for ours, theirs in ((BERTForMaskedLM(tiny()), transformers.BertForMaskedLM(hf_cfg)),
                         (BERTForSequenceClassification(tiny()), transformers.BertForSequenceClassification(hf_cfg)),
                         (BERT(tiny()), transformers.BertModel(hf_cfg))):
        assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
        shapes = {n: tuple(p.shape) for n, p in theirs.named_parameters()}
        assert {n: p.shape for n, p in ours.named_parameters()} == shapes


def test_initialisation_follows_huggingface():
    lucid.random.seed(0)
    cfg = tiny(vocab_size=2000, hidden_size=64, intermediate_size=256, initializer_range=0.05, pad_token_id=3)
    model = BERTForMaskedLM(cfg)
    emb = model.bert.embeddings.word_embeddings.weight.numpy()
    assert np.all(emb[3] == 0)  # the padding row
    rest = np.delete(emb, 3, axis=0)
    assert abs(rest.std() - 0.05) < 0.002 and abs(rest.mean()) < 0.002
    for name, p in model.named_parameters():
        arr = p.numpy()
        if "LayerNorm.weight" in name:
            assert np.all(arr == 1), name
        elif name.endswith("bias"):
            assert np.all(arr == 0), name
        elif arr.size > 4000:
            assert abs(arr.std() - 0.05) < 0.005, name


def test_tied_decoder_and_lm_bias():
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


def test_classifier_dropout_falls_back_to_hidden_dropout():
    assert BERTForSequenceClassification(tiny(hidden_dropout_prob=0.2)).classifier.dropout.p == 0.2
    assert BERTForSequenceClassification(tiny(classifier_dropout=0.4)).classifier.dropout.p == 0.4
    assert BERTForSequenceClassification(tiny(classifier_dropout=0.0)).classifier.dropout.p == 0.0


def test_repr_shows_the_tree():
    text = repr(BERTForMaskedLM(tiny(num_hidden_layers=1)))
    assert text.startswith("BERTForMaskedLM(")
    for part in ("(bert): BERT(", "(word_embeddings): Embedding(120, 32", "(query): Linear(", "(cls): BERTOnlyMLMHead("):
        assert part in text


# ---- attention masks and padding ----------------------------------------------------------------
def _seq(model, **kw):
    return model(**kw)[0].numpy()


def test_mask_forms_agree():
    model = BERT(tiny()).eval()
    ids = _ids(2, 6)
    m2 = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 0]])
    ref = _seq(model, input_ids=ids, attention_mask=lucid.tensor(m2))
    for mask in (m2.astype(bool), m2.astype(np.float32), m2.tolist()):
        np.testing.assert_array_equal(_seq(model, input_ids=ids, attention_mask=mask if isinstance(mask, list) else
                                           lucid.tensor(mask)), ref)
    m3 = np.repeat(m2[:, None, :], 6, axis=1)
    np.testing.assert_allclose(_seq(model, input_ids=ids, attention_mask=lucid.tensor(m3)), ref, atol=1e-6)
    m4 = m3[:, None].astype(bool)
    np.testing.assert_allclose(_seq(model, input_ids=ids, attention_mask=lucid.tensor(m4)), ref, atol=1e-6)
    additive = np.where(m4, 0.0, np.finfo(np.float32).min).astype(np.float32)
    np.testing.assert_allclose(_seq(model, input_ids=ids, attention_mask=lucid.tensor(additive)), ref, atol=1e-6)
    # -10000, the value of older BERT code, is close enough to act as a mask too
    additive = np.where(m4, 0.0, -10000.0).astype(np.float32)
    np.testing.assert_allclose(_seq(model, input_ids=ids, attention_mask=lucid.tensor(additive)), ref, atol=1e-5)
    unmasked = _seq(model, input_ids=ids)
    assert np.abs(unmasked - ref).max() > 1e-3  # the mask does change something


def test_masked_positions_use_the_most_negative_finite_value():
    from lucid.models.bert.modeling import extended_attention_mask

    for dtype in (np.float32, np.float16, np.float64):
        m = extended_attention_mask(lucid.tensor([[1, 0, 1]]), 1, 3, dtype, "cpu")
        assert m.dtype == dtype and m.shape == (1, 1, 1, 3)
        assert m.numpy()[0, 0, 0].tolist() == [0.0, float(np.finfo(dtype).min), 0.0]


def test_fully_padded_row_stays_finite():
    model = BERTForSequenceClassification(tiny()).eval()
    mask = lucid.tensor([[1, 1, 1, 0], [0, 0, 0, 0]])
    logits = model(input_ids=_ids(2, 4), attention_mask=mask)
    assert np.all(np.isfinite(logits.numpy()))
    half = BERT(tiny()).eval().half()
    seq, pooled = half(input_ids=_ids(2, 4), attention_mask=mask)
    assert seq.dtype == np.float16 and np.all(np.isfinite(seq.numpy())) and np.all(np.isfinite(pooled.numpy()))


@pytest.mark.parametrize("cls", [BERTForMaskedLM, BERTForSequenceClassification])
def test_padding_invariance(cls):
    """A row of a right-padded batch gives what the same sequence gives alone."""
    model = cls(tiny()).eval()
    lengths = [9, 5, 2]
    ids = np.zeros((3, 9), dtype=np.int64)
    mask = np.zeros((3, 9), dtype=np.int64)
    rng = np.random.default_rng(1)
    for i, n in enumerate(lengths):
        ids[i, :n] = rng.integers(5, 120, size=n)
        mask[i, :n] = 1
    batch = model(input_ids=lucid.tensor(ids), attention_mask=lucid.tensor(mask)).numpy()
    for i, n in enumerate(lengths):
        alone = model(input_ids=lucid.tensor(ids[i:i + 1, :n])).numpy()
        got = batch[i:i + 1, :n] if cls is BERTForMaskedLM else batch[i:i + 1]
        np.testing.assert_allclose(got, alone, atol=2e-5)


def test_no_graph_under_no_grad():
    model = BERTForMaskedLM(tiny())
    with lucid.no_grad():
        out = model(input_ids=_ids())
    assert not out.requires_grad and out._node is None
    out = model(input_ids=_ids())
    assert out.requires_grad


def test_token_type_and_position_defaults_match_explicit_ones():
    model = BERT(tiny(type_vocab_size=3)).eval()
    ids = _ids(2, 7)
    ref = _seq(model, input_ids=ids)
    explicit = _seq(model, input_ids=ids, token_type_ids=lucid.zeros(2, 7, dtype=lucid.Int64),
                    position_ids=lucid.arange(7).reshape(1, 7))
    np.testing.assert_allclose(explicit, ref, atol=1e-6)
    other = _seq(model, input_ids=ids, token_type_ids=lucid.full((2, 7), 2))
    assert np.abs(other - ref).max() > 1e-3


def test_backbone_input_errors():
    model = BERT(tiny())
    with pytest.raises(ValueError, match="exactly one of input_ids and inputs_embeds"):
        model()
    with pytest.raises(ValueError, match="exactly one"):
        model(input_ids=_ids(), inputs_embeds=lucid.zeros(3, 9, 32))
    with pytest.raises(ValueError, match="max_position_embeddings=32"):
        model(input_ids=_ids(1, 33))
    with pytest.raises(TypeError, match="integer"):
        model(input_ids=lucid.ones(2, 3))
    with pytest.raises(ValueError, match=r"attention_mask of shape \(2, 5\)"):
        model(input_ids=_ids(2, 4), attention_mask=lucid.ones(2, 5))
    with pytest.raises(ValueError, match="2, 3 or 4 dimensions"):
        model(input_ids=_ids(2, 4), attention_mask=lucid.ones(4))
    with pytest.raises(ValueError, match=r"inputs_embeds must have shape \(batch, sequence, 32\)"):
        model(inputs_embeds=lucid.zeros(2, 3, 8))
    with pytest.raises(TypeError, match="BERTConfig"):
        BERT({"hidden_size": 32})


# ---- masked language modelling -------------------------------------------------------------------
def _pretraining_batch(batch=400, seq=64, seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(5, 100, size=(batch, seq))
    lengths = rng.integers(8, seq + 1, size=batch)
    mask = (np.arange(seq)[None, :] < lengths[:, None]).astype(np.int64)
    ids[:, 0] = 101 % 120
    ids[np.arange(batch), lengths - 1] = 102
    ids[mask == 0] = 0
    return ids, mask


def test_create_masked_lm_inputs_statistics():
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


def test_create_masked_lm_inputs_arguments():
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


def test_mlm_loss_equals_cross_entropy_over_labelled_positions():
    model = BERTForMaskedLM(tiny()).eval()
    ids = _ids(2, 6, seed=4)
    labels = np.full((2, 6), -100)
    labels[0, 1], labels[1, 3], labels[1, 5] = 7, 50, 3
    logits = model(input_ids=ids).numpy().astype(np.float64)
    logp = logits - np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1, keepdims=True)) \
        - logits.max(-1, keepdims=True)
    want = -np.mean([logp[0, 1, 7], logp[1, 3, 50], logp[1, 5, 3]])
    got = model.get_loss(labels=lucid.tensor(labels), input_ids=ids)
    assert got.shape == () and abs(got.item() - want) < 1e-5


def test_mlm_loss_with_nothing_labelled_is_zero_with_zero_grads():
    model = BERTForMaskedLM(tiny())
    loss = model.get_loss(labels=lucid.full((2, 5), -100), input_ids=_ids(2, 5))
    assert loss.item() == 0.0
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is None or np.all(p.grad == 0), name


def test_mlm_predictions_and_accuracy():
    model = BERTForMaskedLM(tiny(hidden_dropout_prob=0.5))
    model.train()
    ids = _ids(3, 7, seed=5)
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


def test_mlm_label_errors():
    model = BERTForMaskedLM(tiny())
    with pytest.raises(ValueError, match=r"labels of shape \(2, 3\)"):
        model.get_loss(labels=lucid.full((2, 3), -100), input_ids=_ids(2, 4))
    with pytest.raises(ValueError, match="120"):
        model.get_loss(labels=lucid.tensor([[120, -100]]), input_ids=_ids(1, 2))
    with pytest.raises(ValueError, match="-5"):
        model.get_loss(labels=lucid.tensor([[-5, -100]]), input_ids=_ids(1, 2))
    with pytest.raises(TypeError, match="integer"):
        model.get_loss(labels=lucid.ones(1, 2), input_ids=_ids(1, 2))


# ---- sequence classification ---------------------------------------------------------------------
def test_classification_labels_as_int_list_or_tensor():
    model = BERTForSequenceClassification(tiny(), num_labels=3).eval()
    ids = _ids(2, 5)
    a = model.get_loss(labels=[2, 0], input_ids=ids).item()
    b = model.get_loss(labels=lucid.tensor([2, 0]), input_ids=ids).item()
    assert a == b
    logits = model(input_ids=ids).numpy().astype(np.float64)
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    assert abs(a - (-(logp[0, 2] + logp[1, 0]) / 2)) < 1e-5
    one = model.get_loss(labels=1, input_ids=_ids(1, 5))
    assert one.shape == ()
    with pytest.raises(ValueError, match="got 1 labels for a batch of 2"):
        model.get_loss(labels=1, input_ids=ids)
    with pytest.raises(ValueError, match=r"in \[0, 3\), got 3"):
        model.get_loss(labels=[3, 0], input_ids=ids)


def test_classification_predictions_and_accuracy():
    model = BERTForSequenceClassification(tiny(), num_labels=4)
    ids = _ids(5, 6, seed=8)
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


def test_regression_and_multi_label_losses():
    torch = pytest.importorskip("torch")
    ids = _ids(3, 5)
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


def test_classification_constructor_errors():
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match="num_labels"):
            BERTForSequenceClassification(tiny(), num_labels=bad)
    with pytest.raises(ValueError, match="add_pooling_layer"):
        BERTForSequenceClassification(tiny(add_pooling_layer=False))


def test_training_step_reduces_the_loss():
    lucid.random.seed(0)
    model = BERTForSequenceClassification(tiny(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0))
    ids, labels = _ids(4, 6, seed=9), [0, 1, 1, 0]
    opt = lucid.optim.AdamW(model.parameters(), lr=1e-3)
    first = None
    for _ in range(8):
        opt.zero_grad()
        loss = model.get_loss(labels=labels, input_ids=ids)
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    assert loss.item() < first


# ---- *_from_text ---------------------------------------------------------------------------------
def test_mlm_from_text(tokenizer):
    model = BERTForMaskedLM(tiny())
    lucid.random.seed(1)
    loss = model.get_loss_from_text(tokenizer=tokenizer, text_a="Machine learning helps us build useful systems.",
                                    text_b="Tokenization quality strongly affects language model performance.")
    assert loss.shape == () and np.isfinite(loss.item()) and loss.requires_grad
    loss = model.get_loss_from_text(tokenizer, ["the movie is bad", "machine learning"],
                                    ["a movie", "the systems ."], mlm_probability=1.0, max_length=6)
    assert np.isfinite(loss.item()) and loss.item() > 0
    pred = model.predict_token_ids_from_text(tokenizer=tokenizer, text_a="Machine learning is [MASK].")
    enc = tokenizer.batch_encode(["Machine learning is [MASK]."], return_tensor=True)
    assert enc["input_ids"].tolist()[0][4] == 4  # [MASK] stays one token
    np.testing.assert_array_equal(pred.numpy(), model.predict_token_ids(input_ids=enc["input_ids"]).numpy())
    pred = model.predict_token_ids_from_text(tokenizer, ["the movie", "machine learning helps us"])
    assert pred.shape == (2, 6)


def test_mlm_from_text_masks_only_real_tokens(tokenizer, monkeypatch):
    model = BERTForMaskedLM(tiny())
    seen = {}
    original = BERTForMaskedLM.get_loss

    def spy(self, labels, **kw):
        seen["labels"], seen["ids"] = labels.numpy(), kw["input_ids"].numpy()
        return original(self, labels, **kw)

    monkeypatch.setattr(BERTForMaskedLM, "get_loss", spy)
    model.get_loss_from_text(tokenizer, ["the movie is excellent", "a"], mlm_probability=1.0)
    labels, ids = seen["labels"], seen["ids"]
    # row 1 is "[CLS] a [SEP] [PAD] [PAD] [PAD]": only "a" may be labelled
    assert labels[1].tolist() == [-100, 21, -100, -100, -100, -100]
    assert labels[0].tolist() == [-100, 5, 6, 7, 8, -100]


def test_classification_from_text(tokenizer):
    model = BERTForSequenceClassification(tiny(), num_labels=2)
    loss = model.get_loss_from_text(tokenizer=tokenizer, text_a="This movie is excellent.", labels=1)
    assert loss.shape == ()
    enc = tokenizer.batch_encode(["This movie is excellent."], return_tensor=True)
    model.eval()
    direct = model.get_loss(labels=[1], **enc)
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


def test_from_text_argument_errors(tokenizer):
    model = BERTForSequenceClassification(tiny())
    with pytest.raises(ValueError, match="needs labels"):
        model.get_loss_from_text(tokenizer, "the movie")
    with pytest.raises(ValueError, match="text_b must be a list of 2 strings"):
        model.predict_labels_from_text(tokenizer, ["a", "b"], text_b=["a"])
    with pytest.raises(ValueError, match="text_b must be one string"):
        model.predict_labels_from_text(tokenizer, "a", text_b=["a"])
    with pytest.raises(TypeError, match="text_a"):
        model.predict_labels_from_text(tokenizer, 5)
    with pytest.raises(ValueError, match="empty"):
        model.predict_labels_from_text(tokenizer, [])
    with pytest.raises(ValueError, match="'tpu'"):
        model.predict_labels_from_text(tokenizer, "a", device="tpu")


@pytest.mark.skipif(lucid.gpu_available(), reason="checks the error on a machine without a GPU")
def test_gpu_device_without_gpu_is_a_clear_error(tokenizer):
    for model, call in ((BERTForMaskedLM(tiny()), "get_loss_from_text"),
                        (BERTForSequenceClassification(tiny()), "predict_labels_from_text")):
        with pytest.raises(RuntimeError, match="CuPy|CUDA"):
            getattr(model, call)(tokenizer=tokenizer, text_a="the movie", device="gpu")
    # on the model's own device it runs
    assert BERTForSequenceClassification(tiny()).predict_labels_from_text(tokenizer, "a", device="cpu").shape == (1,)


def test_device_other_than_the_models_moves_the_model_with_a_warning(tokenizer, monkeypatch):
    from lucid.models.bert import _task

    model = BERTForSequenceClassification(tiny())
    moved = []
    monkeypatch.setattr(_task._backend, "get_xp", lambda device: np)  # pretend a GPU exists
    monkeypatch.setattr(model, "to", lambda device: moved.append(device), raising=False)
    with pytest.raises(RuntimeError):  # the (pretend) move did nothing; encoding on "gpu" needs CuPy
        with pytest.warns(UserWarning, match="device='gpu'.*model is on 'cpu'.*moving the model"):
            model.predict_labels_from_text(tokenizer, "a", device="gpu")
    assert moved == ["gpu"]
    # the model's own device: no warning, no move
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        BERTForSequenceClassification(tiny()).predict_labels_from_text(tokenizer, "a", device="cpu")


# ---- factories and the seed pages' examples ------------------------------------------------------
def test_factories_apply_overrides():
    from lucid import models

    m = models.bert_for_masked_lm_base(**TINY)
    assert isinstance(m, BERTForMaskedLM) and m.config == tiny()
    m = models.bert_for_masked_lm_large(**TINY)
    assert m.config.intermediate_size == 48
    c = models.bert_for_sequence_classification_base(num_labels=5, **TINY)
    assert isinstance(c, BERTForSequenceClassification) and c.num_labels == 5
    c = models.bert_for_sequence_classification_large(vocab_size=50, hidden_size=32, num_hidden_layers=1,
                                                      num_attention_heads=4, intermediate_size=16)
    assert c.num_labels == 2 and c.config.num_attention_heads == 4
    assert models.BERTConfig.large().num_hidden_layers == 24


def test_base_factory_has_bert_base_size():
    from lucid import models

    model = models.bert_for_masked_lm_base()
    n = sum(p.size for p in model.parameters())
    # bert-base-uncased with its MLM head (pooler excluded, decoder tied): 109,514,298 parameters
    assert n == 109_514_298
    assert repr(model).startswith("BERTForMaskedLM(")


def test_seed_page_masked_lm_examples(tokenizer):
    import lucid.models as models

    model = models.bert_for_masked_lm_base(**TINY)
    assert str(model).startswith("BERTForMaskedLM(")
    input_ids = lucid.tensor([[2, 10, 11, 12, 13, 14, 15, 16, 17, 3]])
    masked_input_ids, labels = model.create_masked_lm_inputs(input_ids)
    loss = model.get_loss(labels=labels, input_ids=masked_input_ids)
    acc = model.get_accuracy(labels=labels, input_ids=masked_input_ids)
    assert loss.shape == () and 0.0 <= acc <= 1.0
    loss = model.get_loss_from_text(
        tokenizer=tokenizer,
        text_a="Machine learning helps us build useful systems.",
        text_b="Tokenization quality strongly affects language model performance.",
        device="cpu",
    )
    pred_ids = model.predict_token_ids_from_text(tokenizer=tokenizer, text_a="Machine learning is [MASK].",
                                                 device="cpu")
    assert np.isfinite(loss.item()) and pred_ids.shape[0] == 1


def test_seed_page_classification_examples(tokenizer):
    import lucid.models as models

    model = models.bert_for_sequence_classification_base(num_labels=2, **TINY)
    assert str(model).startswith("BERTForSequenceClassification(")
    input_ids = lucid.tensor([[2, 5, 6, 7, 8, 3], [2, 5, 6, 7, 9, 3]])
    attention_mask = lucid.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0]])
    labels = lucid.tensor([1, 0])
    logits = model(input_ids=input_ids, attention_mask=attention_mask)
    loss = model.get_loss(labels=labels, input_ids=input_ids, attention_mask=attention_mask)
    acc = model.get_accuracy(labels=labels, input_ids=input_ids, attention_mask=attention_mask)
    assert logits.shape == (2, 2) and loss.shape == () and acc in (0.0, 0.5, 1.0)
    loss = model.get_loss_from_text(tokenizer=tokenizer, text_a="This movie is excellent.", labels=1, device="cpu")
    pred = model.predict_labels_from_text(tokenizer=tokenizer, text_a="This movie is excellent.", device="cpu")
    assert np.isfinite(loss.item()) and pred.shape == (1,)


def test_problem_type_from_the_config():
    ids = _ids(2, 5)
    model = BERTForSequenceClassification(tiny(extra={"problem_type": "regression"}), num_labels=2).eval()
    y = np.array([[0.5, 1.0], [-1.0, 0.0]], dtype=np.float32)
    want = np.mean((model(input_ids=ids).numpy() - y) ** 2)
    assert abs(model.get_loss(labels=lucid.tensor(y), input_ids=ids).item() - want) < 1e-5
    bad = BERTForSequenceClassification(tiny(extra={"problem_type": "ranking"}))
    with pytest.raises(ValueError, match="'ranking'"):
        bad.get_loss(labels=[0, 1], input_ids=ids)


def test_prediction_restores_each_submodule_mode():
    model = BERTForSequenceClassification(tiny())
    model.bert.encoder.eval()  # a partly frozen model
    model.predict_labels(input_ids=_ids(1, 4))
    assert model.training and model.classifier.training and not model.bert.encoder.training


def test_from_text_truncates_to_the_model_length(tokenizer):
    model = BERTForSequenceClassification(tiny(max_position_embeddings=8))
    long_text = " ".join(["the movie is excellent"] * 10)  # 42 tokens
    assert model.predict_proba_from_text(tokenizer, long_text, text_b="a movie").shape == (1, 2)
    mlm = BERTForMaskedLM(tiny(max_position_embeddings=8))
    assert mlm.predict_token_ids_from_text(tokenizer, long_text).shape == (1, 8)
    assert mlm.predict_token_ids_from_text(tokenizer, long_text, max_length=5).shape == (1, 5)
    assert np.isfinite(mlm.get_loss_from_text(tokenizer, [long_text, "a"], mlm_probability=0.5).item())
