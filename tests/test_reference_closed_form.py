"""The reference board against closed forms: what makes it a trustworthy yardstick.

Every expectation here is derived by hand from docs/ENGINE.md (a spike stamped ``s``
through delay ``d`` starts acting at ``(s + d)*dt``; samples stamped ``k`` hold the state at
``k*dt``), never from the reference's own code.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from scipy.integrate import solve_ivp

from spinstream.model import INHIBITORY, LateInputError, NetworkSpec, ParameterError
from tests.reference import (
    ReferenceBoard,
    current_source,
    network,
    population,
    projection,
    trivial_plan,
)

DT = 0.1


def load(spec: NetworkSpec) -> ReferenceBoard:
    board = ReferenceBoard()
    board.load(spec, trivial_plan(spec))
    return board


def record_all(board: ReferenceBoard, pop: int, size: int, *variables: str) -> None:
    for var in variables:
        board.set_recording(pop, var, np.arange(size))


def one_spike_network(
    model: str,
    n: int,
    stamp: int,
    weights: np.ndarray,
    delays: np.ndarray,
    receptors: np.ndarray,
    **params: object,
) -> NetworkSpec:
    """One SpikeSourceArray neuron firing once at ``stamp`` into ``n`` neurons."""
    return network(
        DT,
        [
            population(0, "SpikeSourceArray", 1, spike_times=[[stamp * DT]]),
            population(1, model, n, **params),  # type: ignore[arg-type]
        ],
        [projection(0, 0, 1, [0] * n, range(n), weights, delays, receptors)],
    )


# -- subthreshold dynamics ------------------------------------------------------------------


@pytest.mark.parametrize("model", ["IF_curr_exp", "IF_curr_delta", "IF_curr_alpha"])
def test_dc_charging_matches_closed_form(model: str) -> None:
    rng = np.random.default_rng(11)
    n, steps = 25, 1000
    tau_m = rng.uniform(2.0, 50.0, n)
    cm = rng.uniform(0.5, 2.0, n)
    v_rest = rng.uniform(-80.0, -50.0, n)
    i_offset = rng.uniform(-1.0, 1.0, n)
    extra = {} if model == "IF_curr_delta" else {"tau_syn_E": 3.0, "tau_syn_I": 7.0}
    spec = network(
        DT,
        [
            population(
                0,
                model,
                n,
                tau_m=tau_m,
                cm=cm,
                v_rest=v_rest,
                i_offset=i_offset,
                v_thresh=1e9,
                initial={"v": v_rest},
                **extra,
            )
        ],
        current_sources=[current_source(0, "dc", [(0, range(n))], amplitude=0.3, start=0.0)],
    )
    board = load(spec)
    record_all(board, 0, n, "v")
    stamps, v = board.run(steps).samples[(0, "v")]
    assert_array_equal(stamps, np.arange(steps + 1))
    t = stamps[:, None] * DT
    expected = v_rest + tau_m / cm * (i_offset + 0.3) * (1 - np.exp(-t / tau_m))
    assert_allclose(v, expected, rtol=0, atol=1e-10)


def _psp_inputs(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    tau_m = rng.uniform(5.0, 40.0, n)
    # keep tau_syn away from tau_m so the closed form does not cancel
    tau_s = np.where(
        rng.random(n) < 0.5, tau_m * rng.uniform(0.05, 0.7, n), tau_m * rng.uniform(1.4, 3.0, n)
    )
    cm = rng.uniform(0.2, 2.0, n)
    w = rng.uniform(0.1, 3.0, n)
    d = rng.integers(1, 30, n)
    receptor = rng.integers(0, 2, n)
    return tau_m, tau_s, cm, w, d, receptor


def test_single_spike_psp_exp_matches_closed_form() -> None:
    rng = np.random.default_rng(12)
    n, s, steps = 30, 7, 800
    tau_m, tau_s, cm, w, d, receptor = _psp_inputs(rng, n)
    spec = one_spike_network(
        "IF_curr_exp",
        n,
        s,
        w,
        d,
        receptor,
        tau_m=tau_m,
        cm=cm,
        tau_syn_E=tau_s,
        tau_syn_I=tau_s,
        v_rest=-65.0,
        v_thresh=1e9,
        initial={"v": -65.0},
    )
    board = load(spec)
    record_all(board, 1, n, "v", "isyn_exc", "isyn_inh")
    res = board.run(steps)
    stamps, v = res.samples[(1, "v")]
    t_after = (stamps[:, None] - (s + d)) * DT  # time since the effect starts
    arrived = t_after >= 0
    sign = np.where(receptor == INHIBITORY, -1.0, 1.0)
    tp = np.maximum(t_after, 0)
    psp = w / cm * tau_m * tau_s / (tau_s - tau_m) * (np.exp(-tp / tau_s) - np.exp(-tp / tau_m))
    assert_allclose(v, -65.0 + np.where(arrived, sign * psp, 0.0), rtol=0, atol=1e-10)
    current = np.where(arrived, w * np.exp(-tp / tau_s), 0.0)
    exc = np.where(receptor == INHIBITORY, 0.0, current)
    inh = np.where(receptor == INHIBITORY, current, 0.0)
    assert_allclose(res.samples[(1, "isyn_exc")][1], exc, rtol=0, atol=1e-12)
    assert_allclose(res.samples[(1, "isyn_inh")][1], inh, rtol=0, atol=1e-12)


def test_single_spike_psp_alpha_matches_closed_form() -> None:
    rng = np.random.default_rng(13)
    n, s, steps = 30, 3, 800
    tau_m, tau_s, cm, w, d, receptor = _psp_inputs(rng, n)
    spec = one_spike_network(
        "IF_curr_alpha",
        n,
        s,
        w,
        d,
        receptor,
        tau_m=tau_m,
        cm=cm,
        tau_syn_E=tau_s,
        tau_syn_I=tau_s,
        v_rest=-65.0,
        v_thresh=1e9,
        initial={"v": -65.0},
    )
    board = load(spec)
    record_all(board, 1, n, "v", "isyn_exc", "isyn_inh")
    res = board.run(steps)
    stamps, v = res.samples[(1, "v")]
    tp = np.maximum((stamps[:, None] - (s + d)) * DT, 0)
    sign = np.where(receptor == INHIBITORY, -1.0, 1.0)
    # I(t) = w e t/tau_s exp(-t/tau_s); v = 1/cm int_0^t exp(-(t-x)/tau_m) I(x) dx
    a = 1 / tau_s - 1 / tau_m
    psp = (
        w
        * math.e
        / (tau_s * cm)
        * np.exp(-tp / tau_m)
        * (1 - np.exp(-a * tp) * (1 + a * tp))
        / a**2
    )
    assert_allclose(v, -65.0 + sign * psp, rtol=0, atol=1e-10)
    current = w * math.e * tp / tau_s * np.exp(-tp / tau_s)
    exc = np.where(receptor == INHIBITORY, 0.0, current)
    inh = np.where(receptor == INHIBITORY, current, 0.0)
    assert_allclose(res.samples[(1, "isyn_exc")][1], exc, rtol=0, atol=1e-12)
    assert_allclose(res.samples[(1, "isyn_inh")][1], inh, rtol=0, atol=1e-12)
    # the current peaks at w, tau_syn after arrival
    peak = np.argmax(res.samples[(1, "isyn_exc")][1] + res.samples[(1, "isyn_inh")][1], axis=0)
    inside = (s + d) * DT + tau_s < (steps - 1) * DT
    assert inside.sum() > 10
    assert np.all(np.abs((peak - (s + d)) * DT - tau_s)[inside] <= DT)


def test_cond_exp_subthreshold_matches_fine_ode_solution() -> None:
    rng = np.random.default_rng(14)
    n, steps = 6, 600
    p = {
        "v_rest": rng.uniform(-70, -60, n),
        "cm": rng.uniform(0.5, 1.5, n),
        "tau_m": rng.uniform(10, 30, n),
        "tau_syn_E": rng.uniform(1, 8, n),
        "tau_syn_I": rng.uniform(2, 12, n),
        "e_rev_E": rng.uniform(-5, 5, n),
        "e_rev_I": rng.uniform(-85, -70, n),
        "i_offset": rng.uniform(0, 0.3, n),
    }
    w_exc, w_inh = rng.uniform(0.01, 0.1, n), rng.uniform(0.01, 0.1, n)
    s_exc, s_inh, d = 40, 230, 5
    spec = network(
        DT,
        [
            population(0, "SpikeSourceArray", 2, spike_times=[[s_exc * DT], [s_inh * DT]]),
            population(1, "IF_cond_exp", n, v_thresh=1e9, initial={"v": p["v_rest"]}, **p),
        ],
        [
            projection(0, 0, 1, [0] * n, range(n), w_exc, d, 0),
            projection(1, 0, 1, [1] * n, range(n), w_inh, d, 1),
        ],
    )
    board = load(spec)
    record_all(board, 1, n, "v", "gsyn_exc", "gsyn_inh")
    res = board.run(steps)
    stamps, v = res.samples[(1, "v")]
    t = stamps * DT
    t_exc, t_inh = (s_exc + d) * DT, (s_inh + d) * DT
    for i in range(n):

        def g(t: float, w: float, t0: float, tau: float) -> float:
            return w * math.exp(-(t - t0) / tau) if t >= t0 else 0.0

        def dvdt(tt: float, y: np.ndarray, i: int = i) -> list[float]:
            ge = g(tt, w_exc[i], t_exc, p["tau_syn_E"][i])
            gi = g(tt, w_inh[i], t_inh, p["tau_syn_I"][i])
            return [
                (
                    p["cm"][i] / p["tau_m"][i] * (p["v_rest"][i] - y[0])
                    + ge * (p["e_rev_E"][i] - y[0])
                    + gi * (p["e_rev_I"][i] - y[0])
                    + p["i_offset"][i]
                )
                / p["cm"][i]
            ]

        expected = np.empty(len(t))
        y0 = [p["v_rest"][i]]
        edges = [0.0, t_exc, t_inh, t[-1]]
        for lo, hi in itertools.pairwise(edges):
            sol = solve_ivp(
                dvdt, (lo, hi), y0, method="DOP853", rtol=1e-11, atol=1e-12, dense_output=True
            )
            sel = (t >= lo) & (t <= hi)
            expected[sel] = sol.sol(t[sel])[0]
            y0 = [sol.y[0][-1]]
        assert np.max(np.abs(v[:, i] - expected)) < 1e-6
    # the conductances themselves decay exactly
    tp = (stamps[:, None] - (s_exc + d)) * DT
    ge = np.where(tp >= 0, w_exc * np.exp(-np.maximum(tp, 0) / p["tau_syn_E"]), 0.0)
    assert_allclose(res.samples[(1, "gsyn_exc")][1], ge, rtol=0, atol=1e-14)


def test_izhikevich_steps_match_hand_computed_euler() -> None:
    spec = network(
        DT,
        [
            population(0, "SpikeSourceArray", 1, spike_times=[[0.5]]),
            population(
                1,
                "Izhikevich",
                1,
                a=0.02,
                b=0.2,
                c=-65.0,
                d=8.0,
                i_offset=0.01,
                initial={"v": -70.0, "u": -14.0},
            ),
        ],
        [projection(0, 0, 1, [0], [0], 5.0, 2)],
    )
    board = load(spec)
    record_all(board, 1, 1, "v", "u")
    res = board.run(3)
    # I = 10 pA:  v1 = -70 + 0.1*(196 - 350 + 140 + 14 + 10) = -69
    # u1 = -14 + 0.1*0.02*(0.2*-70 + 14) = -14;  v2 = -69 + 0.1*9.44;  ...
    assert_allclose(
        res.samples[(1, "v")][1][:, 0], [-70.0, -69.0, -68.056, -67.157563456], rtol=0, atol=1e-12
    )
    assert_allclose(
        res.samples[(1, "u")][1][:, 0], [-14.0, -14.0, -13.9996, -13.9988232], rtol=0, atol=1e-12
    )
    # input spike stamped 5, delay 2: +5 mV in step 6, on top of that step's Euler update
    board.set_state(1, "v", np.array([0]), np.array([-70.0]))
    board.set_state(1, "u", np.array([0]), np.array([-14.0]))
    board.set_parameters(1, "i_offset", np.array([0]), np.array([0.0]))
    res = board.run(4)  # steps 3..6, stamps 4..7
    # (-70, -14) at I = 0 is a fixed point of the Euler map: 196 - 350 + 140 + 14 = 0, so
    # only the +5 mV of the spike stamped 5 (delay 2, added in step 6) moves v.
    assert_array_equal(res.samples[(1, "v")][1][:, 0], [-70.0, -70.0, -70.0, -65.0])
    assert_array_equal(res.samples[(1, "u")][1][:, 0], [-14.0, -14.0, -14.0, -14.0])
    # a spike: v crosses 30 -> v = c, u = u_new + d
    board.set_state(1, "v", np.array([0]), np.array([29.0]))
    board.set_state(1, "u", np.array([0]), np.array([0.0]))
    board.set_recording(1, "spikes", np.array([0]))
    res = board.run(1)  # step 7, stamp 8
    assert_array_equal(res.spikes[1][0], [8])
    assert res.samples[(1, "v")][1][-1, 0] == -65.0
    assert res.samples[(1, "u")][1][-1, 0] == pytest.approx(
        0.1 * 0.02 * (0.2 * 29.0) + 8.0, abs=1e-12
    )


# -- timing: delays, refractoriness, firing period ------------------------------------------


@pytest.mark.parametrize("delay", [1, 1000])
def test_delay_is_exact_to_the_step(delay: int) -> None:
    s, w = 4, 0.7
    spec = network(
        DT,
        [
            population(0, "SpikeSourceArray", 1, spike_times=[[s * DT]]),
            population(1, "IF_curr_exp", 1, v_thresh=1e9),
            population(2, "IF_curr_delta", 1, v_thresh=1e9),
        ],
        [projection(0, 0, 1, [0], [0], w, delay), projection(1, 0, 2, [0], [0], w, delay)],
    )
    board = load(spec)
    record_all(board, 1, 1, "v", "isyn_exc")
    record_all(board, 2, 1, "v")
    res = board.run(s + delay + 3)
    arrival = s + delay
    stamps, isyn = res.samples[(1, "isyn_exc")]
    assert np.all(isyn[stamps < arrival] == 0.0)
    assert isyn[arrival, 0] == w
    _, v = res.samples[(1, "v")]
    assert np.all(v[: arrival + 1] == -65.0)  # v(arrival*dt) is still at rest
    assert v[arrival + 1, 0] > -65.0
    _, v_delta = res.samples[(2, "v")]
    assert np.all(v_delta[:arrival] == -65.0)
    assert v_delta[arrival, 0] == pytest.approx(-65.0 + w, abs=1e-12)


def test_neuron_spike_stamp_and_delay_through_a_chain() -> None:
    # source (stamp 10) -d=3-> delta neuron jumps past threshold in step 12 -> stamp 13
    # -d=5-> exp neuron: isyn_exc becomes w at stamp 18.
    spec = network(
        DT,
        [
            population(0, "SpikeSourceArray", 1, spike_times=[[1.0]]),
            population(1, "IF_curr_delta", 1),
            population(2, "IF_curr_exp", 1, v_thresh=1e9),
        ],
        [projection(0, 0, 1, [0], [0], 50.0, 3), projection(1, 1, 2, [0], [0], 0.25, 5)],
    )
    board = load(spec)
    board.set_recording(1, "spikes", np.array([0]))
    record_all(board, 2, 1, "isyn_exc")
    res = board.run(25)
    assert_array_equal(res.spikes[1][0], [13])
    isyn = res.samples[(2, "isyn_exc")][1][:, 0]
    assert np.all(isyn[:18] == 0.0)
    assert isyn[18] == 0.25


@pytest.mark.parametrize(
    ("tau_refrac", "r"), [(0.0, 0), (0.1, 1), (1.0, 10), (2.5, 25), (3.33, 33)]
)
def test_refractory_period_length_in_steps(tau_refrac: float, r: int) -> None:
    spec = network(
        DT,
        [population(0, "IF_curr_exp", 1, i_offset=5.0, tau_refrac=tau_refrac, v_reset=-70.0)],
    )
    board = load(spec)
    board.set_recording(0, "spikes", np.array([0]))
    record_all(board, 0, 1, "v")
    res = board.run(300)
    spikes = res.spikes[0][0]
    v = res.samples[(0, "v")][1][:, 0]
    assert len(spikes) >= 3
    for stamp in spikes[:-1]:
        assert np.all(v[stamp : stamp + r + 1] == -70.0)  # reset, then r clamped steps
        assert v[stamp + r + 1] > -70.0
    # from v_reset = -70 towards v_rest + R I = -65 + 20*5 = 35 mV, -50 mV is crossed
    # after T = tau_m ln((35 + 70)/(35 + 50)), i.e. ceil(T/dt) free steps
    t_free = 20.0 * math.log(105.0 / 85.0)
    assert_array_equal(np.diff(spikes), r + math.ceil(t_free / DT))


def test_delta_input_is_dropped_while_refractory_but_current_input_is_kept() -> None:
    # Both neurons fire at stamp 1 (v starts above threshold after one step), r = 20.
    spec = network(
        DT,
        [
            population(0, "SpikeSourceArray", 1, spike_times=[[0.5]]),
            population(1, "IF_curr_delta", 1, tau_refrac=2.0, initial={"v": -40.0}),
            population(2, "IF_curr_exp", 1, tau_refrac=2.0, initial={"v": -40.0}),
        ],
        [projection(0, 0, 1, [0], [0], 3.0, 2), projection(1, 0, 2, [0], [0], 3.0, 2)],
    )
    board = load(spec)
    record_all(board, 1, 1, "v")
    record_all(board, 2, 1, "v", "isyn_exc")
    res = board.run(40)
    assert np.all(res.samples[(1, "v")][1][1:22, 0] == -65.0)  # arrival at stamp 7 dropped
    isyn = res.samples[(2, "isyn_exc")][1][:, 0]
    assert isyn[7] == 3.0
    assert isyn[8] == pytest.approx(3.0 * math.exp(-DT / 5.0), abs=1e-14)
    assert np.all(res.samples[(2, "v")][1][1:22, 0] == -65.0)
    assert res.samples[(2, "v")][1][22, 0] > -65.0


def test_regular_firing_period_matches_closed_form_isi() -> None:
    rng = np.random.default_rng(15)
    n = 40
    tau_m = rng.uniform(5.0, 40.0, n)
    cm = rng.uniform(0.5, 2.0, n)
    v_rest = rng.uniform(-70.0, -60.0, n)
    v_reset = v_rest - rng.uniform(0.0, 10.0, n)
    v_thresh = v_rest + rng.uniform(5.0, 20.0, n)
    tau_refrac = rng.integers(0, 40, n) * DT
    # drive: 1.2 to 4 times the rheobase
    current = (v_thresh - v_rest) * cm / tau_m * rng.uniform(1.5, 4.0, n)
    spec = network(
        DT,
        [
            population(
                0,
                "IF_curr_exp",
                n,
                tau_m=tau_m,
                cm=cm,
                v_rest=v_rest,
                v_reset=v_reset,
                v_thresh=v_thresh,
                tau_refrac=tau_refrac,
                i_offset=current,
            )
        ],
    )
    board = load(spec)
    board.set_recording(0, "spikes", np.arange(n))
    stamps, idx = board.run(3000).spikes[0]
    r_inf = v_rest + tau_m / cm * current
    t_free = tau_m * np.log((r_inf - v_reset) / (r_inf - v_thresh))
    r = np.round(tau_refrac / DT)
    for i in range(n):
        isi = np.diff(stamps[idx == i])
        assert len(isi) >= 3
        exact = r[i] + t_free[i] / DT
        assert np.all(np.abs(isi - exact) < 1.0)
        if abs(exact - round(exact)) > 1e-6:
            assert np.all(isi == math.ceil(exact))


# -- spike sources --------------------------------------------------------------------------


def test_poisson_counts_and_intervals() -> None:
    n, rate, steps = 400, 40.0, 10000  # 1 s
    spec = network(DT, [population(0, "SpikeSourcePoisson", n, rate=rate)], seed=5)
    board = load(spec)
    board.set_recording(0, "spikes", np.arange(n))
    stamps, idx = board.run(steps).spikes[0]
    counts = np.bincount(idx, minlength=n)
    mu = rate * steps * DT / 1000.0
    assert abs(counts.mean() - mu) < 5 * math.sqrt(mu / n)
    assert abs(counts.var(ddof=1) - mu) < 5 * math.sqrt((mu + 2 * mu**2) / n)
    isis = np.concatenate([np.diff(stamps[idx == i]) for i in range(n)]) * DT
    # stamps quantise intervals to dt (rate*dt = 0.004), far below what KS resolves here
    assert stats.kstest(isis, "expon", args=(0, 1000.0 / rate)).pvalue > 1e-3
    assert stamps.min() >= 1


def test_poisson_at_5khz_keeps_several_spikes_per_step() -> None:
    n, rate, steps = 200, 5000.0, 1000
    spec = network(DT, [population(0, "SpikeSourcePoisson", n, rate=rate)], seed=6)
    board = load(spec)
    board.set_recording(0, "spikes", np.arange(n))
    stamps, idx = board.run(steps).spikes[0]
    lam = rate * DT / 1000.0  # 0.5 spikes per step
    per_step = np.zeros((steps + 1, n), dtype=np.int64)
    np.add.at(per_step, (stamps, idx), 1)
    per_step = per_step[1:]
    assert abs(per_step.mean() - lam) < 5 * math.sqrt(lam / per_step.size)
    for k in (0, 1, 2, 3):
        p = stats.poisson.pmf(k, lam)
        frac = np.mean(per_step == k)
        assert abs(frac - p) < 5 * math.sqrt(p * (1 - p) / per_step.size)
    assert np.sum(per_step >= 2) > 1000


def test_poisson_window_and_rate_change() -> None:
    n = 300
    spec = network(
        DT, [population(0, "SpikeSourcePoisson", n, rate=100.0, start=20.0, duration=30.0)], seed=7
    )
    board = load(spec)
    board.set_recording(0, "spikes", np.arange(n))
    stamps, _ = board.run(1000).spikes[0]
    assert stamps.min() > 200
    assert stamps.max() <= 500
    mu = 100.0 * 0.030 * n
    assert abs(len(stamps) - mu) < 5 * math.sqrt(mu)
    board.set_parameters(0, "duration", np.arange(n), np.full(n, 1e9))
    board.set_parameters(0, "rate", np.arange(n), np.full(n, 20.0))
    stamps, _ = board.run(1000).spikes[0]
    assert stamps.min() > 1000
    mu = 20.0 * 0.100 * n
    assert abs(len(stamps) - mu) < 5 * math.sqrt(mu)
    board.set_parameters(0, "rate", np.arange(n), np.zeros(n))
    assert len(board.run(100).spikes[0][0]) == 0


def test_spike_array_stamps_and_stamp_zero() -> None:
    # times 0, 0.24, 0.96 -> stamps round(t/dt) = 0, 2, 10
    spec = network(
        DT,
        [
            population(0, "SpikeSourceArray", 1, spike_times=[[0.0, 0.24, 0.96]]),
            population(1, "IF_curr_exp", 1, v_thresh=1e9),
        ],
        [projection(0, 0, 1, [0], [0], 1.0, 1)],
    )
    board = load(spec)
    board.set_recording(0, "spikes", np.array([0]))
    record_all(board, 1, 1, "isyn_exc")
    res = board.run(12)
    assert_array_equal(res.spikes[0][0], [0, 2, 10])
    isyn = res.samples[(1, "isyn_exc")][1][:, 0]
    assert isyn[0] == 0.0  # stamp 0, delay 1: acts from t = dt
    assert isyn[1] == 1.0


def test_schedule_spikes_at_the_current_step_keeps_exact_timing() -> None:
    spec = network(
        DT,
        [population(0, "SpikeInjector", 2), population(1, "IF_curr_exp", 1, v_thresh=1e9)],
        [projection(0, 0, 1, [0, 1], [0, 0], [1.0, 2.0], [1, 4])],
    )
    board = load(spec)
    board.set_recording(0, "spikes", np.arange(2))
    record_all(board, 1, 1, "isyn_exc")
    board.run(20)
    with pytest.raises(LateInputError):
        board.schedule_spikes(0, np.array([0]), np.array([19]))
    board.schedule_spikes(0, np.array([0, 1]), np.array([20, 20]))
    res = board.run(10)
    assert_array_equal(res.spikes[0][0], [20, 20])
    stamps, isyn = res.samples[(1, "isyn_exc")]
    assert_array_equal(stamps, np.arange(21, 31))
    assert isyn[0, 0] == 1.0  # stamp 21 = 20 + 1
    assert isyn[3, 0] == pytest.approx(math.exp(-3 * DT / 5.0) + 2.0, abs=1e-14)  # stamp 24
    with pytest.raises(ParameterError):
        board.schedule_spikes(1, np.array([0]), np.array([40]))


# -- current sources ------------------------------------------------------------------------


def _delta_probe(n: int, sources: list, steps: int, seed: int = 1) -> np.ndarray:  # type: ignore[type-arg]
    """Injected current (nA) per step, read back exactly from a leaky integrator's v."""
    tau_m, cm = 10.0, 1.0
    spec = network(
        DT,
        [
            population(
                0,
                "IF_curr_delta",
                n,
                tau_m=tau_m,
                cm=cm,
                v_rest=0.0,
                v_thresh=1e9,
                initial={"v": 0.0},
            )
        ],
        current_sources=sources,
        seed=seed,
    )
    board = load(spec)
    record_all(board, 0, n, "v")
    v = board.run(steps).samples[(0, "v")][1]
    p = math.exp(-DT / tau_m)  # v(m+1) = p v(m) + (1 - p) R I(m)
    return (v[1:] - p * v[:-1]) / (1 - p) * cm / tau_m


def test_dc_ac_and_step_sources_are_evaluated_at_step_start() -> None:
    sources = [
        current_source(0, "dc", [(0, [0])], amplitude=0.25, start=1.5, stop=4.0),
        current_source(
            1,
            "ac",
            [(0, [1])],
            amplitude=0.5,
            offset=0.1,
            frequency=50.0,
            phase=30.0,
            start=2.0,
            stop=12.0,
        ),
        current_source(2, "step", [(0, [2])], times=[1.0, 3.3, 5.0], amplitudes=[0.2, -0.4, 0.7]),
    ]
    current = _delta_probe(3, sources, 200)
    m = np.arange(200)
    t = m * DT
    dc = np.where((m >= 15) & (m < 40), 0.25, 0.0)
    ac = np.where(
        (m >= 20) & (m < 120), 0.1 + 0.5 * np.sin(2 * np.pi * 50.0 * t / 1000.0 + np.pi / 6), 0.0
    )
    step = np.select([m >= 50, m >= 33, m >= 10], [0.7, -0.4, 0.2], 0.0)
    assert_allclose(current, np.stack([dc, ac, step], axis=1), rtol=0, atol=1e-9)


def test_set_current_source_takes_effect_at_the_next_step() -> None:
    spec = network(
        DT,
        [population(0, "IF_curr_delta", 1, v_rest=0.0, v_thresh=1e9, initial={"v": 0.0})],
        current_sources=[current_source(0, "dc", [(0, [0])], amplitude=0.2)],
    )
    board = load(spec)
    record_all(board, 0, 1, "v")
    v1 = board.run(10).samples[(0, "v")][1][:, 0]
    board.set_current_source(0, {"amplitude": -0.3})
    v2 = board.run(1).samples[(0, "v")][1][:, 0]
    p = math.exp(-DT / 20.0)
    assert v2[0] == pytest.approx(p * v1[-1] + (1 - p) * 20.0 * -0.3, abs=1e-12)


def test_noisy_source_statistics_and_hold() -> None:
    n, steps = 300, 240
    mean, stdev = 0.3, 0.2
    sources = [
        current_source(
            0, "noisy", [(0, range(n))], mean=mean, stdev=stdev, dt=0.5, start=1.0, stop=21.0
        )
    ]
    current = _delta_probe(n, sources, steps, seed=3)
    assert_allclose(current[:10], 0.0, atol=1e-9)
    assert_allclose(current[210:], 0.0, atol=1e-9)
    blocks = current[10:210].reshape(40, 5, n)  # a new draw every 5 steps
    assert_allclose(blocks, np.broadcast_to(blocks[:, :1, :], blocks.shape), rtol=0, atol=1e-9)
    draws = blocks[:, 0, :].ravel()
    k = draws.size
    assert abs(draws.mean() - mean) < 5 * stdev / math.sqrt(k)
    assert abs(draws.std(ddof=1) - stdev) < 5 * stdev / math.sqrt(2 * k)
    # independent per neuron and per draw
    assert abs(np.corrcoef(blocks[:, 0, 0], blocks[:, 0, 1])[0, 1]) < 0.5
    assert stats.kstest((draws - mean) / stdev, "norm").pvalue > 1e-3


# -- recording, reset and chunking ----------------------------------------------------------


def test_recording_interval_and_initial_sample() -> None:
    spec = network(DT, [population(0, "IF_curr_exp", 2, i_offset=0.5)])
    board = load(spec)
    board.set_recording(0, "v", np.array([1, 0]), interval_steps=3)
    res = board.run(10)
    assert_array_equal(res.samples[(0, "v")][0], [0, 3, 6, 9])
    assert res.samples[(0, "v")][1].shape == (4, 2)
    res = board.run(10)
    assert_array_equal(res.samples[(0, "v")][0], [12, 15, 18])
    assert board.step == 20
    board.set_recording(0, "v", None)
    assert (0, "v") not in board.run(5).samples


def test_reset_replays_spike_arrays_and_clears_injected_spikes() -> None:
    spec = network(
        DT,
        [
            population(0, "SpikeSourceArray", 2, spike_times=[[1.0, 3.0], [2.0]]),
            population(1, "IF_curr_exp", 2, tau_refrac=1.0),
            population(2, "SpikeSourcePoisson", 5, rate=200.0),
            # fires at stamp 33, then is clamped for 70 steps: still refractory at reset
            population(3, "IF_curr_exp", 1, i_offset=5.0, v_reset=-70.0, tau_refrac=7.0),
        ],
        [projection(0, 0, 1, [0, 1, 0], [0, 1, 1], [5.0, 8.0, 3.0], [2, 5, 7])],
    )

    def record(board: ReferenceBoard) -> None:
        for p, size in ((0, 2), (1, 2), (2, 5), (3, 1)):
            board.set_recording(p, "spikes", np.arange(size))
        record_all(board, 1, 2, "v", "isyn_exc")
        record_all(board, 3, 1, "v")

    board = load(spec)
    record(board)
    # 150: still to be emitted at reset; 99: still in the ring buffers at reset
    board.schedule_spikes(0, np.array([1, 1, 0]), np.array([45, 150, 99]))
    first = board.run(100)
    assert_array_equal(first.spikes[3][0], [33])
    board.set_state(1, "v", np.arange(2), np.array([-60.0, -55.0]))
    board.set_parameters(1, "v_thresh", np.arange(2), np.array([-52.0, -52.0]))
    board.reset()
    assert board.step == 0
    assert_array_equal(board.get_state(1, "v", np.arange(2)), [-65.0, -65.0])
    assert_array_equal(board.get_parameters(1, "v_thresh", np.arange(2)), [-52.0, -52.0])
    board.set_parameters(1, "v_thresh", np.arange(2), np.array([-50.0, -50.0]))
    second = board.run(200)
    assert_array_equal(first.spikes[0][0], [10, 20, 30, 45, 99])
    assert_array_equal(second.spikes[0][0], [10, 20, 30])
    # the injected spike (stamp 45, delay 5) reaches isyn_exc at stamp 50
    for var in ("v", "isyn_exc"):
        assert_array_equal(second.samples[(1, var)][0][:101], first.samples[(1, var)][0])
        assert_array_equal(second.samples[(1, var)][1][:50], first.samples[(1, var)][1][:50])
        assert not np.array_equal(second.samples[(1, var)][1][:101], first.samples[(1, var)][1])
    assert second.samples[(1, "v")][0][0] == 0  # stamp-0 sample again after reset
    # after reset the board behaves exactly like a freshly loaded one: no leftover input in
    # the rings, no leftover refractory count, no leftover injected spike
    fresh = load(spec)
    record(fresh)
    again = fresh.run(200)
    for p in (0, 1, 3):
        assert_array_equal(second.spikes[p][0], again.spikes[p][0])
        assert_array_equal(second.spikes[p][1], again.spikes[p][1])
    for key in ((1, "v"), (1, "isyn_exc"), (3, "v")):
        assert_array_equal(second.samples[key][1], again.samples[key][1])
    # Poisson restarted but not reseeded
    assert len(second.spikes[2][0]) > 0
    assert not np.array_equal(first.spikes[2][0], second.spikes[2][0])


def _mixed_network() -> NetworkSpec:
    rng = np.random.default_rng(16)
    pops = [
        population(0, "SpikeSourcePoisson", 20, rate=rng.uniform(200, 2000, 20)),
        population(1, "SpikeSourceArray", 3, spike_times=[[0.0, 2.0], [3.1, 3.2], [9.9]]),
        population(2, "IF_curr_exp", 15, i_offset=rng.uniform(0.5, 1.5, 15), tau_refrac=1.0),
        population(3, "IF_curr_alpha", 10, tau_syn_E=2.0, i_offset=rng.uniform(0.5, 1.5, 10)),
        population(4, "IF_cond_exp", 10, tau_refrac=0.5, i_offset=rng.uniform(0.5, 1.5, 10)),
        population(5, "Izhikevich", 8),
        population(6, "IF_curr_delta", 12, tau_refrac=2.0, i_offset=rng.uniform(0.5, 1.5, 12)),
    ]
    projs = []
    for k, (pre, post) in enumerate(
        [(0, 2), (1, 3), (2, 3), (2, 4), (0, 5), (5, 6), (6, 2), (3, 2), (4, 6), (0, 4), (2, 2)]
    ):
        nsyn = 40
        projs.append(
            projection(
                k,
                pre,
                post,
                rng.integers(0, pops[pre].size, nsyn),
                rng.integers(0, pops[post].size, nsyn),
                rng.uniform(0.0, 0.05 if pops[post].model == "IF_cond_exp" else 2.0, nsyn),
                rng.integers(1, 12, nsyn),
                rng.integers(0, 2, nsyn),
            )
        )
    sources = [
        current_source(0, "noisy", [(2, range(5)), (6, range(12))], mean=0.5, stdev=0.5, dt=0.7),
        current_source(1, "ac", [(4, range(10))], amplitude=0.5, frequency=30.0),
        current_source(2, "step", [(5, range(8))], times=[1.0, 5.0], amplitudes=[0.005, 0.02]),
    ]
    return network(DT, pops, projs, sources, seed=9)


def _record_everything(board: ReferenceBoard, spec: NetworkSpec) -> None:
    for pop in spec.populations:
        board.set_recording(pop.id, "spikes", np.arange(pop.size))
        for var in pop.initial:
            board.set_recording(pop.id, var, np.arange(pop.size), interval_steps=2)


def test_run_is_independent_of_chunking() -> None:
    spec = _mixed_network()
    whole, parts = load(spec), load(spec)
    _record_everything(whole, spec)
    _record_everything(parts, spec)
    one = whole.run(100)
    chunks = [parts.run(30), parts.run(70)]
    assert chunks[1].first_step == 30
    assert chunks[1].n_steps == 70
    for p, (stamps, idx) in one.spikes.items():
        assert_array_equal(stamps, np.concatenate([c.spikes[p][0] for c in chunks]))
        assert_array_equal(idx, np.concatenate([c.spikes[p][1] for c in chunks]))
    for key, (stamps, values) in one.samples.items():
        assert_array_equal(stamps, np.concatenate([c.samples[key][0] for c in chunks]))
        assert_array_equal(values, np.concatenate([c.samples[key][1] for c in chunks]))
    assert all(len(s) > 0 for s, _ in one.spikes.values())  # every population is alive


def test_bad_input_is_rejected_with_names() -> None:
    spec = network(DT, [population(0, "IF_curr_exp", 2), population(1, "SpikeSourcePoisson", 1)])
    board = load(spec)
    with pytest.raises(ParameterError, match="tau_m"):
        board.set_parameters(0, "tau_m", np.array([0]), np.array([-1.0]))
    with pytest.raises(ParameterError, match="gsyn_exc"):
        board.set_recording(0, "gsyn_exc", np.array([0]))
    with pytest.raises(ParameterError, match="rate"):
        board.set_parameters(1, "rate", np.array([0]), np.array([-5.0]))
    assert board.get_parameters(0, "tau_m", np.arange(2)).tolist() == [20.0, 20.0]
    board.run(5)  # still usable
