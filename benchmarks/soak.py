"""Soak test: train a tiny BERTForSequenceClassification for many steps and check that memory
stays flat (no autograd graph, optimizer state or buffer kept alive from one step to the next).

Each step tokenizes a batch of the shipped sentiment reviews, computes the loss, backpropagates,
clips the gradient norm and takes an AdamW step with a linear warm-up/decay schedule; every 50
steps the accuracy on held-out reviews runs the no-graph prediction path too. The resident set
size (RSS) is read after a warm-up (``--warmup`` steps: allocator pools, the optimizer state and
lazily built caches exist by then), every ``--every`` steps and at the end. The script exits with
status 1 when the end RSS exceeds the warm-up RSS by more than ``--max-growth`` (default 10%), or
when the number of live Python objects tracked by the garbage collector keeps growing.

    python benchmarks/soak.py [--steps 2000] [--batch 16] [--max-growth 0.10] [--simulate-leak]
"""

import argparse
import gc
import os
import sys
import time

# A tiny model gains nothing from BLAS threads; on shared cores spinning threads only slow it down.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run from a checkout too
import numpy as np  # noqa: E402

import lucid  # noqa: E402
from lucid.data import load_sentiment, train_test_split  # noqa: E402
from lucid.models import BERTConfig, BERTForSequenceClassification, BERTTokenizerFast  # noqa: E402


def rss_mib() -> float:
    """Current resident set size of this process in MiB (Linux /proc; peak RSS elsewhere)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def live_objects() -> int:
    gc.collect()
    return len(gc.get_objects())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--warmup", type=int, default=50, help="steps before the reference RSS is read")
    parser.add_argument("--every", type=int, default=250, help="print RSS every this many steps")
    parser.add_argument("--max-growth", type=float, default=0.10, help="allowed RSS growth after warm-up")
    parser.add_argument("--max-objects", type=int, default=2000,
                        help="allowed growth in live gc-tracked objects after warm-up")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--simulate-leak", action="store_true",
                        help="keep every step's loss and its graph (saved activations retained) alive: shows that "
                             "the check catches a leak")
    args = parser.parse_args(argv)
    if args.warmup < 1:
        parser.error(f"--warmup must be >= 1 (the reference RSS is read after that step), got {args.warmup}")
    if args.steps <= args.warmup:
        parser.error(f"--steps ({args.steps}) must exceed --warmup ({args.warmup})")

    lucid.random.seed(args.seed)
    rng = np.random.default_rng(args.seed)
    texts, labels = load_sentiment()
    train_idx, test_idx = train_test_split(len(texts), test_fraction=0.2, seed=args.seed)
    train_x, train_y = [texts[i] for i in train_idx], np.asarray([labels[i] for i in train_idx])
    test_x, test_y = [texts[i] for i in test_idx], np.asarray([labels[i] for i in test_idx])
    tok = BERTTokenizerFast.train_from_iterator(train_x, vocab_size=400, min_frequency=1)
    cfg = BERTConfig(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                     intermediate_size=64, max_position_embeddings=64, pad_token_id=tok.pad_token_id)
    model = BERTForSequenceClassification(cfg, num_labels=2).train()
    opt = lucid.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    sched = lucid.optim.lr_scheduler.LinearWarmupDecayLR(opt, num_warmup_steps=args.steps // 20,
                                                          num_training_steps=args.steps)

    print(f"soak: {args.steps} steps, batch {args.batch}, {sum(p.size for p in model.parameters())} parameters, "
          f"{len(train_x)} training texts", flush=True)
    start_rss = start_objects = None
    acc = float("nan")  # until the first evaluation at step 50 (--every may report earlier)
    kept = []
    t0 = time.perf_counter()
    for step in range(1, args.steps + 1):
        idx = rng.choice(len(train_x), size=args.batch, replace=False)
        loss = model.get_loss_from_text(tok, [train_x[i] for i in idx], labels=train_y[idx], max_length=48)
        opt.zero_grad()
        loss.backward(retain_graph=args.simulate_leak)
        lucid.nn.utils.clip_grad_norm(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if args.simulate_leak:
            kept.append(loss)
        if step % 50 == 0:
            acc = float(np.mean(model.predict_labels_from_text(tok, test_x, max_length=48).numpy() == test_y))
        if step == args.warmup:
            start_rss, start_objects = rss_mib(), live_objects()
            print(f"step {step:5d}  RSS {start_rss:8.1f} MiB  (reference, after warm-up)  "
                  f"objects {start_objects}", flush=True)
        if step % args.every == 0 or step == args.steps:
            rss = rss_mib()
            print(f"step {step:5d}  RSS {rss:8.1f} MiB  loss {loss.item():.4f}  test acc {acc:.3f}  "
                  f"{(time.perf_counter() - t0) / step * 1e3:.1f} ms/step", flush=True)
    end_rss, end_objects = rss_mib(), live_objects()
    growth = (end_rss - start_rss) / start_rss
    print(f"start RSS {start_rss:.1f} MiB (step {args.warmup}), end RSS {end_rss:.1f} MiB (step {args.steps}): "
          f"{growth * 100:+.1f}%; live objects {start_objects} -> {end_objects} "
          f"({end_objects - start_objects:+d}); {time.perf_counter() - t0:.0f} s")
    failed = False
    if growth > args.max_growth:
        print(f"FAIL: RSS grew by {growth * 100:.1f}% (more than {args.max_growth * 100:.0f}%)")
        failed = True
    if end_objects - start_objects > args.max_objects:
        print(f"FAIL: {end_objects - start_objects} more live objects (more than {args.max_objects})")
        failed = True
    if not failed:
        print("OK: memory stayed flat")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
