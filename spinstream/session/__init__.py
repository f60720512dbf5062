"""The session layer: the Runtime (build -> map -> load -> chunk loop), pacing, live input."""

from __future__ import annotations

from spinstream.session._clock import Clock, MonotonicClock, VirtualClock
from spinstream.session._runtime import MODES, Runtime
from spinstream.session._stats import Percentiles, Statistics

__all__ = [
    "MODES",
    "Clock",
    "MonotonicClock",
    "Percentiles",
    "Runtime",
    "Statistics",
    "VirtualClock",
]
