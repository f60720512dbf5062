"""Run statistics: counters and timing percentiles of the chunk loop."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Percentiles:
    """Percentiles of a duration over the most recent chunks (microseconds).

    Attributes
    ----------
    p50, p99, max
        Median, 99th percentile and maximum (us) of the last ``n`` durations.
    n
        How many durations they summarise (at most the last 8192; 0: none yet, and then
        every percentile is 0).
    """

    p50: float
    p99: float
    max: float
    n: int


@dataclass(frozen=True)
class Statistics:
    """What the chunk loop did, since the runtime was created.

    Every field is documented here; docs/GUIDE.md ("Statistics") explains how to read them.

    Attributes
    ----------
    chunks, steps
        Chunks run and steps simulated (over all runs and segments).  Chunks are numbered
        from 1: a batch's ``sequence`` (and a ZeroMQ message's ``chunk``) is the number of
        the chunk it comes from, so ``chunks`` is also the number of the last one.
    overruns
        Real-time mode: chunks whose results were ready after the wall-clock time of their
        end.  Each overrun shifts the schedule by its lateness (no catching up).
    lag_ms
        Total wall-clock time (ms) lost to overruns.
    late_inputs
        Inputs refused with ``LateInputError`` (an explicit step already simulated).
        Input is never shifted, so this counts only refusals; late *answers* are
        ``late_answers``.
    inputs
        Inputs accepted (parameters, state, spikes, current sources).
    drops
        Subscriber label -> batches dropped from its full buffer, for every open
        subscriber, dropping or not; ``"closed"``: those dropped by subscribers closed since
        (present once one was closed), so that subscribers may come and go without bound.
        Labels: ``"<variable>#<n>"`` for a stream opened
        in-process (``"spikes#1"``, ``"v#4"``: the stream's variable and a number unique in
        the process, its :attr:`Subscription.label`); ``"bridge:<topic>"`` for a topic a
        ZeroMQ bridge publishes (``"bridge:spikes/exc/"``); ``"gate:<n>"`` for the
        lock-step subscription a bridge holds for a remote client's gate ``n`` (it reads
        one neuron's state, never published, so that the session waits for the gate).
    late_answers
        Answers that missed the chunk they were meant for.  An *answer* is the first input
        a task gives after it received a batch from a stream it opened or reads (a
        controller); it is meant for the chunk after that batch, and is late when it takes
        effect at a later step (real-time and fast modes: the next chunk had already
        started; a lock-step controller is never late).  Input with an explicit step is
        never counted late here (see ``late_inputs``).  Over ZeroMQ an input answers the
        chunk its ``answer_to`` field names (the reference client sends the last chunk
        it handed out), counted once per client and chunk.
    answer_us
        Answer latency: wall-clock time from the chunk's hand-out to the subscribers to
        the answer (microseconds, the answers of the last 8192 batches answered).
    compute_us
        Board time per chunk (``Board.run`` calls and the inputs applied inside the chunk).
    overhead_us
        Python time per chunk outside the board: handing the chunk to the worker thread
        and back, recording, fanning out to subscribers, applying inputs.  Time spent
        waiting on purpose (real-time pacing, lock-step subscribers) is not counted.
        With a chunk queued ahead (fast mode), the loop's time after each chunk.
    queued_ahead
        Fast mode: chunks that ran queued behind the one before, so the worker thread went
        from one to the next without waiting for the loop.
    taken_back
        Chunks queued ahead that were taken back before they started, because input, a
        subscription or a recording arrived for the next chunk (or the run was cancelled).
    """

    chunks: int
    steps: int
    overruns: int
    lag_ms: float
    late_inputs: int
    inputs: int
    drops: Mapping[str, int]
    compute_us: Percentiles
    overhead_us: Percentiles
    queued_ahead: int = 0
    taken_back: int = 0
    late_answers: int = 0
    answer_us: Percentiles = Percentiles(0.0, 0.0, 0.0, 0)


class TimingRing:
    """The last ``size`` durations (ns), appended in O(1)."""

    def __init__(self, size: int = 8192) -> None:
        self._data = np.zeros(size, dtype=np.int64)
        self._n = 0

    def add(self, ns: int) -> None:
        """Append one duration in nanoseconds."""
        self._data[self._n % len(self._data)] = ns
        self._n += 1

    def percentiles(self) -> Percentiles:
        """p50, p99 and max over the stored durations, in microseconds."""
        k = min(self._n, len(self._data))
        if k == 0:
            return Percentiles(0.0, 0.0, 0.0, 0)
        d = self._data[:k] / 1e3
        p50, p99 = np.percentile(d, [50, 99])
        return Percentiles(float(p50), float(p99), float(d.max()), k)
