"""Jobs of two MPI processes on 127.0.0.1 (``mpiexec -n 2`` started by each test, under a hard
timeout): the collectives' results on every rank, DistributedDataParallel training against the
one-process run on the concatenated batches, and a failing rank ending the job quickly."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from mpi_jobs import run_worker

pytest.importorskip("mpi4py", reason="lucid[distributed] (mpi4py) is not installed")


def _ok(proc):
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_collectives_on_two_ranks(tmp_path):
    _ok(run_worker("collectives", tmp_path))
    for rank in (0, 1):
        r = json.loads((tmp_path / f"collectives-{rank}.json").read_text())
        assert (r["rank"], r["size"]) == (rank, 2)
        # rank r holds arange(4) * (r + 1): the sum is arange(4) * 3, whatever the dtype
        for dtype in ("float32", "float64", "float16", "int64", "int32"):
            assert r[f"sum_{dtype}"] == [0, 3, 6, 9], dtype
        # rank r holds [1, -2, 3] * (r + 2), i.e. * 2 and * 3
        assert r["mean"] == [2.5, -5.0, 7.5]
        assert r["max"] == [3.0, -4.0, 9.0]
        assert r["min"] == [2.0, -6.0, 6.0]
        assert r["product"] == [6.0, 24.0, 54.0]
        assert r["bool_sum"] == [True, False, True]  # logical or
        assert r["transposed"] == (np.arange(6).reshape(2, 3).T * 3).tolist()
        assert r["async_done"] == [True, True, True]
        assert r["broadcast_from_last"] == [11, 12]  # rank 1's [10 + 1, 10 + 2]
        assert r["all_gather"] == [[0, 0], [1, 1]]


def _check_training(tmp_path, name, steps):
    from ddp_case import make_model, train_single

    ranks = [dict(np.load(tmp_path / f"{name}-{r}.npz")) for r in (0, 1)]
    reference = train_single(steps)
    start = {n: p.numpy() for n, p in make_model(seed=0).named_parameters()}
    assert set(ranks[0]) == set(reference)
    for key, want in reference.items():
        assert np.array_equal(ranks[0][key], ranks[1][key]), f"{key} differs between the ranks"
        np.testing.assert_allclose(ranks[0][key], want, rtol=1e-5, atol=1e-6, err_msg=key)
    # the steps moved the weights far more than the tolerance (so the comparison means something)
    moved = max(float(np.abs(reference[k] - start[k]).max()) for k in start)
    assert moved > 1e-3


@pytest.mark.parametrize("bucket_cap_mb", [25, 0.001])  # one bucket, or one per parameter
def test_ddp_with_sampler_equals_one_process_on_the_concatenated_batches(tmp_path, bucket_cap_mb):
    from ddp_case import sampler_steps

    # 22 examples over 2 ranks, 4 per rank and step: batches of 4, 4, 3 per rank, 2 epochs
    _ok(run_worker("train_sampler", tmp_path, 4, 2, bucket_cap_mb))
    steps = sampler_steps(2, 4, 2)
    assert [len(s[0]) for s in steps] == [4, 4, 3, 4, 4, 3]
    _check_training(tmp_path, "train_sampler", steps)


def test_ddp_with_uneven_shares_of_a_batch(tmp_path):
    """Global batches split (3, 3), (3, 2), (1, 0): each rank weights its summed loss by
    world / batch size, and a rank with nothing still joins with zero gradients."""
    from ddp_case import UNEVEN_BATCHES

    _ok(run_worker("train_uneven", tmp_path))
    steps = [[list(part) for part in np.array_split(b, 2)] for b in UNEVEN_BATCHES]
    assert [[len(p) for p in s] for s in steps] == [[3, 3], [3, 2], [1, 0]]
    _check_training(tmp_path, "train_uneven", steps)


def test_a_rank_that_raises_ends_the_job_within_seconds(tmp_path):
    start = time.monotonic()
    proc = run_worker("raise_on_one", tmp_path, timeout=60)
    elapsed = time.monotonic() - start
    assert proc.returncode != 0
    assert elapsed < 20, f"the job took {elapsed:.1f} s to end"
    assert "ValueError: boom on rank 1" in proc.stderr
    assert "rank 1 of 2 raised ValueError; aborting all ranks" in proc.stderr
    assert not (tmp_path / "raise-survived").exists()


def test_ranks_wrapping_different_models_fail_clearly(tmp_path):
    proc = run_worker("model_mismatch", tmp_path, timeout=60)
    assert proc.returncode != 0
    errors = [f.read_text() for f in sorted(tmp_path.glob("error-*.txt"))]  # the first rank to fail wrote one
    assert errors, proc.stderr
    for text in errors:
        assert "rank 1 wraps a model with 2 trainable parameters (12 numbers), rank 0 one with 2 (8)" in text
