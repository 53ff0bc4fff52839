"""mpi4py, imported on first use, and what the MPI launcher put in the environment.

``import lucid`` never needs mpi4py: only starting a process group does.
"""

from __future__ import annotations

import os

_INSTALL_HINT = "install it with `pip install \"lucid[distributed]\"` (mpi4py and an MPI library from PyPI)"

# Variables in which launchers announce the job's size and this process's rank: MPICH and
# Intel MPI (Hydra; also srun --mpi=pmi2), Open MPI, MVAPICH, and Slurm's srun.
_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE", "SLURM_STEP_NUM_TASKS")
_RANK_VARIABLES = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "MV2_COMM_WORLD_RANK", "SLURM_PROCID")


def _announced(names):
    """The first of ``names`` set to a number; Slurm's only inside a step that srun started
    (a batch script's own step has an id near 2**32 and is no parallel job)."""
    step = os.environ.get("SLURM_STEP_ID", os.environ.get("SLURM_STEPID", ""))
    in_srun_step = step.isdigit() and int(step) < 0xFFFFFFF0
    for name in names:
        value = os.environ.get(name, "")
        if value.isdigit() and (in_srun_step or not name.startswith("SLURM_")):
            return int(value)
    return None


def load():
    """The ``mpi4py.MPI`` module (initialising MPI on first use); RuntimeError when mpi4py or
    its MPI library is missing.

    Example:
        >>> load().COMM_WORLD.Get_size() >= 1
        True
    """
    try:
        from mpi4py import MPI
    except ImportError as err:
        raise RuntimeError(f"lucid.distributed needs mpi4py, which is not installed here: {_INSTALL_HINT}") from err
    except RuntimeError as err:  # mpi4py present, its MPI library not loadable
        raise RuntimeError(f"mpi4py could not load an MPI library ({err}): {_INSTALL_HINT}") from err
    return MPI


def available() -> bool:
    """Whether mpi4py can be imported (without initialising MPI).

    Example:
        >>> isinstance(available(), bool)
        True
    """
    import importlib.util

    return importlib.util.find_spec("mpi4py") is not None


def launcher_size() -> int:
    """The number of processes a launcher (``mpiexec``, ``mpirun``, ``srun``) said this job
    has, read from its environment; 1 when no launcher says anything.

    Example:
        >>> launcher_size() >= 1
        True
    """
    size = _announced(_SIZE_VARIABLES)
    return 1 if size is None else size


def launcher_rank() -> int:
    """This process's rank as the launcher announced it; 0 when no launcher says anything.

    Example:
        >>> launcher_rank() >= 0
        True
    """
    rank = _announced(_RANK_VARIABLES)
    return 0 if rank is None else rank
