"""Threads: CUBA-40k on 2 threads against 1, and against this machine's parallel capacity.

    python benchmarks/bench_scale.py                      # 5 rounds, 0.5 s biological each
    python benchmarks/bench_scale.py --rounds 7 --seconds 1 --threads 2 4

A round runs, in an order that alternates from round to round: one 1-thread copy alone; one
T-thread copy alone (for each T asked); and two independent 1-thread copies at once.  The
machine's *parallel capacity* is what the two copies achieved together: 2 x (time of one
alone) / (wall time of the pair).  On two real idle cores that is 2.0; on shared or loaded
vCPUs it is less, and no threading can beat it.  The T-thread speed-up is (time of one
thread) / (time of T threads), and its efficiency is speed-up / capacity (target: >= 0.9 at
T = 2).  Each copy is a process of its own; only the simulation is timed (set-up excluded);
every copy must produce the same spikes (checked by hash).  Medians and (min-max) spreads
are printed: the machine may be loaded by other work, which is why the runs alternate.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cuba_spec import cuba_spec

from spinstream.board import HostBoard
from spinstream.mapping import map_network


def worker(n: int, seconds: float, threads: int) -> None:
    """Load CUBA-n, say ready, wait for 'go' on stdin, run, print the timing as JSON."""
    spec = cuba_spec(n, in_degree=None if n <= 4000 else 80)
    board = HostBoard(threads=threads)
    board.load(spec, map_network(spec))
    board.set_recording(0, "spikes", np.arange(n))
    board.run(10)  # first touch of every ring and row
    print("ready", flush=True)
    sys.stdin.readline()
    steps = round(seconds * 1000.0 / spec.dt)
    t0 = time.perf_counter()
    result = board.run(steps)
    sim = time.perf_counter() - t0
    stamps, idx = result.spikes[0]
    digest = hashlib.sha256(stamps.tobytes() + idx.tobytes()).hexdigest()[:16]
    print(json.dumps({"sim": sim, "spikes": len(stamps), "hash": digest}), flush=True)


def launch(copies: list[int], n: int, seconds: float) -> list[dict[str, float | str]]:
    """Start one process per entry (its thread count), run them all at once."""
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--worker",
                str(t),
                "--n",
                str(n),
                "--seconds",
                str(seconds),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for t in copies
    ]
    for p in procs:
        assert p.stdout is not None
        line = p.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"worker failed before its run: {line!r}")
    t0 = time.perf_counter()
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    out = []
    for p in procs:
        assert p.stdout is not None
        out.append(json.loads(p.stdout.readline()))
        p.wait()
    wall = time.perf_counter() - t0
    for o in out:
        o["wall"] = wall
    return out


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=40000)
    parser.add_argument("--seconds", type=float, default=0.5)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, nargs="+", default=[2])
    parser.add_argument("--worker", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.n, args.seconds, args.worker)
        return
    kinds = ["one", *[f"t{t}" for t in args.threads], "pair"]
    times: dict[str, list[float]] = {k: [] for k in kinds}
    capacity: list[float] = []
    speedup: dict[int, list[float]] = {t: [] for t in args.threads}
    hashes: set[str] = set()
    for r in range(args.rounds):
        order = kinds if r % 2 == 0 else kinds[::-1]
        got: dict[str, float] = {}
        for kind in order:
            if kind == "pair":
                res = launch([1, 1], args.n, args.seconds)
                got[kind] = float(res[0]["wall"])
            else:
                res = launch([1 if kind == "one" else int(kind[1:])], args.n, args.seconds)
                got[kind] = float(res[0]["sim"])
            hashes.update(str(o["hash"]) for o in res)
            times[kind].append(got[kind])
        capacity.append(2.0 * got["one"] / got["pair"])
        for t in args.threads:
            speedup[t].append(got["one"] / got[f"t{t}"])
        print(
            f"round {r + 1}: "
            + ", ".join(f"{k} {got[k]:.3f} s" for k in kinds)
            + f"; capacity {capacity[-1]:.2f}x",
            flush=True,
        )
    print(f"\nCUBA-{args.n}, {args.seconds} s biological, {args.rounds} alternating rounds")
    print(f"1 thread, alone:            {spread(times['one'])} s")
    for t in args.threads:
        print(f"{t} threads, one process:    {spread(times[f't{t}'])} s")
    print(f"2 x 1 thread at once (wall): {spread(times['pair'])} s")
    print(f"parallel capacity (2 copies): {spread(capacity)} x")
    for t in args.threads:
        eff = [s / c for s, c in zip(speedup[t], capacity, strict=True)]
        print(f"speed-up at {t} threads:       {spread(speedup[t])} x")
        print(f"  as a share of the capacity:  {spread(eff)}")
    print(f"identical spikes in every run: {len(hashes) == 1} ({len(hashes)} distinct)")


if __name__ == "__main__":
    main()
