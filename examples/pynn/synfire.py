"""A synfire chain: groups of neurons, each exciting the next through a delay.

A volley given to the first group travels down the chain; with the default parameters it
arrives at the last group after the sum of the delays and the groups' response times.

    python examples/pynn/synfire.py --groups 10 --plot
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np

import spinstream.pyNN as sim

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--groups", type=int, default=8)
parser.add_argument("--size", type=int, default=100, help="neurons per group")
parser.add_argument("--delay", type=float, default=2.0, help="delay between groups, ms")
parser.add_argument("--plot", action="store_true", help="save a raster plot (PNG)")
args = parser.parse_args()

sim.setup(timestep=0.1, min_delay=0.1, seed=1)
rng = sim.NumpyRNG(seed=2)
cell = sim.IF_curr_exp(tau_m=10.0, tau_syn_E=2.0, tau_refrac=5.0, v_thresh=-55.0)
groups = [sim.Population(args.size, cell, label=f"group{k}") for k in range(args.groups)]
chain = sim.Assembly(*groups, label="chain")

# Two volleys, 60 ms apart, each a little jittered.
jitter = sim.RandomDistribution("normal", (0.0, 0.5), rng=rng)
times = [np.sort(np.round(np.array([10.0, 70.0]) + jitter.next(2), 1)) for _ in range(args.size)]
volley = sim.Population(args.size, sim.SpikeSourceArray(spike_times=times), label="volley")

# About 12.5 nA of summed input per volley, whatever the group size.
synapse = sim.StaticSynapse(weight=25.0 / args.size, delay=args.delay)
sim.Projection(volley, groups[0], sim.FixedProbabilityConnector(0.5, rng=rng), synapse)
for pre, post in itertools.pairwise(groups):
    sim.Projection(pre, post, sim.FixedProbabilityConnector(0.5, rng=rng), synapse)

chain.record("spikes")
sim.run(60.0 + args.groups * (args.delay + 6.0) + 20.0)

segment = chain.get_data().segments[0]
for k, group in enumerate(groups):
    trains = segment.spiketrains[k * args.size : (k + 1) * args.size]
    first = [float(t[0]) for t in trains if len(t)]
    fired = sum(len(t) > 0 for t in trains)
    when = f"first spike at {min(first):6.1f} ms" if first else "silent"
    print(f"{group.label:>8}: {fired:3d}/{args.size} neurons fired, {when}")

if args.plot:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    for k, train in enumerate(segment.spiketrains):
        ax.plot(train.magnitude, np.full(len(train), k), "|", color="k", ms=2)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("neuron (by group)")
    ax.set_title("synfire chain")
    fig.savefig("synfire.png", dpi=120)
    print("plot written to synfire.png")

sim.end()
