"""``lucid-bert fill-mask`` on the demo's masked-LM folder."""

from __future__ import annotations

import re


def test_fill_mask_on_demo_folder(demo_dir, run, device):
    out, proc = demo_dir
    assert proc.returncode == 0
    text = "The [MASK] reads a [MASK] in the morning."
    status, stdout, _ = run(["fill-mask", str(out / "pretrained"), text, "--top-k", "4", "--device", device])
    assert status == 0
    lines = stdout.splitlines()
    assert lines[0] == text
    assert sum(1 for ln in lines if ln.strip().startswith("[MASK]")) == 2
    probs = [float(ln.split()[-1]) for ln in lines if re.match(r"^    \S+ +[0-9.]+$", ln)]
    assert len(probs) == 8
    for block in (probs[:4], probs[4:]):
        assert block == sorted(block, reverse=True) and 0 < sum(block) <= 1.0 + 1e-6
