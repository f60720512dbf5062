"""Structural plasticity: the cost of one rewiring attempt.

Run from the repository root::

    python benchmarks/bench_structural.py                      # 256 -> 256, 0.5 s, 5 rounds
    python benchmarks/bench_structural.py --n 1024 --seconds 1 --rounds 7

A Poisson population (10 Hz) drives a population of IF_curr_exp cells through a structural
projection (sPyNNaker's ``StructuralMechanismStatic`` and ``StructuralMechanismSTDP``,
``RandomSelection``, ``DistanceDependentFormation``, ``RandomByWeightElimination``, s_max 32).
The connector's synapses alone (FixedNumberPre 5, StaticSynapse) run too, for the cost of
loading every potential synapse.  Each mechanism runs twice on the same network: rewiring
at ``f_rew`` = 1 Hz (no attempt in the run) and at ``--f-rew`` (default 1 MHz: 1000
attempts per 1 ms step).  Both load every potential synapse, so their delivery work is
alike; the difference of their run times over
the attempts made is the cost of an attempt.  The cases alternate, ``--rounds`` times each
(the machine may be shared), and the median and spread (min..max) are printed.  Nothing here
passes or fails.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import spinstream.pyNN as sim  # noqa: E402
from spinstream.pyNN import (  # noqa: E402
    DistanceDependentFormation,
    RandomByWeightElimination,
    RandomSelection,
    StructuralMechanismStatic,
    StructuralMechanismSTDP,
)


def one_run(kind: str, n: int, f_rew: float, seconds: float, threads: int) -> tuple[float, int]:
    """Return (wall seconds of the run, rewiring attempts) for one case."""
    sim.setup(timestep=1.0, seed=1, threads=threads, chunk=100.0)
    side = round(n**0.5)
    pre = sim.Population(n, sim.SpikeSourcePoisson(rate=10.0))
    post = sim.Population(n, sim.IF_curr_exp())
    rules = (
        RandomSelection(),
        DistanceDependentFormation(grid=(side, side), p_form_forward=0.5, sigma_form_forward=3.0),
        RandomByWeightElimination(
            threshold=0.3, prob_elim_depressed=0.1, prob_elim_potentiated=0.01
        ),
    )
    common = dict(f_rew=f_rew, initial_weight=0.3, weight=0.3, s_max=32)
    if kind == "plain":  # the connector's synapses alone, static: no potential synapses
        sim.Projection(pre, post, sim.FixedNumberPreConnector(5), sim.StaticSynapse(weight=0.3))
        sim.run(1.0)
        t0 = time.perf_counter()
        sim.run(seconds * 1000.0)
        wall = time.perf_counter() - t0
        sim.end()
        return wall, 0
    if kind == "static":
        mech: object = StructuralMechanismStatic(*rules, **common)
    else:
        mech = StructuralMechanismSTDP(
            *rules,
            timing_dependence=sim.SpikePairRule(
                tau_plus=20.0, tau_minus=20.0, A_plus=0.01, A_minus=0.012
            ),
            weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=1.0),
            **common,
        )
    proj = sim.Projection(pre, post, sim.FixedNumberPreConnector(5), mech)
    sim.run(1.0)  # load
    t0 = time.perf_counter()
    sim.run(seconds * 1000.0)
    wall = time.perf_counter() - t0
    ((spec_id, _),) = proj._parts
    stats = proj._owner.board.structural_statistics(spec_id)
    sim.end()
    return wall, int(stats.attempts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=256, help="neurons per population")
    ap.add_argument("--seconds", type=float, default=0.5, help="simulated seconds per run")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--f-rew", type=float, default=1e6, help="rewiring frequency (Hz)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    print(
        f"{args.n} -> {args.n}, {args.seconds} s simulated, f_rew {args.f_rew:g} Hz against "
        f"1 Hz, {args.rounds} rounds, {args.threads} thread(s)"
    )
    plain: list[float] = []
    for kind in ("static", "stdp"):
        per_attempt: list[float] = []
        quiet: list[float] = []
        for _ in range(args.rounds):
            if kind == "static":
                plain.append(one_run("plain", args.n, 1.0, args.seconds, args.threads)[0])
            w0, a0 = one_run(kind, args.n, 1.0, args.seconds, args.threads)
            w1, a1 = one_run(kind, args.n, args.f_rew, args.seconds, args.threads)
            quiet.append(w0)
            per_attempt.append((w1 - w0) / max(a1 - a0, 1) * 1e9)
        print(
            f"{kind:>6}: {statistics.median(per_attempt):7.1f} ns per attempt "
            f"(min {min(per_attempt):.1f}, max {max(per_attempt):.1f}); "
            f"run without rewiring {statistics.median(quiet) * 1e3:.1f} ms "
            f"(min {min(quiet) * 1e3:.1f}, max {max(quiet) * 1e3:.1f}); {a1} attempts"
        )
    print(
        f" plain: the connector's synapses as StaticSynapse, {statistics.median(plain) * 1e3:.1f}"
        f" ms (min {min(plain) * 1e3:.1f}, max {max(plain) * 1e3:.1f}): every potential "
        "synapse is visited at each presynaptic spike"
    )


if __name__ == "__main__":
    main()
