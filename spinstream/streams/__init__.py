"""Live streams: subscriptions (async iterators with bounded buffers) and their batches."""

from __future__ import annotations

from spinstream.streams._batches import Batch, SpikeBatch, StateBatch
from spinstream.streams._batches import WeightBatch as WeightBatch  # weight streams (issue 7)
from spinstream.streams._selection import Selection, as_selection
from spinstream.streams._subscription import Subscription

__all__ = ["Batch", "Selection", "SpikeBatch", "StateBatch", "Subscription", "as_selection"]
