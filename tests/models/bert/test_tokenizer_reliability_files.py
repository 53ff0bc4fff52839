"""Reliability of tokenizer files: missing paths, corrupt or binary files named in the error, atomic
saves (a failure part way keeps the previous files) and loading that never executes code from a
file."""

import os

import pytest
from file_faults import WriteFailure, evil_bytes, fail_on_write, folder_bytes, no_temp_files

from lucid.models import BERTTokenizerFast

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "fox", "dog", "##s", "run"]


@pytest.fixture
def tok_folder(tmp_path):
    folder = tmp_path / "tok"
    BERTTokenizerFast(vocab={t: i for i, t in enumerate(VOCAB)}).save_pretrained(folder)
    return folder


def test_missing_tokenizer_folder_and_files_name_the_path(tmp_path, tok_folder):
    with pytest.raises(FileNotFoundError, match="no-such-tok"):
        BERTTokenizerFast.from_pretrained(tmp_path / "no-such-tok")
    for name in ("vocab.txt", "tokenizer.json"):
        os.remove(tok_folder / name)
    with pytest.raises(FileNotFoundError, match=r"tok'.*vocab\.txt or tokenizer\.json"):
        BERTTokenizerFast.from_pretrained(tok_folder)
    with pytest.raises(FileNotFoundError, match="missing-vocab.txt"):
        BERTTokenizerFast(vocab_file=tmp_path / "missing-vocab.txt")


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


@pytest.mark.parametrize("which", [1, 2, 3, 4])
def test_tokenizer_save_failing_part_way_keeps_previous_files(which, monkeypatch, tok_folder):
    before = folder_bytes(tok_folder)
    other = BERTTokenizerFast(vocab={t: i for i, t in enumerate(VOCAB + ["cat", "##ing"])}, lowercase=False)
    fail_on_write(monkeypatch, which)
    with pytest.raises(WriteFailure):
        other.save_pretrained(tok_folder)
    monkeypatch.undo()
    assert folder_bytes(tok_folder) == before and no_temp_files(tok_folder)
    assert BERTTokenizerFast.from_pretrained(tok_folder).vocab_size == len(VOCAB)


def test_pickle_in_tokenizer_files_is_rejected_without_running(tmp_path, tok_folder):
    marker = tmp_path / "pwned"
    (tok_folder / "tokenizer.json").write_bytes(evil_bytes(marker))
    with pytest.raises(ValueError, match=r"tokenizer\.json.*not valid JSON"):
        BERTTokenizerFast.from_pretrained(tok_folder)
    assert not marker.exists()
