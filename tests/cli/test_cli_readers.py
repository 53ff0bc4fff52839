"""The example reader (CSV, TSV, JSONL) and the label vocabulary's order."""

from __future__ import annotations

from lucid.cli import read_examples, readers


def test_read_examples_csv_tsv_jsonl(tmp_path):
    (tmp_path / "a.tsv").write_text("text\ttext_pair\tlabel\nx y\tz\t1\nw\t\t0\n")
    assert read_examples(str(tmp_path / "a.tsv")) == [
        {"text": "x y", "text_pair": "z", "label": "1"}, {"text": "w", "label": "0"}]
    (tmp_path / "b.jsonl").write_text('{"text": "x", "label": 2}\n\n{"text": "y", "label": "b"}\n')
    assert read_examples(str(tmp_path / "b.jsonl")) == [{"text": "x", "label": "2"}, {"text": "y", "label": "b"}]
    assert readers.label_vocab(["10", "2", "1"]) == ["1", "2", "10"]
    assert readers.label_vocab(["pos", "neg"]) == ["neg", "pos"]


def test_a_byte_order_mark_is_not_part_of_the_first_column(tmp_path):
    """Spreadsheet programs start a UTF-8 CSV with a byte-order mark; it must not rename the column."""
    bom = b"\xef\xbb\xbf"
    (tmp_path / "a.csv").write_bytes(bom + "text,label\ncafé crème,1\n".encode())
    (tmp_path / "b.jsonl").write_bytes(bom + b'{"text": "x", "label": "y"}\n')
    (tmp_path / "c.txt").write_bytes(bom + b"first line\n")
    assert read_examples(str(tmp_path / "a.csv")) == [{"text": "café crème", "label": "1"}]
    assert read_examples(str(tmp_path / "b.jsonl")) == [{"text": "x", "label": "y"}]
    assert readers.read_texts(str(tmp_path / "c.txt")) == [("first line", None)]
