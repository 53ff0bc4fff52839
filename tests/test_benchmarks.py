"""benchmarks/bert_cpu.py runs end to end: ``--tiny`` checks its plumbing (no speed is asserted)."""

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "benchmarks", "bert_cpu.py")
ROWS = ["forward, BERT-base 8x128", "train step, BERT-base 8x128", "train step, random lengths",
        "forward, MiniLM shape 32x64", "classify vs pipeline", "classify vs hand-sorted", "peak RSS forward 8x128"]


def _run(*args, timeout):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p))
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True, env=env, timeout=timeout,
                          check=False)


@pytest.mark.slow
def test_tiny_run_prints_the_table_and_writes_the_json(tmp_path):
    path = tmp_path / "results.json"
    out = _run("--tiny", "--json", str(path), timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    table = out.stdout
    assert "case" in table and "target" in table and "load average" in table
    for row in ROWS:
        assert row in table
    assert "lucid's labels equal the pipeline's on" in table
    results = json.loads(path.read_text())
    assert [r["row"] for r in results["rows"]] == ROWS
    for r in results["rows"]:
        assert r["lucid"] > 0 and r["reference_value"] > 0 and r["lucid_per_s"] > 0
        assert r["ratio"] == pytest.approx(r["lucid"] / r["reference_value"])
        assert r["met"] == (r["ratio"] <= r["target"])
    assert set(results["cases"]) == {"forward", "train", "random_train", "small_forward", "classify"}
    assert set(results["cases"]["classify"]) == {"lucid", "pipeline", "sorted"}
    for case in results["cases"].values():
        for side in case.values():
            assert len(side["times"]) == 1 and side["peak_rss_mib"] > 0  # --tiny: 1 round x 1 iteration
    assert min(results["label_agreement"].values()) >= 0.99
    assert set(results["load_start"]) == set(results["load_end"]) == {"time", "load"}
    lengths = results["lengths"]["random_train"]
    assert min(lengths) >= 8 and max(lengths) <= 256 and len(lengths) == 2 * 16


@pytest.mark.parametrize("args, named", [(["--rounds", "0"], "0"), (["--iters", "-1"], "-1"),
                                          (["--cases", "backward"], "backward"), (["--pipeline-rounds", "0"], "0")])
def test_a_bad_argument_exits_2_naming_it(args, named):
    out = _run(*args, timeout=60)
    assert out.returncode == 2
    assert named in out.stderr and "Traceback" not in out.stderr
