"""Reliability of BERT's numerics: fully padded rows, huge logits and float16 masks give no NaN or
inf (and agree with transformers where those are finite); an MLM batch whose labels are all -100
gives loss 0 and zero gradients. (The nn.functional cases, huge logits in softmax/cross-entropy and
an all-ignored cross-entropy, are in tests/nn/test_functional_ops.py.)"""

import warnings

import numpy as np
import pytest

import lucid
from lucid.models import BERT, BERTConfig, BERTForMaskedLM, BERTForSequenceClassification

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

HF_CFG = dict(vocab_size=40, hidden_size=16, num_hidden_layers=2, num_attention_heads=4, intermediate_size=24,
              max_position_embeddings=16, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
CFG = BERTConfig(**HF_CFG)

IDS = np.array([[2, 5, 9, 11, 3, 0], [2, 7, 3, 0, 0, 0], [0, 0, 0, 0, 0, 0]], dtype=np.int64)
MASK = np.array([[1, 1, 1, 1, 1, 0], [1, 1, 1, 0, 0, 0], [0, 0, 0, 0, 0, 0]], dtype=np.int64)  # row 2: all padding


def _finite(x):
    x = x.numpy() if isinstance(x, lucid.Tensor) else np.asarray(x)
    return bool(np.isfinite(x.astype(np.float64)).all())


def _grads_finite(model):
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    return len(grads) > 0 and all(np.isfinite(g.astype(np.float64)).all() for g in grads)


def _hf_pair(tmp_path, scale_query=1.0, scale_classifier=1.0):
    """A transformers classifier (eager attention) and lucid's copy of it, optionally with the
    first layer's query weights and the classifier scaled up to make huge scores and logits."""
    torch.manual_seed(0)
    hf = transformers.BertForSequenceClassification(
        transformers.BertConfig(**HF_CFG, num_labels=3, attn_implementation="eager")).eval()
    with torch.no_grad():
        hf.bert.encoder.layer[0].attention.self.query.weight.mul_(scale_query)
        hf.classifier.weight.mul_(scale_classifier)
    hf.save_pretrained(tmp_path / "hf", safe_serialization=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = BERTForSequenceClassification.from_pretrained(tmp_path / "hf")
    return hf, ours


# ---- fully padded rows ------------------------------------------------------------------------
def test_fully_padded_row_is_finite_and_matches_transformers(tmp_path):
    hf, ours = _hf_pair(tmp_path)
    want = hf(input_ids=torch.tensor(IDS), attention_mask=torch.tensor(MASK)).logits.detach().numpy()
    got = ours(input_ids=IDS, attention_mask=MASK)
    assert _finite(got) and np.isfinite(want).all()
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-4, atol=2e-5)


@pytest.mark.parametrize("mask_dtype", [np.int64, np.bool_, np.float32, np.float16])
def test_fully_padded_rows_train_without_nan(mask_dtype):
    model = BERTForSequenceClassification(CFG, num_labels=3)
    loss = model.get_loss(labels=[0, 1, 2], input_ids=IDS, attention_mask=lucid.tensor(MASK.astype(mask_dtype)))
    loss.backward()
    assert _finite(loss) and _grads_finite(model)
    seq, pooled = BERT(CFG)(input_ids=IDS, attention_mask=np.zeros_like(MASK))  # every row padded
    assert _finite(seq) and _finite(pooled)


def test_fully_masked_3d_and_4d_masks_are_finite():
    model = BERT(CFG).eval()
    m3 = np.zeros((3, 6, 6), dtype=bool)
    m4 = np.full((3, 1, 6, 6), np.finfo(np.float32).min, dtype=np.float32)  # additive, all masked
    for mask in (m3, m4):
        assert _finite(model(input_ids=IDS, attention_mask=lucid.tensor(mask))[0])


# ---- huge logits ------------------------------------------------------------------------------
def test_huge_attention_scores_and_logits_match_transformers(tmp_path):
    hf, ours = _hf_pair(tmp_path, scale_query=1e4, scale_classifier=1e6)  # logits ~1e4
    labels = np.array([0, 2, 1])
    out = hf(input_ids=torch.tensor(IDS), attention_mask=torch.tensor(MASK), labels=torch.tensor(labels))
    want = out.logits.detach().numpy()
    assert np.abs(want).max() > 1e3  # the logits really are huge
    got = ours(input_ids=IDS, attention_mask=MASK)
    assert _finite(got)
    np.testing.assert_allclose(got.numpy(), want, rtol=2e-3, atol=1e-5 * np.abs(want).max())
    ours.train()  # dropout is 0: train mode computes the same
    loss = ours.get_loss(labels=labels, input_ids=IDS, attention_mask=MASK)
    loss.backward()
    assert _finite(loss) and _grads_finite(ours)
    np.testing.assert_allclose(loss.item(), out.loss.item(), rtol=1e-3)


# ---- float16 ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pair():
    lucid.random.seed(0)
    full = BERTForSequenceClassification(CFG, num_labels=3).eval()
    half = BERTForSequenceClassification(CFG, num_labels=3)
    half.load_state_dict(full.state_dict())
    return full, half.half().eval()


@pytest.mark.parametrize("mask_dtype", [np.int64, np.bool_, np.float16, np.float32])
def test_half_model_with_padded_batch_is_finite_and_close_to_float32(pair, mask_dtype):
    full, half = pair
    mask = lucid.tensor(MASK.astype(mask_dtype))
    out16 = half(input_ids=IDS, attention_mask=mask)
    assert out16.dtype == np.float16 and _finite(out16)
    out32 = full(input_ids=IDS, attention_mask=MASK)
    np.testing.assert_allclose(out16.numpy().astype(np.float32), out32.numpy(), atol=5e-3)
    proba = half.predict_proba(input_ids=IDS, attention_mask=mask)
    assert _finite(proba)
    np.testing.assert_allclose(proba.numpy().astype(np.float32).sum(-1), 1.0, atol=2e-3)


def test_half_model_trains_on_padded_batch_without_nan(pair):
    _, half = pair
    half.train()
    try:
        loss = half.get_loss(labels=[0, 1, 2], input_ids=IDS, attention_mask=lucid.tensor(MASK.astype(np.float16)))
        loss.backward()
        assert loss.dtype == np.float16 and _finite(loss) and _grads_finite(half)
    finally:
        half.zero_grad()
        half.eval()


def test_half_additive_mask_of_float16_min_is_finite(pair):
    _, half = pair
    additive = np.where(MASK[:, None, None, :] == 1, 0.0, np.finfo(np.float16).min).astype(np.float16)
    assert _finite(half(input_ids=IDS, attention_mask=lucid.tensor(additive)))
    # scores far outside float16's range still give finite probabilities
    big = BERTForSequenceClassification(CFG, num_labels=3)
    big.bert.encoder.layer[0].attention.self.query.weight.data *= 1e4
    big = big.half().eval()
    assert _finite(big(input_ids=IDS, attention_mask=lucid.tensor(MASK.astype(np.float16))))


# ---- masked-LM batches with nothing to predict ------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_mlm_all_ignored_labels_give_zero_loss_and_zero_grads(dtype):
    model = BERTForMaskedLM(CFG)
    if dtype == "float16":
        model = model.half()
    labels = np.full(IDS.shape, -100, dtype=np.int64)
    loss = model.get_loss(labels=labels, input_ids=IDS, attention_mask=MASK)
    loss.backward()
    assert not np.isnan(float(loss.item())) and float(loss.item()) == 0.0
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads, "the backward reached no parameter"
    for g in grads:
        assert np.isfinite(g.astype(np.float64)).all() and not np.any(g)
    assert model.get_accuracy(labels=labels, input_ids=IDS, attention_mask=MASK) == 0.0


def test_mlm_nothing_selected_for_masking_gives_zero_loss():
    model = BERTForMaskedLM(CFG.replace(mask_token_id=4))
    masked, labels = model.create_masked_lm_inputs(IDS, mlm_probability=0.0, attention_mask=MASK)
    assert (labels.numpy() == -100).all()
    np.testing.assert_array_equal(masked.numpy(), IDS)
    loss = model.get_loss(labels=labels, input_ids=masked, attention_mask=MASK)
    assert float(loss.item()) == 0.0
