"""The original Lucid's way of calling the BERT module: signatures (names, order, defaults,
keyword-only additions), return types and shapes, each keyword doing what it says, against
references computed here (NumPy float64 cross-entropy and accuracy from the model's logits,
``transformers``' tokenizer). The expected signatures are written out from API.md."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import lucid
import lucid.models as models
import lucid.nn as nn
from lucid.data.tokenizers import SpecialTokens
from lucid.models import BERT, BERTConfig, BERTForMaskedLM, BERTForSequenceClassification, BERTTokenizerFast

# these tests truncate on purpose (short max_length / max_seq_length)
pytestmark = pytest.mark.filterwarnings("ignore::lucid.data.TruncationWarning")

ENC = "input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None, inputs_embeds=None"
SIGNATURES = {
    (BERTForMaskedLM, "__init__"): "config",
    (BERTForMaskedLM, "forward"): ENC,
    (BERTForMaskedLM, "get_loss"): f"labels, {ENC}, *, ignore_index=-100, reduction='mean'",
    (BERTForMaskedLM, "create_masked_lm_inputs"): (
        "input_ids, attention_mask=None, special_tokens_mask=None, *, mask_token_id=None, mlm_probability=0.15, "
        "mask_replace_prob=0.8, random_replace_prob=0.1, ignore_index=-100"),
    (BERTForMaskedLM, "predict_token_ids"): ENC,
    (BERTForMaskedLM, "get_accuracy"): f"labels, {ENC}, *, ignore_index=-100",
    (BERTForMaskedLM, "get_loss_from_text"): (
        "tokenizer, text_a, text_b=None, *, device=None, mask_token_id=None, mlm_probability=0.15, "
        "mask_replace_prob=0.8, random_replace_prob=0.1, ignore_index=-100, reduction='mean', max_length=None"),
    (BERTForMaskedLM, "predict_token_ids_from_text"): "tokenizer, text_a, text_b=None, *, device=None, max_length=None",
    (BERTForSequenceClassification, "__init__"): "config, num_labels=2",
    (BERTForSequenceClassification, "forward"): ENC,
    (BERTForSequenceClassification, "get_loss"): f"labels, {ENC}, *, reduction='mean'",
    (BERTForSequenceClassification, "predict_labels"): ENC,
    (BERTForSequenceClassification, "predict_proba"): ENC,
    (BERTForSequenceClassification, "get_accuracy"): f"labels, {ENC}",
    (BERTForSequenceClassification, "get_loss_from_text"): (
        "tokenizer, text_a, text_b=None, labels=0, *, device=None, reduction='mean', max_length=None"),
    (BERTForSequenceClassification, "predict_labels_from_text"): (
        "tokenizer, text_a, text_b=None, *, device=None, max_length=None"),
    (BERTForSequenceClassification, "predict_proba_from_text"): (
        "tokenizer, text_a, text_b=None, *, device=None, max_length=None"),
    (BERT, "__init__"): "config",
    (BERT, "forward"): ENC,
    (BERTTokenizerFast, "__init__"): (
        "vocab=None, vocab_file=None, unk_token='[UNK]', pad_token='[PAD]', cls_token='[CLS]', mask_token='[MASK]', "
        "sep_token='[SEP]', lowercase=True, wordpieces_prefix='##', max_input_chars_per_word=100, clean_text=True"),
    (BERTTokenizerFast, "encode"): (
        "text, add_special_tokens=True, return_tensor=False, device='cpu', *, text_b=None, max_length=None, "
        "truncation=False"),
    (BERTTokenizerFast, "batch_encode"): (
        "texts, add_special_tokens=True, padding=False, max_length=None, truncation=False, return_tensor=False, "
        "device='cpu', *, text_pairs=None"),
    (BERTTokenizerFast, "batch_encode_plus"): (
        "texts, text_pairs=None, *, add_special_tokens=True, padding=True, max_length=None, truncation=True, "
        "return_tensor=True, device='cpu'"),
    (BERTTokenizerFast, "encode_pretraining_inputs"): "text_a, text_b=None, return_tensor=False, device='cpu'",
    (BERTTokenizerFast, "decode"): "ids, skip_special_tokens=True",
}
FACTORIES = {"bert_for_masked_lm_base": "vocab_size=30522, **overrides",
             "bert_for_masked_lm_large": "vocab_size=30522, **overrides",
             "bert_for_sequence_classification_base": "num_labels=2, vocab_size=30522, **overrides",
             "bert_for_sequence_classification_large": "num_labels=2, vocab_size=30522, **overrides"}
SHARED = ("get_input_embeddings", "set_input_embeddings", "get_output_embeddings", "set_output_embeddings",
          "tie_weights")


def _params(sig, skip_self=True):
    """The parameters as ``name=default`` text, ``*`` before the first keyword-only one."""
    out, star = [], False
    for p in list(sig.parameters.values())[1 if skip_self else 0:]:
        if p.kind is p.KEYWORD_ONLY and not star:
            out.append("*")
            star = True
        text = ("**" if p.kind is p.VAR_KEYWORD else "") + p.name
        out.append(text if p.default is p.empty else f"{text}={p.default!r}")
    return out


@pytest.mark.parametrize("cls, name", list(SIGNATURES), ids=[f"{c.__name__}.{n}" for c, n in SIGNATURES])
def test_the_originals_parameters_come_first_in_its_order(cls, name):
    want = [p.strip() for p in SIGNATURES[cls, name].split(",")]
    got = _params(inspect.signature(getattr(cls, name)))
    assert got[:len(want)] == want
    # what lucid adds comes after, keyword-only
    extra = got[len(want):]
    assert not extra or "*" in want or extra[0] == "*" or all(p.startswith("**") for p in extra), extra


@pytest.mark.parametrize("name", list(FACTORIES))
def test_factory_signatures(name):
    assert ", ".join(_params(inspect.signature(getattr(models, name)), skip_self=False)) == FACTORIES[name]


@pytest.mark.parametrize("cls", [BERT, BERTForMaskedLM, BERTForSequenceClassification])
def test_shared_methods_everywhere(cls):
    for name in SHARED:
        assert callable(getattr(cls, name)), name
    assert _params(inspect.signature(cls.set_input_embeddings)) == ["embedding"]
    assert _params(inspect.signature(cls.set_output_embeddings)) == ["linear"]


# ---- shared fixtures ----------------------------------------------------------------------------
TINY = dict(vocab_size=40, hidden_size=16, num_attention_heads=2, num_hidden_layers=2, intermediate_size=24,
            max_position_embeddings=16, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
            mask_token_id=4, cls_token_id=2, sep_token_id=3, pad_token_id=0)
IDS = np.array([[2, 10, 11, 12, 13, 3], [2, 14, 15, 3, 0, 0]])
MASK = (IDS != 0).astype(np.int64)
WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "movie", "is", "good", "bad", "a", "film", "."]


def _model(cls, **kw):
    lucid.random.seed(0)
    return cls(BERTConfig(**TINY), **kw).eval()


def _log_softmax64(logits):
    z = logits.astype(np.float64)
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


@pytest.fixture
def tok():
    return BERTTokenizerFast(vocab={w: i for i, w in enumerate(WORDS)})


# ---- BERTForMaskedLM ------------------------------------------------------------------------------
def _mlm_labels(ignore_index=-100):
    labels = np.full(IDS.shape, ignore_index)
    labels[0, 1], labels[0, 3], labels[1, 2] = 17, 11, 30
    return labels


@pytest.mark.parametrize("ignore_index", [-100, -1])
def test_mlm_get_loss_reductions_against_numpy(ignore_index):
    model = _model(BERTForMaskedLM)
    labels = _mlm_labels(ignore_index)
    logp = _log_softmax64(model(lucid.tensor(IDS), lucid.tensor(MASK)).numpy()).reshape(-1, TINY["vocab_size"])
    flat = labels.reshape(-1)
    want = np.zeros(flat.size)
    keep = flat != ignore_index
    want[keep] = -logp[keep, flat[keep]]
    kw = {} if ignore_index == -100 else {"ignore_index": ignore_index}
    # the original's positional order: labels, then ENC
    per = model.get_loss(lucid.tensor(labels), lucid.tensor(IDS), lucid.tensor(MASK), reduction=None, **kw)
    assert per.shape == (IDS.size,) and per.dtype == np.float32
    np.testing.assert_allclose(per.numpy(), want, atol=1e-5)
    total = model.get_loss(labels, IDS, MASK, reduction="sum", **kw)
    mean = model.get_loss(labels=labels, input_ids=IDS, attention_mask=MASK, **kw)
    assert total.shape == mean.shape == ()
    assert abs(total.item() - want.sum()) < 1e-4 and abs(mean.item() - want[keep].mean()) < 1e-5
    # flat labels (batch*seq,) as the original reshaped them
    assert abs(model.get_loss(labels.reshape(-1), IDS, MASK, **kw).item() - mean.item()) < 1e-7


def test_mlm_per_position_loss_has_each_positions_gradient():
    model = _model(BERTForMaskedLM).train()
    labels = _mlm_labels()
    per = model.get_loss(labels, IDS, MASK, reduction=None)
    weights = np.zeros(IDS.size, dtype=np.float32)
    weights[3] = 1.0  # only position (0, 3)
    (per * lucid.tensor(weights)).sum().backward()
    got = {n: p.grad.copy() for n, p in model.named_parameters()}
    model.zero_grad()
    alone = np.full(IDS.shape, -100)
    alone[0, 3] = labels[0, 3]
    model.get_loss(alone, IDS, MASK, reduction="sum").backward()
    for n, p in model.named_parameters():
        np.testing.assert_allclose(got[n], p.grad, atol=1e-6, err_msg=n)


def test_mlm_nothing_labelled():
    model = _model(BERTForMaskedLM)
    none = np.full(IDS.shape, -100)
    assert model.get_loss(none, IDS).item() == 0.0 and model.get_loss(none, IDS, reduction="sum").item() == 0.0
    assert not model.get_loss(none, IDS, reduction=None).numpy().any()
    acc = model.get_accuracy(none, IDS)
    assert acc.shape == () and acc.item() == 0.0


def test_mlm_reduction_errors_name_the_value():
    with pytest.raises(ValueError, match="'avg'"):
        _model(BERTForMaskedLM).get_loss(_mlm_labels(), IDS, reduction="avg")


@pytest.mark.parametrize("ignore_index", [-100, 7])
def test_mlm_get_accuracy_is_a_0d_float32_tensor(ignore_index):
    model = _model(BERTForMaskedLM)
    pred = model(IDS, MASK).numpy().argmax(-1)
    labels = np.full(IDS.shape, ignore_index)
    labels[0, 1:5] = pred[0, 1:5]            # 4 right
    labels[1, 1] = (pred[1, 1] + 1) % 40     # 1 wrong
    labels[1, 2] = pred[1, 2] if pred[1, 2] != ignore_index else (pred[1, 2] + 1) % 40
    keep = labels != ignore_index
    want = np.float32((pred == labels)[keep].mean())
    kw = {} if ignore_index == -100 else {"ignore_index": ignore_index}
    acc = model.get_accuracy(lucid.tensor(labels), IDS, MASK, **kw)
    assert isinstance(acc, lucid.Tensor) and acc.shape == () and acc.dtype == np.float32
    assert acc.item() == float(acc) == pytest.approx(float(want), abs=1e-7)


def test_create_masked_lm_inputs_positionally_and_every_keyword():
    model = _model(BERTForMaskedLM)
    ids = np.tile(np.arange(5, 37), (64, 1))  # no special ids: only the masks exclude positions
    mask = np.ones_like(ids)
    mask[:, 28:] = 0
    special = np.zeros_like(ids)
    special[:, :4] = 1
    lucid.random.seed(1)
    masked, labels = model.create_masked_lm_inputs(lucid.tensor(ids), lucid.tensor(mask), lucid.tensor(special),
                                                   mlm_probability=0.5)
    masked, labels = masked.numpy(), labels.numpy()
    selected = labels != -100
    assert not selected[:, 28:].any() and not selected[:, :4].any()  # padding (2nd) and special (3rd) masks
    assert 0.4 < selected[:, 4:28].mean() < 0.6
    # every selected token becomes the given mask id; nothing else changes
    masked, labels = model.create_masked_lm_inputs(ids, mask, special, mask_token_id=9, mlm_probability=1.0,
                                                   mask_replace_prob=1.0, random_replace_prob=0.0, ignore_index=-1)
    masked, labels = masked.numpy(), labels.numpy()
    np.testing.assert_array_equal(labels[:, 4:28], ids[:, 4:28])
    assert (labels[:, :4] == -1).all() and (labels[:, 28:] == -1).all()
    assert (masked[:, 4:28] == 9).all() and (masked[:, 28:] == ids[:, 28:]).all()
    # no replacement at all: selected, labelled, unchanged
    masked, labels = model.create_masked_lm_inputs(ids, mlm_probability=1.0, mask_replace_prob=0.0,
                                                   random_replace_prob=0.0)
    np.testing.assert_array_equal(masked.numpy(), ids)
    np.testing.assert_array_equal(labels.numpy(), ids)


def test_create_masked_lm_inputs_split_follows_the_probabilities():
    model = _model(BERTForMaskedLM)
    ids = np.tile(np.arange(5, 37), (500, 1))
    lucid.random.seed(2)
    masked, labels = model.create_masked_lm_inputs(ids, mlm_probability=1.0, mask_replace_prob=0.5,
                                                   random_replace_prob=0.3)
    masked = masked.numpy()
    n = ids.size
    to_mask = masked == 4
    changed = (masked != ids) & ~to_mask
    sd = np.sqrt(0.25 / n)
    # a random id equal to [MASK] (1/40 of them) counts as masked, one equal to the original as kept
    assert abs(to_mask.mean() - (0.5 + 0.3 / 40)) < 5 * sd
    assert abs(changed.mean() - 0.3 * 38 / 40) < 5 * sd


@pytest.mark.parametrize("kw, words", [
    (dict(mlm_probability=1.5), "mlm_probability must be a probability in \\[0, 1\\], got 1.5"),
    (dict(mask_replace_prob=-0.1), "mask_replace_prob .* got -0.1"),
    (dict(random_replace_prob="x"), "random_replace_prob .* got 'x'"),
    (dict(mask_replace_prob=0.7, random_replace_prob=0.4), r"mask_replace_prob \+ random_replace_prob must be <= 1, "
                                                           r"got 0.7 \+ 0.4"),
])
def test_masking_probability_errors_name_the_value(kw, words, tok):
    model = _model(BERTForMaskedLM)
    with pytest.raises(ValueError, match=words):
        model.create_masked_lm_inputs(IDS, **kw)
    with pytest.raises(ValueError, match=words):
        model.get_loss_from_text(tok, "the movie", **kw)


def test_mlm_get_loss_from_text_keywords(tok):
    model = _model(BERTForMaskedLM)
    texts, pairs = ["the movie is good", "a film"], ["a bad film .", "the movie"]
    enc = tok.batch_encode_plus(texts, pairs)
    ids, special = enc["input_ids"].numpy(), enc["special_tokens_mask"].numpy().astype(bool)
    real = enc["attention_mask"].numpy().astype(bool) & ~special
    # everything real selected and replaced by id 7: the loss of known inputs and labels
    want_ids = np.where(real, 7, ids)
    want_labels = np.where(real, ids, -1)
    want = model.get_loss(want_labels, want_ids, enc["attention_mask"], enc["token_type_ids"], ignore_index=-1,
                          reduction=None).numpy()
    got = model.get_loss_from_text(tok, texts, pairs, mask_token_id=7, mlm_probability=1.0, mask_replace_prob=1.0,
                                   random_replace_prob=0.0, ignore_index=-1, reduction=None)
    assert got.shape == (ids.size,)
    np.testing.assert_allclose(got.numpy(), want, atol=1e-6)
    total = model.get_loss_from_text(tok, texts, pairs, mask_token_id=7, mlm_probability=1.0,
                                     mask_replace_prob=1.0, random_replace_prob=0.0, reduction="sum")
    assert abs(total.item() - want.sum()) < 1e-4
    # max_length truncates the pair encodings
    short = model.get_loss_from_text(tok, texts, pairs, mlm_probability=1.0, reduction=None, max_length=5)
    assert short.shape == (2 * 5,)
    pred = model.predict_token_ids_from_text(tok, texts, pairs, max_length=5)
    assert pred.shape == (2, 5) and pred.dtype == np.int64


# ---- BERTForSequenceClassification --------------------------------------------------------------
def test_classifier_get_loss_reductions_against_numpy():
    model = _model(BERTForSequenceClassification, num_labels=3)
    labels = np.array([2, 0])
    logp = _log_softmax64(model(IDS, MASK).numpy())
    want = -logp[np.arange(2), labels]
    per = model.get_loss(lucid.tensor(labels), lucid.tensor(IDS), lucid.tensor(MASK), reduction=None)
    assert per.shape == (2,)
    np.testing.assert_allclose(per.numpy(), want, atol=1e-6)
    assert abs(model.get_loss(labels, IDS, MASK, reduction="sum").item() - want.sum()) < 1e-5
    mean = model.get_loss(labels, IDS, MASK)
    assert mean.shape == () and abs(mean.item() - want.mean()) < 1e-6
    # labels (batch, 1), as the original accepted them
    column = model.get_loss(lucid.tensor(labels[:, None]), IDS, MASK, reduction=None)
    np.testing.assert_array_equal(column.numpy(), per.numpy())
    with pytest.raises(ValueError, match=r"\(batch,\) or \(batch, 1\), got \(2, 2\)"):
        model.get_loss(np.array([[0, 1], [1, 0]]), IDS, MASK)
    with pytest.raises(ValueError, match="'avg'"):
        model.get_loss(labels, IDS, MASK, reduction="avg")


def test_regression_and_multi_label_per_example_losses():
    reg = _model(BERTForSequenceClassification, num_labels=1)
    y = np.array([0.5, -1.0], dtype=np.float32)
    out = reg(IDS, MASK).numpy()[:, 0].astype(np.float64)
    np.testing.assert_allclose(reg.get_loss(y, IDS, MASK, reduction=None).numpy(), (out - y) ** 2, atol=1e-6)
    np.testing.assert_allclose(reg.get_loss(y[:, None], IDS, MASK, reduction="sum").item(), ((out - y) ** 2).sum(),
                               atol=1e-5)
    multi = _model(BERTForSequenceClassification, num_labels=3)
    t = np.array([[1, 0, 1], [0, 0, 1]], dtype=np.float32)
    z = multi(IDS, MASK).numpy().astype(np.float64)
    bce = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
    per = multi.get_loss(t, IDS, MASK, reduction=None)
    assert per.shape == (2,)
    np.testing.assert_allclose(per.numpy(), bce.mean(axis=1), atol=1e-6)
    assert abs(multi.get_loss(t, IDS, MASK).item() - bce.mean()) < 1e-6
    assert abs(multi.get_loss(t, IDS, MASK, reduction="sum").item() - bce.mean(axis=1).sum()) < 1e-5
    for model, labels in ((reg, y), (multi, t)):
        with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or None, got 'avg'"):
            model.get_loss(labels, IDS, MASK, reduction="avg")


def test_classifier_get_accuracy():
    model = _model(BERTForSequenceClassification, num_labels=3)
    pred = model(IDS, MASK).numpy().argmax(-1)
    labels = np.array([pred[0], (pred[1] + 1) % 3])
    for given in (labels, labels[:, None], lucid.tensor(labels)):
        acc = model.get_accuracy(given, IDS, MASK)
        assert isinstance(acc, lucid.Tensor) and acc.shape == () and acc.dtype == np.float32
        assert acc.item() == 0.5 and float(acc) == 0.5
    with pytest.raises(ValueError, match="multi label classification problem .*shape \\(2, 3\\)"):
        model.get_accuracy(np.ones((2, 3), dtype=np.float32), IDS, MASK)
    with pytest.raises(ValueError, match="regression"):
        _model(BERTForSequenceClassification, num_labels=1).get_accuracy([0.5, 1.0], IDS, MASK)


def test_classifier_from_text_keywords(tok):
    model = _model(BERTForSequenceClassification, num_labels=3)
    texts = ["the movie is good", "a bad film", "the film"]
    enc = tok.batch_encode_plus(texts, ["a", "b", "c"])
    want = model.get_loss([0, 0, 0], enc["input_ids"], enc["attention_mask"], enc["token_type_ids"],
                          reduction=None).numpy()
    # labels=0 is the default, and one int labels every text of the batch
    got = model.get_loss_from_text(tok, texts, ["a", "b", "c"], reduction=None)
    np.testing.assert_allclose(got.numpy(), want, atol=1e-7)
    assert abs(model.get_loss_from_text(tok, texts, ["a", "b", "c"]).item() - want.mean()) < 1e-6
    one = model.get_loss_from_text(tok, "the movie is good", None, 2, reduction="sum")  # labels positionally
    assert one.shape == ()
    assert model.predict_labels_from_text(tok, texts, max_length=4).shape == (3,)
    assert model.predict_proba_from_text(tok, texts, device="cpu", max_length=4).shape == (3, 3)


# ---- the shared methods -------------------------------------------------------------------------
def test_embedding_accessors():
    mlm, clf, bert = _model(BERTForMaskedLM), _model(BERTForSequenceClassification), _model(BERT)
    for model, backbone in ((mlm, mlm.bert), (clf, clf.bert), (bert, bert)):
        assert model.get_input_embeddings() is backbone.embeddings.word_embeddings
    assert mlm.get_output_embeddings() is mlm.cls.predictions.decoder
    assert clf.get_output_embeddings() is None and bert.get_output_embeddings() is None


def test_set_input_embeddings_reties_the_decoder():
    model = _model(BERTForMaskedLM)
    new = nn.Embedding(40, 16, padding_idx=0)
    model.set_input_embeddings(new)
    assert model.get_input_embeddings() is new
    assert model.get_output_embeddings().weight is new.weight  # tie_word_embedding=True
    # the logits use the new matrix at both ends: the decoder is h @ E^T + b
    hidden, _ = model.bert(IDS)
    h = model.cls.predictions.transform(hidden).numpy().astype(np.float64)
    want = h @ new.weight.numpy().T.astype(np.float64) + model.cls.predictions.bias.numpy()
    np.testing.assert_allclose(model(IDS).numpy(), want, atol=1e-5)
    untied = BERTForMaskedLM(BERTConfig(**TINY, tie_word_embedding=False))
    decoder = untied.get_output_embeddings().weight
    untied.set_input_embeddings(nn.Embedding(40, 16))
    assert untied.get_output_embeddings().weight is decoder


def test_set_output_embeddings_and_tie_weights():
    untied = BERTForMaskedLM(BERTConfig(**TINY, tie_word_embedding=False))
    linear = nn.Linear(16, 40)
    untied.set_output_embeddings(linear)
    assert untied.get_output_embeddings() is linear and untied.cls.predictions.bias is linear.bias
    assert linear.weight is not untied.get_input_embeddings().weight
    tied = _model(BERTForMaskedLM)
    linear = nn.Linear(16, 40)
    tied.set_output_embeddings(linear)
    assert tied.get_output_embeddings() is linear and linear.weight is tied.get_input_embeddings().weight
    # tie_weights restores the tie after a manual untie; the state dict keeps one copy
    linear.weight = nn.Parameter(lucid.zeros(40, 16))
    tied.tie_weights()
    assert linear.weight is tied.get_input_embeddings().weight
    assert "cls.predictions.decoder.weight" not in dict(tied.named_parameters())


def test_shared_method_errors_name_the_value():
    mlm, clf = _model(BERTForMaskedLM), _model(BERTForSequenceClassification)
    with pytest.raises(TypeError, match="lucid.nn.Embedding, got Linear"):
        mlm.set_input_embeddings(nn.Linear(16, 40))
    with pytest.raises(ValueError, match=r"embedding of shape \(50, 16\) .* \(40, 16\)"):
        mlm.set_input_embeddings(nn.Embedding(50, 16))
    with pytest.raises(TypeError, match="BERTForSequenceClassification has no LM head"):
        clf.set_output_embeddings(nn.Linear(16, 40))
    with pytest.raises(TypeError, match="BERT has no LM head"):
        clf.bert.set_output_embeddings(nn.Linear(16, 40))
    with pytest.raises(ValueError, match=r"weight shape \(40, 16\).*got a Linear of weight shape \(30, 16\)"):
        mlm.set_output_embeddings(nn.Linear(16, 30))
    with pytest.raises(ValueError, match="without a bias"):
        mlm.set_output_embeddings(nn.Linear(16, 40, bias=False))
    with pytest.raises(TypeError, match="lucid.nn.Linear, got Embedding"):
        mlm.set_output_embeddings(nn.Embedding(40, 16))
    clf.tie_weights()  # nothing to tie: no error


# ---- factories ----------------------------------------------------------------------------------
def test_factories_take_the_originals_positional_arguments():
    small = dict(hidden_size=16, num_attention_heads=2, num_hidden_layers=1, intermediate_size=24)
    mlm = models.bert_for_masked_lm_base(100, **small)
    assert mlm.config.vocab_size == 100 and mlm.config.add_pooling_layer is False and mlm.bert.pooler is None
    assert models.bert_for_masked_lm_large(77, **small).config.vocab_size == 77
    clf = models.bert_for_sequence_classification_base(3, 100, **small)
    assert clf.num_labels == 3 and clf.config.vocab_size == 100 and clf.bert.pooler is not None
    clf = models.bert_for_sequence_classification_large(4, vocab_size=90, **small)
    assert (clf.num_labels, clf.config.vocab_size) == (4, 90)


# ---- BERTTokenizerFast ----------------------------------------------------------------------------
def test_tokenizer_constructor_order_and_special_tokens():
    transformers = pytest.importorskip("transformers")
    vocab = {w: i for i, w in enumerate(["[PAD]", "[UNK]", "[CLS]", "<sep>", "<mask>", "the", "film"])}
    tok = BERTTokenizerFast(vocab, None, "[UNK]", "[PAD]", "[CLS]", "<mask>", "<sep>")  # mask before sep
    assert (tok.mask_token, tok.sep_token) == ("<mask>", "<sep>")
    assert (tok.bos_token, tok.eos_token) == ("[CLS]", "<sep>")
    hf = transformers.BertTokenizerFast(vocab=dict(vocab), mask_token="<mask>", sep_token="<sep>")
    assert tok.encode("the <mask> film", text_b="film") == hf.encode("the <mask> film", "film")
    members = BERTTokenizerFast(unk_token=SpecialTokens.UNK, pad_token=SpecialTokens.PAD, cls_token=SpecialTokens.CLS,
                                mask_token=SpecialTokens.MASK, sep_token=SpecialTokens.SEP)
    assert members.all_special_tokens == ["[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]"]
    assert all(isinstance(t, str) for t in members.all_special_tokens)
    assert [m.value for m in (SpecialTokens.BOS, SpecialTokens.EOS)] == ["[BOS]", "[EOS]"]  # the original's
    with pytest.raises(ValueError, match=r"cls_token '\[BOS\]' is not in the vocabulary"):
        BERTTokenizerFast(vocab, cls_token=SpecialTokens.BOS)
    assert BERTTokenizerFast(cls_token=SpecialTokens.BOS).cls_token_id == 2  # a fresh vocabulary takes it in


def test_encode_and_call_the_originals_way(tok):
    transformers = pytest.importorskip("transformers")
    hf = transformers.BertTokenizerFast(vocab={w: i for i, w in enumerate(WORDS)})
    text = "The movie is good."
    assert tok.encode(text) == hf.encode(text)
    ids = tok.encode(text, False, True, "cpu")  # add_special_tokens, return_tensor, device positionally
    assert isinstance(ids, lucid.Tensor) and ids.ndim == 1 and ids.dtype == np.int64
    assert ids.tolist() == hf.encode(text, add_special_tokens=False)
    assert tok(text) == tok.encode(text) and tok(text, False) == hf.encode(text, add_special_tokens=False)
    assert tok(["a film", text]) == [hf.encode("a film"), hf.encode(text)]  # a list is a batch
    batch = tok(["a film", text], padding=True, return_tensor=True)
    assert batch.shape == (2, len(hf.encode(text))) and batch.dtype == np.int64
    assert tok(text, padding="max_length", max_length=10) == hf(text, padding="max_length", max_length=10)["input_ids"]
    assert tok.encode(text, text_b="a film", truncation=True, max_length=6) == \
        hf.encode(text, "a film", truncation=True, max_length=6)


def test_batch_encode_returns_ids_and_batch_encode_plus_the_dict(tok):
    transformers = pytest.importorskip("transformers")
    hf = transformers.BertTokenizerFast(vocab={w: i for i, w in enumerate(WORDS)})
    texts, pairs = ["the movie", "a bad film ."], ["is good", "the film"]
    assert tok.batch_encode(texts) == hf(texts)["input_ids"]
    padded = tok.batch_encode(texts, True, True, None, False, True, "cpu", text_pairs=pairs)  # positionally
    assert isinstance(padded, lucid.Tensor) and padded.ndim == 2 and padded.dtype == np.int64
    assert padded.tolist() == hf(texts, pairs, padding=True)["input_ids"]
    assert tok.batch_encode(texts, False) == hf(texts, add_special_tokens=False)["input_ids"]
    plus = tok.batch_encode_plus(texts, pairs)
    ref = hf(texts, pairs, padding=True, return_special_tokens_mask=True)
    assert list(plus) == ["input_ids", "token_type_ids", "attention_mask", "special_tokens_mask"]
    for key, value in plus.items():
        assert isinstance(value, lucid.Tensor) and value.dtype == np.int64 and value.tolist() == ref[key], key
    as_lists = tok.batch_encode_plus(texts, pairs, return_tensor=False, padding=False)
    assert as_lists["input_ids"] == hf(texts, pairs)["input_ids"]


def test_a_second_text_where_add_special_tokens_sits_is_refused(tok):
    with pytest.raises(TypeError, match=r"add_special_tokens must be a bool, got str 'a film'.*text_b="):
        tok.encode("the movie", "a film")
    with pytest.raises(TypeError, match=r"add_special_tokens must be a bool, got list.*text_pairs="):
        tok.batch_encode(["the movie"], ["a film"])
    with pytest.raises(TypeError, match="add_special_tokens must be a bool, got str"):
        tok(["the movie"], "a film")
    with pytest.raises(TypeError, match="add_special_tokens must be a bool, got str 'yes'"):
        tok.batch_encode_plus(["the movie"], add_special_tokens="yes")
