"""Population, PopulationView, Assembly and ID: the members PyNN and sPyNNaker document."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from pyNN import errors
from pyNN.random import NumpyRNG, RandomDistribution

import spinstream.pyNN as sim
from tests.reference import ReferenceBoard, trivial_plan


@pytest.fixture
def net():
    sim.setup(timestep=0.1, seed=1, board=ReferenceBoard(), mapper=trivial_plan)
    yield sim
    sim.end()


def test_parameters_numbers_arrays_distributions_functions(net):
    p = net.Population(
        5,
        net.IF_curr_exp(
            tau_m=RandomDistribution("uniform", (10.0, 20.0), rng=NumpyRNG(seed=3)),
            i_offset=[0.0, 0.1, 0.2, 0.3, 0.4],
            v_thresh=lambda i: -50.0 + i,
            cm=0.5,
        ),
        label="P",
    )
    tau = p.get("tau_m")
    expected = NumpyRNG(seed=3).next(5, "uniform", {"low": 10.0, "high": 20.0})
    assert_array_equal(tau, expected)
    assert_array_equal(p.get("i_offset"), [0.0, 0.1, 0.2, 0.3, 0.4])
    assert_array_equal(p.get("v_thresh"), [-50.0, -49.0, -48.0, -47.0, -46.0])
    assert p.get("cm") == 0.5
    spec = sim.state.runtime.spec.populations[p._spec_id]
    assert spec.model == "IF_curr_exp"
    assert spec.label == "P"
    assert_array_equal(spec.params["v_thresh"], [-50.0, -49.0, -48.0, -47.0, -46.0])


def test_set_get_and_id_attribute_access(net):
    p = net.Population(4, net.IF_cond_exp())
    p.set(tau_m=15.0, e_rev_I=lambda i: -80.0 - i)
    assert p.get("tau_m") == 15.0
    p[2].tau_m = 30.0
    assert p[2].tau_m == 30.0
    assert_array_equal(p.get("tau_m"), [15.0, 15.0, 30.0, 15.0])
    _tau_m, e_rev_i = p.get(["tau_m", "e_rev_I"])
    assert_array_equal(e_rev_i, [-80.0, -81.0, -82.0, -83.0])
    assert p[1].get_parameters()["e_rev_I"] == -81.0
    p[1].set_parameters(cm=0.3)
    assert p[1].cm == pytest.approx(0.3)
    with pytest.raises(errors.NonExistentParameterError):
        _ = p[0].no_such_parameter


def test_parameters_change_between_runs_reach_the_network(net):
    p = net.Population(1, net.IF_curr_exp(i_offset=0.0), label="drv")
    p.record("v")
    net.run(5.0)
    p.set(i_offset=1.0)
    net.run(5.0)
    v = p.get_data().segments[0].filter(name="v")[0].magnitude[:, 0]
    assert np.all(v[:51] == -65.0)
    assert v[-1] > -65.0


def test_initial_values_and_initialize(net):
    p = net.Population(3, net.IF_curr_exp(), initial_values={"v": -60.0})
    assert p.initial_values["v"].evaluate(simplify=True) == -60.0
    p.initialize(v=np.array([-70.0, -71.0, -72.0]))
    assert p[1].get_initial_value("v") == -71.0
    p[2].set_initial_value("v", -50.0)
    assert_array_equal(p.initial_values["v"].evaluate(), [-70.0, -71.0, -50.0])
    p[0].initialize(v=-55.0)
    view = p[1:3]
    assert_array_equal(view.initial_values["v"].evaluate(), [-71.0, -50.0])
    p.record("v")
    net.run(0.1)
    v = p.get_data().segments[0].analogsignals[0].magnitude
    assert_array_equal(v[0], [-55.0, -71.0, -50.0])
    with pytest.raises(errors.NonExistentParameterError, match=r"no parameter or state"):
        p.initialize(w=1.0)


def test_views_views_of_views_and_changes_both_ways(net):
    p = net.Population(10, net.IF_curr_exp(), label="base")
    v = p[2:8]
    vv = v[[1, 3, 5]]
    assert vv.parent is v
    assert vv.grandparent is p
    assert_array_equal(vv.index_in_grandparent([0, 1, 2]), [3, 5, 7])
    assert_array_equal(vv.mask, [1, 3, 5])
    vv.set(tau_m=7.0)
    assert_array_equal(np.flatnonzero(p.get("tau_m") == 7.0), [3, 5, 7])
    p.set(cm=lambda i: 1.0 + i)
    assert_array_equal(vv.get("cm"), [4.0, 6.0, 8.0])
    assert_array_equal(p[np.array([True] * 5 + [False] * 5)].get("cm"), [1, 2, 3, 4, 5])
    assert vv.id_to_index(vv[1]) == 1
    assert vv.index_to_id(0) == p[3]
    with pytest.raises(IndexError, match=r"out of range"):
        p[[3, 11]]


def test_population_members(net):
    p = net.Population(
        6, net.IF_curr_alpha(), label="m", structure=sim.space.Grid2D(aspect_ratio=1.5)
    )
    assert p.size == 6
    assert len(p) == 6
    assert p.local_size == 6
    assert p.label == "m"
    assert isinstance(p.celltype, net.IF_curr_alpha)
    assert p.first_id == p[0]
    assert p.last_id == p[5]
    assert list(p.all()) == list(p.all_cells) == list(p)
    assert_array_equal(p.local_cells, p.all_cells)
    assert p.id_to_index(p[4]) == 4
    assert p.id_to_local_index(p[4]) == 4
    assert p.index_to_id(3) == p[3]
    assert p.is_local(p[0])
    assert p.can_record("v")
    assert not p.can_record("w")
    assert p.conductance_based is False
    assert p.receptor_types == ("excitatory", "inhibitory")
    assert p.find_units("v") == "mV"
    assert p.find_units("tau_m") == "ms"
    assert p.positions.shape == (3, 6)
    assert p.nearest(p.positions[:, 4]) == p[4]
    assert p.position_generator(2).shape == (3,)
    assert p[1].position.shape == (3,)
    p.annotate(area="V1")
    assert p.annotations["area"] == "V1"
    assert "m" in p.describe()
    s = p.sample(3, rng=NumpyRNG(seed=1))
    assert s.size == 3
    p.set_max_atoms_per_core(2)
    p.add_placement_constraint(1, 0)
    spec = sim.state.runtime.spec.populations[p._spec_id]
    assert spec.max_atoms_per_core == 2
    assert spec.placement == (1, 0)
    p.set_mapping_constraint({"x": 0, "y": 1, "p": 3})
    assert spec.placement == (0, 1, 3)
    assert p.requires_mapping
    p.mark_no_changes()
    q = net.Population.create(net.IF_curr_exp, {"tau_m": 9.0}, n=2)
    assert q.size == 2
    assert q.get("tau_m") == 9.0
    p.set_by_selector(slice(0, 2), "tau_m", 3.0)
    p.set_by_selector([4], {"cm": 0.25})
    assert_array_equal(p.get("tau_m")[:3], [3.0, 3.0, 20.0])
    assert p[4].cm == 0.25


def test_save_positions(net, tmp_path):
    p = net.Population(3, net.IF_curr_exp())
    p.save_positions(str(tmp_path / "pos.txt"))
    assert len((tmp_path / "pos.txt").read_text().strip().splitlines()) >= 3


def test_spike_source_array_sorted_times_and_errors(net):
    s = net.Population(2, net.SpikeSourceArray(spike_times=[[1.0, 2.0], [3.0]]))
    times = s.get("spike_times")
    assert_array_equal(times[0].value, [1.0, 2.0])
    with pytest.raises(errors.InvalidParameterValueError, match=r"sorted"):
        net.Population(1, net.SpikeSourceArray(spike_times=[3.0, 1.0]))
    s.set(spike_times=[5.0, 6.0])
    assert_array_equal(s.get("spike_times")[1].value, [5.0, 6.0])


def test_pynn_07_names_say_what_to_call(net):
    p = net.Population(2, net.IF_curr_exp())
    a = p + net.Population(1, net.IF_curr_exp())
    for name, hint in (
        ("getSpikes", "get_data('spikes')"),
        ("get_v", "get_data('v')"),
        ("get_gsyn", "get_data"),
        ("printSpikes", "write_data"),
        ("print_v", "write_data"),
        ("print_gsyn", "write_data"),
        ("record_v", "record('v')"),
        ("record_gsyn", "record"),
        ("meanSpikeCount", "mean_spike_count()"),
        ("rset", "set("),
        ("tset", "set("),
        ("get_initial_value", "initial_values"),
        ("set_initial_value", "initialize("),
    ):
        with pytest.raises(
            AttributeError,
            match=r"PyNN 0\.7.*"
            + hint.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("]", r"\]"),
        ):
            getattr(p, name)
        assert not hasattr(p[0:1], name)
    assert not hasattr(a, "getSpikes")


def test_assembly(net):
    p = net.Population(3, net.IF_curr_exp(), label="p")
    q = net.Population(2, net.IF_cond_exp(), label="q")
    a = p + q
    assert a.size == 5
    assert a[3] == q[0]
    assert a.get_population("q") is q
    sub = a[1:4]
    assert isinstance(sub, net.Assembly)
    assert sub.size == 3
    a.set(tau_m=11.0)
    assert_array_equal(a.get("tau_m"), 11.0)
    a.initialize(v=-61.0)
    assert q.initial_values["v"].evaluate(simplify=True) == -61.0
    a2 = net.Assembly(p, label="one")
    a2 += q
    assert a2.size == 5
    assert a.receptor_types
    assert a.conductance_based is False
    assert a.id_to_index(q[1]) == 4


def test_empty_and_bad_sizes(net):
    with pytest.raises(errors.InvalidDimensionsError, match=r"at least 1"):
        net.Population(0, net.IF_curr_exp(), label="none")
    p = net.Population((2, 3), net.IF_curr_exp())
    assert p.size == 6


def test_record_unrecordable_variable_names_population_and_changes_nothing(net):
    p = net.Population(2, net.IF_curr_exp(), label="exc")
    with pytest.raises(errors.RecordingError, match=r"'exc'.*gsyn_exc"):
        p.record(["v", "gsyn_exc"])
    assert p.recorder.recorded == {}
    with pytest.raises(errors.RecordingError, match=r"was not recorded"):
        p.get_data("v")


def test_spike_times_replaced_between_runs(net):
    src = net.Population(2, net.SpikeSourceArray(spike_times=[]))
    src.record("spikes")
    net.run(10.0)
    src.set(spike_times=[[12.0, 15.0, 18.0], [17.0, 19.0]])
    net.run(10.0)
    src.set(spike_times=[[22.0, 25.0], [23.0, 27.0, 29.0]])
    net.run(10.0)
    trains = src.get_data().segments[0].spiketrains
    assert_array_equal(trains[0].magnitude, [12.0, 15.0, 18.0, 22.0, 25.0])
    assert_array_equal(trains[1].magnitude, [17.0, 19.0, 23.0, 27.0, 29.0])
    src[0:1].set(spike_times=[40.0, 45.0])
    src[0:1].set(spike_times=[5.0, 41.0])  # scheduled spikes are withdrawn; 5 ms is past
    net.run(20.0)
    assert_array_equal(src.get_data().segments[0].spiketrains[0].magnitude[-1:], [41.0])
    net.reset()  # replays the current spike_times
    net.run(50.0)
    again = src.get_data().segments[1].spiketrains
    assert_array_equal(again[0].magnitude, [5.0, 41.0])
    assert_array_equal(again[1].magnitude, [23.0, 27.0, 29.0])


def test_reset_replays_spike_times_that_drop_loaded_ones(net):
    src = net.Population(1, net.SpikeSourceArray(spike_times=[5.0]), label="src")
    src.record("spikes")
    net.run(10.0)
    src.set(spike_times=[20.0])
    net.reset()
    net.run(30.0)
    assert_array_equal(src.get_data().segments[1].spiketrains[0].magnitude, [20.0])


def test_min_delay_auto_reports_the_smallest_delay_in_use(net):
    p = net.Population(2, net.IF_cond_exp())
    net.Projection(p, p, net.AllToAllConnector(), net.StaticSynapse(weight=0.01, delay=0.5))
    assert net.get_min_delay() == 0.5
    assert net.get_max_delay() == 0.5


def test_bad_sizes_and_indices_name_the_object(net):
    """A wrong-length initial value, an index out of range, mismatched spike times."""
    from pyNN import errors

    p = net.Population(5, net.IF_curr_exp(), label="p")
    inj = net.Population(2, net.SpikeInjector(), label="inj")
    with pytest.raises(errors.InvalidDimensionsError, match=r"Population 'p'.* v.*5"):
        p.initialize(v=np.zeros(3))
    with pytest.raises(
        errors.InvalidDimensionsError, match=r"PopulationView .* of Population 'p'"
    ):
        p[1:3].initialize(v=np.zeros(3))
    for bad in (5, -6, 10):
        with pytest.raises(IndexError, match=rf"Population 'p': neuron index {bad} is out of"):
            p[bad]
    assert p[-5] == p.first_id  # in range from the end still works
    both = net.Assembly(p, inj, label="both")
    with pytest.raises(ValueError, match=r"Assembly 'both': inject_spikes got 2 indices but 3"):
        both.inject_spikes([5, 6], times=[1.0, 2.0, 3.0])
    with pytest.raises(IndexError, match=r"Assembly 'both': neuron index 7 is out of range"):
        both.inject_spikes([5, 7])
    inj.record("spikes")
    net.run(1.0)  # the network is as it was: nothing of the refused calls went in
    assert [len(st) for st in inj.get_data().segments[0].spiketrains] == [0, 0]


def _refused_then_good(refuse: bool) -> tuple[list[str], np.ndarray, int]:
    """A Poisson-driven population, after (or without) populations refused for bad extras."""
    sim.setup(timestep=0.1, seed=21)
    try:
        if refuse:
            bad = (
                (sim.IF_curr_exp(), {"neurons_per_core": -3}),
                (sim.SpikeSourcePoisson(rate=5.0), {"seed": "x"}),
                (sim.IF_curr_exp(), {"n_steps_per_timestep": 2}),
            )
            for cell, extras in bad:
                with pytest.raises(ValueError, match="Population 'bad'"):
                    sim.Population(10, cell, label="bad", additional_parameters=extras)
        drive = sim.Population(20, sim.SpikeSourcePoisson(rate=80.0), label="drive")
        cells = sim.Population(20, sim.IF_curr_exp(), label="cells")
        sim.Projection(drive, cells, sim.OneToOneConnector(), sim.StaticSynapse(weight=3.0))
        cells.record("spikes")
        sim.run(200.0)
        labels = [p.label for p in sim.state.require_runtime().spec.populations]
        trains = cells.get_data().segments[0].spiketrains
        times = np.concatenate([np.asarray(st.magnitude) for st in trains])
        return labels, times, int(drive.first_id)
    finally:
        sim.end()


def test_a_population_refused_for_its_extra_arguments_leaves_the_network_as_it_was():
    """sPyNNaker's extra arguments are checked after the population is made; a refused one
    stayed in the network, was mapped onto cores of its own and shifted the random streams
    of the populations after it (the session went on with a population the user never got)."""
    labels, times, first = _refused_then_good(refuse=True)
    assert labels == ["drive", "cells"]
    assert first == 0
    _, times0, _ = _refused_then_good(refuse=False)
    assert len(times) > 50
    assert_array_equal(times, times0)


def test_a_bad_parameter_value_names_the_population_once():
    sim.setup(timestep=0.1)
    try:
        a = sim.Population(5, sim.IF_curr_exp(), label="cortex")
        with pytest.raises(errors.InvalidParameterValueError) as err:
            a.set(tau_m=-1.0)
        message = str(err.value)
        assert message.lower().count("population 'cortex'") == 1, message
        assert "tau_m" in message
        assert "-1.0" in message
    finally:
        sim.end()
