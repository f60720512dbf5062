"""Vogels-Abbott benchmark (Brette et al. 2007, benchmarks 1 and 2) on spinstream.

A sparsely connected network of 4000 integrate-and-fire neurons (80% excitatory, 20%
inhibitory, connection probability 2%), kicked off by a short Poisson stimulus:

- CUBA: current-based exponential synapses (IF_curr_exp);
- COBA: conductance-based exponential synapses (IF_cond_exp).

Only the import line is spinstream's; the rest is plain PyNN.

    python examples/pynn/va_benchmark.py CUBA
    python examples/pynn/va_benchmark.py COBA --plot
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import spinstream.pyNN as sim

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("benchmark", nargs="?", choices=["CUBA", "COBA"], default="CUBA")
parser.add_argument("--n", type=int, default=4000, help="number of neurons (default 4000)")
parser.add_argument("--tstop", type=float, default=1000.0, help="simulated time, ms")
parser.add_argument("--dt", type=float, default=0.1, help="time step, ms")
parser.add_argument("--seed", type=int, default=764, help="seed of all random numbers")
parser.add_argument("--plot", action="store_true", help="save a raster and v traces (PNG)")
args = parser.parse_args()

t0 = time.perf_counter()
sim.setup(timestep=args.dt, min_delay=args.dt, seed=args.seed)
rng = sim.NumpyRNG(seed=args.seed)

# Membrane: 20000 um^2 of 1 uF/cm^2 with a 20 ms leak time constant.
cell = dict(
    cm=0.2,
    tau_m=20.0,
    v_rest=-60.0,
    v_thresh=-50.0,
    v_reset=-60.0,
    tau_refrac=5.0,
    tau_syn_E=5.0,
    tau_syn_I=10.0,
    i_offset=0.0,
)
e_exc, e_inh, v_mean = 0.0, -80.0, -60.0
if args.benchmark == "COBA":
    celltype = sim.IF_cond_exp(e_rev_E=e_exc, e_rev_I=e_inh, **cell)
    w_exc, w_inh = 4e-3, 51e-3  # uS
else:
    # CUBA rests at -49 mV so that the network sustains itself; the conductances of
    # COBA become currents at the mean membrane potential.
    celltype = sim.IF_curr_exp(**{**cell, "v_rest": -49.0})
    w_exc = 0.27e-3 * (e_exc - v_mean)  # nA, > 0
    w_inh = 4.5e-3 * (e_inh - v_mean)  # nA, < 0 (PyNN's sign for inhibition)

n_exc = int(0.8 * args.n)
exc = sim.Population(n_exc, celltype, label="excitatory")
inh = sim.Population(args.n - n_exc, celltype, label="inhibitory")
cells = exc + inh
cells.initialize(v=sim.RandomDistribution("uniform", (-60.0, -50.0), rng=rng))

stimulus = sim.Population(20, sim.SpikeSourcePoisson(rate=50.0, duration=50.0), label="kick")

delay = 0.2
connector = sim.FixedProbabilityConnector(0.02, rng=rng)
sim.Projection(
    exc,
    cells,
    connector,
    sim.StaticSynapse(weight=w_exc, delay=delay),
    receptor_type="excitatory",
    label="exc",
)
sim.Projection(
    inh,
    cells,
    connector,
    sim.StaticSynapse(weight=w_inh, delay=delay),
    receptor_type="inhibitory",
    label="inh",
)
kick_w = 0.1 if args.benchmark == "COBA" else 0.1 * (e_exc - v_mean)
sim.Projection(
    stimulus,
    cells,
    sim.FixedProbabilityConnector(0.1, rng=rng),
    sim.StaticSynapse(weight=kick_w, delay=delay),
    receptor_type="excitatory",
)

exc.record("spikes")
inh.record("spikes")
exc[:5].record("v")
t_build = time.perf_counter() - t0

t0 = time.perf_counter()
sim.run(args.tstop)
t_run = time.perf_counter() - t0

exc_data = exc.get_data().segments[0]
inh_data = inh.get_data().segments[0]
rate_e = exc.mean_spike_count() * 1000.0 / args.tstop
rate_i = inh.mean_spike_count() * 1000.0 / args.tstop
synapses = sum(len(s.pre_index) for s in sim.state.runtime.spec.projections)
print(f"{args.benchmark}: {args.n} neurons, {synapses} synapses, dt = {args.dt} ms")
print(
    f"  build {t_build:.2f} s, run {t_run:.2f} s for {args.tstop:g} ms of biology "
    f"(real-time factor {args.tstop / 1000.0 / t_run:.2f})"
)
print(f"  mean rates: excitatory {rate_e:.1f} Hz, inhibitory {rate_i:.1f} Hz")

if args.plot:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 7), sharex=True)
    for k, train in enumerate(exc_data.spiketrains[:400]):
        ax1.plot(train.magnitude, np.full(len(train), k), "|", color="tab:blue", ms=2)
    ax1.set_ylabel("excitatory neuron")
    ax1.set_title(f"Vogels-Abbott {args.benchmark} on spinstream")
    v = exc_data.filter(name="v")[0]
    ax2.plot(v.times.magnitude, v.magnitude, lw=0.7)
    ax2.set_xlabel("time (ms)")
    ax2.set_ylabel("v (mV)")
    out = f"va_benchmark_{args.benchmark}.png"
    fig.savefig(out, dpi=120)
    print(f"  plot written to {out}")

sim.end()
