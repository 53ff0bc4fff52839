"""Reliability of BERT model files: missing paths, truncated or corrupt safetensors, checkpoints of
another size, invalid configs, atomic saves (a failure part way keeps the previous files) and
loading that never executes code from a file. (The lucid.save/lucid.load cases are in
tests/test_serialization.py, the tokenizer's in test_tokenizer_reliability_files.py.)"""

import json
import os

import pytest
from file_faults import CUTS, JUNK, WriteFailure, evil_bytes, fail_on_write, folder_bytes, no_temp_files, truncations

from lucid.models import BERT, BERTConfig, BERTForMaskedLM, BERTForSequenceClassification

CFG = BERTConfig(vocab_size=30, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16,
                 max_position_embeddings=8)
MODELS = [BERT, BERTForMaskedLM, BERTForSequenceClassification]


@pytest.fixture
def model_folder(tmp_path):
    folder = tmp_path / "model"
    BERTForSequenceClassification(CFG, num_labels=3).save_pretrained(folder)
    return folder


# ---- missing paths ----------------------------------------------------------------------------
@pytest.mark.parametrize("cls", MODELS + [BERTConfig])
def test_missing_model_folder_names_the_path(cls, tmp_path):
    path = tmp_path / "no-such-model"
    with pytest.raises(FileNotFoundError, match="no-such-model"):
        cls.from_pretrained(path)


@pytest.mark.parametrize("cls", MODELS + [BERTConfig])
def test_missing_config_names_the_file(cls, model_folder):
    os.remove(model_folder / "config.json")
    with pytest.raises(FileNotFoundError, match=r"model.*config\.json"):
        cls.from_pretrained(model_folder)


@pytest.mark.parametrize("cls", MODELS)
def test_missing_weights_name_the_file(cls, model_folder):
    os.remove(model_folder / "model.safetensors")
    with pytest.raises(FileNotFoundError, match=rf"{model_folder.name}.*model\.safetensors"):
        cls.from_pretrained(model_folder)


def test_missing_shard_names_the_shard(model_folder):
    os.replace(model_folder / "model.safetensors", model_folder / "model-00001-of-00002.safetensors")
    (model_folder / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {
        "a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}))
    with pytest.raises(FileNotFoundError, match=r"model-00002-of-00002\.safetensors"):
        BERT.from_pretrained(model_folder)


# ---- truncated or corrupt files ---------------------------------------------------------------
@pytest.mark.parametrize("cut", CUTS)
def test_truncated_model_safetensors_names_the_file(cut, model_folder):
    path = model_folder / "model.safetensors"
    path.write_bytes(truncations(path.read_bytes())[cut])
    with pytest.raises(ValueError, match=r"model\.safetensors.*not a valid safetensors file"):
        BERTForSequenceClassification.from_pretrained(model_folder)


@pytest.mark.parametrize("junk", JUNK)
def test_corrupt_model_safetensors_names_the_file(junk, model_folder):
    (model_folder / "model.safetensors").write_bytes(junk)
    with pytest.raises(ValueError, match=r"model\.safetensors"):
        BERT.from_pretrained(model_folder)


@pytest.mark.parametrize("text, words", [
    ("{not json", "not a valid safetensors index"),
    ("[1, 2]", "not a valid safetensors index"),
    ('{"weight_map": [1]}', "no 'weight_map'"),
    ('{"weight_map": {"a": "../outside.safetensors"}}', "outside the model folder"),
    ('{"weight_map": {"a": "/etc/passwd"}}', "outside the model folder"),
])
def test_corrupt_index_names_the_file(text, words, model_folder):
    os.remove(model_folder / "model.safetensors")
    (model_folder / "model.safetensors.index.json").write_text(text)
    with pytest.raises(ValueError, match=rf"model\.safetensors\.index\.json.*{words}"):
        BERT.from_pretrained(model_folder)


@pytest.mark.parametrize("text, words", [("{oops", "not valid JSON"), ("[1, 2]", "must hold a JSON object")])
def test_corrupt_config_names_the_file(text, words, model_folder):
    (model_folder / "config.json").write_text(text)
    with pytest.raises(ValueError, match=rf"config\.json.*{words}"):
        BERTForMaskedLM.from_pretrained(model_folder)
    (model_folder / "config.json").write_bytes(b"\xff\xfe{")
    with pytest.raises(ValueError, match=r"config\.json.*not valid JSON"):
        BERTConfig.from_pretrained(model_folder)


# ---- checkpoints of another size and invalid configs ------------------------------------------
# (the first mismatching key is reported: a weight or its bias, whichever the checkpoint lists first)
@pytest.mark.parametrize("field, value, key, ckpt, model", [
    ("vocab_size", 31, r"bert\.embeddings\.word_embeddings\.weight", r"\(30, 8\)", r"\(31, 8\)"),
    ("intermediate_size", 12, r"bert\.encoder\.layer\.0\.intermediate\.dense\.(weight|bias)", r"\(16,", r"\(12,"),
    ("max_position_embeddings", 16, r"bert\.embeddings\.position_embeddings\.weight", r"\(8, 8\)", r"\(16, 8\)"),
])
def test_checkpoint_of_another_size_names_key_and_shapes(field, value, key, ckpt, model, model_folder):
    cfg = json.loads((model_folder / "config.json").read_text())
    cfg[field] = value
    (model_folder / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ValueError, match=rf"shape mismatch for '{key}'.*checkpoint has {ckpt}.*model expects {model}"):
        BERTForSequenceClassification.from_pretrained(model_folder)


def test_classifier_of_another_size_names_key_and_shapes(model_folder):
    with pytest.raises(ValueError, match=r"'classifier\.(weight|bias)'.*has \(3,.*expects \(5,"):
        BERTForSequenceClassification.from_pretrained(model_folder, num_labels=5)


INVALID = [
    ("vocab_size", 0), ("vocab_size", 2.5), ("hidden_size", -8), ("num_hidden_layers", 0),
    ("num_attention_heads", 0), ("intermediate_size", "big"), ("max_position_embeddings", 0),
    ("type_vocab_size", 0), ("hidden_dropout_prob", 1.5), ("attention_probs_dropout_prob", -0.1),
    ("classifier_dropout", 2.0), ("hidden_act", "swishy"), ("layer_norm_eps", 0.0),
    ("initializer_range", -1.0), ("pad_token_id", 30), ("mask_token_id", -1), ("tie_word_embedding", "yes"),
    ("add_pooling_layer", 1),
]


@pytest.mark.parametrize("field, value", INVALID)
def test_invalid_config_value_names_the_field(field, value):
    base = dict(vocab_size=30, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16,
                max_position_embeddings=8)
    base[field] = value
    with pytest.raises(ValueError, match=rf"{field}\b.*{value!r}" if field != "hidden_act" else "'swishy'"):
        BERTConfig(**base)


@pytest.mark.parametrize("field, value", INVALID[:6] + [("hidden_act", "swishy"), ("pad_token_id", 30)])
def test_invalid_config_json_names_file_and_field(field, value, model_folder):
    cfg = json.loads((model_folder / "config.json").read_text())
    cfg[field] = value
    (model_folder / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ValueError, match=rf"config\.json.*{field}"):
        BERTForSequenceClassification.from_pretrained(model_folder)


def test_heads_not_dividing_hidden_size_names_both_fields():
    with pytest.raises(ValueError, match=r"hidden_size \(10\) must be a multiple of num_attention_heads \(4\)"):
        BERTConfig(hidden_size=10, num_attention_heads=4)


# ---- atomic saves -----------------------------------------------------------------------------
@pytest.mark.parametrize("which", [1, 2])
def test_model_save_failing_part_way_keeps_previous_files(which, monkeypatch, model_folder):
    before = folder_bytes(model_folder)
    other = BERTForSequenceClassification(CFG.replace(intermediate_size=24), num_labels=3)
    fail_on_write(monkeypatch, which)
    with pytest.raises(WriteFailure, match="No space left"):
        other.save_pretrained(model_folder)
    monkeypatch.undo()
    assert folder_bytes(model_folder) == before and no_temp_files(model_folder)
    loaded = BERTForSequenceClassification.from_pretrained(model_folder)
    assert loaded.config.intermediate_size == 16
    other.save_pretrained(model_folder)  # the same save without the failure replaces both files
    assert BERTForSequenceClassification.from_pretrained(model_folder).config.intermediate_size == 24


def test_model_save_failing_before_writing_keeps_previous_files(monkeypatch, model_folder):
    from lucid.models.bert import checkpoint

    before = folder_bytes(model_folder)
    model = BERTForMaskedLM(CFG)

    def boom(*a, **k):
        raise RuntimeError("serialization failed")

    monkeypatch.setattr(checkpoint.BERTConfig, "_json_bytes", boom)
    with pytest.raises(RuntimeError, match="serialization failed"):
        model.save_pretrained(model_folder)
    assert folder_bytes(model_folder) == before and no_temp_files(model_folder)


# ---- loading never executes code --------------------------------------------------------------
def test_pickle_named_model_safetensors_is_rejected_without_running(tmp_path, model_folder):
    marker = tmp_path / "pwned"
    (model_folder / "model.safetensors").write_bytes(evil_bytes(marker))
    for cls in MODELS:
        with pytest.raises(ValueError, match=r"model\.safetensors.*not a valid safetensors file"):
            cls.from_pretrained(model_folder)
    assert not marker.exists()


def test_pytorch_bin_only_folder_is_refused_without_running(tmp_path, model_folder):
    marker = tmp_path / "pwned"
    os.remove(model_folder / "model.safetensors")
    (model_folder / "pytorch_model.bin").write_bytes(evil_bytes(marker))
    for cls in MODELS:
        with pytest.raises(FileNotFoundError, match=r"pytorch_model\.bin but no model\.safetensors.*only safetensors"):
            cls.from_pretrained(model_folder)
    assert not marker.exists()
