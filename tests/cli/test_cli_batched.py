"""``lucid-bert classify`` and ``fill-mask`` run their texts through the batched library methods:
``--batch-size`` changes nothing in the output (input order kept), ``--progress`` draws a bar on
standard error, and a bad ``--batch-size`` is one line with exit status 2. Run as a user runs
them, in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TEXTS = ["What a wonderful and delightful film.", "Awful.", "The hotel was terrible and boring, and the food was "
         "cold every single evening.", "Good fun.", "A lovely, warm story with a great cast."]
MASKED = ["The [MASK] reads a [MASK] in the morning.", "A [MASK].", "The teacher reads a book in the [MASK] with "
          "the children after school.", "[MASK] is good."]


def _cli(*argv):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "lucid.cli", *argv], capture_output=True, text=True, timeout=120,
                          env=env)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture(scope="module")
def folders(demo_dir):
    out, proc = demo_dir
    assert proc.returncode == 0, proc.stderr
    return str(out / "classifier"), str(out / "pretrained")


def test_classify_batch_size_keeps_the_output(folders):
    classifier, _ = folders
    status, whole, err = _cli("classify", classifier, *TEXTS, "--batch-size", str(len(TEXTS)))
    assert status == 0 and err == ""
    assert [ln.split("\t")[2] for ln in whole.splitlines()] == TEXTS
    one_by_one = "".join(_cli("classify", classifier, t)[1] for t in TEXTS)
    for size in ("1", "2"):
        status, got, _ = _cli("classify", classifier, *TEXTS, "--batch-size", size)
        assert status == 0
        for ours, alone in zip(got.splitlines(), one_by_one.splitlines(), strict=True):
            label, prob, text = ours.split("\t")
            label1, prob1, text1 = alone.split("\t")
            assert (label, text) == (label1, text1) and abs(float(prob) - float(prob1)) <= 1e-4


def test_fill_mask_batch_size_keeps_the_output(folders):
    _, pretrained = folders
    one_by_one = "".join(_cli("fill-mask", pretrained, t, "--top-k", "3")[1] for t in MASKED)
    assert sum(ln.startswith("  [MASK] ") for ln in one_by_one.splitlines()) == 5
    for size in ("1", "3", "32"):
        status, got, err = _cli("fill-mask", pretrained, *MASKED, "--top-k", "3", "--batch-size", size)
        assert status == 0 and err == ""
        assert [ln.rsplit(" ", 1)[0].rstrip() for ln in got.splitlines()] == \
            [ln.rsplit(" ", 1)[0].rstrip() for ln in one_by_one.splitlines()]
        probs = [float(ln.split()[-1]) for ln in got.splitlines() if ln.startswith("    ")]
        probs1 = [float(ln.split()[-1]) for ln in one_by_one.splitlines() if ln.startswith("    ")]
        assert len(probs) == 15 and max(abs(a - b) for a, b in zip(probs, probs1)) <= 1e-4


@pytest.mark.parametrize("command", ["classify", "fill-mask"])
def test_progress_bar_on_stderr_only_when_asked(folders, command):
    folder = folders[0] if command == "classify" else folders[1]
    texts = TEXTS if command == "classify" else MASKED
    status, out, err = _cli(command, folder, *texts, "--batch-size", "2")
    assert status == 0 and err == ""  # not a terminal: no bar unless asked
    status, out_with_bar, err = _cli(command, folder, *texts, "--batch-size", "2", "--progress")
    assert status == 0 and out_with_bar == out  # the bar stays off standard output
    assert f"{len(texts)}/{len(texts)}" in err and "text" in err


@pytest.mark.parametrize("command", ["classify", "fill-mask"])
@pytest.mark.parametrize("bad", ["0", "-2", "1.5", "many"])
def test_bad_batch_size_is_one_line(folders, command, bad):
    folder = folders[0] if command == "classify" else folders[1]
    status, out, err = _cli(command, folder, "a [MASK] b", "--batch-size", bad)
    assert status == 2 and out == "" and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lucid-bert: error: ") and "--batch-size" in lines[0]
    assert repr(bad) in lines[0]
