"""Boards: the interface, and HostBoard, which runs the C engine on this machine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from spinstream.board._base import Board, ChunkResult
from spinstream.board._memory import synapse_memory
from spinstream.board._synapses import MAX_ATOMS_PER_CORE as MAX_ATOMS_PER_CORE
from spinstream.board._synapses import MAX_DELAY_STEPS as MAX_DELAY_STEPS
from spinstream.model import ModelDescription

if TYPE_CHECKING:
    from spinstream.board._host import HostBoard

__all__ = [
    "Board",
    "ChunkResult",
    "HostBoard",
    "describe_model",
    "engine_models",
    "mpi_agreed_seed",
    "mpi_processes",
    "synapse_memory",
]


def engine_models() -> dict[str, ModelDescription]:
    """Return the C engine's models by name (aliases included), as the engine describes them.

    Raises ``ImportError`` when the engine is not built or does not match this binding.
    """
    from spinstream.board import _engine

    return _engine.models()


def mpi_processes(board: Board | None = None) -> tuple[int, int]:
    """Return ``(rank, size)``: this process among the MPI processes a board spans.

    ``board``: a board that exists (its own ``rank`` and ``processes``; (0, 1) for a board
    without them); None: those a default ``HostBoard`` would span (every process of
    ``mpirun``/``srun`` when the script was started by one).
    """
    if board is not None:
        return int(getattr(board, "rank", 0)), int(getattr(board, "processes", 1))
    from spinstream.board import _mpi

    comm = _mpi.world()
    return (0, 1) if comm is None else (int(comm.Get_rank()), int(comm.Get_size()))


def mpi_agreed_seed(seed: int) -> int:
    """Rank 0's ``seed`` on every MPI process (``seed`` itself in a single process)."""
    from spinstream.board import _mpi

    return _mpi.agreed_seed(seed)


def describe_model(name: str) -> ModelDescription | None:
    """Return the engine's description of model ``name``.

    None for a model the engine does not have, or when the engine is not built (boards
    without it check their models themselves).
    """
    try:
        return engine_models().get(name)
    except ImportError:
        return None


def __getattr__(name: str) -> object:
    # HostBoard loads the compiled engine: import it only when asked, so that the interface
    # (and test doubles) work without it, and a missing build gives a clear ImportError.
    if name == "HostBoard":
        from spinstream.board._host import HostBoard

        return HostBoard
    raise AttributeError(name)
