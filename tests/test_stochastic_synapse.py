"""Stochastic release (PyNN's SimpleStochasticSynapse): statistics, independence, seeds.

Arrivals are counted exactly: the targets are IF_curr_delta neurons that never fire and
barely leak (tau_m = 1e9 ms), with weight 1, so each arrival is a jump of 1 mV in v at the
step after the presynaptic spike.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from pyNN import errors

import spinstream
from spinstream.model import (
    EXCITATORY,
    NetworkSpec,
    ParameterError,
    PopulationSpec,
    ProjectionSpec,
    StochasticSpec,
)
from tests.engine import require_engine
from tests.fakes import trivial_plan

HostBoard = require_engine()

DT = 1.0
N_SPIKES = 2000
QUIET_DELTA = {
    "v_rest": 0.0,
    "cm": 1.0,
    "tau_m": 1e9,
    "tau_refrac": 0.0,
    "i_offset": 0.0,
    "v_reset": 0.0,
    "v_thresh": 1e9,
}


def spec_with(p: list[float], seed: int = 1, n_spikes: int = N_SPIKES) -> NetworkSpec:
    """One source spiking every step onto ``len(p)`` quiet delta neurons, synapse k with p[k]."""
    n = len(p)
    spec = NetworkSpec(dt=DT, seed=seed)
    times = np.arange(1, n_spikes + 1) * DT
    spec.populations += [
        PopulationSpec(0, "pre", 1, "SpikeSourceArray", spike_times=[times]),
        PopulationSpec(
            1,
            "post",
            n,
            "IF_curr_delta",
            {k: np.full(n, v) for k, v in QUIET_DELTA.items()},
            {"v": np.zeros(n)},
        ),
    ]
    spec.projections.append(
        ProjectionSpec(
            0,
            0,
            1,
            np.zeros(n, np.int64),
            np.arange(n),
            np.ones(n),
            np.ones(n, np.int64),
            np.full(n, EXCITATORY),
            "stochastic",
            StochasticSpec(p[0]),
            {"p": np.array(p, dtype=np.float64)} if len(set(p)) > 1 else None,
        )
    )
    return spec


def arrivals(spec: NetworkSpec, chunks: list[int]) -> np.ndarray:
    """Run in the given chunks; return arrivals per step (rows) and synapse (columns)."""
    board = HostBoard()
    board.load(spec, trivial_plan(spec))
    n = spec.populations[1].size
    board.set_recording(1, "v", np.arange(n))
    stamps, values = [], []
    for c in chunks:
        s, v = board.run(c).samples[(1, "v")]
        stamps.append(s)
        values.append(v)
    v = np.concatenate(values)
    assert_array_equal(np.concatenate(stamps), np.arange(sum(chunks) + 1))
    jumps = np.diff(v, axis=0)
    out = np.rint(jumps)
    assert np.all(np.abs(jumps - out) < 1e-3)  # whole arrivals (and a leak of ~1e-6)
    assert np.all((out == 0) | (out == 1))
    return out.astype(np.int64)


def test_release_counts_follow_p() -> None:
    got = arrivals(spec_with([0.0, 0.3, 1.0]), [N_SPIKES + 5])
    counts = got.sum(axis=0)
    assert counts[0] == 0
    assert counts[2] == N_SPIKES
    mean, sigma = 0.3 * N_SPIKES, math.sqrt(N_SPIKES * 0.3 * 0.7)
    assert abs(counts[1] - mean) < 4 * sigma, counts
    # p = 1 delivers each spike one delay later: step k + 1 for the spike stamped k + 1
    assert_array_equal(np.flatnonzero(got[:, 2]), np.arange(1, N_SPIKES + 1))


def test_synapses_from_one_source_draw_independently() -> None:
    got = arrivals(spec_with([0.5, 0.5, 0.5, 0.5]), [N_SPIKES + 5])
    for a in range(4):
        for b in range(a + 1, 4):
            assert not np.array_equal(got[:, a], got[:, b])
            # independent: both transmit a quarter of the time (4 sigma)
            both = int(np.sum(got[:, a] & got[:, b]))
            assert abs(both - N_SPIKES / 4) < 4 * math.sqrt(N_SPIKES * 0.25 * 0.75)


def test_same_seed_same_arrivals_whatever_the_chunking() -> None:
    p = [0.2, 0.5, 0.5, 0.9]
    n_steps = 7 * 43
    one = arrivals(spec_with(p, seed=5, n_spikes=300), [n_steps])
    sevens = arrivals(spec_with(p, seed=5, n_spikes=300), [7] * 43)
    assert_array_equal(one, sevens)
    other = arrivals(spec_with(p, seed=6, n_spikes=300), [n_steps])
    assert not np.array_equal(one, other)


def test_stochastic_synapses_keep_no_state_but_their_weight() -> None:
    spec = spec_with([0.25, 0.75, 0.25])
    board = HostBoard()
    board.load(spec, trivial_plan(spec))
    board.run(50)
    stats = board.plastic_statistics()
    assert stats is not None
    assert stats.synapses == 3
    assert stats.stdp_synapses == 0
    assert stats.ring_capacity == 0
    # the synapse words and weights, and each row segment's header, number and state
    assert stats.bytes == 3 * (4 + 8) + stats.segments * 40
    assert_array_equal(board.get_weights(0), [1.0, 1.0, 1.0])


@pytest.mark.parametrize("p", [1.5, -0.1, float("nan")])
def test_bad_p_is_refused_at_load(p: float) -> None:
    spec = spec_with([0.5, 0.5])
    spec.projections[0].plasticity = StochasticSpec(p)
    with pytest.raises(ParameterError, match="p"):
        HostBoard().load(spec, trivial_plan(spec))
    spec = spec_with([0.5, 0.2])
    assert spec.projections[0].rule_params is not None
    spec.projections[0].rule_params["p"][1] = p
    with pytest.raises(ParameterError, match="synapse 1"):
        HostBoard().load(spec, trivial_plan(spec))


# ------------------------------------------------------------------ PyNN


@pytest.fixture
def sim():
    import spinstream.pyNN as sim

    sim.setup(timestep=DT, min_delay=DT, seed=3)
    yield sim
    sim.end()


def quiet_targets(sim, n: int):
    return sim.Population(
        n,
        sim.IF_curr_delta(**QUIET_DELTA),
        initial_values={"v": 0.0},
    )


def test_pynn_per_synapse_p_as_an_array(sim) -> None:
    source = sim.Population(1, sim.SpikeSourceArray(spike_times=np.arange(1.0, 501.0)))
    post = quiet_targets(sim, 4)
    st = sim.SimpleStochasticSynapse(weight=1.0, delay=1.0, p=np.array([[0.0, 0.5, 0.5, 1.0]]))
    proj = sim.Projection(source, post, sim.AllToAllConnector(), st, label="ss")
    assert proj.get("p", format="list") == [(0, 0, 0.0), (0, 1, 0.5), (0, 2, 0.5), (0, 3, 1.0)]
    assert_array_equal(proj.get("p", format="array"), [[0.0, 0.5, 0.5, 1.0]])
    post.record("v")
    sim.run(505.0)
    v = post.get_data().segments[0].analogsignals[0].magnitude
    assert_array_equal(np.rint(v[-1]), [0.0, np.rint(v[-1, 1]), np.rint(v[-1, 2]), 500.0])
    assert 200 < v[-1, 1] < 300
    assert not np.array_equal(np.diff(v[:, 1]), np.diff(v[:, 2]))
    assert_array_equal(proj.get("weight", format="array"), [[1.0] * 4])  # never changes


def test_pynn_p_from_a_distribution_and_set_at_step_0(sim) -> None:
    source = sim.Population(3, sim.SpikeSourceArray(spike_times=[1.0]))
    post = quiet_targets(sim, 2)
    rng = sim.NumpyRNG(seed=7)
    st = sim.SimpleStochasticSynapse(
        weight=1.0, p=sim.RandomDistribution("uniform", (0.0, 1.0), rng=rng)
    )
    proj = sim.Projection(source, post, sim.AllToAllConnector(), st)
    p = np.array(proj.get("p", format="list"))[:, 2]
    assert len(set(p.tolist())) == 6
    assert np.all((p >= 0) & (p <= 1))
    assert_array_equal(proj.get("delay", format="array"), np.full((3, 2), DT))
    proj.set(p=0.25)
    assert_array_equal(np.array(proj.get("p", format="list"))[:, 2], [0.25] * 6)
    sim.run(5.0)
    with pytest.raises(errors.InvalidParameterValueError, match="step 0"):
        proj.set(p=0.5)


def test_pynn_bad_p_is_refused(sim) -> None:
    with pytest.raises(errors.InvalidParameterValueError, match=r"p = 1\.5"):
        sim.SimpleStochasticSynapse(weight=1.0, p=1.5)
    source = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0]))
    post = quiet_targets(sim, 2)
    st = sim.SimpleStochasticSynapse(weight=1.0, p=np.array([[0.5, -0.2]]))
    with pytest.raises(
        errors.InvalidParameterValueError, match=r"Projection 'bad'.*\(0 -> 1\): p = -0\.2"
    ):
        sim.Projection(source, post, sim.AllToAllConnector(), st, label="bad")
    good = sim.Projection(
        source, post, sim.AllToAllConnector(), sim.SimpleStochasticSynapse(p=0.5), label="ok"
    )
    with pytest.raises(errors.InvalidParameterValueError, match=r"Projection 'ok'.*p = 2\.0"):
        good.set(p=2.0)
    assert_array_equal(np.array(good.get("p", format="list"))[:, 2], [0.5, 0.5])


async def test_session_projection_with_a_stochastic_synapse() -> None:
    async with spinstream.Session(timestep=0.1, chunk=1.0, min_delay=0.5, seed=2) as s:
        source = s.Population(1, s.SpikeSourceArray(spike_times=np.arange(1.0, 41.0)))
        post = s.Population(2, s.IF_curr_delta(**QUIET_DELTA), initial_values={"v": 0.0})
        proj = s.Projection(
            source,
            post,
            s.AllToAllConnector(),
            s.SimpleStochasticSynapse(weight=1.0, p=np.array([[0.0, 1.0]])),
        )
        assert_array_equal(proj.get("delay", format="array"), [[0.5, 0.5]])  # its min_delay
        post.record("v")
        await s.run(45.0)
        v = post.get_data().segments[0].analogsignals[0].magnitude
        assert_array_equal(np.rint(v[-1]), [0.0, 40.0])
