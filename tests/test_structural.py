"""Structural plasticity (sPyNNaker's StructuralMechanismStatic / StructuralMechanismSTDP).

Checks against the rules as sPyNNaker documents them (docs/ENGINE.md, "Structural
plasticity"), not against our own code: the fan-in bound, the elimination and formation
probabilities (binomial counts within a few sigma), the formation probability's dependence
on the periodic grid distance (computed here from the grid on its own), determinism for a
seed across chunk sizes and thread counts, and the topology read mid-run against the
engine's slots and against what the synapses deliver.
"""

from __future__ import annotations

import collections
import math

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spinstream
import spinstream.pyNN as pynn
import spinstream.spinnaker as face
from spinstream.model import ParameterError
from spinstream.pyNN import (
    DistanceDependentFormation,
    LastNeuronSelection,
    RandomByWeightElimination,
    RandomSelection,
    StructuralMechanismStatic,
    StructuralMechanismSTDP,
)
from tests.engine import require_engine

HostBoard = require_engine()


def board_of(proj: object) -> tuple[object, int]:
    """The board and spec id of a structural projection."""
    ((spec_id, _),) = proj._parts  # type: ignore[attr-defined]
    return proj._owner.board, spec_id  # type: ignore[attr-defined]


def stats(proj: object) -> object:
    board, spec_id = board_of(proj)
    return board.structural_statistics(spec_id)  # type: ignore[attr-defined]


def fan_in(proj: object, n_post: int) -> np.ndarray:
    post = np.array([c[1] for c in proj.get([], format="list")], dtype=np.int64)  # type: ignore[attr-defined]
    return np.bincount(post, minlength=n_post)


def binomial_ok(k: int, n: int, p: float, sigmas: float = 4.0) -> bool:
    """Whether k successes of n trials fit probability p within a few sigma."""
    sd = math.sqrt(max(n * p * (1 - p), 1e-12))
    return abs(k - n * p) <= sigmas * sd + 1e-9


def torus_d2(a: np.ndarray, b: np.ndarray, gx: int, gy: int) -> np.ndarray:
    """Squared distance on a periodic gx-by-gy grid; neuron k at (k // gx, k % gy)."""
    ax, ay = a // gx, a % gy
    bx, by = b // gx, b % gy
    dx = np.abs(ax - bx)
    dy = np.abs(ay - by)
    dx = np.minimum(dx, gx - dx)
    dy = np.minimum(dy, gy - dy)
    return dx * dx + dy * dy


# ---------------------------------------------------------------- fan-in


@pytest.mark.parametrize("replace", [True, False])
def test_fan_in_never_exceeds_s_max(replace: bool) -> None:
    sim = pynn
    sim.setup(timestep=1.0, seed=5)
    pre = sim.Population(60, sim.SpikeSourcePoisson(rate=10.0))  # rows never fill
    post = sim.Population(30, sim.IF_curr_exp())
    mech = StructuralMechanismStatic(
        RandomSelection(),
        DistanceDependentFormation(grid=(1, 1), p_form_forward=1.0),  # every formation succeeds
        RandomByWeightElimination(
            threshold=1.0, prob_elim_depressed=0.0, prob_elim_potentiated=0.0
        ),
        f_rew=20_000.0,
        initial_weight=0.1,
        weight=0.1,
        s_max=6,
        with_replacement=replace,
    )
    proj = sim.Projection(pre, post, sim.FixedNumberPreConnector(3), mech)
    assert_array_equal(fan_in(proj, 30), 3)  # the connector's synapses
    seen_max = 0
    for _ in range(8):
        sim.run(5.0)
        f = fan_in(proj, 30)
        seen_max = max(seen_max, int(f.max()))
        assert f.max() <= 6
        board, spec_id = board_of(proj)
        slots = board.get_synapse_slots(spec_id)
        assert_array_equal((slots >= 0).sum(axis=1), f)
    assert seen_max == 6  # it filled up: the bound was what held it
    pairs = collections.Counter((c[0], c[1]) for c in proj.get([], format="list"))
    if not replace:  # without replacement no pair is connected twice
        assert max(pairs.values()) == 1
    else:
        assert max(pairs.values()) > 1
    sim.end()


# ---------------------------------------------------------------- probabilities


@pytest.mark.parametrize(("weight", "p_expected"), [(0.2, 0.3), (0.8, 0.05)])
def test_elimination_counts_follow_their_probability(weight: float, p_expected: float) -> None:
    sim = pynn
    sim.setup(timestep=1.0, seed=7)
    pre = sim.Population(40, sim.SpikeSourcePoisson(rate=0.0))
    post = sim.Population(40, sim.IF_curr_exp())
    mech = StructuralMechanismStatic(
        RandomSelection(),
        DistanceDependentFormation(grid=(1, 1), p_form_forward=0.0),  # no formation
        RandomByWeightElimination(
            threshold=0.5, prob_elim_depressed=0.3, prob_elim_potentiated=0.05
        ),
        f_rew=5_000.0,
        initial_weight=weight,
        weight=weight,
        s_max=4,
    )
    proj = sim.Projection(pre, post, sim.FixedNumberPreConnector(4), mech)
    sim.run(200.0)
    s = stats(proj)
    assert s.attempts == 1000  # 5 per 1 ms step, 200 steps
    assert s.formations == 0
    assert s.elimination_attempts > 100
    assert binomial_ok(s.eliminations, s.elimination_attempts, p_expected)
    assert len(proj) == 160 - s.eliminations
    sim.end()


@pytest.mark.parametrize("p_form", [0.1, 0.6])
def test_formation_counts_follow_their_probability(p_form: float) -> None:
    sim = pynn
    sim.setup(timestep=1.0, seed=9)
    pre = sim.Population(256, sim.SpikeSourcePoisson(rate=0.0))
    post = sim.Population(32, sim.IF_curr_exp())
    mech = StructuralMechanismStatic(
        RandomSelection(),
        # a huge spread: the same probability at every distance
        DistanceDependentFormation(grid=(16, 16), p_form_forward=p_form, sigma_form_forward=1e9),
        RandomByWeightElimination(
            threshold=0.0, prob_elim_depressed=0.0, prob_elim_potentiated=0.0
        ),
        f_rew=2_000.0,
        initial_weight=0.1,
        s_max=64,
    )
    proj = sim.Projection(pre, post, sim.FixedProbabilityConnector(0.0), mech)
    sim.run(300.0)
    s = stats(proj)
    assert s.attempts == 600
    assert s.elimination_attempts + s.formation_attempts == s.attempts
    assert binomial_ok(s.formations, s.formation_attempts, p_form)
    assert len(proj) == s.formations
    sim.end()


def test_formation_rate_falls_with_distance_as_a_gaussian() -> None:
    """Formed synapses per pair at squared distance d2 against p exp(-d2 / (2 sigma^2))."""
    sim = pynn
    sim.setup(timestep=1.0, seed=13)
    g = 8
    n = g * g
    p, sigma = 0.9, 1.5
    pre = sim.Population(n, sim.SpikeSourcePoisson(rate=0.0))
    post = sim.Population(n, sim.IF_curr_exp())
    mech = StructuralMechanismStatic(
        RandomSelection(),
        DistanceDependentFormation(grid=(g, g), p_form_forward=p, sigma_form_forward=sigma),
        RandomByWeightElimination(
            threshold=0.0, prob_elim_depressed=0.0, prob_elim_potentiated=0.0
        ),
        f_rew=50_000.0,
        initial_weight=0.1,
        s_max=256,  # slots seldom full: most attempts are formation attempts
        with_replacement=True,
    )
    proj = sim.Projection(pre, post, sim.FixedProbabilityConnector(0.0), mech)
    sim.run(400.0)  # 20 000 attempts
    s = stats(proj)
    assert s.attempts == 20_000
    # each formation attempt's partner is uniform, and on a torus every post neuron sees the
    # same distances, so the share of pairs at each distance is that of all pairs
    assert s.formation_attempts > 15_000
    conns = np.array([(c[0], c[1]) for c in proj.get([], format="list")], dtype=np.int64)
    d2_formed = torus_d2(conns[:, 0], conns[:, 1], g, g)
    jj, ii = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    d2_all = torus_d2(jj.ravel(), ii.ravel(), g, g)
    tested = 0
    for d2 in np.unique(d2_all):
        share = np.mean(d2_all == d2)  # chance that an attempt's pair is at this distance
        prob = share * p * math.exp(-d2 / (2 * sigma * sigma))
        k = int(np.sum(d2_formed == d2))
        n_att = s.formation_attempts
        assert binomial_ok(k, n_att, prob, sigmas=4.5), (d2, k, n_att * prob)
        tested += prob * n_att > 20
    assert tested >= 4  # several distances carried enough formations to test
    sim.end()


# ---------------------------------------------------------------- two projections, one target


def test_forward_and_lateral_projections_share_the_slots() -> None:
    """A topographic map: feed-forward and lateral structural projections into one layer."""
    sim = pynn
    sim.setup(timestep=1.0, seed=31)
    src = sim.Population(49, sim.SpikeSourcePoisson(rate=0.0))
    layer = sim.Population(49, sim.IF_curr_exp())
    elim = RandomByWeightElimination(
        threshold=0.0, prob_elim_depressed=0.0, prob_elim_potentiated=0.0
    )
    # forward formation never succeeds, lateral always: the lateral parameters apply within
    # one population, the forward ones between two
    form = DistanceDependentFormation(
        grid=(7, 7), p_form_forward=0.0, p_form_lateral=1.0, sigma_form_lateral=1e9
    )
    common = dict(f_rew=4_000.0, initial_weight=0.2, weight=0.2, s_max=5)
    ff = sim.Projection(
        src,
        layer,
        sim.FixedNumberPreConnector(2, rng=sim.NumpyRNG(seed=1)),
        StructuralMechanismStatic(RandomSelection(), form, elim, **common),
    )
    lat = sim.Projection(
        layer,
        layer,
        sim.FixedProbabilityConnector(0.0),
        StructuralMechanismStatic(RandomSelection(), form, elim, **common),
    )
    sim.run(100.0)
    s_ff, s_lat = stats(ff), stats(lat)
    assert s_ff.formations == 0
    assert s_lat.formations == s_lat.formation_attempts > 50
    # the partner's population is drawn uniformly among the two
    tries = s_ff.formation_attempts + s_lat.formation_attempts
    assert binomial_ok(s_lat.formation_attempts, tries, 0.5)
    total = fan_in(ff, 49) + fan_in(lat, 49)
    assert_array_equal(fan_in(ff, 49), 2)  # the connector's, never eliminated
    assert total.max() == 5  # the two projections share each neuron's 5 slots
    sim.end()


def test_structural_projections_into_one_population_must_agree() -> None:
    sim = pynn
    sim.setup(timestep=1.0)
    a = sim.Population(4, sim.IF_curr_exp())
    b = sim.Population(4, sim.IF_curr_exp())
    form = DistanceDependentFormation(grid=(2, 2))
    elim = RandomByWeightElimination(threshold=0.5)
    sim.Projection(
        a, b, sim.AllToAllConnector(), StructuralMechanismStatic(RandomSelection(), form, elim)
    )
    sim.Projection(
        b,
        b,
        sim.AllToAllConnector(),
        StructuralMechanismStatic(RandomSelection(), form, elim, s_max=8),
    )
    with pytest.raises(ParameterError, match=r"s_max = 8.*s_max = 32"):
        sim.run(1.0)
    sim.end()


# ---------------------------------------------------------------- determinism


def run_network(*, threads: int, pieces: list[float], chunk: float, stdp: bool) -> tuple:
    """A spiking network with a forward and a lateral structural projection."""
    sim = face
    sim.setup(timestep=1.0, seed=21, threads=threads, chunk=chunk)
    pre = sim.Population(36, sim.SpikeSourcePoisson(rate=60.0))
    # several cores per population: the rewiring of one population spans cores and threads
    post = sim.Population(36, sim.IF_curr_exp(tau_refrac=2.0), neurons_per_core=10)
    out = sim.Population(36, sim.IF_curr_exp(tau_refrac=2.0), neurons_per_core=7)
    sim.Projection(pre, post, sim.OneToOneConnector(), sim.StaticSynapse(weight=5.0))
    form = DistanceDependentFormation(grid=(6, 6), p_form_forward=0.5, sigma_form_forward=2.0)
    elim = RandomByWeightElimination(
        threshold=0.3, prob_elim_depressed=0.2, prob_elim_potentiated=0.1
    )
    common = dict(
        f_rew=3_000.0, initial_weight=0.5, initial_delay=2.0, s_max=10, weight=0.5, delay=2.0
    )
    if stdp:
        m1 = StructuralMechanismSTDP(
            RandomSelection(),
            form,
            elim,
            timing_dependence=pynn.SpikePairRule(
                tau_plus=20.0, tau_minus=20.0, A_plus=0.05, A_minus=0.06
            ),
            weight_dependence=pynn.AdditiveWeightDependence(w_min=0.0, w_max=1.0),
            **common,
        )
    else:
        m1 = StructuralMechanismStatic(RandomSelection(), form, elim, **common)
    m2 = StructuralMechanismStatic(
        LastNeuronSelection(spike_buffer_size=8),
        DistanceDependentFormation(grid=(6, 6), p_form_lateral=0.7, sigma_form_lateral=1.5),
        elim,
        f_rew=3000.0,
        initial_weight=0.4,
        weight=0.4,
        s_max=5,
        seed=77,
    )
    p1 = sim.Projection(
        post, out, sim.FixedProbabilityConnector(0.1, rng=sim.NumpyRNG(seed=1)), m1
    )
    p2 = sim.Projection(
        post, post, sim.FixedProbabilityConnector(0.05, rng=sim.NumpyRNG(seed=2)), m2
    )
    out.record("spikes")
    for t in pieces:
        sim.run(t)
    spikes = [np.asarray(st) for st in out.get_data("spikes").segments[0].spiketrains]
    result = (
        p1.get(["weight", "delay"], format="list"),
        p2.get(["weight", "delay"], format="list"),
        [float(x) for s_ in spikes for x in s_],
        stats(p1),
        stats(p2),
    )
    sim.end()
    return result


@pytest.mark.parametrize("stdp", [False, True])
def test_same_synapses_and_spikes_for_any_chunk_and_threads(stdp: bool) -> None:
    a = run_network(threads=1, pieces=[120.0], chunk=10.0, stdp=stdp)
    b = run_network(threads=2, pieces=[37.0, 50.0, 33.0], chunk=3.0, stdp=stdp)
    c = run_network(threads=1, pieces=[1.0] * 120, chunk=1.0, stdp=stdp)
    for other in (b, c):
        assert other[0] == a[0]
        assert other[1] == a[1]
        assert other[2] == a[2]
        assert other[3] == a[3]
        assert other[4] == a[4]
    s1, s2 = a[3], a[4]
    assert s1.formations > 5
    assert s1.eliminations > 5
    assert s2.formations > 0  # LastNeuronSelection found partners among the last spikes
    assert a[0] != run_network(threads=1, pieces=[60.0], chunk=10.0, stdp=stdp)[0]


# ---------------------------------------------------------------- topology mid-run


async def test_topology_read_mid_run_is_the_engines() -> None:
    async with spinstream.Session(timestep=1.0, chunk=5.0, seed=4) as sim:
        pre = sim.Population(25, sim.SpikeSourcePoisson(rate=20.0))
        post = sim.Population(25, sim.IF_curr_exp())
        mech = StructuralMechanismSTDP(
            RandomSelection(),
            DistanceDependentFormation(grid=(5, 5), p_form_forward=0.5, sigma_form_forward=2.0),
            RandomByWeightElimination(
                threshold=0.45, prob_elim_depressed=0.3, prob_elim_potentiated=0.05
            ),
            timing_dependence=sim.SpikePairRule(
                tau_plus=20.0, tau_minus=20.0, A_plus=0.05, A_minus=0.06
            ),
            weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=1.0),
            f_rew=2_000.0,
            initial_weight=0.5,
            weight=0.5,
            s_max=8,
        )
        proj = sim.Projection(
            pre, post, sim.FixedProbabilityConnector(0.1, rng=sim.NumpyRNG(seed=3)), mech
        )
        stream = proj.stream("weight", every=5.0, maxlen=1000)
        changed = 0
        last: list = []
        while sim.time < 100.0:
            await sim.run(5.0)
            board, spec_id = board_of(proj)
            counts = board.get_synapse_counts(spec_id)
            slots = board.get_synapse_slots(spec_id)
            # the engine's slots hold exactly the present synapses, as often as present
            assert_array_equal(np.bincount(slots[slots >= 0], minlength=len(counts)), counts)
            got = proj.get(["weight"], format="list")
            pre_i = np.asarray(proj._pre)
            post_i = np.asarray(proj._post)
            want = sorted(
                (int(pre_i[k]), int(post_i[k]))
                for k in np.flatnonzero(counts)
                for _ in range(int(counts[k]))
            )
            assert sorted((c[0], c[1]) for c in got) == want
            w_board = board.get_weights(spec_id)
            assert np.all(np.isnan(w_board) == (counts == 0))
            batch = None
            while len(stream):
                batch = stream.receive_nowait()
            assert batch is not None
            assert batch.stamps[-1] == sim.runtime.step
            # the stream has one column per potential synapse, NaN where absent
            assert_array_equal(np.isnan(batch.values[-1]), counts == 0)
            changed += got != last
            last = got
            assert np.bincount([c[1] for c in got], minlength=25).max() <= 8
        assert changed >= 10


def test_absent_synapses_deliver_nothing() -> None:
    """Each post neuron's input from one volley equals the present synapses' weights."""
    sim = pynn
    sim.setup(timestep=1.0, seed=17)
    n = 16
    pre = sim.Population(n, sim.SpikeSourceArray(spike_times=[700.0]))
    post = sim.Population(n, sim.IF_curr_exp(tau_m=1e9, v_thresh=1e9, tau_syn_E=5.0, cm=1.0))
    mech = StructuralMechanismStatic(
        RandomSelection(),
        DistanceDependentFormation(grid=(4, 4), p_form_forward=0.6, sigma_form_forward=1.0),
        RandomByWeightElimination(
            threshold=0.5, prob_elim_depressed=0.0, prob_elim_potentiated=0.3
        ),
        f_rew=1000.0 / 7.0,  # one attempt every 7 steps
        initial_weight=0.5,
        weight=0.5,
        s_max=6,
    )
    proj = sim.Projection(
        pre, post, sim.FixedNumberPreConnector(2, rng=sim.NumpyRNG(seed=5)), mech
    )
    post.record("v")
    # rewiring attempts at steps 6, 13, ..., 692, then 699, after the volley (stamp 700) is
    # delivered in that step: what is read after step 698 is what the volley meets
    sim.run(699.0)
    conns = proj.get([], format="list")
    s = stats(proj)
    assert s.formations > 5
    assert s.eliminations > 5
    sim.run(60.0)
    v = post.get_data("v").segments[0].filter(name="v")[0]
    rise = np.asarray(v[-1]).ravel() - np.asarray(v[698]).ravel()
    # the charge of a 0.5 nA exponential current (tau_syn 5 ms) into 1 nF is 2.5 mV per
    # synapse, all but exp(-60/5) of it delivered 60 ms later (tau_m is huge)
    expected = np.bincount([c[1] for c in conns], minlength=n) * 0.5 * 5.0 / 1.0
    assert np.allclose(rise, expected, rtol=2e-5, atol=1e-6)
    assert len(set(expected.tolist())) > 2  # the neurons had different numbers of synapses
    sim.end()


def test_absent_synapses_deliver_nothing_under_neuromodulation() -> None:
    """Structural STDP synapses made dopamine-modulated still deliver only where present."""
    sim = face
    sim.setup(timestep=1.0, seed=23)
    n = 16
    pre = sim.Population(n, sim.SpikeSourceArray(spike_times=[700.0]))
    reward = sim.Population(1, sim.SpikeSourceArray(spike_times=[100.0, 400.0]))
    post = sim.Population(n, sim.IF_curr_exp(tau_m=1e9, v_thresh=1e9, tau_syn_E=5.0, cm=1.0))
    mech = sim.StructuralMechanismSTDP(
        sim.RandomSelection(),
        sim.DistanceDependentFormation(grid=(4, 4), p_form_forward=0.6, sigma_form_forward=1.0),
        sim.RandomByWeightElimination(
            threshold=0.5, prob_elim_depressed=0.0, prob_elim_potentiated=0.3
        ),
        timing_dependence=sim.SpikePairRule(
            tau_plus=20.0, tau_minus=20.0, A_plus=0.1, A_minus=0.1
        ),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=1.0),
        f_rew=1000.0 / 7.0,
        initial_weight=0.5,
        weight=0.5,
        s_max=6,
    )
    proj = sim.Projection(
        pre, post, sim.FixedNumberPreConnector(2, rng=sim.NumpyRNG(seed=5)), mech
    )
    sim.Projection(
        reward,
        post,
        sim.AllToAllConnector(),
        synapse_type=sim.extra_models.Neuromodulation(weight=0.1, w_max=1.0),
        receptor_type="reward",
    )
    post.record("v")
    sim.run(699.0)
    conns = proj.get(["weight"], format="list")
    s = stats(proj)
    assert s.formations > 5
    assert s.eliminations > 5
    sim.run(60.0)
    v = post.get_data("v").segments[0].filter(name="v")[0]
    rise = np.asarray(v[-1]).ravel() - np.asarray(v[698]).ravel()
    # no postsynaptic spike, so no eligibility: every present synapse keeps 0.5 nA and
    # delivers 2.5 mV (module test above); absent ones nothing
    assert all(c[2] == 0.5 for c in conns)
    expected = np.bincount([c[1] for c in conns], minlength=n) * 0.5 * 5.0 / 1.0
    assert np.allclose(rise, expected, rtol=2e-5, atol=1e-6)
    assert len(set(expected.tolist())) > 2
    sim.end()


# ---------------------------------------------------------------- sPyNNaker scripts

SCRIPT = """
    import json
    import numpy as np
    import pyNN.spiNNaker as sim

    sim.setup(timestep=1.0, min_delay=1.0)
    n = 64
    pre = sim.Population(n, sim.SpikeSourcePoisson(rate=20.0), label="pre")
    post = sim.Population(n, sim.IF_curr_exp(), label="post")
    sim.Projection(pre, post, sim.OneToOneConnector(), sim.StaticSynapse(weight=3.0))
    structure = sim.StructuralMechanismSTDP(
        sim.LastNeuronSelection(),
        sim.DistanceDependentFormation(grid=[np.sqrt(n), np.sqrt(n)], sigma_form_forward=1.0),
        sim.RandomByWeightElimination(
            prob_elim_potentiated=0.01, prob_elim_depressed=0.2, threshold=0.5
        ),
        initial_weight=0.5, weight=0.5, initial_delay=5, delay=5, s_max=16, f_rew=10 ** 4,
        timing_dependence=sim.SpikePairRule(
            tau_plus=20.0, tau_minus=20.0, A_plus=0.1, A_minus=0.12),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0, w_max=1.0),
    )
    proj = sim.Projection(
        pre, post, sim.FixedProbabilityConnector(0.0), synapse_type=structure,
        label="structurally_plastic_projection",
    )
    static = sim.StructuralMechanismStatic(
        sim.RandomSelection(), sim.DistanceDependentFormation(), sim.RandomByWeightElimination(0.5)
    )
    sim.run(500)
    conns = proj.get(["weight", "delay"], format="list")
    res = {
        "n": len(conns),
        "max_fan_in": int(np.bincount([c[1] for c in conns], minlength=n).max()),
        "delays": sorted({c[3] for c in conns}),
        "w_ok": all(0.0 <= c[2] <= 1.0 for c in conns),
        "defaults": [static.f_rew, static.s_max, static.initial_weight, static.initial_delay,
                     static.with_replacement, static.formation.grid,
                     static.formation.p_form_forward, static.formation.sigma_form_forward,
                     static.formation.p_form_lateral, static.formation.sigma_form_lateral,
                     static.elimination.prob_elim_depressed,
                     static.elimination.prob_elim_potentiated,
                     sim.LastNeuronSelection().spike_buffer_size],
    }
    try:
        sim.StructuralMechanismStatic(
            sim.RandomSelection(), sim.DistanceDependentFormation(),
            sim.RandomByWeightElimination(0.5), s_max=0)
    except Exception as err:
        res["bad"] = f"{type(err).__name__}: {err}"
    sim.end()
    print(json.dumps(res))
"""


def test_a_spynnaker_script_rewires_in_a_fresh_interpreter(tmp_path: object) -> None:
    from tests.test_spinnaker_face import result, run_script

    res = result(run_script(tmp_path, SCRIPT))  # type: ignore[arg-type]
    assert res["n"] > 20  # synapses formed from none
    assert res["max_fan_in"] <= 16
    assert res["delays"] == [5.0]
    assert res["w_ok"]
    # sPyNNaker 7's defaults
    assert res["defaults"] == [
        10_000.0,
        32,
        0.0,
        1.0,
        True,
        [16, 16],
        0.16,
        2.5,
        1.0,
        1.0,
        0.0245,
        1.36e-4,
        64,
    ]
    assert "s_max" in res["bad"]
    assert "got 0" in res["bad"]


def test_bad_structural_parameters_are_named() -> None:
    from pyNN import errors

    form = DistanceDependentFormation()
    elim = RandomByWeightElimination(threshold=0.5)
    with pytest.raises(errors.InvalidParameterValueError, match=r"p_form_forward = 1\.5"):
        DistanceDependentFormation(p_form_forward=1.5)
    with pytest.raises(errors.InvalidParameterValueError, match="grid must be two"):
        DistanceDependentFormation(grid=(4,))
    with pytest.raises(errors.InvalidParameterValueError, match=r"prob_elim_depressed = -0\.1"):
        RandomByWeightElimination(0.5, prob_elim_depressed=-0.1)
    with pytest.raises(errors.InvalidParameterValueError, match="spike_buffer_size"):
        LastNeuronSelection(0)
    with pytest.raises(errors.InvalidParameterValueError, match="initial_delay"):
        StructuralMechanismStatic(RandomSelection(), form, elim, initial_delay=(1.0, 3.0))
    with pytest.raises(errors.InvalidParameterValueError, match="partner_selection"):
        StructuralMechanismStatic(form, form, elim)
    with pytest.raises(errors.InvalidParameterValueError, match="backprop_delay"):
        StructuralMechanismSTDP(
            RandomSelection(),
            form,
            elim,
            pynn.SpikePairRule(),
            pynn.AdditiveWeightDependence(),
            backprop_delay=False,
        )
    sim = pynn
    sim.setup(timestep=1.0)
    a = sim.Population(4, sim.IF_curr_exp())
    b = sim.Population(4, sim.IF_curr_exp())
    mech = StructuralMechanismStatic(RandomSelection(), form, elim)
    with pytest.raises(errors.ConnectionError, match="whole populations"):
        sim.Projection(a[:2], b, sim.AllToAllConnector(), mech)
    proj = sim.Projection(a, b, sim.AllToAllConnector(), mech)
    with pytest.raises(errors.ConnectionError, match="formed and removed by its rewiring"):
        proj.set(weight=0.1)
    sim.Projection(a, b, sim.OneToOneConnector(), mech)
    with pytest.raises(ParameterError, match="same pair of populations"):
        sim.run(1.0)
    sim.end()


def test_reset_restores_the_connectors_synapses() -> None:
    sim = pynn
    sim.setup(timestep=1.0, seed=2)
    pre = sim.Population(25, sim.SpikeSourcePoisson(rate=30.0))
    post = sim.Population(25, sim.IF_curr_exp())
    mech = StructuralMechanismSTDP(
        RandomSelection(),
        DistanceDependentFormation(grid=(5, 5), p_form_forward=0.5, sigma_form_forward=2.0),
        RandomByWeightElimination(0.5, 0.2, 0.05),
        sim.SpikePairRule(A_plus=0.05, A_minus=0.06),
        sim.AdditiveWeightDependence(0.0, 1.0),
        f_rew=2000.0,
        initial_weight=0.5,
        weight=0.5,
        s_max=8,
    )
    proj = sim.Projection(
        pre, post, sim.FixedProbabilityConnector(0.1, rng=sim.NumpyRNG(seed=1)), mech
    )
    start = proj.get(["weight", "delay"], format="list")
    sim.run(100.0)
    assert proj.get(["weight", "delay"], format="list") != start
    sim.reset()
    assert proj.get(["weight", "delay"], format="list") == start
    assert stats(proj).attempts == 0
    sim.run(100.0)
    assert stats(proj).attempts == 200  # it rewires again (its generators continue)
    sim.end()
