"""What used to be timed pass/fail tests: how responsive the engine and the Runtime stay.

Part ``gil``: while one thread runs the engine (HH_cond_exp, 256 neurons, about 0.4 s of engine
time), the main thread loops in Python; prints the longest pause of that loop as a fraction of
the run (a run holding the GIL would pause it for the whole run: 1.0) and the loop's turns.

Part ``recording``: ``Runtime.set_recording`` of spikes and of v (in reverse order, the slow
path) on a loaded population of one million neurons; prints the wall time (it was ~4.7 s with
np.unique's hashing and one scan of all indices per core, ~0.3 s since).

    python benchmarks/bench_responsiveness.py [--part gil|recording|all] [--repeats 5]

Prints the median and the range of ``--repeats`` runs.  Nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout's tests package

from spinstream.board import HostBoard
from spinstream.session import Runtime
from tests.reference import network, population, trivial_plan


def gil_once() -> tuple[float, int]:
    """(longest pause of a Python loop / engine run time, loop turns) for one run."""
    spec = network(0.1, [population(0, "HH_cond_exp", 256, i_offset=0.5)])
    board = HostBoard()
    board.load(spec, trivial_plan(spec))
    t0 = time.perf_counter()
    board.run(50)
    steps = max(int(0.4 / ((time.perf_counter() - t0) / 50)), 100)
    done = threading.Event()
    timing: list[float] = []

    def engine() -> None:
        t = time.perf_counter()
        board.run(steps)
        timing.append(time.perf_counter() - t)
        done.set()

    worker = threading.Thread(target=engine)
    turns, gap, last = 0, 0.0, time.perf_counter()
    worker.start()
    while not done.is_set():
        turns += 1
        now = time.perf_counter()
        gap, last = max(gap, now - last), now
    worker.join()
    return gap / timing[0], turns


def recording_once() -> float:
    """Wall time (s) of two set_recording calls on a million neurons."""
    n = 1_000_000
    rt = Runtime(dt=0.1, seed=1, board=HostBoard())
    rt.add_population(population(0, "IF_curr_exp", n, i_offset=2.0))
    rt.run_steps_blocking(1)
    t0 = time.perf_counter()
    rt.set_recording(0, "spikes", np.arange(n))
    rt.set_recording(0, "v", np.arange(n)[::-1].copy(), 10)
    elapsed = time.perf_counter() - t0
    rt.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=["gil", "recording", "all"], default="all")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if args.part in ("gil", "all"):
        runs = [gil_once() for _ in range(args.repeats)]
        pauses = np.array([r[0] for r in runs])
        turns = np.array([r[1] for r in runs])
        print(
            f"gil: longest pause / run {np.median(pauses):.3f} "
            f"({pauses.min():.3f}-{pauses.max():.3f}); loop turns {int(np.median(turns))}"
        )
    if args.part in ("recording", "all"):
        times = np.array([recording_once() for _ in range(args.repeats)])
        print(
            f"recording: set_recording of 1M neurons {np.median(times):.3f} s "
            f"({times.min():.3f}-{times.max():.3f})"
        )


if __name__ == "__main__":
    main()
