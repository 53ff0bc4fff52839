"""``lucid-bert``: the demo end to end, fill-mask / classify on its folders, finetune on CSV and JSONL,
and one-line errors (exit status 2) for bad files and arguments."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from lucid import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(argv, capsys):
    """Run ``main(argv)``; return (status, stdout, stderr)."""
    status = cli.main(argv)
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    """One full default demo run (in a subprocess, as a user runs it), shared by the tests below."""
    out = tmp_path_factory.mktemp("demo")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "lucid.cli", "demo", "--output-dir", str(out), "--seed", "0"],
                          capture_output=True, text=True, timeout=300, env=env, cwd=str(out))
    return out, proc


def test_demo_end_to_end(demo_dir):
    out, proc = demo_dir
    assert proc.returncode == 0, proc.stderr[-3000:]
    m = re.search(r"held-out accuracy: ([0-9.]+) on (\d+) reviews", proc.stdout)
    assert m, proc.stdout
    assert float(m.group(1)) >= 0.8, proc.stdout  # chance is 0.5
    assert int(m.group(2)) == 72
    # progress bars with rate and ETA went to stderr
    assert re.search(r"pretrain 1/\d+ \|#+\| \d+/\d+ \[\d\d:\d\d<\d\d:\d\d, [0-9.]+ batch/s\]", proc.stderr)
    assert "finetune 1/" in proc.stderr
    for sub in ("pretrained", "classifier"):
        for name in ("config.json", "model.safetensors", "vocab.txt", "tokenizer.json"):
            assert (out / sub / name).is_file(), f"{sub}/{name} missing"
    cfg = json.loads((out / "classifier" / "config.json").read_text())
    assert cfg["id2label"] == {"0": "negative", "1": "positive"}
    # four example predictions, each with a label and a probability
    preds = re.findall(r"^  (positive|negative) +([0-9.]+)  ", proc.stdout, re.M)
    assert len(preds) == 4 and all(0.5 <= float(p) <= 1.0 for _, p in preds)


def test_demo_is_the_default_and_reproducible(tmp_path, capsys, monkeypatch):
    """No subcommand runs the demo; the same seed gives the same accuracy and predictions."""
    monkeypatch.chdir(tmp_path)
    s1, out1, _ = run(["--quick", "--seed", "3", "--output-dir", "a"], capsys)
    s2, out2, _ = run(["demo", "--quick", "--seed", "3", "--output-dir", "b"], capsys)
    assert s1 == s2 == 0
    strip = lambda s: re.sub(r"total time [0-9.]+ s|\S*(a|b)/(pretrained|classifier)", "", s)  # noqa: E731
    assert strip(out1) == strip(out2)
    assert (tmp_path / "a" / "classifier" / "model.safetensors").is_file()


def test_classify_on_demo_folder(demo_dir, capsys, tmp_path):
    out, proc = demo_dir
    assert proc.returncode == 0
    texts = ["What a wonderful and delightful film.", "The hotel was terrible and boring."]
    status, stdout, _ = run(["classify", str(out / "classifier"), *texts], capsys)
    assert status == 0
    lines = stdout.strip().splitlines()
    assert [ln.split("\t")[0] for ln in lines] == ["positive", "negative"]
    assert all(0.5 <= float(ln.split("\t")[1]) <= 1.0 for ln in lines)
    assert [ln.split("\t")[2] for ln in lines] == texts
    # --file with plain lines, --json with every probability
    f = tmp_path / "texts.txt"
    f.write_text("\n".join(texts) + "\n\n")
    status, stdout, _ = run(["classify", str(out / "classifier"), "--file", str(f), "--json"], capsys)
    assert status == 0
    rows = [json.loads(ln) for ln in stdout.strip().splitlines()]
    assert [r["text"] for r in rows] == texts
    for r in rows:
        assert set(r["probabilities"]) == {"negative", "positive"}
        assert abs(sum(r["probabilities"].values()) - 1.0) < 1e-4
        assert r["probability"] == max(r["probabilities"].values())


def test_fill_mask_on_demo_folder(demo_dir, capsys):
    out, proc = demo_dir
    assert proc.returncode == 0
    text = "The [MASK] reads a [MASK] in the morning."
    status, stdout, _ = run(["fill-mask", str(out / "pretrained"), text, "--top-k", "4"], capsys)
    assert status == 0
    lines = stdout.splitlines()
    assert lines[0] == text
    assert sum(1 for ln in lines if ln.strip().startswith("[MASK]")) == 2
    probs = [float(ln.split()[-1]) for ln in lines if re.match(r"^    \S+ +[0-9.]+$", ln)]
    assert len(probs) == 8
    for block in (probs[:4], probs[4:]):
        assert block == sorted(block, reverse=True) and 0 < sum(block) <= 1.0 + 1e-6


def _tiny_hf_folder(tmp_path, demo_out):
    """A Hugging Face-style start folder: the demo's masked-LM checkpoint and tokenizer."""
    return str(demo_out / "pretrained")


def _write_examples(tmp_path, kind):
    from lucid.data import SENTIMENT_LABELS, load_sentiment

    texts, labels = load_sentiment()
    rows = [(t, SENTIMENT_LABELS[y]) for t, y in zip(texts[:80], labels[:80])]
    if kind == "csv":
        import csv

        path = tmp_path / "train.csv"
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["text", "label"])
            w.writerows(rows)
    else:
        path = tmp_path / "train.jsonl"
        with open(path, "w") as f:
            for t, y in rows:
                # a text pair on every line exercises the segment-B path
                f.write(json.dumps({"text": t, "text_pair": "a review", "label": y}) + "\n")
    return path


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_finetune(demo_dir, tmp_path, capsys, kind):
    demo_out, proc = demo_dir
    assert proc.returncode == 0
    train = _write_examples(tmp_path, kind)
    out = tmp_path / "ft"
    status, stdout, stderr = run(["finetune", str(demo_out / "pretrained"), str(train), "--epochs", "2",
                                  "--batch-size", "16", "--lr", "1e-3", "--eval-fraction", "0.25",
                                  "--output-dir", str(out), "--seed", "1"], capsys)
    assert status == 0, stderr
    assert re.search(r"best eval accuracy [0-9.]+ \(loss [0-9.]+\) after epoch [12]", stdout)
    assert stderr.count("eval accuracy") == 2  # evaluated after each epoch
    assert "(best, saved)" in stderr
    assert "20 for evaluation" in stderr and "60 examples" in stderr
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["id2label"] == {"0": "negative", "1": "positive"}
    assert cfg["architectures"] == ["BertForSequenceClassification"]
    assert (out / "vocab.txt").is_file()
    # the saved best checkpoint classifies
    status, stdout, _ = run(["classify", str(out), "fine film"], capsys)
    assert status == 0 and stdout.split("\t")[0] in ("negative", "positive")


def test_finetune_best_checkpoint_is_the_best_epoch(demo_dir, tmp_path, capsys):
    """The folder holds the epoch with the highest eval accuracy, not simply the last one."""
    demo_out, _ = demo_dir
    train = _write_examples(tmp_path, "csv")
    out = tmp_path / "ft"
    status, stdout, stderr = run(["finetune", str(demo_out / "pretrained"), str(train), "--eval-file", str(train),
                                  "--epochs", "3", "--lr", "1e-3", "--output-dir", str(out)], capsys)
    assert status == 0, stderr
    accs = [float(a) for a in re.findall(r"eval accuracy ([0-9.]+)", stderr)]
    best_epoch = int(re.search(r"after epoch (\d)", stdout).group(1))
    assert accs[best_epoch - 1] == max(accs)
    status, stdout, _ = run(["classify", str(out), "--file", str(train)], capsys)
    import csv

    with open(train) as f:
        gold = [r["label"] for r in csv.DictReader(f)]
    got = [ln.split("\t")[0] for ln in stdout.strip().splitlines()]
    assert abs(np.mean([g == p for g, p in zip(gold, got)]) - max(accs)) < 1e-6


# ---------------------------------------------------------------------------------------------------------
# errors: one line, "lucid-bert: error: ...", exit status 2, no traceback
# ---------------------------------------------------------------------------------------------------------
def _assert_one_line_error(status, err, *words):
    assert status == 2
    lines = [ln for ln in err.strip().splitlines() if not ln.startswith("lucid-bert: note:")]
    assert len(lines) == 1, err
    assert lines[0].startswith("lucid-bert: error: ")
    assert "Traceback" not in err
    for w in words:
        assert w in lines[0], (w, lines[0])


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
def test_bad_arguments(argv, words, capsys):
    status, _, err = run(argv, capsys)
    _assert_one_line_error(status, err, *words)


def test_gpu_without_gpu_is_a_clear_error(capsys):
    import lucid

    if lucid.gpu_available():
        pytest.skip("a GPU is present")
    status, _, err = run(["demo", "--device", "gpu", "--quick"], capsys)
    _assert_one_line_error(status, err, "--device gpu", "CuPy", "CUDA")


def test_bad_files(demo_dir, tmp_path, capsys):
    demo_out, _ = demo_dir
    model = str(demo_out / "pretrained")
    clf = str(demo_out / "classifier")

    status, _, err = run(["finetune", model, str(tmp_path / "missing.csv")], capsys)
    _assert_one_line_error(status, err, "no such file", "missing.csv")

    weird = tmp_path / "train.xml"
    weird.write_text("<x/>")
    status, _, err = run(["finetune", model, str(weird)], capsys)
    _assert_one_line_error(status, err, "format", "train.xml", ".csv", ".jsonl")

    nolabel = tmp_path / "nolabel.csv"
    nolabel.write_text("text,score\ngood,1\n")
    status, _, err = run(["finetune", model, str(nolabel)], capsys)
    _assert_one_line_error(status, err, "nolabel.csv", "line 2", "'label'", "'score'")

    badjson = tmp_path / "bad.jsonl"
    badjson.write_text('{"text": "ok", "label": "a"}\n{"text": "broken", \n')
    status, _, err = run(["finetune", model, str(badjson)], capsys)
    _assert_one_line_error(status, err, "bad.jsonl", "line 2", "JSON")

    empty = tmp_path / "empty.csv"
    empty.write_text("")
    status, _, err = run(["finetune", model, str(empty)], capsys)
    _assert_one_line_error(status, err, "empty.csv", "empty")

    one_label = tmp_path / "one.csv"
    one_label.write_text("text,label\na,x\nb,x\nc,x\n")
    status, _, err = run(["finetune", model, str(one_label), "--eval-fraction", "0.3"], capsys)
    _assert_one_line_error(status, err, "single label", "'x'")

    train = tmp_path / "ok.csv"
    train.write_text("text,label\ngood,pos\nbad,neg\nfine,pos\nawful,neg\n")
    dev = tmp_path / "dev.csv"
    dev.write_text("text,label\nmeh,neutral\n")
    status, _, err = run(["finetune", model, str(train), "--eval-file", str(dev)], capsys)
    _assert_one_line_error(status, err, "'neutral'", "does not occur")

    status, _, err = run(["fill-mask", model, "no mask here"], capsys)
    _assert_one_line_error(status, err, "[MASK]", "no mask here")

    status, _, err = run(["classify", clf], capsys)
    _assert_one_line_error(status, err, "no texts")

    # a folder whose weights are missing
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text((demo_out / "classifier" / "config.json").read_text())
    (broken / "vocab.txt").write_text((demo_out / "classifier" / "vocab.txt").read_text())
    status, _, err = run(["classify", str(broken), "hello"], capsys)
    _assert_one_line_error(status, err, "broken")

    # a file where a folder belongs
    status, _, err = run(["classify", str(train), "hello"], capsys)
    _assert_one_line_error(status, err, "ok.csv", "expected a model folder")

    # not UTF-8
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"text,label\n\xff\xfe,1\n")
    status, _, err = run(["finetune", model, str(binary)], capsys)
    _assert_one_line_error(status, err, "bin.csv", "UTF-8")


def test_console_script_is_declared():
    import tomllib

    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        meta = tomllib.load(f)
    assert meta["project"]["scripts"]["lucid-bert"] == "lucid.cli:main"


# ---------------------------------------------------------------------------------------------------------
# the progress bar and the example reader
# ---------------------------------------------------------------------------------------------------------
def test_progress_bar_rate_and_eta(monkeypatch):
    clock = iter([100.0, 102.0, 104.0])
    monkeypatch.setattr(cli.time, "perf_counter", lambda: next(clock))
    out = io.StringIO()
    bar = cli.ProgressBar(10, "train", stream=out, unit="batch")  # starts at t=100
    bar.n = 4
    line = bar.render()  # t=102: 4 steps in 2 s -> 2.0 batch/s, 6 left -> 3 s
    assert "4/10" in line and "2.0 batch/s" in line and "[00:02<00:03," in line
    assert "|##########..............|" in line  # 24 wide, 40% filled
    bar.close()  # t=104
    assert out.getvalue().endswith("\n") and "\r" not in out.getvalue()


def test_progress_bar_redraws_in_place_on_a_terminal():
    class TTY(io.StringIO):
        def isatty(self):
            return True

    out = TTY()
    with cli.ProgressBar(3, "x", stream=out, min_interval=0.0) as bar:
        for _ in range(3):
            bar.update(1, loss=1.25)
    text = out.getvalue()
    assert text.count("\r") >= 3 and text.endswith("\n") and "loss=1.2500" in text and "3/3" in text


def test_read_examples_csv_tsv_jsonl(tmp_path):
    (tmp_path / "a.tsv").write_text("text\ttext_pair\tlabel\nx y\tz\t1\nw\t\t0\n")
    assert cli.read_examples(str(tmp_path / "a.tsv")) == [
        {"text": "x y", "text_pair": "z", "label": "1"}, {"text": "w", "label": "0"}]
    (tmp_path / "b.jsonl").write_text('{"text": "x", "label": 2}\n\n{"text": "y", "label": "b"}\n')
    assert cli.read_examples(str(tmp_path / "b.jsonl")) == [{"text": "x", "label": "2"}, {"text": "y", "label": "b"}]
    assert cli._label_vocab(["10", "2", "1"]) == ["1", "2", "10"]
    assert cli._label_vocab(["pos", "neg"]) == ["neg", "pos"]


def test_blas_threads_is_restored(monkeypatch):
    """The demo's single-thread BLAS section leaves the thread count as it found it."""
    import ctypes

    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    libs = sorted({ln.split()[-1] for ln in open("/proc/self/maps") if "scipy_openblas" in ln.split()[-1]}) \
        if os.path.exists("/proc/self/maps") else []
    if not libs:
        pytest.skip("NumPy here is not linked to scipy-openblas")
    get = ctypes.CDLL(libs[0]).scipy_openblas_get_num_threads64_
    before = get()
    with cli._single_blas_thread():
        assert get() == 1
    assert get() == before
