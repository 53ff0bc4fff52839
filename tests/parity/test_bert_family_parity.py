"""The rest of the BERT family against Hugging Face transformers, on random-weight checkpoints
built here (as tests/parity/test_bert_parity.py does for the first two classes, with its
float32 tolerances).

For each class: transformers builds the model, its weights are perturbed (so no bias or
LayerNorm parameter is trivially 0/1) and saved with safetensors; lucid loads the folder
without a warning and must give the same logits, the same losses for every reduction (the
"sum" and per-element ones against torch's cross-entropy on transformers' logits), and the
same gradient for every parameter. A folder lucid saves loads in transformers with equal
outputs. The decoder backbone and chunked feed-forward are held to ``BertModel`` too.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import lucid
from lucid.models import (BERT, BERTConfig, BERTForCausalLM, BERTForNextSentencePrediction, BERTForPreTraining,
                          BERTForQuestionAnswering, BERTForTokenClassification)

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
TF = torch.nn.functional

from hf_reference import ATOL, CONFIGS as _ALL, GRAD_ATOL, at_real_positions, hf_model as _hf_model  # noqa: E402

CONFIGS = {name: _ALL[name] for name in ("gelu", "relu-untied")}

MAX_DIFFS: dict[str, float] = {}


def _close(kind, ours, ref, atol=ATOL):
    ours = ours.numpy() if hasattr(ours, "numpy") else np.asarray(ours)
    ref = ref.detach().numpy() if hasattr(ref, "detach") else np.asarray(ref)
    diff = float(np.abs(ours - ref).max()) if ours.size else 0.0
    MAX_DIFFS[kind] = max(MAX_DIFFS.get(kind, 0.0), diff)
    assert ours.shape == ref.shape, (kind, ours.shape, ref.shape)
    assert diff <= atol, (kind, diff)


def _load(cls, hf, folder):
    hf.save_pretrained(folder, safe_serialization=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a folder of the same architecture matches every key
        return cls.from_pretrained(folder)


def _inputs(cfg, seed=1, batch=3, seq=11):
    rng = np.random.default_rng(seed)
    ids = rng.integers(2, cfg["vocab_size"], size=(batch, seq))
    mask = np.ones((batch, seq), dtype=np.int64)
    mask[1, 7:] = 0
    mask[2, 4:] = 0
    ids[mask == 0] = cfg.get("pad_token_id", 0)
    types = (np.arange(seq)[None, :] >= 3).astype(np.int64).repeat(batch, 0)
    return ids.astype(np.int64), mask, types


def _both(ids, mask, types):
    return (dict(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask), token_type_ids=torch.tensor(types)),
            dict(input_ids=lucid.tensor(ids), attention_mask=lucid.tensor(mask), token_type_ids=lucid.tensor(types)))


def _grads_close(model, hf, kind):
    hf_params = dict(hf.named_parameters())
    checked = 0
    for name, p in model.named_parameters():
        hp = hf_params[name]
        if hp.grad is None and name == "cls.predictions.bias":
            hp = hf_params["cls.predictions.decoder.bias"]  # transformers 5, untied: the bias it applies
        assert p.grad is not None and hp.grad is not None, name
        _close(kind, p.grad, hp.grad.numpy(), GRAD_ATOL)
        checked += 1
    assert checked == len([p for p in hf_params.values() if p.grad is not None])


def _ce(logits, target, reduction, ignore_index=-100):
    """torch's cross-entropy with lucid's reduction names (None: per element)."""
    return TF.cross_entropy(logits, target, reduction="none" if reduction is None else reduction,
                            ignore_index=ignore_index)


# ---- the decoder backbone ------------------------------------------------------------------------
@pytest.mark.parametrize("cross", [False, True], ids=["decoder", "cross-attention"])
def test_decoder_backbone_matches_bert_model(cross, tmp_path):
    cfg = CONFIGS["gelu"]
    hf = _hf_model(transformers.BertModel, cfg, is_decoder=True, add_cross_attention=cross).eval()
    model = _load(BERT, hf, tmp_path)
    ids, mask, types = _inputs(cfg, seed=3)
    t_kw, l_kw = _both(ids, mask, types)
    if cross:
        rng = np.random.default_rng(4)
        states = rng.standard_normal((3, 5, cfg["hidden_size"])).astype(np.float32)
        states_mask = np.ones((3, 5), dtype=np.int64)
        states_mask[0, 2:] = 0
        t_kw.update(encoder_hidden_states=torch.tensor(states), encoder_attention_mask=torch.tensor(states_mask))
        l_kw.update(encoder_hidden_states=lucid.tensor(states), encoder_attention_mask=lucid.tensor(states_mask))
    with torch.no_grad():
        out = hf(**t_kw)
    seq, pooled = model(**l_kw)
    real = mask.astype(bool)  # padded positions of a causal model are what any implementation makes of them
    _close("decoder hidden states", seq.numpy()[real], out.last_hidden_state.numpy()[real])
    _close("decoder pooled", pooled, out.pooler_output)


def test_chunked_feed_forward_matches_bert_model(tmp_path):
    cfg = CONFIGS["gelu"]
    hf = _hf_model(transformers.BertModel, cfg, chunk_size_feed_forward=4).eval()  # transformers: seq % chunk == 0
    model = _load(BERT, hf, tmp_path)
    assert model.config.chunk_size_feed_forward == 4
    ids, mask, types = _inputs(cfg, seed=5, seq=12)
    t_kw, l_kw = _both(ids, mask, types)
    with torch.no_grad():
        ref = hf(**t_kw).last_hidden_state
    _close("chunked hidden states", model(**l_kw)[0], at_real_positions(ref, mask))


# ---- next sentence prediction --------------------------------------------------------------------
@pytest.mark.parametrize("name", list(CONFIGS))
def test_next_sentence_prediction(name, tmp_path):
    cfg = CONFIGS[name]
    hf = _hf_model(transformers.BertForNextSentencePrediction, cfg)
    model = _load(BERTForNextSentencePrediction, hf, tmp_path).train()
    hf.train()
    ids, mask, types = _inputs(cfg, seed=2)
    labels = np.array([0, 1, 1])
    t_kw, l_kw = _both(ids, mask, types)
    out = hf(**t_kw, labels=torch.tensor(labels))
    out.loss.backward()
    _close("nsp logits", model(**l_kw), out.logits)
    for reduction in ("sum", None):
        _close(f"nsp loss {reduction}", model.get_loss(lucid.tensor(labels), **l_kw, reduction=reduction),
               _ce(out.logits, torch.tensor(labels), reduction))
    loss = model.get_loss(lucid.tensor(labels), **l_kw)
    _close("nsp loss", loss, out.loss)
    loss.backward()
    _grads_close(model, hf, "nsp grads")
    _close("nsp proba", model.predict_proba(**l_kw), torch.softmax(out.logits, -1))


# ---- pre-training ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(CONFIGS))
def test_pre_training(name, tmp_path):
    cfg = CONFIGS[name]
    hf = _hf_model(transformers.BertForPreTraining, cfg)
    model = _load(BERTForPreTraining, hf, tmp_path).train()
    hf.train()
    ids, mask, types = _inputs(cfg, seed=6)
    rng = np.random.default_rng(6)
    mlm = np.full_like(ids, -100)
    pick = (rng.random(ids.shape) < 0.4) & (mask == 1)
    mlm[pick] = rng.integers(0, cfg["vocab_size"], size=int(pick.sum()))
    nsp = np.array([1, 0, 1])
    t_kw, l_kw = _both(ids, mask, types)
    out = hf(**t_kw, labels=torch.tensor(mlm), next_sentence_label=torch.tensor(nsp))
    out.loss.backward()
    scores, relationship = model(**l_kw)
    _close("pre-training mlm logits", scores, at_real_positions(out.prediction_logits, mask), ATOL * 5)  # vocabulary logits reach |x| ~ 5
    _close("pre-training nsp logits", relationship, out.seq_relationship_logits)
    v = cfg["vocab_size"]
    ref_mlm = {r: _ce(out.prediction_logits.reshape(-1, v), torch.tensor(mlm).reshape(-1), r)
               for r in ("mean", "sum", None)}
    ref_nsp = {r: _ce(out.seq_relationship_logits, torch.tensor(nsp), r) for r in ("mean", "sum", None)}
    for r in ("mean", "sum", None):
        _close(f"pre-training mlm loss {r}", model.get_mlm_loss(lucid.tensor(mlm), **l_kw, reduction=r), ref_mlm[r])
        _close(f"pre-training nsp loss {r}", model.get_nsp_loss(lucid.tensor(nsp), **l_kw, reduction=r), ref_nsp[r])
    a, b = model.get_loss(lucid.tensor(mlm), lucid.tensor(nsp), **l_kw, reduction=None, mlm_weight=0.5, nsp_weight=2)
    _close("pre-training weighted per-element", a, ref_mlm[None] * 0.5)
    _close("pre-training weighted per-element", b, ref_nsp[None] * 2)
    _close("pre-training weighted sum", model.get_loss(lucid.tensor(mlm), lucid.tensor(nsp), **l_kw, reduction="sum",
                                                       mlm_weight=0.5, nsp_weight=2),
           ref_mlm["sum"] * 0.5 + ref_nsp["sum"] * 2)
    loss = model.get_loss(lucid.tensor(mlm), lucid.tensor(nsp), **l_kw)
    _close("pre-training loss", loss, out.loss)
    loss.backward()
    _grads_close(model, hf, "pre-training grads")


def test_pre_training_checkpoint_feeds_the_next_sentence_head(tmp_path):
    """A BertForPreTraining folder (the original BERT release layout): the next-sentence model
    reads its cls.seq_relationship weights and reports the MLM head as unused."""
    cfg = CONFIGS["gelu"]
    hf = _hf_model(transformers.BertForPreTraining, cfg).eval()
    hf.save_pretrained(tmp_path)
    with pytest.warns(UserWarning) as rec:
        model = BERTForNextSentencePrediction.from_pretrained(tmp_path)
    text = " ".join(str(r.message) for r in rec)
    assert "cls.predictions" in text and "newly initialised" not in text
    ids, mask, types = _inputs(cfg, seed=7)
    t_kw, l_kw = _both(ids, mask, types)
    with torch.no_grad():
        ref = hf(**t_kw).seq_relationship_logits
    _close("pre-training checkpoint -> nsp", model(**l_kw), ref)
    np.testing.assert_array_equal(model.cls.seq_relationship.weight.numpy(),
                                  hf.cls.seq_relationship.weight.detach().numpy())


# ---- token classification ----------------------------------------------------------------------
@pytest.mark.parametrize("name", list(CONFIGS))
def test_token_classification(name, tmp_path):
    cfg = CONFIGS[name]
    hf = _hf_model(transformers.BertForTokenClassification, cfg, num_labels=5)
    model = _load(BERTForTokenClassification, hf, tmp_path).train()
    assert model.num_labels == 5
    hf.train()
    ids, mask, types = _inputs(cfg, seed=8)
    labels = np.random.default_rng(8).integers(0, 5, size=ids.shape)
    labels[mask == 0] = -100
    labels[:, 0] = -100
    t_kw, l_kw = _both(ids, mask, types)
    out = hf(**t_kw, labels=torch.tensor(labels))
    out.loss.backward()
    _close("token logits", model(**l_kw), at_real_positions(out.logits, mask))
    for r in ("sum", None):
        _close(f"token loss {r}", model.get_loss(lucid.tensor(labels), **l_kw, reduction=r),
               _ce(out.logits.reshape(-1, 5), torch.tensor(labels).reshape(-1), r))
    loss = model.get_loss(lucid.tensor(labels), **l_kw)
    _close("token loss", loss, out.loss)
    loss.backward()
    _grads_close(model, hf, "token grads")


# ---- question answering ------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(CONFIGS))
def test_question_answering(name, tmp_path):
    cfg = CONFIGS[name]
    hf = _hf_model(transformers.BertForQuestionAnswering, cfg)
    model = _load(BERTForQuestionAnswering, hf, tmp_path).train()
    hf.train()
    ids, mask, types = _inputs(cfg, seed=9)
    starts, ends = np.array([4, 30, 1]), np.array([6, 5, 11])  # 30 and 11: outside the sequence, ignored
    t_kw, l_kw = _both(ids, mask, types)
    out = hf(**t_kw, start_positions=torch.tensor(starts), end_positions=torch.tensor(ends))
    out.loss.backward()
    start_logits, end_logits = model(**l_kw)
    _close("qa start logits", start_logits, out.start_logits)
    _close("qa end logits", end_logits, out.end_logits)
    s = ids.shape[1]
    clamp = lambda p: torch.tensor(np.minimum(p, s))  # noqa: E731 (transformers clamps to the length, ignored)
    for r in ("sum", None):
        ref = (_ce(out.start_logits, clamp(starts), r, s) + _ce(out.end_logits, clamp(ends), r, s)) / 2
        _close(f"qa loss {r}", model.get_loss(lucid.tensor(starts), lucid.tensor(ends), **l_kw, reduction=r), ref)
    loss = model.get_loss(lucid.tensor(starts), lucid.tensor(ends), **l_kw)
    _close("qa loss", loss, out.loss)
    loss.backward()
    _grads_close(model, hf, "qa grads")


# ---- causal language model ---------------------------------------------------------------------
@pytest.mark.parametrize("cross", [False, True], ids=["lm", "cross-attention"])
@pytest.mark.parametrize("name", list(CONFIGS))
def test_causal_lm(name, cross, tmp_path):
    cfg = CONFIGS[name]
    hf = _hf_model(transformers.BertLMHeadModel, cfg, is_decoder=True, add_cross_attention=cross)
    model = _load(BERTForCausalLM, hf, tmp_path).train()
    hf.train()
    ids, mask, types = _inputs(cfg, seed=10)
    labels = np.where(mask == 1, ids, -100)
    t_kw, l_kw = _both(ids, mask, types)
    if cross:
        rng = np.random.default_rng(10)
        states = rng.standard_normal((3, 6, cfg["hidden_size"])).astype(np.float32)
        states_mask = np.ones((3, 6), dtype=np.int64)
        states_mask[2, 3:] = 0
        t_kw.update(encoder_hidden_states=torch.tensor(states), encoder_attention_mask=torch.tensor(states_mask))
        l_kw.update(encoder_hidden_states=lucid.tensor(states), encoder_attention_mask=lucid.tensor(states_mask))
    out = hf(**t_kw, labels=torch.tensor(labels))
    out.loss.backward()
    real = mask.astype(bool)
    _close("causal logits", model(**l_kw).numpy()[real], out.logits.detach().numpy()[real], ATOL * 5)
    v = cfg["vocab_size"]
    shifted = torch.tensor(np.concatenate([labels[:, 1:], np.full((3, 1), -100)], axis=1)).reshape(-1)
    for r in ("sum", None):
        _close(f"causal loss {r}", model.get_loss(lucid.tensor(labels), **l_kw, reduction=r),
               _ce(out.logits.reshape(-1, v), shifted, r))
    loss = model.get_loss(lucid.tensor(labels), **l_kw)
    _close("causal loss", loss, out.loss)
    loss.backward()
    _grads_close(model, hf, "causal grads")


# ---- lucid's folders in transformers -------------------------------------------------------------
@pytest.mark.parametrize("cls, hf_name, extra", [
    (BERTForNextSentencePrediction, "BertForNextSentencePrediction", {}),
    (BERTForPreTraining, "BertForPreTraining", {}),
    (BERTForTokenClassification, "BertForTokenClassification", {"num_labels": 4}),
    (BERTForQuestionAnswering, "BertForQuestionAnswering", {}),
    (BERTForCausalLM, "BertLMHeadModel", {}),
])
def test_lucid_saved_folder_loads_in_transformers(cls, hf_name, extra, tmp_path):
    cfg = {k: v for k, v in CONFIGS["gelu"].items() if k in (
        "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
        "max_position_embeddings")}
    lucid.random.seed(3)
    config = BERTConfig(**cfg, is_decoder=cls is BERTForCausalLM)
    model = cls(config, **extra)
    with lucid.no_grad():
        for p in model.parameters():
            p.data += np.random.default_rng(p.size).standard_normal(p.shape).astype(np.float32) * 0.05
    model.eval().save_pretrained(tmp_path)
    hf = getattr(transformers, hf_name).from_pretrained(tmp_path, attn_implementation="eager").eval()
    assert hf.config.architectures == [hf_name]
    ids, mask, types = _inputs(cfg | {"type_vocab_size": 2}, seed=11)
    t_kw, l_kw = _both(ids, mask, types)
    with torch.no_grad():
        out = hf(**t_kw)
    ours = model(**l_kw)
    if hf_name == "BertForPreTraining":
        refs = (out.prediction_logits, out.seq_relationship_logits)
    elif hf_name == "BertForQuestionAnswering":
        refs = (out.start_logits, out.end_logits)
    else:
        refs = (out.logits,)
    ours = ours if isinstance(ours, tuple) else (ours,)
    real = mask.astype(bool)
    for a, b in zip(ours, refs):
        a, b = a.numpy(), b.numpy()
        if cls is BERTForCausalLM:
            a, b = a[real], b[real]
        elif b.ndim == 3:  # per-position vocabulary or label logits: padding is not computed
            b = at_real_positions(b, mask)
        _close("saved -> transformers", a, b, ATOL * 5)
    if "num_labels" in extra:
        assert hf.config.num_labels == extra["num_labels"]
    again = cls.from_pretrained(tmp_path)
    back = again(**l_kw)
    for a, b in zip(back if isinstance(back, tuple) else (back,), ours):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


# ---- decoding ----------------------------------------------------------------------------------
def test_greedy_generate_equals_transformers(tmp_path):
    cfg = CONFIGS["gelu"]
    hf = _hf_model(transformers.BertLMHeadModel, cfg, is_decoder=True).eval()
    model = _load(BERTForCausalLM, hf, tmp_path)
    prompts = np.random.default_rng(12).integers(2, cfg["vocab_size"], size=(3, 5))
    with torch.no_grad():
        ref = hf.generate(torch.tensor(prompts), attention_mask=torch.ones(3, 5, dtype=torch.long), max_new_tokens=12,
                          do_sample=False, pad_token_id=0, eos_token_id=None).numpy()
    ours = model.generate(lucid.tensor(prompts), 12).numpy()
    np.testing.assert_array_equal(ours, ref)
    # left-padded prompts of different lengths, positions counted from each prompt's first token
    mask = np.ones((3, 5), dtype=np.int64)
    mask[0, :2] = 0
    mask[2, :1] = 0
    padded = np.where(mask == 1, prompts, 0)
    eos = int(ref[1, 7])  # a token row 1 produces, so that it finishes early
    with torch.no_grad():
        ref = hf.generate(torch.tensor(padded), attention_mask=torch.tensor(mask), max_new_tokens=12,
                          do_sample=False, pad_token_id=0, eos_token_id=eos).numpy()
    ours = model.generate(lucid.tensor(padded), 12, attention_mask=lucid.tensor(mask), eos_token_id=eos).numpy()
    np.testing.assert_array_equal(ours, ref)


def test_report_max_differences():
    """Print the largest differences seen above (run with -s to see them)."""
    if MAX_DIFFS:
        print("\nmax abs differences vs transformers:", {k: f"{v:.2e}" for k, v in sorted(MAX_DIFFS.items())})
