"""``lucid-bert finetune`` on CSV and JSONL (with text pairs): per-epoch evaluation, the best
epoch saved with its labels, and the saved folder classifies."""

from __future__ import annotations

import csv
import json
import re

import numpy as np
import pytest


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
