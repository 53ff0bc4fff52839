"""``lucid-bert demo``: end to end, the default subcommand, reproducible, OpenBLAS threads restored."""

from __future__ import annotations

import json
import os
import re

import pytest

from lucid.cli import demo


def test_demo_end_to_end(demo_dir):
    out, proc = demo_dir
    assert proc.returncode == 0, proc.stderr[-3000:]
    m = re.search(r"held-out accuracy: ([0-9.]+) on (\d+) reviews", proc.stdout)
    assert m, proc.stdout
    assert float(m.group(1)) >= 0.8, proc.stdout  # chance is 0.5
    assert int(m.group(2)) == 72
    # progress bars (tqdm's) with rate and ETA went to stderr: one line each, as stderr is no terminal
    assert re.search(r"pretrain 1/\d+ \|#+\| \d+/\d+ \[\d\d:\d\d<\d\d:\d\d, +[0-9.]+batch/s, loss=[0-9.]+\]",
                     proc.stderr)
    assert "\r" not in proc.stderr
    assert "finetune 1/" in proc.stderr
    for sub in ("pretrained", "classifier"):
        for name in ("config.json", "model.safetensors", "vocab.txt", "tokenizer.json"):
            assert (out / sub / name).is_file(), f"{sub}/{name} missing"
    cfg = json.loads((out / "classifier" / "config.json").read_text())
    assert cfg["id2label"] == {"0": "negative", "1": "positive"}
    # four example predictions, each with a label and a probability
    preds = re.findall(r"^  (positive|negative) +([0-9.]+)  ", proc.stdout, re.M)
    assert len(preds) == 4 and all(0.5 <= float(p) <= 1.0 for _, p in preds)


def test_demo_is_the_default_and_reproducible(tmp_path, run, monkeypatch):
    """No subcommand runs the demo; the same seed gives the same accuracy and predictions."""
    monkeypatch.chdir(tmp_path)
    s1, out1, _ = run(["--quick", "--seed", "3", "--output-dir", "a"])
    s2, out2, _ = run(["demo", "--quick", "--seed", "3", "--output-dir", "b"])
    assert s1 == s2 == 0
    strip = lambda s: re.sub(r"total time [0-9.]+ s|\S*(a|b)/(pretrained|classifier)", "", s)  # noqa: E731
    assert strip(out1) == strip(out2)
    assert (tmp_path / "a" / "classifier" / "model.safetensors").is_file()


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
    with demo.single_blas_thread():
        assert get() == 1
    assert get() == before
