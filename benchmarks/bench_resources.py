"""What repeated sessions and subscriptions leave behind: RSS, threads, file descriptors.

Part ``sessions``: open an async ``spinstream.Session`` with a 2,200-neuron network
(Poisson input -> 2,000 LIF neurons, 10 % connectivity, spikes and v recorded, a spike
stream read by a task), run 100 ms, close it, drop it; ``--cycles`` times.  Part
``setup``: the same network through the blocking API (``setup`` ... ``run`` ... ``end``).
Part ``subscriptions``: one session (nothing recorded); open a spike subscription, run one
chunk, close it;
``--subscriptions`` times.  After each cycle the garbage collector runs and the process's
resident memory (``/proc/self/statm``), threads (``/proc/self/task``) and open file
descriptors (``/proc/self/fd``) are read.  The table gives the first and last values and
the growth per cycle over the second half (a leak shows as a steady growth; allocator
caches settle in the first cycles).

    python benchmarks/bench_resources.py [--part sessions|setup|subscriptions|all]
        [--cycles 20] [--subscriptions 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import spinstream  # noqa: E402
import spinstream.pyNN as pynn  # noqa: E402


def resources() -> tuple[float, int, int]:
    """(resident MiB, threads, open file descriptors) of this process."""
    gc.collect()
    with open("/proc/self/statm") as f:
        rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    return rss, len(os.listdir("/proc/self/task")), len(os.listdir("/proc/self/fd"))


def build(sim: Any, record: bool = True) -> Any:
    src = sim.Population(200, sim.SpikeSourcePoisson(rate=20.0), label="src")
    exc = sim.Population(2000, sim.IF_curr_exp(i_offset=0.5), label="exc")
    sim.Projection(
        src,
        exc,
        sim.FixedProbabilityConnector(0.1, rng=sim.NumpyRNG(seed=1)),
        sim.StaticSynapse(weight=0.2, delay=1.0),
    )
    if record:
        exc.record(["spikes", "v"])
    return exc


async def drain(stream: Any) -> None:
    async for _ in stream:
        pass


async def one_session() -> None:
    async with spinstream.Session(timestep=0.1, chunk=10.0, seed=1) as sim:
        exc = build(sim)
        stream = exc.stream("spikes", maxlen=8)
        reader = asyncio.create_task(drain(stream))
        await sim.run(100.0)
        await stream.aclose()
        await reader
        exc.get_data()


def one_setup() -> None:
    pynn.setup(timestep=0.1, chunk=10.0, seed=1)
    exc = build(pynn)
    pynn.run(100.0)
    exc.get_data()
    pynn.end()


async def subscriptions(n: int, every: int) -> list[tuple[float, int, int, int]]:
    rows = []
    async with spinstream.Session(timestep=0.1, chunk=1.0, seed=1) as sim:
        exc = build(sim, record=False)  # recordings would grow, as they should
        await sim.run(1.0)
        for k in range(n):
            stream = exc.stream("spikes", maxlen=1)
            await sim.run(1.0)
            await stream.aclose()
            del stream
            if (k + 1) % every == 0:
                rss, threads, fds = resources()
                rows.append((rss, threads, fds, len(sim.statistics().drops)))
    return rows


def report(name: str, rows: list[tuple[float, ...]], unit: str) -> None:
    a = np.array(rows, dtype=float)
    half = len(a) // 2
    slope = np.polyfit(np.arange(half, len(a)), a[half:, 0], 1)[0] if len(a) >= 4 else np.nan
    print(
        f"{name:14} cycles {len(a):6}  RSS MiB {a[0, 0]:7.1f} -> {a[-1, 0]:7.1f} "
        f"({slope:+.3f} MiB per {unit}, 2nd half)  threads {a[0, 1]:.0f} -> {a[-1, 1]:.0f}  "
        f"fds {a[0, 2]:.0f} -> {a[-1, 2]:.0f}"
        + (f"  drops entries {a[0, 3]:.0f} -> {a[-1, 3]:.0f}" if a.shape[1] > 3 else "")
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--part", choices=["sessions", "setup", "subscriptions", "all"], default="all")
    ap.add_argument("--cycles", type=int, default=20)
    ap.add_argument("--subscriptions", type=int, default=5000)
    args = ap.parse_args()
    print(f"python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.1f}")
    if args.part in ("sessions", "all"):
        rows = []
        for _ in range(args.cycles):
            asyncio.run(one_session())
            rows.append(resources())
        report("sessions", rows, "session")
    if args.part in ("setup", "all"):
        rows = []
        for _ in range(args.cycles):
            one_setup()
            rows.append(resources())
        report("setup/end", rows, "setup")
    if args.part in ("subscriptions", "all"):
        every = max(1, args.subscriptions // 50)
        got = asyncio.run(subscriptions(args.subscriptions, every))
        report("subscriptions", got, f"{every} subs")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
