"""Set-up of CUBA-40k through spinstream.pyNN: a NumpyRNG (PyNN's draws) against NativeRNG.

    python benchmarks/bench_build.py                  # 3 alternating rounds of each way
    python benchmarks/bench_build.py --rounds 5 --n 40000

The network: 40,000 IF_curr_exp (80 % excitatory), FixedProbabilityConnector with 80
inputs per neuron on average, delays drawn uniformly in [0.1, 2] ms.  Three ways to build
it, each in a fresh process, in an order that alternates from round to round (the machine
may be loaded by other work): ``numpy``, a ``NumpyRNG`` (PyNN's per-column draws, one number
per pair: the network pyNN.nest builds); ``native``, ``rng=NativeRNG()``: spinstream's own
per-block generators, which draw per synapse instead of per pair.  Printed:
the time to build the projections (``build``), to load the board (first ``run``: mapping,
synaptic blocks, thread pool) and both, as median (min-max).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def build(n: int, way: str) -> dict[str, float]:
    import spinstream.pyNN as sim

    t0 = time.perf_counter()
    sim.setup(timestep=0.1, seed=1)
    n_exc = n * 4 // 5
    rng = sim.NumpyRNG(seed=2)
    conn_rng = sim.NativeRNG() if way == "native" else rng
    cell = sim.IF_curr_exp(
        v_rest=-49.0,
        tau_refrac=5.0,
        tau_syn_E=5.0,
        tau_syn_I=10.0,
        v_reset=-60.0,
        v_thresh=-50.0,
    )
    v0 = sim.RandomDistribution("uniform", (-60.0, -50.0), rng=rng)
    pop = sim.Population(n, cell, initial_values={"v": v0})
    delay = sim.RandomDistribution("uniform", (0.1, 2.0), rng=conn_rng)
    p = 80.0 / n
    for view, w, rec in ((pop[:n_exc], 0.081, "excitatory"), (pop[n_exc:], 0.45, "inhibitory")):
        sim.Projection(
            view,
            pop,
            sim.FixedProbabilityConnector(p, rng=conn_rng),
            sim.StaticSynapse(weight=w, delay=delay),
            receptor_type=rec,
        )
    t1 = time.perf_counter()
    sim.run(0.1)
    t2 = time.perf_counter()
    sim.end()
    return {"build": t1 - t0, "load": t2 - t1, "total": t2 - t0}


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f} ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=40000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ways", nargs="+", default=["numpy", "native"])
    parser.add_argument("--worker", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(build(args.n, args.worker)))
        return
    got: dict[str, dict[str, list[float]]] = {w: {} for w in args.ways}
    for r in range(args.rounds):
        order = args.ways if r % 2 == 0 else args.ways[::-1]
        for way in order:
            out = subprocess.run(
                [sys.executable, __file__, "--worker", way, "--n", str(args.n)],
                capture_output=True,
                text=True,
                check=True,
            )
            res = json.loads(out.stdout.strip().splitlines()[-1])
            for k, v in res.items():
                got[way].setdefault(k, []).append(v)
            print(f"round {r + 1} {way}: " + ", ".join(f"{k} {v:.2f} s" for k, v in res.items()))
    print(f"\nCUBA-{args.n} set-up through spinstream.pyNN, {args.rounds} alternating rounds (s)")
    print(f"{'way':8} {'build':>20} {'load':>20} {'total':>20}")
    for way in args.ways:
        cols = " ".join(f"{spread(got[way][k]):>20}" for k in ("build", "load", "total"))
        print(f"{way:8} {cols}")


if __name__ == "__main__":
    main()
