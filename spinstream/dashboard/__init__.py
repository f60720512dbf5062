"""A live web dashboard: spike rasters, rates, membrane potentials and statistics.

``spinstream dashboard ENDPOINT`` serves it for a session that runs a ZeroMQ bridge in
another process; :func:`open_dashboard` serves it from Python, for a bridge's endpoint or
for a session in this process::

    async with spinstream.Session(mode="realtime") as sim:
        ...  # build the network
        dash = await open_dashboard(sim, port=8050)
        print("open", dash.url)
        await sim.run(60_000.0)
        await dash.aclose()

This package is the only one that imports the web framework (aiohttp, from the
``dashboard`` extra: ``pip install 'spinstream[dashboard]'``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from spinstream.dashboard._feeds import (
    BridgeFeed,
    Feed,
    PopulationInfo,
    SessionFeed,
    SpikeEvent,
    StateEvent,
    StatsEvent,
)
from spinstream.dashboard._server import Dashboard, encode_event

__all__ = [
    "BridgeFeed",
    "Dashboard",
    "Feed",
    "PopulationInfo",
    "SessionFeed",
    "SpikeEvent",
    "StateEvent",
    "StatsEvent",
    "encode_event",
    "open_dashboard",
]


async def open_dashboard(
    source: Any,
    *,
    host: str = "127.0.0.1",
    port: int = 8050,
    traces: Mapping[str, Sequence[int]] | None = None,
    window: float = 2000.0,
) -> Dashboard:
    """Start a dashboard for ``source`` and return it (call ``aclose()`` when done).

    Parameters
    ----------
    source
        A bridge's control endpoint (``"tcp://127.0.0.1:PORT"``, or the ``Endpoints``
        that ``await sim.serve()`` returns), or a :class:`spinstream.Session` (or
        Runtime) in this process.
    host, port
        Where the page is served (``port=0``: any free port, see ``Dashboard.url``).
    traces
        Population label -> neuron indices whose membrane potential to plot (default:
        the first two neurons of each population that has one).
    window
        Milliseconds of simulated time shown.
    """
    feed: Feed
    if isinstance(source, str) or hasattr(source, "control"):
        feed = BridgeFeed(str(getattr(source, "control", source)), traces)
    else:
        feed = SessionFeed(source, traces)
    dash = Dashboard(feed, host=host, port=port, window=window)
    await dash.start()
    return dash
