"""sPyNNaker's Neuromodulation: dopamine-modulated STDP (Izhikevich 2007), as sPyNNaker defines it.

The reference below computes the weight from the spike stamps alone: the dopamine level as a
sum over the dopamine arrivals, the traces K+ and K- as sums over spikes, and the weight's
integral of ``c D`` in closed form between consecutive events; it shares no history ring,
table or recursion with ``kernels_c/dopamine.c``.  Times: the synapse sees a presynaptic
spike at its stamp, a postsynaptic spike and a dopamine arrival (a reward or punishment
spike's stamp) a delay ``d`` later; the weight changes when a presynaptic spike is processed
and is clipped then.  tests/test_neuromodulation_nest.py compares with NEST's
``stdp_dopamine_synapse``.
"""

from __future__ import annotations

import math
import pathlib

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from pyNN import errors

from spinstream.model import (
    EXCITATORY,
    NetworkSpec,
    NeuromodulationSpec,
    ParameterError,
    PopulationSpec,
    ProjectionSpec,
    STDPSpec,
)
from tests.engine import require_engine
from tests.fakes import trivial_plan
from tests.test_plasticity import DELTA_CELL, DT, LIF_CELL, cells, load
from tests.test_spinnaker_face import result, run_script

HostBoard = require_engine()

RULE = STDPSpec(10.0, 12.0, 1.0, 0.3, 0.0, 20.0)
NM = NeuromodulationSpec(tau_c=1000.0, tau_d=200.0, w_min=0.0, w_max=20.0)


def nm_spec(
    rule: STDPSpec,
    nm: NeuromodulationSpec,
    w0: float,
    pre_ms: list[float],
    teacher_ms: list[float],
    reward_ms: list[float],
    punish_ms: list[float],
    d: int,
    amount: float,
) -> NetworkSpec:
    """source -> (STDP) -> delta neuron, a teacher firing it, reward and punishment sources."""
    spec = NetworkSpec(dt=DT, seed=1)
    spec.populations += [
        PopulationSpec(0, "pre", 1, "SpikeSourceArray", spike_times=[np.array(pre_ms)]),
        PopulationSpec(1, "teacher", 1, "SpikeSourceArray", spike_times=[np.array(teacher_ms)]),
        PopulationSpec(
            2, "post", 1, "IF_curr_delta", cells(1, DELTA_CELL), {"v": np.array([-65.0])}
        ),
        PopulationSpec(3, "reward", 1, "SpikeSourceArray", spike_times=[np.array(reward_ms)]),
        PopulationSpec(4, "punish", 1, "SpikeSourceArray", spike_times=[np.array(punish_ms)]),
    ]
    one = np.array([0])
    exc = np.array([EXCITATORY])
    spec.projections += [
        ProjectionSpec(0, 0, 2, one, one, np.array([w0]), np.array([d]), exc, "stdp", rule),
        ProjectionSpec(1, 1, 2, one, one, np.array([100.0]), np.array([1]), exc, "teacher"),
        ProjectionSpec(2, 3, 2, one, one, np.array([amount]), np.array([1]), exc, "reward", nm),
    ]
    punish = NeuromodulationSpec(nm.tau_c, nm.tau_d, nm.w_min, nm.w_max, reward=False)
    spec.projections.append(
        ProjectionSpec(3, 4, 2, one, one, np.array([amount]), np.array([1]), exc, "punish", punish)
    )
    return spec


def reference(
    rule: STDPSpec,
    nm: NeuromodulationSpec,
    w0: float,
    pre: list[int],
    post: list[int],
    dopamine: list[tuple[int, float]],
    d: int,
) -> tuple[float, float]:
    """The weight and eligibility after the last presynaptic spike, from the stamps alone.

    dopamine: (stamp, signed amount).  Between consecutive events a < b (as seen at the
    synapse) c(t) = c_a exp(-(t-a)/tau_c) and D(t) = sum_k D_k exp(-(t-u_k)/tau_d), so the
    weight gains c_a sum_k D_k exp(-(a-u_k)/tau_d) tau_s (1 - exp(-(b-a)/tau_s)) with
    1/tau_s = 1/tau_c + 1/tau_d.  At a postsynaptic spike c += A+ sum_{pre s < t} exp(-(t-s)/
    tau+), at a presynaptic one c -= A- sum_{post t < s} exp(-(s-t)/tau-), c clipped to the
    STDP bounds; the weight is clipped to the Neuromodulation's at each presynaptic spike.
    """
    seen_post = sorted(t + d for t in post)
    seen_da = [(u + d, a) for u, a in dopamine]
    events = sorted({*seen_post, *pre, *(u for u, _ in seen_da)})
    tau_s = 1.0 / (1.0 / nm.tau_c + 1.0 / nm.tau_d)
    w, c, at = w0, 0.0, events[0] if events else 0
    for b in events:
        level = sum(a * math.exp(-(at - u) * DT / nm.tau_d) for u, a in seen_da if u <= at)
        w += c * level * tau_s * -math.expm1(-(b - at) * DT / tau_s)
        c *= math.exp(-(b - at) * DT / nm.tau_c)
        at = b
        if b in seen_post:
            k = sum(math.exp(-(b - s) * DT / rule.tau_plus) for s in pre if s < b)
            c = min(c + rule.A_plus * k, rule.w_max)
        if b in pre:
            k = sum(math.exp(-(b - t) * DT / rule.tau_minus) for t in seen_post if t < b)
            c = max(c - rule.A_minus * k, rule.w_min)
            w = min(max(w, nm.w_min), nm.w_max)
            if b == pre[-1]:
                break
    return w, c


def run(
    rule: STDPSpec,
    nm: NeuromodulationSpec,
    w0: float,
    pre_ms: list[float],
    teacher_ms: list[float],
    reward_ms: list[float],
    punish_ms: list[float],
    d: int,
    amount: float,
) -> tuple[float, list[int], list[int]]:
    """Weight after the run, the pre stamps and the postsynaptic stamps recorded."""
    spec = nm_spec(rule, nm, w0, pre_ms, teacher_ms, reward_ms, punish_ms, d, amount)
    board = load(spec)
    board.set_recording(2, "spikes", np.array([0]))
    t_end = max(pre_ms + teacher_ms + reward_ms + punish_ms) + d * DT + 5.0
    res = board.run(round(t_end / DT))
    pre = [round(t / DT) for t in pre_ms]
    return float(board.get_weights(0)[0]), pre, [int(x) for x in res.spikes[2][0]]


def stamps(ms: list[float]) -> list[int]:
    return [round(t / DT) for t in ms]


def test_izhikevich_pairing_then_reward_hand_placed() -> None:
    # sPyNNaker's stdp_neuromodulation_test.py in 0.1 ms steps: pre at 150 ms, the neuron
    # fires at 150.3 ms (seen 1 ms later), dopamine 0.1 at 160 ms (seen at 161), pre again
    # at 240 ms: c = A+ exp(-1.3/10) then decays, w = c(161) D tau_s (1 - exp(-79/tau_s))
    w, _, post = run(RULE, NM, 0.0, [150.0, 240.0], [150.2], [160.0], [], 10, 0.1)
    assert post == [1503]
    tau_s = 1000.0 * 200.0 / 1200.0
    c161 = math.exp(-1.3 / 10.0) * math.exp(-9.7 / 1000.0)
    expected = c161 * 0.1 * tau_s * (1.0 - math.exp(-79.0 / tau_s))
    assert abs(w - expected) <= 1e-12
    assert abs(w - 5.4712) < 1e-4  # the number itself, once
    # punishment instead: the same change, downwards (from w0 = 10, no bound reached)
    w_p, _, _ = run(RULE, NM, 10.0, [150.0, 240.0], [150.2], [], [160.0], 10, 0.1)
    assert abs(w_p - (10.0 - expected)) <= 1e-12


def test_no_dopamine_no_weight_change_and_no_pairing_no_change() -> None:
    w, _, _ = run(RULE, NM, 3.0, [150.0, 155.0, 240.0], [150.2, 153.0], [], [], 10, 0.1)
    assert w == 3.0
    # dopamine with no pairing (the neuron never fires): c stays 0
    w, _, _ = run(RULE, NM, 3.0, [150.0, 240.0], [], [160.0, 170.0], [], 10, 0.1)
    assert w == 3.0


def test_weight_clips_at_the_neuromodulation_bounds_only_at_presynaptic_spikes() -> None:
    nm = NeuromodulationSpec(1000.0, 200.0, 1.0, 4.0)
    # a large reward: unclipped the weight would reach 1.5 + 5.47 * 10
    w, _, _ = run(RULE, nm, 1.5, [150.0, 240.0], [150.2], [160.0], [], 10, 1.0)
    assert w == 4.0
    w, _, _ = run(RULE, nm, 3.5, [150.0, 240.0], [150.2], [], [160.0], 10, 1.0)
    assert w == 1.0


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_random_trains_match_the_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    pre_ms = sorted({round(float(x), 1) for x in rng.uniform(1.0, 400.0, 15)})
    teacher = set(np.round(rng.uniform(1.0, 400.0, 30), 1).tolist())
    teacher |= {round(100.0 + 0.5 * k, 1) for k in range(40)}  # a burst: the ring grows
    reward = sorted(set(np.round(rng.uniform(1.0, 400.0, 12), 1).tolist()))
    punish = sorted(set(np.round(rng.uniform(1.0, 400.0, 6), 1).tolist()))
    reward_set = set(reward)
    punish = [t for t in punish if t not in reward_set]
    d = int(rng.integers(1, 40))
    # c clips at 0 and at 2.5 on these trains (the weight bounds: the hand-placed test)
    rule = STDPSpec(16.8, 33.7, 0.8, 0.5, 0.0, 2.5)
    nm = NeuromodulationSpec(300.0, 50.0, 0.5, 6.0)
    w0, amount = 3.0, 0.004
    spec = nm_spec(rule, nm, w0, pre_ms, sorted(teacher), reward, punish, d, amount)
    board = load(spec)
    board.set_recording(2, "spikes", np.array([0]))
    res = board.run(round(420.0 / DT) + d)
    w = float(board.get_weights(0)[0])
    pre, post = stamps(pre_ms), [int(x) for x in res.spikes[2][0]]
    dopamine = [(s, amount) for s in stamps(reward)] + [(s, -amount) for s in stamps(punish)]
    expected, _ = reference(rule, nm, w0, pre, post, dopamine, d)
    assert abs(w - expected) <= 1e-9
    assert abs(w - w0) > 1e-3
    stats = board.plastic_statistics()
    assert stats is not None
    assert stats.ring_capacity >= 32  # the burst grew the ring
    assert stats.lost == 0
    # reset: the same run again, from the initial weight and an empty history
    board.reset()
    board.run(round(420.0 / DT) + d)
    assert float(board.get_weights(0)[0]) == w


def recurrent_spec(seed: int = 3) -> NetworkSpec:
    """Poisson -> LIF (dopamine-modulated STDP), LIF -> LIF (modulated too), and reward and
    punishment from Poisson sources onto the LIF population."""
    rng = np.random.default_rng(seed)
    n_src, n = 40, 30
    spec = NetworkSpec(dt=DT, seed=seed)

    def poisson(pid: int, label: str, k: int, rate: float) -> PopulationSpec:
        return PopulationSpec(
            pid,
            label,
            k,
            "SpikeSourcePoisson",
            params={
                "rate": np.full(k, rate),
                "start": np.zeros(k),
                "duration": np.full(k, np.inf),
            },
        )

    spec.populations += [
        poisson(0, "noise", n_src, 40.0),
        PopulationSpec(
            1, "exc", n, "IF_curr_exp", cells(n, LIF_CELL), {"v": rng.uniform(-65, -55, n)}
        ),
        poisson(2, "reward", 4, 20.0),
        poisson(3, "punish", 4, 10.0),
    ]
    rule = STDPSpec(20.0, 20.0, 0.5, 0.4, 0.0, 2.0)
    for pid, (a, b, p_conn, label) in enumerate(
        ((0, 1, 0.3, "in"), (1, 1, 0.2, "rec"), (2, 1, 0.5, "reward"), (3, 1, 0.5, "punish"))
    ):
        k = (rng.random((spec.populations[a].size, n)) < p_conn) & ~(
            np.eye(n, dtype=bool) if a == b else False
        )
        pre, post = np.nonzero(k)
        nm = NeuromodulationSpec(200.0, 50.0, 0.0, 1.5, reward=label == "reward")
        spec.projections.append(
            ProjectionSpec(
                pid,
                a,
                b,
                pre,
                post,
                rng.uniform(0.2, 1.0, len(pre)) if pid < 2 else np.full(len(pre), 0.02),
                rng.integers(1, 20, len(pre)),
                np.zeros(len(pre), np.int64),
                label,
                rule if pid < 2 else nm,
            )
        )
    return spec


@pytest.mark.parametrize("atoms", [64, 7])
def test_chunks_and_threads_give_the_same_weights(atoms: int) -> None:
    def board(threads: int) -> HostBoard:
        spec = recurrent_spec()
        b = HostBoard(threads=threads)
        b.load(spec, trivial_plan(spec, atoms_per_core=atoms))
        b.set_recording(1, "spikes", np.arange(30))
        return b

    whole = board(1)
    ref = whole.run(4000)
    rng = np.random.default_rng(atoms)
    for threads in (1, 2):
        cut = board(threads)
        stamps_, done = [], 0
        while done < 4000:
            k = int(min(rng.integers(1, 400), 4000 - done))
            stamps_.append(cut.run(k).spikes[1][0])
            done += k
        assert_array_equal(np.sort(np.concatenate(stamps_)), np.sort(ref.spikes[1][0]))
        for p in (0, 1):
            assert_array_equal(cut.get_weights(p), whole.get_weights(p))
    assert len(ref.spikes[1][0]) > 200
    spec = recurrent_spec()
    for p in (0, 1):
        moved = np.abs(whole.get_weights(p) - spec.projections[p].weight)
        assert moved.max() > 1e-3
    assert whole.plastic_statistics().lost == 0


def test_bad_networks_are_refused_at_load() -> None:
    base = dict(w0=1.0, pre_ms=[10.0], teacher_ms=[], reward_ms=[5.0], punish_ms=[], d=1)
    # reward and punishment into one population with different parameters
    spec = nm_spec(RULE, NM, amount=0.1, **base)  # type: ignore[arg-type]
    spec.projections[3].plasticity = NeuromodulationSpec(500.0, 200.0, 0.0, 20.0, reward=False)
    with pytest.raises(ParameterError, match=r"tau_c=500\.0.*must match"):
        load(spec)
    # another timing rule
    vogels = STDPSpec(20.0, 20.0, 0.1, 0.0, 0.0, 20.0, timing="vogels", alpha=0.1)
    with pytest.raises(ParameterError, match="SpikePairRule"):
        load(nm_spec(vogels, NM, amount=0.1, **base))  # type: ignore[arg-type]
    # no STDP synapses into the target
    spec = nm_spec(RULE, NM, amount=0.1, **base)  # type: ignore[arg-type]
    spec.projections[0].plasticity = None
    with pytest.raises(ParameterError, match="has none"):
        load(spec)
    with pytest.raises(ParameterError, match="tau_d"):
        NeuromodulationSpec(100.0, 0.0, 0.0, 1.0).check("x")
    with pytest.raises(ParameterError, match="w_min"):
        NeuromodulationSpec(100.0, 10.0, 2.0, 1.0).check("x")


# ------------------------------------------------------------------ sPyNNaker's face

SCRIPT = """
    import json
    import pyNN.spiNNaker as sim
    sim.setup(timestep=0.1)
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=[150.0, 240.0]))
    teach = sim.Population(1, sim.SpikeSourceArray(spike_times=[150.2]))
    reward = sim.Population(1, sim.SpikeSourceArray(spike_times=[160.0]), label="reward")
    post = sim.Population(2, sim.IF_curr_delta(tau_refrac=0.1))
    sim.Projection(teach, post, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=100.0, delay=0.1))
    stdp = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=10.0, tau_minus=12.0,
                                            A_plus=1.0, A_minus=0.3),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=20.0),
        weight=0.0, delay=1.0)
    conns = [(0, 0, 0.0, 1.0), (0, 1, 10.0, 1.0)]
    plastic = sim.Projection(pre, post, sim.FromListConnector(conns), stdp,
                             receptor_type="excitatory")
    sim.Projection(reward, post, sim.FromListConnector([(0, 0, 0.1, 1.0)]),
                   synapse_type=sim.extra_models.Neuromodulation(
                       weight=0.1, tau_c=1000.0, tau_d=200.0, w_max=20.0),
                   receptor_type="reward")
    sim.Projection(reward, post, sim.FromListConnector([(0, 1, 0.1, 1.0)]),
                   synapse_type=sim.extra_models.Neuromodulation(
                       weight=0.1, tau_c=1000.0, tau_d=200.0, w_max=20.0),
                   receptor_type="punishment")
    sim.run(200.0)
    mid = [float(x) for x in plastic.get("weight", format="array")[0]]
    sim.run(100.0)
    end = [float(x) for x in plastic.get("weight", format="array")[0]]
    sim.end()
    print(json.dumps({"mid": mid, "end": end}))
"""


def test_spynnaker_script_rewards_and_punishes(tmp_path: pathlib.Path) -> None:
    res = result(run_script(tmp_path, SCRIPT))
    tau_s = 1000.0 * 200.0 / 1200.0
    change = math.exp(-1.3 / 10.0) * math.exp(-9.7 / 1000.0) * 0.1 * tau_s
    change *= 1.0 - math.exp(-79.0 / tau_s)
    assert res["mid"] == [0.0, 10.0]  # the weight changes when the presynaptic spike comes
    assert_allclose(res["end"], [change, 10.0 - change], rtol=1e-12)


def test_neuromodulation_arguments_are_checked() -> None:
    from spinstream.spinnaker import extra_models

    with pytest.raises(errors.InvalidParameterValueError, match="tau_c"):
        extra_models.Neuromodulation(weight=0.1, tau_c=-1.0)
    with pytest.raises(errors.InvalidParameterValueError, match="w_min"):
        extra_models.Neuromodulation(weight=0.1, w_min=-1.0)
    nm = extra_models.Neuromodulation(weight=0.05)
    assert (nm.tau_c, nm.tau_d, nm.w_min, nm.w_max) == (1000.0, 200.0, 0.0, 1.0)  # sPyNNaker's


def test_receptor_and_synapse_type_go_together() -> None:
    import spinstream.spinnaker as sim
    from spinstream.spinnaker import extra_models

    sim.setup(timestep=1.0)
    try:
        a = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0]))
        b = sim.Population(1, sim.IF_curr_exp())
        with pytest.raises(errors.ConnectionError, match="reward"):
            sim.Projection(
                a, b, sim.OneToOneConnector(), sim.StaticSynapse(), receptor_type="reward"
            )
        with pytest.raises(errors.ConnectionError, match="Neuromodulation"):
            sim.Projection(a, b, sim.OneToOneConnector(), extra_models.Neuromodulation(weight=0.1))
        with pytest.raises(errors.ConnectionError, match="negative"):
            sim.Projection(
                a,
                b,
                sim.OneToOneConnector(),
                extra_models.Neuromodulation(weight=-0.1),
                receptor_type="reward",
            )
    finally:
        sim.end()


def test_modulated_weights_keep_to_the_neuromodulation_bounds() -> None:
    # STDP bounds [0, 20] hold the eligibility; the Neuromodulation's [0, 1] the weight
    nm = NeuromodulationSpec(1000.0, 200.0, 0.0, 1.0)
    base = dict(pre_ms=[10.0], teacher_ms=[], reward_ms=[5.0], punish_ms=[], d=1, amount=0.1)
    with pytest.raises(ParameterError, match=r"Neuromodulation's bounds.*\[0\.0, 1\.0\]"):
        load(nm_spec(RULE, nm, 1.5, **base))  # type: ignore[arg-type]
    board = load(nm_spec(RULE, nm, 0.5, **base))  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"\[0\.0, 1\.0\]"):
        board.set_synapses(0, np.array([0]), weight=np.array([2.0]))
    board.set_synapses(0, np.array([0]), weight=np.array([0.9]))
    assert board.get_weights(0)[0] == 0.9
