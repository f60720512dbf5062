"""The blocking client: for scripts, notebooks and controllers that own their thread."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Any

import numpy.typing as npt
import zmq

from spinstream.client._core import (
    Credentials,
    EndpointsLike,
    Gate,
    Message,
    Requests,
    SessionEvent,
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

__all__ = ["Client", "Stream"]

_SYNC_POLL_S = 0.05


class Client:
    """A blocking client of a spinstream bridge.

    Parameters
    ----------
    endpoint
        The bridge's control endpoint (``Endpoints.control``, e.g. ``tcp://127.0.0.1:5555``),
        or the ``Endpoints`` that ``serve()`` returned (its server key is then used unless
        ``server_key`` is given).
    timeout
        Seconds to wait for a reply before ``TimeoutError``.
    server_key, client_key
        For a CURVE-secured bridge: the server's public key (file or Z85 string) and this
        client's secret key file (``NAME.key_secret``).

    Examples
    --------
    ::

        with Client("tcp://127.0.0.1:5555") as c:
            print(c.describe()["sources"])
            with c.subscribe(["spikes/out/"]) as stream:
                for msg in stream:
                    print(msg.chunk, msg.stamps, msg.indices)
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
        self._ctx = zmq.Context()
        self._ctl = self._ctx.socket(zmq.DEALER)
        configure(self._ctl, self._credentials, endpoint)
        self._ctl.setsockopt(zmq.SNDTIMEO, max(1, int(self.timeout * 1000)))
        self._ctl.connect(endpoint)
        self._requests = Requests()
        self._description: dict[str, Any] | None = None
        #: The newest chunk a stream of this client handed out: input sent after it
        #: says it answers that chunk (``answer_to``), so the session can count late answers.
        self.last_chunk: int | None = None
        self._streams: list[Stream] = []
        self._closed = False

    # ------------------------------------------------------------------ requests
    def request(
        self, op: str, /, *, timeout: float | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Send one control request and return its reply (``RemoteError`` if refused)."""
        rid, data = self._requests.make(op, fields)
        wait = self.timeout if timeout is None else timeout
        try:
            self._ctl.send(data)
        except zmq.Again:
            raise timeout_error(self.endpoint, wait, self._credentials is not None) from None
        deadline = time.monotonic() + wait
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not self._ctl.poll(max(1, int(left * 1000)), zmq.POLLIN):
                raise timeout_error(self.endpoint, wait, self._credentials is not None)
            reply = Requests.parse(self._ctl.recv())
            if reply.get("id") == rid:
                return Requests.result(reply)
            # a late reply to an earlier request (timed out, or sent without waiting)

    def post(self, op: str, /, **fields: Any) -> None:
        """Send a request without waiting for its reply (used for lock-step ``next``)."""
        _, data = self._requests.make(op, fields)
        try:
            self._ctl.send(data, zmq.NOBLOCK)
        except zmq.Again:
            raise timeout_error(self.endpoint, 0.0, self._credentials is not None) from None

    def describe(self) -> dict[str, Any]:
        """Describe the session: sources, topics, dt, chunk, mode, time, limits, access."""
        self._description = self.request("describe")
        return self._description

    def ping(self) -> dict[str, Any]:
        """Return the session's step, time and whether it runs."""
        return self.request("ping")

    def stats(self) -> dict[str, Any]:
        """Return the bridge's and the session's counters."""
        return self.request("stats")

    # ------------------------------------------------------------------ input
    def send_input(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Send an input message; returns the reply (``step``: when it takes effect).

        After a stream handed out a message, the input says it answers that chunk
        (``answer_to``: :attr:`last_chunk`), so the session counts it in its
        ``late_answers`` and answer latency; pass ``answer_to=None`` to send none.
        """
        if "answer_to" not in fields:
            fields["answer_to"] = self.last_chunk
        return self.request("input", **input_fields(kind, **fields))

    def inject_spikes(
        self, source: str, indices: npt.ArrayLike, steps: npt.ArrayLike | int | None = None
    ) -> int:
        """Make cells (positions in ``source``) of a SpikeInjector fire.

        ``steps``: spike stamps (one, or one per index); default the next chunk's first
        step.  Returns the earliest stamp.
        """
        return int(self.send_input("spikes", source=source, indices=indices, steps=steps)["step"])

    def set_rates(
        self,
        source: str,
        rates: npt.ArrayLike | float,
        indices: npt.ArrayLike | None = None,
        at_step: int | None = None,
    ) -> int:
        """Set Poisson rates (Hz); returns the step at which they take effect."""
        r = self.send_input("rates", source=source, values=rates, indices=indices, at_step=at_step)
        return int(r["step"])

    def set_parameters(
        self,
        source: str,
        name: str,
        values: npt.ArrayLike | float,
        indices: npt.ArrayLike | None = None,
        at_step: int | None = None,
    ) -> int:
        """Set a parameter (PyNN name and units); returns the step it takes effect."""
        r = self.send_input(
            "parameters", source=source, name=name, values=values, indices=indices, at_step=at_step
        )
        return int(r["step"])

    def set_current(self, current: int, *, at_step: int | None = None, **params: Any) -> int:
        """Change a current source (``amplitude=...``); returns the step it takes effect."""
        return int(
            self.send_input("current", current=current, params=params, at_step=at_step)["step"]
        )

    # ------------------------------------------------------------------ streams
    def subscribe(
        self,
        topics: Iterable[str] | str,
        *,
        lockstep: bool = False,
        interval_steps: int | None = None,
        every: float | None = None,
        hwm: int = 10_000,
        until: str = "close",
    ) -> Stream:
        """Turn topics on and receive them; returns once the subscription is in effect.

        ``lockstep=True`` (session mode ``"lockstep"``) opens a gate: the session runs a
        chunk only after this stream has handed out every topic's message of the previous
        one and is asked for more, so nothing is lost.  ``interval_steps``, or ``every``
        in ms (a whole number of steps): how often state and weight topics that this
        request turns on are sampled (default every step).  ``hwm``: messages ZeroMQ
        queues for this stream before it drops (seen as ``Message.lost``).
        ``until``: iteration ends when the session closes (``"close"``), or also at the
        end of every run (``"run"``: one ``for`` loop per run).
        """
        names = [topics] if isinstance(topics, str) else list(topics)
        if self._description is None:
            self.describe()
        assert self._description is not None
        if every is not None:
            if interval_steps is not None:
                raise ValueError("give interval_steps or every (ms), not both")
            interval_steps = interval_steps_of(every, float(self._description["dt"]))
        reply = self.request("subscribe", topics=names, interval_steps=interval_steps)
        sock = self._ctx.socket(zmq.SUB)
        configure(sock, self._credentials, self.endpoint)
        sock.setsockopt(zmq.RCVHWM, hwm)
        sock.connect(pub_endpoint(self._description, self.endpoint))
        stream = Stream(self, list(reply["topics"]), sock, until)
        try:
            for t in [*stream.topics, SESSION_TOPIC]:
                sock.setsockopt(zmq.SUBSCRIBE, t.encode("utf-8"))
            stream._sync()
            if lockstep:
                g = self.request("gate")
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
        # a moment for a stream's last 'ungate' to leave; never more
        self._ctl.close(linger=200)
        self._ctx.term()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Stream(StreamBase):
    """Messages of one or more topics, in arrival order (see :meth:`Client.subscribe`)."""

    def __init__(
        self, client: Client, topics: list[str], sock: zmq.Socket[bytes], until: str = "close"
    ) -> None:
        super().__init__(client, topics, sock, until)

    def _sync(self) -> None:
        """Wait until the bridge's messages reach this socket (no early messages lost)."""
        c = self._client
        token = sync_token()
        topic = sync_topic(token).encode()
        self._sock.setsockopt(zmq.SUBSCRIBE, topic)
        deadline = time.monotonic() + c.timeout
        try:
            while time.monotonic() < deadline:
                c.request("sync", token=token)
                until = time.monotonic() + _SYNC_POLL_S
                while (left := until - time.monotonic()) > 0:
                    if not self._sock.poll(max(1, int(left * 1000)), zmq.POLLIN):
                        break
                    frames = self._sock.recv_multipart(copy=False)
                    if frames[0].bytes == topic:
                        return
                    self._take(frames)
            raise timeout_error(c.endpoint, c.timeout, c._credentials is not None)
        finally:
            self._sock.setsockopt(zmq.UNSUBSCRIBE, topic)

    def receive(self, timeout: float | None = None) -> Message:
        """Return the next message; wait up to ``timeout`` seconds (``None``: forever).

        Raises ``TimeoutError`` when nothing came in time, and :class:`StreamEnded` once
        the session closed (or, with ``until="run"``, a run ended) and every message
        published before was read.
        """
        if self._closed:
            raise RuntimeError("the stream is closed")
        self._check_final()
        if not self._buffer:
            self._release()
            deadline = None if timeout is None else time.monotonic() + timeout
            while not self._buffer:
                ms = -1 if deadline is None else max(0, int((deadline - time.monotonic()) * 1000))
                if not self._sock.poll(ms, zmq.POLLIN):
                    raise TimeoutError(f"no message on {self.topics} within {timeout} s")
                self._take(self._sock.recv_multipart(copy=False))
        return self._pop()

    def receive_latest(self, timeout: float | None = None) -> Message:
        """Return the newest message available now (skipping older ones); wait for one."""
        msg = self.receive(timeout)
        while True:
            while self._sock.poll(0, zmq.POLLIN):
                self._take(self._sock.recv_multipart(copy=False))
            if not self._buffer or isinstance(self._buffer[0], SessionEvent):
                return msg  # never skip past the end of a run or the closing
            msg = self.receive(0)

    def __iter__(self) -> Iterator[Message]:
        """Yield messages until the stream is closed or the session ends it."""
        while not self._closed:
            try:
                yield self.receive()
            except StreamEnded:
                return

    def close(self) -> None:
        """Stop receiving; a lock-step gate is closed, so the session goes on without it."""
        if self._closed:
            return
        self._closed = True
        if self._gate is not None and not self._client._closed:
            with contextlib.suppress(TimeoutError):
                self._client.post("ungate", gate=self._gate.id)
        self._sock.close(linger=0)

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
