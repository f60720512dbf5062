"""Boards: the interface, and HostBoard, which runs the C engine on this machine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from spinstream.board._base import Board, ChunkResult
from spinstream.board._memory import synapse_memory
from spinstream.model import ModelDescription

if TYPE_CHECKING:
    from spinstream.board._host import HostBoard

__all__ = [
    "Board",
    "ChunkResult",
    "HostBoard",
    "describe_model",
    "engine_models",
    "synapse_memory",
]


def engine_models() -> dict[str, ModelDescription]:
    """Return the C engine's models by name (aliases included), as the engine describes them.

    Raises ``ImportError`` when the engine is not built or does not match this binding.
    """
    from spinstream.board import _engine

    return _engine.models()


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
