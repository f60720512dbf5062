"""Bad input to the HostBoard: a clear exception that names the culprit, raised before anything
runs, and a board that is unharmed (it runs on afterwards exactly as if nothing had happened).

Every test runs a board for 50 steps, tries something wrong, runs 50 more steps and compares
the whole with a control board that ran 100 steps undisturbed: spikes (Poisson sources and a
noisy current included, so the random generators must be untouched too) and v.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from spinstream.board import HostBoard
from spinstream.model import LateInputError, NetworkSpec, ParameterError
from tests.reference import current_source, network, population, projection, trivial_plan

DT = 0.1
N = 12  # neurons of the IF_curr_exp population "cells"


def good_spec() -> NetworkSpec:
    rng = np.random.default_rng(3)
    pops = [
        population(
            0,
            "SpikeSourceArray",
            3,
            label="stimulus",
            spike_times=[[0.5, 2.0, 6.0], [1.0, 7.5], [3.3]],
        ),
        population(1, "SpikeSourcePoisson", 5, label="noise", rate=300.0),
        population(2, "IF_curr_exp", N, label="cells", i_offset=rng.uniform(0.5, 1.0, N)),
    ]
    projs = [
        projection(0, 0, 2, [0, 1, 2], [0, 5, 9], 2.0, 3),
        projection(
            1, 1, 2, rng.integers(0, 5, 30), rng.integers(0, N, 30), 0.8, 7, rng.integers(0, 2, 30)
        ),
        projection(2, 2, 2, rng.integers(0, N, 40), rng.integers(0, N, 40), 0.5, 12),
    ]
    for i, proj in enumerate(projs):
        proj.label = f"proj{i}"
    sources = [
        current_source(0, "noisy", [(2, range(0, N, 2))], mean=0.2, stdev=0.4, dt=1.0),
        current_source(1, "dc", [(2, [1, 2, 3])], amplitude=0.3, start=1.0),
    ]
    return network(DT, pops, projs, sources, seed=7)


def fresh(spec: NetworkSpec | None = None) -> HostBoard:
    spec = spec or good_spec()
    board = HostBoard()
    board.load(spec, trivial_plan(spec, atoms_per_core=5))
    for pop in spec.populations:
        board.set_recording(pop.id, "spikes", np.arange(pop.size))
    board.set_recording(2, "v", np.arange(N))
    return board


def outcome(results: list[object]) -> dict[str, np.ndarray]:
    out = {}
    for pop in range(3):
        out[f"stamps{pop}"] = np.concatenate([r.spikes[pop][0] for r in results])  # type: ignore[attr-defined]
        out[f"idx{pop}"] = np.concatenate([r.spikes[pop][1] for r in results])  # type: ignore[attr-defined]
    out["v"] = np.concatenate([r.samples[(2, "v")][1] for r in results])  # type: ignore[attr-defined]
    return out


@pytest.fixture(scope="module")
def control() -> dict[str, np.ndarray]:
    board = fresh()
    result = outcome([board.run(50), board.run(50)])
    assert all(len(result[f"stamps{p}"]) > 0 for p in range(3))
    return result


def assert_refused(
    control: dict[str, np.ndarray],
    attempt: Callable[[HostBoard], object],
    match: str,
    error: type[Exception] = ParameterError,
) -> HostBoard:
    board = fresh()
    first = board.run(50)
    with pytest.raises(error, match=match):
        attempt(board)
    assert board.step == 50
    got = outcome([first, board.run(50)])
    for key, value in control.items():
        assert_array_equal(got[key], value, err_msg=key)
    return board


# --- loading a bad network ------------------------------------------------------------


def bad(change: Callable[[NetworkSpec], object]) -> Callable[[HostBoard], object]:
    """An attempt to load a broken copy of the good network onto a board already running."""

    def attempt(board: HostBoard) -> None:
        spec = copy.deepcopy(good_spec())
        change(spec)
        board.load(spec, trivial_plan(spec, atoms_per_core=4))

    return attempt


def set_model(spec: NetworkSpec) -> None:
    spec.populations[2].model = "IF_curr_expp"


def drop_param(spec: NetworkSpec) -> None:
    del spec.populations[2].params["tau_m"]


def add_param(spec: NetworkSpec) -> None:
    spec.populations[2].params["tau_mem"] = np.full(N, 10.0)


def add_initial(spec: NetworkSpec) -> None:
    spec.populations[2].initial["vm"] = np.full(N, -60.0)


def short_param(spec: NetworkSpec) -> None:
    spec.populations[2].params["v_thresh"] = np.full(N - 2, -50.0)


def set_param(name: str, index: int, value: float, pop: int = 2) -> Callable[[NetworkSpec], None]:
    def change(spec: NetworkSpec) -> None:
        spec.populations[pop].params[name][index] = value

    return change


def set_synapse(field: str, k: int, value: float, proj: int = 2) -> Callable[[NetworkSpec], None]:
    def change(spec: NetworkSpec) -> None:
        getattr(spec.projections[proj], field)[k] = value

    return change


def onto_a_source(spec: NetworkSpec) -> None:
    spec.projections[1].post = 0
    spec.projections[1].post_index[:] = 0


def current_into_a_source(spec: NetworkSpec) -> None:
    spec.current_sources[1].targets = [(1, np.array([0]))]


def current_out_of_range(spec: NetworkSpec) -> None:
    spec.current_sources[1].targets = [(2, np.array([3, N]))]


def noisy_dt(spec: NetworkSpec) -> None:
    spec.current_sources[0].params["dt"] = 0.15


def current_kind(spec: NetworkSpec) -> None:
    spec.current_sources[1].kind = "square"


def refractory_too_fast(spec: NetworkSpec) -> None:
    pop = population(
        3, "SpikeSourcePoissonRefractory", 2, label="fast", rate=600.0, tau_refrac=2.0
    )
    spec.populations.append(pop)


MAX = 16383  # longest delay in steps (14 bits)

BAD_NETWORKS = {
    "unknown model": (set_model, r"'cells'.*'IF_curr_expp'"),
    "missing parameter": (drop_param, r"'cells'.*'tau_m'.*missing"),
    "unknown parameter": (add_param, r"'cells'.*'tau_mem'"),
    "unknown initial value": (add_initial, r"'cells'.*'vm'"),
    "parameter of the wrong length": (short_param, r"'cells'.*'v_thresh'.*12"),
    "negative tau_m": (set_param("tau_m", 4, -3.0), r"'cells'.*'tau_m'.*-3"),
    "zero cm": (set_param("cm", 0, 0.0), r"'cells'.*'cm'.*> 0"),
    "negative tau_syn_E": (set_param("tau_syn_E", 11, -1.0), r"'cells'.*'tau_syn_E'"),
    "negative tau_refrac": (set_param("tau_refrac", 1, -0.5), r"'cells'.*'tau_refrac'"),
    "nan threshold": (set_param("v_thresh", 1, np.nan), r"'cells'.*'v_thresh'"),
    "negative rate": (set_param("rate", 2, -5.0, pop=1), r"'noise'.*'rate'"),
    "rate too high for tau_refrac": (refractory_too_fast, r"'fast'.*tau_refrac"),
    "post index out of range": (set_synapse("post_index", 3, N), rf"proj2.*index {N}.*\[0, {N}\)"),
    "pre index out of range": (set_synapse("pre_index", 0, -1), r"proj2.*index -1.*\[0, 12\)"),
    "delay 0": (set_synapse("delay_steps", 5, 0), rf"proj2.*delay.*0.*\[1, {MAX}\]"),
    "delay beyond the maximum": (
        set_synapse("delay_steps", 5, MAX + 1),
        rf"proj2.*delay.*{MAX + 1}.*\[1, {MAX}\]",
    ),
    "negative weight": (set_synapse("weight", 2, -0.5), r"proj2.*weight.*-0.5"),
    "nan weight": (set_synapse("weight", 2, np.nan), r"proj2.*weight.*nan"),
    "unknown receptor": (set_synapse("receptor", 1, 2), r"proj2.*receptor.*2"),
    "projection onto a spike source": (onto_a_source, r"proj1.*'stimulus'.*spike source"),
    "current into a spike source": (current_into_a_source, r"current source 1.*'noise'"),
    "current source index out of range": (current_out_of_range, rf"'cells'.*index {N}"),
    "noise dt not a multiple of dt": (noisy_dt, r"current source 0.*0\.15.*multiple.*0\.1"),
    "unknown current source kind": (current_kind, r"current source 1.*'square'"),
}


@pytest.mark.parametrize(("change", "match"), BAD_NETWORKS.values(), ids=list(BAD_NETWORKS))
def test_bad_network_is_refused_and_the_loaded_one_runs_on(
    control: dict[str, np.ndarray], change: Callable[[NetworkSpec], None], match: str
) -> None:
    assert_refused(control, bad(change), match)


def test_a_fresh_board_that_fails_to_load_stays_empty_and_can_load_later(
    control: dict[str, np.ndarray],
) -> None:
    board = HostBoard()
    with pytest.raises(ParameterError, match="tau_mem"):
        bad(add_param)(board)
    with pytest.raises(Exception, match="no network is loaded"):
        board.run(1)
    board.load(good_spec(), trivial_plan(good_spec(), atoms_per_core=5))
    for pop in range(3):
        board.set_recording(pop, "spikes", np.arange([3, 5, N][pop]))
    board.set_recording(2, "v", np.arange(N))
    got = outcome([board.run(100)])
    for key, value in control.items():
        assert_array_equal(got[key], value, err_msg=key)


# --- bad calls between runs ------------------------------------------------------------

I = np.array  # noqa: E741 - short for the index and value arrays below


BAD_CALLS: dict[str, tuple[Callable[[HostBoard], object], str]] = {
    "negative run length": (lambda b: b.run(-5), r"-5"),
    "unknown state variable (get)": (lambda b: b.get_state(2, "vm", I([0])), r"'cells'.*'vm'"),
    "unknown state variable (set)": (
        lambda b: b.set_state(2, "vm", I([0]), I([1.0])),
        r"'cells'.*'vm'",
    ),
    "unknown state variable (record)": (
        lambda b: b.set_recording(2, "gsyn_exc", I([0])),
        r"'cells'.*'gsyn_exc'",
    ),
    "hidden state variable": (lambda b: b.get_state(2, "_p22", I([0])), r"'_p22'"),
    "state of a spike source": (lambda b: b.get_state(1, "v", I([0])), r"'noise'.*'v'"),
    "unknown parameter (get)": (
        lambda b: b.get_parameters(2, "tau_mem", I([0])),
        r"'cells'.*'tau_mem'",
    ),
    "unknown parameter (set)": (
        lambda b: b.set_parameters(2, "tau_mem", I([0]), I([1.0])),
        r"'cells'.*'tau_mem'",
    ),
    "negative tau_m (set)": (
        lambda b: b.set_parameters(2, "tau_m", I([0, 1]), I([5.0, -1.0])),
        r"'cells'.*'tau_m'",
    ),
    "zero cm (set)": (lambda b: b.set_parameters(2, "cm", I([3]), I([0.0])), r"'cells'.*'cm'"),
    "negative rate (set)": (
        lambda b: b.set_parameters(1, "rate", I([0]), I([-1.0])),
        r"'noise'.*'rate'",
    ),
    "index out of range (get)": (lambda b: b.get_state(2, "v", I([0, N])), rf"'cells'.*{N}"),
    "negative index (set)": (lambda b: b.set_state(2, "v", I([-1]), I([0.0])), r"'cells'.*-1"),
    "index out of range (set parameter)": (
        lambda b: b.set_parameters(2, "tau_m", I([1, 99]), I([5.0, 5.0])),
        r"'cells'.*99",
    ),
    "index out of range (record)": (lambda b: b.set_recording(2, "v", I([0, 40])), r"'cells'.*40"),
    "index out of range (schedule)": (
        lambda b: b.schedule_spikes(0, I([7]), I([60])),
        r"'stimulus'.*7",
    ),
    "unknown population": (lambda b: b.get_state(3, "v", I([0])), r"population 3"),
    "negative population": (lambda b: b.set_state(-1, "v", I([0]), I([0.0])), r"population -1"),
    "unknown population (record)": (
        lambda b: b.set_recording(5, "spikes", I([0])),
        r"population 5",
    ),
    "unknown population (schedule)": (
        lambda b: b.schedule_spikes(9, I([0]), I([60])),
        r"population 9",
    ),
    "non-finite state": (lambda b: b.set_state(2, "v", I([0]), I([np.inf])), r"'v'"),
    "schedule_spikes on neurons": (
        lambda b: b.schedule_spikes(2, I([0]), I([60])),
        r"'cells'.*IF_curr_exp",
    ),
    "schedule_spikes on Poisson": (
        lambda b: b.schedule_spikes(1, I([0]), I([60])),
        r"'noise'.*SpikeSourcePoisson",
    ),
    "noise dt not a multiple of dt (set)": (
        lambda b: b.set_current_source(0, {"mean": 5.0, "stdev": 0.0, "dt": 0.25}),
        r"current source 0.*0\.25.*multiple",
    ),
    "step times and amplitudes differ (set)": (
        lambda b: b.set_current_source(1, {"amplitude": 9.0, "times": [1.0], "amplitudes": []}),
        r"current source 1",
    ),
    "unknown current source": (lambda b: b.set_current_source(4, {"amplitude": 1.0}), r"4"),
    "interval 0": (lambda b: b.set_recording(2, "v", I([0]), interval_steps=0), r"interval"),
}


@pytest.mark.parametrize(("attempt", "match"), BAD_CALLS.values(), ids=list(BAD_CALLS))
def test_bad_call_is_refused_and_changes_nothing(
    control: dict[str, np.ndarray], attempt: Callable[[HostBoard], object], match: str
) -> None:
    assert_refused(control, attempt, match)


def test_late_spikes_are_refused_and_change_nothing(control: dict[str, np.ndarray]) -> None:
    assert_refused(
        control,
        lambda b: b.schedule_spikes(0, I([0, 1]), I([70, 49])),
        r"49.*step 50|step 50.*49",
        LateInputError,
    )


def test_refused_parameter_changes_leave_the_old_values() -> None:
    board = fresh()
    before = board.get_parameters(2, "tau_m", np.arange(N))
    with pytest.raises(ParameterError):
        board.set_parameters(2, "tau_m", np.arange(N), np.where(np.arange(N) == 7, -1.0, 3.0))
    assert_array_equal(board.get_parameters(2, "tau_m", np.arange(N)), before)


def test_messages_name_the_allowed_range() -> None:
    spec = good_spec()
    spec.projections[0].delay_steps[0] = 0
    with pytest.raises(ParameterError) as info:
        HostBoard().load(spec, trivial_plan(spec))
    assert re.search(r"\[1, 16383\]", str(info.value))
    assert "proj0" in str(info.value)
