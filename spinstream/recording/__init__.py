"""Recording: lossless per-chunk buffers (and, from the front end, neo Blocks)."""

from __future__ import annotations

from spinstream.recording._buffers import Recorder

__all__ = ["Recorder"]
