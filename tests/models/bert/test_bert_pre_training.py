"""BERTForPreTraining: both heads from one forward, the MLM and NSP losses in every
reduction against NumPy float64, their weighted sum, the three accuracies, masking, the
text helper, errors, and the same results on every device; and the next-sentence pair
helper of lucid.data. Against transformers: tests/parity/test_bert_family_parity.py."""

from __future__ import annotations

import numpy as np
import pytest
from family_references import cross_entropy, reduce

import lucid
from lucid.data import next_sentence_pairs
from lucid.models import BERTForMaskedLM, BERTForPreTraining


def _batch(seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(5, 120, size=(3, 8))
    mask = np.ones_like(ids)
    mask[2, 5:] = 0
    ids[mask == 0] = 0
    mlm = np.full_like(ids, -100)
    mlm[0, 2], mlm[1, [1, 4]], mlm[2, 3] = 7, (8, 9), 10
    return dict(input_ids=lucid.tensor(ids), attention_mask=lucid.tensor(mask)), mlm, np.array([0, 1, 0])


def test_forward_and_tied_decoder(tiny):
    model = BERTForPreTraining(tiny())
    enc, _, _ = _batch()
    scores, nsp = model(**enc)
    assert scores.shape == (3, 8, 120) and nsp.shape == (3, 2)
    assert model.cls.predictions.decoder.weight is model.bert.embeddings.word_embeddings.weight
    names = {n for n, _ in model.named_parameters()}
    assert {"cls.seq_relationship.weight", "cls.predictions.bias", "bert.pooler.dense.weight"} <= names
    untied = BERTForPreTraining(tiny(tie_word_embedding=False))
    assert untied.cls.predictions.decoder.weight is not untied.bert.embeddings.word_embeddings.weight


@pytest.mark.parametrize("reduction", ["mean", "sum", None])
def test_losses_against_numpy(tiny, reduction):
    model = BERTForPreTraining(tiny()).eval()
    enc, mlm, nsp = _batch()
    scores, rel = (t.numpy() for t in model(**enc))
    mlm_per, mlm_n = cross_entropy(scores.reshape(-1, 120), mlm.reshape(-1))
    nsp_per, nsp_n = cross_entropy(rel, nsp)
    want_mlm, want_nsp = reduce(mlm_per, mlm_n, reduction), reduce(nsp_per, nsp_n, reduction)
    np.testing.assert_allclose(model.get_mlm_loss(lucid.tensor(mlm), **enc, reduction=reduction).numpy(), want_mlm,
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.get_nsp_loss(lucid.tensor(nsp), **enc, reduction=reduction).numpy(), want_nsp,
                               rtol=1e-5, atol=1e-6)
    both = model.get_loss(lucid.tensor(mlm), lucid.tensor(nsp), **enc, mlm_weight=0.25, nsp_weight=3.0,
                          reduction=reduction)
    if reduction is None:
        assert both[0].shape == (24,) and both[1].shape == (3,)
        np.testing.assert_allclose(both[0].numpy(), 0.25 * want_mlm, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(both[1].numpy(), 3.0 * want_nsp, rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_allclose(both.numpy(), 0.25 * want_mlm + 3.0 * want_nsp, rtol=1e-5)


def test_loss_trains_both_heads_from_one_forward(tiny, monkeypatch):
    model = BERTForPreTraining(tiny())
    enc, mlm, nsp = _batch()
    calls = []
    forward = model.bert.forward
    monkeypatch.setattr(model.bert, "forward", lambda *a, **k: calls.append(1) or forward(*a, **k))
    loss = model.get_loss(lucid.tensor(mlm), lucid.tensor(nsp), **enc)
    mlm_acc, nsp_acc, weighted = model.get_accuracy(lucid.tensor(mlm), lucid.tensor(nsp), **enc)
    assert len(calls) == 2  # one backbone pass for the loss, one for the three accuracies
    loss.backward()
    assert model.cls.seq_relationship.weight.grad is not None and model.bert.pooler.dense.weight.grad is not None
    assert model.cls.predictions.transform.dense.weight.grad is not None


def test_accuracies(tiny):
    model = BERTForPreTraining(tiny()).eval()
    enc, mlm, nsp = _batch()
    scores, rel = (t.numpy() for t in model(**enc))
    pred_tokens = scores.argmax(-1)
    np.testing.assert_array_equal(model.predict_mlm_token_ids(**enc).numpy(), pred_tokens)
    np.testing.assert_array_equal(model.predict_nsp_labels(**enc).numpy(), rel.argmax(-1))
    mlm = np.where(mlm != -100, pred_tokens, -100)
    mlm[0, 2] = (pred_tokens[0, 2] + 1) % 120  # one of four wrong
    nsp = rel.argmax(-1)
    nsp[1] = 1 - nsp[1]  # one of three wrong
    mlm_acc, nsp_acc, weighted = model.get_accuracy(lucid.tensor(mlm), lucid.tensor(nsp), **enc, mlm_weight=1.0,
                                                    nsp_weight=3.0)
    for acc in (mlm_acc, nsp_acc, weighted):
        assert acc.shape == () and acc.dtype == np.float32
    assert mlm_acc.item() == pytest.approx(0.75) and nsp_acc.item() == pytest.approx(2 / 3)
    assert weighted.item() == pytest.approx((0.75 + 3 * 2 / 3) / 4)
    assert model.get_mlm_accuracy(lucid.tensor(mlm), **enc).item() == pytest.approx(0.75)
    assert model.get_nsp_accuracy(lucid.tensor(nsp), **enc).item() == pytest.approx(2 / 3)
    assert model.get_mlm_accuracy(lucid.tensor(np.full_like(mlm, -1)), **enc, ignore_index=-1).item() == 0.0


def test_masking_is_the_masked_lm_models(tiny):
    assert BERTForPreTraining.create_masked_lm_inputs is BERTForMaskedLM.create_masked_lm_inputs
    model = BERTForPreTraining(tiny(mask_token_id=4))
    ids = lucid.tensor(np.random.default_rng(3).integers(5, 120, size=(4, 30)))
    masked, labels = model.create_masked_lm_inputs(ids, mlm_probability=0.5)
    changed = masked.numpy() != ids.numpy()
    assert np.all(labels.numpy()[changed] == ids.numpy()[changed]) and (labels.numpy() != -100).mean() > 0.3


def test_text_helper(tiny, tokenizer):
    model = BERTForPreTraining(tiny(vocab_size=len(tokenizer.get_vocab())))
    a = ["the movie is excellent .", "machine learning helps us"]
    b = ["a movie is bad .", "build useful systems"]
    lucid.random.seed(1)
    loss = model.get_loss_from_text(tokenizer, a, b, nsp_label=[0, 1], mlm_probability=0.5)
    assert loss.shape == () and loss.item() > 0
    loss.backward()
    lucid.random.seed(1)
    again = model.get_loss_from_text(tokenizer, a, b, nsp_label=[0, 1], mlm_probability=0.5)
    assert again.item() == pytest.approx(loss.item())  # masking follows lucid.random
    mlm_part, nsp_part = model.get_loss_from_text(tokenizer, a, b, reduction=None)
    assert nsp_part.shape == (2,) and mlm_part.ndim == 1
    nsp_only = model.eval().get_loss_from_text(tokenizer, a, b, mlm_weight=0.0, mlm_probability=0.0)
    enc = tokenizer.batch_encode_plus(a, b)
    with lucid.no_grad():
        proba = model.eval()(enc["input_ids"], enc["attention_mask"], enc["token_type_ids"])[1]
    want = -np.log(np.exp(proba.numpy())[:, 0] / np.exp(proba.numpy()).sum(-1)).mean()
    assert nsp_only.item() == pytest.approx(want, rel=1e-5)


def test_errors(tiny):
    model = BERTForPreTraining(tiny())
    enc, mlm, nsp = _batch()
    with pytest.raises(ValueError, match=r"mlm_labels must be in \[0, 120\) or -100 \(ignore_index\), got 500"):
        model.get_mlm_loss(lucid.tensor(np.where(mlm == 7, 500, mlm)), **enc)
    with pytest.raises(ValueError, match=r"mlm_labels of shape \(3, 7\) do not match the input's shape \(3, 8\)"):
        model.get_loss(lucid.tensor(mlm[:, :7]), lucid.tensor(nsp), **enc)
    with pytest.raises(ValueError, match=r"nsp_labels must be in \[0, 2\), got 3"):
        model.get_nsp_loss([0, 3, 1], **enc)
    with pytest.raises(ValueError, match="mlm_weight must be a finite number >= 0, got -1"):
        model.get_loss(lucid.tensor(mlm), lucid.tensor(nsp), **enc, mlm_weight=-1)
    with pytest.raises(ValueError, match="both 0"):
        model.get_accuracy(lucid.tensor(mlm), lucid.tensor(nsp), **enc, mlm_weight=0, nsp_weight=0)
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or None, got 'none!'"):
        model.get_mlm_loss(lucid.tensor(mlm), **enc, reduction="none!")
    with pytest.raises(ValueError, match="add_pooling_layer must be True, got False"):
        BERTForPreTraining(tiny(add_pooling_layer=False))


def test_same_results_on_every_device(model_pair, device):
    cpu, model = model_pair(BERTForPreTraining)
    enc, mlm, nsp = _batch()
    enc_d = {k: v.to(device) for k, v in enc.items()}
    for a, b in zip(model(**enc_d), cpu(**enc)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-4)
    args = (lucid.tensor(mlm), lucid.tensor(nsp))
    loss = model.get_loss(*(t.to(device) for t in args), **enc_d)
    assert loss.item() == pytest.approx(cpu.get_loss(*args, **enc).item(), abs=1e-4)
    loss.backward()
    per = model.get_loss(*(t.to(device) for t in args), **enc_d, reduction=None)
    assert per[0].device == device
    accs = model.get_accuracy(*(t.to(device) for t in args), **enc_d)
    assert [a.item() for a in accs] == pytest.approx([a.item() for a in cpu.get_accuracy(*args, **enc)])


# ---- next-sentence pairs ---------------------------------------------------------------------------
DOCS = [[f"doc {d} sentence {s}." for s in range(n)] for d, n in enumerate([6, 1, 9, 4, 0, 7])]


def test_next_sentence_pairs():
    a, b, labels = next_sentence_pairs(DOCS, seed=3)
    assert len(a) == len(b) == len(labels) == 5 + 0 + 8 + 3 + 0 + 6
    where = {s: (d, i) for d, doc in enumerate(DOCS) for i, s in enumerate(doc)}
    for x, y, label in zip(a, b, labels):
        (dx, ix), (dy, iy) = where[x], where[y]
        if label == 0:
            assert (dy, iy) == (dx, ix + 1)
        else:
            assert label == 1 and dy != dx  # a random sentence of another document
    firsts = [where[x] for x in a]
    assert firsts == sorted(firsts)  # document and sentence order
    assert next_sentence_pairs(DOCS, seed=3) == (a, b, labels)  # reproducible
    lucid.random.seed(5)
    first = next_sentence_pairs(DOCS)
    lucid.random.seed(5)
    assert next_sentence_pairs(DOCS) == first  # under lucid.random.seed
    # about half are random over many documents
    many = [[f"{d} {s}" for s in range(20)] for d in range(50)]
    share = np.mean(next_sentence_pairs(many, seed=0)[2])
    assert abs(share - 0.5) < 5 * np.sqrt(0.25 / (50 * 19))
    assert set(next_sentence_pairs(many, seed=0, random_fraction=0.0)[2]) == {0}
    texts = next_sentence_pairs(["one.\ntwo.\n\nthree.", ["x.", "y."]], seed=0)[0]
    assert texts == ["one.", "two.", "x."]  # a string document is one sentence per line


def test_next_sentence_pair_errors():
    with pytest.raises(ValueError, match="at least 2 non-empty documents, got 1"):
        next_sentence_pairs([["a.", "b."], []])
    with pytest.raises(TypeError, match="document 1 must be a list of sentences or a string of lines, got int"):
        next_sentence_pairs([["a."], 5])
    with pytest.raises(TypeError, match="documents must be a list of documents, got str"):
        next_sentence_pairs("a.\nb.")
    with pytest.raises(ValueError, match=r"random_fraction must be a probability in \[0, 1\], got 1.5"):
        next_sentence_pairs(DOCS, random_fraction=1.5)
    assert next_sentence_pairs([["a.", "b."]], random_fraction=0.0) == (["a."], ["b."], [0])


@pytest.mark.parametrize("cls", ["BERTForPreTraining", "BERTForCausalLM", "BERTForNextSentencePrediction",
                                 "BERTForTokenClassification", "BERTForQuestionAnswering"])
def test_shared_embedding_methods(tiny, cls):
    import lucid.models as models
    import lucid.nn as nn

    model = getattr(models, cls)(tiny(is_decoder=cls == "BERTForCausalLM"))
    assert model.get_input_embeddings() is model.bert.embeddings.word_embeddings
    emb = nn.Embedding(120, 32)
    model.set_input_embeddings(emb)
    assert model.get_input_embeddings() is emb
    if cls in ("BERTForPreTraining", "BERTForCausalLM"):
        decoder = model.get_output_embeddings()
        assert decoder is model.cls.predictions.decoder and decoder.weight is emb.weight  # re-tied
        fc = nn.Linear(32, 120)
        model.set_output_embeddings(fc)
        assert model.get_output_embeddings() is fc and model.cls.predictions.bias is fc.bias
        assert fc.weight is emb.weight  # tie_weights: config.tie_word_embedding
    else:
        assert model.get_output_embeddings() is None
        with pytest.raises(TypeError, match=f"{cls} has no LM head"):
            model.set_output_embeddings(nn.Linear(32, 120))
