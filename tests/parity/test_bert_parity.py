"""Lucid's BERT against Hugging Face transformers on random-weight checkpoints built here.

For several tiny configs, transformers builds a model, its weights are perturbed (so biases
and LayerNorm parameters are not trivially 0/1) and saved with safetensors; lucid loads the
folder and must give the same logits, losses and parameter gradients (eval mode, and train
mode with dropout 0). A folder lucid saves must load in transformers with equal logits.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import lucid
from lucid.models import BERT, BERTForMaskedLM, BERTForSequenceClassification

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from hf_reference import ATOL, CONFIGS, GRAD_ATOL, at_real_positions, hf_model as _hf_model  # noqa: E402

MAX_DIFFS: dict[str, float] = {}


def _record(kind, diff):
    MAX_DIFFS[kind] = max(MAX_DIFFS.get(kind, 0.0), float(diff))


def _save(model, folder):
    model.save_pretrained(folder, safe_serialization=True)
    return folder


def _inputs(cfg, seed=1, batch=3, seq=11, pad_rows=True):
    rng = np.random.default_rng(seed)
    ids = rng.integers(2, cfg["vocab_size"], size=(batch, seq))
    mask = np.ones((batch, seq), dtype=np.int64)
    if pad_rows:
        mask[1, 7:] = 0
        mask[2, 4:] = 0
        ids[mask == 0] = cfg.get("pad_token_id", 0)
    types = rng.integers(0, cfg["type_vocab_size"], size=(batch, seq))
    return ids.astype(np.int64), mask, types.astype(np.int64)


def _load_quiet(cls, folder, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an HF folder of the same architecture matches every key
        return cls.from_pretrained(folder, **kw)


def _grads_close(lucid_model, hf_model, kind):
    hf_params = dict(hf_model.named_parameters())
    checked = 0
    for name, p in lucid_model.named_parameters():
        hp = hf_params[name]
        if hp.grad is None and name == "cls.predictions.bias":
            hp = hf_params["cls.predictions.decoder.bias"]  # transformers 5, untied: the bias it applies
        assert p.grad is not None, name
        assert hp.grad is not None, name
        diff = np.abs(p.grad - hp.grad.numpy()).max()
        _record(kind, diff)
        np.testing.assert_allclose(p.grad, hp.grad.numpy(), atol=GRAD_ATOL, rtol=1e-4, err_msg=name)
        checked += 1
    assert checked == len([p for p in hf_params.values() if p.grad is not None])


@pytest.mark.parametrize("name", list(CONFIGS))
@pytest.mark.parametrize("train", [False, True], ids=["eval", "train-dropout0"])
def test_masked_lm_logits_loss_and_grads(name, train, tmp_path):
    cfg = CONFIGS[name]
    hf = _hf_model(transformers.BertForMaskedLM, cfg)
    model = _load_quiet(BERTForMaskedLM, _save(hf, tmp_path))
    hf.train(train)
    model.train(train)
    ids, mask, types = _inputs(cfg)
    labels = np.full_like(ids, -100)
    rng = np.random.default_rng(5)
    pick = (rng.random(ids.shape) < 0.4) & (mask == 1)
    labels[pick] = rng.integers(0, cfg["vocab_size"], size=int(pick.sum()))

    out = hf(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask), token_type_ids=torch.tensor(types),
             labels=torch.tensor(labels))
    out.loss.backward()

    logits = model(input_ids=lucid.tensor(ids), attention_mask=lucid.tensor(mask), token_type_ids=lucid.tensor(types))
    diff = np.abs(logits.numpy() - at_real_positions(out.logits, mask)).max()
    _record("mlm logits", diff)
    assert diff < ATOL * 5  # logits reach |x| ~ 5
    loss = model.get_loss(labels=lucid.tensor(labels), input_ids=lucid.tensor(ids),
                          attention_mask=lucid.tensor(mask), token_type_ids=lucid.tensor(types))
    _record("mlm loss", abs(loss.item() - out.loss.item()))
    assert abs(loss.item() - out.loss.item()) < ATOL
    loss.backward()
    _grads_close(model, hf, "mlm grads")
    if cfg.get("tie_word_embeddings", True):
        assert model.cls.predictions.decoder.weight is model.bert.embeddings.word_embeddings.weight


@pytest.mark.parametrize("name", list(CONFIGS))
@pytest.mark.parametrize("train", [False, True], ids=["eval", "train-dropout0"])
def test_sequence_classification_logits_loss_and_grads(name, train, tmp_path):
    cfg = CONFIGS[name]
    hf = _hf_model(transformers.BertForSequenceClassification, cfg, num_labels=3)
    model = _load_quiet(BERTForSequenceClassification, _save(hf, tmp_path))
    assert model.num_labels == 3
    hf.train(train)
    model.train(train)
    ids, mask, types = _inputs(cfg, seed=2)
    labels = np.array([2, 0, 1])
    out = hf(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask), token_type_ids=torch.tensor(types),
             labels=torch.tensor(labels))
    out.loss.backward()
    kw = dict(input_ids=lucid.tensor(ids), attention_mask=lucid.tensor(mask), token_type_ids=lucid.tensor(types))
    logits = model(**kw)
    diff = np.abs(logits.numpy() - out.logits.detach().numpy()).max()
    _record("cls logits", diff)
    assert diff < ATOL
    loss = model.get_loss(labels=lucid.tensor(labels), **kw)
    _record("cls loss", abs(loss.item() - out.loss.item()))
    assert abs(loss.item() - out.loss.item()) < ATOL
    loss.backward()
    _grads_close(model, hf, "cls grads")
    proba = model.predict_proba(**kw).numpy()
    np.testing.assert_allclose(proba, torch.softmax(out.logits, -1).detach().numpy(), atol=ATOL)
    np.testing.assert_array_equal(model.predict_labels(**kw).numpy(), out.logits.argmax(-1).numpy())



@pytest.mark.parametrize("num_labels, problem", [(1, "regression"), (3, "multi_label_classification")])
def test_sequence_classification_regression_and_multi_label(num_labels, problem, tmp_path):
    """Hugging Face's problem_type rule on float labels (num_labels 1: mean squared error, else
    binary cross-entropy on logits): the same loss and parameter gradients as transformers."""
    cfg = CONFIGS["gelu"]
    hf = _hf_model(transformers.BertForSequenceClassification, cfg, num_labels=num_labels)
    model = _load_quiet(BERTForSequenceClassification, _save(hf, tmp_path))
    hf.train()
    model.train()
    ids, mask, types = _inputs(cfg, seed=9)
    labels = np.random.default_rng(9).random((3, num_labels)).astype(np.float32)
    labels[0] = labels[0] > 0.5  # hard targets in one row
    if num_labels == 1:
        labels = labels[:, 0] * 4 - 2  # regression targets (batch,)
    out = hf(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask), token_type_ids=torch.tensor(types),
             labels=torch.tensor(labels))
    assert hf.config.problem_type == problem
    out.loss.backward()
    loss = model.get_loss(labels=lucid.tensor(labels), input_ids=lucid.tensor(ids), attention_mask=lucid.tensor(mask),
                          token_type_ids=lucid.tensor(types))
    _record(f"cls {problem} loss", abs(loss.item() - out.loss.item()))
    assert abs(loss.item() - out.loss.item()) < ATOL
    loss.backward()
    _grads_close(model, hf, f"cls {problem} grads")


def test_backbone_sequence_and_pooled_output(tmp_path):
    cfg = CONFIGS["gelu"]
    torch.manual_seed(0)
    hf = transformers.BertModel(transformers.BertConfig(**cfg, attn_implementation="eager")).eval()
    model = _load_quiet(BERT, _save(hf, tmp_path))
    ids, mask, types = _inputs(cfg, seed=3)
    out = hf(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask), token_type_ids=torch.tensor(types))
    seq, pooled = model(input_ids=lucid.tensor(ids), attention_mask=lucid.tensor(mask),
                        token_type_ids=lucid.tensor(types))
    np.testing.assert_allclose(seq.numpy(), at_real_positions(out.last_hidden_state, mask), atol=ATOL)
    np.testing.assert_allclose(pooled.numpy(), out.pooler_output.detach().numpy(), atol=ATOL)
    # explicit position ids and no token types
    pos = np.array([[3, 2, 1, 0, 5, 6, 7, 8, 9, 10, 11]] * 3)
    out = hf(input_ids=torch.tensor(ids), position_ids=torch.tensor(pos))
    seq, _ = model(input_ids=lucid.tensor(ids), position_ids=lucid.tensor(pos))
    np.testing.assert_allclose(seq.numpy(), out.last_hidden_state.detach().numpy(), atol=ATOL)


def test_inputs_embeds_and_float64(tmp_path):
    cfg = CONFIGS["gelu"]
    hf = _hf_model(transformers.BertForMaskedLM, cfg).double().eval()
    _save(hf.float(), tmp_path)
    hf = hf.double()
    model = _load_quiet(BERTForMaskedLM, tmp_path).double()
    ids, mask, _ = _inputs(cfg, seed=4)
    emb = np.random.default_rng(0).standard_normal((3, 11, cfg["hidden_size"]))
    out = hf(inputs_embeds=torch.tensor(emb), attention_mask=torch.tensor(mask)).logits.detach().numpy()
    ours = model(inputs_embeds=lucid.tensor(emb), attention_mask=lucid.tensor(mask)).numpy()
    assert ours.dtype == np.float64
    np.testing.assert_allclose(ours, at_real_positions(out, mask), atol=1e-10)


@pytest.mark.parametrize("cls_name", ["BertForMaskedLM", "BertForSequenceClassification", "BertModel"])
def test_lucid_saved_folder_loads_in_transformers(cls_name, tmp_path):
    cfg = {k: v for k, v in CONFIGS["gelu"].items() if k in (
        "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
        "max_position_embeddings")}
    lucid.random.seed(3)
    config = lucid.models.BERTConfig(**cfg)
    if cls_name == "BertForMaskedLM":
        model = BERTForMaskedLM(config)
    elif cls_name == "BertForSequenceClassification":
        model = BERTForSequenceClassification(config, num_labels=4)
    else:
        model = BERT(config)
    # non-trivial biases and LayerNorm parameters
    with lucid.no_grad():
        for p in model.parameters():
            p.data += np.random.default_rng(p.size).standard_normal(p.shape).astype(np.float32) * 0.05
    model.eval()
    model.save_pretrained(tmp_path)
    hf_cls = getattr(transformers, cls_name)
    hf = hf_cls.from_pretrained(tmp_path, attn_implementation="eager").eval()
    assert hf.config.architectures == [cls_name]
    ids, mask, types = _inputs(cfg | {"type_vocab_size": 2}, seed=6)
    kw = dict(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask), token_type_ids=torch.tensor(types))
    ours = model(input_ids=lucid.tensor(ids), attention_mask=lucid.tensor(mask), token_type_ids=lucid.tensor(types))
    with torch.no_grad():
        out = hf(**kw)
    if cls_name == "BertModel":
        np.testing.assert_allclose(ours[0].numpy(), at_real_positions(out.last_hidden_state, mask), atol=ATOL)
        np.testing.assert_allclose(ours[1].numpy(), out.pooler_output.numpy(), atol=ATOL)
    else:
        ref = out.logits if cls_name == "BertForSequenceClassification" else at_real_positions(out.logits, mask)
        diff = np.abs(ours.numpy() - np.asarray(ref)).max()
        _record("saved->transformers logits", diff)
        assert diff < ATOL * 5
    if cls_name == "BertForSequenceClassification":
        assert hf.config.num_labels == 4
    # and lucid reads its own folder back without warnings, to identical outputs
    again = _load_quiet(type(model), tmp_path)
    back = again(input_ids=lucid.tensor(ids), attention_mask=lucid.tensor(mask), token_type_ids=lucid.tensor(types))
    a = back[0] if cls_name == "BertModel" else back
    b = ours[0] if cls_name == "BertModel" else ours
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_pretraining_checkpoint_into_masked_lm(tmp_path):
    """A BertForPreTraining folder (the layout of the original checkpoints): the MLM head loads,
    the NSP head and pooler are reported unused, and the logits equal its prediction logits."""
    cfg = CONFIGS["gelu"]
    hf = _hf_model(transformers.BertForPreTraining, cfg).eval()
    _save(hf, tmp_path)
    with pytest.warns(UserWarning) as rec:
        model = BERTForMaskedLM.from_pretrained(tmp_path)
    text = str(rec[0].message)
    assert "cls.seq_relationship.weight" in text and "bert.pooler.dense.weight" in text
    assert "newly initialised" not in text
    ids, mask, types = _inputs(cfg, seed=7)
    with torch.no_grad():
        ref = hf(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask),
                 token_type_ids=torch.tensor(types)).prediction_logits.numpy()
    got = model(input_ids=lucid.tensor(ids), attention_mask=lucid.tensor(mask), token_type_ids=lucid.tensor(types))
    np.testing.assert_allclose(got.numpy(), at_real_positions(ref, mask), atol=ATOL * 5)


def test_untied_lucid_folder_loads_in_transformers(tmp_path):
    cfg = dict(CONFIGS["gelu"])
    config = lucid.models.BERTConfig(**{k: v for k, v in cfg.items()}, tie_word_embedding=False)
    model = BERTForMaskedLM(config)
    with lucid.no_grad():
        for p in model.parameters():
            p.data += np.random.default_rng(p.size).standard_normal(p.shape).astype(np.float32) * 0.05
    model.eval().save_pretrained(tmp_path)
    hf = transformers.BertForMaskedLM.from_pretrained(tmp_path, attn_implementation="eager").eval()
    assert hf.config.tie_word_embeddings is False
    ids, mask, _ = _inputs(cfg, seed=8)
    with torch.no_grad():
        ref = hf(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask)).logits.numpy()
    got = model(input_ids=lucid.tensor(ids), attention_mask=lucid.tensor(mask)).numpy()
    np.testing.assert_allclose(got, at_real_positions(ref, mask), atol=ATOL * 5)



def test_checkpoint_on_device_matches_transformers(device, tmp_path):
    cfg = CONFIGS["gelu"]
    torch.manual_seed(0)
    hf = transformers.BertForMaskedLM(transformers.BertConfig(**cfg, attn_implementation="eager")).eval()
    hf.save_pretrained(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = BERTForMaskedLM.from_pretrained(tmp_path, device=device)
    assert model.device == device
    ids, mask, _ = _inputs(cfg, seed=2)
    with torch.no_grad():
        ref = hf(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask)).logits.numpy()
    got = model(input_ids=lucid.tensor(ids, device=device), attention_mask=lucid.tensor(mask, device=device)).numpy()
    np.testing.assert_allclose(got, at_real_positions(ref, mask), atol=1e-4)
    model.save_pretrained(tmp_path / "back")
    again = transformers.BertForMaskedLM.from_pretrained(tmp_path / "back").eval()
    with torch.no_grad():
        np.testing.assert_allclose(again(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask)).logits.numpy(),
                                   ref, atol=1e-6)


def test_report_max_differences():
    """Print the largest differences seen above (run with -s to see them)."""
    if MAX_DIFFS:
        print("\nmax abs differences vs transformers:", {k: f"{v:.2e}" for k, v in sorted(MAX_DIFFS.items())})
