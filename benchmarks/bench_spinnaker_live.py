"""Spikes per second to a sPyNNaker client, and its latency, beside the same over ZeroMQ.

One population's spikes go to a client in another process:

* **live** — spinstream's sPyNNaker live I/O (UDP on loopback, EIEIO packets of at most
  62 spikes) to sPyNNaker's unmodified ``SpynnakerLiveSpikesConnection`` (``--client
  spinstream`` uses spinstream's own class); the spikes are counted in its receive
  callback;
* **zmq** — the ZeroMQ bridge (tcp loopback) to ``spinstream.client.Client``.

The spikes come from ``SpikeBoard`` (benchmarks/bench_zmq.py: a board that computes
nothing, ``k`` neurons fire every step), so the transports' own costs show.  The board
stamps ``time.time_ns()`` when each chunk's computation ends; the client stamps each
callback (live) or message (zmq).  Spikes/s = spikes received / (last arrival - end of the
first measured chunk); lat = arrival - end of the chunk that holds the spikes (p50, p99,
µs; same machine, same clock).  "lost" = spikes the network emitted that never arrived:
UDP drops what the client's socket buffer cannot hold, ZeroMQ what its queue cannot.

Each row alternates the transports and repeats (``--repeat``, default 5): median and
(min-max).  The machine may be shared: compare rows of one run only.

    python benchmarks/bench_spinnaker_live.py [--repeat 5] [--quick] [--client spynnaker]

sPyNNaker's client comes from the ``spynnaker`` package (test extra) or from
``SPINSTREAM_SPYNNAKER_PATH``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_zmq import SUBSCRIBER, spike_runtime  # noqa: E402
from spinstream.bridge import serve  # noqa: E402
from spinstream.live_io import LiveIO, LiveIOOptions  # noqa: E402
from spinstream.session import Runtime  # noqa: E402

LIVE_CLIENT = r"""
import importlib, json, sys, threading, time
module, port, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
Conn = importlib.import_module(module).SpynnakerLiveSpikesConnection
calls, stops, done = [], [0], threading.Event()
conn = Conn(receive_labels=["pop"], local_host="127.0.0.1", local_port=port)
def on_spikes(label, step, atoms):
    calls.append((step, len(atoms), time.time_ns()))
def on_stop(label, c):
    stops[0] += 1
    if stops[0] >= runs:
        done.set()
conn.add_receive_callback("pop", on_spikes)
conn.add_pause_stop_callback("pop", on_stop)
print("READY", flush=True)
done.wait(300)
time.sleep(1.0)
print(json.dumps({"calls": calls}), flush=True)
conn.close()
"""

CONNECTIONS = {
    "spynnaker": "spynnaker.pyNN.connections",
    "spinstream": "spinstream.spinnaker.connections",
}


def _env() -> dict[str, str]:
    paths = [str(ROOT)]
    if os.environ.get("SPINSTREAM_SPYNNAKER_PATH"):
        paths.append(os.environ["SPINSTREAM_SPYNNAKER_PATH"])
    return dict(os.environ, PYTHONPATH=os.pathsep.join(paths))


def _board_address() -> str:
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
    raise RuntimeError("no free loopback address")


def _free_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port


def _summary(
    rt: Runtime, warm: int, arrivals: list[tuple[int, int, int]], emitted: int
) -> dict[str, Any]:
    """``arrivals``: (stamp or chunk-last stamp, spikes, arrival ns) after the warm-up."""
    board: Any = rt.board
    ends = board.ends
    chunk = rt.chunk_steps
    lat = [(t - ends[(s - 1) // chunk]) / 1e3 for s, _, t in arrivals]
    spikes = sum(n for _, n, _ in arrivals)
    t0 = ends[warm // chunk]
    wall = (max(t for _, _, t in arrivals) - t0) / 1e9 if arrivals else float("nan")
    return {
        "rate": spikes / wall,
        "lost": emitted - spikes,
        "lat_p50": float(np.percentile(lat, 50)),
        "lat_p99": float(np.percentile(lat, 99)),
    }


async def measure_live(per_step: int, chunk: int, mode: str, steps: int, module: str) -> Any:
    rt = spike_runtime(per_step, chunk, mode)
    port = _free_port()
    live = LiveIO(rt, LiveIOOptions(board_address=_board_address(), ack_timeout=120.0))
    live.add_live_output(0)
    live.register_notification("127.0.0.1", port)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", LIVE_CLIENT, module, str(port), "2",
        stdout=asyncio.subprocess.PIPE, env=_env(), limit=1 << 28,
    )  # fmt: skip
    assert proc.stdout is not None
    assert (await proc.stdout.readline()).strip() == b"READY"
    warm = chunk * 5
    await rt.run_steps(warm)  # load, notify, warm up: not measured
    await rt.run_steps(steps)
    done = json.loads(await asyncio.wait_for(proc.stdout.readline(), 300))
    await proc.wait()
    arrivals = [(s, n, t) for s, n, t in done["calls"] if s > warm]
    out = _summary(rt, warm, arrivals, per_step * steps)
    live.close()
    rt.close()
    return out


async def measure_zmq(per_step: int, chunk: int, mode: str, steps: int) -> Any:
    rt = spike_runtime(per_step, chunk, mode)
    async with await serve(rt, "tcp://127.0.0.1:*") as bridge:
        warm = chunk * 5
        await rt.run_steps(warm)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", SUBSCRIBER, bridge.endpoints.control, "spikes/pop/",
            "0", str(warm + steps - 1), stdout=asyncio.subprocess.PIPE, env=_env(),
            limit=1 << 28,
        )  # fmt: skip
        assert proc.stdout is not None
        assert json.loads(await proc.stdout.readline())["event"] == "ready"
        first_chunk = rt.statistics().chunks + 1
        await rt.run_steps(steps)
        done = json.loads(await asyncio.wait_for(proc.stdout.readline(), 300))
        await proc.wait()
    arrivals = [
        (c * chunk, n, t)  # chunk c (from 1) ends at stamp c * chunk
        for c, n, t in zip(done["chunks"], done["spikes"], done["arrivals"], strict=True)
        if c >= first_chunk
    ]
    out = _summary(rt, warm, arrivals, per_step * steps)
    rt.close()
    return out


def cell(values: list[float], fmt: str) -> str:
    med = float(np.median(values))
    return f"{med:{fmt}} ({min(values):{fmt}}-{max(values):{fmt}})"


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="shorter runs")
    ap.add_argument("--client", choices=sorted(CONNECTIONS), default="spynnaker")
    args = ap.parse_args()
    module = CONNECTIONS[args.client]
    scale = 4 if args.quick else 1
    scenarios = [
        # (label, spikes per step, chunk steps, mode, steps): dt 0.1 ms
        ("fast, 10/step, chunk 1 ms", 10, 10, "fast", 20_000 // scale),
        ("fast, 100/step, chunk 1 ms", 100, 10, "fast", 5_000 // scale),
        ("real time, 10/step, chunk 1 ms", 10, 10, "realtime", 10_000 // scale),
        ("real time, 100/step, chunk 1 ms", 100, 10, "realtime", 10_000 // scale),
    ]
    print(
        f"\nOne client process; live = sPyNNaker live I/O to {module}, zmq = ZeroMQ bridge; "
        f"median (min-max) of {args.repeat} alternated runs; lat in us from a chunk's end"
    )
    head = (
        f"{'scenario':<32} {'transport':<9} {'k spikes/s':>22} {'lost':>16} "
        f"{'lat p50':>20} {'lat p99':>22}"
    )
    print(head)
    print("-" * len(head))
    for label, per_step, chunk, mode, steps in scenarios:
        results: dict[str, list[Any]] = {"live": [], "zmq": []}
        for _ in range(args.repeat):
            results["live"].append(await measure_live(per_step, chunk, mode, steps, module))
            results["zmq"].append(await measure_zmq(per_step, chunk, mode, steps))
        for transport, rs in results.items():
            print(
                f"{label:<32} {transport:<9} "
                f"{cell([r['rate'] / 1e3 for r in rs], '.0f'):>22} "
                f"{cell([r['lost'] for r in rs], '.0f'):>16} "
                f"{cell([r['lat_p50'] for r in rs], '.0f'):>20} "
                f"{cell([r['lat_p99'] for r in rs], '.0f'):>22}",
                flush=True,
            )


if __name__ == "__main__":
    asyncio.run(main())
