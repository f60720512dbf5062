"""Changing parameters between runs, then resetting: PyNN's run / set / reset cycle.

- run 100 ms with a weak drive, raise ``i_offset`` of half the neurons, run again;
- change a DC source's amplitude and a Poisson source's rate between runs;
- ``reset()`` back to t = 0 with the new values kept: a second segment in the data.

    python examples/pynn/changing_parameters.py --plot
"""

from __future__ import annotations

import argparse

import spinstream.pyNN as sim

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--plot", action="store_true", help="save the traces (PNG)")
args = parser.parse_args()

sim.setup(timestep=0.1, seed=4)
cells = sim.Population(4, sim.IF_curr_exp(i_offset=0.1, tau_refrac=2.0), label="cells")
noise = sim.Population(20, sim.SpikeSourcePoisson(rate=10.0), label="noise")
sim.Projection(noise, cells, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.2, delay=1.0))
dc = sim.DCSource(amplitude=0.0)
cells[3:4].inject(dc)
cells.record(["v", "spikes"])


def report(what: str) -> None:
    counts = cells.get_spike_counts()
    print(
        f"t = {sim.get_current_time():6.1f} ms  {what:<38} spikes so far: "
        f"{[counts[int(i)] for i in cells.all_cells]}"
    )


sim.run(100.0)
report("i_offset 0.1 nA, Poisson 10 Hz")

cells[0:2].set(i_offset=1.2)
sim.run(100.0)
report("neurons 0, 1: i_offset 1.2 nA")

dc.amplitude = 1.5
noise.set(rate=80.0)
sim.run(100.0)
report("neuron 3: +1.5 nA DC; Poisson 80 Hz")

sim.reset()
report("reset (the new values are kept)")
sim.run(100.0)
report("second segment")

block = cells.get_data()
print(
    f"{len(block.segments)} segments: "
    + ", ".join(f"{s.name} (0 to {float(s.spiketrains[0].t_stop):g} ms)" for s in block.segments)
)

if args.plot:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(block.segments), 1, figsize=(8, 6), sharex=True)
    for ax, segment in zip(axes, block.segments, strict=True):
        v = segment.filter(name="v")[0]
        ax.plot(v.times, v.magnitude, lw=0.8)
        ax.set_ylabel(f"{segment.name}\nv (mV)")
    axes[-1].set_xlabel("time (ms)")
    fig.savefig("changing_parameters.png", dpi=120)
    print("plot written to changing_parameters.png")

sim.end()
