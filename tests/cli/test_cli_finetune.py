"""``lucid-bert finetune`` on CSV and JSONL (with text pairs): per-epoch evaluation, the best
epoch saved with its labels, and the saved folder classifies."""

from __future__ import annotations

import csv
import json
import re

import numpy as np
import pytest
import torch


def _write_examples(tmp_path, kind):
    from lucid.data import SENTIMENT_LABELS, load_sentiment

    texts, labels = load_sentiment()
    rows = [(t, SENTIMENT_LABELS[y]) for t, y in zip(texts[:80], labels[:80])]
    if kind == "csv":
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


def _check_metrics(out, epochs, steps_per_epoch, peak_lr, stderr):
    """metrics.jsonl: a record per step (loss, the learning rate the step used) and per
    evaluation (the figures the log shows); the picture when matplotlib is there."""
    from transformers import get_linear_schedule_with_warmup

    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    train = [r for r in records if "loss" in r]
    evals = [r for r in records if "eval_loss" in r]
    steps = epochs * steps_per_epoch
    assert [r["step"] for r in train] == list(range(1, steps + 1))
    assert [r["epoch"] for r in train] == pytest.approx([k / steps_per_epoch for k in range(1, steps + 1)])
    assert all(r["loss"] > 0 for r in train)
    # the learning rates of transformers' linear warm-up/decay schedule, step by step
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=peak_lr)
    schedule = get_linear_schedule_with_warmup(opt, round(steps * 0.1), steps)
    expected = []
    for _ in range(steps):
        expected.append(opt.param_groups[0]["lr"])
        opt.step()
        schedule.step()
    assert [r["learning_rate"] for r in train] == pytest.approx(expected, rel=1e-6, abs=1e-12)
    assert [(r["step"], r["epoch"]) for r in evals] == [(steps_per_epoch * e, float(e)) for e in range(1, epochs + 1)]
    logged = [float(a) for a in re.findall(r"eval accuracy ([0-9.]+)", stderr)]
    assert [round(r["eval_accuracy"], 3) for r in evals] == logged
    png = out / "training_curves.png"
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert not png.exists()
    else:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_finetune(demo_dir, tmp_path, run, kind):
    demo_out, proc = demo_dir
    assert proc.returncode == 0
    train = _write_examples(tmp_path, kind)
    out = tmp_path / "ft"
    status, stdout, stderr = run(["finetune", str(demo_out / "pretrained"), str(train), "--epochs", "2",
                                  "--batch-size", "16", "--lr", "1e-3", "--eval-fraction", "0.25",
                                  "--output-dir", str(out), "--seed", "1"])
    assert status == 0, stderr
    assert re.search(r"best eval accuracy [0-9.]+ \(loss [0-9.]+\) after epoch [12]", stdout)
    assert stderr.count("eval accuracy") == 2  # evaluated after each epoch
    assert "(best, saved)" in stderr
    assert "20 for evaluation" in stderr and "60 examples" in stderr
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["id2label"] == {"0": "negative", "1": "positive"}
    assert cfg["architectures"] == ["BertForSequenceClassification"]
    assert (out / "vocab.txt").is_file()
    _check_metrics(out, epochs=2, steps_per_epoch=4, peak_lr=1e-3, stderr=stderr)
    # the saved best checkpoint classifies
    status, stdout, _ = run(["classify", str(out), "fine film"])
    assert status == 0 and stdout.split("\t")[0] in ("negative", "positive")


def test_finetune_best_checkpoint_is_the_best_epoch(demo_dir, tmp_path, run):
    """The folder holds the epoch with the highest eval accuracy, not simply the last one."""
    demo_out, _ = demo_dir
    train = _write_examples(tmp_path, "csv")
    out = tmp_path / "ft"
    status, stdout, stderr = run(["finetune", str(demo_out / "pretrained"), str(train), "--eval-file", str(train),
                                  "--epochs", "3", "--lr", "1e-3", "--output-dir", str(out)])
    assert status == 0, stderr
    accs = [float(a) for a in re.findall(r"eval accuracy ([0-9.]+)", stderr)]
    best_epoch = int(re.search(r"after epoch (\d)", stdout).group(1))
    assert accs[best_epoch - 1] == max(accs)
    status, stdout, _ = run(["classify", str(out), "--file", str(train)])
    with open(train) as f:
        gold = [r["label"] for r in csv.DictReader(f)]
    got = [ln.split("\t")[0] for ln in stdout.strip().splitlines()]
    assert abs(np.mean([g == p for g, p in zip(gold, got)]) - max(accs)) < 1e-6


def test_the_max_length_is_saved_and_classify_uses_it(demo_dir, tmp_path, run):
    demo_out, _ = demo_dir
    train = _write_examples(tmp_path, "csv")
    out = tmp_path / "ft"
    status, _, err = run(["finetune", str(demo_out / "pretrained"), str(train), "--epochs", "1", "--max-length", "12",
                          "--output-dir", str(out)])
    assert status == 0, err
    assert "at most 12 tokens" in err
    assert re.search(r"note: \d+ of 72 texts were longer than max_length=12 tokens", err)
    assert json.loads((out / "tokenizer_config.json").read_text())["model_max_length"] == 12
    long_text = "what a wonderful and delightful film, " * 8  # 58 tokens
    status, _, err = run(["classify", str(out), long_text, "a good film"])
    assert status == 0 and "note: 1 of 2 texts were longer than max_length=12 tokens" in err
    status, _, err = run(["classify", str(out), "--max-length", "40", long_text])
    assert status == 0 and "the text was longer than max_length=40 tokens" in err
    # without --max-length, finetune keeps to 128 or the model's own limit (64 for the demo's model)
    status, _, err = run(["finetune", str(demo_out / "pretrained"), str(train), "--epochs", "1",
                          "--output-dir", str(tmp_path / "ft64")])
    assert status == 0 and "at most 64 tokens" in err


def test_plot_curves_without_matplotlib_writes_nothing(tmp_path, monkeypatch):
    import sys

    from lucid.cli.metrics import plot_curves

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    assert plot_curves([{"step": 1, "epoch": 1.0, "loss": 0.5, "learning_rate": 0.1}], tmp_path / "x.png") is False
    assert not (tmp_path / "x.png").exists()
