"""checkpoint.py's folder check and label names: what a command line needs before and after loading."""

from __future__ import annotations

import pytest

from lucid.models import BERTConfig
from lucid.models.bert.checkpoint import check_model_folder, label_names, set_label_names


def test_check_model_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model folder at .*nowhere"):
        check_model_folder(tmp_path / "nowhere")
    a_file = tmp_path / "ok.csv"
    a_file.write_text("text,label\n")
    with pytest.raises(NotADirectoryError, match=r"ok\.csv' is a file, expected a model folder"):
        check_model_folder(a_file)
    with pytest.raises(FileNotFoundError, match=r"has no config\.json"):
        check_model_folder(tmp_path)
    BERTConfig(vocab_size=30).save_pretrained(tmp_path)
    assert check_model_folder(tmp_path) == str(tmp_path)


def test_label_names_and_their_round_trip(tmp_path):
    cfg = BERTConfig(vocab_size=30)
    assert label_names(cfg, 2) == ["LABEL_0", "LABEL_1"]
    set_label_names(cfg, ["neg", "neutral", "pos"])
    assert label_names(cfg, 3) == ["neg", "neutral", "pos"]
    assert label_names(cfg, 2) == ["LABEL_0", "LABEL_1"]  # names for other ids are not these
    cfg.save_pretrained(tmp_path)
    again = BERTConfig.from_pretrained(tmp_path)
    assert label_names(again, 3) == ["neg", "neutral", "pos"]
    assert again.label2id == {"neg": 0, "neutral": 1, "pos": 2}
    with pytest.raises(ValueError, match="distinct"):
        set_label_names(cfg, ["a", "a"])
