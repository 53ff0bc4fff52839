"""The NCCL backend on GPU tensors (marked ``gpu``: skipped without CuPy and a CUDA GPU, and
``real_gpu``: the CuPy test double models neither streams nor NCCL): a world of one in this
process, and a two-rank job where the machine has two GPUs."""

from __future__ import annotations

import json

import numpy as np
import pytest

import lucid
from lucid import nn

pytestmark = [pytest.mark.gpu, pytest.mark.real_gpu]
pytest.importorskip("mpi4py", reason="lucid[distributed] (mpi4py) is not installed")

import lucid.distributed as dist  # noqa: E402
from lucid.nn.parallel import DistributedDataParallel  # noqa: E402


@pytest.fixture
def nccl_world():
    dist.init_process_group("nccl")
    yield
    dist.destroy_process_group()


def test_collectives_on_gpu_tensors(nccl_world):
    t = lucid.tensor([1.0, 2.0], device="gpu")
    dist.all_reduce(t, op="mean")
    assert t.device == "gpu" and t.tolist() == [1.0, 2.0]
    v = lucid.tensor(np.arange(6, dtype=np.float32).reshape(2, 3), device="gpu").T
    dist.all_reduce(v, op="sum", async_op=True).wait()
    assert v.tolist() == np.arange(6).reshape(2, 3).T.tolist()
    b = lucid.tensor([3, 4], device="gpu")
    dist.broadcast(b, src=0)
    assert b.tolist() == [3, 4]
    out = [lucid.zeros(2, device="gpu")]
    dist.all_gather(out, lucid.tensor([5.0, 6.0], device="gpu"))
    assert out[0].tolist() == [5.0, 6.0]
    flags = lucid.tensor([True, False], device="gpu")
    dist.all_reduce(flags)
    assert flags.tolist() == [True, False]
    c = lucid.tensor([1.0, 2.0])  # a CPU tensor in an NCCL group goes through MPI
    dist.all_reduce(c)
    assert c.tolist() == [1.0, 2.0]


def test_ddp_on_the_gpu_equals_the_unwrapped_model(nccl_world):
    lucid.random.seed(0)
    plain = nn.Sequential(nn.Linear(4, 8), nn.GELU(), nn.Linear(8, 3)).to("gpu")
    lucid.random.seed(0)
    wrapped = DistributedDataParallel(nn.Sequential(nn.Linear(4, 8), nn.GELU(), nn.Linear(8, 3)).to("gpu"),
                                      bucket_cap_mb=1e-4)
    x = lucid.random.randn(5, 4, device="gpu")
    plain(x).sum().backward()
    wrapped(x).sum().backward()
    for (name, p), q in zip(plain.named_parameters(), wrapped.module.parameters()):
        assert q.grad is not None and lucid._backend.device_of(q.grad) == "gpu", name
        np.testing.assert_allclose(lucid._backend.to_numpy(q.grad), lucid._backend.to_numpy(p.grad), rtol=1e-6,
                                   err_msg=name)


def test_two_ranks_over_nccl(tmp_path):
    import cupy

    if cupy.cuda.runtime.getDeviceCount() < 2:
        pytest.skip("a two-rank NCCL job needs two GPUs (NCCL allows one rank per GPU)")
    from mpi_jobs import run_worker

    proc = run_worker("nccl_collectives", tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for rank in (0, 1):
        r = json.loads((tmp_path / f"nccl-{rank}.json").read_text())
        assert r["sum"] == [3.0, 6.0] and r["mean"] == [1.5, 3.0] and r["broadcast"] == [1.0, 2.0]
        assert r["all_gather"] == [[0.0], [1.0]]
