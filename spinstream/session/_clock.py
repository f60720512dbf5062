"""Clocks for real-time pacing: the machine's monotonic clock, or a virtual one for tests."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """What the runtime needs to pace real time: a monotonic ``now`` and a sleep."""

    def now(self) -> float:
        """Monotonic time in seconds."""
        ...

    async def sleep_until(self, deadline: float) -> None:
        """Return once ``now() >= deadline`` (at once when it already is)."""
        ...


class MonotonicClock:
    """The machine's monotonic clock.

    The event loop's timers wake up to a millisecond late (epoll's resolution), which is
    a whole chunk at 1 ms chunks.  So the last ``spin`` seconds before a deadline are
    waited by yielding to the loop in a loop: other tasks keep running, at the price of
    one busy core while the runtime waits.
    """

    def __init__(self, spin: float = 0.002) -> None:
        if spin < 0:
            raise ValueError(f"spin must be >= 0 seconds, got {spin!r}")
        self.spin = spin

    def now(self) -> float:
        """Monotonic time in seconds."""
        return time.monotonic()

    async def sleep_until(self, deadline: float) -> None:
        """Sleep until ``deadline`` (monotonic seconds)."""
        coarse = deadline - time.monotonic() - self.spin
        if coarse > 0:
            await asyncio.sleep(coarse)
        while time.monotonic() < deadline:  # noqa: ASYNC110 - spinning on purpose, see above
            await asyncio.sleep(0)


class VirtualClock:
    """A clock that only moves when told to, or when someone sleeps on it.

    ``sleep_until`` jumps straight to the deadline (after yielding once to the loop), so
    tests of real-time pacing run instantly and deterministically.  A test board can call
    :meth:`advance` from its ``run`` to make computing a chunk take virtual time.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)

    def now(self) -> float:
        """Virtual time in seconds."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``."""
        if seconds < 0:
            raise ValueError(f"a clock cannot go backwards (advance by {seconds!r} s)")
        self._now += seconds

    async def sleep_until(self, deadline: float) -> None:
        """Jump to ``deadline`` if it lies ahead, and let other tasks run once."""
        if deadline > self._now:
            self._now = deadline
        await asyncio.sleep(0)
