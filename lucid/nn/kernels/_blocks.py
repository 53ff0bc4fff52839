"""Run a fused NumPy kernel over row blocks: blocks small enough that the kernel's
temporaries stay in the L2 cache, spread over a few threads.

NumPy releases the GIL inside its ufunc loops, so the blocks of one elementwise kernel
run truly in parallel. CuPy arrays skip all of this: a GPU kernel gets the whole array
in one call.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

#: Elements per block and temporary; a kernel keeps ~4 such float32 buffers in a 512 KiB L2.
BLOCK_ELEMS = 24576
#: Below this many elements a kernel runs on the calling thread only (a hand-off costs ~20 us).
PARALLEL_MIN_ELEMS = 1 << 17

_lock = threading.Lock()
_pool = None
_threads = None


def _default_threads() -> int:
    env = os.environ.get("LUCID_NUM_THREADS")
    if env:
        return max(1, int(env))
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        n = os.cpu_count() or 1
    return max(1, min(n, 8))


def get_num_threads() -> int:
    """Threads the fused CPU kernels use (``LUCID_NUM_THREADS``, else the usable cores, at most 8).

    Example:
        >>> from lucid.nn.kernels import get_num_threads
        >>> get_num_threads() >= 1
        True
    """
    global _threads
    if _threads is None:
        _threads = _default_threads()
    return _threads


def set_num_threads(n: int) -> None:
    """Set how many threads the fused CPU kernels use (1 turns threading off).

    Example:
        >>> from lucid.nn.kernels import get_num_threads, set_num_threads
        >>> old = get_num_threads(); set_num_threads(1); get_num_threads()
        1
        >>> set_num_threads(old)
    """
    global _threads, _pool
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"the number of threads must be a positive int, got {n!r}")
    with _lock:
        _threads = int(n)
        if _pool is not None:
            _pool.shutdown(wait=False)
            _pool = None


def _get_pool(workers):
    global _pool
    with _lock:
        if _pool is None or _pool._max_workers < workers:
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lucid-kernel")
        return _pool


def _forget_pool():  # a forked child does not inherit the pool's threads
    global _pool
    _pool = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def row_blocks(n_rows: int, row_size: int, fn, scratch=None, numpy=True):
    """Call ``fn(lo, hi, buffers)`` for row blocks ``[lo, hi)`` covering ``range(n_rows)``.

    ``scratch(rows)`` (optional) makes one thread's temporary buffers for blocks of up to
    ``rows`` rows; they are reused across that thread's blocks. Returns the list of
    ``fn``'s results in block order. With ``numpy=False`` (CuPy arrays) ``fn`` runs once
    over all rows.
    """
    if not numpy or n_rows == 0:
        return [fn(0, n_rows, scratch(n_rows) if scratch else None)]
    rows = max(1, min(n_rows, BLOCK_ELEMS // max(row_size, 1)))
    bounds = [(lo, min(n_rows, lo + rows)) for lo in range(0, n_rows, rows)]
    threads = min(get_num_threads(), len(bounds))
    if threads < 2 or n_rows * row_size < PARALLEL_MIN_ELEMS:
        buf = scratch(rows) if scratch else None
        return [fn(lo, hi, buf) for lo, hi in bounds]

    results = [None] * len(bounds)
    per = -(-len(bounds) // threads)

    def work(first):
        buf = scratch(rows) if scratch else None
        for i in range(first, min(first + per, len(bounds))):
            lo, hi = bounds[i]
            results[i] = fn(lo, hi, buf)

    pool = _get_pool(threads - 1)
    futures = [pool.submit(work, first) for first in range(per, len(bounds), per)]
    try:
        work(0)
    finally:
        for f in futures:
            f.result()
    return results
