"""Collectives on tensors, in place as in ``torch.distributed``: ``all_reduce``, ``broadcast``,
``all_gather``, ``barrier``.

CPU tensors go through MPI on their NumPy buffers (``Allreduce``, ``Bcast``, ``Allgather``:
no pickling); GPU tensors through the group's NCCL communicator. With ``async_op=True`` each
returns a :class:`Work` at once (MPI's nonblocking ``Iallreduce``/``Ibcast``/``Iallgather``,
or NCCL on its own stream); ``wait()`` completes it. Every rank of the group must make the
same calls in the same order.
"""

from __future__ import annotations

import enum

from .. import _backend
from .._tensor import Tensor
from .group import resolve

__all__ = ["ReduceOp", "Work", "all_gather", "all_reduce", "barrier", "broadcast"]


class ReduceOp(str, enum.Enum):
    """How :func:`all_reduce` combines the ranks' tensors. A plain string (``"sum"``,
    ``"mean"``, ``"max"``, ...) is accepted wherever a ``ReduceOp`` is.

    Example:
        >>> ReduceOp("mean") is ReduceOp.AVG
        True
    """

    SUM = "sum"
    AVG = "avg"
    MEAN = "avg"  # an alias: the word lucid uses elsewhere
    MAX = "max"
    MIN = "min"
    PRODUCT = "product"

    @classmethod
    def _missing_(cls, value):
        if value == "mean":
            return cls.AVG
        return None


class Work:
    """A collective in flight (``async_op=True``): ``wait()`` completes it (once; later calls
    return at once), ``is_completed()`` asks without blocking and also drives MPI's progress.

    Example:
        >>> import lucid, lucid.distributed as dist
        >>> dist.init_process_group("mpi")
        >>> t = lucid.tensor([1.0, 2.0])
        >>> work = dist.all_reduce(t, async_op=True)
        >>> work.wait()
        True
        >>> dist.destroy_process_group()
    """

    def __init__(self, wait, test, finish=None):
        self._wait, self._test, self._finish = wait, test, finish
        self._done = False

    def _complete(self):
        self._done = True
        if self._finish is not None:
            self._finish()

    def is_completed(self) -> bool:
        """Whether the collective has finished; once it has, its result is in place, as after ``wait()``."""
        if not self._done and self._test():
            self._wait()
            self._complete()
        return self._done

    def wait(self) -> bool:
        """Block until the collective is done and its result is in place; returns True."""
        if not self._done:
            self._wait()
            self._complete()
        return True


def _check_tensor(t, name="tensor"):
    if not isinstance(t, Tensor):
        raise TypeError(f"{name} must be a lucid.Tensor, got {type(t).__name__}")


def _route(group, t):
    """The group's NCCL communicator for a GPU tensor, None (MPI) for a CPU one."""
    if t.device == "cpu":
        return None
    if group.nccl is None:
        raise RuntimeError(f"a tensor on device '{t.device}' needs the 'nccl' backend, but the process group "
                           f"uses {group.backend!r}: call init_process_group('nccl')")
    return group.nccl


def _contiguous(t):
    """``t``'s array as a contiguous buffer, and how to write a result back into ``t``."""
    arr = t.data
    xp = _backend.xp_of(arr)
    if arr.flags.c_contiguous:
        return arr, None
    buf = xp.ascontiguousarray(arr)

    def write_back():
        arr[...] = buf

    return buf, write_back


def _run(work, async_op):
    if async_op:
        return work
    work.wait()
    return None


def _over_mpi(async_op, blocking, nonblocking, finish=None):
    """Run an MPI collective: the blocking call now, or the nonblocking one as a Work."""
    if async_op:
        request = nonblocking()
        return Work(request.Wait, request.Test, finish)
    blocking()
    if finish is not None:
        finish()
    return None


def _chain(*steps):
    steps = [s for s in steps if s is not None]
    return (lambda: [s() for s in steps]) if steps else None


_MPI_OPS = {"sum": "SUM", "avg": "SUM", "max": "MAX", "min": "MIN", "product": "PROD"}
_MPI_BOOL_OPS = {"sum": "LOR", "max": "LOR", "min": "LAND", "product": "LAND"}


def all_reduce(tensor: Tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Combine ``tensor`` across the ranks of ``group`` with ``op``, in place on every rank.

    ``op`` is a :class:`ReduceOp` or its name: ``"sum"``, ``"mean"`` (or ``"avg"``: the sum
    divided by the world size; floating tensors only), ``"max"``, ``"min"``, ``"product"``.
    Returns None, or a :class:`Work` with ``async_op=True``.

    Example:
        >>> import lucid, lucid.distributed as dist
        >>> dist.init_process_group("mpi")
        >>> t = lucid.tensor([1.0, 2.0]) * (dist.get_rank() + 1)
        >>> dist.all_reduce(t, op="mean")  # in a world of one, the mean is the tensor itself
        >>> t.tolist()
        [1.0, 2.0]
        >>> dist.destroy_process_group()
    """
    _check_tensor(tensor)
    try:
        op = ReduceOp(op)
    except ValueError:
        raise ValueError(f"unknown reduce op {op!r}: expected one of 'sum', 'mean', 'max', 'min', 'product'") \
            from None
    dtype = tensor.data.dtype
    if op is ReduceOp.AVG and dtype.kind != "f":
        raise TypeError(f"all_reduce with op 'mean' needs a floating tensor, got dtype {dtype}; "
                        "reduce with 'sum' and divide, or cast with .float()")
    g = resolve(group)
    nccl = _route(g, tensor)
    buf, write_back = _contiguous(tensor)
    divide = g.size() if op is ReduceOp.AVG else None
    if nccl is not None:
        name = "sum" if op is ReduceOp.AVG else op.value
        code = nccl.ops()["max" if dtype.kind == "b" and name == "sum" else name]  # bools: sum is "any"
        wait, done = nccl.launch("all_reduce", [buf], op=code, divide_by=divide)
        return _run(Work(wait, done, write_back), async_op)
    comm, MPI = g.comm, g.MPI
    mpi_op = getattr(MPI, (_MPI_BOOL_OPS if dtype.kind == "b" else _MPI_OPS)[op.value])

    def average():
        buf[...] /= divide

    return _over_mpi(async_op, lambda: comm.Allreduce(MPI.IN_PLACE, buf, op=mpi_op),
                     lambda: comm.Iallreduce(MPI.IN_PLACE, buf, op=mpi_op),
                     _chain(average if divide else None, write_back))


def broadcast(tensor: Tensor, src: int = 0, group=None, async_op: bool = False):
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every rank of ``group`` (in place;
    shapes and dtypes must match across ranks). Returns None, or a :class:`Work`.

    Example:
        >>> import lucid, lucid.distributed as dist
        >>> dist.init_process_group("mpi")
        >>> t = lucid.tensor([3, 4])
        >>> dist.broadcast(t, src=0)
        >>> t.tolist()
        [3, 4]
        >>> dist.destroy_process_group()
    """
    _check_tensor(tensor)
    g = resolve(group)
    if isinstance(src, bool) or not isinstance(src, int) or not 0 <= src < g.size():
        raise ValueError(f"src={src!r} is not a rank of the group (ranks 0 to {g.size() - 1})")
    nccl = _route(g, tensor)
    buf, write_back = _contiguous(tensor)
    if nccl is not None:
        wait, done = nccl.launch("broadcast", [buf], root=src)
        return _run(Work(wait, done, write_back), async_op)
    return _over_mpi(async_op, lambda: g.comm.Bcast(buf, root=src), lambda: g.comm.Ibcast(buf, root=src),
                     write_back)


def all_gather(tensor_list: list, tensor: Tensor, group=None, async_op: bool = False):
    """Gather every rank's ``tensor`` into ``tensor_list`` (one tensor per rank, in rank
    order, each of ``tensor``'s shape, dtype and device; written in place).
    Returns None, or a :class:`Work`.

    Example:
        >>> import lucid, lucid.distributed as dist
        >>> dist.init_process_group("mpi")
        >>> out = [lucid.zeros(2) for _ in range(dist.get_world_size())]
        >>> dist.all_gather(out, lucid.tensor([5.0, 6.0]))
        >>> [t.tolist() for t in out]
        [[5.0, 6.0]]
        >>> dist.destroy_process_group()
    """
    _check_tensor(tensor)
    g = resolve(group)
    if not isinstance(tensor_list, (list, tuple)) or len(tensor_list) != g.size():
        got = f"{len(tensor_list)} tensors" if isinstance(tensor_list, (list, tuple)) else type(tensor_list).__name__
        raise ValueError(f"all_gather needs a list of {g.size()} tensors (one per rank), got {got}")
    for i, t in enumerate(tensor_list):
        _check_tensor(t, f"tensor_list[{i}]")
        if (t.shape, t.dtype, t.device) != (tensor.shape, tensor.dtype, tensor.device):
            raise ValueError(f"tensor_list[{i}] has shape {t.shape}, dtype {t.dtype}, device '{t.device}'; "
                             f"the gathered tensor has shape {tensor.shape}, dtype {tensor.dtype}, "
                             f"device '{tensor.device}'")
    nccl = _route(g, tensor)
    xp = tensor.xp
    send = xp.ascontiguousarray(tensor.data)
    recv = xp.empty((g.size(),) + send.shape, dtype=send.dtype)

    def scatter_out():
        for t, part in zip(tensor_list, recv):
            t.data[...] = part

    if nccl is not None:
        wait, done = nccl.launch("all_gather", [send, recv])
        return _run(Work(wait, done, scatter_out), async_op)
    return _over_mpi(async_op, lambda: g.comm.Allgather(send, recv), lambda: g.comm.Iallgather(send, recv),
                     scatter_out)


def barrier(group=None, async_op: bool = False):
    """Wait until every rank of ``group`` has reached this call. Returns None, or a :class:`Work`.

    Example:
        >>> import lucid.distributed as dist
        >>> dist.init_process_group("mpi")
        >>> dist.barrier()
        >>> dist.destroy_process_group()
    """
    g = resolve(group)
    return _over_mpi(async_op, g.comm.Barrier, g.comm.Ibarrier)
