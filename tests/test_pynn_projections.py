"""Projections: every PyNN connector, weights and delays, get/set/save, speed."""

from __future__ import annotations

import time

import numpy as np
import pyNN.mock as mock
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from pyNN import errors
from pyNN.core import IndexBasedExpression
from pyNN.random import NumpyRNG, RandomDistribution
from pyNN.standardmodels.synapses import SimpleStochasticSynapse

import spinstream.pyNN as sim
from spinstream.model import EXCITATORY, INHIBITORY
from tests.reference import ReferenceBoard, trivial_plan


@pytest.fixture
def net():
    sim.setup(timestep=0.1, seed=1, board=ReferenceBoard(), mapper=trivial_plan)
    yield sim
    sim.end()


def _connectors(backend):
    """Connector factories, built fresh per backend with identically seeded RNGs."""
    return {
        "all_to_all": lambda: backend.AllToAllConnector(),
        "all_to_all_noself": lambda: backend.AllToAllConnector(allow_self_connections=False),
        "one_to_one": lambda: backend.OneToOneConnector(),
        "fixed_prob": lambda: backend.FixedProbabilityConnector(0.3, rng=NumpyRNG(seed=5)),
        "fixed_pre": lambda: backend.FixedNumberPreConnector(3, rng=NumpyRNG(seed=6)),
        "fixed_pre_repl": lambda: backend.FixedNumberPreConnector(
            4, with_replacement=True, rng=NumpyRNG(seed=6)
        ),
        "fixed_post": lambda: backend.FixedNumberPostConnector(2, rng=NumpyRNG(seed=7)),
        "fixed_total": lambda: backend.FixedTotalNumberConnector(30, rng=NumpyRNG(seed=8)),
        "distance": lambda: backend.DistanceDependentProbabilityConnector(
            "exp(-d/3)", rng=NumpyRNG(seed=9)
        ),
        "index": lambda: backend.IndexBasedProbabilityConnector(_Diag(), rng=NumpyRNG(seed=10)),
        "displacement": lambda: backend.DisplacementDependentProbabilityConnector(
            lambda d: np.exp(-np.abs(d[0]) / 2), rng=NumpyRNG(seed=11)
        ),
        "array": lambda: backend.ArrayConnector(np.arange(80).reshape(8, 10) % 3 == 0),
        "from_list": lambda: backend.FromListConnector(
            [(0, 1, 0.5, 1.0), (3, 2, 0.25, 2.0), (7, 9, 0.125, 0.5), (3, 1, 1.0, 1.5)]
        ),
    }


class _Diag(IndexBasedExpression):
    def __call__(self, i, j):
        return 1.0 / (1.0 + np.abs(i - j))


def _build(backend, name, weight, delay):
    pre = backend.Population(8, backend.IF_curr_exp(), label="pre")
    post = backend.Population(10, backend.IF_curr_exp(), label="post")
    prj = backend.Projection(
        pre, post, _connectors(backend)[name](), backend.StaticSynapse(weight=weight, delay=delay)
    )
    return prj


@pytest.mark.parametrize("name", sorted(_connectors(sim)))
def test_same_connections_and_draws_as_pynn(net, name):
    """Connections, and random weights/delays, equal PyNN's own loop (pyNN.mock)."""
    mock.setup(timestep=0.1)
    results = []
    for backend in (mock, sim):
        weight = RandomDistribution("uniform", (0.1, 1.0), rng=NumpyRNG(seed=12))
        delay = RandomDistribution("uniform", (0.5, 3.0), rng=NumpyRNG(seed=13))
        prj = _build(backend, name, weight, delay)
        results.append(sorted(prj.get(["weight", "delay"], format="list")))
    mock.end()
    ours, theirs = results[1], results[0]
    assert len(ours) == len(theirs) > 0
    assert [c[:2] for c in ours] == [tuple(map(int, c[:2])) for c in theirs]
    assert_allclose([c[2] for c in ours], [c[2] for c in theirs])
    assert_allclose([c[3] for c in ours], [c[3] for c in theirs])


def test_one_neuron_presynaptic_population(net):
    """PyNN's own loop fails here with numpy >= 2.1 (nonzero on a 0-d array)."""
    src = net.Population(1, net.SpikeSourceArray(spike_times=[1.0]))
    dst = net.Population(1, net.IF_curr_exp())
    prj = net.Projection(src, dst, net.OneToOneConnector(), net.StaticSynapse(weight=1.0))
    assert prj.get("weight", "list") == [(0, 0, 1.0)]
    prj2 = net.Projection(
        src, dst, net.FixedProbabilityConnector(1.0), net.StaticSynapse(weight=1.0)
    )
    assert len(prj2) == 1
    dst.record("v")
    net.run(5.0)
    v = dst.get_data().segments[0].filter(name="v")[0].magnitude[:, 0]
    assert v.max() > -65.0


def test_spec_receptor_sign_and_delay_steps(net):
    pre = net.Population(2, net.IF_curr_exp())
    post = net.Population(2, net.IF_curr_exp())
    exc = net.Projection(
        pre, post, net.AllToAllConnector(), net.StaticSynapse(weight=0.5, delay=0.3)
    )
    inh = net.Projection(
        pre, post, net.AllToAllConnector(), net.StaticSynapse(weight=-0.7, delay=1.26)
    )
    assert exc.receptor_type == "excitatory"
    assert inh.receptor_type == "inhibitory"
    specs = sim.state.runtime.spec.projections
    assert_array_equal(specs[0].receptor, EXCITATORY)
    assert_array_equal(specs[1].receptor, INHIBITORY)
    assert_allclose(specs[1].weight, 0.7)  # the engine takes magnitudes
    assert_array_equal(specs[0].delay_steps, 3)
    assert_array_equal(specs[1].delay_steps, 13)
    assert inh.get("weight", "list", with_address=False) == [-0.7] * 4
    # sPyNNaker's convention (positive inhibitory weights) is accepted too
    net.Projection(
        pre,
        post,
        net.AllToAllConnector(),
        net.StaticSynapse(weight=0.7),
        receptor_type="inhibitory",
    )
    assert_allclose(specs[2].weight, 0.7)


def test_bad_weights_and_delays_name_the_projection(net):
    pre = net.Population(2, net.IF_cond_exp(), label="a")
    post = net.Population(2, net.IF_cond_exp(), label="b")
    with pytest.raises(errors.ConnectionError, match=r"'a→b'.*negative"):
        net.Projection(
            pre,
            post,
            net.AllToAllConnector(),
            net.StaticSynapse(weight=-0.1),
            receptor_type="excitatory",
        )
    with pytest.raises(errors.ConnectionError, match=r"delay 0.05 ms.*range"):
        net.Projection(
            pre, post, net.AllToAllConnector(), net.StaticSynapse(weight=0.1, delay=0.05)
        )
    with pytest.raises(errors.ConnectionError, match=r"receptor_types"):
        net.Projection(pre, post, net.AllToAllConnector(), receptor_type="NMDA")
    c = net.Population(2, net.IF_curr_exp())
    with pytest.raises(errors.ConnectionError, match=r"all <= 0"):
        net.Projection(
            c,
            c,
            net.FromListConnector([(0, 0, -1.0, 1.0), (1, 1, 1.0, 1.0)]),
            receptor_type="inhibitory",
        )
    assert len(sim.state.runtime.spec.projections) == 0
    with pytest.raises(errors.ConnectionError, match=r"out of range"):
        net.Projection(c, c, net.FromListConnector([(0, 5, 1.0, 1.0)]))
    unsupported = SimpleStochasticSynapse(weight=0.1, delay=1.0, p=0.5)
    with pytest.raises(errors.NoModelAvailableError, match=r"StaticSynapse"):
        net.Projection(c, c, net.AllToAllConnector(), unsupported)


def test_max_delay_is_enforced():
    sim.setup(timestep=0.1, max_delay=2.0, board=ReferenceBoard(), mapper=trivial_plan)
    p = sim.Population(2, sim.IF_curr_exp())
    with pytest.raises(errors.ConnectionError, match=r"2\.5 ms.*2\.0 ms"):
        sim.Projection(p, p, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1, delay=2.5))
    sim.end()


def test_get_set_save_and_connections(net, tmp_path):
    pre = net.Population(3, net.IF_curr_exp())
    post = net.Population(2, net.IF_curr_exp())
    prj = net.Projection(
        pre, post, net.AllToAllConnector(), net.StaticSynapse(weight=0.1, delay=1.0)
    )
    assert prj.size() == len(prj) == 6
    w = prj.get("weight", format="array")
    assert w.shape == (3, 2)
    assert np.all(w == 0.1)
    prj.set(weight=np.array([[1, 2], [3, 4], [5, 6]], dtype=float))
    assert_array_equal(prj.get("weight", "array"), [[1, 2], [3, 4], [5, 6]])
    prj.set(delay=2.0)
    spec = sim.state.runtime.spec.projections[0]
    assert_array_equal(spec.delay_steps, 20)
    assert_allclose(np.sort(spec.weight), [1, 2, 3, 4, 5, 6])
    c = prj[0]
    assert (c.presynaptic_index, c.postsynaptic_index) == (0, 0)
    assert c.weight == 1.0
    c.weight = 9.0
    assert prj.get("weight", "array")[0, 0] == 9.0
    assert len(prj.connections) == 6
    assert prj.connections[5].delay == 2.0
    assert [x.as_tuple("weight") for x in prj][:1] == [(9.0,)]
    prj.save("all", str(tmp_path / "conns.txt"), format="list")
    text = (tmp_path / "conns.txt").read_text()
    assert "weight" in text
    assert len(text.strip().splitlines()) >= 6
    clone = net.Projection(pre, post, net.FromFileConnector(str(tmp_path / "conns.txt")))
    assert_allclose(clone.get("weight", "array"), prj.get("weight", "array"))
    assert "AllToAllConnector" in prj.describe()
    with pytest.raises(errors.NonExistentParameterError):
        prj.set(U=0.5)
    for name in ("setWeights", "getWeights", "randomizeDelays", "printWeights"):
        with pytest.raises(AttributeError, match=r"PyNN 0.7"):
            getattr(prj, name)


def test_multiple_synapses_in_array_format(net):
    p = net.Population(2, net.IF_curr_exp())
    prj = net.Projection(p, p, net.FromListConnector([(0, 1, 1.0, 1.0), (0, 1, 2.0, 1.0)]))
    assert prj.get("weight", "array", multiple_synapses="sum")[0, 1] == 3.0
    assert prj.get("weight", "array", multiple_synapses="first")[0, 1] == 1.0
    assert prj.get("weight", "array", multiple_synapses="last")[0, 1] == 2.0
    assert prj.get("weight", "array", multiple_synapses="max")[0, 1] == 2.0
    assert prj.get("weight", "array", multiple_synapses="min")[0, 1] == 1.0
    assert np.isnan(prj.get("weight", "array")[1, 0])


def test_views_and_assemblies_as_pre_and_post(net):
    a = net.Population(4, net.IF_curr_exp(), label="a")
    b = net.Population(3, net.IF_curr_exp(), label="b")
    asm = a[1:3] + b
    prj = net.Projection(asm, a[::2], net.AllToAllConnector(), net.StaticSynapse(weight=0.2))
    assert len(prj) == 5 * 2
    specs = sim.state.runtime.spec.projections
    assert len(specs) == 2  # one per (pre population, post population) pair
    by_pre = {s.pre: s for s in specs}
    assert set(by_pre[a._spec_id].pre_index) == {1, 2}
    assert set(by_pre[a._spec_id].post_index) == {0, 2}
    assert set(by_pre[b._spec_id].pre_index) == {0, 1, 2}


def test_clone_and_small_world(net):
    p = net.Population(20, net.IF_curr_exp())
    base = net.Projection(p, p, net.FixedProbabilityConnector(0.2, rng=NumpyRNG(seed=1)))
    clone = net.Projection(p, p, net.CloneConnector(base), net.StaticSynapse(weight=0.3))
    assert_array_equal(
        ~np.isnan(clone.get("weight", "array")), ~np.isnan(base.get("weight", "array"))
    )
    sw = net.Projection(
        p,
        p,
        net.SmallWorldConnector(
            degree=2.5, rewiring=0.2, allow_self_connections=False, rng=NumpyRNG(seed=3)
        ),
    )
    conns = np.array(sw.get("weight", "list"))[:, :2]
    assert len(conns) > 0
    assert np.all(conns[:, 0] != conns[:, 1])
    d = np.abs(conns[:, 0] - conns[:, 1])
    assert 0.5 < np.mean(d <= 2) < 1.0  # mostly local, some rewired


def test_distance_expression_weights(net):
    p = net.Population(5, net.IF_curr_exp(), structure=sim.space.Line(dx=1.0))
    prj = net.Projection(p, p, net.AllToAllConnector(), net.StaticSynapse(weight="0.5*d + 0.1"))
    w = prj.get("weight", "array")
    assert_allclose(w[0, 3], 0.5 * 3 + 0.1)


def test_cuba_sized_network_builds_in_under_a_second(net):
    exc = net.Population(3200, net.IF_curr_exp())
    inh = net.Population(800, net.IF_curr_exp())
    every = exc + inh
    # CPU time of this process: other processes on a busy machine do not count.
    t0 = time.process_time()
    conn = net.FixedProbabilityConnector(0.02, rng=NumpyRNG(seed=42))
    e = net.Projection(exc, every, conn, net.StaticSynapse(weight=0.27, delay=0.2))
    i = net.Projection(
        inh, every, conn, net.StaticSynapse(weight=-4.5, delay=0.2), receptor_type="inhibitory"
    )
    elapsed = time.process_time() - t0
    assert 300_000 < len(e) + len(i) < 340_000
    assert elapsed < 1.0, f"building CUBA's projections took {elapsed:.2f} s"


def test_a_delay_past_the_boards_longest_is_refused_where_it_is_given():
    """With max_delay "auto" a delay past the board's 16383 steps was accepted by the
    Projection and refused at every run after, and no call could take it back."""
    sim.setup(timestep=0.1)
    try:
        a = sim.Population(3, sim.IF_curr_exp(i_offset=1.0), label="a")
        with pytest.raises(errors.ConnectionError, match=r"1638.3 ms \(the board's longest"):
            sim.Projection(a, a, sim.AllToAllConnector(), sim.StaticSynapse(delay=1638.4))
        longest = sim.Projection(
            a, a, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1, delay=1638.3)
        )
        with pytest.raises(errors.ConnectionError, match=r"1638.3 ms \(the board's longest"):
            longest.set(delay=2000.0)
        a.record("spikes")
        sim.run(30.0)  # the session goes on with the network as it was
        assert sum(len(st) for st in a.get_data().segments[0].spiketrains) > 0
        assert longest.get("delay", format="array").max() == pytest.approx(1638.3)
    finally:
        sim.end()
