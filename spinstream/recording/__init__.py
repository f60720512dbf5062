"""Recording: lossless per-chunk buffers (and, from the front end, neo Blocks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from spinstream.recording._buffers import Recorder

if TYPE_CHECKING:
    from spinstream.recording import _neo as neo

__all__ = ["Recorder", "neo"]


def __getattr__(name: str) -> object:
    # neo (the conversion of recordings into neo Blocks) imports slowly: only when asked
    if name == "neo":
        from spinstream.recording import _neo

        return _neo
    raise AttributeError(name)
