"""sPyNNaker's extra STDP rules: CUBA with each rule on exc->exc against static synapses.

Run from the repository root::

    python benchmarks/bench_extra_plasticity.py                  # CUBA 4000, 1 s, 5 rounds
    python benchmarks/bench_extra_plasticity.py --sizes 4000 --seconds 2 --rounds 7

The network of ``benchmarks/bench_stdp.py`` (Vogels & Abbott CUBA, exc->exc plastic, the
rest static) runs with: all synapses static; PyNN's ``SpikePairRule``; sPyNNaker's
``SpikeNearestPairRule``; ``PfisterSpikeTriplet`` (with ``WeightDependenceAdditiveTriplet``);
``Vogels2011Rule`` (here on exc->exc too, to compare the cost
of the rules on the same spikes' worth of work, not as a model of inhibitory plasticity);
``Neuromodulation`` ("dopamine": the pair rule dopamine-modulated, with 20 reward
sources at 2 Hz, each neuron hearing one; their spikes are not counted as events);
and ``RecurrentRule`` with two windows (``recur2``, ``dual_fsm=True``) and one state machine
per synapse (``recur1``).
The cases alternate, ``--rounds`` times each (the machine may be shared), and the median and
spread of synaptic events per second (every spike times its out-degree) are printed, with
each rule's cost (static events/s over the rule's).  Nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_stdp import run, stdp_spec  # noqa: E402
from benchmarks.cuba_spec import W_EXC, cuba_spec  # noqa: E402
from spinstream.model import (  # noqa: E402
    NetworkSpec,
    NeuromodulationSpec,
    PopulationSpec,
    ProjectionSpec,
    STDPSpec,
)

RULES = {
    "pair": STDPSpec(20.0, 20.0, 0.01, 0.0105, 0.0, 2 * W_EXC),
    "nearest": STDPSpec(20.0, 20.0, 0.01, 0.0105, 0.0, 2 * W_EXC, timing="nearest"),
    "triplet": STDPSpec(
        20.0,
        20.0,
        0.005,
        0.007,
        0.0,
        2 * W_EXC,
        timing="triplet",
        tau_x=101.0,
        tau_y=125.0,
        A3_plus=0.0062,
        A3_minus=0.0023,
    ),
    "vogels": STDPSpec(20.0, 20.0, 0.01 * W_EXC, 0.0, 0.0, 2 * W_EXC, timing="vogels", alpha=0.12),
    # the pair rule's eligibility, modulated by add_dopamine's reward sources
    "dopamine": STDPSpec(20.0, 20.0, 0.01, 0.0105, 0.0, 2 * W_EXC),
    # RecurrentRule as sPyNNaker's stdp_associative_memory.py sets it (both state machines)
    **{
        name: STDPSpec(
            10.0,
            10.0,
            0.2,
            0.2,
            0.0,
            2 * W_EXC,
            "multiplicative",
            timing="recurrent",
            accumulator_depression=-6,
            accumulator_potentiation=3,
            dual_fsm=dual,
        )
        for name, dual in (("recur2", 1.0), ("recur1", 0.0))
    },
}
#: Reward sources of the "dopamine" case: how many, their rate (Hz), dopamine per spike.
N_REWARD, REWARD_HZ, DOPAMINE = 20, 2.0, 0.01


def add_dopamine(spec: NetworkSpec) -> None:
    """Poisson reward sources onto every CUBA neuron (neuron j hears source j % N_REWARD)."""
    n = spec.populations[0].size
    pid = len(spec.populations)
    spec.populations.append(
        PopulationSpec(
            pid,
            "reward",
            N_REWARD,
            "SpikeSourcePoisson",
            params={
                "rate": np.full(N_REWARD, REWARD_HZ),
                "start": np.zeros(N_REWARD),
                "duration": np.full(N_REWARD, np.inf),
            },
        )
    )
    post = np.arange(n)
    spec.projections.append(
        ProjectionSpec(
            len(spec.projections),
            pid,
            0,
            post % N_REWARD,
            post,
            np.full(n, DOPAMINE),
            np.ones(n, np.int64),
            np.zeros(n, np.int64),
            "reward",
            NeuromodulationSpec(tau_c=1000.0, tau_d=200.0, w_min=0.0, w_max=2 * W_EXC),
        )
    )


def spec_for(case: str, n: int, in_degree: int | None) -> NetworkSpec:
    """CUBA, static or with ``RULES[case]`` on the exc->exc synapses."""
    if case == "static":
        return cuba_spec(n, in_degree=in_degree)
    spec = stdp_spec(n, in_degree)
    spec.projections[0].plasticity = RULES[case]
    if case == "dopamine":
        add_dopamine(spec)
    return spec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4000])
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=5, help="alternating runs per case")
    parser.add_argument("--cases", nargs="+", default=list(RULES), choices=list(RULES))
    args = parser.parse_args()
    cases = ["static", *args.cases]
    print("spinstream, embedded board (C engine, 1 thread); CUBA, rule on exc->exc")
    print(f"{'neurons':>8} {'case':>8} {'events/s (median)':>18} {'spread':>16} {'cost':>6}")
    for n in args.sizes:
        in_degree = None if n <= 4000 else 80
        rates: dict[str, list[float]] = {c: [] for c in cases}
        for _ in range(args.rounds):
            for c in cases:
                r = run(spec_for(c, n, in_degree), args.seconds, repeat=1)
                rates[c].append(r["events_per_s"])
        base = float(np.median(rates["static"]))
        for c in cases:
            med = float(np.median(rates[c]))
            spread = f"{min(rates[c]) / 1e6:.1f}-{max(rates[c]) / 1e6:.1f}M"
            cost = f"{base / med:.2f}x" if c != "static" else ""
            print(f"{n:>8} {c:>8} {med / 1e6:>17.1f}M {spread:>16} {cost:>6}")


if __name__ == "__main__":
    main()
