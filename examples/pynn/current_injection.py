"""Current injection: DC, step, sine and noisy currents into four neurons.

Each source is recorded too (its waveform as the engine applies it; the noisy source is
drawn per neuron on the board, so its effect is seen in ``v``).

    python examples/pynn/current_injection.py --plot
"""

from __future__ import annotations

import argparse

import spinstream.pyNN as sim

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--plot", action="store_true", help="save the traces (PNG)")
args = parser.parse_args()

sim.setup(timestep=0.1, seed=3)
cells = sim.Population(4, sim.IF_curr_exp(v_thresh=-55.0, tau_refrac=2.0), label="cells")
cells.record(["v", "spikes"])

sources = {
    "DC": sim.DCSource(amplitude=0.6, start=20.0, stop=80.0),
    "step": sim.StepCurrentSource(times=[10.0, 40.0, 70.0], amplitudes=[0.4, 0.9, 0.1]),
    "AC": sim.ACSource(start=10.0, stop=90.0, amplitude=0.4, offset=0.5, frequency=40.0),
    "noise": sim.NoisyCurrentSource(mean=0.5, stdev=0.3, start=10.0, stop=90.0, dt=1.0),
}
for k, (name, source) in enumerate(sources.items()):
    cells[k : k + 1].inject(source)
    if name != "noise":
        source.record()

sim.run(100.0)

segment = cells.get_data().segments[0]
v = segment.filter(name="v")[0]
for k, name in enumerate(sources):
    spikes = segment.spiketrains[k]
    print(
        f"{name:>5}: v from {float(v[:, k].min()):.1f} to {float(v[:, k].max()):.1f} mV, "
        f"{len(spikes)} spikes"
    )

if args.plot:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(4, 2, figsize=(9, 8), sharex=True)
    for k, (name, source) in enumerate(sources.items()):
        axes[k, 0].plot(v.times, v[:, k])
        axes[k, 0].set_ylabel(f"{name}\nv (mV)")
        if name != "noise":
            i = source.get_data()
            axes[k, 1].plot(i.times, i.magnitude)
            axes[k, 1].set_ylabel("I (nA)")
    axes[-1, 0].set_xlabel("time (ms)")
    axes[-1, 1].set_xlabel("time (ms)")
    fig.tight_layout()
    fig.savefig("current_injection.png", dpi=120)
    print("plot written to current_injection.png")

sim.end()
