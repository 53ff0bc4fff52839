"""Reliability of files: missing paths, truncated or corrupt safetensors, checkpoints of another
size, invalid configs, atomic saves (a failure part way keeps the previous files) and loading
that never executes code from a file."""

import json
import os
import pickle

import numpy as np
import pytest

import lucid
from lucid.models import BERT, BERTConfig, BERTForMaskedLM, BERTForSequenceClassification, BERTTokenizerFast

CFG = BERTConfig(vocab_size=30, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16,
                 max_position_embeddings=8)
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "fox", "dog", "##s", "run"]
MODELS = [BERT, BERTForMaskedLM, BERTForSequenceClassification]


def _folder_bytes(folder):
    return {n: open(os.path.join(folder, n), "rb").read() for n in sorted(os.listdir(folder))}


@pytest.fixture
def model_folder(tmp_path):
    folder = tmp_path / "model"
    BERTForSequenceClassification(CFG, num_labels=3).save_pretrained(folder)
    return folder


@pytest.fixture
def tok_folder(tmp_path):
    folder = tmp_path / "tok"
    BERTTokenizerFast(vocab={t: i for i, t in enumerate(VOCAB)}).save_pretrained(folder)
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


def test_missing_tokenizer_folder_and_files_name_the_path(tmp_path, tok_folder):
    with pytest.raises(FileNotFoundError, match="no-such-tok"):
        BERTTokenizerFast.from_pretrained(tmp_path / "no-such-tok")
    for name in ("vocab.txt", "tokenizer.json"):
        os.remove(tok_folder / name)
    with pytest.raises(FileNotFoundError, match=r"tok'.*vocab\.txt or tokenizer\.json"):
        BERTTokenizerFast.from_pretrained(tok_folder)
    with pytest.raises(FileNotFoundError, match="missing-vocab.txt"):
        BERTTokenizerFast(vocab_file=tmp_path / "missing-vocab.txt")


def test_lucid_load_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="absent.safetensors"):
        lucid.load(tmp_path / "absent.safetensors")
    with pytest.raises(FileNotFoundError, match="no-folder"):
        lucid.save(lucid.ones(2), tmp_path / "no-folder" / "w.safetensors")


# ---- truncated or corrupt files ---------------------------------------------------------------
def _truncations(data):
    # cut inside the 8-byte length, inside the JSON header, and inside the tensor data
    header = int.from_bytes(data[:8], "little")
    return {"len": data[:5], "header": data[: 8 + header // 2], "data": data[:-7], "empty": b""}


@pytest.mark.parametrize("cut", ["len", "header", "data", "empty"])
def test_truncated_safetensors_names_the_file(cut, tmp_path, model_folder):
    path = model_folder / "model.safetensors"
    path.write_bytes(_truncations(path.read_bytes())[cut])
    with pytest.raises(ValueError, match=r"model\.safetensors.*not a valid safetensors file"):
        BERTForSequenceClassification.from_pretrained(model_folder)
    lucid.save({"w": lucid.ones(3, 4)}, tmp_path / "w.safetensors")
    small = tmp_path / "w.safetensors"
    small.write_bytes(_truncations(small.read_bytes())[cut])
    with pytest.raises(ValueError, match=r"w\.safetensors.*not a valid safetensors file"):
        lucid.load(small)


@pytest.mark.parametrize("junk", [b"\x00" * 64, b"GARBAGE!" * 8, b"{}" + b"x" * 30,
                                  (10 ** 12).to_bytes(8, "little") + b"{}", (2).to_bytes(8, "little") + b"[]"])
def test_corrupt_safetensors_names_the_file(junk, tmp_path, model_folder):
    (model_folder / "model.safetensors").write_bytes(junk)
    with pytest.raises(ValueError, match=r"model\.safetensors"):
        BERT.from_pretrained(model_folder)
    (tmp_path / "junk.safetensors").write_bytes(junk)
    with pytest.raises(ValueError, match=r"junk\.safetensors"):
        lucid.load(tmp_path / "junk.safetensors")


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


@pytest.mark.parametrize("name, data, words", [
    ("tokenizer.json", b"{trunc", "not valid JSON"),
    ("tokenizer.json", b"[]", "must hold a JSON object"),
    ("tokenizer_config.json", b"{x", "not valid JSON"),
    ("special_tokens_map.json", b"\xff\x00", "not valid JSON"),
])
def test_corrupt_tokenizer_files_name_the_file(name, data, words, tok_folder):
    (tok_folder / name).write_bytes(data)
    with pytest.raises(ValueError, match=rf"{name}.*{words}"):
        BERTTokenizerFast.from_pretrained(tok_folder)


def test_binary_vocab_txt_names_the_file(tok_folder):
    os.remove(tok_folder / "tokenizer.json")
    (tok_folder / "vocab.txt").write_bytes(b"\xff\xfe\x00\x81binary")
    with pytest.raises(ValueError, match=r"vocab\.txt.*not a UTF-8 text vocabulary"):
        BERTTokenizerFast.from_pretrained(tok_folder)


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
class _Failure(OSError):
    pass


def _fail_on_write(monkeypatch, which):
    """Make the ``which``-th file written (1-based) fail half way through: half its bytes reach
    the disk, then the write raises as a full disk would."""
    real_fdopen = os.fdopen
    count = {"n": 0}

    class HalfWriter:
        def __init__(self, f):
            self.f = f

        def write(self, data):
            self.f.write(data[: len(data) // 2])
            raise _Failure(28, "No space left on device (simulated)")

        def __getattr__(self, name):
            return getattr(self.f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    def fdopen(fd, *args, **kwargs):
        f = real_fdopen(fd, *args, **kwargs)
        count["n"] += 1
        return HalfWriter(f) if count["n"] == which else f

    monkeypatch.setattr(os, "fdopen", fdopen)
    return count


def _no_temp_files(folder):
    return [n for n in os.listdir(folder) if n.startswith(".tmp-")] == []


@pytest.mark.parametrize("which", [1, 2])
def test_model_save_failing_part_way_keeps_previous_files(which, monkeypatch, model_folder):
    before = _folder_bytes(model_folder)
    other = BERTForSequenceClassification(CFG.replace(intermediate_size=24), num_labels=3)
    _fail_on_write(monkeypatch, which)
    with pytest.raises(_Failure, match="No space left"):
        other.save_pretrained(model_folder)
    monkeypatch.undo()
    assert _folder_bytes(model_folder) == before and _no_temp_files(model_folder)
    loaded = BERTForSequenceClassification.from_pretrained(model_folder)
    assert loaded.config.intermediate_size == 16
    other.save_pretrained(model_folder)  # the same save without the failure replaces both files
    assert BERTForSequenceClassification.from_pretrained(model_folder).config.intermediate_size == 24


def test_model_save_failing_before_writing_keeps_previous_files(monkeypatch, model_folder):
    from lucid.models.bert import checkpoint

    before = _folder_bytes(model_folder)
    model = BERTForMaskedLM(CFG)

    def boom(*a, **k):
        raise RuntimeError("serialization failed")

    monkeypatch.setattr(checkpoint.BERTConfig, "_json_bytes", boom)
    with pytest.raises(RuntimeError, match="serialization failed"):
        model.save_pretrained(model_folder)
    assert _folder_bytes(model_folder) == before and _no_temp_files(model_folder)


@pytest.mark.parametrize("which", [1, 2, 3, 4])
def test_tokenizer_save_failing_part_way_keeps_previous_files(which, monkeypatch, tok_folder):
    before = _folder_bytes(tok_folder)
    other = BERTTokenizerFast(vocab={t: i for i, t in enumerate(VOCAB + ["cat", "##ing"])}, lowercase=False)
    _fail_on_write(monkeypatch, which)
    with pytest.raises(_Failure):
        other.save_pretrained(tok_folder)
    monkeypatch.undo()
    assert _folder_bytes(tok_folder) == before and _no_temp_files(tok_folder)
    assert BERTTokenizerFast.from_pretrained(tok_folder).vocab_size == len(VOCAB)


def test_lucid_save_failing_part_way_keeps_previous_file(monkeypatch, tmp_path):
    path = tmp_path / "state.safetensors"
    lucid.save({"w": lucid.ones(4, 4)}, path)
    before = path.read_bytes()
    _fail_on_write(monkeypatch, 1)
    with pytest.raises(_Failure):
        lucid.save({"w": lucid.zeros(64, 64), "b": lucid.zeros(3)}, path)
    monkeypatch.undo()
    _fail_on_write(monkeypatch, 1)
    with pytest.raises(_Failure):
        lucid.save(BERT(CFG), path)  # a Module's state, too
    monkeypatch.undo()
    assert path.read_bytes() == before and _no_temp_files(tmp_path)
    np.testing.assert_array_equal(lucid.load(path)["w"].numpy(), np.ones((4, 4), np.float32))


def test_failed_rename_keeps_previous_file_and_removes_temp(monkeypatch, tmp_path):
    path = tmp_path / "t.safetensors"
    lucid.save(lucid.ones(2), path)
    before = path.read_bytes()

    def replace(src, dst):
        raise PermissionError(13, "Permission denied (simulated)", str(dst))

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(PermissionError):
        lucid.save(lucid.zeros(2), path)
    monkeypatch.undo()
    assert path.read_bytes() == before and _no_temp_files(tmp_path)


# ---- loading never executes code --------------------------------------------------------------
class _Payload:
    """Unpickling this creates ``marker``: proof that a loader executed code from the file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _evil_bytes(marker):
    return pickle.dumps({"weight": _Payload(marker)})


def test_the_payload_really_runs_when_unpickled(tmp_path):
    # guards the tests below: their payload is live, so "no marker" means "not executed"
    marker = tmp_path / "proof"
    pickle.loads(_evil_bytes(marker))
    assert marker.exists()


def test_pickle_named_safetensors_is_rejected_without_running(tmp_path, model_folder):
    marker = tmp_path / "pwned"
    evil = _evil_bytes(marker)
    (tmp_path / "evil.safetensors").write_bytes(evil)
    with pytest.raises(ValueError, match=r"evil\.safetensors.*not a valid safetensors file"):
        lucid.load(tmp_path / "evil.safetensors")
    (model_folder / "model.safetensors").write_bytes(evil)
    for cls in MODELS:
        with pytest.raises(ValueError, match=r"model\.safetensors.*not a valid safetensors file"):
            cls.from_pretrained(model_folder)
    assert not marker.exists()


def test_pytorch_bin_only_folder_is_refused_without_running(tmp_path, model_folder):
    marker = tmp_path / "pwned"
    os.remove(model_folder / "model.safetensors")
    (model_folder / "pytorch_model.bin").write_bytes(_evil_bytes(marker))
    for cls in MODELS:
        with pytest.raises(FileNotFoundError, match=r"pytorch_model\.bin but no model\.safetensors.*only safetensors"):
            cls.from_pretrained(model_folder)
    assert not marker.exists()


def test_pickle_in_tokenizer_files_is_rejected_without_running(tmp_path, tok_folder):
    marker = tmp_path / "pwned"
    (tok_folder / "tokenizer.json").write_bytes(_evil_bytes(marker))
    with pytest.raises(ValueError, match=r"tokenizer\.json.*not valid JSON"):
        BERTTokenizerFast.from_pretrained(tok_folder)
    assert not marker.exists()
