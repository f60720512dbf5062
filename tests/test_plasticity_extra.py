"""sPyNNaker's extra plasticity rules: SpikeNearestPairRule and Vogels2011Rule.

The references below compute each rule's weight from the spike times themselves (no traces,
no history rings), so they share no method with ``kernels_c/plastic.c``.  Times as in
tests/test_plasticity.py: the synapse sees a presynaptic spike at its stamp and a
postsynaptic one a delay later; weights change when a presynaptic spike is processed.
"""

from __future__ import annotations

import math
import pathlib

import numpy as np
import pytest
from numpy.testing import assert_allclose
from pyNN import errors

from spinstream.model import ParameterError, STDPSpec
from tests.engine import require_engine
from tests.test_plasticity import DT, load, pair_spec
from tests.test_spinnaker_face import result, run_script

HostBoard = require_engine()


def reference_nearest(rule: STDPSpec, w0: float, pre: list[int], post: list[int], d: int) -> float:
    """sPyNNaker's nearest pair: at each presynaptic spike s, the first postsynaptic spike
    seen since the previous presynaptic spike s' (t + d in (s', s]) potentiates by
    exp(-(t + d - s')/tau+); then the latest one seen before s depresses by
    exp(-(s - t - d)/tau-)."""
    w, prev = w0, None
    add = rule.weight_dependence == "additive"
    seen = sorted(t + d for t in post)
    for s in pre:
        if prev is not None:
            window = [a for a in seen if prev < a <= s]
            if window and window[0] > prev:
                k = math.exp(-(window[0] - prev) * DT / rule.tau_plus)
                w += rule.A_plus * (rule.w_max if add else rule.w_max - w) * k
                w = min(w, rule.w_max)
        before = [a for a in seen if a < s]
        if before:
            k = math.exp(-(s - before[-1]) * DT / rule.tau_minus)
            w -= rule.A_minus * (rule.w_max if add else w - rule.w_min) * k
            w = max(w, rule.w_min)
        prev = s
    return w


def reference_vogels(rule: STDPSpec, w0: float, pre: list[int], post: list[int], d: int) -> float:
    """Vogels et al. 2011 as NEST's vogels_sprekeler_synapse applies it: at each presynaptic
    spike s, every postsynaptic spike seen since the previous one adds eta times the sum of
    exp(-|dt|/tau) over the earlier presynaptic spikes; then s adds eta times the same sum
    over the postsynaptic spikes seen before it, and loses alpha eta (clipped each time)."""
    w, prev = w0, -math.inf
    eta, tau = rule.A_plus, rule.tau_plus
    seen = sorted(t + d for t in post)
    for s in pre:
        for a in seen:
            if prev < a <= s:
                k = sum(math.exp(-(a - sj) * DT / tau) for sj in pre if sj < a)
                w = min(w + eta * k, rule.w_max)
        k = sum(math.exp(-(s - a) * DT / tau) for a in seen if a < s)
        if k:
            w = min(w + eta * k, rule.w_max)
        w = max(w - rule.alpha * eta, rule.w_min)
        prev = s
    return w


def reference_triplet(rule: STDPSpec, w0: float, pre: list[int], post: list[int], d: int) -> float:
    """Pfister & Gerstner's all-to-all triplet rule from spike times: at each presynaptic
    spike s, every postsynaptic spike seen since the previous one (at a) adds
    w_max (A_plus + A3_plus o2) r1 with r1 = sum over presynaptic spikes before a of
    exp(-lag/tau_plus) and o2 = sum over postsynaptic spikes seen before a of
    exp(-lag/tau_y); then s subtracts w_max (A_minus + A3_minus r2) o1 with o1 over the
    postsynaptic spikes seen before s (tau_minus), r2 over the presynaptic spikes before s
    (tau_x); each step clipped."""
    w, prev = w0, -math.inf
    seen = sorted(t + d for t in post)

    def trace(times: list[int], at: int, tau: float) -> float:
        return sum(math.exp(-(at - x) * DT / tau) for x in times if x < at)

    for s in pre:
        for a in seen:
            if prev < a <= s:
                r1, o2 = trace(pre, a, rule.tau_plus), trace(seen, a, rule.tau_y)
                w = min(w + rule.w_max * (rule.A_plus + rule.A3_plus * o2) * r1, rule.w_max)
        o1, r2 = trace(seen, s, rule.tau_minus), trace(pre, s, rule.tau_x)
        w = max(w - rule.w_max * (rule.A_minus + rule.A3_minus * r2) * o1, rule.w_min)
        prev = s
    return w


TRIPLET = STDPSpec(
    16.8,
    33.7,
    0.005,
    0.007,
    0.0,
    2.0,
    timing="triplet",
    tau_x=101.0,
    tau_y=125.0,
    A3_plus=0.0062,
    A3_minus=0.0023,
)
NEAR_ADD = STDPSpec(16.8, 33.7, 0.05, 0.0525, 0.0, 2.0, timing="nearest")
NEAR_MUL = STDPSpec(16.8, 33.7, 0.05, 0.0525, 0.1, 2.0, "multiplicative", timing="nearest")
VOGELS = STDPSpec(20.0, 20.0, 0.01, 0.0, 0.0, 2.0, timing="vogels", alpha=0.2)


def run_pair(
    rule: STDPSpec, w0: float, pre_ms: list[float], teacher_ms: list[float], d: int
) -> tuple[float, list[int], list[int]]:
    """Weight after the run, and the pre and post stamps (the neuron's recorded spikes)."""
    board = load(pair_spec(rule, w0, pre_ms, teacher_ms, d))
    board.set_recording(2, "spikes", np.array([0]))
    t_end = max(pre_ms + teacher_ms) + d * DT + 5.0
    res = board.run(round(t_end / DT))
    pre = [round(t / DT) for t in pre_ms]
    post = [int(x) for x in res.spikes[2][0]]
    return float(board.get_weights(0)[0]), pre, post


def test_nearest_pair_hand_placed() -> None:
    # pre 10, 40 ms; post 14.3 and 16.3 ms, seen at 15.8 and 17.8: only the first one
    # potentiates (against pre 10 alone), the pre at 40 depresses against 17.8 alone
    w, _, _ = run_pair(NEAR_ADD, 0.8, [10.0, 40.0], [14.2, 16.2], 15)
    a = NEAR_ADD
    expected = 0.8 + a.A_plus * a.w_max * math.exp(-5.8 / a.tau_plus)
    expected -= a.A_minus * a.w_max * math.exp(-22.2 / a.tau_minus)
    assert abs(w - expected) <= 1e-12
    # all-to-all pairing gives another weight on the same spikes (the rule is not vacuous)
    pair = STDPSpec(16.8, 33.7, 0.05, 0.0525, 0.0, 2.0)
    w_pair, _, _ = run_pair(pair, 0.8, [10.0, 40.0], [14.2, 16.2], 15)
    assert abs(w_pair - w) > 0.01


@pytest.mark.parametrize(
    "rule",
    [NEAR_ADD, NEAR_MUL, VOGELS, TRIPLET],
    ids=["nearest-add", "nearest-mul", "vogels", "triplet"],
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_trains_match_the_reference(rule: STDPSpec, seed: int) -> None:
    # dense postsynaptic bursts while the presynaptic neuron is silent overflow the 16-entry
    # history ring: the engine pairs the oldest entries early (pending changes) or grows it
    rng = np.random.default_rng(seed)
    pre_ms = sorted({round(float(x), 1) for x in rng.uniform(1.0, 300.0, 12)})
    teacher = set(np.round(rng.uniform(1.0, 300.0, 25), 1).tolist())
    teacher |= {round(100.0 + 0.5 * k, 1) for k in range(40)}  # a 20 ms burst
    teacher_ms = sorted(teacher)
    d = int(rng.integers(1, 40))
    w0 = 1.0
    w, pre, post = run_pair(rule, w0, pre_ms, teacher_ms, d)
    ref = {"vogels": reference_vogels, "triplet": reference_triplet}.get(
        rule.timing, reference_nearest
    )
    expected = ref(rule, w0, pre, post, d)
    assert abs(w - expected) <= 1e-9
    assert abs(w - w0) > 1e-3


def test_vogels_hand_placed_and_clipping() -> None:
    w, _, _ = run_pair(VOGELS, 0.5, [10.0, 40.0], [14.2, 16.2], 15)
    eta, tau = VOGELS.A_plus, VOGELS.tau_plus
    expected = 0.5 - 0.2 * eta  # the first presynaptic spike: no postsynaptic one before it
    expected += eta * (math.exp(-5.8 / tau) + math.exp(-7.8 / tau))
    expected += eta * (math.exp(-24.2 / tau) + math.exp(-22.2 / tau)) - 0.2 * eta
    assert abs(w - expected) <= 1e-12
    # presynaptic spikes alone only depress, down to w_min
    strong = STDPSpec(20.0, 20.0, 0.5, 0.0, 0.0, 2.0, timing="vogels", alpha=1.0)
    w, _, _ = run_pair(strong, 0.6, [5.0, 6.0], [], 1)
    assert w == 0.0


def test_bad_rules_are_refused() -> None:
    with pytest.raises(ParameterError, match="alpha"):
        STDPSpec(20.0, 20.0, 0.1, 0.0, 0.0, 1.0, timing="vogels", alpha=-1.0).check("x")
    with pytest.raises(ParameterError, match="one tau"):
        STDPSpec(20.0, 10.0, 0.1, 0.0, 0.0, 1.0, timing="vogels").check("x")
    with pytest.raises(ParameterError, match="Additive"):
        STDPSpec(20.0, 20.0, 0.1, 0.0, 0.0, 1.0, "multiplicative", timing="vogels").check("x")
    with pytest.raises(ParameterError, match="timing"):
        STDPSpec(20.0, 20.0, 0.1, 0.0, 0.0, 1.0, timing="quadruplet").check("x")
    with pytest.raises(ParameterError, match="tau_y"):
        STDPSpec(20.0, 20.0, 0.1, 0.0, 0.0, 1.0, timing="triplet", tau_x=5.0).check("x")
    from spinstream.spinnaker import STDPMechanism
    from spinstream.spinnaker.extra_models import (
        PfisterSpikeTriplet,
        SpikeNearestPairRule,
        Vogels2011Rule,
        WeightDependenceAdditiveTriplet,
    )

    with pytest.raises(errors.InvalidParameterValueError, match="A3_minus"):
        WeightDependenceAdditiveTriplet(A3_minus=-0.1)
    with pytest.raises(errors.InvalidParameterValueError, match="tau_x"):
        PfisterSpikeTriplet(20.0, 20.0, 0.0, 100.0, 0.01, 0.01)
    with pytest.raises(errors.NoModelAvailableError, match="together"):
        STDPMechanism(
            timing_dependence=SpikeNearestPairRule(),
            weight_dependence=WeightDependenceAdditiveTriplet(),
        )

    with pytest.raises(errors.InvalidParameterValueError, match="A_minus"):
        Vogels2011Rule(alpha=0.1, A_minus=0.02)
    with pytest.raises(errors.InvalidParameterValueError, match="tau"):
        Vogels2011Rule(alpha=0.1, tau=-1.0)
    with pytest.raises(errors.InvalidParameterValueError, match="tau_plus"):
        SpikeNearestPairRule(tau_plus=0.0)


SCRIPT = """
    import json
    import pyNN.spiNNaker as sim
    sim.setup(timestep=0.1)
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=[[10.0, 40.0]]))
    teach = sim.Population(1, sim.SpikeSourceArray(spike_times=[[14.2, 16.2]]))
    out = {}
    for name, td in (
        ("nearest", sim.extra_models.SpikeNearestPairRule(
            tau_plus=16.8, tau_minus=20.0, A_plus=0.05, A_minus=0.0525)),
        ("vogels", sim.extra_models.Vogels2011Rule(alpha=0.12, tau=20.0, A_plus=0.05)),
        ("triplet", sim.extra_models.PfisterSpikeTriplet(
            tau_plus=16.8, tau_minus=20.0, tau_x=101.0, tau_y=125.0, A_plus=0.05,
            A_minus=0.0525)),
    ):
        post = sim.Population(1, sim.IF_curr_delta(tau_refrac=0.1))
        sim.Projection(teach, post, sim.OneToOneConnector(),
                       sim.StaticSynapse(weight=100.0, delay=0.1))
        wd = (sim.extra_models.WeightDependenceAdditiveTriplet(
                  w_min=0.0, w_max=2.0, A3_plus=0.1, A3_minus=0.2)
              if name == "triplet" else
              sim.AdditiveWeightDependence(w_min=0.0, w_max=2.0))
        stdp = sim.STDPMechanism(timing_dependence=td, weight_dependence=wd,
                                 weight=0.8, delay=1.5)
        proj = sim.Projection(pre, post, sim.OneToOneConnector(), stdp,
                              receptor_type="inhibitory" if name == "vogels" else "excitatory")
        out[name] = proj
    sim.run(50.0)
    res = {k: float(p.get("weight", format="array")[0, 0]) for k, p in out.items()}
    res["tau"] = float(out["vogels"].get("tau", format="array")[0, 0])
    res["alpha"] = float(out["vogels"].get("alpha", format="array")[0, 0])
    res["A3_minus"] = float(out["triplet"].get("A3_minus", format="array")[0, 0])
    sim.end()
    print(json.dumps(res))
"""


def test_spynnaker_script_runs_both_rules(tmp_path: pathlib.Path) -> None:
    res = result(run_script(tmp_path, SCRIPT))
    near = 0.8 + 0.05 * 2.0 * math.exp(-5.8 / 16.8) - 0.0525 * 2.0 * math.exp(-22.2 / 20.0)
    assert_allclose(res["nearest"], near, rtol=1e-12)
    eta = 0.05
    vog = 0.8 - 0.12 * eta + eta * (math.exp(-5.8 / 20) + math.exp(-7.8 / 20))
    vog += eta * (math.exp(-24.2 / 20) + math.exp(-22.2 / 20)) - 0.12 * eta
    assert_allclose(res["vogels"], vog, rtol=1e-12)
    assert res["tau"] == 20.0
    assert res["alpha"] == 0.12
    # triplet: post 15.8 (o2 before it 0), 17.8 (o2 = e^(-2/125)); pre 40 depresses with
    # r2 = e^(-30/101) and o1 over both postsynaptic spikes
    r1 = [math.exp(-5.8 / 16.8), math.exp(-7.8 / 16.8)]
    tri = 0.8 + 2.0 * 0.05 * r1[0] + 2.0 * (0.05 + 0.1 * math.exp(-2.0 / 125.0)) * r1[1]
    o1 = math.exp(-24.2 / 20.0) + math.exp(-22.2 / 20.0)
    tri -= 2.0 * (0.0525 + 0.2 * math.exp(-30.0 / 101.0)) * o1
    assert_allclose(res["triplet"], tri, rtol=1e-12)
    assert res["A3_minus"] == 0.2
