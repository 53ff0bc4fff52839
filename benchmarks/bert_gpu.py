"""BERT-base on one CUDA GPU: lucid (CuPy) against PyTorch eager on the same weights.

Batch 32, sequence 128 (a quarter of the rows padded), sequence classification. Four
measurements per framework: forward (eval, no grad) and training step (forward, backward,
AdamW step), each in float32 and in float16 mixed precision (autocast with float32 master
weights and a GradScaler, in both frameworks). TF32 is off in both, so float32 means float32.
Measurements are interleaved (lucid, PyTorch, lucid, ...) round by round and the medians
reported, with the ratios lucid / PyTorch and lucid float32 / lucid float16.

    python3 benchmarks/bert_gpu.py                     # 5 rounds x 10 iterations
    python3 benchmarks/bert_gpu.py --rounds 3 --iters 5 --json out.json

Targets (issue 8): float32 forward <= 1.2x PyTorch, training step <= 1.3x; lucid float16
at least 2x faster than lucid float32.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

BATCH, SEQ = 32, 128
# run from a checkout: the repository root holds the lucid package
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _inputs(vocab_size):
    import numpy as np

    rng = np.random.default_rng(0)
    ids = rng.integers(1000, vocab_size, size=(BATCH, SEQ))
    mask = np.ones((BATCH, SEQ), dtype=np.int64)
    for i in range(0, BATCH, 4):  # every fourth row padded to a different length
        mask[i, SEQ // 2 + i:] = 0
    ids[mask == 0] = 0
    labels = rng.integers(0, 2, size=(BATCH,))
    return ids, mask, labels


def _make_checkpoint(folder):
    import torch
    import transformers

    torch.manual_seed(0)
    model = transformers.BertForSequenceClassification(transformers.BertConfig(num_labels=2))
    model.save_pretrained(folder, safe_serialization=True)


class _Torch:
    def __init__(self, folder):
        import torch
        import transformers

        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        self.torch = torch
        # eager mode (no torch.compile) with transformers' default attention (SDPA)
        self.model = transformers.BertForSequenceClassification.from_pretrained(folder).cuda()
        ids, mask, labels = _inputs(self.model.config.vocab_size)
        self.ids, self.mask, self.labels = (torch.from_numpy(a).cuda() for a in (ids, mask, labels))
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=1e-5)
        self.scaler = torch.amp.GradScaler("cuda")

    def sync(self):
        self.torch.cuda.synchronize()

    def forward(self, half):
        torch = self.torch
        self.model.eval()
        with torch.no_grad(), torch.autocast("cuda", dtype=torch.float16, enabled=half):
            return self.model(input_ids=self.ids, attention_mask=self.mask).logits

    def train_step(self, half):
        torch = self.torch
        self.model.train()
        self.opt.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=torch.float16, enabled=half):
            loss = self.model(input_ids=self.ids, attention_mask=self.mask, labels=self.labels).loss
        if half:
            self.scaler.scale(loss).backward()
            self.scaler.step(self.opt)
            self.scaler.update()
        else:
            loss.backward()
            self.opt.step()
        return loss


class _Lucid:
    def __init__(self, folder):
        import lucid
        from lucid.models import BERTForSequenceClassification

        self.lucid = lucid
        self.cp = lucid._backend.get_xp("gpu")
        self.model = BERTForSequenceClassification.from_pretrained(folder, device="gpu", num_labels=2)
        ids, mask, labels = _inputs(self.model.config.vocab_size)
        self.ids, self.mask, self.labels = (lucid.tensor(a, device="gpu") for a in (ids, mask, labels))
        self.opt = lucid.optim.AdamW(self.model.parameters(), lr=1e-5)
        self.scaler = lucid.amp.GradScaler(device="gpu")

    def sync(self):
        self.cp.cuda.Device().synchronize()

    def forward(self, half):
        lucid = self.lucid
        self.model.eval()
        with lucid.no_grad(), lucid.amp.autocast(device="gpu", enabled=half):
            return self.model(input_ids=self.ids, attention_mask=self.mask)

    def train_step(self, half):
        lucid = self.lucid
        self.model.train()
        self.opt.zero_grad()
        with lucid.amp.autocast(device="gpu", enabled=half):
            loss = self.model.get_loss(labels=self.labels, input_ids=self.ids, attention_mask=self.mask)
        if half:
            self.scaler.scale(loss).backward()
            self.scaler.step(self.opt)
            self.scaler.update()
        else:
            loss.backward()
            self.opt.step()
        return loss


def _time(fw, mode, half, iters):
    fn = fw.forward if mode == "forward" else fw.train_step
    fn(half)  # warm-up: kernels compiled, memory pools filled
    fw.sync()
    times = []
    for _ in range(iters):
        t = time.perf_counter()
        fn(half)
        fw.sync()
        times.append(time.perf_counter() - t)
    return times


def _parity(lu, to):
    """Max |logit difference| of the two float32 forwards (the same weights must agree)."""
    import numpy as np

    a = lu.forward(False).numpy()
    b = to.forward(False).float().cpu().numpy()
    return float(np.abs(a - b).max())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--iters", type=int, default=10, help="timed iterations per round and case (default 10)")
    parser.add_argument("--json", help="also write the medians to this file")
    args = parser.parse_args()

    import torch

    if not torch.cuda.is_available():
        raise SystemExit("no CUDA device visible to PyTorch: run this on a machine with an NVIDIA GPU")
    import lucid

    if not lucid.gpu_available():
        raise SystemExit("lucid sees no GPU: install CuPy for this CUDA version (pip install cupy-cuda12x)")
    device = torch.cuda.get_device_name(0)
    with tempfile.TemporaryDirectory() as folder:
        _make_checkpoint(folder)
        frameworks = {"lucid": _Lucid(folder), "torch": _Torch(folder)}
    print(f"device: {device}; max |logit diff| lucid vs PyTorch float32: "
          f"{_parity(frameworks['lucid'], frameworks['torch']):.2e}", file=sys.stderr)

    cases = [(mode, half) for mode in ("forward", "train") for half in (False, True)]
    times = {(fw, mode, half): [] for fw in frameworks for mode, half in cases}
    for r in range(args.rounds):
        for mode, half in cases:
            for name, fw in frameworks.items():
                ts = _time(fw, mode, half, args.iters)
                times[name, mode, half] += ts
                print(f"round {r + 1} {name:5s} {mode:7s} {'fp16' if half else 'fp32'} "
                      f"median {1000 * statistics.median(ts):.1f} ms", file=sys.stderr)
    med = {k: statistics.median(v) for k, v in times.items()}

    print(f"\nBERT-base sequence classification on {device}, batch {BATCH}, sequence {SEQ}; "
          f"median of {args.rounds} rounds x {args.iters} iterations after warm-up (ms)\n")
    print(f"{'':26s}{'lucid':>10s}{'PyTorch':>10s}{'ratio':>8s}{'target':>9s}")
    targets = {("forward", False): 1.2, ("train", False): 1.3}
    for mode, half in cases:
        lu, to = med["lucid", mode, half], med["torch", mode, half]
        label = f"{'forward' if mode == 'forward' else 'training step'} {'float16 amp' if half else 'float32'}"
        tgt = targets.get((mode, half))
        print(f"{label:26s}{1000 * lu:10.1f}{1000 * to:10.1f}{lu / to:7.2f}x"
              f"{'' if tgt is None else f'  <={tgt}x':>9s}")
    for mode in ("forward", "train"):
        speed = med["lucid", mode, False] / med["lucid", mode, True]
        print(f"lucid float16 speed-up, {mode}: {speed:.2f}x (target >= 2x)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": device, "batch": BATCH, "seq": SEQ,
                       "median_s": {f"{k[0]}/{k[1]}/{'fp16' if k[2] else 'fp32'}": v for k, v in med.items()}},
                      f, indent=1)


if __name__ == "__main__":
    main()
