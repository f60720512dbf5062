"""The ZeroMQ bridge: a session's streams and live input for other processes.

Two sockets, both on the session's event loop:

* a **PUB** socket that publishes, per chunk and per topic that a client turned on, one
  multipart message ``[topic, msgpack header, raw little-endian numpy frames...]`` (the
  arrays of the in-process batch, sent without copying);
* a **ROUTER** control socket that answers ``describe``, ``view``, ``subscribe``,
  ``sync``, lock-step ``gate``/``next``/``ungate``, ``input``, ``ping`` and ``stats``
  requests, one msgpack map each, after checking size, version, fields, permissions and
  limits (``_requests``), in short turns so that a flood never holds the chunk loop.

This module owns the sockets, the control loop and the dispatch; ``_publisher`` the
topics, ``_gates`` the lock-step gates, ``_catalog`` what is served (``_weights``: the
projections and their weight topics), ``_config`` and ``_limits`` what is allowed.

Each topic is fed by an ordinary :class:`~spinstream.streams.Subscription` with the
session's drop policy (spikes: a buffer of ``spike_buffer`` chunks, oldest dropped;
state and a plastic projection's weights: the latest chunk), and ZeroMQ drops a slow
subscriber's newest messages at its high-water mark, so no subscriber, slow or dead, can
hold the run.  The one exception is deliberate: a lock-step *gate* (session mode
``"lockstep"``) holds each chunk until its client says ``next``, and expires after
``Limits.gate_timeout`` seconds of silence.

docs/PROTOCOL.md describes the wire format for clients in any language.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import zmq
import zmq.asyncio
from zmq.auth.asyncio import AsyncioAuthenticator
from zmq.utils.monitor import parse_monitor_message

import spinstream
from spinstream.board import Board, mpi_processes
from spinstream.bridge._catalog import Catalog, Source, View, finite_or_none
from spinstream.bridge._config import Access, Limits, Security, check_bind_address
from spinstream.bridge._gates import Gates
from spinstream.bridge._limits import (
    ClientState,
    ClientTable,
    Durations,
    PendingInput,
    TokenBucket,
)
from spinstream.bridge._publisher import Publisher
from spinstream.bridge._requests import (
    Envelope,
    RequestError,
    parse_envelope,
    positions,
    prepare_input,
    source_of,
)
from spinstream.bridge._weights import WEIGHT, ProjectionInfo, WeightCatalog, WeightSource
from spinstream.client import (
    PROTOCOL_VERSION,
    ArrayError,
    as_int,
    check_names,
    encode,
    interval_steps_of,
)
from spinstream.session import Runtime

__all__ = ["Bridge", "BridgeStatistics", "Endpoints"]

logger = logging.getLogger("spinstream.bridge")

#: ZAP domain of the bridge's sockets (the authenticator answers for this domain).
ZAP_DOMAIN = "spinstream"
#: Time the control loop may spend on queued messages before it yields to the loop.
_CONTROL_SLICE_S = 0.0005
#: How long the PUB socket may keep sending what was published before it closed (ms).
_CLOSE_LINGER_MS = 1000
#: Pause after a full slice (more messages queued) while a run goes on: the bridge then
#: takes at most about a third of the loop's time (the selector waits whole milliseconds).
_CONTROL_REST_S = 0.0005
_MONITOR_EVENTS = (
    zmq.EVENT_ACCEPTED
    | zmq.EVENT_DISCONNECTED
    | zmq.EVENT_HANDSHAKE_SUCCEEDED
    | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
    | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
    | zmq.EVENT_HANDSHAKE_FAILED_AUTH
)
_HANDSHAKE_FAILED = (
    zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
    | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
    | zmq.EVENT_HANDSHAKE_FAILED_AUTH
)


@dataclass(frozen=True)
class Endpoints:
    """Where a bridge listens.

    Attributes
    ----------
    control
        The control socket (ROUTER): what clients connect to first.
    pub
        The stream socket (PUB); ``describe`` also reports it.
    server_key
        The server's public CURVE key (Z85), ``None`` without security.
    """

    control: str
    pub: str
    server_key: str | None = None

    def __str__(self) -> str:
        return self.control


@dataclass(frozen=True)
class BridgeStatistics:
    """What a bridge did since it started.

    Attributes
    ----------
    published, published_bytes
        Stream messages (and their bytes) handed to the PUB socket.
    topics
        Topics turned on.
    stream_drops
        Chunks dropped from the topics' own buffers (the bridge fell behind the session).
    requests, inputs
        Control messages received, input messages applied.
    errors
        Error replies by code (``rate_limited``, ``too_large``, ``read_only``... included).
    replies_dropped
        Replies ZeroMQ could not queue (the client reads none).
    connections, disconnections, handshake_failures, auth_denied
        Connection events of both sockets; ``auth_denied`` counts CURVE keys that are not
        on the allow-list.
    gates, gates_expired
        Lock-step gates open now, and gates closed because their client fell silent.
    clients
        Clients remembered (rate limits, counters).
    control_turn_us
        ``(p50, p99, max)`` microseconds of CPU time the control socket used per turn on
        the event loop (recent turns): how long the chunk loop may wait for the bridge,
        not counting the time the machine gave to other threads meanwhile.
    """

    published: int
    published_bytes: int
    topics: int
    stream_drops: int
    requests: int
    inputs: int
    errors: Mapping[str, int]
    replies_dropped: int
    connections: int
    disconnections: int
    handshake_failures: int
    auth_denied: int
    gates: int
    gates_expired: int
    clients: int
    control_turn_us: tuple[float, float, float]

    def refused(self) -> int:
        """Every refused message, whatever the reason."""
        return sum(self.errors.values())


class Bridge:
    """Serve a runtime's streams and input over ZeroMQ.

    Parameters
    ----------
    runtime
        The session's :class:`~spinstream.session.Runtime`.
    views
        Extra sources besides the populations (PyNN views, assemblies).
    recordables
        Population id -> recordable variables (the front end's knowledge); by default
        ``"spikes"`` and the spec's state variables.
    projections
        Returns the network's projections as the front end knows them (their order of
        synapses); by default the specs of one label form one projection.  Plastic ones
        are served on weight topics.
    security
        CURVE keys and the client allow-list; required to bind beyond loopback.
    access
        Access of every client without security (and the default with it):
        ``Access(read_only=True)`` makes the bridge read-only.
    limits
        Message size, rate and pending-input limits.
    spike_buffer, state_buffer
        Chunks a topic's own buffer keeps before it drops the oldest (the session's
        policy: telemetry keeps a window, state keeps the latest).
    """

    def __init__(
        self,
        runtime: Runtime,
        *,
        views: Sequence[View] = (),
        recordables: Mapping[int, Sequence[str]] | None = None,
        projections: Callable[[], Sequence[ProjectionInfo]] | None = None,
        security: Security | None = None,
        access: Access | None = None,
        limits: Limits | None = None,
        spike_buffer: int = 64,
        state_buffer: int = 1,
    ) -> None:
        for name, value in (("spike_buffer", spike_buffer), ("state_buffer", state_buffer)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive number of chunks, got {value!r}")
        self.runtime = runtime
        self.security = security
        self.access = access if access is not None else Access()
        self.limits = limits if limits is not None else Limits()
        self.spike_buffer = spike_buffer
        self.state_buffer = state_buffer
        self.catalog = Catalog(runtime.spec, views, recordables)
        self.weights = WeightCatalog(runtime.spec, projections)
        self._endpoints: Endpoints | None = None
        self._ctx: zmq.asyncio.Context | None = None
        self._pub: zmq.Socket[bytes] | None = None
        self._ctl: zmq.asyncio.Socket | None = None
        self._ctl_now: zmq.Socket[bytes] | None = None
        self._auth: AsyncioAuthenticator | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._publisher = Publisher(
            runtime, self._spawn, self._when_active, spike_buffer, state_buffer
        )
        self._gates = Gates(runtime, self.limits, self._spawn, self._when_active, self._is_active)
        self._pending = PendingInput(self.limits.max_pending_per_chunk, self.limits.max_scheduled)
        self._clients = ClientTable(self.limits.max_clients, self._new_client)
        self._closed = False
        # Between the runs of a blocking session another thread owns the runtime: requests
        # that change it wait here for the next run (see ``run``).
        self._active = True
        self._deferred: collections.deque[Callable[[], None]] = collections.deque()
        # statistics
        self._turns = Durations()
        self._requests = 0
        self._inputs = 0
        self._errors: dict[str, int] = {}
        self._replies_dropped = 0
        self._connections = 0
        self._disconnections = 0
        self._handshake_failures = 0
        self._auth_denied = 0
        self._client_views = 0

    # ================================================================== lifecycle
    @property
    def endpoints(self) -> Endpoints:
        """Where the bridge listens (after :meth:`start`)."""
        if self._endpoints is None:
            raise RuntimeError("the bridge is not started; await bridge.start(address)")
        return self._endpoints

    @property
    def context(self) -> zmq.asyncio.Context:
        """The bridge's ZeroMQ context: ``inproc://`` endpoints are reached through it."""
        if self._ctx is None:
            raise RuntimeError("the bridge is not started; await bridge.start(address)")
        return self._ctx

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` was called."""
        return self._closed

    async def start(
        self, address: str = "tcp://127.0.0.1:*", *, pub_address: str | None = None
    ) -> Endpoints:
        """Bind both sockets and start serving; returns the endpoints.

        ``address`` is the control socket's endpoint; the PUB socket binds to
        ``pub_address``, by default the same host on the next port (``:*``: a free
        port), or ``PATH.pub`` for ``ipc://PATH``.  Binding beyond loopback needs
        ``security``.
        """
        if self._endpoints is not None:
            raise RuntimeError("the bridge is already started")
        if self._closed:
            raise RuntimeError("the bridge is closed")
        if pub_address is None:
            pub_address = _pub_address(address)
        for a in (address, pub_address):
            check_bind_address(a, self.security)
        ctx = self._ctx = zmq.asyncio.Context()
        try:
            if self.security is not None:
                auth = self._auth = AsyncioAuthenticator(context=ctx)
                auth.start()
                auth.configure_curve_callback(ZAP_DOMAIN, credentials_provider=_AllowList(self))
            # a plain socket: publishing never waits, so it needs no asyncio wrapper
            pub = self._pub = self._publisher.sock = zmq.Socket(ctx, zmq.PUB)
            ctl = self._ctl = ctx.socket(zmq.ROUTER)
            lim = self.limits
            pub.setsockopt(zmq.SNDHWM, lim.send_hwm)
            ctl.setsockopt(zmq.RCVHWM, lim.control_hwm)
            ctl.setsockopt(zmq.SNDHWM, lim.control_hwm)
            ctl.setsockopt(zmq.MAXMSGSIZE, lim.hard_message_bytes)
            for sock, addr in ((pub, pub_address), (ctl, address)):
                sock.setsockopt(zmq.LINGER, 0)
                if "[" in addr:
                    sock.setsockopt(zmq.IPV6, 1)
                if self.security is not None:
                    sock.setsockopt(zmq.ZAP_DOMAIN, ZAP_DOMAIN.encode())
                    sock.setsockopt(zmq.CURVE_SERVER, 1)
                    sock.setsockopt(zmq.CURVE_SECRETKEY, self.security.server_secret)
                    sock.setsockopt(zmq.CURVE_PUBLICKEY, self.security.server_public)
                self._spawn(self._watch(sock, addr))
                sock.bind(addr)
            self._endpoints = Endpoints(
                control=_last_endpoint(ctl),
                pub=_last_endpoint(pub),
                server_key=None
                if self.security is None
                else self.security.server_public.decode("ascii"),
            )
            self._spawn(self._serve_control())
            self.runtime.run_listeners.append(self._run_ended)
        except BaseException:
            await self.aclose()
            raise
        logger.info(
            "bridge serving on %s (streams on %s)", self._endpoints.control, self._endpoints.pub
        )
        return self._endpoints

    def _spawn(self, coro: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _run_ended(self) -> None:
        """Publish what the topics still hold, then ``run_end`` (a run just ended)."""
        self._publisher.flush()
        self._publisher.send_session("run_end")

    @property
    def gates_open(self) -> int:
        """Lock-step gates open now (see :meth:`Session.wait_for`)."""
        return len(self._gates)

    @property
    def clients_known(self) -> int:
        """Clients that have sent a request (see :meth:`Session.wait_for`)."""
        return len(self._clients)

    async def aclose(self) -> None:
        """Stop serving: close every topic, gate and socket.  Idempotent.

        Every chunk published before is sent first, then a ``closing`` message on
        ``session/closing/``; the PUB socket gets up to a second to deliver them.
        """
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(ValueError):
            self.runtime.run_listeners.remove(self._run_ended)
        if self._pub is not None:
            self._publisher.flush()
            self._publisher.send_session("closing")
        # Stop the socket monitors first, while their event readers are still connected:
        # libzmq sends a last MONITOR_STOPPED event to the reader, and that send blocks for
        # ever when the reader's PAIR socket is already gone (it hung a test now and then).
        for sock in (self._pub, self._ctl):
            if sock is not None:
                with contextlib.suppress(zmq.ZMQError):
                    sock.disable_monitor()
        self._gates.close()
        self._publisher.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._auth is not None:
            self._auth.stop()
        self._ctl_now = None  # a shadow: closing the socket below closes it
        if self._pub is not None:  # let what was published (and 'closing') reach the clients
            self._pub.close(linger=_CLOSE_LINGER_MS)
        if self._ctl is not None:
            self._ctl.close(linger=0)
        self._publisher.sock = None
        if self._ctx is not None:
            self._ctx.destroy(linger=0)

    async def __aenter__(self) -> Bridge:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ================================================================== statistics
    def statistics(self) -> BridgeStatistics:
        """Counters since the bridge started."""
        return BridgeStatistics(
            published=self._publisher.published,
            published_bytes=self._publisher.published_bytes,
            topics=len(self._publisher.topics),
            stream_drops=self._publisher.drops(),
            requests=self._requests,
            inputs=self._inputs,
            errors=dict(self._errors),
            replies_dropped=self._replies_dropped,
            connections=self._connections,
            disconnections=self._disconnections,
            handshake_failures=self._handshake_failures,
            auth_denied=self._auth_denied,
            gates=len(self._gates),
            gates_expired=self._gates.expired,
            clients=len(self._clients),
            control_turn_us=self._turns.percentiles_us(),
        )

    # ================================================================== authentication
    def _allowed(self, key: bytes) -> bool:
        sec = self.security
        ok = sec is not None and sec.access_of(key) is not None
        if not ok:
            self._auth_denied += 1
            logger.warning("bridge: refused CURVE key %s... (not on the allow-list)", key[:8])
        return ok

    def _new_client(self, key: bytes) -> ClientState:
        access = self.access
        if self.security is not None:
            access = self.security.access_of(key) or Access(read_only=True)
        rate = self.limits.max_input_rate
        name = key.decode("ascii") if self.security is not None else key.hex()
        return ClientState(key, name, access, TokenBucket(rate, max(1.0, min(rate, 1e9))))

    def _watch(self, sock: zmq.Socket[Any], name: str) -> Any:
        """Count connection events of one socket (tests and statistics read them)."""
        assert self._ctx is not None
        addr = f"inproc://spinstream-monitor-{id(sock)}"
        sock.monitor(addr, _MONITOR_EVENTS)
        mon = self._ctx.socket(zmq.PAIR)
        mon.setsockopt(zmq.LINGER, 0)
        mon.connect(addr)
        return self._read_events(mon, name)

    async def _read_events(self, mon: zmq.asyncio.Socket, name: str) -> None:
        try:
            while True:
                event = parse_monitor_message(await mon.recv_multipart())
                kind = event["event"]
                if kind == zmq.EVENT_ACCEPTED:
                    self._connections += 1
                elif kind == zmq.EVENT_DISCONNECTED:
                    self._disconnections += 1
                elif kind & _HANDSHAKE_FAILED:
                    self._handshake_failures += 1
                    logger.info("bridge %s: handshake failed (%s)", name, event["value"])
        finally:
            mon.close(linger=0)

    # ================================================================== control socket
    async def _serve_control(self) -> None:
        sock = self._ctl
        assert sock is not None
        # The same socket without the asyncio wrapper, for what never waits: draining
        # queued messages and sending replies (no Future per message).
        now = self._ctl_now = zmq.Socket.shadow(sock.underlying)
        while True:
            frames = await sock.recv_multipart(copy=False)
            t0 = time.perf_counter()
            cpu0 = time.thread_time()
            self._on_message(frames)
            # Work through what is queued, but never hold the loop for long: the chunk
            # loop and the publishers must keep their pace under a flood.
            while time.perf_counter() - t0 < _CONTROL_SLICE_S:
                try:
                    frames = now.recv_multipart(zmq.NOBLOCK, copy=False)
                except zmq.Again:
                    self._turns.add(time.thread_time() - cpu0)
                    break
                self._on_message(frames)
            else:
                self._turns.add(time.thread_time() - cpu0)
                if self.runtime.running:
                    # More is queued while a run goes on: a flood.  Rest in the selector
                    # before the next turn, so that the chunk loop, the worker thread
                    # (which needs the GIL back) and the publishers get most of the time.
                    await asyncio.sleep(_CONTROL_REST_S)
                    continue
            await asyncio.sleep(0)

    def _on_message(self, frames: list[zmq.Frame]) -> None:
        self._requests += 1
        ident = frames[0].bytes
        # a REQ client sends an empty delimiter frame: keep it in the reply
        route = [ident, b""] if len(frames) == 3 and len(frames[1]) == 0 else [ident]
        if len(frames) != len(route) + 1:
            self._errors["bad_request"] = self._errors.get("bad_request", 0) + 1
            self._reply(
                route,
                _error(None, "bad_request", "a control message is exactly one msgpack frame"),
            )
            return
        payload = frames[-1]
        key = ident
        if self.security is not None:
            user = payload.get("User-Id")
            key = user.encode("ascii") if isinstance(user, str) else ident
        client = self._clients.get(key)
        client.requests += 1
        env: Envelope | None = None
        try:
            env = parse_envelope(payload.buffer, self.limits)
            if not self._active and env.op == "input":
                later = env

                def answer_later() -> None:
                    self._finish(route, client, self._answer(client, later))

                self._defer(answer_later)
                return
            reply = self._dispatch(client, env)
        except RequestError as exc:
            rid = env.id if env is not None else exc.id
            reply = _error(rid, exc.code, exc.message, exc.field)
        except Exception:  # a bug must not end the bridge; the request changed nothing
            logger.exception("bridge: request failed")
            reply = _error(env.id if env else None, "internal", "the server failed; see its log")
        self._finish(route, client, reply)

    def _answer(self, client: ClientState, env: Envelope) -> dict[str, Any]:
        try:
            return self._dispatch(client, env)
        except RequestError as exc:
            return _error(env.id, exc.code, exc.message, exc.field)
        except Exception:
            logger.exception("bridge: request failed")
            return _error(env.id, "internal", "the server failed; see its log")

    def _defer(self, action: Callable[[], None]) -> None:
        if len(self._deferred) >= self.limits.control_hwm:
            raise RequestError("pending_full", "too many requests wait for the session's next run")
        self._deferred.append(action)

    def _when_active(self, action: Callable[[], None]) -> None:
        """Change the runtime now, or at the start of the next run (blocking sessions)."""
        if self._active:
            action()
        else:
            self._defer(action)

    def _is_active(self) -> bool:
        return self._active

    def _finish(self, route: list[bytes], client: ClientState, reply: dict[str, Any]) -> None:
        if not reply.get("ok"):
            code = str(reply.get("error"))
            self._errors[code] = self._errors.get(code, 0) + 1
            client.refused[code] = client.refused.get(code, 0) + 1
        self._reply(route, reply)

    # ------------------------------------------------------------------ blocking sessions
    def defer_between_runs(self) -> None:
        """From now on, apply changing requests only while :meth:`run` runs.

        For a blocking session, whose thread calls the runtime between runs: the bridge's
        loop thread then leaves the runtime alone between runs.  ``subscribe``, ``gate``
        and ``ungate`` are answered at once and take effect when the next run starts;
        ``input`` is answered when it is applied, at the start of the next run.
        """
        self._active = False

    async def run(self, make_run: Callable[[], Awaitable[None]]) -> None:
        """Run ``make_run()`` (a run of the runtime) with changing requests applied meanwhile.

        Requests kept since the last run are applied first, in their order.
        """
        self._active = True
        try:
            while self._deferred:
                try:
                    self._deferred.popleft()()
                except Exception:  # reported to nobody: the client's reply went out
                    logger.exception("bridge: a change kept for this run failed")
            await make_run()
        finally:
            self._active = False

    def _reply(self, route: list[bytes], reply: dict[str, Any]) -> None:
        sock = self._ctl_now
        if sock is None:
            return
        # Never wait for a client: a reply that cannot be queued now is dropped (counted).
        try:
            sock.send_multipart([*route, encode(reply)], zmq.NOBLOCK)
        except zmq.ZMQError:
            self._replies_dropped += 1

    def _dispatch(self, client: ClientState, env: Envelope) -> dict[str, Any]:
        op, body = env.op, env.body
        if self._closed:
            raise RequestError("closed", "the bridge is closing")
        if op == "input":
            result = self._input(client, body)
        elif op == "describe":
            result = self.describe(client.access)
        elif op == "ping":
            result = self._clock()
        elif op == "subscribe":
            result = self._subscribe(body)
        elif op == "view":
            result = self._view(client, body)
        elif op == "sync":
            result = self._sync(body)
        elif op == "gate":
            if client.access.read_only:
                raise RequestError(
                    "read_only", "this client is read-only: it may not hold the session (gate)"
                )
            result = self._gates.open(client.key)
        elif op == "next":
            result = self._gates.next(client.key, body)
        elif op == "ungate":
            result = self._gates.close_one(client.key, body)
        else:  # "stats"
            result = self._stats()
        return {"v": PROTOCOL_VERSION, "id": env.id, "ok": True, **result}

    # ------------------------------------------------------------------ describe
    def _clock(self) -> dict[str, Any]:
        rt = self.runtime
        return {
            "step": rt.step,
            "time": rt.time,
            "input_step": rt.input_step,
            "running": rt.running,
        }

    def describe(self, access: Access | None = None) -> dict[str, Any]:
        """Answer ``describe``: the network, topics, timing, limits and access."""
        self.catalog.refresh()
        self.weights.refresh()
        rt = self.runtime
        ep = self._endpoints
        return {
            "protocol": PROTOCOL_VERSION,
            "server": f"spinstream {spinstream.__version__}",
            "dt": rt.dt,
            "chunk_steps": rt.chunk_steps,
            "chunk_ms": rt.chunk_steps * rt.dt,
            "mode": rt.mode,
            "time_scale_factor": finite_or_none(rt.time_scale_factor),
            **self._clock(),
            "endpoints": None
            if ep is None
            else {"control": ep.control, "pub": ep.pub, "server_key": ep.server_key},
            "sources": [s.describe() for s in self.catalog.sources.values()],
            "current_sources": self.catalog.current_sources(),
            "projections": [w.describe() for w in self.weights.plastic()],
            "topics_on": sorted(self._publisher.topics),
            "access": (access or self.access).describe(),
            "limits": self.limits.describe(),
            "buffers": {
                "spikes": self.spike_buffer,
                "state": self.state_buffer,
                "weights": self.state_buffer,
            },
        }

    def _stats(self) -> dict[str, Any]:
        st = self.statistics()
        rt = self.runtime.statistics()
        return {
            "bridge": {
                k: (dict(v) if isinstance(v, Mapping) else v) for k, v in st.__dict__.items()
            },
            "session": {
                "chunks": rt.chunks,
                "steps": rt.steps,
                "overruns": rt.overruns,
                "lag_ms": rt.lag_ms,
                "late_inputs": rt.late_inputs,
                "inputs": rt.inputs,
                "queued_ahead": rt.queued_ahead,
                "taken_back": rt.taken_back,
                "late_answers": rt.late_answers,
            },
        }

    # ------------------------------------------------------------------ views
    def _view(self, client: ClientState, body: Mapping[str, Any]) -> dict[str, Any]:
        """Define a source of some cells of another one (e.g. a few neurons to trace).

        The view's name grants no input permission (input is judged by cells); a view a
        read-only client defines serves streams only.
        """
        name = body.get("name")
        if not isinstance(name, str) or not 0 < len(name) <= 128:
            raise RequestError(
                "bad_request", "name: expected a string of 1 to 128 characters", "name"
            )
        self.catalog.refresh()
        parent = source_of(body, self.catalog)
        pos = positions(body, parent, self.limits)
        if len(pos) == 0 or len(np.unique(pos)) != len(pos):
            raise RequestError(
                "bad_request", "indices: a view needs at least one cell, none repeated", "indices"
            )
        parts = [(pop, idx) for pop, idx, _ in parent.locate(pos)]
        existing = self.catalog.sources.get(name)
        if existing is not None:
            same = [(p, i.tolist()) for p, i in existing.selection.parts] == [
                (p, i.tolist()) for p, i in parts
            ]
            if not same:
                raise RequestError("conflict", f"name: a source {name!r} exists already", "name")
            if not existing.takes_input and not client.access.read_only:
                self.catalog.open_to_input(name)
        else:
            if self._client_views >= self.limits.max_views:
                raise RequestError(
                    "pending_full",
                    f"{self._client_views} views exist (the limit is {self.limits.max_views})",
                )
            self.catalog.add_views(
                [
                    View(
                        name,
                        parts,
                        "view",
                        by_client=True,
                        takes_input=not client.access.read_only,
                    )
                ]
            )
            self._client_views += 1
        return {"source": self.catalog.sources[name].describe()}

    # ------------------------------------------------------------------ topics
    def publish(
        self,
        topics: Iterable[str],
        *,
        interval_steps: int | None = None,
        every: float | None = None,
    ) -> list[str]:
        """Turn topics on from the server side (as a client's ``subscribe`` does).

        ``interval_steps`` (or ``every``, in ms: a whole number of steps) samples the state
        and weight topics among them; default every step.  Raises ``ValueError`` for an
        unknown topic (a static projection's weights included) or a conflicting interval.
        """
        if every is not None:
            if interval_steps is not None:
                raise ValueError("give interval_steps or every (ms), not both")
            interval_steps = interval_steps_of(every, self.runtime.dt)
        try:
            reply = self._subscribe({"topics": list(topics), "interval_steps": interval_steps})
        except RequestError as exc:
            raise ValueError(exc.message) from None
        return list(reply["topics"])

    def _subscribe(self, body: Mapping[str, Any]) -> dict[str, Any]:
        try:
            names = check_names(
                body.get("topics"), "topics", max_len=512, max_items=self.limits.max_topics
            )
        except ArrayError as exc:
            code = "too_large" if "at most" in str(exc) else "bad_request"
            raise RequestError(code, str(exc), "topics") from None
        raw = body.get("interval_steps")
        try:
            interval = None if raw is None else as_int(raw, "interval_steps", 1, 2**31)
        except ArrayError as exc:
            raise RequestError("bad_request", str(exc), "interval_steps") from None
        self.catalog.refresh()
        self.weights.refresh()
        wanted: list[tuple[str, Source | WeightSource, str]] = []
        for name in names:
            src, var = self._topic(name)
            if var != "spikes":  # recorded on rank 0 alone, or read from every rank
                _refuse_over_mpi(self.runtime, f"the topic {name!r}", "conflict")
            on = self._publisher.topics.get(name)
            if (
                on is not None
                and interval is not None
                and var != "spikes"
                and on.interval != interval
            ):
                raise RequestError(
                    "conflict",
                    f"topic {name!r} is already published every {on.interval} steps",
                    "interval_steps",
                )
            wanted.append((name, src, var))
        for name, src, var in wanted:
            if name not in self._publisher.topics:
                self._publisher.turn_on(name, src, var, interval or 1)
        topics = self._publisher.topics
        # without interval_steps a topic already on keeps its interval: the reply says it
        return {"topics": names, "intervals": {n: topics[n].interval for n in names}}

    def _topic(self, name: str) -> tuple[Source | WeightSource, str]:
        found = self.catalog.topics.get(name)
        if found is not None:
            return found
        proj = self.weights.topics.get(name)
        if proj is not None and proj.plastic:
            board = self.runtime.board
            if board is not None and type(board).get_weights is Board.get_weights:
                # a snapshot would fail inside a chunk: refuse rather than end the run
                raise RequestError(
                    "unknown_topic",
                    f"this session's board ({type(board).__name__}) cannot read synaptic "
                    "weights: no weight topics here",
                    "topics",
                )
            return proj, WEIGHT
        raise RequestError(
            "unknown_topic",
            proj.refusal()
            if proj is not None
            else f"topics: no topic {name[:80]!r}; describe lists each source's topics "
            "and the plastic projections' weight topics",
            "topics",
        )

    def _sync(self, body: Mapping[str, Any]) -> dict[str, Any]:
        token = body.get("token")
        if not isinstance(token, str) or not 0 < len(token) <= 64:
            raise RequestError(
                "bad_request", "token: expected a string of 1 to 64 characters", "token"
            )
        return {"topic": self._publisher.send_sync(token)}

    # ------------------------------------------------------------------ input
    def _input(self, client: ClientState, body: Mapping[str, Any]) -> dict[str, Any]:
        access = client.access
        if access.read_only:
            raise RequestError(
                "read_only",
                "this client is read-only: it may describe and subscribe, but not send input",
            )
        if not client.bucket.take():
            raise RequestError(
                "rate_limited",
                f"more than {self.limits.max_input_rate:g} input messages per second from this "
                "client; slow down",
            )
        answer = body.get("answer_to")
        if answer is not None:
            try:
                answer = as_int(answer, "answer_to", 1)
            except ArrayError as exc:
                raise RequestError("bad_request", str(exc), "answer_to") from None
        self.catalog.refresh()
        rt = self.runtime
        prepared = prepare_input(body, self.catalog, rt, self.limits)
        # Judged by the cells the input reaches: a view a client named grants nothing.
        if access.inject is not None and not self.catalog.permits(access.inject, prepared.cells):
            raise RequestError(
                "forbidden",
                f"this client may not send input to {', '.join(map(repr, prepared.targets))}"
                f" (it may reach the cells of {', '.join(sorted(access.inject)) or 'no source'})",
                "source",
            )
        now = rt.input_step
        why = self._pending.refusal(prepared.step, now)
        if why is not None:
            raise RequestError("pending_full", why)
        try:
            step = prepared.apply()
        except Exception as exc:  # validated above: the runtime should not refuse it
            logger.exception("bridge: the runtime refused validated input")
            raise RequestError("internal", f"the runtime refused the input: {exc}") from None
        self._pending.add(prepared.step, now)
        self._inputs += 1
        client.inputs += 1
        if answer is not None and answer > client.answered:  # the first input per chunk
            client.answered = answer
            timed = body.get("at_step") is not None or body.get("steps") is not None
            rt.note_answer(answer, int(step), timed=timed)
        return {"step": int(step), "time": int(step) * rt.dt, "n": prepared.count}


async def wait_for_bridges(
    bridges: Sequence[Bridge],
    *,
    gates: int = 0,
    clients: int = 0,
    timeout: float | None = 10.0,  # noqa: ASYNC109 - part of the documented API
) -> None:
    """Wait until ``bridges`` hold ``gates`` lock-step gates and know ``clients`` clients.

    Counts are summed over the bridges; a client counts once it has sent a request.
    Raises ``TimeoutError`` saying what was reached after ``timeout`` seconds (``None``:
    wait for ever), ``ValueError`` for a bad argument.
    """
    for name, value in (("gates", gates), ("clients", clients)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"wait_for: {name} must be a non-negative integer, got {value!r}")
    if timeout is not None and not (
        isinstance(timeout, int | float) and not isinstance(timeout, bool) and timeout >= 0
    ):
        raise ValueError(f"wait_for: timeout must be >= 0 seconds or None, got {timeout!r}")
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + timeout
    while True:
        have_g = sum(b.gates_open for b in bridges)
        have_c = sum(b.clients_known for b in bridges)
        if have_g >= gates and have_c >= clients:
            return
        if deadline is not None and loop.time() >= deadline:
            raise TimeoutError(
                f"wait_for: after {timeout:g} s the bridge holds {have_g} lock-step gate(s) "
                f"of {gates} wanted and knows {have_c} client(s) of {clients} wanted"
            )
        await asyncio.sleep(0.01)  # polling: cheap, and no hook in the request path


class _AllowList:
    """The ZAP credentials provider: asks the bridge whether a CURVE key is allowed."""

    def __init__(self, bridge: Bridge) -> None:
        self._bridge = bridge

    def callback(self, domain: str, key: bytes) -> bool:
        """Whether the client key (Z85) may connect."""
        return self._bridge._allowed(bytes(key))


def _error(
    rid: int | str | None, code: str, message: str, field: str | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "v": PROTOCOL_VERSION,
        "id": rid,
        "ok": False,
        "error": code,
        "message": message,
    }
    if field is not None:
        out["field"] = field
    return out


def _last_endpoint(sock: zmq.Socket[Any]) -> str:
    ep = sock.getsockopt(zmq.LAST_ENDPOINT)
    return ep.decode() if isinstance(ep, bytes) else str(ep)


def _pub_address(address: str) -> str:
    """Derive the PUB endpoint next to a control endpoint (see :meth:`Bridge.start`)."""
    scheme, _, rest = address.partition("://")
    if scheme == "tcp":
        host, _, port = rest.rpartition(":")
        if port == "*" or not host:
            return f"tcp://{host or rest}:*"
        try:
            return f"tcp://{host}:{int(port) + 1}"
        except ValueError:
            raise ValueError(f"address: bad port {port!r} in {address!r}") from None
    return f"{address}.pub"


def _refuse_over_mpi(runtime: Runtime, what: str, code: str) -> None:
    """Refuse what would make a network on several MPI processes diverge (docs/GUIDE.md).

    The bridge runs on rank 0: a state variable it recorded or weights it read would reach
    rank 0 alone.  Spike topics, ``describe`` and input (which HostBoard forwards from rank 0
    to the others where rank 0's next run starts) are served.
    """
    board = runtime.board
    size = getattr(board, "processes", 1) if board is not None else mpi_processes()[1]
    if size > 1:
        raise RequestError(
            code,
            f"{what}: this network runs on {size} MPI processes, and the bridge on rank 0 "
            "does not serve state or weight streams (yet); spike topics, describe and "
            "input are served",
        )
