"""``lucid-bert finetune`` under ``mpiexec -n 2`` on 127.0.0.1: the saved model equals a
one-process run with the same arguments (uneven and empty shares of the batches included),
only rank 0 logs and saves, and a user's mistake ends the job with one error line."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time

import numpy as np
import pytest
from mpi_jobs import mpi_env, run_mpi

pytest.importorskip("mpi4py", reason="lucid[distributed] (mpi4py) is not installed")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A tiny masked-LM checkpoint without dropout (so one- and two-process runs can be equal),
    its tokenizer, and a training and an evaluation file."""
    from lucid.data import SENTIMENT_LABELS, load_sentiment
    from lucid.models import BERTConfig, BERTForMaskedLM, BERTTokenizerFast

    root = tmp_path_factory.mktemp("ckpt")
    texts, labels = load_sentiment()
    tok = BERTTokenizerFast.train_from_iterator(texts, vocab_size=200)
    cfg = BERTConfig(vocab_size=tok.vocab_size, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=32, max_position_embeddings=64, hidden_dropout_prob=0.0,
                     attention_probs_dropout_prob=0.0)
    BERTForMaskedLM(cfg).save_pretrained(str(root / "model"))
    tok.save_pretrained(str(root / "model"))
    for name, rows in (("train.csv", range(36)), ("eval.csv", range(36, 48))):
        with open(root / name, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["text", "label"])
            w.writerows((texts[i], SENTIMENT_LABELS[labels[i]]) for i in rows)
    return root


def _args(root, out):
    # 36 examples in batches of 5: seven split 3 + 2 over two ranks, then one of 1 (1 + 0)
    return ["finetune", root / "model", root / "train.csv", "--eval-file", root / "eval.csv", "--epochs", "2",
            "--batch-size", "5", "--lr", "2e-3", "--output-dir", out, "--seed", "3"]


def _weights(folder):
    from safetensors.numpy import load_file

    return load_file(str(folder / "model.safetensors"))


def test_two_ranks_equal_one_process(checkpoint, tmp_path):
    one = subprocess.run([sys.executable, "-m", "lucid.cli", *map(str, _args(checkpoint, tmp_path / "one"))],
                         capture_output=True, text=True, timeout=300, env=mpi_env())
    assert one.returncode == 0, one.stderr
    two = run_mpi([sys.executable, "-m", "lucid.cli", *_args(checkpoint, tmp_path / "two")], timeout=300)
    assert two.returncode == 0, two.stderr
    assert two.stdout.count("best eval accuracy") == 1  # rank 0 alone reports
    assert two.stderr.count("fine-tuning") == 1 and "x 2 processes" in two.stderr
    assert two.stderr.count("eval accuracy") == 2  # rank 0 evaluated after each of the 2 epochs
    a, b = _weights(tmp_path / "one"), _weights(tmp_path / "two")
    start = _weights(checkpoint / "model")
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_allclose(b[key], a[key], rtol=1e-5, atol=2e-6, err_msg=key)
    moved = max(float(np.abs(a[k] - start[k]).max()) for k in a if k in start)
    assert moved > 1e-2
    # the epoch losses the two runs log are the same numbers
    losses = [[ln.split("train loss ")[1][:6] for ln in p.stderr.splitlines() if "train loss" in ln] for p in (one, two)]
    assert losses[0] == losses[1] and len(losses[0]) == 2
    # rank 0 logs every step's whole-batch loss, as the one process does: 2 epochs of 8 steps, 2 evaluations
    logs = [[json.loads(ln) for ln in (tmp_path / run / "metrics.jsonl").read_text().splitlines()]
            for run in ("one", "two")]
    assert len(logs[0]) == len(logs[1]) == 2 * 8 + 2
    for x, y in zip(*logs):
        assert x.keys() == y.keys() and x["step"] == y["step"] and x["epoch"] == y["epoch"]
        for key in x.keys() - {"step", "epoch"}:
            assert y[key] == pytest.approx(x[key], rel=1e-5, abs=1e-6), (x, y)


def test_each_rank_takes_its_rows_of_a_collated_batch():
    """Two ranks' rows cover the batch once, in order, every key sliced alike; their weights
    (DDP averages over ranks) make the weighted mean of the shares' mean losses the batch's mean."""
    import lucid
    from lucid.cli.parallel import Job

    batch = {"input_ids": lucid.arange(10).reshape(5, 2), "labels": lucid.tensor([7, 8, 9, 10, 11])}
    shares = [Job(rank, 2)(batch) for rank in (0, 1)]
    assert [s["labels"].tolist() for s, _ in shares] == [[7, 8, 9], [10, 11]]
    assert shares[1][0]["input_ids"].tolist() == [[6, 7], [8, 9]]
    assert [w for _, w in shares] == [1.2, 0.8]
    losses = [float(np.mean(s["labels"].numpy())) for s, _ in shares]
    assert sum(w * m for (_, w), m in zip(shares, losses)) / 2 == pytest.approx(9.0)
    # a third rank of a two-row batch has no row: it still runs a backward, on row 0 with weight 0
    rows, weight = Job(2, 3)({"input_ids": batch["input_ids"][:2]})
    assert rows["input_ids"].tolist() == [[0, 1]] and weight == 0.0


@pytest.mark.parametrize("mistake, words", [
    (["--eval-file", "no/such/eval.csv"], ["no/such/eval.csv"]),
    (["--batch-size", "zero"], ["--batch-size", "'zero'"]),
])
def test_a_mistake_ends_every_rank_with_one_line(checkpoint, tmp_path, mistake, words):
    args = [*_args(checkpoint, tmp_path / "out")[:3], *mistake]
    start = time.monotonic()
    proc = run_mpi([sys.executable, "-m", "lucid.cli", *args], timeout=60)
    assert time.monotonic() - start < 30
    assert proc.returncode == 2, proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("lucid-bert: error:")]
    assert len(errors) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for w in words:
        assert w in errors[0]
    assert not (tmp_path / "out").exists()
