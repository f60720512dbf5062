"""Boards: the interface, and HostBoard, which runs the C engine on this machine."""

from __future__ import annotations

from spinstream.board._base import Board, ChunkResult

__all__ = ["Board", "ChunkResult"]
