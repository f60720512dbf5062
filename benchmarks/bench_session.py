"""Per-chunk Python overhead of the session's chunk loop, and what streaming costs CUBA.

Part ``overhead``: for chunk = 1 step and 10 steps (dt = 0.1 ms, so 0.1 ms and 1 ms chunks)
and 0, 1 and 10 spike subscribers (each read by its own task), runs a CUBA network on
HostBoard (the fake board when the C engine is not built) and prints, per configuration,
the board's compute time and the loop's own time per chunk (p50 / p99 in microseconds,
from ``Runtime.statistics()``), for the async loop (board in a worker thread) and the
blocking one (board on the calling thread).

Part ``cuba``: the Vogels & Abbott CUBA network (``--cuba-neurons``, default 4000, spikes
recorded) for ``--cuba-seconds`` of simulated time, as the engine's own figure
(``HostBoard.run`` in one call, no streams) and, at chunk = 1 ms and 10 ms: the board alone
in chunk-sized ``run`` calls (what chunking costs the board), and the Runtime's chunk loop
in fast mode with 0 and 1 spike subscribers (read by its own task), the latter also with
every chunk on the loop's thread (no hand-over to the worker thread).  In fast mode the
session queues the next chunk behind the running one (``Statistics.queued_ahead``), so the
worker thread does not wait for the loop between chunks.  Prints the median
wall time of ``--repeats`` interleaved runs and the ratio to the engine's one call: what
chunking and streaming cost (target: under 10 % at 10 ms chunks with one subscriber).

    python benchmarks/bench_session.py [--part overhead|cuba|all] [--neurons 1000]
        [--steps 4000] [--cuba-neurons 4000] [--cuba-seconds 1] [--repeats 5]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.cuba_spec import cuba_spec  # noqa: E402
from spinstream.board import Board  # noqa: E402
from spinstream.session import Runtime  # noqa: E402
from tests.fakes import FakeBoard, neurons, trivial_plan  # noqa: E402


def make_board() -> tuple[str, type[Board] | None]:
    try:
        from spinstream.board import HostBoard

        HostBoard()
    except ImportError:
        return "fake board (C engine not built)", None
    return "HostBoard (C engine)", HostBoard


def build(n: int, chunk: int, board_cls: type[Board] | None) -> Runtime:
    if board_cls is None:
        rt = Runtime(dt=0.1, chunk_steps=chunk, board=FakeBoard(), mapper=trivial_plan, seed=1)
        pop = neurons(0, n, i_offset=1.0, v_thresh=37.0)
        pop.params["i_offset"] = np.linspace(0.5, 1.5, n)
        rt.add_population(pop)
        return rt
    spec = cuba_spec(n=n, seed=1, dt=0.1)
    rt = Runtime(
        dt=0.1,
        chunk_steps=chunk,
        board=board_cls(),
        mapper=lambda s: trivial_plan(s, atoms_per_core=256),
        seed=1,
    )
    for p in spec.populations:
        rt.add_population(p)
    for pr in spec.projections:
        rt.add_projection(pr)
    return rt


async def reader(sub: object) -> None:
    async for _ in sub:  # type: ignore[attr-defined]
        pass


async def run_async(rt: Runtime, steps: int, n_subs: int) -> float:
    subs = [rt.subscribe_spikes(0, maxlen=64) for _ in range(n_subs)]
    tasks = [asyncio.create_task(reader(s)) for s in subs]
    await rt.run_steps(rt.chunk_steps * 20)  # warm up (load, caches)
    rt.clear_timings()  # count only the measured part
    t0 = time.perf_counter()
    await rt.run_steps(steps)
    wall = time.perf_counter() - t0
    for s in subs:
        await s.aclose()
    await asyncio.gather(*tasks)
    return wall


async def drain(sub: Any) -> int:
    """Read every batch of a stream until it ends; returns the spikes seen."""
    n = 0
    async for batch in sub:
        n += len(batch)
    return n


async def cuba_session(
    n: int, plan: Any, steps: int, chunk: int, n_subs: int, inline: bool = False
) -> dict[str, Any]:
    """CUBA through the chunk loop (fast mode); wall time of the run, load excluded.

    ``inline``: every chunk on the loop's thread (``inline_below_us=inf``), no worker
    thread hand-over.
    """
    from spinstream.board import HostBoard

    spec = cuba_spec(n=n, seed=42, dt=0.1)
    rt = Runtime(
        dt=0.1,
        chunk_steps=chunk,
        board=HostBoard(),
        mapper=lambda _s: plan,
        seed=42,
        inline_below_us=math.inf if inline else 100.0,
    )
    for p in spec.populations:
        rt.add_population(p)
    for pr in spec.projections:
        rt.add_projection(pr)
    rt.set_recording(0, "spikes", np.arange(n))
    subs = [rt.subscribe_spikes(0, maxlen=64) for _ in range(n_subs)]
    readers = [asyncio.create_task(drain(s)) for s in subs]
    await rt.run_steps(0)  # map and load, not timed (the engine's figure excludes them too)
    t0 = time.perf_counter()
    await rt.run_steps(steps)
    wall = time.perf_counter() - t0
    rt.close()  # ends the streams: the readers finish with what is buffered
    streamed = await asyncio.gather(*readers)
    st = rt.statistics()
    return {
        "wall": wall,
        "spikes": len(rt.recorder.spikes(0)[0]),
        "streamed": streamed[0] if streamed else None,
        "drops": sum(st.drops.values()),
        "overhead_p50": st.overhead_us.p50,
        "ahead": st.queued_ahead,
    }


def cuba_engine(n: int, plan: Any, steps: int, per_call: int) -> dict[str, Any]:
    """CUBA on the engine alone: ``HostBoard.run(per_call)`` until ``steps`` are run."""
    from spinstream.board import HostBoard

    spec = cuba_spec(n=n, seed=42, dt=0.1)
    board = HostBoard()
    board.load(spec, plan)
    board.set_recording(0, "spikes", np.arange(n))
    spikes = 0
    t0 = time.perf_counter()
    for _ in range(steps // per_call):
        result = board.run(per_call)
        spikes += len(result.spikes[0][0]) if 0 in result.spikes else 0
    wall = time.perf_counter() - t0
    board.close()
    return {
        "wall": wall,
        "spikes": spikes,
        "streamed": None,
        "drops": None,
        "overhead_p50": None,
        "ahead": None,
    }


def cuba_cost(n: int, seconds: float, repeats: int) -> None:
    """Print the streaming-cost table (see the module docstring)."""
    from spinstream.mapping import map_network

    steps = round(seconds * 1000.0 / 0.1)
    plan = map_network(cuba_spec(n=n, seed=42, dt=0.1))
    rows: dict[str, Callable[[], dict[str, Any]]] = {
        "engine: HostBoard.run, one call": lambda: cuba_engine(n, plan, steps, steps)
    }
    for chunk in (10, 100):
        ms = f"{chunk * 0.1:g} ms"
        rows[f"engine: run({chunk}) x {steps // chunk}"] = partial(
            cuba_engine, n, plan, steps, chunk
        )
        for subs in (0, 1):
            rows[f"session {ms}, {subs} subscriber{'s' * (subs != 1)}"] = partial(
                _run_session, n, plan, steps, chunk, subs, False
            )
        rows[f"session {ms}, 1 subscriber, inline"] = partial(
            _run_session, n, plan, steps, chunk, 1, True
        )
    got: dict[str, list[dict[str, Any]]] = {label: [] for label in rows}
    for _ in range(repeats):  # interleaved, so slow phases of the machine hit every row
        for label, fn in rows.items():
            got[label].append(fn())
    e_wall = _median(got["engine: HostBoard.run, one call"], "wall")
    print(
        f"\nCUBA {n} neurons, {seconds:g} s simulated ({steps} steps of 0.1 ms), spikes "
        f"recorded, fast mode; median of {repeats} interleaved runs; HostBoard"
    )
    print(
        f"{'run':<36} {'wall ms':>8} {'min ms':>8} {'ratio':>6} {'cost':>7} {'spikes':>7} "
        f"{'streamed':>8} {'drops':>5} {'ovh p50 us':>10} {'ahead':>5}"
    )
    for label, results in got.items():
        wall = _median(results, "wall")
        ratio = wall / e_wall
        first = results[0]
        ovh = "" if first["overhead_p50"] is None else f"{_median(results, 'overhead_p50'):.1f}"
        print(
            f"{label:<36} {wall * 1e3:>8.1f} {min(r['wall'] for r in results) * 1e3:>8.1f} "
            f"{ratio:>6.3f} {(ratio - 1) * 100:>6.1f}% {first['spikes']:>7} "
            f"{'' if first['streamed'] is None else first['streamed']:>8} "
            f"{'' if first['drops'] is None else first['drops']:>5} "
            f"{ovh:>10} {'' if first['ahead'] is None else first['ahead']:>5}"
        )
    print(
        "ratio: median wall / median wall of the engine in one call; cost = ratio - 1 "
        "(target for 'session 10 ms, 1 subscriber': < 10 %).\n"
        "engine: run(k): the board alone in chunk-sized calls (what chunking costs the "
        "board); inline: chunks on the loop's thread (inline_below_us=inf), no hand-over "
        "to the worker thread; streamed: spikes the subscriber received; ovh p50: the "
        "loop's own time per chunk (Runtime.statistics().overhead_us); ahead: chunks that "
        "ran queued behind the one before (statistics().queued_ahead)"
    )


def _median(results: list[dict[str, Any]], key: str) -> float:
    return float(np.median([r[key] for r in results]))


def _run_session(
    n: int, plan: Any, steps: int, chunk: int, subs: int, inline: bool
) -> dict[str, Any]:
    return asyncio.run(cuba_session(n, plan, steps, chunk, subs, inline))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=("overhead", "cuba", "all"), default="all")
    ap.add_argument("--neurons", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--cuba-neurons", type=int, default=4000)
    ap.add_argument("--cuba-seconds", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    if args.part in ("overhead", "all"):
        overhead(args.neurons, args.steps)
    if args.part in ("cuba", "all"):
        if make_board()[1] is None:
            print("\nCUBA streaming cost needs the C engine (pip install -e .)")
        else:
            cuba_cost(args.cuba_neurons, args.cuba_seconds, args.repeats)


def overhead(neurons: int, steps: int) -> None:
    """Print the per-chunk overhead table (see the module docstring)."""
    args = argparse.Namespace(neurons=neurons, steps=steps)
    label, board_cls = make_board()
    print(f"board: {label}; network: {args.neurons} neurons; {args.steps} steps per row")
    print(
        f"{'chunk':>6} {'subs':>4} {'loop':>8} {'spikes/chunk':>12} "
        f"{'compute p50':>11} {'p99':>8} {'overhead p50':>12} {'p99':>8} {'wall/chunk':>10}"
    )
    for chunk in (1, 10):
        for n_subs in (0, 1, 10):
            for loop in ("async", "blocking"):
                if loop == "blocking" and n_subs:
                    continue  # nobody can read a stream while the blocking API runs
                rt = build(args.neurons, chunk, board_cls)
                rt.set_recording(0, "spikes", np.arange(args.neurons))
                if loop == "async":
                    wall = asyncio.run(run_async(rt, args.steps, n_subs))
                else:
                    rt.run_steps_blocking(chunk * 20)
                    rt.clear_timings()
                    t0 = time.perf_counter()
                    rt.run_steps_blocking(args.steps)
                    wall = time.perf_counter() - t0
                st = rt.statistics()
                n_chunks = args.steps // chunk
                spikes = len(rt.recorder.spikes(0)[0]) / st.chunks
                print(
                    f"{chunk:>6} {n_subs:>4} {loop:>8} {spikes:>12.1f} "
                    f"{st.compute_us.p50:>11.1f} {st.compute_us.p99:>8.1f} "
                    f"{st.overhead_us.p50:>12.1f} {st.overhead_us.p99:>8.1f} "
                    f"{wall / n_chunks * 1e6:>10.1f}"
                )
                rt.close()
    print("times in microseconds; overhead = loop time per chunk outside Board.run")


if __name__ == "__main__":
    main()
