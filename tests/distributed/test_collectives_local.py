"""``lucid.distributed`` in a world of one process (this test process): the group's state and
every error a user can hit, each naming the offending value."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import lucid

pytest.importorskip("mpi4py", reason="lucid[distributed] (mpi4py) is not installed")

import lucid.distributed as dist  # noqa: E402


def test_a_world_of_one(dist_world):
    assert dist.is_initialized()
    assert (dist.get_rank(), dist.get_world_size()) == (0, 1)
    group = dist.get_default_group()
    assert (group.backend, group.rank(), group.size()) == ("mpi", 0, 1)
    t = lucid.tensor([1.5, -2.0])
    for op in ("sum", "mean", "max", "min", "product", dist.ReduceOp.SUM):
        dist.all_reduce(t, op=op)
        assert t.tolist() == [1.5, -2.0]
    assert dist.get_rank(group) == 0


def test_destroy_then_init_again():
    pytest.importorskip("mpi4py")
    dist.init_process_group("mpi")
    dist.destroy_process_group()
    assert not dist.is_initialized()
    dist.destroy_process_group()  # a second call does nothing
    dist.init_process_group("mpi")
    assert dist.get_world_size() == 1
    dist.destroy_process_group()


def test_reduce_op_names():
    assert dist.ReduceOp("mean") is dist.ReduceOp.AVG is dist.ReduceOp.MEAN
    assert dist.ReduceOp("sum") is dist.ReduceOp.SUM


@pytest.mark.parametrize("call", [
    lambda: dist.get_rank(), lambda: dist.get_world_size(), lambda: dist.barrier(),
    lambda: dist.all_reduce(lucid.ones(1)), lambda: dist.get_default_group(),
])
def test_before_init_every_call_says_to_init(call):
    assert not dist.is_initialized()
    with pytest.raises(RuntimeError, match=r"not initialized: call lucid.distributed.init_process_group\(\)"):
        call()


def test_init_errors(dist_world):
    with pytest.raises(RuntimeError, match="already called"):
        dist.init_process_group("mpi")


@pytest.mark.parametrize("kwargs, match", [
    ({"backend": "gloo"}, "unknown backend 'gloo'"),
    ({"init_method": "tcp://10.0.0.1:23456"}, r"init_method='tcp://10.0.0.1:23456'"),
    ({"world_size": 4}, "world_size=4 disagrees with the MPI launcher's world_size 1"),
    ({"rank": 3}, "rank=3 disagrees with the MPI launcher's rank 0"),
])
def test_init_refuses_what_mpi_decides(kwargs, match):
    with pytest.raises(ValueError, match=match):
        dist.init_process_group(**kwargs)
    assert not dist.is_initialized()


def test_a_launcher_of_another_mpi_is_named(monkeypatch):
    monkeypatch.setenv("PMI_SIZE", "4")  # the launcher said 4, but MPI sees only this process
    with pytest.raises(RuntimeError, match="started 4 processes but MPI sees a world of 1"):
        dist.init_process_group("mpi")
    assert not dist.is_initialized()


def test_launched_world_size_and_rank(monkeypatch):
    for name in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE", "SLURM_STEP_NUM_TASKS", "PMI_RANK",
                 "OMPI_COMM_WORLD_RANK", "MV2_COMM_WORLD_RANK", "SLURM_PROCID", "SLURM_STEP_ID", "SLURM_STEPID"):
        monkeypatch.delenv(name, raising=False)
    assert (dist.launched_world_size(), dist.launched_rank()) == (1, 0)
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "8")
    monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "5")
    assert (dist.launched_world_size(), dist.launched_rank()) == (8, 5)
    monkeypatch.delenv("OMPI_COMM_WORLD_SIZE")
    monkeypatch.delenv("OMPI_COMM_WORLD_RANK")
    # Slurm's variables count inside a step srun started, not in the batch script's own step
    monkeypatch.setenv("SLURM_STEP_NUM_TASKS", "4")
    monkeypatch.setenv("SLURM_PROCID", "2")
    monkeypatch.setenv("SLURM_STEP_ID", "4294967294")
    assert (dist.launched_world_size(), dist.launched_rank()) == (1, 0)
    monkeypatch.setenv("SLURM_STEP_ID", "0")
    assert (dist.launched_world_size(), dist.launched_rank()) == (4, 2)


def test_collective_errors_name_the_value(dist_world):
    with pytest.raises(TypeError, match="tensor must be a lucid.Tensor, got ndarray"):
        dist.all_reduce(np.ones(2))
    with pytest.raises(ValueError, match="unknown reduce op 'median'"):
        dist.all_reduce(lucid.ones(2), op="median")
    with pytest.raises(TypeError, match="op 'mean' needs a floating tensor, got dtype int64"):
        dist.all_reduce(lucid.tensor([1, 2]), op="mean")
    with pytest.raises(ValueError, match=r"src=1 is not a rank of the group \(ranks 0 to 0\)"):
        dist.broadcast(lucid.ones(2), src=1)
    with pytest.raises(ValueError, match="a list of 1 tensors .*got 2 tensors"):
        dist.all_gather([lucid.ones(2), lucid.ones(2)], lucid.ones(2))
    with pytest.raises(ValueError, match=r"tensor_list\[0\] has shape \(3,\)"):
        dist.all_gather([lucid.ones(3)], lucid.ones(2))
    with pytest.raises(TypeError, match=r"tensor_list\[0\] must be a lucid.Tensor, got list"):
        dist.all_gather([[1.0, 2.0]], lucid.ones(2))
    with pytest.raises(TypeError, match="group must be a ProcessGroup or None, got str"):
        dist.get_rank("world")


def test_async_work(dist_world):
    t = lucid.tensor([[1.0, 2.0], [3.0, 4.0]]).T  # a view: the result is written back into it
    work = dist.all_reduce(t, op="mean", async_op=True)
    assert work.wait() and work.is_completed() and work.wait()
    assert t.tolist() == [[1.0, 3.0], [2.0, 4.0]]
    out = [lucid.zeros(2)]
    dist.all_gather(out, lucid.tensor([7.0, 8.0]), async_op=True).wait()
    assert out[0].tolist() == [7.0, 8.0]
    assert dist.barrier(async_op=True).wait()


def test_a_world_of_one_keeps_the_excepthook():
    """Only a job of several ranks replaces sys.excepthook (test_mpi_jobs.py sees it abort)."""
    before = sys.excepthook
    dist.init_process_group("mpi")
    assert sys.excepthook is before
    dist.destroy_process_group()
    assert sys.excepthook is before


def test_gpu_tensors_need_the_nccl_backend(dist_world, monkeypatch):
    class FakeGPUTensor(lucid.Tensor):
        device = "gpu"

    with pytest.raises(RuntimeError, match="device 'gpu' needs the 'nccl' backend, but the process group uses 'mpi'"):
        dist.all_reduce(FakeGPUTensor([1.0]))


def test_nccl_without_a_gpu_says_what_is_missing():
    if lucid.gpu_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(RuntimeError, match="device 'gpu' needs (CuPy|a CUDA GPU)"):
        dist.init_process_group("nccl")
    assert not dist.is_initialized()


def test_import_lucid_needs_no_mpi():
    import subprocess

    code = ("import sys; import lucid, lucid.distributed, lucid.nn.parallel, lucid.data; "
            "assert 'mpi4py' not in sys.modules and 'cupy' not in sys.modules")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
