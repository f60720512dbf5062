"""The PUB side of the bridge: topics, one pump per topic, and the messages they send.

A topic (spikes, state, or a plastic projection's weights) is fed by an ordinary
:class:`~spinstream.streams.Subscription` with the session's drop policy; its pump task
hands each batch to the PUB socket as one multipart message ``[topic, msgpack header, raw
little-endian frames...]``.  The arrays of the batch are sent without copying (ZeroMQ
keeps a reference until they are on the wire).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, cast

import anyio
import numpy.typing as npt
import zmq

from spinstream.bridge._catalog import Source
from spinstream.bridge._requests import RequestError
from spinstream.bridge._weights import WeightSource
from spinstream.client import (
    CLOSING_TOPIC,
    PROTOCOL_VERSION,
    RUN_END_TOPIC,
    encode,
    frame_spec,
    little_endian,
    sync_topic,
)
from spinstream.session import Runtime, subscribe_weights
from spinstream.streams import SpikeBatch, StateBatch, Subscription, WeightBatch

__all__ = ["Publisher", "Topic"]

Spawn = Callable[[Coroutine[Any, Any, None]], "asyncio.Task[None]"]
WhenActive = Callable[[Callable[[], None]], None]


@dataclass
class Topic:
    """One topic turned on."""

    name: str
    source: Source | WeightSource
    variable: str
    interval: int
    key: bytes
    sub: Subscription[Any] | None = None  # None until the runtime feeds it
    seq: int = 0
    task: asyncio.Task[None] | None = None

    @property
    def kind(self) -> str:
        """The header's ``kind``: ``"spikes"``, ``"state"`` or ``"weights"``."""
        if isinstance(self.source, WeightSource):
            return "weights"
        return "spikes" if self.variable == "spikes" else "state"


class Publisher:
    """Topics turned on and what they publish.

    Parameters
    ----------
    runtime
        The runtime whose subscriptions feed the topics.
    spawn
        Starts a task that the bridge cancels when it closes.
    when_active
        Runs a change of the runtime now, or at the start of the next run of a blocking
        session (see :meth:`Bridge.defer_between_runs`).
    spike_buffer, state_buffer
        Buffer sizes (chunks) of the topics' subscriptions (weight topics keep the
        latest, as state topics do: ``state_buffer``).
    """

    def __init__(
        self,
        runtime: Runtime,
        spawn: Spawn,
        when_active: WhenActive,
        spike_buffer: int,
        state_buffer: int,
    ) -> None:
        self.runtime = runtime
        self.sock: zmq.Socket[bytes] | None = None
        self.topics: dict[str, Topic] = {}
        self.published = 0
        self.published_bytes = 0
        self._spawn = spawn
        self._when_active = when_active
        self._spike_buffer = spike_buffer
        self._state_buffer = state_buffer
        self._drops_closed = 0

    def drops(self) -> int:
        """Chunks dropped from the topics' buffers (the bridge fell behind)."""
        return self._drops_closed + sum(t.sub.dropped for t in self.topics.values() if t.sub)

    def turn_on(self, name: str, src: Source | WeightSource, var: str, interval: int) -> None:
        """Publish ``var`` of ``src`` (a projection: weights) on ``name`` from the next chunk."""
        topic = Topic(name, src, var, interval, name.encode("utf-8"))
        self.topics[name] = topic
        self._when_active(lambda: self._feed(topic))  # may raise RequestError at once

    def _feed(self, topic: Topic) -> None:
        rt = self.runtime
        src = topic.source
        try:
            if isinstance(src, WeightSource):
                sub: Subscription[Any] = subscribe_weights(
                    rt,
                    src.parts,
                    src.size,
                    interval_steps=topic.interval,
                    maxlen=self._state_buffer,
                    label=src.name,
                )
            elif topic.variable == "spikes":
                sub = rt.subscribe_spikes(src.selection, maxlen=self._spike_buffer)
            else:
                sub = rt.subscribe_state(
                    src.selection,
                    topic.variable,
                    interval_steps=topic.interval,
                    maxlen=self._state_buffer,
                )
        except Exception as exc:  # the catalog offered it: should not happen
            self.topics.pop(topic.name, None)
            raise RequestError(
                "conflict", f"topic {topic.name!r} cannot be published: {exc}"
            ) from None
        sub.label = f"bridge:{topic.name}"  # its key in the session's statistics().drops
        sub.opener = None  # not the control task's: its input answers by answer_to
        topic.sub = sub
        topic.task = self._spawn(self._pump(topic, sub))

    async def _pump(self, topic: Topic, sub: Subscription[Any]) -> None:
        with contextlib.suppress(anyio.ClosedResourceError, anyio.EndOfStream):
            async for batch in sub:
                self.send(topic, batch)

    def send(self, topic: Topic, batch: SpikeBatch | StateBatch | WeightBatch) -> None:
        """Publish one chunk of a topic (never waits: ZeroMQ drops at a full queue)."""
        pub = self.sock
        if pub is None:
            return
        arrays: tuple[tuple[str, npt.NDArray[Any]], ...]
        if isinstance(batch, SpikeBatch):
            arrays = (("stamps", batch.stamps), ("indices", batch.indices))
        else:
            arrays = (("stamps", batch.stamps), ("values", batch.values))
        frames = [little_endian(a) for _, a in arrays]
        header = {
            "v": PROTOCOL_VERSION,
            "kind": topic.kind,
            "topic": topic.name,
            "source": topic.source.name,
            "variable": topic.variable,
            "seq": topic.seq,
            "chunk": batch.sequence,
            "first_step": batch.first_step,
            "last_step": batch.first_step + batch.n_steps - 1,
            "n_steps": batch.n_steps,
            "dt": self.runtime.dt,
            "t_start": batch.t_start,
            "t_stop": batch.t_stop,
            "dropped": batch.dropped,
            "interval_steps": topic.interval,
            "frames": [frame_spec(n, a) for (n, _), a in zip(arrays, frames, strict=True)],
            "t_pub_ns": time.time_ns(),
        }
        head = encode(header)
        topic.seq += 1
        try:
            pub.send_multipart([topic.key, head, *cast("list[Any]", frames)], copy=False)
        except zmq.ZMQError:  # the socket is closing
            return
        self.published += 1
        self.published_bytes += len(topic.key) + len(head) + sum(f.nbytes for f in frames)

    def flush(self) -> None:
        """Publish every chunk the topics' buffers still hold (before an end message)."""
        for topic in self.topics.values():
            sub = topic.sub
            while sub is not None and len(sub):
                self.send(topic, sub.receive_nowait())

    def send_session(self, kind: str) -> None:
        """Publish a session message: ``"run_end"`` or ``"closing"`` (after a flush)."""
        if self.sock is None:
            return
        rt = self.runtime
        topic = RUN_END_TOPIC if kind == "run_end" else CLOSING_TOPIC
        header = {
            "v": PROTOCOL_VERSION,
            "kind": kind,
            "topic": topic,
            "step": rt.step,
            "time": rt.time,
            "chunk": rt.statistics().chunks,
            "t_pub_ns": time.time_ns(),
        }
        with contextlib.suppress(zmq.ZMQError):
            self.sock.send_multipart([topic.encode(), encode(header)])

    def send_sync(self, token: str) -> str:
        """Publish the answer to a ``sync`` request; returns its topic."""
        topic = sync_topic(token)
        if self.sock is not None:
            self.sock.send_multipart(
                [topic.encode(), encode({"v": PROTOCOL_VERSION, "kind": "sync", "topic": topic})]
            )
        return topic

    def close(self) -> None:
        """Stop feeding every topic (the bridge cancels the pump tasks)."""
        for t in self.topics.values():
            if t.sub is not None:
                self._drops_closed += t.sub.dropped
                t.sub.close()
                t.sub = None
