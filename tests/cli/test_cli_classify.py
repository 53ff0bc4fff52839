"""``lucid-bert classify`` on the demo's classifier folder: text lines, --file and --json."""

from __future__ import annotations

import json


def test_classify_on_demo_folder(demo_dir, run, tmp_path, device):
    out, proc = demo_dir
    assert proc.returncode == 0
    texts = ["What a wonderful and delightful film.", "The hotel was terrible and boring."]
    status, stdout, _ = run(["classify", str(out / "classifier"), *texts, "--device", device])
    assert status == 0
    lines = stdout.strip().splitlines()
    assert [ln.split("\t")[0] for ln in lines] == ["positive", "negative"]
    assert all(0.5 <= float(ln.split("\t")[1]) <= 1.0 for ln in lines)
    assert [ln.split("\t")[2] for ln in lines] == texts
    # --file with plain lines, --json with every probability
    f = tmp_path / "texts.txt"
    f.write_text("\n".join(texts) + "\n\n")
    status, stdout, _ = run(["classify", str(out / "classifier"), "--file", str(f), "--json", "--device", device])
    assert status == 0
    rows = [json.loads(ln) for ln in stdout.strip().splitlines()]
    assert [r["text"] for r in rows] == texts
    for r in rows:
        assert set(r["probabilities"]) == {"negative", "positive"}
        assert abs(sum(r["probabilities"].values()) - 1.0) < 1e-4
        assert r["probability"] == max(r["probabilities"].values())
