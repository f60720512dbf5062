"""How long the event loop waits while CUBA-4000 runs: the worst gap of a 1 ms timer.

A task sleeps 1 ms at a time on the session's event loop while the Vogels & Abbott CUBA
network (4000 neurons, spikes recorded) runs in fast mode with 200 ms chunks.  Each gap
between two wake-ups is split, from the loop thread's ``/proc/thread-self/schedstat``, into

* ``run``: the loop thread was on a CPU (its own work: the ticker, the chunk loop),
* ``queue``: it was runnable but the OS ran something else (CPU contention),
* ``blocked``: it slept beyond its timer, i.e. it waited for the GIL held by another
  thread (the worker thread's Python: mapping, loading, the chunk's bookkeeping).

Two phases: ``first`` (the first run: mapping and loading on the worker thread, then 1 s
simulated) and ``steady`` (3 s simulated after that).  A ``control`` ticker on an empty
loop, with nothing else in its process, shows what the OS alone does to a 1 ms timer on
this machine.  Each measurement runs in a fresh process; the configurations alternate
(control / session, without / with a competing CPU load of ``--load`` busy processes) and
repeat ``--repeats`` times; the table gives the median and the range of the worst gap,
and the summed attribution of the gaps over 15 ms.

    python benchmarks/bench_loop_gaps.py [--repeats 5] [--load 2] [--seconds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BIG_MS = 15.0


def _schedstat() -> tuple[float, float]:
    """(seconds on a CPU, seconds waiting on a run queue) of the calling thread."""
    try:
        with open("/proc/thread-self/schedstat") as f:
            on_cpu, queued, _ = f.read().split()
        return int(on_cpu) / 1e9, int(queued) / 1e9
    except OSError:  # not Linux: no attribution
        return 0.0, 0.0


class Ticker:
    """Sleep 1 ms at a time; record each gap and its attribution (ms)."""

    def __init__(self) -> None:
        self.rows: list[tuple[float, float, float]] = []
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._tick())

    async def _tick(self) -> None:
        last = time.perf_counter()
        cpu, queued = _schedstat()
        while not self._stop.is_set():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            c, q = _schedstat()
            self.rows.append(((now - last) * 1e3, (c - cpu) * 1e3, (q - queued) * 1e3))
            last, cpu, queued = now, c, q

    def take(self) -> dict[str, float]:
        """Summarize the gaps so far and start afresh."""
        a = np.array(self.rows) if self.rows else np.zeros((1, 3))
        self.rows = []
        big = a[a[:, 0] > BIG_MS]
        return {
            "worst_ms": float(a[:, 0].max()),
            "p99_ms": float(np.percentile(a[:, 0], 99)),
            "ticks": len(a),
            "big": len(big),
            "run_ms": float(big[:, 1].sum()),
            "queue_ms": float(big[:, 2].sum()),
            # beyond the 1 ms timer, neither running nor queued: waiting for the GIL
            "blocked_ms": float(np.clip(big[:, 0] - big[:, 1] - big[:, 2] - 1.0, 0, None).sum()),
        }

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task


async def one_session(seconds: float) -> dict[str, Any]:
    from benchmarks.cuba_spec import cuba_spec
    from spinstream.board import HostBoard
    from spinstream.session import Runtime

    spec = cuba_spec(4000, seed=42, dt=0.1)
    rt = Runtime(dt=0.1, chunk_steps=2000, board=HostBoard(), mode="fast", seed=1)
    for p in spec.populations:
        rt.add_population(p)
    for pr in spec.projections:
        rt.add_projection(pr)
    rt.set_recording(0, "spikes", np.arange(4000))
    ticker = Ticker()
    ticker.start()
    await asyncio.sleep(0.005)
    ticker.rows.clear()
    t0 = time.perf_counter()
    await rt.run_steps(10_000)  # map, load, 1 s simulated
    first = ticker.take() | {"wall_s": time.perf_counter() - t0}
    t0 = time.perf_counter()
    await rt.run_steps(round(seconds * 10_000))
    steady = ticker.take() | {"wall_s": time.perf_counter() - t0}
    await ticker.stop()
    rt.close()
    return {"first": first, "steady": steady}


async def one_control(seconds: float) -> dict[str, Any]:
    ticker = Ticker()
    ticker.start()
    await asyncio.sleep(seconds)
    out = ticker.take()
    await ticker.stop()
    return {"steady": out}


def measure(kind: str, seconds: float) -> dict[str, Any]:
    """Run one measurement in a fresh process."""
    out = subprocess.run(
        [sys.executable, __file__, "--one", kind, "--seconds", str(seconds)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--load", type=int, default=2, help="busy processes competing for CPUs")
    ap.add_argument("--seconds", type=float, default=3.0, help="simulated s, steady phase")
    ap.add_argument("--one", choices=["session", "control"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        run = one_session if args.one == "session" else one_control
        print(json.dumps(asyncio.run(run(args.seconds))))
        return

    results: dict[tuple[str, str, str], list[dict[str, float]]] = {}
    for r in range(args.repeats):
        for loaded in (False, True):
            busy = [
                subprocess.Popen([sys.executable, "-c", "while True: pass"])
                for _ in range(args.load if loaded else 0)
            ]
            try:
                # control wall time: as long as the session's steady phase (about)
                for kind in ("control", "session"):
                    got = measure(kind, args.seconds if kind == "session" else 1.0)
                    for phase, row in got.items():
                        results.setdefault((kind, phase, "loaded" if loaded else "idle"), [])
                        results[(kind, phase, "loaded" if loaded else "idle")].append(row)
            finally:
                for p in busy:
                    p.kill()
                    p.wait()
        print(f"repeat {r + 1}/{args.repeats} done", file=sys.stderr)

    print(
        f"1 ms timer on the session's loop, CUBA-4000 fast mode, 200 ms chunks; "
        f"{args.repeats} alternating repeats; competing load: {args.load} busy processes; "
        f"{os.cpu_count()} CPUs; load average before: {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'what':8} {'phase':7} {'load':7} {'worst ms: median (range)':>26} {'p99 ms':>7} "
        f"{'gaps>15':>8} {'run':>6} {'queue':>7} {'blocked':>8}  (ms in gaps > 15 ms, median)"
    )
    for (kind, phase, load), rows in sorted(results.items()):
        worst = [x["worst_ms"] for x in rows]
        med = {k: float(np.median([x[k] for x in rows])) for k in rows[0]}
        print(
            f"{kind:8} {phase:7} {load:7} {med['worst_ms']:10.1f} "
            f"({min(worst):6.1f} - {max(worst):6.1f})  {med['p99_ms']:7.1f} "
            f"{med['big']:8.0f} {med['run_ms']:6.0f} {med['queue_ms']:7.0f} "
            f"{med['blocked_ms']:8.0f}"
        )


if __name__ == "__main__":
    main()
