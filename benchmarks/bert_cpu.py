"""BERT-base on the CPU: lucid against PyTorch (transformers) on the same random checkpoint.

Each measurement runs in its own process (so peak RSS is that framework's alone), lucid and
PyTorch interleaved round by round; each process warms up, then times several iterations.

    python benchmarks/bert_cpu.py                 # batch 8, sequence 128, 3 rounds
    python benchmarks/bert_cpu.py --rounds 5 --iters 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

BATCH, SEQ, THREADS = 8, 128, 2
# run from a checkout: the repository root holds the lucid package
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _inputs(vocab_size):
    import numpy as np

    rng = np.random.default_rng(0)
    ids = rng.integers(1000, vocab_size, size=(BATCH, SEQ))
    mask = np.ones((BATCH, SEQ), dtype=np.int64)
    mask[0, SEQ // 2 :] = 0  # one row half padded
    ids[0, SEQ // 2 :] = 0
    labels = rng.integers(0, 2, size=(BATCH,))
    return ids, mask, labels


def _peak_rss_mib():
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _worker_torch(folder, mode, iters):
    import torch
    import transformers

    torch.set_num_threads(THREADS)
    model = transformers.BertForSequenceClassification.from_pretrained(folder)
    ids, mask, labels = (torch.from_numpy(a) for a in _inputs(model.config.vocab_size))
    times = []
    if mode == "forward":
        model.eval()
        with torch.no_grad():
            for i in range(iters + 1):
                t = time.perf_counter()
                model(input_ids=ids, attention_mask=mask).logits.sum().item()
                times.append(time.perf_counter() - t)
    else:
        model.train()
        for i in range(iters + 1):
            t = time.perf_counter()
            model.zero_grad(set_to_none=True)
            out = model(input_ids=ids, attention_mask=mask, labels=labels)
            out.loss.backward()
            times.append(time.perf_counter() - t)
    return times[1:]


def _worker_lucid(folder, mode, iters):
    import lucid
    from lucid.models import BERTForSequenceClassification

    model = BERTForSequenceClassification.from_pretrained(folder, num_labels=2)
    ids, mask, labels = (lucid.tensor(a) for a in _inputs(model.config.vocab_size))
    times = []
    if mode == "forward":
        model.eval()
        with lucid.no_grad():
            for i in range(iters + 1):
                t = time.perf_counter()
                model(input_ids=ids, attention_mask=mask).sum().item()
                times.append(time.perf_counter() - t)
    else:
        model.train()
        for i in range(iters + 1):
            t = time.perf_counter()
            model.zero_grad()
            loss = model.get_loss(labels=labels, input_ids=ids, attention_mask=mask)
            loss.backward()
            times.append(time.perf_counter() - t)
    return times[1:]


def _gemm_time(hidden, inter, layers, heads):
    """The forward's matmuls alone, in plain NumPy: a floor for any NumPy implementation."""
    import numpy as np

    rng = np.random.default_rng(0)
    tokens = BATCH * SEQ
    d = hidden // heads
    x = rng.standard_normal((tokens, hidden), dtype=np.float32)
    w = rng.standard_normal((hidden, hidden), dtype=np.float32)
    wi = rng.standard_normal((hidden, inter), dtype=np.float32)
    wo = rng.standard_normal((inter, hidden), dtype=np.float32)
    h = rng.standard_normal((tokens, inter), dtype=np.float32)
    q = rng.standard_normal((BATCH, heads, SEQ, d), dtype=np.float32)
    p = rng.standard_normal((BATCH, heads, SEQ, SEQ), dtype=np.float32)
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        for _ in range(layers):
            for _ in range(4):
                x @ w
            x @ wi
            h @ wo
            q @ q.swapaxes(-1, -2)
            p @ q
        best = min(best, time.perf_counter() - t)
    flops = layers * (2 * tokens * hidden * (4 * hidden + 2 * inter) + 4 * BATCH * heads * SEQ * SEQ * d)
    return best, flops


def _make_checkpoint(folder):
    import torch
    import transformers

    torch.manual_seed(0)
    model = transformers.BertForSequenceClassification(transformers.BertConfig(num_labels=2))
    model.save_pretrained(folder, safe_serialization=True)


def _run_worker(framework, folder, mode, iters):
    env = dict(os.environ, OMP_NUM_THREADS=str(THREADS), OPENBLAS_NUM_THREADS=str(THREADS), MKL_NUM_THREADS=str(THREADS))
    out = subprocess.run(
        [sys.executable, __file__, "--worker", framework, "--folder", folder, "--mode", mode, "--iters", str(iters)],
        capture_output=True, text=True, env=env, check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"{framework} {mode} worker failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--iters", type=int, default=3)
    parser.add_argument("--worker", choices=["lucid", "torch"])
    parser.add_argument("--folder")
    parser.add_argument("--mode", choices=["forward", "train"])
    args = parser.parse_args()

    if args.worker:
        fn = _worker_lucid if args.worker == "lucid" else _worker_torch
        times = fn(args.folder, args.mode, args.iters)
        print(json.dumps({"times": times, "peak_rss_mib": _peak_rss_mib()}))
        return

    with tempfile.TemporaryDirectory() as folder:
        _make_checkpoint(folder)
        results = {(fw, mode): {"times": [], "rss": []} for fw in ("lucid", "torch") for mode in ("forward", "train")}
        for r in range(args.rounds):
            for mode in ("forward", "train"):
                for fw in ("lucid", "torch"):
                    res = _run_worker(fw, folder, mode, args.iters)
                    results[fw, mode]["times"] += res["times"]
                    results[fw, mode]["rss"].append(res["peak_rss_mib"])
                    print(f"round {r + 1} {fw:5s} {mode:7s} median {statistics.median(res['times']):.3f} s", file=sys.stderr)

    print(f"\nBERT-base sequence classification, batch {BATCH}, sequence {SEQ}, {THREADS} threads, "
          f"median of {args.rounds} rounds x {args.iters} iterations after warm-up\n")
    print(f"{'':18s}{'lucid':>12s}{'PyTorch':>12s}{'ratio':>8s}")
    med = {k: statistics.median(v["times"]) for k, v in results.items()}
    rss = {k: max(v["rss"]) for k, v in results.items()}
    for mode, label in (("forward", "forward (no-grad)"), ("train", "training step")):
        lu, to = med["lucid", mode], med["torch", mode]
        print(f"{label:18s}{lu:11.3f}s{to:11.3f}s{lu / to:7.2f}x")
    for mode, label in (("forward", "peak RSS forward"), ("train", "peak RSS train")):
        lu, to = rss["lucid", mode], rss["torch", mode]
        print(f"{label:18s}{lu:9.0f}MiB{to:9.0f}MiB{lu / to:7.2f}x")

    gemm, flops = _gemm_time(768, 3072, 12, 12)
    lu = med["lucid", "forward"]
    print(f"\nforward GFLOP/s: lucid {flops / lu / 1e9:.0f}, PyTorch {flops / med['torch', 'forward'] / 1e9:.0f}, "
          f"plain NumPy GEMMs of the same shapes {flops / gemm / 1e9:.0f}")
    print(f"lucid forward split, estimated from the plain GEMMs: matmul ~{gemm:.3f}s ({100 * gemm / lu:.0f}%), "
          f"everything else ~{lu - gemm:.3f}s ({100 * (lu - gemm) / lu:.0f}%)")


if __name__ == "__main__":
    main()
