"""Boards: the interface, and HostBoard, which runs the C engine on this machine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from spinstream.board._base import Board, ChunkResult

if TYPE_CHECKING:
    from spinstream.board._host import HostBoard

__all__ = ["Board", "ChunkResult", "HostBoard"]


def __getattr__(name: str) -> object:
    # HostBoard loads the compiled engine: import it only when asked, so that the interface
    # (and test doubles) work without it, and a missing build gives a clear ImportError.
    if name == "HostBoard":
        from spinstream.board._host import HostBoard

        return HostBoard
    raise AttributeError(name)
