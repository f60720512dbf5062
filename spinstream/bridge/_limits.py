"""Bookkeeping behind the limits: per-client token buckets and pending-input budgets.

Everything here is O(1) memory per client (and the client table is bounded), and
O(log n) per input, so a flood costs the bridge time but never unbounded memory.
"""

from __future__ import annotations

import heapq
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from spinstream.bridge._config import Access

__all__ = ["ClientState", "ClientTable", "Durations", "PendingInput", "TokenBucket"]


class TokenBucket:
    """At most ``rate`` events per second on average, in bursts of at most ``burst``."""

    __slots__ = ("_clock", "_last", "_tokens", "burst", "rate")

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = burst
        self._last = clock()

    def take(self) -> bool:
        """Spend one token if there is one."""
        if math.isinf(self.rate):
            return True
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


@dataclass
class ClientState:
    """What the bridge remembers of one client (keyed by CURVE key or connection id)."""

    key: bytes
    name: str
    access: Access
    bucket: TokenBucket
    requests: int = 0
    inputs: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    answered: int = 0  # the last chunk this client's input answered (``answer_to``)


class ClientTable:
    """Clients by key, least recently seen first; at most ``size`` of them."""

    def __init__(self, size: int, make: Callable[[bytes], ClientState]) -> None:
        self._size = size
        self._make = make
        self._clients: OrderedDict[bytes, ClientState] = OrderedDict()
        self.forgotten = 0

    def get(self, key: bytes) -> ClientState:
        """Return the client's state, made on first sight."""
        c = self._clients.get(key)
        if c is None:
            c = self._make(key)
            self._clients[key] = c
            if len(self._clients) > self._size:
                self._clients.popitem(last=False)
                self.forgotten += 1
        else:
            self._clients.move_to_end(key)
        return c

    def __len__(self) -> int:
        return len(self._clients)

    def values(self) -> list[ClientState]:
        """Return the remembered clients."""
        return list(self._clients.values())


class PendingInput:
    """Input accepted but not yet taken into a chunk, against two budgets.

    ``per_chunk``: messages taking effect at one chunk boundary (the next input step);
    ``scheduled``: messages for later steps not yet reached.
    """

    def __init__(self, per_chunk: int, scheduled: int) -> None:
        self.per_chunk = per_chunk
        self.scheduled = scheduled
        self._boundary = -1
        self._at_boundary = 0
        self._future: list[int] = []

    def _expire(self, input_step: int) -> None:
        if input_step != self._boundary:
            self._boundary = input_step
            self._at_boundary = 0
        fut = self._future
        while fut and fut[0] < input_step:
            heapq.heappop(fut)

    def pending(self, input_step: int) -> tuple[int, int]:
        """``(at the next boundary, scheduled later)``."""
        self._expire(input_step)
        at = self._at_boundary + sum(1 for s in self._future if s == input_step)
        return at, len(self._future)

    def refusal(self, step: int, input_step: int) -> str | None:
        """Why input taking effect at ``step`` cannot be accepted now (``None``: it can)."""
        self._expire(input_step)
        if step <= input_step:
            if self._at_boundary >= self.per_chunk:
                return (
                    f"{self._at_boundary} input messages already wait for step {input_step} "
                    f"(the limit per chunk is {self.per_chunk}); try again after that step"
                )
        elif len(self._future) >= self.scheduled:
            return (
                f"{len(self._future)} input messages are already scheduled for later steps "
                f"(the limit is {self.scheduled})"
            )
        return None

    def add(self, step: int, input_step: int) -> None:
        """Count one accepted message that takes effect at ``step``."""
        self._expire(input_step)
        if step <= input_step:
            self._at_boundary += 1
        else:
            heapq.heappush(self._future, step)


class Durations:
    """The last ``size`` durations (seconds), for percentiles; O(1) per sample."""

    def __init__(self, size: int = 4096) -> None:
        self._data = np.zeros(size)
        self._n = 0

    def add(self, seconds: float) -> None:
        """Record one duration."""
        self._data[self._n % len(self._data)] = seconds
        self._n += 1

    def percentiles_us(self) -> tuple[float, float, float]:
        """``(p50, p99, max)`` in microseconds (zeros before the first sample)."""
        k = min(self._n, len(self._data))
        if k == 0:
            return (0.0, 0.0, 0.0)
        d = self._data[:k] * 1e6
        p50, p99 = np.percentile(d, [50, 99])
        return (float(p50), float(p99), float(d.max()))
