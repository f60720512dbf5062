"""Per-chunk Python overhead of the session's chunk loop.

For chunk = 1 step and 10 steps (dt = 0.1 ms, so 0.1 ms and 1 ms chunks) and 0, 1 and 10
spike subscribers (each read by its own task), runs a CUBA network on HostBoard (the fake
board when the C engine is not built) and prints, per configuration, the board's compute
time and the loop's own time per chunk (p50 / p99 in microseconds, from
``Runtime.statistics()``), for the async loop (board in a worker thread) and the blocking
one (board on the calling thread).

    python benchmarks/bench_session.py [--neurons 1000] [--steps 4000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--neurons", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=4000)
    args = ap.parse_args()
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
