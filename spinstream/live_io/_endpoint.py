"""The board's UDP address: where clients send SCP requests and EIEIO data (port 17893).

One non-blocking socket and one reader thread.  IP tag requests are answered at once (the
reply is what lets a client finish reading the database); EIEIO data is handed to the
server's ``on_data`` callback, which checks it against the network and queues it.  A
datagram that is malformed, or that ``on_data`` refuses, is counted by reason and dropped.

:meth:`Endpoint.drain` reads what is waiting in the socket right now, on the caller's
thread: on loopback a datagram is in the socket's queue when ``sendto`` returns, so after
a client's answer to the notification, draining makes every packet it sent before that
answer count for the coming run.
"""

from __future__ import annotations

import collections
import logging
import select
import socket
import threading
from collections.abc import Callable
from typing import Any

from spinstream.live_io import _wire

__all__ = ["Endpoint"]

logger = logging.getLogger("spinstream.live_io")

#: Larger datagrams are read whole (and refused): a board's packets are at most 272 bytes.
_MAX_DATAGRAM = 65535


class Endpoint:
    """The UDP socket of the virtual board's Ethernet chip (see the module docstring)."""

    def __init__(
        self,
        host: str,
        port: int,
        on_data: Callable[[_wire.EieioData, tuple[str, int]], None],
        on_tag: Callable[[_wire.TagSet, tuple[str, int]], None],
    ) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
            self._sock.bind((host, port))
        except OSError as exc:
            self._sock.close()
            raise OSError(
                f"live I/O: cannot bind the board's address {host}:{port} ({exc}); "
                "another network (or another program) is using it: give this one "
                "another board_address with external_devices.configure_live_io()"
            ) from None
        self._sock.setblocking(False)
        self.address: tuple[str, int] = self._sock.getsockname()
        self._on_data = on_data
        self._on_tag = on_tag
        self._lock = threading.Lock()
        self._closed = False
        self.packets = 0
        self.tag_sets = 0
        self.malformed = 0
        self.reasons: collections.Counter[str] = collections.Counter()
        self.send_errors = 0
        self._thread = threading.Thread(
            target=self._loop, name=f"spinstream-live-{host}:{port}", daemon=True
        )
        self._thread.start()

    def _loop(self) -> None:
        while not self._closed:
            try:
                ready, _, _ = select.select([self._sock], [], [], 0.1)
            except (OSError, ValueError):
                return
            if ready:
                self.drain()

    def drain(self) -> int:
        """Read and handle every datagram waiting now; returns how many."""
        n = 0
        with self._lock:
            while not self._closed:
                try:
                    data, sender = self._sock.recvfrom(_MAX_DATAGRAM)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:  # ICMP error of an earlier send: not a datagram
                    continue
                n += 1
                self._handle(data, sender)
        return n

    def _refuse(self, reason: str) -> None:
        self.malformed += 1
        # reasons are short fixed phrases plus numbers: keep the phrase as the counter key
        self.reasons[reason.split(" (")[0][:80]] += 1

    def _handle(self, data: bytes, sender: Any) -> None:
        self.packets += 1
        try:
            packet = _wire.parse_datagram(data)
            if isinstance(packet, _wire.TagSet):
                self._on_tag(packet, sender)
                self.tag_sets += 1
                self.send(_wire.scp_ok_reply(packet), sender)
            else:
                self._on_data(packet, sender)
        except _wire.MalformedPacket as exc:
            self._refuse(str(exc))
        except Exception:  # a bug must not end the reader: count it, keep serving
            logger.exception("live I/O: error while handling a datagram from %s", sender)
            self._refuse("internal error")

    def send(self, data: bytes, to: tuple[str, int]) -> bool:
        """Send one datagram from the board's address; False (and counted) if it failed."""
        try:
            self._sock.sendto(data, to)
            return True
        except OSError:
            self.send_errors += 1
            return False

    def close(self) -> None:
        """Stop the reader and close the socket."""
        self._closed = True
        self._thread.join()
        with self._lock:
            self._sock.close()
