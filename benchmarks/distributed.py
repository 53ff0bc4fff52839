"""Data-parallel training over MPI on this machine: all-reduce latency and bandwidth, step time
and scaling efficiency of a BERT-small classifier on 1 and 2 processes (one thread each),
and the share of the gradient all-reduce hidden behind backward.

Each configuration is an ``mpiexec -n N`` job on 127.0.0.1 started by this script (the
mpiexec next to this Python, as ``pip install ".[distributed]"`` installs it):

    python benchmarks/distributed.py                # batch 8 x 64 per rank, 3 rounds of 4 steps
    python benchmarks/distributed.py --rounds 5 --steps 8 --json results.json

The 1- and 2-process jobs alternate round by round and every figure is a median over all
rounds, so that a change in the machine's load (it may be shared) hits both alike.

Weak scaling: every rank trains on its own batch of the same size, so with N ranks a step
handles N times the examples; scaling efficiency = step time on 1 / step time on N.
Overlap: how long the end of backward waits for the all-reduces still in flight, on the rank
that reaches it last (the other rank's wait also holds the time it spent waiting for its
partner), against the time the same buckets take to all-reduce on their own. Also shown:
backward with averaging against backward under ``no_sync()`` (same work, no communication),
a difference that holds the ranks' skew too.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # run from a checkout: the repository root holds the lucid package
BATCH, SEQ = 8, 64
SIZES = [1 << k for k in range(0, 25, 3)]  # float32 elements: 4 B to 64 MiB


def _median_time(fn, reps):
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _allreduce_sweep(dist, lucid):
    out = []
    for n in SIZES:
        t = lucid.zeros(n)
        reps = max(5, min(200, (1 << 24) // n))
        dist.all_reduce(t)
        dist.barrier()
        out.append({"bytes": 4 * n, "seconds": _median_time(lambda: dist.all_reduce(t), reps)})
    return out


def _train_steps(dist, lucid, steps, sync):
    import numpy as np

    from lucid.models import BERTConfig, BERTForSequenceClassification
    from lucid.nn.parallel import DistributedDataParallel
    from lucid.optim import AdamW

    lucid.random.seed(0)
    model = BERTForSequenceClassification(BERTConfig.small(), num_labels=2)
    ddp = DistributedDataParallel(model)
    opt = AdamW(model.parameters(), lr=1e-5)
    rng = np.random.default_rng(dist.get_rank())
    ids = lucid.tensor(rng.integers(1000, model.config.vocab_size, size=(BATCH, SEQ)))
    labels = lucid.tensor(rng.integers(0, 2, size=BATCH))
    rows = []
    finish, waited = ddp._reducer._finish, []

    def timed_finish():  # the end-of-backward wait for the buckets in flight
        t = time.perf_counter()
        finish()
        waited.append(time.perf_counter() - t)

    ddp._reducer._finish = timed_finish
    for i in range(steps + 1):  # the first step warms up
        waited.clear()
        dist.barrier()
        t0 = time.perf_counter()
        loss = model.get_loss(labels=labels, input_ids=ids)
        t1 = time.perf_counter()
        opt.zero_grad()
        if sync:
            loss.backward()
        else:
            with ddp.no_sync():
                loss.backward()
        t2 = time.perf_counter()
        opt.step()
        t3 = time.perf_counter()
        # the wait of the rank that came last: communication left exposed, without the skew
        last_wait = lucid.tensor([waited[0] if waited else 0.0], dtype=lucid.Float64)
        dist.all_reduce(last_wait, op="min")
        if i:
            rows.append({"forward": t1 - t0, "backward": t2 - t1, "optimizer": t3 - t2, "step": t3 - t0,
                         "end_wait": last_wait.item()})
    bucket_sizes = [sum(p.size for p in b.params) + len(b.params) for b in ddp._reducer.buckets]
    n_params = sum(p.size for p in model.parameters())
    return rows, bucket_sizes, n_params


def _bucket_comm_time(dist, lucid, bucket_sizes, reps=5):
    """The buckets all-reduced one after another, blocking, nothing else running."""
    bufs = [lucid.zeros(n) for n in bucket_sizes]

    def all_buckets():
        for b in bufs:
            dist.all_reduce(b, op="mean")

    all_buckets()
    dist.barrier()
    return _median_time(all_buckets, reps)


def worker(steps):
    import lucid
    import lucid.distributed as dist

    dist.init_process_group("mpi")
    result = {"world_size": dist.get_world_size(), "allreduce": _allreduce_sweep(dist, lucid)}
    synced, buckets, n_params = _train_steps(dist, lucid, steps, sync=True)
    result.update(synced=synced, buckets=buckets, parameters=n_params)
    if dist.get_world_size() > 1:
        result["no_sync"], _, _ = _train_steps(dist, lucid, steps, sync=False)
        result["bucket_comm"] = _bucket_comm_time(dist, lucid, buckets)
    if dist.get_rank() == 0:
        print("RESULT " + json.dumps(result), flush=True)
    dist.destroy_process_group()


def _run(n, steps):
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               LUCID_NUM_THREADS="1", UCX_TLS="self,sm", PYTHONPATH=ROOT)
    cmd = [mpiexec, "-n", str(n), "-hosts", "127.0.0.1", "-iface", "lo", sys.executable, os.path.abspath(__file__),
           "--worker", "--steps", str(steps)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    if proc.returncode != 0:
        sys.exit(f"mpiexec -n {n} failed:\n{proc.stderr[-3000:]}")
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def _median(jobs, key, part="synced"):
    return statistics.median(r[key] for job in jobs for r in job[part])


def _fit_link(jobs):
    """Per message size, the median all-reduce time over the jobs; latency is the smallest
    message's time, bandwidth the largest message's bytes per second."""
    sweep = [{"bytes": row["bytes"], "seconds": statistics.median(j["allreduce"][i]["seconds"] for j in jobs)}
             for i, row in enumerate(jobs[0]["allreduce"])]
    return sweep, sweep[0]["seconds"], sweep[-1]["bytes"] / sweep[-1]["seconds"]


def report(ones, twos):
    """The summary of the 1-process jobs ``ones`` and the 2-process jobs ``twos``."""
    sweep, lat, bw = _fit_link(twos)
    t1, t2 = _median(ones, "step"), _median(twos, "step")
    b_sync, b_local = _median(twos, "backward"), _median(twos, "backward", "no_sync")
    exposed = _median(twos, "end_wait")
    comm = statistics.median(j["bucket_comm"] for j in twos)
    hidden = min(max(1.0 - exposed / comm, 0.0), 1.0) if comm > 0 else float("nan")
    one = ones[0]
    lines = [
        f"BERT-small classifier: {one['parameters'] / 1e6:.1f} M parameters, {len(one['buckets'])} gradient buckets, "
        f"batch {BATCH} x {SEQ} per rank, one thread per rank; medians over {len(ones)} rounds",
        "",
        "all-reduce (2 ranks, float32, blocking): size -> time, algorithm bandwidth",
    ]
    for row in sweep:
        lines.append(f"  {row['bytes']:>10d} B  {row['seconds'] * 1e6:10.1f} us  {row['bytes'] / row['seconds'] / 1e9:7.3f} GB/s")
    lines += [
        f"latency {lat * 1e6:.1f} us, bandwidth {bw / 1e9:.2f} GB/s (largest message)",
        "",
        f"step time: 1 process {t1:.3f} s, 2 processes {t2:.3f} s -> scaling efficiency {t1 / t2:.1%} "
        f"(throughput x{2 * t1 / t2:.2f})",
        f"  1 process: forward {_median(ones, 'forward'):.3f} s, backward {_median(ones, 'backward'):.3f}"
        f" s, optimizer {_median(ones, 'optimizer'):.3f} s",
        f"  2 processes: forward {_median(twos, 'forward'):.3f} s, backward {b_sync:.3f} s (no_sync: "
        f"{b_local:.3f} s), optimizer {_median(twos, 'optimizer'):.3f} s",
        f"gradient all-reduce alone: {comm:.3f} s; left to wait for at the end of backward (last rank): "
        f"{exposed:.3f} s -> hidden {hidden:.0%}; averaging backward - no_sync backward: {b_sync - b_local:.3f} s "
        "(includes the ranks' skew)",
    ]
    return "\n".join(lines), {"latency_s": lat, "bandwidth_Bps": bw, "step_1": t1, "step_2": t2,
                              "efficiency": t1 / t2, "comm_s": comm, "exposed_s": exposed, "hidden": hidden,
                              "parameters": one["parameters"], "buckets": one["buckets"]}


# Links for the projection besides the one measured here: (name, latency s, bandwidth B/s).
ASSUMED_LINKS = [("10 Gb/s Ethernet (assumed: 25 us, 1.25 GB/s)", 25e-6, 1.25e9),
                 ("100 Gb/s InfiniBand (assumed: 2 us, 12.5 GB/s)", 2e-6, 12.5e9)]


def project(summary, nodes):
    """Step time and efficiency on ``nodes`` nodes (one rank each, the batch per rank fixed).

    A ring all-reduce of S bytes over N nodes costs 2(N-1)/N * S / bandwidth plus 2(N-1)
    latencies per bucket. Compute per step is the measured one-process step; the backward can
    hide as many seconds of communication as it hid in the two-process run (measured), and
    the rest is exposed: efficiency = compute / (compute + max(0, all-reduce - hidden)).
    """
    grad_bytes = 4 * sum(summary["buckets"])
    hidden_s = summary["hidden"] * summary["comm_s"]
    links = [("this machine's link (measured)", summary["latency_s"], summary["bandwidth_Bps"])] + ASSUMED_LINKS
    rows = []
    for name, lat, bw in links:
        for n in nodes:
            comm = 2 * (n - 1) / n * grad_bytes / bw + 2 * (n - 1) * lat * len(summary["buckets"])
            step = summary["step_1"] + max(comm - hidden_s, 0.0)
            rows.append({"link": name, "nodes": n, "allreduce_s": comm, "step_s": step,
                         "efficiency": summary["step_1"] / step})
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=4, help="timed training steps per job (default 4)")
    parser.add_argument("--rounds", type=int, default=3, help="1- and 2-process jobs, alternating (default 3)")
    parser.add_argument("--json", help="also write the raw measurements and the summary to this file")
    args = parser.parse_args()
    if args.worker:
        return worker(args.steps)
    print(f"load before: {os.getloadavg()[0]:.2f} (1-min average, {os.cpu_count()} cores)", flush=True)
    ones, twos = [], []
    for _ in range(args.rounds):
        ones.append(_run(1, args.steps))
        twos.append(_run(2, args.steps))
    text, summary = report(ones, twos)
    print(text)
    print("\nprojection (one rank per node, batch per rank fixed; see project()):")
    summary["projection"] = project(summary, (8, 64))
    for row in summary["projection"]:
        print(f"  {row['link']:<48s} {row['nodes']:>3d} nodes: all-reduce {row['allreduce_s']:.3f} s, "
              f"step {row['step_s']:.3f} s, efficiency {row['efficiency']:.0%}")
    print(f"load after: {os.getloadavg()[0]:.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"one_process": ones, "two_processes": twos, "summary": summary}, f, indent=1)


if __name__ == "__main__":
    main()
