"""spinstream: a live, closed-loop PyNN runtime on a SpiNNaker-style board."""

from __future__ import annotations

__version__ = "0.1.0"
