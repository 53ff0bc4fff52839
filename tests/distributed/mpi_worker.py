"""One rank of the MPI jobs the distributed tests start: ``mpi_worker.py SCENARIO OUT_DIR [ARGS]``.
Each rank writes what the test checks to ``OUT_DIR/<scenario>-<rank>.*``."""

from __future__ import annotations

import json
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import lucid  # noqa: E402
import lucid.distributed as dist  # noqa: E402
from lucid.nn.parallel import DistributedDataParallel  # noqa: E402


def collectives(out, rank, size):
    res = {}
    for dtype in ("float32", "float64", "float16", "int64", "int32"):
        t = lucid.tensor(np.arange(4) * (rank + 1), dtype=dtype)
        dist.all_reduce(t)
        res[f"sum_{dtype}"] = t.tolist()
    for op in ("mean", "max", "min", "product"):
        t = lucid.tensor([1.0, -2.0, 3.0]) * (rank + 2)
        dist.all_reduce(t, op=op)
        res[op] = t.tolist()
    flags = lucid.tensor([rank == 0, False, True])
    dist.all_reduce(flags)
    res["bool_sum"] = flags.tolist()
    view = lucid.tensor(np.arange(6, dtype=np.float32).reshape(2, 3) * (rank + 1)).T  # not contiguous
    dist.all_reduce(view)
    res["transposed"] = view.tolist()
    works = [dist.all_reduce(lucid.full((3,), float(rank + k)), op="sum", async_op=True) for k in range(3)]
    res["async_done"] = [w.wait() for w in works]
    b = lucid.tensor([10 * rank + 1, 10 * rank + 2])
    dist.broadcast(b, src=size - 1)
    res["broadcast_from_last"] = b.tolist()
    gathered = [lucid.zeros(2, dtype=lucid.Int64) for _ in range(size)]
    dist.all_gather(gathered, lucid.tensor([rank, rank * rank]))
    res["all_gather"] = [g.tolist() for g in gathered]
    dist.barrier()
    res["rank"], res["size"] = dist.get_rank(), dist.get_world_size()
    (out / f"collectives-{rank}.json").write_text(json.dumps(res))


def _train(out, rank, size, steps, bucket_cap_mb, name):
    from ddp_case import LR, loss_sum, make_data, make_model

    from lucid.optim import AdamW

    model = DistributedDataParallel(make_model(seed=rank), bucket_cap_mb=bucket_cap_mb)  # rank 0's weights win
    seqs, labels = make_data()
    opt = AdamW(model.parameters(), lr=LR)
    for shares in steps:
        mine = shares[rank]
        n_total = sum(len(s) for s in shares)
        opt.zero_grad()
        if mine:
            loss = loss_sum(model.module, seqs, labels, mine) * (size / n_total)
        else:  # nothing for this rank in this step: still join the all-reduce, with zero gradients
            loss = loss_sum(model.module, seqs, labels, shares[0][:1]) * 0.0
        loss.backward()  # DDP averages: sum over ranks of (sum_r * size / n) / size = mean over the batch
        opt.step()
    np.savez(out / f"{name}-{rank}.npz", **{n: p.numpy() for n, p in model.module.named_parameters()})


def train_sampler(out, rank, size, per_rank_batch, epochs, bucket_cap_mb):
    from ddp_case import sampler_steps

    _train(out, rank, size, sampler_steps(size, int(per_rank_batch), int(epochs)), float(bucket_cap_mb),
           "train_sampler")


def train_uneven(out, rank, size):
    from ddp_case import UNEVEN_BATCHES

    steps = [[list(part) for part in np.array_split(b, size)] for b in UNEVEN_BATCHES]
    _train(out, rank, size, steps, 0.001, "train_uneven")


def raise_on_one(out, rank, size):
    if rank == 1:
        raise ValueError("boom on rank 1")
    dist.all_reduce(lucid.ones(3))  # rank 0 waits here for a partner that is gone
    (out / "raise-survived").write_text("rank 0 finished")


def model_mismatch(out, rank, size):
    from lucid import nn

    try:
        DistributedDataParallel(nn.Linear(3, 2 + rank))
    except Exception as err:  # kept in a file: mpiexec may kill a rank before its stderr is flushed
        (out / f"error-{rank}.txt").write_text(f"{type(err).__name__}: {err}")
        raise


def nccl_collectives(out, rank, size):
    res = {}
    for op in ("sum", "mean"):
        t = lucid.tensor([1.0, 2.0], device="gpu") * (rank + 1)
        dist.all_reduce(t, op=op)
        res[op] = t.tolist()
    b = lucid.tensor([1.0, 2.0], device="gpu") * (rank + 1)
    dist.broadcast(b, src=0)
    res["broadcast"] = b.tolist()
    gathered = [lucid.zeros(1, device="gpu") for _ in range(size)]
    dist.all_gather(gathered, lucid.tensor([float(rank)], device="gpu"))
    res["all_gather"] = [g.tolist() for g in gathered]
    (out / f"nccl-{rank}.json").write_text(json.dumps(res))


def main():
    scenario, out, *args = sys.argv[1:]
    dist.init_process_group("nccl" if scenario.startswith("nccl") else "mpi")
    globals()[scenario](pathlib.Path(out), dist.get_rank(), dist.get_world_size(), *args)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
