"""The NCCL side of a process group: one NCCL communicator over CuPy, its unique id sent
over MPI, and collectives on a stream of their own ordered after the caller's work.

NCCL runs asynchronously on the GPU: a collective waits (on the device, not the host) for
the kernels queued before it, and ``Work.wait()`` makes the caller's stream wait for the
collective, so the host never blocks and the Python thread goes on queueing work.
"""

from __future__ import annotations

import numpy as np

from .. import _backend

# NCCL_UNIQUE_ID_BYTES in nccl.h
_ID_BYTES = 128


def _nccl():
    _backend.get_xp("gpu")  # a clear error when CuPy or a CUDA GPU is missing
    from cupy.cuda import nccl

    return nccl


def _dtype_code(nccl, dtype):
    codes = {"float16": nccl.NCCL_FLOAT16, "float32": nccl.NCCL_FLOAT32, "float64": nccl.NCCL_FLOAT64,
             "int8": nccl.NCCL_INT8, "uint8": nccl.NCCL_UINT8, "int32": nccl.NCCL_INT32,
             "int64": nccl.NCCL_INT64, "bool": nccl.NCCL_UINT8}
    name = np.dtype(dtype).name
    if name not in codes:
        raise TypeError(f"NCCL cannot communicate tensors of dtype {name}")
    return codes[name]


class NcclComm:
    """One NCCL communicator for the ranks of an MPI communicator ``comm``; each process
    uses the GPU ``node-local rank % GPUs on the node``."""

    def __init__(self, comm, MPI):
        nccl = _nccl()
        import cupy

        node = comm.Split_type(MPI.COMM_TYPE_SHARED)  # the ranks on this machine
        local_rank = node.Get_rank()
        node.Free()
        cupy.cuda.Device(local_rank % cupy.cuda.runtime.getDeviceCount()).use()
        uid = np.zeros(_ID_BYTES, dtype=np.int8)
        if comm.Get_rank() == 0:
            uid[:] = nccl.get_unique_id()
        comm.Bcast(uid, root=0)  # a plain byte buffer: no pickling
        self._nccl, self._cupy = nccl, cupy
        self.comm = nccl.NcclCommunicator(comm.Get_size(), tuple(uid.tolist()), comm.Get_rank())
        self.stream = cupy.cuda.Stream(non_blocking=True)

    def ops(self):
        n = self._nccl
        return {"sum": n.NCCL_SUM, "max": n.NCCL_MAX, "min": n.NCCL_MIN, "product": n.NCCL_PROD}

    def launch(self, kind, arrays, op=None, root=0, divide_by=None):
        """Queue one collective on the communicator's stream after the caller's queued work
        (then, given ``divide_by``, divide the result by it there); returns ``(wait, done)``:
        make the caller's stream wait for it / whether it has finished."""
        cupy, stream = self._cupy, self.stream
        ready = cupy.cuda.Event()
        ready.record(cupy.cuda.get_current_stream())
        stream.wait_event(ready)
        if kind == "all_reduce":
            (a,) = arrays
            self.comm.allReduce(a.data.ptr, a.data.ptr, a.size, _dtype_code(self._nccl, a.dtype), op, stream.ptr)
        elif kind == "broadcast":
            (a,) = arrays
            self.comm.bcast(a.data.ptr, a.size, _dtype_code(self._nccl, a.dtype), root, stream.ptr)
        else:  # all_gather
            send, recv = arrays
            self.comm.allGather(send.data.ptr, recv.data.ptr, send.size, _dtype_code(self._nccl, send.dtype),
                                stream.ptr)
        if divide_by is not None:
            with stream:
                arrays[0] /= divide_by
        done = cupy.cuda.Event()
        done.record(stream)

        def wait():
            cupy.cuda.get_current_stream().wait_event(done)

        return wait, lambda: done.done

    def destroy(self):
        self.comm.destroy()
