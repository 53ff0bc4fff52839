"""A user's mistake (bad argument, missing or malformed file or folder) is one line,
``lucid-bert: error: ...``, exit status 2, no traceback; and the console script is declared."""

from __future__ import annotations

import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.parametrize("argv, words", [
    (["bogus"], ["invalid choice", "bogus"]),
    (["demo", "--device", "tpu"], ["--device", "tpu"]),
    (["demo", "--seed", "-3"], ["--seed", "-3"]),
    (["demo", "--epochs", "zero"], ["--epochs", "zero"]),
    (["classify"], ["required", "model"]),
    (["fill-mask", "x", "a [MASK]", "--top-k", "0"], ["--top-k", "0"]),
    (["finetune", "x", "y.csv", "--lr", "-1"], ["--lr", "-1"]),
    (["finetune", "x", "y.csv", "--warmup-ratio", "1.5"], ["--warmup-ratio", "1.5"]),
    (["classify", "no/such/folder", "hello"], ["no model folder", "no/such/folder"]),
])
def test_bad_arguments(argv, words, run, one_line_error):
    status, _, err = run(argv)
    one_line_error(status, err, *words)


def test_gpu_without_gpu_is_a_clear_error(run, one_line_error):
    import lucid

    if lucid.gpu_available():
        pytest.skip("a GPU is present")
    status, _, err = run(["demo", "--device", "gpu", "--quick"])
    one_line_error(status, err, "--device gpu", "CuPy", "CUDA")


def test_bad_files(demo_dir, tmp_path, run, one_line_error):
    demo_out, _ = demo_dir
    model = str(demo_out / "pretrained")
    clf = str(demo_out / "classifier")

    status, _, err = run(["finetune", model, str(tmp_path / "missing.csv")])
    one_line_error(status, err, "no such file", "missing.csv")

    weird = tmp_path / "train.xml"
    weird.write_text("<x/>")
    status, _, err = run(["finetune", model, str(weird)])
    one_line_error(status, err, "format", "train.xml", ".csv", ".jsonl")

    nolabel = tmp_path / "nolabel.csv"
    nolabel.write_text("text,score\ngood,1\n")
    status, _, err = run(["finetune", model, str(nolabel)])
    one_line_error(status, err, "nolabel.csv", "line 2", "'label'", "'score'")

    badjson = tmp_path / "bad.jsonl"
    badjson.write_text('{"text": "ok", "label": "a"}\n{"text": "broken", \n')
    status, _, err = run(["finetune", model, str(badjson)])
    one_line_error(status, err, "bad.jsonl", "line 2", "JSON")

    empty = tmp_path / "empty.csv"
    empty.write_text("")
    status, _, err = run(["finetune", model, str(empty)])
    one_line_error(status, err, "empty.csv", "empty")

    one_label = tmp_path / "one.csv"
    one_label.write_text("text,label\na,x\nb,x\nc,x\n")
    status, _, err = run(["finetune", model, str(one_label), "--eval-fraction", "0.3"])
    one_line_error(status, err, "single label", "'x'")

    train = tmp_path / "ok.csv"
    train.write_text("text,label\ngood,pos\nbad,neg\nfine,pos\nawful,neg\n")
    dev = tmp_path / "dev.csv"
    dev.write_text("text,label\nmeh,neutral\n")
    status, _, err = run(["finetune", model, str(train), "--eval-file", str(dev)])
    one_line_error(status, err, "'neutral'", "does not occur")

    status, _, err = run(["fill-mask", model, "no mask here"])
    one_line_error(status, err, "[MASK]", "no mask here")

    status, _, err = run(["classify", clf])
    one_line_error(status, err, "no texts")

    # a folder whose weights are missing
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text((demo_out / "classifier" / "config.json").read_text())
    (broken / "vocab.txt").write_text((demo_out / "classifier" / "vocab.txt").read_text())
    status, _, err = run(["classify", str(broken), "hello"])
    one_line_error(status, err, "broken")

    # a file where a folder belongs
    status, _, err = run(["classify", str(train), "hello"])
    one_line_error(status, err, "ok.csv", "expected a model folder")

    # not UTF-8
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"text,label\n\xff\xfe,1\n")
    status, _, err = run(["finetune", model, str(binary)])
    one_line_error(status, err, "bin.csv", "UTF-8")


def test_console_script_is_declared():
    import tomllib

    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        meta = tomllib.load(f)
    assert meta["project"]["scripts"]["lucid-bert"] == "lucid.cli:main"
