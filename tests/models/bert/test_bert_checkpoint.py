"""Checkpoint folders: Hugging Face layouts old and new, lucid's own, and every error path."""

from __future__ import annotations

import json
import os
import warnings

import numpy as np
import pytest

import lucid
from lucid.models import BERT, BERTConfig, BERTForMaskedLM, BERTForSequenceClassification
from lucid.serialization import load_arrays, save_arrays

TINY = dict(vocab_size=60, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=24,
            max_position_embeddings=20)
IDS = [[2, 7, 8, 9, 3, 0]]
MASK = [[1, 1, 1, 1, 1, 0]]


def _perturb(model, seed=0):
    rng = np.random.default_rng(seed)
    with lucid.no_grad():
        for p in model.parameters():
            p.data += rng.standard_normal(p.shape).astype(p.dtype) * 0.1
    return model.eval()


def _out(model):
    out = model(input_ids=lucid.tensor(IDS), attention_mask=lucid.tensor(MASK))
    return (out[0] if isinstance(out, tuple) else out).numpy()


def _write(folder, arrays, cfg=TINY, **more):
    os.makedirs(folder, exist_ok=True)
    save_arrays(arrays, os.path.join(folder, "model.safetensors"))
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump({"model_type": "bert", **cfg, **more}, f)
    return folder


def _quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kw)


@pytest.mark.parametrize("cls", [BERT, BERTForMaskedLM, BERTForSequenceClassification])
def test_save_and_load_round_trip(cls, tmp_path):
    model = _perturb(cls(BERTConfig(**TINY)))
    model.save_pretrained(tmp_path / "m")
    files = sorted(os.listdir(tmp_path / "m"))
    assert files == ["config.json", "model.safetensors"]
    cfg = json.loads((tmp_path / "m" / "config.json").read_text())
    assert cfg["architectures"] == [{"BERT": "BertModel", "BERTForMaskedLM": "BertForMaskedLM",
                                     "BERTForSequenceClassification": "BertForSequenceClassification"}[cls.__name__]]
    loaded = _quiet(cls.from_pretrained, tmp_path / "m")
    assert not loaded.training
    np.testing.assert_array_equal(_out(loaded), _out(model))
    keys = set(load_arrays(tmp_path / "m" / "model.safetensors")[0])
    if cls is BERTForMaskedLM:
        assert "cls.predictions.decoder.weight" not in keys  # tied: stored once
        assert loaded.cls.predictions.decoder.weight is loaded.bert.embeddings.word_embeddings.weight
    if cls is BERT:
        assert all(not k.startswith("bert.") for k in keys)


def _legacy_arrays(model):
    """The model's weights as an original (TF-converted) checkpoint names them."""
    out = {}
    for k, v in model.state_dict().items():
        if k.endswith("LayerNorm.weight"):
            k = k[: -len("weight")] + "gamma"
        elif k.endswith("LayerNorm.bias"):
            k = k[: -len("bias")] + "beta"
        out[k] = v.numpy()
    return out


def test_legacy_names_buffers_and_decoder_bias(tmp_path):
    model = _perturb(BERTForMaskedLM(BERTConfig(**TINY)))
    arrays = _legacy_arrays(model)
    arrays["cls.predictions.decoder.bias"] = arrays.pop("cls.predictions.bias")
    arrays["bert.embeddings.position_ids"] = np.arange(20)[None]
    arrays["bert.embeddings.token_type_ids"] = np.zeros((1, 20), dtype=np.int64)
    arrays["cls.predictions.decoder.weight"] = arrays["bert.embeddings.word_embeddings.weight"]
    assert "bert.embeddings.LayerNorm.gamma" in arrays
    loaded = _quiet(BERTForMaskedLM.from_pretrained, _write(tmp_path / "old", arrays))
    np.testing.assert_array_equal(_out(loaded), _out(model))


def test_keys_with_or_without_the_bert_prefix(tmp_path):
    backbone = _perturb(BERT(BERTConfig(**TINY)))
    bare = {k: v.numpy() for k, v in backbone.state_dict().items()}
    # a backbone checkpoint without prefix into a task model: only the head is new
    with pytest.warns(UserWarning) as rec:
        clf = BERTForSequenceClassification.from_pretrained(_write(tmp_path / "bare", bare))
    assert "newly initialised: ['classifier.bias', 'classifier.weight']" in str(rec[0].message)
    assert "does not use" not in str(rec[0].message)
    np.testing.assert_array_equal(_out(clf.bert), _out(backbone))
    # a task checkpoint (bert. prefix) into the backbone: the head's keys are unused
    mlm = _perturb(BERTForMaskedLM(BERTConfig(**TINY, add_pooling_layer=False)))
    mlm.save_pretrained(tmp_path / "mlm")
    with pytest.warns(UserWarning) as rec:
        b = BERT.from_pretrained(tmp_path / "mlm")
    text = str(rec[0].message)
    assert "cls.predictions.transform.dense.weight" in text and "checkpoint weights the model does not use" in text
    assert b.pooler is None  # the saved config says add_pooling_layer=False
    np.testing.assert_array_equal(_out(b), _out(mlm.bert))


def test_new_head_is_initialised_and_listed(tmp_path):
    lucid.random.seed(0)
    mlm = _perturb(BERTForMaskedLM(BERTConfig(**TINY)))
    mlm.save_pretrained(tmp_path / "mlm")
    with pytest.warns(UserWarning) as rec:
        clf = BERTForSequenceClassification.from_pretrained(tmp_path / "mlm", num_labels=3)
    text = str(rec[0].message)
    for key in ("classifier.weight", "classifier.bias", "bert.pooler.dense.weight", "cls.predictions.bias"):
        assert key in text
    assert clf.num_labels == 3 and clf.classifier.weight.shape == (3, 16)
    assert np.all(clf.classifier.bias.numpy() == 0) and 0.005 < clf.classifier.weight.numpy().std() < 0.04
    np.testing.assert_array_equal(_out(clf.bert), _out(mlm.bert))


def test_num_labels_from_the_checkpoint(tmp_path):
    model = BERTForSequenceClassification(BERTConfig(**TINY), num_labels=5)
    model.save_pretrained(tmp_path / "c")
    cfg = json.loads((tmp_path / "c" / "config.json").read_text())
    assert len(cfg["id2label"]) == 5 and cfg["label2id"]["LABEL_4"] == 4
    assert _quiet(BERTForSequenceClassification.from_pretrained, tmp_path / "c").num_labels == 5
    # without id2label the classifier's shape decides
    del cfg["id2label"], cfg["label2id"]
    (tmp_path / "c" / "config.json").write_text(json.dumps(cfg))
    assert _quiet(BERTForSequenceClassification.from_pretrained, tmp_path / "c").num_labels == 5
    with pytest.raises(ValueError, match=r"classifier\.\w+'.*checkpoint has \(5.*model expects \(2"):
        BERTForSequenceClassification.from_pretrained(tmp_path / "c", num_labels=2)


def test_shape_mismatch_names_key_and_shapes(tmp_path):
    model = BERT(BERTConfig(**TINY))
    arrays = {k: v.numpy() for k, v in model.state_dict().items()}
    arrays["encoder.layer.1.intermediate.dense.weight"] = np.zeros((25, 16), np.float32)
    with pytest.raises(ValueError, match=r"encoder.layer.1.intermediate.dense.weight.*\(25, 16\).*\(24, 16\)"):
        BERT.from_pretrained(_write(tmp_path / "bad", arrays))


def test_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing-folder"):
        BERT.from_pretrained(tmp_path / "missing-folder")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="config.json"):
        BERT.from_pretrained(tmp_path / "empty")
    (tmp_path / "empty" / "config.json").write_text(json.dumps(TINY))
    with pytest.raises(FileNotFoundError, match="model.safetensors"):
        BERT.from_pretrained(tmp_path / "empty")
    (tmp_path / "empty" / "pytorch_model.bin").write_bytes(b"\x80\x02pickle")
    with pytest.raises(FileNotFoundError, match="only safetensors"):
        BERTForMaskedLM.from_pretrained(tmp_path / "empty")
    (tmp_path / "empty" / "model.safetensors").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="safetensors"):
        BERTForMaskedLM.from_pretrained(tmp_path / "empty")


def test_sharded_checkpoint(tmp_path):
    model = _perturb(BERT(BERTConfig(**TINY)))
    arrays = {k: v.numpy() for k, v in model.state_dict().items()}
    names = sorted(arrays)
    half = len(names) // 2
    folder = tmp_path / "sharded"
    folder.mkdir()
    weight_map = {}
    for i, part in enumerate((names[:half], names[half:])):
        shard = f"model-{i + 1:05d}-of-00002.safetensors"
        save_arrays({k: arrays[k] for k in part}, folder / shard)
        weight_map.update({k: shard for k in part})
    (folder / "model.safetensors.index.json").write_text(json.dumps({"weight_map": weight_map}))
    (folder / "config.json").write_text(json.dumps(TINY))
    np.testing.assert_array_equal(_out(_quiet(BERT.from_pretrained, folder)), _out(model))


def test_float16_checkpoint_loads_into_float32(tmp_path):
    model = _perturb(BERT(BERTConfig(**TINY)))
    arrays = {k: v.numpy().astype(np.float16) for k, v in model.state_dict().items()}
    loaded = _quiet(BERT.from_pretrained, _write(tmp_path / "half", arrays))
    assert loaded.embeddings.word_embeddings.weight.dtype == np.float32
    np.testing.assert_allclose(_out(loaded), _out(model), atol=0.05)


def test_untied_masked_lm_round_trip(tmp_path):
    model = _perturb(BERTForMaskedLM(BERTConfig(**TINY, tie_word_embedding=False)))
    model.save_pretrained(tmp_path / "u")
    keys = set(load_arrays(tmp_path / "u" / "model.safetensors")[0])
    assert {"cls.predictions.decoder.weight", "cls.predictions.decoder.bias", "cls.predictions.bias"} <= keys
    loaded = _quiet(BERTForMaskedLM.from_pretrained, tmp_path / "u")
    assert loaded.config.tie_word_embedding is False
    np.testing.assert_array_equal(_out(loaded), _out(model))


# ---- from_pretrained: the class form builds, the instance form loads ---------------------------
def test_one_from_pretrained_with_two_forms(tmp_path):
    import inspect

    for cls in (BERT, BERTForMaskedLM, BERTForSequenceClassification):
        assert "from_pretrained" not in vars(cls)  # all share the one descriptor
        assert str(inspect.signature(cls.from_pretrained)) == (
            "(name_or_path, *, device='cpu', revision=None, cache_dir=None, **kwargs)")
        assert str(inspect.signature(cls(BERTConfig(**TINY)).from_pretrained)) == "(weights, strict=True)"
    doc = BERTForMaskedLM.from_pretrained.__doc__
    assert "On the class" in doc and "On a model" in doc


@pytest.mark.parametrize("cls", [BERT, BERTForMaskedLM, BERTForSequenceClassification])
def test_instance_form_loads_a_folder_or_a_file_into_the_model(cls, tmp_path):
    source = _perturb(cls(BERTConfig(**TINY)))
    source.save_pretrained(tmp_path / "m")
    for weights in (tmp_path / "m", str(tmp_path / "m" / "model.safetensors")):
        model = cls(BERTConfig(**TINY)).eval()
        assert _quiet(model.from_pretrained, weights) is model
        np.testing.assert_array_equal(_out(model), _out(source))


def test_instance_form_is_strict_unless_told(tmp_path):
    backbone = _perturb(BERT(BERTConfig(**TINY)))
    backbone.save_pretrained(tmp_path / "b")
    clf = BERTForSequenceClassification(BERTConfig(**TINY)).eval()
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "classifier\.weight", "classifier\.bias"'):
        clf.from_pretrained(tmp_path / "b")
    assert clf.from_pretrained(tmp_path / "b", strict=False) is clf
    np.testing.assert_array_equal(_out(clf.bert), _out(backbone))


@pytest.mark.skipif(lucid.gpu_available(), reason="checks the error on a machine without a GPU")
def test_gpu_device_is_checked_before_anything_is_read(tmp_path):
    BERTForMaskedLM(BERTConfig(**TINY)).save_pretrained(tmp_path / "m")
    (tmp_path / "m" / "model.safetensors").write_bytes(b"corrupt")  # reading it would be a ValueError
    with pytest.raises(RuntimeError, match="CuPy|CUDA"):
        BERTForMaskedLM.from_pretrained(tmp_path / "m", device="gpu")
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        BERTForMaskedLM.from_pretrained(tmp_path / "m", device="tpu")
    with pytest.raises(ValueError, match="not a valid safetensors file"):
        BERTForMaskedLM.from_pretrained(tmp_path / "m")  # the folder really is unreadable


def test_loading_weights_into_a_model_bumps_their_versions(tmp_path):
    """from_pretrained on a model writes its parameters in place: a graph that saved the old
    values refuses to run backward (as after load_state_dict)."""
    import lucid
    from lucid.models import BERTConfig, BERTForSequenceClassification

    cfg = BERTConfig(vocab_size=20, hidden_size=8, num_attention_heads=2, num_hidden_layers=1, intermediate_size=16,
                     max_position_embeddings=8)
    model = BERTForSequenceClassification(cfg)
    model.save_pretrained(tmp_path)
    loss = model(lucid.tensor([[1, 2, 3]])).sum()
    model.from_pretrained(tmp_path)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
