"""Run a fused NumPy kernel over row blocks: blocks small enough that the kernel's
temporaries stay in the L2 cache, spread over a few threads.

NumPy releases the GIL inside its ufunc loops, so the blocks of one elementwise kernel
run truly in parallel. CuPy arrays skip all of this: a GPU kernel gets the whole array
in one call.

Matrix products that run on this pool (the attention's many small per-head GEMMs, and the
row halves of a linear layer's GEMM) run with OpenBLAS held at one thread
(:func:`single_threaded_blas`): OpenBLAS's own threads busy-wait between calls, so
otherwise they would fight this pool for the same cores, and a batch of tiny GEMMs, each
synchronising two OpenBLAS threads, stalls badly on a machine with any other load.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..._backend import xp_of

#: Elements per block and temporary (384 KiB of float32). Larger than an L2-sized block: a
#: kernel makes ~10 NumPy calls a block, and with two threads each call's GIL hand-off costs
#: more than the L3 reads it saves (layer norm 1600 x 768, 2 threads: 5.0 ms at 24K, 1.9 ms here).
BLOCK_ELEMS = 98304
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


# ---- memory reuse ---------------------------------------------------------------------------------
#: glibc's largest mmap threshold (HEAP_MAX_SIZE / 2 on 64-bit): blocks up to this come from the heap.
_MMAP_THRESHOLD = 32 * 1024 * 1024
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameter numbers (malloc.h)


def keep_freed_memory() -> bool:
    """Ask glibc to serve arrays up to 32 MiB from its heap and never trim the heap, so
    memory a training step frees is reused by the next step instead of being unmapped and
    faulted in again (a BERT-base step otherwise spends ~10% of its time in page faults).
    Peak RSS is unchanged; idle RSS stays at the peak. Skipped (returns False) off glibc or
    with ``LUCID_KEEP_FREED_MEMORY=0``.
    """
    if os.environ.get("LUCID_KEEP_FREED_MEMORY", "1") == "0":
        return False
    try:
        libc = ctypes.CDLL(None)
        if not hasattr(libc, "gnu_get_libc_version"):
            return False
        mallopt = libc.mallopt
        mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
        ok = mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD) == 1
        ok = mallopt(_M_TRIM_THRESHOLD, 2**31 - 1) == 1 and ok
        return ok
    except (OSError, AttributeError):
        return False


MEMORY_REUSE = keep_freed_memory()


def _forget_pool():  # a forked child does not inherit the pool's threads
    global _pool
    _pool = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def row_blocks(n_rows: int, row_size: int, fn, scratch=None, numpy=True, block_elems=None):
    """Call ``fn(lo, hi, buffers)`` for row blocks ``[lo, hi)`` covering ``range(n_rows)``.

    ``scratch(rows)`` (optional) makes one thread's temporary buffers for blocks of up to
    ``rows`` rows; they are reused across that thread's blocks. Returns the list of
    ``fn``'s results in block order. With ``numpy=False`` (CuPy arrays) ``fn`` runs once
    over all rows. ``block_elems`` overrides :data:`BLOCK_ELEMS` for this call.
    """
    if not numpy or n_rows == 0:
        return [fn(0, n_rows, scratch(n_rows) if scratch else None)]
    rows = max(1, min(n_rows, (block_elems or BLOCK_ELEMS) // max(row_size, 1)))
    bounds = [(lo, min(n_rows, lo + rows)) for lo in range(0, n_rows, rows)]
    threads = min(get_num_threads(), len(bounds))
    if threads < 2 or n_rows * row_size < PARALLEL_MIN_ELEMS:
        buf = scratch(rows) if scratch else None
        return [fn(lo, hi, buf) for lo, hi in bounds]

    results = [None] * len(bounds)
    order = iter(range(len(bounds)))  # blocks handed out one at a time (next() is atomic under the GIL),
    # so a thread that other load slows down simply takes fewer blocks

    def work():
        buf = scratch(rows) if scratch else None
        for i in order:
            lo, hi = bounds[i]
            results[i] = fn(lo, hi, buf)

    pool = _get_pool(threads - 1)
    futures = [pool.submit(work) for _ in range(threads - 1)]
    try:
        work()
    finally:
        for f in futures:
            f.result()
    return results


def run_tasks(n_tasks: int, fn, scratch=None, parallel=True):
    """Call ``fn(lo, hi, buffers)`` over ``[0, n_tasks)`` in contiguous chunks, one chunk
    per thread (the calling thread takes the first). ``scratch()`` (optional) makes one
    thread's reusable buffers. Returns the chunks' results in order.

    For coarse tasks (a few heads of attention, half a GEMM) where :func:`row_blocks`'
    cache-sized blocking is done by the caller.
    """
    threads = min(get_num_threads(), n_tasks) if parallel else 1
    if threads < 2:
        return [fn(0, n_tasks, scratch() if scratch else None)] if n_tasks else []
    bounds = [(n_tasks * i // threads, n_tasks * (i + 1) // threads) for i in range(threads)]

    def work(lo, hi):
        return fn(lo, hi, scratch() if scratch else None)

    pool = _get_pool(threads - 1)
    futures = [pool.submit(work, lo, hi) for lo, hi in bounds[1:]]
    try:
        first = work(*bounds[0])
    finally:
        rest = [f.result() for f in futures]
    return [first] + rest


# ---- OpenBLAS thread control ------------------------------------------------------------------
_blas = None  # (set, get) ctypes functions of NumPy's OpenBLAS, False when not found
_blas_depth = 0
_blas_prev = None


def _find_openblas():
    """``(set_num_threads, get_num_threads)`` of the OpenBLAS NumPy links, or None."""
    candidates = []
    libs = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    candidates += sorted(glob.glob(os.path.join(libs, "*openblas*")))
    try:  # any OpenBLAS already mapped into this process (system NumPy builds)
        with open("/proc/self/maps") as f:
            candidates += sorted({line.split()[-1] for line in f if "openblas" in line.lower() and "/" in line})
    except OSError:
        pass
    names = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads", "openblas_set_num_threads64_",
             "openblas_set_num_threads")
    for path in candidates:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in names:
            setter = getattr(lib, name, None)
            getter = getattr(lib, name.replace("set_num", "get_num"), None)
            if setter is not None and getter is not None:
                setter.argtypes, setter.restype = [ctypes.c_int], None
                getter.argtypes, getter.restype = [], ctypes.c_int
                return setter, getter
    return None


def blas_control_available() -> bool:
    """Whether lucid can hold NumPy's OpenBLAS at one thread (so GEMMs can run on this pool)."""
    global _blas
    if _blas is None:
        with _lock:
            if _blas is None:
                try:
                    _blas = _find_openblas() or False
                except Exception:  # never let a probe break the kernels
                    _blas = False
    return bool(_blas)


@contextlib.contextmanager
def single_threaded_blas():
    """Hold OpenBLAS at one thread inside the block (restored on exit; nests, thread-safe).

    Without a controllable OpenBLAS this does nothing. The kernels hold it around the GEMMs
    they run on their own threads; code that runs its own threads can hold it the same way.

    Example:
        >>> import numpy as np
        >>> from lucid.nn.kernels import single_threaded_blas
        >>> with single_threaded_blas():
        ...     float((np.ones((2, 3)) @ np.ones((3, 2)))[0, 0])
        3.0
    """
    global _blas_depth, _blas_prev
    if not blas_control_available():
        yield
        return
    setter, getter = _blas
    with _lock:
        if _blas_depth == 0:
            _blas_prev = getter()
            if _blas_prev > 1:
                setter(1)
        _blas_depth += 1
    try:
        yield
    finally:
        with _lock:
            _blas_depth -= 1
            if _blas_depth == 0 and _blas_prev is not None and _blas_prev > 1:
                setter(_blas_prev)


#: Below this many multiply-adds a GEMM runs in one piece (still with OpenBLAS at one thread).
GEMM_SPLIT_MIN = 1 << 24
#: Narrowest piece of a split GEMM (OpenBLAS keeps ~97% of its speed down to 256).
GEMM_MIN_PIECE = 256
#: Most pieces per thread. One, as a static OpenMP schedule: every piece packs the shared
#: operand again, and in-process A/B forwards of BERT-base (8 x 128, 2 threads, alternating
#: forward by forward) ran 1.6-2.8% faster with one piece a thread than with four, and 3%
#: faster than with a large first piece per thread plus small ones to balance.
GEMM_PIECES_PER_THREAD = 1


def matmul(a, b, out=None, epilogue=None):
    """``a @ b`` for 2-D NumPy arrays on the kernel threads, OpenBLAS held at one thread.

    The output is cut along its longer side into ``threads * r`` equal pieces, ``r`` at most
    :data:`GEMM_PIECES_PER_THREAD` (handed out one at a time, so with ``r > 1`` a thread slowed
    by other load takes fewer). ``epilogue(out_piece, rows, cols)`` (slices of the full
    output) runs on each piece right after its GEMM, while it is still warm, e.g. adding a
    bias. CuPy arrays get one plain ``matmul``.
    """
    if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
        xp = xp_of(a)
        out = xp.matmul(a, b, out=out)
        if epilogue is not None:
            epilogue(out, slice(None), slice(None))
        return out
    m, n = a.shape[0], b.shape[1]
    if out is None:
        out = np.empty((m, n), np.result_type(a.dtype, b.dtype))
    threads = get_num_threads()
    work = m * n * a.shape[1]
    if threads < 2 or work < GEMM_SPLIT_MIN:
        with single_threaded_blas():
            np.matmul(a, b, out=out)
        if epilogue is not None:
            epilogue(out, slice(None), slice(None))
        return out
    along_n = n >= m
    size = n if along_n else m
    pieces = threads * max(1, min(GEMM_PIECES_PER_THREAD, size // (GEMM_MIN_PIECE * threads)))
    bounds = [(size * i // pieces, size * (i + 1) // pieces) for i in range(pieces)]
    counter = iter(range(pieces))  # next() on a range iterator is atomic under the GIL
    full = slice(None)

    def task(lo, hi, _):
        for i in counter:
            s = slice(*bounds[i])
            if along_n:
                np.matmul(a, b[:, s], out=out[:, s])
                rows, cols = full, s
            else:
                np.matmul(a[s], b, out=out[s])
                rows, cols = s, full
            if epilogue is not None:
                epilogue(out[rows, cols], rows, cols)

    with single_threaded_blas():
        run_tasks(threads, task)
    return out


def xp_empty_like_row(a):
    """An uninitialised 1-D array of ``a.shape[1]`` entries of ``a``'s dtype on ``a``'s device."""
    return xp_of(a).empty(a.shape[1], a.dtype)
