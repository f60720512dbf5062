"""The asyncio client: for controllers and dashboards that live on an event loop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Iterable
from types import TracebackType
from typing import Any, cast

import numpy.typing as npt
import zmq
import zmq.asyncio

from spinstream.client._core import (
    Credentials,
    EndpointsLike,
    Gate,
    Message,
    Requests,
    StreamBase,
    StreamEnded,
    configure,
    input_fields,
    pub_endpoint,
    resolve_endpoint,
    sync_token,
    timeout_error,
)
from spinstream.client._protocol import SESSION_TOPIC, interval_steps_of, sync_topic

__all__ = ["AsyncClient", "AsyncStream"]

_SYNC_POLL_S = 0.05


class AsyncClient:
    """An asyncio client of a spinstream bridge (same API as :class:`Client`, awaited).

    ::

        async with AsyncClient("tcp://127.0.0.1:5555") as c:
            async with await c.subscribe(["spikes/out/"]) as stream:
                async for msg in stream:
                    ...

    Requests from several tasks are sent one after the other.
    """

    def __init__(
        self,
        endpoint: str | EndpointsLike,
        *,
        timeout: float = 5.0,
        server_key: str | bytes | os.PathLike[str] | None = None,
        client_key: str | os.PathLike[str] | None = None,
    ) -> None:
        endpoint, server_key = resolve_endpoint(endpoint, server_key)
        self.endpoint = endpoint
        self.timeout = float(timeout)
        self._credentials = Credentials.load(server_key, client_key)
        self._ctx = zmq.asyncio.Context()
        self._ctl = self._ctx.socket(zmq.DEALER)
        configure(self._ctl, self._credentials, endpoint)
        self._ctl.connect(endpoint)
        self._requests = Requests()
        self._lock = asyncio.Lock()
        self._description: dict[str, Any] | None = None
        #: The newest chunk a stream of this client handed out: input sent after it
        #: says it answers that chunk (``answer_to``), so the session can count late answers.
        self.last_chunk: int | None = None
        self._streams: list[AsyncStream] = []
        self._closed = False

    # ------------------------------------------------------------------ requests
    async def request(self, op: str, /, **fields: Any) -> dict[str, Any]:
        """Send one control request and return its reply (``RemoteError`` if refused).

        ``TimeoutError`` after the client's ``timeout`` seconds without a reply.
        """
        wait = self.timeout
        rid, data = self._requests.make(op, fields)
        async with self._lock:
            try:
                async with asyncio.timeout(wait):
                    await self._ctl.send(data)
                    while True:
                        reply = Requests.parse(await self._ctl.recv())
                        if reply.get("id") == rid:
                            break
            except TimeoutError:
                raise timeout_error(self.endpoint, wait, self._credentials is not None) from None
        return Requests.result(reply)

    def post(self, op: str, /, **fields: Any) -> None:
        """Send a request without waiting for its reply (used for lock-step ``next``)."""
        _, data = self._requests.make(op, fields)
        fut = cast("asyncio.Future[Any]", self._ctl.send(data, zmq.NOBLOCK))
        if fut.done() and fut.exception() is not None:
            raise timeout_error(self.endpoint, 0.0, self._credentials is not None)

    async def describe(self) -> dict[str, Any]:
        """Describe the session: sources, topics, dt, chunk, mode, time, limits, access."""
        self._description = await self.request("describe")
        return self._description

    async def ping(self) -> dict[str, Any]:
        """Return the session's step, time and whether it runs."""
        return await self.request("ping")

    async def stats(self) -> dict[str, Any]:
        """Return the bridge's and the session's counters."""
        return await self.request("stats")

    # ------------------------------------------------------------------ input
    async def send_input(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Send an input message; returns the reply (``step``: when it takes effect).

        After a stream handed out a message, the input says it answers that chunk
        (``answer_to``: :attr:`last_chunk`), so the session counts it in its
        ``late_answers`` and answer latency; pass ``answer_to=None`` to send none.
        """
        if "answer_to" not in fields:
            fields["answer_to"] = self.last_chunk
        return await self.request("input", **input_fields(kind, **fields))

    async def inject_spikes(
        self, source: str, indices: npt.ArrayLike, steps: npt.ArrayLike | int | None = None
    ) -> int:
        """Make cells of a SpikeInjector fire; returns the earliest stamp."""
        r = await self.send_input("spikes", source=source, indices=indices, steps=steps)
        return int(r["step"])

    async def set_rates(
        self,
        source: str,
        rates: npt.ArrayLike | float,
        indices: npt.ArrayLike | None = None,
        at_step: int | None = None,
    ) -> int:
        """Set Poisson rates (Hz); returns the step at which they take effect."""
        r = await self.send_input(
            "rates", source=source, values=rates, indices=indices, at_step=at_step
        )
        return int(r["step"])

    async def set_parameters(
        self,
        source: str,
        name: str,
        values: npt.ArrayLike | float,
        indices: npt.ArrayLike | None = None,
        at_step: int | None = None,
    ) -> int:
        """Set a parameter (PyNN name and units); returns the step it takes effect."""
        r = await self.send_input(
            "parameters", source=source, name=name, values=values, indices=indices, at_step=at_step
        )
        return int(r["step"])

    async def set_current(self, current: int, *, at_step: int | None = None, **params: Any) -> int:
        """Change a current source (``amplitude=...``); returns the step it takes effect."""
        r = await self.send_input("current", current=current, params=params, at_step=at_step)
        return int(r["step"])

    # ------------------------------------------------------------------ streams
    async def subscribe(
        self,
        topics: Iterable[str] | str,
        *,
        lockstep: bool = False,
        interval_steps: int | None = None,
        every: float | None = None,
        hwm: int = 10_000,
        until: str = "close",
    ) -> AsyncStream:
        """Turn topics on and receive them (see :meth:`Client.subscribe`)."""
        names = [topics] if isinstance(topics, str) else list(topics)
        if self._description is None:
            await self.describe()
        assert self._description is not None
        if every is not None:
            if interval_steps is not None:
                raise ValueError("give interval_steps or every (ms), not both")
            interval_steps = interval_steps_of(every, float(self._description["dt"]))
        reply = await self.request("subscribe", topics=names, interval_steps=interval_steps)
        sock = self._ctx.socket(zmq.SUB)
        configure(sock, self._credentials, self.endpoint)
        sock.setsockopt(zmq.RCVHWM, hwm)
        sock.connect(pub_endpoint(self._description, self.endpoint))
        stream = AsyncStream(self, list(reply["topics"]), sock, until)
        try:
            for t in [*stream.topics, SESSION_TOPIC]:
                sock.setsockopt(zmq.SUBSCRIBE, t.encode("utf-8"))
            await stream._sync()
            if lockstep:
                g = await self.request("gate")
                stream._gate = Gate(int(g["gate"]), int(g["chunk"]), tuple(stream.topics))
        except BaseException:
            stream.close()
            raise
        self._streams.append(stream)
        return stream

    # ------------------------------------------------------------------ closing
    def close(self) -> None:
        """Close every stream and the connection."""
        if self._closed:
            return
        for s in self._streams:
            s.close()
        self._closed = True
        self._ctl.close(linger=200)
        self._ctx.term()

    async def aclose(self) -> None:
        """Async form of :meth:`close`."""
        self.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncStream(StreamBase):
    """Messages of one or more topics, as an async iterator (see :meth:`AsyncClient.subscribe`)."""

    def __init__(
        self,
        client: AsyncClient,
        topics: list[str],
        sock: zmq.asyncio.Socket,
        until: str = "close",
    ) -> None:
        super().__init__(client, topics, sock, until)

    async def _sync(self) -> None:
        c = self._client
        token = sync_token()
        topic = sync_topic(token).encode()
        self._sock.setsockopt(zmq.SUBSCRIBE, topic)
        deadline = time.monotonic() + c.timeout
        try:
            while time.monotonic() < deadline:
                await c.request("sync", token=token)
                until = time.monotonic() + _SYNC_POLL_S
                while (left := until - time.monotonic()) > 0:
                    if not await self._sock.poll(timeout=max(1, int(left * 1000))):
                        break
                    frames = await self._sock.recv_multipart(copy=False)
                    if frames[0].bytes == topic:
                        return
                    self._take(frames)
            raise timeout_error(c.endpoint, c.timeout, c._credentials is not None)
        finally:
            self._sock.setsockopt(zmq.UNSUBSCRIBE, topic)

    async def receive(self) -> Message:
        """Return the next message (wrap in ``asyncio.timeout()`` to bound the wait).

        Raises :class:`StreamEnded` once the session closed (or, with ``until="run"``, a
        run ended) and every message published before was read.
        """
        if self._closed:
            raise RuntimeError("the stream is closed")
        self._check_final()
        if not self._buffer:
            self._release()
            while not self._buffer:
                self._take(await self._sock.recv_multipart(copy=False))
        return self._pop()

    def __aiter__(self) -> AsyncStream:
        return self

    async def __anext__(self) -> Message:
        if self._closed:
            raise StopAsyncIteration
        try:
            return await self.receive()
        except StreamEnded:
            raise StopAsyncIteration from None

    def close(self) -> None:
        """Stop receiving; a lock-step gate is closed, so the session goes on without it."""
        if self._closed:
            return
        self._closed = True
        if self._gate is not None and not self._client._closed:
            with contextlib.suppress(TimeoutError):
                self._client.post("ungate", gate=self._gate.id)
        self._sock.close(linger=0)

    async def aclose(self) -> None:
        """Async form of :meth:`close`."""
        self.close()

    async def __aenter__(self) -> AsyncStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
