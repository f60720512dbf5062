"""The session layer: the Runtime (build -> map -> load -> chunk loop), pacing, live input."""

from __future__ import annotations

from spinstream.session._clock import Clock, MonotonicClock, VirtualClock
from spinstream.session._runtime import MODES, Runtime
from spinstream.session._stats import Percentiles, Statistics

# Shared with the PyNN front end and the bridge (not part of the user-facing API).
from spinstream.session._weights import subscribe_weights as subscribe_weights

__all__ = [
    "MODES",
    "Clock",
    "MonotonicClock",
    "Percentiles",
    "Runtime",
    "Statistics",
    "VirtualClock",
]
