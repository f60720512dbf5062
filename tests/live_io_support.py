"""Helpers for the live I/O tests: addresses, ports and client processes.

The unmodified sPyNNaker clients come from the ``spynnaker`` package (the ``test`` extra).
A checkout may keep it outside the shared environment: ``SPINSTREAM_SPYNNAKER_PATH``
names a directory to put on the clients' ``PYTHONPATH``.  Without the package the tests
that need it skip, except under CI, where they fail.
"""

from __future__ import annotations

import functools
import json
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLIENT = Path(__file__).with_name("live_clients") / "spike_client.py"
MODULES = {
    "spynnaker": "spynnaker.pyNN.connections",
    "spinstream": "spinstream.spinnaker.connections",
}


def client_env() -> dict[str, str]:
    """Environment of a client process: this checkout first, then the sPyNNaker path."""
    paths = [str(ROOT)]
    extra = os.environ.get("SPINSTREAM_SPYNNAKER_PATH")
    if extra:
        paths.append(extra)
    if os.environ.get("PYTHONPATH"):
        paths.append(os.environ["PYTHONPATH"])
    return dict(os.environ, PYTHONPATH=os.pathsep.join(paths))


@functools.cache
def _spynnaker_error() -> str | None:
    proc = subprocess.run(
        [sys.executable, "-c", "import spynnaker.pyNN.connections"],
        env=client_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return None if proc.returncode == 0 else proc.stderr.strip().splitlines()[-1]


def require_client(kind: str) -> str:
    """Return the connection module of ``kind``; skip (fail under CI) without sPyNNaker."""
    if kind == "spynnaker":
        error = _spynnaker_error()
        if error is not None:
            if os.environ.get("CI") == "true":
                raise RuntimeError(f"sPyNNaker's client classes are not importable: {error}")
            pytest.skip(f"sPyNNaker's client classes are not importable: {error}")
    return MODULES[kind]


def board_address() -> str:
    """A loopback address whose UDP port 17893 (the board's port) is free."""
    for _ in range(200):
        host = f"127.0.{random.randrange(1, 250)}.{random.randrange(2, 250)}"
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind((host, 17893))
        except OSError:
            continue
        finally:
            s.close()
        return host
    raise RuntimeError("no free loopback address for a board")


def free_udp_port(host: str = "127.0.0.1") -> int:
    """A UDP port that is free on ``host`` now."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind((host, 0))
        return int(s.getsockname()[1])
    finally:
        s.close()


class ClientProcess:
    """A running ``spike_client.py``; :meth:`result` waits for its JSON report."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(CLIENT), json.dumps(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=client_env(),
        )
        deadline = time.monotonic() + 120
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if line.strip() != "READY" or time.monotonic() > deadline:
            self.proc.kill()
            raise RuntimeError(f"client did not start: {line!r} {self.proc.stderr.read()}")

    def result(self, timeout: float = 90.0) -> dict[str, Any]:
        """Wait for the client to end; return its report."""
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            raise AssertionError(f"client did not end: {err[-2000:]}") from None
        lines = [x for x in out.splitlines() if x.startswith("{")]
        if self.proc.returncode != 0 or not lines:
            raise AssertionError(f"client failed ({self.proc.returncode}): {err[-3000:]}")
        report: dict[str, Any] = json.loads(lines[-1])
        return report

    def close(self) -> None:
        """Kill the process if it is still running."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()

    def __enter__(self) -> ClientProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
