"""``lucid-bert finetune`` under ``mpiexec -n 2`` on 127.0.0.1: the saved model equals a
one-process run with the same arguments (uneven and empty shares of the batches included),
only rank 0 logs and saves, and a user's mistake ends the job with one error line."""

from __future__ import annotations

import csv
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
