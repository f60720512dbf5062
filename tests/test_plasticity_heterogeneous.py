"""Plasticity rule parameters that differ from synapse to synapse within one projection.

Each synapse must follow its own rule exactly: its Tsodyks-Markram jumps match the closed
form for its own U (and tau_rec), its STDP weight the closed form for its own A_plus;
through PyNN, values given as functions of distance, random distributions and lists reach
the engine, read back with get(), and change with set() while the network is at step 0.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from pyNN import errors

from spinstream.model import (
    EXCITATORY,
    NetworkSpec,
    ParameterError,
    PopulationSpec,
    ProjectionSpec,
    STDPSpec,
    TsodyksMarkramSpec,
)
from spinstream.model._spec import MAX_RULES
from spinstream.session import Runtime
from tests.engine import require_engine
from tests.fakes import trivial_plan
from tests.test_plasticity import DELTA_CELL, LIF_CELL, cells, reference_tm

HostBoard = require_engine()

DT = 0.1
TIMES = np.array([5.0, 15.0, 25.0, 35.0, 45.0, 120.0, 122.5, 300.0])


def load(spec: NetworkSpec) -> HostBoard:
    board = HostBoard()
    board.load(spec, trivial_plan(spec))
    return board


def fan_out(
    n: int, rule: object, weight: float, rule_params: dict[str, np.ndarray]
) -> NetworkSpec:
    """One source (spikes at TIMES) onto ``n`` silent LIF neurons, one synapse each."""
    spec = NetworkSpec(dt=DT, seed=1)
    cell = dict(LIF_CELL, v_thresh=1000.0)
    spec.populations += [
        PopulationSpec(0, "pre", 1, "SpikeSourceArray", spike_times=[TIMES]),
        PopulationSpec(1, "post", n, "IF_curr_exp", cells(n, cell), {"v": np.full(n, -65.0)}),
    ]
    spec.projections.append(
        ProjectionSpec(
            0,
            0,
            1,
            np.zeros(n, np.int64),
            np.arange(n),
            np.full(n, weight),
            np.ones(n, np.int64),
            np.full(n, EXCITATORY),
            "fan",
            rule,  # type: ignore[arg-type]
            rule_params,
        )
    )
    return spec


def jumps(board: HostBoard, n: int, tau_syn: float, steps: int = 3100) -> np.ndarray:
    """Each target's isyn_exc jump at each presynaptic spike: (spikes, n)."""
    board.set_recording(1, "isyn_exc", np.arange(n))
    res = board.run(steps)
    stamps, isyn = res.samples[(1, "isyn_exc")]
    decay = math.exp(-DT / tau_syn)
    out = []
    for t in TIMES:
        k = int(np.flatnonzero(stamps == round(t / DT) + 1)[0])
        out.append(isyn[k] - isyn[k - 1] * decay)
    return np.array(out)


# ------------------------------------------------------------------ engine (HostBoard)


def test_each_synapse_follows_its_own_tsodyks_markram_parameters() -> None:
    # one presynaptic neuron, so its row holds a segment per distinct rule on one core
    u = np.array([0.1, 0.5, 0.9, 0.5])
    tau_rec = np.array([50.0, 100.0, 100.0, 100.0])  # the last two share a rule
    base = TsodyksMarkramSpec(U=0.5, tau_rec=100.0, tau_facil=20.0)
    w = 0.7
    board = load(fan_out(4, base, w, {"U": u, "tau_rec": tau_rec}))
    assert len(board._blocks.rules) == 3
    got = jumps(board, 4, LIF_CELL["tau_syn_E"])
    for k in range(4):
        rule = TsodyksMarkramSpec(U=float(u[k]), tau_rec=float(tau_rec[k]), tau_facil=20.0)
        assert_allclose(got[:, k], w * reference_tm(rule, TIMES, LIF_CELL["tau_syn_E"]), rtol=1e-9)
    assert not np.allclose(got[:, 0], got[:, 1])  # not vacuous


def test_each_synapse_follows_its_own_a_plus() -> None:
    # pre at 10 and 40 ms; a teacher makes every target fire at 14.3 ms; the pair each way
    # changes each synapse's weight by its own A_plus
    n, w0, d = 3, 0.8, 15
    a_plus = np.array([0.01, 0.05, 0.2])
    w_max = np.array([2.0, 2.0, 1.5])
    rule = STDPSpec(16.8, 33.7, 0.05, 0.0525, 0.0, 2.0, "additive")
    spec = NetworkSpec(dt=DT, seed=1)
    spec.populations += [
        PopulationSpec(0, "pre", 1, "SpikeSourceArray", spike_times=[np.array([10.0, 40.0])]),
        PopulationSpec(1, "teacher", 1, "SpikeSourceArray", spike_times=[np.array([14.2])]),
        PopulationSpec(
            2, "post", n, "IF_curr_delta", cells(n, DELTA_CELL), {"v": np.full(n, -65.0)}
        ),
    ]
    zeros, targets = np.zeros(n, np.int64), np.arange(n)
    spec.projections += [
        ProjectionSpec(
            0,
            0,
            2,
            zeros,
            targets,
            np.full(n, w0),
            np.full(n, d),
            np.full(n, EXCITATORY),
            "stdp",
            rule,
            {"A_plus": a_plus, "w_max": w_max},
        ),
        ProjectionSpec(
            1, 1, 2, zeros, targets, np.full(n, 100.0), np.ones(n, np.int64), zeros, "teacher"
        ),
    ]
    board = load(spec)
    board.run(500)
    k_plus = math.exp(-(14.3 + 1.5 - 10.0) / rule.tau_plus)
    k_minus = math.exp(-(40.0 - (14.3 + 1.5)) / rule.tau_minus)
    expected = w0 + a_plus * w_max * k_plus - rule.A_minus * w_max * k_minus
    assert_allclose(board.get_weights(0), expected, rtol=1e-12)
    assert len(np.unique(board.get_weights(0))) == n


def test_weights_are_checked_against_their_own_synapse_bounds() -> None:
    rule = STDPSpec(20.0, 20.0, 0.01, 0.01, 0.0, 1.0)
    spec = fan_out(3, rule, 0.8, {"w_max": np.array([1.0, 0.5, 1.0])})
    with pytest.raises(ParameterError, match=r"weight 0.8 of synapse 1 .*\[0.0, 0.5\]"):
        load(spec)
    spec = fan_out(3, rule, 0.8, {"w_min": np.array([0.0, 0.0, 0.9]), "w_max": np.ones(3)})
    with pytest.raises(ParameterError, match=r"'fan'.*weight 0.8 of synapse 2"):
        load(spec)


async def test_changed_weights_are_checked_against_their_own_synapse_bounds() -> None:
    rule = STDPSpec(20.0, 20.0, 0.01, 0.01, 0.0, 1.0)
    spec = fan_out(3, rule, 0.4, {"w_max": np.array([1.0, 0.5, 1.0])})
    board = load(spec)
    board.set_synapses(0, np.array([0, 2]), weight=0.9)  # within their own bounds
    with pytest.raises(ParameterError, match=r"weight 0.9 of synapse 0 .*\[0.0, 0.5\]"):
        board.set_synapses(0, np.array([1]), weight=0.9)
    assert_allclose(board.get_weights(0), [0.9, 0.4, 0.9])
    rt = Runtime(dt=DT, board=HostBoard(), mapper=trivial_plan, seed=1)
    for p in fan_out(3, rule, 0.4, {"w_max": np.array([1.0, 0.5, 1.0])}).populations:
        rt.add_population(p)
    rt.add_projection(spec.projections[0])
    await rt.run_steps(10)
    rt.set_synapses(0, [0], weight=0.9)
    with pytest.raises(ParameterError, match=r"weight 0.6 of synapse 0 .*\[0.0, 0.5\]"):
        rt.set_synapses(0, [1], weight=0.6)
    await rt.run_steps(10)
    assert_allclose(rt.board.get_weights(0)[[0, 1]], [0.9, 0.4], atol=0.05)


@pytest.mark.parametrize(
    ("rule", "params", "match"),
    [
        (
            TsodyksMarkramSpec(0.5, 100.0, 0.0),
            {"U": np.array([0.5, 1.5, 0.2])},
            r"'fan', synapse 1: U = 1.5 must lie in \[0, 1\]",
        ),
        (
            STDPSpec(20.0, 20.0, 0.01, 0.01, 0.0, 1.0),
            {"w_min": np.array([0.0, 0.0, 0.2]), "w_max": np.array([1.0, 1.0, 0.1])},
            "synapse 2: w_min = 0.2 is greater than w_max = 0.1",
        ),
        (
            STDPSpec(20.0, 20.0, 0.01, 0.01, 0.0, 1.0),
            {"tau_minus": np.array([20.0, 10.0, 20.0])},
            "tau_minus cannot vary per synapse",
        ),
        (
            TsodyksMarkramSpec(0.5, 100.0, 0.0),
            {"U": np.array([0.5, 0.2])},
            "one value per synapse",
        ),
    ],
)
def test_bad_per_synapse_values_are_refused_at_load(
    rule: object, params: dict[str, np.ndarray], match: str
) -> None:
    with pytest.raises(ParameterError, match=match):
        load(fan_out(3, rule, 0.1, params))


def test_too_many_distinct_rules_are_refused_with_a_hint() -> None:
    n = MAX_RULES + 1
    spec = fan_out(n, TsodyksMarkramSpec(0.5, 100.0, 0.0), 0.1, {"U": np.linspace(0, 1, n)})
    with pytest.raises(ParameterError, match=r"'fan'.*more than \d+ distinct.*fewer distinct"):
        load(spec)


# ------------------------------------------------------------------ PyNN front end


@pytest.fixture
def sim():  # type: ignore[no-untyped-def]
    import spinstream.pyNN as sim

    sim.setup(timestep=DT, min_delay=DT)
    yield sim
    sim.end()


def delta_v_jumps(v: np.ndarray) -> np.ndarray:
    """Jumps of v (one column per neuron) at each spike of TIMES, delivered a step later."""
    idx = np.round(TIMES / DT).astype(int) + 1
    return v[idx] - v[idx - 1]


def instant_tm(u: float, tau_rec: float) -> np.ndarray:
    """u*x per spike when used resources are inactive at once (a delta synapse)."""
    x, out, last = 1.0, [], 0.0
    for t in TIMES:
        x = 1.0 - (1.0 - x) * math.exp(-(t - last) / tau_rec)
        out.append(u * x)
        x -= u * x
        last = t
    return np.array(out)


def test_pynn_u_from_distance_random_and_list_reads_back(sim) -> None:  # type: ignore[no-untyped-def]
    a = sim.Population(4, sim.SpikeSourceArray(spike_times=[5.0]))
    b = sim.Population(3, sim.IF_curr_exp())
    by_distance = sim.Projection(
        a, b, sim.AllToAllConnector(), sim.TsodyksMarkramSynapse(U=lambda d: 0.1 + 0.05 * d)
    )
    i, j, u = np.array(by_distance.get("U", format="list")).T
    assert_allclose(u, 0.1 + 0.05 * np.abs(i - j), rtol=1e-12)
    drawn = sim.Projection(
        a,
        b,
        sim.AllToAllConnector(),
        sim.TsodyksMarkramSynapse(
            U=sim.RandomDistribution("uniform", (0.2, 0.8), rng=sim.NumpyRNG(seed=3))
        ),
    )
    u = drawn.get("U", format="array")
    assert np.all((u >= 0.2) & (u <= 0.8))
    assert len(np.unique(u)) == 12
    listed = sim.Projection(
        a,
        b,
        sim.FromListConnector([(0, 0, 0.3), (1, 2, 0.6), (3, 1, 0.9)], column_names=["U"]),
        sim.TsodyksMarkramSynapse(tau_rec=50.0),
    )
    assert sorted(listed.get(["U", "tau_rec"], format="list")) == [
        (0, 0, 0.3, 50.0),
        (1, 2, 0.6, 50.0),
        (3, 1, 0.9, 50.0),
    ]
    # what the engine is given: one value per synapse
    specs = sim.state.runtime.spec.projections
    part = specs[drawn._parts[0][0]]
    assert part.rule_params is not None
    assert_array_equal(np.sort(part.rule_params["U"]), np.sort(u.ravel()))
    sim.run(10.0)


def test_pynn_set_rule_parameters_at_step_0_only(sim) -> None:  # type: ignore[no-untyped-def]
    a = sim.Population(2, sim.SpikeSourceArray(spike_times=list(TIMES)))
    b = sim.Population(2, sim.IF_curr_delta(tau_m=1e9, v_thresh=1000.0))
    b.record("v")
    proj = sim.Projection(
        a, b, sim.AllToAllConnector(), sim.TsodyksMarkramSynapse(U=0.5, tau_rec=80.0, weight=1.0)
    )
    # a list: one value per connected pair, in (pre, post) order, as in PyNN
    proj.set(U=[0.1, 0.2, 0.3, 0.4])
    assert_array_equal(proj.get("U", format="array"), [[0.1, 0.2], [0.3, 0.4]])
    proj.set(tau_rec=np.array([[80.0, 80.0], [80.0, 40.0]]))
    sim.run(310.0)
    v = b.get_data().segments[0].analogsignals[0].magnitude
    got = delta_v_jumps(v)
    # target j receives from both sources at once: the sum of their two synapses
    assert_allclose(got[:, 0], instant_tm(0.1, 80.0) + instant_tm(0.3, 80.0), rtol=1e-6)
    assert_allclose(got[:, 1], instant_tm(0.2, 80.0) + instant_tm(0.4, 40.0), rtol=1e-6)
    with pytest.raises(errors.InvalidParameterValueError, match=r"U can be changed only .*step 0"):
        proj.set(U=0.3)
    assert_array_equal(proj.get("U", format="array"), [[0.1, 0.2], [0.3, 0.4]])
    sim.reset()
    proj.set(U=0.3)  # right after reset: the network is loaded anew at the next run
    assert_array_equal(proj.get("U", format="array"), np.full((2, 2), 0.3))
    sim.run(310.0)
    v = b.get_data().segments[-1].analogsignals[0].magnitude
    got = delta_v_jumps(v)
    assert_allclose(got[:, 0], 2 * instant_tm(0.3, 80.0), rtol=1e-6)
    assert_allclose(got[:, 1], instant_tm(0.3, 80.0) + instant_tm(0.3, 40.0), rtol=1e-6)


def test_pynn_a_rule_and_its_per_synapse_variant_onto_one_population(sim) -> None:  # type: ignore[no-untyped-def]
    a = sim.Population(1, sim.SpikeSourceArray(spike_times=list(TIMES)))
    b = sim.Population(2, sim.SpikeSourceArray(spike_times=list(TIMES)))
    post = sim.Population(3, sim.IF_curr_delta(tau_m=1e9, v_thresh=1000.0))
    post.record("v")
    uniform = sim.TsodyksMarkramSynapse(U=0.5, tau_rec=80.0, weight=1.0)
    sim.Projection(a, post[0:1], sim.AllToAllConnector(), uniform)
    varied = sim.TsodyksMarkramSynapse(tau_rec=80.0, weight=1.0)
    sim.Projection(
        b,
        post[1:3],
        sim.FromListConnector([(0, 0, 0.5), (1, 1, 0.2)], column_names=["U"]),
        varied,
    )
    sim.run(310.0)
    v = post.get_data().segments[0].analogsignals[0].magnitude
    got = delta_v_jumps(v)
    assert_allclose(got[:, 0], instant_tm(0.5, 80.0), rtol=1e-6)
    assert_allclose(got[:, 1], instant_tm(0.5, 80.0), rtol=1e-6)
    assert_allclose(got[:, 2], instant_tm(0.2, 80.0), rtol=1e-6)
    assert len(sim.state.runtime.board._blocks.rules) == 2  # U = 0.5 is shared


def test_pynn_stdp_parameters_vary_but_tau_minus_does_not(sim) -> None:  # type: ignore[no-untyped-def]
    a = sim.Population(3, sim.SpikeSourceArray(spike_times=[10.0, 40.0]))
    b = sim.Population(3, sim.IF_curr_exp())
    rule = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(
            tau_plus=20.0, tau_minus=20.0, A_plus=lambda d: 0.01 * (d + 1), A_minus=0.01
        ),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=lambda d: 0.5 + 0.1 * d),
        weight=0.5,
    )
    proj = sim.Projection(a, b, sim.AllToAllConnector(), rule)
    a_plus, w_max = proj.get(["A_plus", "w_max"], format="array")
    d = np.abs(np.arange(3)[:, None] - np.arange(3)[None, :])
    assert_allclose(a_plus, 0.01 * (d + 1))
    assert_allclose(w_max, 0.5 + 0.1 * d)
    # a weight above one synapse's own w_max names that connection
    with pytest.raises(errors.ConnectionError, match=r"weight 0.55 of connection \d+ \(0 -> 0\)"):
        proj.set(weight=0.55)
    with pytest.raises(errors.ConnectionError, match=r"\(1 -> 1\)"):
        proj.set(w_max=np.array([[0.5, 1.0, 1.0], [1.0, 0.4, 1.0], [1.0, 1.0, 0.5]]))
    with pytest.raises(errors.InvalidParameterValueError, match="tau_minus must be one value"):
        proj.set(tau_minus=lambda d: 20.0 + d)
    with pytest.raises(errors.InvalidParameterValueError, match="tau_minus must be one value"):
        sim.Projection(
            a,
            b,
            sim.AllToAllConnector(),
            sim.STDPMechanism(
                timing_dependence=sim.SpikePairRule(
                    tau_minus=sim.RandomDistribution("uniform", (10.0, 20.0))
                ),
                weight_dependence=sim.AdditiveWeightDependence(),
                weight=0.5,
            ),
        )
    proj.set(A_plus=0.02)
    assert_array_equal(proj.get("A_plus", format="array"), np.full((3, 3), 0.02))
    sim.run(50.0)


def test_pynn_bad_per_synapse_values_name_parameter_and_value(sim) -> None:  # type: ignore[no-untyped-def]
    a = sim.Population(2, sim.SpikeSourceArray(spike_times=[5.0]))
    b = sim.Population(2, sim.IF_curr_exp())
    with pytest.raises(
        errors.InvalidParameterValueError, match=r"connection \d+ \(1 -> 0\): U = 1.5 must lie"
    ):
        sim.Projection(
            a,
            b,
            sim.FromListConnector([(0, 0, 0.5), (1, 0, 1.5)], column_names=["U"]),
            sim.TsodyksMarkramSynapse(),
        )
    proj = sim.Projection(a, b, sim.AllToAllConnector(), sim.TsodyksMarkramSynapse(U=0.5))
    with pytest.raises(errors.InvalidParameterValueError, match=r"tau_rec = -1\.0 ms must be > 0"):
        proj.set(tau_rec=[100.0, -1.0, 100.0, 100.0])
    with pytest.raises(errors.InvalidParameterValueError, match="needs one per connected"):
        proj.set(U=[0.5, 0.5])
    assert_array_equal(proj.get(["U", "tau_rec"], format="array")[1], np.full((2, 2), 100.0))
    sim.run(10.0)
