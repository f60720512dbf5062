"""One RNG shared by several projections: drawn in sequence, so the projections differ.

PyNN 0.13 (pyNN.nest, pyNN.brian2) draws the probability connectors and synapse-parameter
distributions from a deep copy of the RNG, so every projection that shares one ``NumpyRNG``
gets the same connections and weights; spinstream draws from the RNG itself, as the
``rng=`` argument says (see :mod:`spinstream.pyNN._connect`).  A projection that has its
RNG to itself is, connection for connection, the one NEST builds.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from pyNN.core import IndexBasedExpression

import spinstream.pyNN as sim
from tests import refsim
from tests.reference import ReferenceBoard, trivial_plan


class _Falloff(IndexBasedExpression):  # type: ignore[misc]
    def __call__(self, i, j):
        return np.exp(-np.abs(i - j) / 10.0)


CONNECTORS = {
    "fixed_prob": lambda rng: sim.FixedProbabilityConnector(0.3, rng=rng),
    "fixed_prob_no_self": lambda rng: sim.FixedProbabilityConnector(
        0.3, allow_self_connections=False, rng=rng
    ),
    "distance": lambda rng: sim.DistanceDependentProbabilityConnector("exp(-d/5)", rng=rng),
    "displacement": lambda rng: sim.DisplacementDependentProbabilityConnector(
        lambda d: np.exp(-np.abs(d[0]) / 5), rng=rng
    ),
    "index": lambda rng: sim.IndexBasedProbabilityConnector(_Falloff(), rng=rng),
    "fixed_pre": lambda rng: sim.FixedNumberPreConnector(4, rng=rng),
    "fixed_post": lambda rng: sim.FixedNumberPostConnector(4, rng=rng),
    "fixed_total": lambda rng: sim.FixedTotalNumberConnector(150, rng=rng),
}


@pytest.fixture
def net():
    sim.setup(timestep=0.1, seed=1, board=ReferenceBoard(), mapper=trivial_plan)
    yield sim
    sim.end()


def _pops(n=40):
    pos = sim.space.Line(dx=1.0)
    a = sim.Population(n, sim.IF_curr_exp(), structure=pos, label="a")
    b = sim.Population(n, sim.IF_curr_exp(), structure=pos, label="b")
    return a, b


def _pairs(proj):
    return sorted(proj.get([], format="list"))


@pytest.mark.parametrize("kind", sorted(CONNECTORS))
def test_projections_sharing_an_rng_get_different_connections(net, kind):
    a, b = _pops()
    rng = sim.NumpyRNG(seed=7)
    p1 = sim.Projection(a, b, CONNECTORS[kind](rng), sim.StaticSynapse(weight=0.1))
    p2 = sim.Projection(a, b, CONNECTORS[kind](rng), sim.StaticSynapse(weight=0.1))
    assert len(p1) > 0
    assert len(p2) > 0
    assert _pairs(p1) != _pairs(p2)


@pytest.mark.parametrize("kind", sorted(CONNECTORS))
def test_a_shared_rng_is_drawn_in_sequence(net, kind):
    """The first projection is the one a fresh RNG gives; the second continues from there."""
    a, b = _pops()
    rng = sim.NumpyRNG(seed=7)
    p1 = sim.Projection(a, b, CONNECTORS[kind](rng), sim.StaticSynapse(weight=0.1))
    state = rng.rng.get_state()
    p2 = sim.Projection(a, b, CONNECTORS[kind](rng), sim.StaticSynapse(weight=0.1))
    alone = sim.Projection(
        a, b, CONNECTORS[kind](sim.NumpyRNG(seed=7)), sim.StaticSynapse(weight=0.1)
    )
    assert _pairs(p1) == _pairs(alone)
    resumed = sim.NumpyRNG(seed=0)
    resumed.rng.set_state(state)
    p2_again = sim.Projection(a, b, CONNECTORS[kind](resumed), sim.StaticSynapse(weight=0.1))
    assert _pairs(p2) == _pairs(p2_again)


def test_weight_and_delay_distributions_shared_by_projections_differ(net):
    a, b = _pops(20)
    rng = sim.NumpyRNG(seed=3)
    syn = sim.StaticSynapse(
        weight=sim.RandomDistribution("uniform", (0.1, 1.0), rng=rng),
        delay=sim.RandomDistribution("uniform", (0.5, 3.0), rng=rng),
    )
    p1 = sim.Projection(a, b, sim.AllToAllConnector(), syn)
    p2 = sim.Projection(a, b, sim.AllToAllConnector(), syn)
    w1, d1 = p1.get(["weight", "delay"], format="array")
    w2, d2 = p2.get(["weight", "delay"], format="array")
    assert not np.allclose(w1, w2)
    assert not np.allclose(d1, d2)
    # the values are still the distribution's: within its bounds
    assert w2.min() >= 0.1
    assert w2.max() <= 1.0


def test_set_from_a_shared_distribution_continues_it(net):
    a, b = _pops(10)
    rng = sim.NumpyRNG(seed=4)
    rd = sim.RandomDistribution("uniform", (0.1, 1.0), rng=rng)
    p1 = sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.5))
    p2 = sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.5))
    p1.set(weight=rd)
    p2.set(weight=rd)
    w1, w2 = p1.get("weight", format="array"), p2.get("weight", format="array")
    assert not np.allclose(w1, w2)
    # the first set() drew what a fresh RNG of that seed draws
    p3 = sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.5))
    p3.set(weight=sim.RandomDistribution("uniform", (0.1, 1.0), rng=sim.NumpyRNG(seed=4)))
    assert_array_equal(p3.get("weight", format="array"), w1)


def _build(seed):
    a, b = _pops()
    rng = sim.NumpyRNG(seed=seed)
    w = sim.RandomDistribution("normal", (0.5, 0.1), rng=rng)
    projs = [
        sim.Projection(a, b, CONNECTORS[k](rng), sim.StaticSynapse(weight=w))
        for k in sorted(CONNECTORS)
    ]
    return [p.get(["weight"], format="list") for p in projs]


def test_the_same_seed_builds_the_same_network():
    nets = []
    for seed in (11, 11, 12):
        sim.setup(timestep=0.1, seed=1, board=ReferenceBoard(), mapper=trivial_plan)
        try:
            nets.append(_build(seed))
        finally:
            sim.end()
    assert nets[0] == nets[1]
    assert nets[0] != nets[2]


CHAIN = """
rng = sim.NumpyRNG(seed=2)
groups = [sim.Population(30, sim.IF_curr_exp(tau_syn_E=2.0, v_thresh=-55.0)) for _ in range(4)]
times = [[5.0 + 0.1 * k] for k in range(30)]
volley = sim.Population(30, sim.SpikeSourceArray(spike_times=times))
syn = sim.StaticSynapse(weight=1.5, delay=1.0)
sim.Projection(volley, groups[0], sim.FixedProbabilityConnector(0.5, rng=rng), syn)
for pre, post in zip(groups, groups[1:]):
    sim.Projection(pre, post, sim.FixedProbabilityConnector(0.5, rng=rng), syn)
chain = sim.Assembly(*groups)
chain.record("spikes")
sim.run(60.0)
sts = chain.get_data().segments[0].spiketrains
"""


def _chain_spikes(chunk):
    from tests.engine import require_engine

    board = require_engine()
    sim.setup(timestep=0.1, min_delay=0.1, seed=1, chunk=chunk, board=board())
    try:
        namespace = {"sim": sim}
        exec(CHAIN, namespace)
        return [np.asarray(st.magnitude) for st in namespace["sts"]]
    finally:
        sim.end()


def test_a_chain_sharing_an_rng_spikes_the_same_whatever_the_chunk():
    fine, coarse = _chain_spikes(0.5), _chain_spikes(20.0)
    assert sum(len(s) for s in fine) > 30, "the volley should travel down the chain"
    assert len(fine) == len(coarse)
    for x, y in zip(fine, coarse, strict=True):
        assert_array_equal(x, y)


SHARED = """
sim.setup(timestep=0.1, min_delay=0.1)
rng = sim.NumpyRNG(seed=5)
a = sim.Population(30, sim.IF_curr_exp())
b = sim.Population(30, sim.IF_curr_exp())
c = sim.Population(30, sim.IF_curr_exp())
p1 = sim.Projection(a, b, sim.FixedProbabilityConnector(0.3, rng=rng), sim.StaticSynapse())
p2 = sim.Projection(b, c, sim.FixedProbabilityConnector(0.3, rng=rng), sim.StaticSynapse())
own = sim.Projection(a, c, sim.FixedProbabilityConnector(0.3, rng=sim.NumpyRNG(seed=9)),
                     sim.StaticSynapse())
save(p1=np.array(sorted(p1.get([], format="list"))),
     p2=np.array(sorted(p2.get([], format="list"))),
     own=np.array(sorted(own.get([], format="list"))))
"""


@pytest.mark.reference
def test_against_nest_first_draws_agree_and_nest_repeats_them():
    refsim.require("nest")
    nest = refsim.run_pynn("nest", SHARED)
    saved: dict[str, np.ndarray] = {}

    def save(**arrays):
        saved.update({k: np.asarray(v) for k, v in arrays.items()})

    exec(SHARED, {"sim": sim, "np": np, "save": save})
    sim.end()
    # a projection with its own RNG, and the first user of a shared one: as NEST
    assert_array_equal(saved["own"], nest["own"])
    assert_array_equal(saved["p1"], nest["p1"])
    # PyNN 0.13 on NEST repeats the first projection's draws; spinstream continues
    assert_array_equal(nest["p2"], nest["p1"])
    assert not np.array_equal(saved["p2"], saved["p1"])
