"""A network whose every synapse is STDP: what each MPI rank holds, after a 50 ms run.

    python benchmarks/bench_plastic_mpi.py 8000                 # one process
    mpiexec -n 2 python benchmarks/bench_plastic_mpi.py 8000    # each rank prints its line

Per rank: the synapses it built (``HostBoard.held_synapses``), the memory of its plastic
state (``plastic_statistics``), its resident memory over the empty network's and the
seconds to load and run 50 ms (one run: no timing claim rests on it).
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import spinstream.pyNN as sim


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


n = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
sim.setup(timestep=0.1, seed=3)
base = rss_mb()
pop = sim.Population(n, sim.IF_curr_exp(i_offset=0.5, tau_refrac=2.0), label="net")
pop.set_max_atoms_per_core(256)
rng = sim.NativeRNG(seed=5)
stdp = sim.STDPMechanism(
    timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.01, A_minus=0.012),
    weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=0.1),
    weight=0.05,
    delay=1.0,
)
t0 = time.perf_counter()
sim.Projection(pop, pop, sim.FixedProbabilityConnector(0.02, rng=rng), stdp)
sim.run(50.0)
setup = time.perf_counter() - t0
board = sim.state.runtime.board
held = board.held_synapses()[0]
stats = board.plastic_statistics()
print(
    f"rank {sim.rank()} of {sim.num_processes()}: held {held} synapses, plastic state "
    f"{stats.bytes / 2**20:.1f} MiB, RSS over empty {rss_mb() - base:.0f} MiB, "
    f"load + 50 ms {setup:.1f} s",
    flush=True,
)
sim.end()
