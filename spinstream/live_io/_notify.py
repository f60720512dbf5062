"""The notification exchange with live clients (sPyNNaker's "notification protocol").

Per run the server sends each registered client address "database ready" with the
database's path, waits (at most ``ack_timeout`` seconds, all clients together) for each
client's 2-byte answer, sends "start/resume" to those that answered, runs, and sends
"pause/stop" to them after the run.  A client that answers late (it started after the
notification) is sent the notification again, every ``renotify_s`` seconds while the run
lasts, and "start/resume" as soon as it answers: a client that starts late still joins.
The notification is repeated only while the client's port answers "unreachable" (nobody
listens yet): a client that has the notification is never sent a second one, which would
confuse sPyNNaker's clients (they expect "start" next).

One socket per client address (bound to the server's host and, when the client gave one,
its ack port; connected to the client, so that "port unreachable" is reported) and one
thread that reads all of them.
"""

from __future__ import annotations

import logging
import select
import socket
import threading
import time
from dataclasses import dataclass, field

from spinstream.live_io import _wire

__all__ = ["Notifier", "NotifyAddress"]

logger = logging.getLogger("spinstream.live_io")


@dataclass(frozen=True)
class NotifyAddress:
    """Where a client listens for notifications, and where it answers (``ack_port``)."""

    host: str
    port: int
    ack_port: int | None = None


@dataclass
class _Client:
    address: NotifyAddress
    sock: socket.socket
    target: tuple[str, int]
    acked: bool = False  # answered this run's notification
    refused: bool = False  # the last notification found nobody listening
    started: bool = False  # was sent start/resume this run
    last_sent: float = 0.0
    acks: int = 0
    notifications: int = 0
    errors: int = field(default=0)


class Notifier:
    """Notify the registered clients around each run (see the module docstring)."""

    def __init__(self, bind_host: str, *, renotify_s: float = 2.0) -> None:
        self._bind_host = bind_host
        self._renotify_s = renotify_s
        self._clients: dict[NotifyAddress, _Client] = {}
        self._cond = threading.Condition()
        self._path: str | None = None
        self._running = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self.late_joins = 0

    @property
    def addresses(self) -> list[NotifyAddress]:
        """The registered client addresses."""
        return list(self._clients)

    def add(self, address: NotifyAddress) -> None:
        """Register a client address (again: nothing happens)."""
        with self._cond:
            if address in self._clients:
                return
            try:
                target = socket.getaddrinfo(address.host, address.port, socket.AF_INET)[0][4]
            except socket.gaierror as exc:
                raise ValueError(
                    f"database_notify_host {address.host!r} cannot be resolved ({exc})"
                ) from None
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                sock.bind((self._bind_host, address.ack_port or 0))
            except OSError as exc:
                sock.close()
                raise OSError(
                    f"cannot listen for database acknowledgements on "
                    f"{self._bind_host}:{address.ack_port} ({exc})"
                ) from None
            sock.connect((str(target[0]), int(target[1])))
            sock.setblocking(False)
            self._clients[address] = _Client(address, sock, (str(target[0]), int(target[1])))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._read_loop, name="spinstream-live-notify", daemon=True
                )
                self._thread.start()

    def _send(self, client: _Client, data: bytes) -> None:
        try:
            client.sock.send(data)
        except ConnectionRefusedError:  # "port unreachable" of an earlier send
            client.refused = True
            client.errors += 1
        except OSError as exc:  # no route
            client.errors += 1
            logger.debug("notification to %s failed: %s", client.target, exc)

    def announce(self, path: str, timeout: float) -> list[NotifyAddress]:
        """Send "database ready" to every client and wait for their answers.

        Returns the addresses that did not answer within ``timeout`` seconds (they are
        notified again during the run; see the module docstring).
        """
        with self._cond:
            self._path = path
            now = time.monotonic()
            for c in self._clients.values():
                c.acked = c.started = c.refused = False
                c.last_sent = now
                c.notifications += 1
                self._send(c, _wire.database_ready(path))
            deadline = now + timeout
            while not all(c.acked for c in self._clients.values()):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            missing = [a for a, c in self._clients.items() if not c.acked]
        for a in missing:
            logger.warning(
                "live I/O: no answer from the client notified at %s:%d within %.1f s; "
                "running without it (it is notified again while the run lasts)",
                a.host,
                a.port,
                timeout,
            )
        return missing

    def start(self) -> None:
        """Send "start/resume" to the clients that answered; late answers get it at once."""
        with self._cond:
            self._running = True
            for c in self._clients.values():
                if c.acked and not c.started:
                    c.started = True
                    self._send(c, _wire.start_resume())

    def stop(self) -> None:
        """Send "pause/stop" to the clients that were started."""
        with self._cond:
            self._running = False
            for c in self._clients.values():
                if c.started:
                    self._send(c, _wire.pause_stop())
                c.started = c.acked = False

    def statistics(self) -> dict[str, int]:
        """Counters: notifications sent, answers, late joins, send errors."""
        with self._cond:
            cs = list(self._clients.values())
            return {
                "notifications": sum(c.notifications for c in cs),
                "acks": sum(c.acks for c in cs),
                "late_joins": self.late_joins,
                "notify_errors": sum(c.errors for c in cs),
            }

    def _read_loop(self) -> None:
        while not self._closed:
            with self._cond:
                socks = {c.sock: c for c in self._clients.values()}
            try:
                ready, _, _ = select.select(list(socks), [], [], 0.1)
            except (OSError, ValueError):  # a socket closed under us
                if self._closed:
                    return
                continue
            with self._cond:
                for s in ready:
                    self._read(socks[s])
                if self._running and self._path is not None:
                    self._renotify()

    def _read(self, c: _Client) -> None:
        while True:
            try:
                data = c.sock.recv(64)
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionRefusedError:  # nobody listened to the last notification
                c.refused = True
                continue
            except OSError:
                return
            if not _wire.is_database_ack(data) or c.acked:
                continue
            c.acked = True
            c.acks += 1
            self._cond.notify_all()
            if self._running and not c.started:
                c.started = True
                self.late_joins += 1
                self._send(c, _wire.start_resume())

    def _renotify(self) -> None:
        assert self._path is not None
        now = time.monotonic()
        for c in self._clients.values():
            if not c.acked and c.refused and now - c.last_sent >= self._renotify_s:
                c.last_sent = now
                c.refused = False
                c.notifications += 1
                self._send(c, _wire.database_ready(self._path))

    def close(self) -> None:
        """Stop the reader thread and close the sockets."""
        self._closed = True
        if self._thread is not None:
            self._thread.join()
        with self._cond:
            for c in self._clients.values():
                c.sock.close()
