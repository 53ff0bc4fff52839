"""MPI jobs for the distributed tests: ``mpiexec -n 2`` on 127.0.0.1, started by the test in a
subprocess of its own session under a hard timeout (a hung job is killed whole).

Skips where ``mpiexec`` is missing.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import signal
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
HERE = pathlib.Path(__file__).resolve().parent


def _mpiexec():
    """The mpiexec installed with mpi4py's MPI (next to this Python, as the mpich wheel puts it), else
    the one on PATH."""
    local = pathlib.Path(sys.executable).parent / "mpiexec"
    return str(local) if local.exists() else shutil.which("mpiexec")


def _loopback_args(mpiexec):
    """Launcher options that keep every rank and its messages on 127.0.0.1."""
    version = subprocess.run([mpiexec, "--version"], capture_output=True, text=True, timeout=30).stdout
    if "Open MPI" in version or "OpenRTE" in version:
        return ["--host", "127.0.0.1:8", "--mca", "btl", "self,vader,tcp", "--mca", "btl_tcp_if_include", "lo"]
    return ["-hosts", "127.0.0.1", "-iface", "lo"]  # MPICH's Hydra (the mpich wheel)


MPIEXEC = _mpiexec()


def mpi_env(**extra):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               UCX_TLS="self,sm", FI_PROVIDER="shm")  # one host: shared memory only, no network
    env.update(extra)
    return env


def run_mpi(args, n=2, timeout=120, cwd=None, env=None):
    """``mpiexec -n n ARGS`` on 127.0.0.1; the CompletedProcess. A job still running after
    ``timeout`` seconds fails the test (the launcher and its ranks are killed)."""
    if MPIEXEC is None:
        pytest.skip("no mpiexec on this machine")
    cmd = [MPIEXEC, "-n", str(n), *_loopback_args(MPIEXEC), *map(str, args)]
    # its own session, so that a hung job is ended whole: the launcher and every rank
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd,
                            env=env or mpi_env(), start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"MPI job did not finish within {timeout} s: {' '.join(cmd)}\n{err[-3000:]}")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def run_worker(scenario, out_dir, *extra, n=2, timeout=120):
    """Run ``mpi_worker.py SCENARIO OUT_DIR ...`` as an MPI job of ``n`` ranks."""
    return run_mpi([sys.executable, HERE / "mpi_worker.py", scenario, out_dir, *extra], n=n, timeout=timeout)
