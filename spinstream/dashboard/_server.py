"""The dashboard's web server: one page, one WebSocket, binary frames (aiohttp).

Routes: ``GET /`` the page (HTML, CSS and JavaScript in one document, no build step),
``GET /api/describe`` the network as JSON, ``GET /ws`` the WebSocket.

On the WebSocket the server first sends one text frame, ``{"type": "hello", ...}`` (the
populations with sizes and traced neurons, dt, chunk, mode, the display window), then:

- a **binary frame** per population and chunk, little-endian, 32-byte header::

      u8 kind (1 spikes, 2 state)   u8 0   u16 population   u32 n   u32 m   u32 sequence
      f64 t_start (ms)              f64 t_stop (ms)

  then for spikes ``float32 times[n]`` (ms) and ``uint32 indices[n]`` (m = 0); for state
  ``float32 times[n]`` and ``float32 v[n * m]`` (n samples of m traced neurons, sample by
  sample);
- a **text frame** ``{"type": "stats", ...}`` with the session's statistics now and then.

A browser that connects mid-run first gets the frames of the last ``window`` ms.  Each
browser has its own bounded queue: when it falls behind, the oldest frames are
dropped and counted (``dashboard_drops`` in the stats), so a slow browser never holds the
feed, and the feed never holds the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import struct
import time
from collections import deque
from typing import Any

import numpy as np

from spinstream.dashboard._feeds import Event, Feed, SpikeEvent, StateEvent, StatsEvent
from spinstream.dashboard._page import PAGE

try:
    from aiohttp import WSMsgType, web
except ImportError as exc:  # pragma: no cover - only without the dashboard extra
    raise ImportError("the dashboard needs aiohttp: pip install 'spinstream[dashboard]'") from exc

__all__ = ["Dashboard", "encode_event", "merge_events"]

logger = logging.getLogger("spinstream.dashboard")

KIND_SPIKES = 1
KIND_STATE = 2
HEADER = struct.Struct("<BBHIII dd")
assert HEADER.size == 32


def encode_event(event: SpikeEvent | StateEvent, sequence: int = 0) -> bytes:
    """One binary WebSocket frame (see the module docstring)."""
    if isinstance(event, SpikeEvent):
        n = len(event.indices)
        head = HEADER.pack(
            KIND_SPIKES, 0, event.source, n, 0, sequence & 0xFFFFFFFF, event.t_start, event.t_stop
        )
        return b"".join(
            (
                head,
                np.asarray(event.times, dtype="<f4").tobytes(),
                np.asarray(event.indices, dtype="<u4").tobytes(),
            )
        )
    values = np.asarray(event.values, dtype="<f4")
    n, m = values.shape
    head = HEADER.pack(
        KIND_STATE, 0, event.source, n, m, sequence & 0xFFFFFFFF, event.t_start, event.t_stop
    )
    return b"".join((head, np.asarray(event.times, dtype="<f4").tobytes(), values.tobytes()))


def merge_events(events: list[SpikeEvent | StateEvent]) -> SpikeEvent | StateEvent:
    """Merge consecutive events of one population and kind into one."""
    first, last = events[0], events[-1]
    if len(events) == 1:
        return first
    times = np.concatenate([e.times for e in events])
    if isinstance(first, SpikeEvent):
        indices = np.concatenate([e.indices for e in events])  # type: ignore[union-attr]
        return SpikeEvent(first.source, first.t_start, last.t_stop, times, indices)
    values = np.vstack([e.values for e in events])  # type: ignore[union-attr]
    return StateEvent(first.source, first.t_start, last.t_stop, times, values)


class _Client:
    """One browser: a bounded queue of frames, drop oldest."""

    def __init__(self, ws: web.WebSocketResponse, maxlen: int) -> None:
        self.ws = ws
        self.frames: deque[bytes | str] = deque(maxlen=maxlen)
        self.dropped = 0
        self.wake = asyncio.Event()

    def push(self, frame: bytes | str) -> None:
        if len(self.frames) == self.frames.maxlen:
            self.dropped += 1
        self.frames.append(frame)
        self.wake.set()


class Dashboard:
    """A live web dashboard of a feed, served on ``http://host:port/``.

    Use as ``async with Dashboard(feed, port=0) as dash: print(dash.url)``, or call
    :meth:`start` and :meth:`aclose`.

    Parameters
    ----------
    feed
        Where the data comes from (:class:`SessionFeed` or :class:`BridgeFeed`).
    host, port
        Where to listen (``port=0``: any free port; :attr:`url` tells which).
    window
        Milliseconds of simulated time the raster and the traces show.
    bin
        Chunks are merged into one frame per population until they span ``bin`` ms of
        simulated time, or for at most ``flush_interval`` s of wall-clock time, so a
        browser gets a few dozen frames per second whatever the chunk size.
    client_buffer
        Frames each browser may have waiting before the oldest are dropped.
    """

    def __init__(
        self,
        feed: Feed,
        *,
        host: str = "127.0.0.1",
        port: int = 8050,
        window: float = 2000.0,
        bin: float = 20.0,
        flush_interval: float = 0.05,
        client_buffer: int = 2048,
    ) -> None:
        self.feed = feed
        self.host = host
        self.port = port
        self.window = float(window)
        self.bin = float(bin)
        self.flush_interval = float(flush_interval)
        self._pending: dict[tuple[int, int], list[SpikeEvent | StateEvent]] = {}
        self.client_buffer = client_buffer
        self._clients: set[_Client] = set()
        self._runner: web.AppRunner | None = None
        self._pump: asyncio.Task[None] | None = None
        self._stats: dict[str, Any] = {}
        self._sequence = 0
        self._last_sim: tuple[float, float] | None = None
        # the frames of the last `window` ms, for browsers that connect mid-run
        self._history: deque[tuple[float, bytes]] = deque()
        self.frames_sent = 0
        #: Simulated time (ms) at the end of the latest chunk the feed delivered.
        self.time = 0.0
        self.ended = asyncio.Event()

    # ------------------------------------------------------------------ lifetime
    @property
    def url(self) -> str:
        """The page's address."""
        return f"http://{self.host}:{self.port}/"

    async def start(self) -> str:
        """Start serving; returns :attr:`url`."""
        app = web.Application()
        app.router.add_get("/", self._index)
        app.router.add_get("/api/describe", self._describe)
        app.router.add_get("/ws", self._websocket)
        app.router.add_get("/favicon.ico", self._no_content)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = getattr(site, "_server", None)
        if self.port == 0 and server is not None and server.sockets:
            self.port = int(server.sockets[0].getsockname()[1])
        starter = getattr(self.feed, "start", None)
        if starter is not None:
            maybe = starter()
            if asyncio.iscoroutine(maybe):
                await maybe
        self._pump = asyncio.create_task(self._run_feed())
        return self.url

    async def aclose(self) -> None:
        """Stop the feed, close the browsers' sockets and the server."""
        await self.feed.aclose()
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        for client in list(self._clients):
            await client.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Dashboard:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ feed -> browsers
    async def _run_feed(self) -> None:
        flusher = asyncio.create_task(self._flush_periodically())
        try:
            async for event in self.feed.events():
                self._collect(event)
        finally:
            flusher.cancel()
            self._flush_all()
            self.ended.set()

    async def _flush_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.flush_interval)
            self._flush_all()

    def _collect(self, event: Event) -> None:
        if isinstance(event, StatsEvent):
            self._flush_all()  # the statistics follow the data they describe
            self._send(json.dumps(self._stats_message(event)))
            return
        self.time = max(self.time, event.t_stop)
        key = (KIND_SPIKES if isinstance(event, SpikeEvent) else KIND_STATE, event.source)
        pending = self._pending.setdefault(key, [])
        pending.append(event)
        if event.t_stop - pending[0].t_start >= self.bin - 1e-9:
            self._flush(key)

    def flush(self) -> None:
        """Send the chunks collected so far now, without waiting for the bin to fill."""
        self._flush_all()

    def _flush_all(self) -> None:
        for key in list(self._pending):
            self._flush(key)

    def _flush(self, key: tuple[int, int]) -> None:
        events = self._pending.pop(key, None)
        if not events:
            return
        merged = merge_events(events)
        self._sequence += 1
        frame = encode_event(merged, self._sequence)
        self._remember(merged.t_stop, frame)
        self._send(frame)

    def _send(self, frame: bytes | str) -> None:
        for client in self._clients:
            client.push(frame)

    def _remember(self, t_stop: float, frame: bytes) -> None:
        history = self._history
        history.append((t_stop, frame))
        horizon = max(t for t, _ in (history[0], history[-1])) - self.window
        while history and history[0][0] <= horizon:
            history.popleft()

    def _stats_message(self, event: StatsEvent) -> dict[str, Any]:
        values = dict(event.values)
        now = time.perf_counter()
        sim = float(values.get("time", 0.0))
        rtf = values.get("rtf")
        if rtf is None and self._last_sim is not None:
            d_sim = (sim - self._last_sim[0]) * 1e-3
            d_wall = now - self._last_sim[1]
            rtf = d_sim / d_wall if d_wall > 0 and d_sim > 0 else None
        if rtf is not None:
            values["rtf"] = rtf
        self._last_sim = (sim, now)
        values["dashboard_drops"] = sum(c.dropped for c in self._clients)
        self._stats = values
        return {"type": "stats", **values}

    # ------------------------------------------------------------------ routes
    def _hello(self) -> dict[str, Any]:
        d = self.feed.describe()
        return {
            "type": "hello",
            "populations": [
                {"label": p.label, "size": p.size, "model": p.model, "traced": list(p.traced)}
                for p in d["populations"]
            ],
            "dt": d.get("dt"),
            "chunk": d.get("chunk"),
            "mode": d.get("mode"),
            "window": self.window,
        }

    async def _no_content(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def _index(self, request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    async def _describe(self, request: web.Request) -> web.Response:
        return web.json_response({**self._hello(), "stats": self._stats})

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=20.0)
        await ws.prepare(request)
        client = _Client(ws, self.client_buffer)
        await ws.send_str(json.dumps(self._hello()))
        if self._stats:
            await ws.send_str(json.dumps({"type": "stats", **self._stats}))
        for _, old in list(self._history):
            client.push(old)
        self._clients.add(client)
        reader = asyncio.create_task(self._read(ws))
        try:
            while not ws.closed and not reader.done():
                if not client.frames:
                    client.wake.clear()
                    waiter = asyncio.create_task(client.wake.wait())
                    await asyncio.wait({waiter, reader}, return_when=asyncio.FIRST_COMPLETED)
                    waiter.cancel()
                    continue
                frame = client.frames.popleft()
                if isinstance(frame, bytes):
                    await ws.send_bytes(frame)
                else:
                    await ws.send_str(frame)
                self.frames_sent += 1
        except (ConnectionError, RuntimeError) as exc:  # the browser went away
            logger.debug("dashboard client left: %s", exc)
        finally:
            self._clients.discard(client)
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        return ws

    @staticmethod
    async def _read(ws: web.WebSocketResponse) -> None:
        async for msg in ws:  # the page sends nothing; this notices when it closes
            if msg.type == WSMsgType.ERROR:
                return
