"""spinstream.pyNN: setup/run/reset/end, state queries, procedural API, the pyNN alias."""

from __future__ import annotations

import importlib
import subprocess
import sys

import numpy as np
import pytest
from pyNN import errors

import spinstream.pyNN as sim
from tests.reference import ReferenceBoard, trivial_plan


@pytest.fixture
def net():
    sim.setup(timestep=0.1, seed=1, board=ReferenceBoard(), mapper=trivial_plan)
    yield sim
    sim.end()


def test_setup_returns_rank_and_sets_queries(net):
    assert net.rank() == 0
    assert net.num_processes() == 1
    assert net.get_time_step() == pytest.approx(0.1)
    assert net.get_min_delay() == pytest.approx(0.1)
    assert net.get_current_time() == 0.0


def test_setup_says_which_options_of_other_backends_have_no_effect(caplog):
    sim.setup(
        timestep=0.5,
        t_flush=10.0,
        db_name="va.sqlite",
        board=ReferenceBoard(),
        mapper=trivial_plan,
    )
    assert sim.get_time_step() == 0.5
    said = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(said) == 1
    assert "t_flush=10.0" in said[0]
    assert "db_name='va.sqlite'" in said[0]
    assert "no effect" in said[0]
    sim.end()


def test_setup_threads_is_an_option_of_spinstream_not_a_foreign_one(caplog):
    # threads runs the engine on T threads: checked against the board, never warned as inert
    sim.setup(timestep=0.5, threads=1, board=ReferenceBoard(), mapper=trivial_plan)
    assert not [r for r in caplog.records if r.levelname == "WARNING"]
    sim.end()
    with pytest.raises(ValueError, match=r"threads=2 was given with a board"):
        sim.setup(timestep=0.5, threads=2, board=ReferenceBoard(), mapper=trivial_plan)
    with pytest.raises(ValueError, match=r"threads must be a whole number.*0"):
        sim.setup(timestep=0.5, threads=0, board=ReferenceBoard(), mapper=trivial_plan)


def test_setup_validates_and_audits_other_backends_options():
    with pytest.raises(Exception, match=r"min_delay"):
        sim.setup(timestep=0.1, min_delay=0.05, board=ReferenceBoard(), mapper=trivial_plan)
    with pytest.raises(Exception, match=r"not a valid argument"):
        sim.setup(timestep=0.1, dt=0.1)
    # no option is silently accepted and ignored: unknown ones and off-grid spikes raise,
    # naming the option and its value
    with pytest.raises(TypeError, match=r"t_flash=10.0"):
        sim.setup(timestep=0.5, t_flash=10.0, board=ReferenceBoard(), mapper=trivial_plan)
    with pytest.raises(ValueError, match=r"spike_precision='off_grid'"):
        sim.setup(timestep=0.5, spike_precision="off_grid", board=ReferenceBoard())
    with pytest.raises(ValueError, match=r"n_chips_required.*-1"):
        sim.setup(timestep=0.5, n_chips_required=-1, board=ReferenceBoard())
    # values that used to be coerced or dropped without a word
    with pytest.raises(ValueError, match=r"chunk must be .* got -5"):
        sim.setup(timestep=0.5, chunk=-5, board=ReferenceBoard())
    with pytest.raises(ValueError, match=r"seed must be an integer >= 0, got 1.5"):
        sim.setup(timestep=0.5, seed=1.5, board=ReferenceBoard())
    with pytest.raises(ValueError, match=r"seed=1 and rng_seed=2 disagree"):
        sim.setup(timestep=0.5, seed=1, rng_seed=2, board=ReferenceBoard())
    # on-grid spikes are what spinstream does; sPyNNaker's chip count is met by the virtual
    # machine, which grows as the network needs
    sim.setup(
        timestep=0.5,
        min_delay=1.0,
        max_delay=10.0,
        spike_precision="on_grid",
        n_chips_required=4,
        board=ReferenceBoard(),
        mapper=trivial_plan,
    )
    assert sim.get_min_delay() == 1.0
    assert sim.get_max_delay() == 10.0
    sim.end()


def test_run_run_until_run_for_and_time(net):
    net.Population(1, net.IF_curr_exp())
    assert net.run(1.0) == pytest.approx(1.0)
    assert net.run_until(2.5) == pytest.approx(2.5)
    assert net.run_for(0.5) == pytest.approx(3.0)
    assert net.get_current_time() == pytest.approx(3.0)
    with pytest.raises(ValueError, match=r"in the past"):
        net.run_until(1.0)


def test_run_callbacks_are_called_at_their_times(net):
    net.Population(1, net.IF_curr_exp())
    seen = []

    def every_two_ms(t):
        seen.append(round(t, 6))
        return t + 2.0

    net.run(6.0, callbacks=[every_two_ms])
    assert seen == [0.0, 2.0, 4.0, 6.0]


def test_reset_goes_back_to_zero_and_keeps_parameters(net):
    p = net.Population(2, net.IF_curr_exp(i_offset=0.5))
    net.run(5.0)
    p.set(tau_m=12.0)
    net.reset()
    assert net.get_current_time() == 0.0
    assert p.get("tau_m") == 12.0


def test_end_makes_objects_stale():
    sim.setup(timestep=0.1, board=ReferenceBoard(), mapper=trivial_plan)
    p = sim.Population(2, sim.IF_curr_exp())
    sim.end()
    sim.setup(timestep=0.1, board=ReferenceBoard(), mapper=trivial_plan)
    with pytest.raises(sim.StaleObjectError, match=r"no longer exists"):
        p.set(tau_m=3.0)
    q = sim.Population(2, sim.IF_curr_exp())
    with pytest.raises(sim.StaleObjectError):
        sim.Projection(p, q, sim.AllToAllConnector())
    with pytest.raises(sim.StaleObjectError, match=r"no longer exists"):
        q + p  # an Assembly
    with pytest.raises(sim.StaleObjectError, match=r"no longer exists"):
        sim.serve(views=[p[0:1]])
    sim.end()


def test_population_before_setup_is_a_clear_error():
    sim.end()
    sim.state.runtime = None
    with pytest.raises(RuntimeError, match=r"setup"):
        sim.Population(1, sim.IF_curr_exp())


def test_list_standard_models_names_every_engine_model():
    names = sim.list_standard_models()
    for name in (
        "IF_curr_exp",
        "IF_cond_exp",
        "IF_curr_alpha",
        "IF_curr_delta",
        "IF_cond_alpha",
        "Izhikevich",
        "EIF_cond_exp_isfa_ista",
        "EIF_cond_alpha_isfa_ista",
        "HH_cond_exp",
        "SpikeSourcePoisson",
        "SpikeSourceArray",
        "SpikeSourceGamma",
        "SpikeSourcePoissonRefractory",
        "SpikeInjector",
    ):
        assert name in names


def test_procedural_api(net):
    cells = net.create(net.IF_curr_exp, {"i_offset": 1.0}, n=3)
    assert cells.size == 3
    assert cells.get("i_offset") == 1.0
    src = net.create(net.SpikeSourceArray(spike_times=[1.0]), n=1)
    prj = net.connect(src, cells, weight=0.5, delay=1.0, p=1.0)
    assert len(prj) == 3
    net.set(cells, tau_m=11.0)
    assert cells.get("tau_m") == 11.0
    net.initialize(cells, v=-60.0)
    assert cells.initial_values["v"].evaluate(simplify=True) == -60.0
    net.record("v", cells, "unused.pkl")
    assert sim.state.write_on_end
    sim.state.write_on_end.clear()


def test_pynn_alias_is_the_same_module():
    assert importlib.import_module("pyNN.spinstream") is sim


def test_pynn_alias_in_a_fresh_interpreter():
    code = (
        "import spinstream, importlib; m = importlib.import_module('pyNN.spinstream'); "
        "import spinstream.pyNN as s; assert m is s; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_unknown_cell_parameter_names_the_population(net):
    p = net.Population(2, net.IF_curr_exp(), label="exc")
    with pytest.raises(errors.NonExistentParameterError, match=r"'exc'.*tau_q"):
        p.set(tau_q=1.0)
    with pytest.raises(errors.InvalidParameterValueError, match=r"'exc'.*tau_m"):
        p.set(tau_m=-1.0)
    assert np.all(p.get("tau_m") == 20.0)  # unchanged


def test_population_size_that_is_not_a_whole_number_names_the_population(net):
    for size in (2.5, "3", None, True):
        with pytest.raises(errors.InvalidDimensionsError, match=r"'odd'.*got"):
            net.Population(size, net.IF_curr_exp(), label="odd")
    assert net.Population(np.int64(3), net.IF_curr_exp(), label="ok").size == 3
