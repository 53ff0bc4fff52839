"""BERTForCausalLM: next-token logits, the shifted loss in every reduction against NumPy
float64, accuracy and perplexity, next-token predictions, the text helpers, generation
(greedy equal to recomputing the whole sequence each step, eos padding, sampling filters
and reproducibility), errors, and the same results on every device. Against transformers
(including its greedy generate): tests/parity/test_bert_family_parity.py."""

from __future__ import annotations

import numpy as np
import pytest
from family_references import cross_entropy, reduce

import lucid
from lucid.models import BERTConfig, BERTForCausalLM, BERTForMaskedLM
from lucid.models.bert.causal_lm import sample_next


@pytest.fixture
def lm(tiny):
    lucid.random.seed(0)
    return BERTForCausalLM(tiny(is_decoder=True, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)).eval()


def _batch():
    ids = np.random.default_rng(0).integers(5, 120, size=(3, 7))
    mask = np.ones_like(ids)
    mask[1, 5:] = 0
    mask[2, 3:] = 0
    ids[mask == 0] = 0
    return dict(input_ids=lucid.tensor(ids), attention_mask=lucid.tensor(mask)), np.where(mask == 1, ids, -100)


def test_needs_a_decoder_config(tiny):
    with pytest.raises(ValueError, match="BERTForCausalLM needs config.is_decoder=True"):
        BERTForCausalLM(tiny())


@pytest.mark.parametrize("shift", [True, False])
@pytest.mark.parametrize("reduction", ["mean", "sum", None])
def test_loss_against_numpy(lm, shift, reduction):
    enc, labels = _batch()
    logits = lm(**enc).numpy()
    assert logits.shape == (3, 7, 120)
    target = np.concatenate([labels[:, 1:], np.full((3, 1), -100)], 1) if shift else labels
    per, n = cross_entropy(logits.reshape(-1, 120), target.reshape(-1))
    loss = lm.get_loss(lucid.tensor(labels), **enc, shift_labels=shift, reduction=reduction)
    np.testing.assert_allclose(loss.numpy(), reduce(per, n, reduction), rtol=1e-5, atol=1e-6)
    if reduction == "mean":
        perplexity = lm.get_perplexity(lucid.tensor(labels), **enc, shift_labels=shift)
        assert perplexity.shape == () and perplexity.item() == pytest.approx(np.exp(per.sum() / n), rel=1e-5)
    other = np.where(labels == -100, -7, labels)
    again = lm.get_loss(lucid.tensor(other), **enc, shift_labels=shift, ignore_index=-7, reduction=reduction)
    np.testing.assert_allclose(again.numpy(), loss.numpy(), rtol=1e-6)


def test_accuracy_and_predictions(lm):
    enc, labels = _batch()
    logits = lm(**enc).numpy()
    pred = logits.argmax(-1)
    np.testing.assert_array_equal(lm.predict_token_ids(**enc).numpy(), pred)
    target = np.full_like(labels, -100)
    target[:, 1:] = np.where(labels[:, 1:] != -100, pred[:, :-1], -100)  # what each position predicts
    target[0, 3] = (target[0, 3] + 1) % 120  # one of 6 + 4 + 2 scored positions wrong
    acc = lm.get_accuracy(lucid.tensor(target), **enc)
    assert acc.shape == () and acc.dtype == np.float32 and acc.item() == pytest.approx(11 / 12)
    unshifted = np.where(labels != -100, pred, -100)
    assert lm.get_accuracy(lucid.tensor(unshifted), **enc, shift_labels=False).item() == 1.0
    # the next token of each row is read at its last real position
    last = enc["attention_mask"].numpy().sum(1) - 1
    np.testing.assert_allclose(lm.get_next_token_logits(**enc).numpy(), logits[np.arange(3), last], atol=1e-5)
    np.testing.assert_array_equal(lm.predict_next_token_id(**enc).numpy(), pred[np.arange(3), last])


def test_text_helpers(tiny, tokenizer):
    model = BERTForCausalLM(tiny(is_decoder=True, vocab_size=len(tokenizer.get_vocab()))).eval()
    texts = ["the movie is excellent .", "machine learning"]
    enc = tokenizer.batch_encode_plus(texts)
    ids, mask = enc["input_ids"].numpy(), enc["attention_mask"].numpy()
    want = model.get_loss(lucid.tensor(np.where(mask == 1, ids, -100)), enc["input_ids"], enc["attention_mask"])
    assert model.get_loss_from_text(tokenizer, texts).item() == pytest.approx(want.item())
    per = model.get_loss_from_text(tokenizer, texts, reduction=None, shift_labels=False)
    assert per.shape == (ids.size,)
    # the next token is read before the closing [SEP]
    logits = model(enc["input_ids"], enc["attention_mask"]).numpy()
    before_sep = mask.sum(1) - 2
    np.testing.assert_array_equal(model.predict_next_token_id_from_text(tokenizer, texts).numpy(),
                                  logits[np.arange(2), before_sep].argmax(-1))


def _recompute(model, ids, steps, eos=None, pad=0):
    """Greedy decoding by a full forward over the whole sequence at every step (no cache)."""
    out = ids.copy()
    done = np.zeros(len(ids), dtype=bool)
    for _ in range(steps):
        nxt = model(input_ids=lucid.tensor(out)).numpy()[:, -1].argmax(-1)
        if eos is not None:
            nxt = np.where(done, pad, nxt)
            done |= nxt == eos
        out = np.concatenate([out, nxt[:, None]], 1)
        if eos is not None and done.all():
            break
    return out


def test_greedy_generate_equals_recomputing_every_step(lm):
    prompts = np.random.default_rng(1).integers(5, 120, size=(3, 4))
    ours = lm.generate(lucid.tensor(prompts), 10).numpy()
    assert ours.shape == (3, 14) and ours.dtype == np.int64
    np.testing.assert_array_equal(ours, _recompute(lm, prompts, 10))
    np.testing.assert_array_equal(lm.generate(prompts[0].tolist(), 3).numpy(), ours[:1, :7])  # a 1-D prompt
    eos = int(ours[0, 6])  # row 0 stops after 3 new tokens
    stopped = lm.generate(lucid.tensor(prompts), 10, eos_token_id=eos).numpy()
    np.testing.assert_array_equal(stopped, _recompute(lm, prompts, 10, eos=eos))
    assert np.all(stopped[0, 7:] == 0)  # padded with pad_token_id after its eos
    assert lm.generate(lucid.tensor(prompts), 0).numpy().tolist() == prompts.tolist()
    assert lm.training is False


def test_generate_with_left_padding(lm):
    prompts = np.random.default_rng(2).integers(5, 120, size=(2, 5))
    mask = np.array([[0, 0, 1, 1, 1], [1, 1, 1, 1, 1]])
    padded = lm.generate(lucid.tensor(np.where(mask == 1, prompts, 0)), 4, attention_mask=lucid.tensor(mask))
    alone = lm.generate(lucid.tensor(prompts[:1, 2:]), 4)
    np.testing.assert_array_equal(padded.numpy()[0, 5:], alone.numpy()[0, 3:])  # padding changes nothing


def test_sampling(lm):
    prompts = lucid.tensor(np.random.default_rng(3).integers(5, 120, size=(2, 4)))
    lucid.random.seed(11)
    a = lm.generate(prompts, 8, do_sample=True, temperature=1.5).numpy()
    lucid.random.seed(11)
    b = lm.generate(prompts, 8, do_sample=True, temperature=1.5).numpy()
    np.testing.assert_array_equal(a, b)  # reproducible under lucid.random.seed
    greedy = lm.generate(prompts, 8).numpy()
    np.testing.assert_array_equal(lm.generate(prompts, 8, do_sample=True, top_k=1).numpy(), greedy)
    np.testing.assert_array_equal(lm.generate(prompts, 8, do_sample=True, top_p=1e-6).numpy(), greedy)
    assert not np.array_equal(a, greedy)


def test_sample_next_follows_the_filtered_distribution():
    probs = np.array([0.4, 0.3, 0.15, 0.1, 0.05])
    logits = np.log(probs)[None].repeat(20000, 0)
    rng = np.random.default_rng(0)
    for top_k, top_p, keep in ((None, None, 5), (3, None, 3), (None, 0.65, 2), (3, 0.9, 3), (None, 0.7, 2)):
        draws = sample_next(logits, rng, top_k=top_k, top_p=top_p)
        freq = np.bincount(draws, minlength=5) / len(draws)
        want = np.where(np.arange(5) < keep, probs, 0)
        want /= want.sum()
        assert np.all(freq[keep:] == 0), (top_k, top_p)
        np.testing.assert_allclose(freq, want, atol=5 * np.sqrt(0.25 / len(draws)))
    hot = sample_next(logits[:2000], rng, temperature=0.01)
    assert np.all(hot == 0)  # a low temperature sharpens towards the argmax


def test_generate_errors(lm):
    ids = lucid.tensor([[5, 6, 7]])
    with pytest.raises(ValueError, match="a prompt of 3 tokens plus max_new_tokens=30 exceeds max_position_embeddings=32"):
        lm.generate(ids, 30)
    with pytest.raises(ValueError, match="pads a prompt on the right"):
        lm.generate(ids, 2, attention_mask=lucid.tensor([[1, 1, 0]]))
    with pytest.raises(ValueError, match="a row without any token"):
        lm.generate(ids, 2, attention_mask=lucid.tensor([[0, 0, 0]]))
    with pytest.raises(ValueError, match=r"attention_mask of shape \(1, 2\) does not match the prompts' shape"):
        lm.generate(ids, 2, attention_mask=lucid.tensor([[1, 1]]))
    for kw, message in ((dict(temperature=0.0), "temperature must be a finite number > 0, got 0.0"),
                        (dict(top_k=0), "top_k must be None or an int >= 1, got 0"),
                        (dict(top_p=1.5), r"top_p must be None or a number in \(0, 1\], got 1.5")):
        with pytest.raises(ValueError, match=message):
            lm.generate(ids, 2, do_sample=True, **kw)
    with pytest.raises(ValueError, match="max_new_tokens must be an int >= 0, got -1"):
        lm.generate(ids, -1)


def test_checkpoints(tiny, tmp_path):
    lm = BERTForCausalLM(tiny(is_decoder=True))
    assert lm.cls.predictions.decoder.weight is lm.bert.embeddings.word_embeddings.weight
    assert lm.bert.pooler is None
    lm.save_pretrained(tmp_path / "lm")
    again = BERTForCausalLM.from_pretrained(tmp_path / "lm")
    assert again.config.is_decoder
    # a masked-LM (encoder) folder becomes a decoder, with a warning saying so
    BERTForMaskedLM(tiny()).save_pretrained(tmp_path / "mlm")
    with pytest.warns(UserWarning, match="is_decoder=False; BERTForCausalLM sets it to True"):
        decoder = BERTForCausalLM.from_pretrained(tmp_path / "mlm")
    assert decoder.config.is_decoder
    assert BERTConfig.from_pretrained(tmp_path / "lm").is_decoder


def test_same_results_on_every_device(tiny, device):
    import copy

    cpu = BERTForCausalLM(tiny(is_decoder=True, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)).eval()
    model = copy.deepcopy(cpu).to(device)
    enc, labels = _batch()
    enc_d = {k: v.to(device) for k, v in enc.items()}
    np.testing.assert_allclose(model(**enc_d).numpy(), cpu(**enc).numpy(), atol=1e-4)
    loss = model.get_loss(lucid.tensor(labels, device=device), **enc_d)
    assert loss.item() == pytest.approx(cpu.get_loss(lucid.tensor(labels), **enc).item(), abs=1e-5)
    loss.backward()
    prompts = lucid.tensor(np.random.default_rng(4).integers(5, 120, size=(2, 4)))
    np.testing.assert_array_equal(model.generate(prompts.to(device), 6).numpy(), cpu.generate(prompts, 6).numpy())
    lucid.random.seed(2)
    sampled = model.generate(prompts.to(device), 6, do_sample=True, top_k=5)
    assert sampled.device == device and sampled.shape == (2, 10)
    np.testing.assert_allclose(model.get_next_token_logits(**enc_d).numpy(), cpu.get_next_token_logits(**enc).numpy(),
                               atol=1e-4)
