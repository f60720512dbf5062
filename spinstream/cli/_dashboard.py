"""``spinstream dashboard ENDPOINT``: a live web dashboard of a session served over ZeroMQ.

The session (in another process) runs ``await sim.serve()`` (or ``spinstream.pyNN.serve()``)
and prints its control endpoint; this command connects to it, serves one page on
``http://127.0.0.1:8050/`` and keeps it live until Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import TextIO


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="spinstream dashboard",
        description=(
            "Serve a live web dashboard (spike rasters, rates, membrane potentials, "
            "statistics) for a session's ZeroMQ bridge."
        ),
    )
    p.add_argument("endpoint", help="the bridge's control endpoint, e.g. tcp://127.0.0.1:5555")
    p.add_argument("--host", default="127.0.0.1", help="HTTP address (default 127.0.0.1)")
    p.add_argument(
        "--port", type=int, default=8050, help="HTTP port (default 8050; 0: any free port)"
    )
    p.add_argument(
        "--trace",
        action="append",
        default=None,
        metavar="LABEL:I,J,...",
        help="neurons of a population whose membrane potential to plot (repeatable; "
        "default: the first two of each population that has one)",
    )
    p.add_argument(
        "--window", type=float, default=2000.0, help="milliseconds shown (default 2000)"
    )
    p.add_argument("--server-key", help="the bridge's public CURVE key (file or Z85)")
    p.add_argument("--client-key", help="this client's secret CURVE key file")
    return p


def parse_traces(items: list[str] | None) -> dict[str, list[int]] | None:
    """``["exc:0,1", "inh:3"]`` -> ``{"exc": [0, 1], "inh": [3]}``."""
    if items is None:
        return None
    out: dict[str, list[int]] = {}
    for item in items:
        label, sep, rest = item.rpartition(":")
        if not sep or not label:
            raise ValueError(f"--trace {item!r}: expected LABEL:I,J,... (e.g. exc:0,1)")
        try:
            out.setdefault(label, []).extend(int(i) for i in rest.split(",") if i.strip())
        except ValueError:
            raise ValueError(f"--trace {item!r}: neuron indices must be integers") from None
    return out


async def serve_dashboard(
    args: argparse.Namespace, out: TextIO, stop: asyncio.Event | None = None
) -> int:
    """Serve until ``stop`` is set (or Ctrl-C / SIGTERM)."""
    from spinstream.dashboard import BridgeFeed, Dashboard

    traces = parse_traces(args.trace)
    feed = BridgeFeed(
        args.endpoint, traces, server_key=args.server_key, client_key=args.client_key
    )
    stop = stop if stop is not None else asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    dash = Dashboard(feed, host=args.host, port=args.port, window=args.window)
    await dash.start()
    try:
        pops = ", ".join(f"{p.label} ({p.size})" for p in feed.populations)
        out.write(f"dashboard: {dash.url}\n  session {args.endpoint}: {pops}\n")
        out.flush()
        await stop.wait()
    finally:
        await dash.aclose()
    return 0


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    """Run the dashboard server; returns the exit status."""
    args = _parser().parse_args(argv)
    out = out if out is not None else sys.stdout
    try:
        parse_traces(args.trace)
    except ValueError as exc:
        print(f"spinstream dashboard: {exc}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(serve_dashboard(args, out))
    except ImportError as exc:
        print(f"spinstream dashboard: {exc}", file=sys.stderr)
        return 2
    except (TimeoutError, ValueError) as exc:
        print(f"spinstream dashboard: {args.endpoint}: {exc}", file=sys.stderr)
        return 1
