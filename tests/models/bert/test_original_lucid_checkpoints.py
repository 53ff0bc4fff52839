"""State dicts saved by the original Lucid (``/work/shared/fixtures/original_lucid``: lower-case
``layernorm``, ``bert.output_embeddings.*``, stored buffers, no ``cls.predictions.bias``) load
through the checkpoint rename table, by every route, and reproduce the original's outputs.

The original's ``"gelu"`` is the tanh approximation, so its gelu checkpoints are compared with
``hidden_act="gelu_new"``; relu ones are exact in both. The rename table is general: for all
seven of the original's classes it turns the keys into Hugging Face's, and ``transformers``
then reproduces the original's outputs (what the task classes still to come rely on).
"""

from __future__ import annotations

import json
import pathlib
import shutil
import warnings

import numpy as np
import pytest

import lucid
from lucid.models import BERTConfig, BERTForMaskedLM, BERTForSequenceClassification
from lucid.models.bert.checkpoint import plan_load
from lucid.serialization import load_arrays, save_arrays

FIXTURES = pathlib.Path(__file__).resolve().parents[3].parent / "shared" / "fixtures" / "original_lucid"
pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason="the original-Lucid fixtures are not here")
ATOL = 1e-5  # float32 forward of a 2-layer model; the fixtures are the original's float64 copies
POOLER_KEYS = ["bert.pooler.dense.bias", "bert.pooler.dense.weight"]


def _meta(name):
    return json.loads((FIXTURES / "meta.json").read_text())[name]


def _inputs(device="cpu"):
    data = np.load(FIXTURES / "inputs.npz")
    return [lucid.tensor(data[k], device=device) for k in ("input_ids", "attention_mask", "token_type_ids")]


def _at_real(ref):
    """A per-position reference with zeros where the fixture's attention mask pads."""
    if ref.ndim < 3:
        return ref
    keep = np.load(FIXTURES / "inputs.npz")["attention_mask"].astype(bool)
    return np.where(keep[..., None], ref, 0)


def _reference(name):
    return np.load(FIXTURES / f"{name}.outputs.npz")["out0"]


def _config(name, hidden_act=None):
    meta = _meta(name)
    act = hidden_act or ("gelu_new" if meta["hidden_act"] == "gelu" else meta["hidden_act"])
    return BERTConfig(**meta["config"], hidden_act=act)


def _fresh(cls, name, hidden_act=None):
    meta = _meta(name)
    cfg = _config(name, hidden_act)
    return cls(cfg) if meta["num_labels"] is None else cls(cfg, num_labels=meta["num_labels"])


def _folder(tmp_path, name):
    """A folder holding the original's state dict as model.safetensors and its config.json."""
    folder = tmp_path / name
    _config(name).save_pretrained(folder)
    shutil.copy(FIXTURES / f"{name}.safetensors", folder / "model.safetensors")
    return folder


def _loaded(route, cls, name, tmp_path):
    path = FIXTURES / f"{name}.safetensors"
    if route == "class-folder":
        return cls.from_pretrained(_folder(tmp_path, name))
    model = _fresh(cls, name)
    if route == "load_state_dict":
        model.load_state_dict(lucid.load(path))
    elif route == "instance-file":
        assert model.from_pretrained(path) is model
    else:  # instance-folder, strict=False said positionally, as the original allows
        assert model.from_pretrained(_folder(tmp_path, name), False) is model
    return model.eval()


CASES = [(cls, f"{cls.__name__}.{act}") for cls in (BERTForMaskedLM, BERTForSequenceClassification)
         for act in ("relu", "gelu")]


@pytest.mark.parametrize("route", ["load_state_dict", "instance-file", "instance-folder", "class-folder"])
@pytest.mark.parametrize("cls, name", CASES, ids=[n for _, n in CASES])
def test_original_state_dict_reproduces_the_originals_outputs(cls, name, route, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # what is ignored is checked below
        model = _loaded(route, cls, name, tmp_path)
    ref = _reference(name)
    model.bert.packing = False  # every position computed, as the original did
    out = model(*_inputs()).numpy()
    assert out.shape == ref.shape
    np.testing.assert_allclose(out, ref, atol=ATOL, rtol=0)  # padding positions included
    model.bert.packing = True  # the padded batch packed: equal at real positions, zeros at padding
    np.testing.assert_allclose(model(*_inputs()).numpy(), _at_real(ref), atol=ATOL, rtol=0)


def test_the_fixture_tells_exact_gelu_from_the_originals_tanh_gelu():
    # the comparison above could not pass by accident: the erf GELU is visibly off
    name = "BERTForMaskedLM.gelu"
    model = _fresh(BERTForMaskedLM, name, hidden_act="gelu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.from_pretrained(FIXTURES / f"{name}.safetensors")
    diff = np.abs(model.eval()(*_inputs()).numpy() - _at_real(_reference(name))).max()
    assert 1e-4 < diff < 1e-2


def test_on_device(device):
    name = "BERTForSequenceClassification.relu"
    model = _fresh(BERTForSequenceClassification, name).to(device)
    model.from_pretrained(FIXTURES / f"{name}.safetensors")
    assert model.device == device
    np.testing.assert_allclose(model.eval()(*_inputs(device)).numpy(), _at_real(_reference(name)), atol=ATOL, rtol=0)


# ---- what is ignored, and strictness ----------------------------------------------------------
def test_masked_lm_names_the_pooler_it_ignores_and_nothing_else():
    model = _fresh(BERTForMaskedLM, "BERTForMaskedLM.relu")
    with pytest.warns(UserWarning) as rec:
        result = model.load_state_dict(lucid.load(FIXTURES / "BERTForMaskedLM.relu.safetensors"))
    assert result.missing_keys == [] and result.unexpected_keys == []
    [message] = [str(w.message) for w in rec]
    assert message.endswith(f"ignored: {POOLER_KEYS}")  # default buffers and the decoder's copy carry nothing
    assert "BERTForMaskedLM.load_state_dict" in message


def test_classifier_loads_without_a_warning(tmp_path):
    path = FIXTURES / "BERTForSequenceClassification.relu.safetensors"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _fresh(BERTForSequenceClassification, "BERTForSequenceClassification.relu").from_pretrained(path)
        BERTForSequenceClassification.from_pretrained(_folder(tmp_path, "BERTForSequenceClassification.relu"))


def test_class_form_warning_names_the_folder_and_the_pooler(tmp_path):
    folder = _folder(tmp_path, "BERTForMaskedLM.relu")
    with pytest.warns(UserWarning, match=r"BERTForMaskedLM from '.*BERTForMaskedLM\.relu'.*does not use: "
                                         r"\['bert\.pooler\.dense\.bias', 'bert\.pooler\.dense\.weight'\]$"):
        BERTForMaskedLM.from_pretrained(folder)


def test_buffers_and_output_embeddings_that_carry_something_are_named(tmp_path):
    arrays = load_arrays(FIXTURES / "BERTForMaskedLM.relu.safetensors")[0]
    arrays["bert.embeddings.token_type_ids"] = np.ones_like(arrays["bert.embeddings.token_type_ids"])
    arrays["bert.output_embeddings.bias"] = arrays["bert.output_embeddings.bias"] + 1
    path = tmp_path / "changed.safetensors"
    save_arrays(arrays, path)
    model = _fresh(BERTForMaskedLM, "BERTForMaskedLM.relu")
    with pytest.warns(UserWarning) as rec:
        model.from_pretrained(path)
    message = str(rec[0].message)
    assert "changed.safetensors" in message
    for key in ("bert.embeddings.token_type_ids", "bert.output_embeddings.bias", *POOLER_KEYS):
        assert repr(key) in message
    assert "position_ids" not in message and "output_embeddings.weight" not in message
    # the decoder's own bias (zeros in the fixture) is what loads, not the differing copy
    assert not model.cls.predictions.bias.numpy().any()


def test_strict_loading_names_unexpected_and_missing_keys():
    state = lucid.load(FIXTURES / "BERTForSequenceClassification.relu.safetensors")
    model = _fresh(BERTForSequenceClassification, "BERTForSequenceClassification.relu")
    extra = dict(state, **{"qa_outputs.weight": lucid.zeros(2, 16)})
    with pytest.raises(RuntimeError, match=r'Unexpected key\(s\) in state_dict: "qa_outputs\.weight"'):
        model.load_state_dict(extra)
    partial = {k: v for k, v in state.items() if k != "classifier.bias"}
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "classifier\.bias"'):
        model.load_state_dict(partial)
    with pytest.raises(RuntimeError, match=r"classifier\.bias"):
        model.from_pretrained(_write(partial))
    result = model.load_state_dict(partial, strict=False)
    assert result.missing_keys == ["classifier.bias"] and result.unexpected_keys == []
    with pytest.raises(RuntimeError, match=r"size mismatch for classifier\.weight.*\(5, 16\).*\(3, 16\)"):
        model.load_state_dict(dict(state, **{"classifier.weight": lucid.zeros(5, 16)}))


def _write(state):
    import tempfile

    path = pathlib.Path(tempfile.mkdtemp()) / "partial.safetensors"
    save_arrays({k: v.numpy() for k, v in state.items()}, path)
    return path


def test_load_state_dict_takes_a_mapping():
    model = _fresh(BERTForSequenceClassification, "BERTForSequenceClassification.relu")
    with pytest.raises(TypeError, match="expected a dict-like state_dict, got list"):
        model.load_state_dict([("classifier.bias", np.zeros(3))])


def test_instance_form_errors_name_the_path(tmp_path):
    model = _fresh(BERTForSequenceClassification, "BERTForSequenceClassification.relu")
    with pytest.raises(FileNotFoundError, match="nowhere"):
        model.from_pretrained(tmp_path / "nowhere")
    (tmp_path / "junk.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(ValueError, match=r"junk\.safetensors.*not a valid safetensors file"):
        model.from_pretrained(tmp_path / "junk.safetensors")
    with pytest.raises(TypeError, match="weights must be a model folder or a .safetensors file, got int"):
        model.from_pretrained(3)


def test_instance_form_keeps_the_models_mode():
    model = _fresh(BERTForSequenceClassification, "BERTForSequenceClassification.relu").train()
    model.from_pretrained(FIXTURES / "BERTForSequenceClassification.relu.safetensors")
    assert model.training  # the class form returns eval mode; loading into a model leaves it as it was


# ---- the rename table serves every class of the original ----------------------------------------
HF_CLASSES = {
    "BERTForMaskedLM": "BertForMaskedLM", "BERTForSequenceClassification": "BertForSequenceClassification",
    "BERTForNextSentencePrediction": "BertForNextSentencePrediction",
    "BERTForTokenClassification": "BertForTokenClassification", "BERTForQuestionAnswering": "BertForQuestionAnswering",
    "BERTForPreTraining": "BertForPreTraining", "BERTForCausalLM": "BertLMHeadModel",
}


@pytest.mark.parametrize("name", list(HF_CLASSES))
def test_rename_table_gives_hugging_face_names_for_every_original_class(name):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    meta = _meta(f"{name}.relu")
    cfg = meta["config"]
    hf_config = transformers.BertConfig(
        vocab_size=cfg["vocab_size"], hidden_size=cfg["hidden_size"], num_attention_heads=cfg["num_attention_heads"],
        num_hidden_layers=cfg["num_hidden_layers"], intermediate_size=cfg["intermediate_size"], hidden_act="relu",
        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, type_vocab_size=cfg["type_vocab_size"],
        max_position_embeddings=cfg["max_position_embeddings"], layer_norm_eps=cfg["layer_norm_eps"],
        is_decoder=cfg["is_decoder"], num_labels=meta["num_labels"] or 2, attn_implementation="eager")
    hf = getattr(transformers, HF_CLASSES[name])(hf_config).eval()

    class Names:  # plan_load reads only the names a model has
        def state_dict(self):
            return hf.state_dict()

    values, missing, unexpected, ignored = plan_load(Names(), load_arrays(FIXTURES / f"{name}.relu.safetensors")[0])
    assert missing == [] and unexpected == {}
    assert set(ignored) <= set(POOLER_KEYS)  # only the pooler, on the classes without one
    hf.load_state_dict({k: torch.tensor(v) for k, v in values.items()}, strict=True)
    inputs = dict(zip(("input_ids", "attention_mask", "token_type_ids"), (torch.tensor(t.numpy()) for t in _inputs())))
    with torch.no_grad():
        outputs = list(hf(**inputs).values())
    refs = np.load(FIXTURES / f"{name}.relu.outputs.npz")
    assert len(refs.files) == meta["n_outputs"]
    for i in range(meta["n_outputs"]):
        np.testing.assert_allclose(outputs[i].numpy(), refs[f"out{i}"], atol=ATOL, rtol=0)
