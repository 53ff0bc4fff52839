"""lucid.data.DistributedSampler: PyTorch's shares (without shuffling, index for index), shares
that are disjoint and cover the data with shuffling, epochs, and the errors. No MPI needed."""

from __future__ import annotations

import pytest

from lucid.data import DistributedSampler


@pytest.mark.parametrize("n, replicas, drop_last", [
    (10, 2, False), (10, 3, False), (10, 3, True), (2, 4, False), (7, 7, True), (5, 8, True), (0, 2, False),
    (1, 3, False),
])
def test_shares_equal_pytorchs_without_shuffling(n, replicas, drop_last):
    torch_data = pytest.importorskip("torch.utils.data")
    for rank in range(replicas):
        ours = DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=False, drop_last=drop_last)
        if n == 0:
            assert list(ours) == [] and len(ours) == 0
            continue
        theirs = torch_data.DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=False,
                                               drop_last=drop_last)
        assert list(ours) == list(theirs), (n, replicas, rank, drop_last)
        assert len(ours) == len(theirs)


@pytest.mark.parametrize("drop_last", [False, True])
def test_shuffled_shares_are_disjoint_and_cover_the_data(drop_last):
    n, replicas = 23, 4
    for epoch in range(3):
        shares = []
        for rank in range(replicas):
            s = DistributedSampler(range(n), num_replicas=replicas, rank=rank, seed=11, drop_last=drop_last)
            s.set_epoch(epoch)
            shares.append(list(s))
        flat = [i for share in shares for i in share]
        assert len({len(s) for s in shares}) == 1
        if drop_last:
            assert len(flat) == len(set(flat)) == 20  # 23 // 4 * 4: the tail is dropped
        else:
            assert set(flat) == set(range(n)) and len(flat) == 24  # one index repeated to even out


def test_epochs_and_seeds_change_the_order_and_ranks_agree():
    a = DistributedSampler(range(50), num_replicas=2, rank=0, seed=1)
    order0 = list(a)
    assert list(a) == order0  # the same epoch draws the same order again
    a.set_epoch(1)
    assert list(a) != order0
    assert list(DistributedSampler(range(50), num_replicas=2, rank=0, seed=2)) != order0
    assert sorted(list(DistributedSampler(range(50), num_replicas=1, rank=0, seed=1))) == list(range(50))


@pytest.mark.parametrize("kwargs, err, match", [
    ({"num_replicas": 2, "rank": 2}, ValueError, r"rank 2 is not in \[0, 1\] \(num_replicas=2\)"),
    ({"num_replicas": 2, "rank": -1}, ValueError, r"rank -1 is not in \[0, 1\]"),
    ({"num_replicas": 0, "rank": 0}, ValueError, "num_replicas must be an integer >= 1, got 0"),
    ({"num_replicas": 2.0, "rank": 0}, ValueError, "num_replicas must be an integer >= 1, got 2.0"),
    ({"num_replicas": 2, "rank": 0, "seed": -3}, ValueError, "seed must be an integer >= 0, got -3"),
])
def test_errors_name_the_value(kwargs, err, match):
    with pytest.raises(err, match=match):
        DistributedSampler(range(4), **kwargs)


def test_a_dataset_without_len_and_a_bad_epoch():
    with pytest.raises(TypeError, match="needs a dataset with len\\(\\), got generator"):
        DistributedSampler((i for i in range(3)), num_replicas=1, rank=0)
    s = DistributedSampler(range(3), num_replicas=1, rank=0)
    with pytest.raises(ValueError, match="epoch must be an integer >= 0, got 'one'"):
        s.set_epoch("one")


def test_defaults_come_from_the_process_group():
    pytest.importorskip("mpi4py")
    import lucid.distributed as dist

    with pytest.raises(RuntimeError, match="not initialized"):
        DistributedSampler(range(4))
    dist.init_process_group("mpi")
    try:
        s = DistributedSampler(range(4), shuffle=False)
        assert (s.num_replicas, s.rank, list(s)) == (1, 0, [0, 1, 2, 3])
    finally:
        dist.destroy_process_group()
