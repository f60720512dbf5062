"""sPyNNaker's live I/O: unmodified sPyNNaker clients talk to a running spinstream network.

A bridge beside the ZeroMQ one (see docs/SPINNAKER_IO.md): the notification exchange, an
SQLite database written from the mapping plan, SCP answers to IP tag requests, EIEIO
spikes in and out, and Poisson rate control, all over UDP on a loopback address by
default.  The PyNN face is :mod:`spinstream.spinnaker.external_devices`.
"""

from __future__ import annotations

from spinstream.live_io._server import (
    BOARD_PORT,
    DEFAULT_NOTIFY_PORT,
    DEFAULT_OUTPUT_PORT,
    RECEIVER_LABEL,
    LiveIO,
    LiveIOOptions,
    LiveIOSecurityWarning,
    LiveIOStatistics,
    live_io_for,
)

__all__ = [
    "BOARD_PORT",
    "DEFAULT_NOTIFY_PORT",
    "DEFAULT_OUTPUT_PORT",
    "RECEIVER_LABEL",
    "LiveIO",
    "LiveIOOptions",
    "LiveIOSecurityWarning",
    "LiveIOStatistics",
    "live_io_for",
]
