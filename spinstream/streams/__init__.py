"""Live streams: subscriptions (async iterators with bounded buffers) and their batches."""

from __future__ import annotations

from spinstream.streams._batches import Batch, SpikeBatch, StateBatch, WeightBatch
from spinstream.streams._selection import Selection, as_selection
from spinstream.streams._subscription import Subscription

__all__ = [
    "Batch",
    "Selection",
    "SpikeBatch",
    "StateBatch",
    "Subscription",
    "WeightBatch",
    "as_selection",
]
