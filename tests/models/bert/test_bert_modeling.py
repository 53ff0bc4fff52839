"""The BERT backbone (lucid.models.bert.modeling): structure, Hugging Face names and
initialisation, attention masks, padding, graph building and the backbone's input errors
(tiny configs from conftest.py)."""

from __future__ import annotations

import numpy as np
import pytest

import lucid
from lucid.models import BERT, BERTForMaskedLM, BERTForSequenceClassification


def test_backbone_outputs_and_optional_pooler(tiny, random_ids):
    model = BERT(tiny()).eval()
    seq, pooled = model(input_ids=random_ids())
    assert seq.shape == (3, 9, 32) and pooled.shape == (3, 32)
    assert seq.dtype == np.float32
    seq, pooled = BERT(tiny(add_pooling_layer=False))(input_ids=random_ids())
    assert pooled is None and seq.shape == (3, 9, 32)
    assert BERT(tiny(), add_pooling_layer=False).pooler is None


def test_parameter_names_equal_transformers(tiny, tiny_kwargs):
    transformers = pytest.importorskip("transformers")
    hf_cfg = transformers.BertConfig(**tiny_kwargs)
    for ours, theirs in ((BERTForMaskedLM(tiny()), transformers.BertForMaskedLM(hf_cfg)),
                         (BERTForSequenceClassification(tiny()), transformers.BertForSequenceClassification(hf_cfg)),
                         (BERT(tiny()), transformers.BertModel(hf_cfg))):
        assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
        shapes = {n: tuple(p.shape) for n, p in theirs.named_parameters()}
        assert {n: p.shape for n, p in ours.named_parameters()} == shapes


def test_initialisation_follows_huggingface(tiny):
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


def test_repr_shows_the_tree(tiny):
    text = repr(BERTForMaskedLM(tiny(num_hidden_layers=1)))
    assert text.startswith("BERTForMaskedLM(")
    for part in ("(bert): BERT(", "(word_embeddings): Embedding(120, 32", "(query): Linear(", "(cls): BERTOnlyMLMHead("):
        assert part in text


def _seq(model, **kw):
    return model(**kw)[0].numpy()


def test_mask_forms_agree(tiny, random_ids):
    model = BERT(tiny()).eval()
    ids = random_ids(2, 6)
    m2 = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 0]])
    ref = _seq(model, input_ids=ids, attention_mask=lucid.tensor(m2))
    for mask in (m2.astype(bool), m2.astype(np.float32), m2.tolist()):
        np.testing.assert_array_equal(_seq(model, input_ids=ids, attention_mask=mask if isinstance(mask, list) else
                                           lucid.tensor(mask)), ref)
    # a 2-D padding mask runs packed (zeros at padding); 3-D/4-D masks compute every position
    real = m2[..., None]
    m3 = np.repeat(m2[:, None, :], 6, axis=1)
    np.testing.assert_allclose(_seq(model, input_ids=ids, attention_mask=lucid.tensor(m3)) * real, ref, atol=1e-6)
    m4 = m3[:, None].astype(bool)
    np.testing.assert_allclose(_seq(model, input_ids=ids, attention_mask=lucid.tensor(m4)) * real, ref, atol=1e-6)
    additive = np.where(m4, 0.0, np.finfo(np.float32).min).astype(np.float32)
    np.testing.assert_allclose(_seq(model, input_ids=ids, attention_mask=lucid.tensor(additive)) * real, ref, atol=1e-6)
    # -10000, the value of older BERT code, is close enough to act as a mask too
    additive = np.where(m4, 0.0, -10000.0).astype(np.float32)
    np.testing.assert_allclose(_seq(model, input_ids=ids, attention_mask=lucid.tensor(additive)) * real, ref, atol=1e-5)
    unmasked = _seq(model, input_ids=ids)
    assert np.abs(unmasked - ref).max() > 1e-3  # the mask does change something


def test_masked_positions_use_the_most_negative_finite_value():
    from lucid.models.bert.modeling import extended_attention_mask

    for dtype in (np.float32, np.float16, np.float64):
        m = extended_attention_mask(lucid.tensor([[1, 0, 1]]), 1, 3, dtype, "cpu")
        assert m.dtype == dtype and m.shape == (1, 1, 1, 3)
        assert m.numpy()[0, 0, 0].tolist() == [0.0, float(np.finfo(dtype).min), 0.0]


def test_fully_padded_row_stays_finite(device, tiny, random_ids):
    model = BERTForSequenceClassification(tiny()).to(device).eval()
    mask = lucid.tensor([[1, 1, 1, 0], [0, 0, 0, 0]], device=device)
    logits = model(input_ids=random_ids(2, 4, device=device), attention_mask=mask)
    assert logits.device == device and np.all(np.isfinite(logits.numpy()))
    half = BERT(tiny()).to(device).eval().half()
    seq, pooled = half(input_ids=random_ids(2, 4, device=device), attention_mask=mask)
    assert seq.dtype == np.float16 and np.all(np.isfinite(seq.numpy())) and np.all(np.isfinite(pooled.numpy()))
    # a float16 classifier too, with one row fully masked
    model.half()
    ids = lucid.tensor([[2, 7, 8, 3], [0, 0, 0, 0]], device=device)
    logits = model(input_ids=ids, attention_mask=lucid.tensor([[1, 1, 1, 1], [0, 0, 0, 0]], device=device))
    assert logits.dtype == np.float16 and np.all(np.isfinite(logits.numpy()))


@pytest.mark.parametrize("cls", [BERTForMaskedLM, BERTForSequenceClassification])
def test_padding_invariance(cls, tiny):
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


def test_no_graph_under_no_grad(tiny, random_ids):
    model = BERTForMaskedLM(tiny())
    with lucid.no_grad():
        out = model(input_ids=random_ids())
    assert not out.requires_grad and out._node is None
    out = model(input_ids=random_ids())
    assert out.requires_grad


def test_token_type_and_position_defaults_match_explicit_ones(tiny, random_ids):
    model = BERT(tiny(type_vocab_size=3)).eval()
    ids = random_ids(2, 7)
    ref = _seq(model, input_ids=ids)
    explicit = _seq(model, input_ids=ids, token_type_ids=lucid.zeros(2, 7, dtype=lucid.Int64),
                    position_ids=lucid.arange(7).reshape(1, 7))
    np.testing.assert_allclose(explicit, ref, atol=1e-6)
    other = _seq(model, input_ids=ids, token_type_ids=lucid.full((2, 7), 2))
    assert np.abs(other - ref).max() > 1e-3


def test_backbone_input_errors(tiny, random_ids):
    model = BERT(tiny())
    with pytest.raises(ValueError, match="exactly one of input_ids and inputs_embeds"):
        model()
    with pytest.raises(ValueError, match="exactly one"):
        model(input_ids=random_ids(), inputs_embeds=lucid.zeros(3, 9, 32))
    with pytest.raises(ValueError, match="max_position_embeddings=32"):
        model(input_ids=random_ids(1, 33))
    with pytest.raises(TypeError, match="integer"):
        model(input_ids=lucid.ones(2, 3))
    with pytest.raises(ValueError, match=r"attention_mask of shape \(2, 5\)"):
        model(input_ids=random_ids(2, 4), attention_mask=lucid.ones(2, 5))
    with pytest.raises(ValueError, match="2, 3 or 4 dimensions"):
        model(input_ids=random_ids(2, 4), attention_mask=lucid.ones(4))
    with pytest.raises(ValueError, match=r"inputs_embeds must have shape \(batch, sequence, 32\)"):
        model(inputs_embeds=lucid.zeros(2, 3, 8))
    with pytest.raises(TypeError, match="BERTConfig"):
        BERT({"hidden_size": 32})
