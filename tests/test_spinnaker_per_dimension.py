"""sPyNNaker's per-dimension atoms per core on ``pyNN.spiNNaker``.

``set_number_of_neurons_per_core(cls, (w, h))`` and the class methods
``cls.set_model_max_atoms_per_dimension_per_core`` / ``get_...`` mean, as in sPyNNaker
7.4.1, one maximum per dimension of a population's grid: the population must have a grid of
that many dimensions; here the product bounds the neurons of one core (and no dimension
needs to be a whole multiple of its entry, as sPyNNaker's rectangular tiles need).  Results
do not depend on the split (only the per-core random streams would).
"""

from __future__ import annotations

import pathlib

from tests.engine import require_engine
from tests.test_spinnaker_face import result, run_script

require_engine()

SCRIPT = """
import json
import pyNN.spiNNaker as sim

def err(f, *a, **k):
    try:
        f(*a, **k)
    except Exception as e:
        return type(e).__name__ + ": " + str(e)
    return ""

def cores(p):
    return len(sim.state.runtime.plan.pop_cores[p._spec_id])

def network(split):
    sim.setup(timestep=1.0)
    res = {}
    if split:
        sim.set_number_of_neurons_per_core(sim.IF_curr_exp, (4, 8))
        res["get"] = list(sim.IF_curr_exp.get_model_max_atoms_per_dimension_per_core())
    else:
        sim.set_number_of_neurons_per_core(sim.IF_curr_exp, None)
    src = sim.Population(256, sim.SpikeSourceArray(
        spike_times=[[5.0 + (i % 13)] for i in range(256)]), structure=sim.Grid2D(1.0))
    grid = sim.Population(256, sim.IF_curr_exp(), structure=sim.Grid2D(1.0), label="grid")
    sim.Projection(src, grid, sim.OneToOneConnector(), sim.StaticSynapse(weight=5.0))
    sim.Projection(grid, grid, sim.FixedProbabilityConnector(0.05, rng=sim.NumpyRNG(seed=2)),
                   sim.StaticSynapse(weight=0.6, delay=2.0))
    if split:
        res["flat"] = err(sim.Population, 100, sim.IF_curr_exp(), label="flat")
        ragged = sim.Population(36, sim.IF_curr_exp(), label="ragged",
                                structure=sim.Grid2D(1.0))
        res["bad"] = err(sim.set_number_of_neurons_per_core, sim.IF_curr_exp, (4, 0))
        sim.IF_curr_exp.set_model_max_atoms_per_dimension_per_core((2, 2, 4))
        cube = sim.Population(64, sim.IF_curr_exp(), structure=sim.Grid3D(1.0, 1.0))
        sim.set_number_of_neurons_per_core(sim.IF_curr_exp, None)
        own = sim.Population(100, sim.IF_curr_exp(), structure=sim.Grid2D(1.0))
        own.set_max_atoms_per_core((5, 10))
    grid.record("spikes")
    sim.run(60)
    res["cores"] = cores(grid)
    if split:
        res["cube_cores"] = cores(cube)
        res["ragged_cores"] = cores(ragged)
        res["own_cores"] = cores(own)
    res["spikes"] = [[float(t) for t in st] for st in grid.get_data().segments[0].spiketrains]
    sim.end()
    return res

print(json.dumps({"split": network(True), "whole": network(False)}))
"""


def test_tuple_bounds_the_atoms_per_core_by_its_product(tmp_path: pathlib.Path) -> None:
    out = result(run_script(tmp_path, SCRIPT))
    split, whole = out["split"], out["whole"]
    assert split["get"] == [4, 8]
    assert split["cores"] == 8  # 256 neurons, 4 * 8 per core
    assert whole["cores"] == 1
    assert split["cube_cores"] == 4  # 4x4x4 grid, 2 * 2 * 4 = 16 per core
    assert split["own_cores"] == 2  # Population.set_max_atoms_per_core((5, 10))
    # the same spikes whichever way the population is split
    assert split["spikes"] == whole["spikes"]
    assert sum(map(len, split["spikes"])) > 256
    # sPyNNaker's condition: one entry per dimension of the population's grid
    assert "gives 2 dimensions" in split["flat"]
    assert "'flat'" in split["flat"]
    # a 6x6 grid in 4x8 tiles: sPyNNaker 7.4.1 refuses it (no whole number of tiles); here
    # the cores hold runs of at most 32 neurons
    assert split["ragged_cores"] == 2
    assert split["bad"].startswith("ValueError")
    assert "(4, 0)" in split["bad"]
