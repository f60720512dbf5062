"""sPyNNaker's splitter objects on ``pyNN.spiNNaker``: the split they mean, or a clear refusal.

``Population(..., additional_parameters={"splitter_object": S})`` (the spelling of
sPyNNaker's examples) and ``splitter=S`` (sPyNNaker 7's) take the splitters whose split the
board makes: ``SplitterPopulationVertexFixed`` / ``SplitterFixedLegacy`` /
``SplitterPoissonDelegate`` (fixed slices of ``neurons_per_core``) and
``SplitterOneToOneLegacy`` (the whole population on one core).  The split shows in the
mapping report and, for inputs that draw no random numbers, never changes the spikes (a
Poisson source's streams are per core); the others raise, naming the population, the
class and why.  Scripts run as ``python script.py`` (tests/test_spinnaker_face.py), with
sPyNNaker's own objects where it is installed and spinstream's stand-ins always.
"""

from __future__ import annotations

import pytest

from spinstream.mapping import map_network
from spinstream.model import MappingError, NetworkSpec, PopulationSpec
from tests.engine import require_engine
from tests.test_spinnaker_face import REAL_SPYNNAKER, result, run_script

require_engine()

#: The network twice, without and with splitters; ``{SPLITTERS}`` is the import of the
#: sPyNNaker splitter classes (sPyNNaker's own, or the stand-ins).
SCRIPT = """
import json
import pyNN.spiNNaker as sim
from pacman.model.partitioner_splitters import SplitterFixedLegacy, SplitterOneToOneLegacy
{SPLITTERS}

def err(f, *a, **k):
    try:
        f(*a, **k)
    except Exception as e:
        return type(e).__name__ + ": " + str(e)
    return ""

def spikes(pop):
    return [[float(t) for t in st] for st in pop.get_data("spikes").segments[0].spiketrains]

def network(split):
    sim.setup(timestep=1.0)
    sim.set_number_of_neurons_per_core(sim.IF_curr_exp, 50)
    sim.set_number_of_neurons_per_core(sim.SpikeSourceArray, 100)  # one-core splitter wins
    def extra(splitter, key="splitter_object"):
        return {{"additional_parameters": {{key: splitter}}}} if split else {{}}
    exc = sim.Population(100, sim.IF_curr_exp(), label="exc",
                         **extra(SplitterPopulationVertexFixed()))
    arr = sim.Population(300, sim.SpikeSourceArray(
        spike_times=[[2.0 + (i % 17) * 5.0] for i in range(300)]), label="arr",
        **extra(SplitterOneToOneLegacy()))
    poi = sim.Population(100, sim.SpikeSourcePoisson(rate=40.0), label="poi", seed=7,
                         **extra(SplitterFixedLegacy(), key="splitter"))
    dlg = sim.Population(20, sim.SpikeSourcePoisson(rate=30.0), label="dlg", seed=8,
                         **extra(SplitterPoissonDelegate()))
    res = {{}}
    if split:
        n = len(sim.state.runtime.spec.populations)
        bad = {{
            "neurons_synapses": (sim.IF_curr_exp(), SplitterPopulationVertexNeuronsSynapses()),
            "legacy_on_neurons": (sim.IF_curr_exp(), SplitterFixedLegacy()),
            "fixed_on_source": (sim.SpikeSourcePoisson(), SplitterPopulationVertexFixed()),
            "delegate_on_array": (sim.SpikeSourceArray(), SplitterPoissonDelegate()),
            "not_a_splitter": (sim.IF_curr_exp(), object()),
            "subclass": (sim.SpikeSourcePoisson(), type("Mine", (SplitterFixedLegacy,), {{}})()),
        }}
        for key, (cell, splitter) in bad.items():
            res[key] = err(sim.Population, 10, cell, label="bad_" + key,
                           additional_parameters={{"splitter_object": splitter}})
        res["too_big"] = err(sim.Population, 70000, sim.SpikeSourcePoisson(), label="huge",
                             splitter=SplitterOneToOneLegacy())
        res["against_per_core"] = err(sim.Population, 100, sim.SpikeSourcePoisson(),
                                      label="both", splitter=SplitterOneToOneLegacy(),
                                      neurons_per_core=10)
        res["two_spellings"] = err(sim.Population, 10, sim.SpikeSourcePoisson(), label="two",
                                   splitter=SplitterOneToOneLegacy(),
                                   splitter_object=SplitterFixedLegacy())
        res["set_later"] = err(arr.set_max_atoms_per_core, 100)
        res["left_behind"] = len(sim.state.runtime.spec.populations) - n
    sim.Projection(arr, exc, sim.FixedProbabilityConnector(0.1, rng=sim.NumpyRNG(seed=3)),
                   sim.StaticSynapse(weight=2.0, delay=2.0))
    sim.Projection(poi, exc, sim.OneToOneConnector(), sim.StaticSynapse(weight=1.5))
    sim.Projection(dlg, exc, sim.FixedProbabilityConnector(0.3, rng=sim.NumpyRNG(seed=4)),
                   sim.StaticSynapse(weight=1.0))
    sim.Projection(exc, exc, sim.FixedProbabilityConnector(0.1, rng=sim.NumpyRNG(seed=5)),
                   sim.StaticSynapse(weight=1.0, delay=3.0))
    exc.record("spikes")
    poi.record("spikes")
    sim.run(200)
    plan = sim.state.runtime.plan
    res["cores"] = {{p.label: len(plan.pop_cores[p._spec_id]) for p in (exc, arr, poi, dlg)}}
    res["report"] = plan.report()
    res["exc"] = spikes(exc)
    res["poi"] = spikes(poi)
    sim.end()
    return res

plain = network(False)
split = network(True)
print(json.dumps({{"plain": plain, "split": split}}))
"""

STAND_INS = """
from spynnaker8.extra_algorithms.splitter_components import (
    SplitterPoissonDelegate, SplitterPopulationVertexFixed,
    SplitterPopulationVertexNeuronsSynapses)
"""
SPYNNAKER = STAND_INS.replace("spynnaker8.", "spynnaker.pyNN.")
#: Hides the installed sPyNNaker from the start-up hook, as where it is not installed: then
#: ``spynnaker.pyNN.extra_algorithms`` is spinstream's stand-in too.
HIDE = "import _spinstream_hook\n_spinstream_hook._installed = lambda top: False\n"


def _check(res: dict) -> None:  # type: ignore[type-arg]
    plain, split = res["plain"], res["split"]
    # the split: 100 per core puts arr on 3 cores, SplitterOneToOneLegacy on one
    assert plain["cores"] == {"exc": 2, "arr": 3, "poi": 1, "dlg": 1}
    assert split["cores"] == {"exc": 2, "arr": 1, "poi": 1, "dlg": 1}
    assert "arr (1 cores, SplitterOneToOneLegacy)" in split["report"]
    assert "atoms [0, 300)" in split["report"]
    assert "exc (2 cores, SplitterPopulationVertexFixed)" in split["report"]
    assert "poi (1 cores, SplitterFixedLegacy)" in split["report"]
    assert "dlg (1 cores, SplitterPoissonDelegate)" in split["report"]
    assert "Splitter" not in plain["report"]
    # ... and the same spikes (the network ran: exc fires)
    assert sum(len(t) for t in plain["exc"]) > 50
    assert split["exc"] == plain["exc"]
    assert split["poi"] == plain["poi"]
    # refusals name the population, the class and why; none leaves a population behind
    assert split["left_behind"] == 0
    msg = split["neurons_synapses"]
    assert msg.startswith("ValueError")
    assert "'bad_neurons_synapses'" in msg
    assert "SplitterPopulationVertexNeuronsSynapses" in msg
    assert "synapse processing on cores of their own" in msg
    assert "SplitterFixedLegacy" in split["legacy_on_neurons"]
    assert "IF_curr_exp is a neuron model" in split["legacy_on_neurons"]
    assert "SpikeSourcePoisson is a spike source" in split["fixed_on_source"]
    assert "Poisson sources only" in split["delegate_on_array"]
    assert "'bad_not_a_splitter'" in split["not_a_splitter"]
    assert "not a sPyNNaker splitter" in split["not_a_splitter"]
    assert "a subclass of SplitterFixedLegacy" in split["subclass"]
    assert "'huge'" in split["too_big"]
    assert "65536" in split["too_big"]
    assert "'both'" in split["against_per_core"]
    assert "neurons_per_core=10" in split["against_per_core"]
    assert "give one" in split["two_spellings"]
    assert "'arr'" in split["set_later"]
    assert "one core" in split["set_later"]


def test_stand_in_splitters_split_the_mapping_not_the_spikes(tmp_path):
    _check(result(run_script(tmp_path, SCRIPT.format(SPLITTERS=STAND_INS))))


def test_without_spynnaker_its_module_names_give_the_stand_ins(tmp_path):
    body = (
        HIDE
        + SCRIPT.format(SPLITTERS=SPYNNAKER)
        + (
            "\nimport spynnaker.pyNN.extra_algorithms.splitter_components as m\n"
            "assert m.__name__ == 'spinstream.spinnaker.extra_algorithms.splitter_components'\n"
        )
    )
    _check(result(run_script(tmp_path, body)))


@pytest.mark.skipif(not REAL_SPYNNAKER, reason="sPyNNaker is not installed (CI installs it)")
def test_spynnakers_own_splitter_objects(tmp_path):
    body = SCRIPT.format(SPLITTERS=SPYNNAKER) + (
        "\nassert SplitterPopulationVertexFixed.__module__.startswith('spynnaker.pyNN.')\n"
    )
    _check(result(run_script(tmp_path, body)))


# -- the mapping layer: PopulationSpec.splitter -------------------------------------------


def _spec(splitter: str | None, size: int = 600) -> NetworkSpec:
    spec = NetworkSpec(dt=1.0, seed=1)
    spec.populations.append(
        PopulationSpec(id=0, label="src", size=size, model="SpikeSourcePoisson", splitter=splitter)
    )
    return spec


def test_mapping_puts_a_one_core_population_on_one_core():
    plan = map_network(_spec("SplitterOneToOneLegacy"))
    assert len(plan.pop_cores[0]) == 1
    core = plan.cores[plan.pop_cores[0][0]]
    assert (core.lo, core.hi) == (0, 600)
    assert (~core.mask & 0xFFFFFFFF) + 1 >= 600  # a key for every neuron
    assert plan.splitters == {0: "SplitterOneToOneLegacy"}
    fixed = map_network(_spec("SplitterFixedLegacy"))
    assert [fixed.cores[c].n_atoms for c in fixed.pop_cores[0]] == [256, 256, 88]


def test_mapping_refuses_a_splitter_it_does_not_know():
    with pytest.raises(MappingError, match=r"population 'src': splitter 'Nope'"):
        map_network(_spec("Nope"))
