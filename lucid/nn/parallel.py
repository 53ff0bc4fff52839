"""``DistributedDataParallel``: the same model on every rank, gradients averaged across ranks.

As PyTorch's: rank 0's parameters and buffers are copied to every rank when the wrapper is
made; during ``backward()`` the gradients are averaged in buckets of about
``bucket_cap_mb`` megabytes, each all-reduce starting (nonblocking) as soon as every gradient
of its bucket is final, while the backward goes on through earlier layers. The backward
waits for them before it returns, so ``optimizer.step()`` (or gradient clipping) always sees
the averaged gradients.

How it is built:

* a post-accumulate-grad hook on every parameter (:meth:`lucid.Tensor.register_post_accumulate_grad_hook`)
  counts the final gradients of its bucket; buckets hold parameters in reverse registration
  order (roughly the order backward finishes them), the first one small (1 MB) so that
  communication starts early; buckets are launched strictly in index order, because every
  rank must start its collectives in the same order;
* a bucket is one flat buffer: its gradients, then one "used" slot per parameter (1 if this
  rank has a gradient for it). A parameter that no rank used keeps ``grad = None``, as in a
  single process; one that some rank did not use counts as zeros there;
* at the end of the backward (:func:`lucid._tensor.queue_backward_callback`) the remaining
  buckets are launched and all are waited for; the averaged gradients become views of the
  buckets' buffers (fresh each step, so never shared with anything else).

Gradients are synchronised whenever a backward reaches the wrapped module's parameters,
whether the forward ran through the wrapper or through ``ddp.module`` (so task methods such
as ``ddp.module.get_loss(...)`` work unchanged). Every rank must run the same number of
synchronised backwards.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

from .. import _backend
from .. import distributed as dist
from .._tensor import Tensor, queue_backward_callback
from .module import Module

__all__ = ["DistributedDataParallel"]

_FIRST_BUCKET_BYTES = 1 << 20


class _Bucket:
    __slots__ = ("params", "ready", "work", "flat")

    def __init__(self, params):
        self.params = params
        self.ready = 0
        self.work = None
        self.flat = None


class _Reducer:
    """The per-backward state of gradient averaging: which buckets are ready, launched, done."""

    def __init__(self, params, cap_bytes, group):
        self.group = group
        self.enabled = True
        self.buckets = []
        current, size = [], 0
        for p in reversed(params):
            nbytes = p.size * p.dtype.itemsize
            cap = min(_FIRST_BUCKET_BYTES, cap_bytes) if not self.buckets else cap_bytes
            if current and (size + nbytes > cap or p.dtype != current[0].dtype):
                self.buckets.append(_Bucket(current))
                current, size = [], 0
            current.append(p)
            size += nbytes
        if current:
            self.buckets.append(_Bucket(current))
        self.bucket_of = {id(p): b for b in self.buckets for p in b.params}
        for p in params:
            p.register_post_accumulate_grad_hook(self._on_grad)
        self.armed = False
        self.next = 0

    def _on_grad(self, p):
        if not self.enabled:
            return
        if not self.armed:  # the first final gradient of this backward
            self.armed, self.next = True, 0
            for b in self.buckets:
                b.ready = 0
            queue_backward_callback(self._finish)
        self.bucket_of[id(p)].ready += 1
        self._launch_ready()
        for b in self.buckets[:self.next]:  # let MPI move the messages along while backward runs
            b.work.is_completed()

    def _launch_ready(self, everything=False):
        while self.next < len(self.buckets):
            b = self.buckets[self.next]
            if not everything and b.ready < len(b.params):
                return
            self._launch(b)
            self.next += 1

    def _launch(self, b):
        xp = b.params[0].xp
        parts = [xp.zeros(p.size, p.dtype) if p.grad is None else p.grad.reshape(-1) for p in b.params]
        parts.append(xp.asarray([p.grad is not None for p in b.params], dtype=b.params[0].dtype))
        b.flat = Tensor._wrap(xp.concatenate(parts))
        b.work = dist.all_reduce(b.flat, op="mean", group=self.group, async_op=True)

    def _finish(self):
        """End of backward: launch what is left, wait for every bucket, hand out the means."""
        self.armed = False
        self._launch_ready(everything=True)
        for b in self.buckets:
            b.work.wait()
            flat, b.flat, b.work = b.flat.data, None, None
            used = _backend.to_numpy(flat[flat.size - len(b.params):])  # one copy, not one per parameter
            offset = 0
            for i, p in enumerate(b.params):
                if used[i] > 0:
                    p.grad = flat[offset:offset + p.size].reshape(p.shape)
                offset += p.size


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training: every rank holds a copy, trains on its
    own share of the data, and ``backward()`` leaves the gradients averaged over the ranks.

    Args:
        module: the model (already on its device: wrap after ``.to("gpu")``).
        bucket_cap_mb: the size of a gradient bucket in megabytes (MiB), one all-reduce each.
        broadcast_buffers: copy rank 0's buffers to every rank at each forward through the
            wrapper (as PyTorch; buffers are always copied once at construction).
        process_group: the group to average over (default: the default group).

    ``ddp.module`` is the wrapped model: save ``ddp.module.state_dict()`` (the model's own
    keys). The wrapper's own ``state_dict()`` holds the same tensors under ``module.``-
    prefixed keys, as PyTorch's does. :meth:`no_sync` skips the averaging for gradient
    accumulation.

    Example:
        >>> import lucid, lucid.nn as nn, lucid.distributed as dist
        >>> from lucid.nn.parallel import DistributedDataParallel
        >>> dist.init_process_group("mpi")  # under mpiexec -n N, each rank runs this
        >>> model = DistributedDataParallel(nn.Linear(3, 1))
        >>> model(lucid.ones(4, 3)).sum().backward()  # gradients averaged over the ranks
        >>> model.module.weight.grad.tolist()
        [[4.0, 4.0, 4.0]]
        >>> list(model.state_dict())
        ['module.weight', 'module.bias']
        >>> dist.destroy_process_group()
    """

    def __init__(self, module, bucket_cap_mb=25, *, broadcast_buffers=True, process_group=None):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel wraps a lucid.nn.Module, got {type(module).__name__}")
        if isinstance(bucket_cap_mb, bool) or not isinstance(bucket_cap_mb, (int, float)) \
                or not math.isfinite(bucket_cap_mb) or bucket_cap_mb <= 0:
            raise ValueError(f"bucket_cap_mb must be a positive number, got {bucket_cap_mb!r}")
        group = process_group if process_group is not None else dist.get_default_group()
        params = [p for p in module.parameters() if p.requires_grad]
        devices = sorted({t.device for t in list(module.parameters()) + list(module.buffers())})
        if len(devices) > 1:
            raise ValueError(f"DistributedDataParallel needs the module on one device, found {devices}")
        self.module = module
        self.process_group = group
        self.broadcast_buffers = bool(broadcast_buffers)
        self._check_same_model(params)
        for t in list(module.parameters()) + list(module.buffers()):
            dist.broadcast(t, src=0, group=group)
        self._reducer = _Reducer(params, int(bucket_cap_mb * (1 << 20)), group)

    def _check_same_model(self, params):
        """Every rank must wrap the same architecture, or the broadcasts would mismatch."""
        mine = np.array([len(params), sum(p.size for p in params)], dtype=np.int64)
        ref = mine.copy()
        dist.broadcast(Tensor._wrap(ref), src=0, group=self.process_group)
        if not np.array_equal(mine, ref):
            raise RuntimeError(
                f"rank {self.process_group.rank()} wraps a model with {mine[0]} trainable parameters "
                f"({mine[1]} numbers), rank 0 one with {ref[0]} ({ref[1]}): every rank must wrap the same model")

    def forward(self, *args, **kwargs):
        """Run the wrapped module (after copying rank 0's buffers, with ``broadcast_buffers``)."""
        if self.broadcast_buffers:
            for b in self.module.buffers():
                dist.broadcast(b, src=0, group=self.process_group)
        return self.module(*args, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """A context in which backward accumulates gradients locally, without averaging them;
        the first backward after it averages everything accumulated (gradient accumulation).

        Example:
            >>> import lucid, lucid.nn as nn, lucid.distributed as dist
            >>> from lucid.nn.parallel import DistributedDataParallel
            >>> dist.init_process_group("mpi")
            >>> model = DistributedDataParallel(nn.Linear(2, 1))
            >>> with model.no_sync():
            ...     model(lucid.ones(1, 2)).sum().backward()  # local only
            >>> model(lucid.ones(1, 2)).sum().backward()  # averages both micro-batches' sum
            >>> model.module.bias.grad.tolist()
            [2.0]
            >>> dist.destroy_process_group()
        """
        previous, self._reducer.enabled = self._reducer.enabled, False
        try:
            yield
        finally:
            self._reducer.enabled = previous
