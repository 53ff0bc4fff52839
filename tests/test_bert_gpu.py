"""BERT on the GPU (CuPy): the same results as on the CPU and as transformers.

Every test here is marked ``gpu``; tests/conftest.py skips them where no CUDA GPU with CuPy
exists.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

import lucid
from lucid.models import BERTConfig, BERTForMaskedLM, BERTForSequenceClassification, BERTTokenizerFast

pytestmark = pytest.mark.gpu

TINY = dict(vocab_size=120, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=48,
            max_position_embeddings=32, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "movie", "is", "excellent", "bad", "machine",
         "learning", "helps", "us", "build", "useful", "systems", "."]


def _batch(seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(5, 120, size=(3, 10))
    mask = np.ones_like(ids)
    mask[1, 6:] = 0
    mask[2, 3:] = 0
    ids[mask == 0] = 0
    return ids, mask


def _pair(cls, **kw):
    lucid.random.seed(0)
    cpu = cls(BERTConfig(**TINY), **kw)
    gpu = copy.deepcopy(cpu).to("gpu")
    return cpu, gpu


def test_masked_lm_forward_loss_and_grads_match_cpu():
    cpu, gpu = _pair(BERTForMaskedLM)
    assert gpu.device == "gpu" and gpu.cls.predictions.decoder.weight is gpu.bert.embeddings.word_embeddings.weight
    ids, mask = _batch()
    labels = np.full_like(ids, -100)
    labels[0, 2], labels[1, 4], labels[2, 1] = 9, 17, 100
    outs = {}
    for dev, model in (("cpu", cpu), ("gpu", gpu)):
        kw = dict(input_ids=lucid.tensor(ids, device=dev), attention_mask=lucid.tensor(mask, device=dev))
        logits = model(**kw)
        assert logits.device == dev
        loss = model.get_loss(labels=lucid.tensor(labels, device=dev), **kw)
        loss.backward()
        outs[dev] = (logits.numpy(), loss.item(), {n: lucid.Tensor(p.grad).numpy() for n, p in model.named_parameters()})
    np.testing.assert_allclose(outs["gpu"][0], outs["cpu"][0], atol=1e-4)
    assert abs(outs["gpu"][1] - outs["cpu"][1]) < 1e-5
    for name, g in outs["cpu"][2].items():
        np.testing.assert_allclose(outs["gpu"][2][name], g, atol=1e-5, err_msg=name)


def test_classification_and_predictions_match_cpu():
    cpu, gpu = _pair(BERTForSequenceClassification, num_labels=3)
    ids, mask = _batch(1)
    res = {}
    for dev, model in (("cpu", cpu), ("gpu", gpu)):
        kw = dict(input_ids=lucid.tensor(ids, device=dev), attention_mask=lucid.tensor(mask, device=dev))
        res[dev] = (model(**kw).numpy(), model.predict_proba(**kw).numpy(), model.predict_labels(**kw).numpy(),
                    model.get_loss(labels=[0, 2, 1], **kw).item(), model.get_accuracy(labels=[0, 2, 1], **kw))
    for a, b in zip(res["gpu"], res["cpu"]):
        np.testing.assert_allclose(a, b, atol=1e-4)


def test_from_text_defaults_to_the_model_device():
    tok = BERTTokenizerFast(vocab={w: i for i, w in enumerate(WORDS)})
    cpu, gpu = _pair(BERTForSequenceClassification)
    texts = ["the movie is excellent", "the movie is bad ."]
    pred = gpu.predict_labels_from_text(tokenizer=tok, text_a=texts, device="gpu")
    assert pred.device == "gpu"
    np.testing.assert_array_equal(pred.numpy(), cpu.predict_labels_from_text(tok, texts).numpy())
    np.testing.assert_allclose(gpu.predict_proba_from_text(tok, texts).numpy(),
                               cpu.predict_proba_from_text(tok, texts).numpy(), atol=1e-5)
    loss = gpu.get_loss_from_text(tokenizer=tok, text_a="the movie is excellent .", labels=1, device="gpu")
    assert loss.device == "gpu"
    # another device than the model's moves the model (the seed pages call a fresh CPU model with "gpu")
    moving = copy.deepcopy(cpu)
    with pytest.warns(UserWarning, match="device='gpu'.*model is on 'cpu'"):
        pred = moving.predict_labels_from_text(tok, texts, device="gpu")
    assert moving.device == "gpu" and pred.device == "gpu"
    np.testing.assert_array_equal(pred.numpy(), cpu.predict_labels_from_text(tok, texts).numpy())
    mlm_cpu, mlm_gpu = _pair(BERTForMaskedLM)
    loss = mlm_gpu.get_loss_from_text(tokenizer=tok, text_a="machine learning helps us build useful systems .",
                                      text_b="the movie", device="gpu", mlm_probability=0.5)
    assert loss.device == "gpu" and np.isfinite(loss.item())
    pred_ids = mlm_gpu.predict_token_ids_from_text(tokenizer=tok, text_a="machine learning is [MASK] .", device="gpu")
    np.testing.assert_array_equal(pred_ids.numpy(),
                                  mlm_cpu.predict_token_ids_from_text(tok, "machine learning is [MASK] .").numpy())


def test_masking_on_gpu():
    _, gpu = _pair(BERTForMaskedLM)
    rng = np.random.default_rng(0)
    ids = rng.integers(5, 100, size=(200, 64))
    ids[:, 0], ids[:, -1] = 101, 102
    lucid.random.seed(3)
    masked, labels = gpu.create_masked_lm_inputs(lucid.tensor(ids, device="gpu"))
    assert masked.device == "gpu" and labels.device == "gpu"
    masked, labels = masked.numpy(), labels.numpy()
    sel = labels != -100
    assert not sel[:, 0].any() and not sel[:, -1].any()
    assert abs(sel[:, 1:-1].mean() - 0.15) < 0.01
    assert abs((masked[sel] == 103).mean() - 0.8) < 0.03
    lucid.random.seed(3)
    again = gpu.create_masked_lm_inputs(lucid.tensor(ids, device="gpu"))[1].numpy()
    np.testing.assert_array_equal(again, labels)


def test_float16_fully_padded_row_stays_finite():
    _, gpu = _pair(BERTForSequenceClassification)
    gpu.half().eval()
    ids = lucid.tensor([[2, 7, 8, 3], [0, 0, 0, 0]], device="gpu")
    mask = lucid.tensor([[1, 1, 1, 1], [0, 0, 0, 0]], device="gpu")
    logits = gpu(input_ids=ids, attention_mask=mask)
    assert logits.dtype == np.float16 and np.all(np.isfinite(logits.numpy()))


def test_seed_page_calls_on_a_fresh_model():
    """As the seed pages write them: a CPU-built model called with device="gpu"."""
    tok = BERTTokenizerFast(vocab={w: i for i, w in enumerate(WORDS)})
    import lucid.models as models

    model = models.bert_for_masked_lm_base(**TINY)
    with pytest.warns(UserWarning):
        loss = model.get_loss_from_text(tokenizer=tok, text_a="Machine learning helps us build useful systems.",
                                        text_b="the movie is excellent.", device="gpu")
    pred_ids = model.predict_token_ids_from_text(tokenizer=tok, text_a="Machine learning is [MASK].", device="gpu")
    assert loss.device == "gpu" and pred_ids.device == "gpu"
    loss.backward()
    assert model.bert.embeddings.word_embeddings.weight.grad is not None
    clf = models.bert_for_sequence_classification_base(num_labels=2, **TINY)
    with pytest.warns(UserWarning):
        loss = clf.get_loss_from_text(tokenizer=tok, text_a="This movie is excellent.", labels=1, device="gpu")
    pred = clf.predict_labels_from_text(tokenizer=tok, text_a="This movie is excellent.", device="gpu")
    assert loss.device == "gpu" and pred.device == "gpu"


def test_checkpoint_to_gpu_matches_transformers(tmp_path):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    hf = transformers.BertForMaskedLM(transformers.BertConfig(**TINY, attn_implementation="eager")).eval()
    hf.save_pretrained(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = BERTForMaskedLM.from_pretrained(tmp_path, device="gpu")
    assert model.device == "gpu"
    ids, mask = _batch(2)
    with torch.no_grad():
        ref = hf(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask)).logits.numpy()
    got = model(input_ids=lucid.tensor(ids, device="gpu"), attention_mask=lucid.tensor(mask, device="gpu")).numpy()
    np.testing.assert_allclose(got, ref, atol=1e-4)
    model.save_pretrained(tmp_path / "back")
    again = transformers.BertForMaskedLM.from_pretrained(tmp_path / "back").eval()
    with torch.no_grad():
        np.testing.assert_allclose(again(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask)).logits.numpy(),
                                   ref, atol=1e-6)
