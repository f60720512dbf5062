"""Subscriptions: per-subscriber bounded buffers of batches, read as async iterators.

A subscription is an object, not an async generator, so that cancelling the task that
iterates it never leaves a half-finished generator behind (trio#264).  The runtime pushes
one batch per chunk from the event loop thread; it never waits for a subscriber, except
for lock-step subscribers in lock-step mode (see :attr:`Subscription.ready`).

When the buffer is full the oldest batch is dropped and counted; the next batch handed
out reports in ``dropped`` how many chunks were lost since the one before it.  A buffer of
one (the default of state streams) therefore always holds the latest batch.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import Generic, TypeVar

import anyio

from spinstream.streams._batches import SpikeBatch, StateBatch, WeightBatch
from spinstream.streams._selection import Selection

B = TypeVar("B", SpikeBatch, StateBatch, WeightBatch)

_ids = itertools.count(1)


class Subscription(Generic[B]):
    """A live stream of batches (one per chunk) of spikes or of a state variable.

    Use it as ``async with runtime.subscribe_spikes(...) as stream: async for batch in
    stream: ...``.  :meth:`receive` waits for the next batch, :meth:`receive_nowait`
    returns one or raises ``anyio.WouldBlock``; after the runtime ended the stream,
    ``receive`` raises ``anyio.EndOfStream`` once the buffered batches are read, and after
    :meth:`aclose` it raises ``anyio.ClosedResourceError``.  Iteration stops in both cases.

    Attributes
    ----------
    id, label
        A unique number, and a label such as ``"spikes#3"`` used in statistics.
    kind
        ``"spikes"`` or ``"state"``.
    variable
        ``"spikes"`` or the state variable's name.
    selection
        The streamed cells.
    maxlen
        Buffer size in batches.
    lockstep
        In lock-step mode the runtime starts a chunk only when this subscriber has asked
        for its next batch (or is closed, or its consuming task has ended).
    interval_steps
        Sampling interval of a state stream (steps).
    opener
        The asyncio task that opened the stream (``None`` outside a task): a session's
        controllers own the streams they open, which end with the run.
    last_batch
        The batch most recently handed to the subscriber (``None`` before the first).
    """

    def __init__(
        self,
        kind: str,
        variable: str,
        selection: Selection,
        *,
        maxlen: int,
        lockstep: bool = False,
        interval_steps: int = 1,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        if not isinstance(maxlen, int) or isinstance(maxlen, bool) or maxlen < 1:
            raise ValueError(f"maxlen must be a positive integer (batches), got {maxlen!r}")
        self.id = next(_ids)
        self.kind = kind
        self.variable = variable
        self.label = f"{variable}#{self.id}"
        self.selection = selection
        self.maxlen = maxlen
        self.lockstep = lockstep
        self.interval_steps = interval_steps
        self._on_change = on_change
        self._buffer: deque[B] = deque()
        self._drops: deque[int] = deque()
        self._carry = 0
        self._waiter: asyncio.Future[None] | None = None
        self._asked = False
        self._closed = False  # closed by the subscriber
        self._ended = False  # ended by the runtime
        self._error: BaseException | None = None  # why the runtime ended it, if it failed
        self._consumers: set[asyncio.Task[object]] = set()
        self.delivered = 0
        self.dropped = 0
        self.last_batch: B | None = None
        self.answered = -1  # the last chunk answered with input (see Runtime statistics)
        try:
            self.opener: asyncio.Task[object] | None = asyncio.current_task()
        except RuntimeError:
            self.opener = None

    # ------------------------------------------------------------------ state
    @property
    def closed(self) -> bool:
        """Whether the subscriber closed the stream or the runtime ended it."""
        return self._closed or self._ended

    @property
    def ready(self) -> bool:
        """Lock-step: the subscriber waits for a batch it has not been given yet.

        Also true once the stream is closed or every task that read from it has ended,
        so a crashed controller never holds the runtime.
        """
        if self.closed:
            return True
        if self._asked and not self._buffer:
            return True
        return bool(self._consumers) and all(t.done() for t in self._consumers)

    def __len__(self) -> int:
        """Batches waiting in the buffer."""
        return len(self._buffer)

    def __repr__(self) -> str:
        return (
            f"<Subscription {self.label} {self.selection!r} maxlen={self.maxlen}"
            f"{' lockstep' if self.lockstep else ''}{' closed' if self.closed else ''}>"
        )

    # ------------------------------------------------------------------ runtime side
    def _push(self, batch: B) -> None:
        if self.closed:
            return
        carry = self._carry
        self._carry = 0
        if len(self._buffer) >= self.maxlen:
            self._buffer.popleft()
            lost = self._drops.popleft() + 1
            self.dropped += 1
            if self._drops:
                self._drops[0] += lost
            else:
                carry += lost
        self._buffer.append(batch)
        self._drops.append(carry)
        self.delivered += 1
        self._asked = False
        self._wake()

    def _end(self) -> None:
        """End the stream from the runtime side (buffered batches stay readable)."""
        if not self._ended:
            self._ended = True
            self._wake()
            self._changed()

    def _fail(self, error: BaseException) -> None:
        """End the stream because it cannot be served; ``receive`` raises ``error``."""
        self._error = error
        self._end()

    def _wake(self) -> None:
        w = self._waiter
        if w is not None and not w.done():
            w.set_result(None)

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change()

    def _note_consumer(self) -> None:
        try:
            task = asyncio.current_task()
        except RuntimeError:
            return
        if task is not None and task not in self._consumers:
            self._consumers.add(task)
            task.add_done_callback(lambda _t: self._changed())

    def _ask(self) -> None:
        if not self._asked:
            self._asked = True
            if self.lockstep:
                self._changed()

    # ------------------------------------------------------------------ subscriber side
    def receive_nowait(self) -> B:
        """Return the next buffered batch, or raise ``anyio.WouldBlock``."""
        if self._closed:
            raise anyio.ClosedResourceError
        if self._buffer:
            batch = self._buffer.popleft()
            lost = self._drops.popleft()
            if lost:
                batch = dataclasses.replace(batch, dropped=lost)
            self.last_batch = batch
            return batch
        if self._ended:
            if self._error is not None:
                raise self._error
            raise anyio.EndOfStream
        self._note_consumer()
        self._ask()
        raise anyio.WouldBlock

    async def receive(self) -> B:
        """Wait for the next batch and return it."""
        while True:
            try:
                return self.receive_nowait()
            except anyio.WouldBlock:
                pass
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiter = waiter
            try:
                await waiter
            finally:
                if self._waiter is waiter:
                    self._waiter = None

    def close(self) -> None:
        """Close the stream now (synchronous form of :meth:`aclose`)."""
        if not self._closed:
            self._closed = True
            self._buffer.clear()
            self._drops.clear()
            self._wake()
            self._changed()

    async def aclose(self) -> None:
        """Close the stream: the runtime stops feeding it; pending receives end."""
        self.close()

    async def __aenter__(self) -> Subscription[B]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __aiter__(self) -> Subscription[B]:
        return self

    async def __anext__(self) -> B:
        try:
            return await self.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise StopAsyncIteration from None
