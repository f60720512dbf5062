"""Weight streams: snapshots of a projection's synaptic weights, one batch per chunk.

A :class:`WeightProbe` plugs into the runtime's chunk loop as a *probe*: for each chunk it
names the steps at which it wants a snapshot (every ``interval_steps`` steps, and step 0 on
the first chunk after load or reset); the runtime splits the chunk's board runs there and
calls the probe between them, in the worker thread, so a snapshot holds the weights after
exactly that many steps.  After the chunk the probe hands the snapshots to its subscription
as one :class:`~spinstream.streams.WeightBatch`.  Splitting runs never changes results.

The ZeroMQ bridge can publish such a subscription as it does state streams: topic
``weights/<projection label>/``, frames ``stamps`` (int64, ``[k]``) and ``values``
(float64, ``[k, n_synapses]``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from spinstream.streams import Selection, Subscription, WeightBatch

if TYPE_CHECKING:
    from spinstream.session._runtime import Runtime

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

__all__ = ["WeightProbe", "subscribe_weights"]


class WeightProbe:
    """Takes weight snapshots of some projection specs for one subscription.

    Parameters
    ----------
    runtime
        The runtime whose board holds the weights.
    parts
        ``(projection spec id, positions)``: where each spec's synapses go in a snapshot.
    n
        Synapses per snapshot.
    interval_steps
        Steps between snapshots.
    sub
        The subscription fed with one batch per chunk.
    label
        Name of the projection (``WeightBatch.projection``).
    scale
        Multiplies every snapshot (e.g. PyNN's signs of inhibitory current weights).
    """

    def __init__(
        self,
        runtime: Runtime,
        parts: Sequence[tuple[int, IntArray]],
        n: int,
        interval_steps: int,
        sub: Subscription[WeightBatch],
        label: str,
        scale: FloatArray | None = None,
    ) -> None:
        self._runtime = runtime
        self._parts = [(int(p), np.asarray(sel, dtype=np.int64)) for p, sel in parts]
        self._n = n
        self.interval = int(interval_steps)
        self.sub = sub
        self._label = label
        self._scale = scale
        self._stamps: list[int] = []
        self._values: list[FloatArray] = []

    @property
    def closed(self) -> bool:
        """Whether the subscription is closed (the runtime then drops the probe)."""
        return self.sub.closed

    def taps(self, first: int, end: int) -> list[tuple[int, Callable[[], None]]]:
        """``(step, snapshot)`` pairs for the chunk ``[first, end)``: stamps in (first, end].

        Step 0 is included on a chunk that starts at step 0 (after load or reset).
        """
        k = self.interval
        lo = first + 1 if first > 0 else 0
        start = -(-lo // k) * k
        return [(s, self._snapshot_at(s)) for s in range(start, end + 1, k)]

    def _snapshot_at(self, stamp: int) -> Callable[[], None]:
        def take() -> None:
            board = self._runtime.board
            assert board is not None
            values = np.empty(self._n)
            for spec_id, sel in self._parts:
                values[sel] = board.get_weights(spec_id)
            if self._scale is not None:
                values *= self._scale
            self._stamps.append(stamp)
            self._values.append(values)

        return take

    def flush(self, first: int, n_steps: int, sequence: int) -> None:
        """Hand the chunk's snapshots to the subscriber (on the event loop's thread)."""
        stamps = np.array(self._stamps, dtype=np.int64)
        values = np.array(self._values).reshape(len(stamps), self._n)
        self._stamps, self._values = [], []
        dt = self._runtime.dt
        self.sub._push(
            WeightBatch(
                first * dt,
                (first + n_steps) * dt,
                stamps.astype(np.float64) * dt,
                values,
                0,
                first,
                n_steps,
                stamps,
                sequence,
                self._label,
            )
        )

    def discard(self) -> None:
        """Forget snapshots of a chunk that did not complete."""
        self._stamps, self._values = [], []


def subscribe_weights(
    runtime: Runtime,
    parts: Sequence[tuple[int, npt.ArrayLike]],
    n: int,
    *,
    interval_steps: int = 1,
    maxlen: int = 1,
    label: str = "",
    scale: FloatArray | None = None,
) -> Subscription[WeightBatch]:
    """Stream snapshots of synaptic weights: one :class:`WeightBatch` per chunk.

    ``parts`` are ``(projection spec id, positions in the snapshot)``; snapshots are taken
    every ``interval_steps`` steps.  The buffer keeps ``maxlen`` batches (default 1: the
    latest) and drops the oldest when full.  Lock-step is not offered for weight streams.
    """
    if not isinstance(interval_steps, int | np.integer) or interval_steps < 1:
        raise ValueError(
            f"interval_steps must be a positive integer number of steps, got {interval_steps!r}"
        )
    for spec_id, _ in parts:
        if not 0 <= int(spec_id) < len(runtime.spec.projections):
            raise IndexError(f"projection id {spec_id!r} does not exist")
    sub: Subscription[WeightBatch] = Subscription(
        "weights",
        "weight",
        Selection([(0, np.zeros(0, np.int64))]),
        maxlen=maxlen,
        interval_steps=int(interval_steps),
    )
    sub.label = f"weight:{label}#{sub.id}"
    cleaned = [(int(p), np.asarray(sel, dtype=np.int64)) for p, sel in parts]
    probe = WeightProbe(runtime, cleaned, n, int(interval_steps), sub, label, scale)
    runtime.add_probe(probe)
    return sub
