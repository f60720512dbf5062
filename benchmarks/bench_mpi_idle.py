"""MPI: what the other ranks cost while rank 0's controller thinks, and a closed loop's runs.

    python benchmarks/bench_mpi_idle.py                       # 5 rounds, this tree
    python benchmarks/bench_mpi_idle.py --before /tmp/old     # alternating with another tree

Each round starts ``mpiexec -n 2`` on CUBA-N (default 4,000 neurons, one thread a rank) in a
fresh job and measures, on every rank:

- **idle CPU**: rank 0 sleeps ``--think`` seconds before each of 3 runs of 1 ms (a
  controller that thinks, a person at a prompt); CPU seconds (user + system) each rank used
  over those waits, per second of waiting.  Rank 1 waits for rank 0's next run.
- **closed loop**: ``--loops`` runs of 1 ms back to back (rank 0's controller answers at
  once); median and 90th percentile of the time of one run on rank 0.

With ``--before TREE`` the rounds alternate between that tree (its own built engine) and
this one, so that both see the same load.  Every run must give the same spikes in both
trees (checked by count).  The machine may be shared with other work: say so with the
numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parents[1]


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def worker(n: int, think: float, loops: int) -> None:
    """One rank: the waits and the closed loop; rank 0 prints every rank's figures."""
    import numpy as np
    from cuba_spec import cuba_spec
    from mpi4py import MPI

    from spinstream.board import HostBoard
    from spinstream.mapping import map_network

    spec = cuba_spec(n)
    board = HostBoard(threads=1)
    board.load(spec, map_network(spec))
    board.set_recording(0, "spikes", np.arange(n))
    spikes = len(board.run(10).spikes[0][0])  # first touch of every ring and row
    c0, w0 = cpu_seconds(), time.perf_counter()
    for _ in range(3):
        if board.rank == 0:
            time.sleep(think)
        spikes += len(board.run(10).spikes[0][0])
    idle = (cpu_seconds() - c0) / (time.perf_counter() - w0)
    times = []
    for _ in range(loops):
        t = time.perf_counter()
        spikes += len(board.run(10).spikes[0][0])
        times.append(time.perf_counter() - t)
    times.sort()
    mine = {"idle_cpu": idle, "loop_ms": 1e3 * times[len(times) // 2]}
    mine["loop_p90_ms"] = 1e3 * times[int(0.9 * len(times))]
    every = MPI.COMM_WORLD.gather(mine, root=0)
    if board.rank == 0:
        print(json.dumps({"ranks": every, "spikes": spikes}), flush=True)


def run_round(tree: Path, args: argparse.Namespace) -> dict[str, object]:
    here = Path(sys.executable).parent / "mpiexec"
    mpiexec = str(here) if here.exists() else "mpiexec"
    cmd = [mpiexec, "-n", "2", sys.executable, __file__, "--worker"]
    cmd += ["--n", str(args.n), "--think", str(args.think), "--loops", str(args.loops)]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True, timeout=600)
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("{")][-1]
    result: dict[str, object] = json.loads(line)
    return result


def spread(values: list[float], fmt: str = "{:.3f}") -> str:
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}-" + (
        f"{fmt.format(max(values))})"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, default=4000, help="CUBA's neurons (default 4000)")
    ap.add_argument("--think", type=float, default=1.0, help="rank 0's wait, s (default 1)")
    ap.add_argument("--loops", type=int, default=500, help="closed-loop runs (default 500)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--before", type=Path, help="another tree to alternate with")
    args = ap.parse_args()
    if args.think < 0 or args.loops < 10 or args.rounds < 1 or args.n < 100:
        ap.error("need --think >= 0, --loops >= 10, --rounds >= 1 and --n >= 100")
    if args.worker:
        worker(args.n, args.think, args.loops)
        return
    trees = {"this": ROOT} if args.before is None else {"before": args.before, "this": ROOT}
    got: dict[str, list[dict[str, object]]] = {name: [] for name in trees}
    with open("/proc/loadavg") as f:
        load0 = f.read().split()[0]
    for r in range(args.rounds):
        order = list(trees) if r % 2 == 0 else list(trees)[::-1]
        for name in order:
            got[name].append(run_round(trees[name], args))
            print(f"round {r + 1}: {name} done", file=sys.stderr, flush=True)
    with open("/proc/loadavg") as f:
        load1 = f.read().split()[0]
    counts = {name: {int(str(g["spikes"])) for g in rounds} for name, rounds in got.items()}
    if len(set().union(*counts.values())) != 1:
        raise SystemExit(f"the runs gave different spike counts: {counts}")
    print(
        f"CUBA-{args.n} on 2 processes x 1 thread; rank 0 thinks {args.think:g} s before 3 "
        f"runs; {args.loops} runs of 1 ms in a closed loop; {args.rounds} rounds"
        f"{', trees alternating' if len(trees) > 1 else ''}; load average {load0} -> {load1}"
    )
    print("tree     rank 0 CPU/s waiting  rank 1 CPU/s waiting  run of 1 ms, ms    p90 ms")
    for name, rounds in got.items():

        def col(rank: int, key: str, rounds: list[dict[str, object]] = rounds) -> list[float]:
            return [float(g["ranks"][rank][key]) for g in rounds]  # type: ignore[index]

        print(
            f"{name:7s}  {spread(col(0, 'idle_cpu')):>20s}  {spread(col(1, 'idle_cpu')):>20s}"
            f"  {spread(col(0, 'loop_ms')):>17s}  {spread(col(0, 'loop_p90_ms')):>8s}"
        )


if __name__ == "__main__":
    main()
