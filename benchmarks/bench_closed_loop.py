"""Closed-loop latency of ``spinstream.Session``: a controller answering spikes with spikes.

The loop (dt = 1 ms, chunk = 1 ms, built with the session's PyNN calls): a ``SpikeInjector``
drives an ``IF_curr_delta`` neuron through one synapse (delay 1 ms) strong enough to make
it fire in the very step the injected spike takes effect.  The controller reads the
neuron's spike stream; for every batch with a spike it calls ``inject_spikes`` (default
time: the next chunk's first step), which makes the neuron fire again, and so on: with a
controller that is never late, every chunk holds exactly one loop.

For each loop it measures

* **wall latency**: from the end of the chunk in which the neuron spiked (the moment
  ``Board.run`` returned, noted by a thin ``HostBoard`` subclass) to the controller's
  ``inject_spikes`` call, made as soon as the batch is in its hands; also the time the
  ``inject_spikes`` call itself takes;
* **step distance**: the step at which the answer takes effect (what ``inject_spikes``
  returns) minus the chunk's end step.  0 is the earliest possible (the next chunk's first
  step); 1 means the controller missed the next chunk.

Modes: ``realtime`` (wall clock follows simulated time, time-scale factor 1: 1 ms of wall
clock per chunk) and ``lockstep`` (each chunk waits for the controller; reported as loops
per second).  Prints tables; nothing here passes or fails.

    python benchmarks/bench_closed_loop.py [--loops 10000] [--warmup 200]
        [--modes realtime lockstep]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import spinstream
from spinstream.board import HostBoard


class TimedHostBoard(HostBoard):
    """HostBoard that notes when each ``run`` returned (``perf_counter_ns``, by end step)."""

    def __init__(self) -> None:
        super().__init__()
        self.ended_ns: dict[int, int] = {}

    def run(self, n_steps: int) -> Any:
        result = super().run(n_steps)
        self.ended_ns[self.step] = time.perf_counter_ns()
        return result


async def closed_loop(mode: str, loops: int, warmup: int) -> dict[str, Any]:
    """Run the loop until ``warmup + loops`` answers were given; returns the measurements."""
    board = TimedHostBoard()
    total = warmup + loops
    latency_ns = np.zeros(total, np.int64)
    call_ns = np.zeros(total, np.int64)
    distance = np.zeros(total, np.int64)
    chunk_end_ns = np.zeros(total, np.int64)
    done = asyncio.Event()
    count = 0
    async with spinstream.Session(timestep=1.0, chunk=1.0, mode=mode, seed=1, board=board) as sim:
        answer = sim.Population(1, sim.SpikeInjector(), label="answer")
        sensor = sim.Population(
            1,
            sim.IF_curr_delta(v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0, tau_refrac=0.0),
            label="sensor",
        )
        sim.Projection(
            answer, sensor, sim.OneToOneConnector(), sim.StaticSynapse(weight=20.0, delay=1.0)
        )
        stream = sensor.stream("spikes", lockstep=mode == "lockstep")

        async def controller() -> None:
            nonlocal count
            async with stream:
                async for batch in stream:
                    if not len(batch.indices):
                        continue
                    t_batch = time.perf_counter_ns()
                    at = answer.inject_spikes(batch.indices)
                    t_done = time.perf_counter_ns()
                    end = batch.first_step + batch.n_steps
                    ended = board.ended_ns[end]
                    latency_ns[count] = t_batch - ended
                    call_ns[count] = t_done - t_batch
                    distance[count] = at - end
                    chunk_end_ns[count] = ended
                    count += 1
                    if count == total:
                        done.set()
                        return

        answer.inject_spikes([0])  # the first answer: at step 0
        task = asyncio.create_task(controller())
        run = asyncio.create_task(sim.run(10.0 * total + 1000.0))
        waiter = asyncio.create_task(done.wait())
        await asyncio.wait([waiter, run], return_when=asyncio.FIRST_COMPLETED)
        if not run.done():
            run.cancel()  # stops at a chunk boundary
            with contextlib.suppress(asyncio.CancelledError):
                await run
        else:
            waiter.cancel()
            await run  # raises what went wrong
        await task
        overruns = sim.statistics().overruns
    sl = slice(warmup, total)
    span_s = (chunk_end_ns[total - 1] - chunk_end_ns[warmup]) / 1e9
    return {
        "latency_us": latency_ns[sl] / 1e3,
        "call_us": call_ns[sl] / 1e3,
        "distance": distance[sl],
        "loops_per_s": (loops - 1) / span_s if span_s > 0 else float("nan"),
        "overruns": overruns,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loops", type=int, default=10_000, help="measured loops per mode")
    ap.add_argument("--warmup", type=int, default=200, help="loops run first, not measured")
    ap.add_argument("--modes", nargs="+", default=["realtime", "lockstep"])
    args = ap.parse_args()
    print(
        f"closed loop: dt = 1 ms, chunk = 1 ms, {args.loops} loops per mode "
        f"(after {args.warmup} warm-up loops), HostBoard"
    )
    print(
        f"{'mode':>9} {'latency p50':>11} {'p99':>8} {'max':>8} {'inject p50':>10} "
        f"{'step distance':>22} {'loops/s':>9} {'overruns':>8}"
    )
    for mode in args.modes:
        r = asyncio.run(closed_loop(mode, args.loops, args.warmup))
        lat = r["latency_us"]
        hist = Counter(r["distance"].tolist())
        dist = ", ".join(f"{d}: {hist[d]}" for d in sorted(hist))
        print(
            f"{mode:>9} {np.percentile(lat, 50):>11.1f} {np.percentile(lat, 99):>8.1f} "
            f"{lat.max():>8.1f} {np.percentile(r['call_us'], 50):>10.1f} {dist:>22} "
            f"{r['loops_per_s']:>9.0f} {r['overruns']:>8}"
        )
    print(
        "latency: wall time (us) from the end of the chunk in which the neuron spiked "
        "(Board.run returned) to the controller's inject_spikes call; inject: the call itself "
        "(us); step distance: step the answer takes effect - chunk end step, as "
        "{distance: loops} (0 = the next chunk's first step, the earliest possible)"
    )


if __name__ == "__main__":
    main()
