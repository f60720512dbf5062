"""HostBoard against closed forms: DC charging, PSP shapes, delays exact to the step, refractory.

Every expectation is derived by hand from docs/ENGINE.md: a spike stamped ``s`` through a
synapse of delay ``d`` steps is added to the synaptic variable at the end of step
``s + d - 1``, so it is first visible in the sample stamped ``s + d`` and acts on ``v`` from
``t = (s + d) dt``; a sample stamped ``k`` holds the state at ``t = k dt``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from spinstream.board import HostBoard
from spinstream.model import EXCITATORY, INHIBITORY, NetworkSpec
from tests.reference import current_source, network, population, projection, trivial_plan

DT = 0.1


def load(spec: NetworkSpec, atoms_per_core: int | None = None) -> HostBoard:
    board = HostBoard()
    board.load(spec, trivial_plan(spec, atoms_per_core=atoms_per_core))
    return board


def record(board: HostBoard, pop: int, n: int, *variables: str) -> None:
    for var in variables:
        board.set_recording(pop, var, np.arange(n))


# --- DC ---------------------------------------------------------------------------------------


def test_dc_charges_if_curr_exp_as_the_closed_form() -> None:
    rng = np.random.default_rng(1)
    n, steps = 40, 1500
    tau_m = rng.uniform(2.0, 60.0, n)
    cm = rng.uniform(0.2, 3.0, n)
    v_rest = rng.uniform(-80.0, -50.0, n)
    amp = 0.37
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
                v_thresh=1e9,
                initial={"v": v_rest},
            )
        ],
        current_sources=[current_source(0, "dc", [(0, range(n))], amplitude=amp, start=0.0)],
    )
    board = load(spec, atoms_per_core=16)
    record(board, 0, n, "v")
    stamps, v = board.run(steps).samples[(0, "v")]
    assert_array_equal(stamps, np.arange(steps + 1))
    t = stamps[:, None] * DT
    expected = v_rest + tau_m / cm * amp * (1 - np.exp(-t / tau_m))  # v_rest + R I (1 - e^-t/tau)
    assert_allclose(v, expected, rtol=0, atol=1e-11)


def test_dc_window_switches_on_and_off_at_its_steps() -> None:
    # on at t = 2.0 ms (step 20), off at t = 7.0 ms (step 70): charge, then relax
    tau_m, cm, v_rest, amp = 12.0, 0.7, -64.0, 0.5
    t_on, t_off, steps = 2.0, 7.0, 200
    spec = network(
        DT,
        [
            population(
                0,
                "IF_curr_exp",
                1,
                tau_m=tau_m,
                cm=cm,
                v_rest=v_rest,
                v_thresh=1e9,
                initial={"v": v_rest},
            )
        ],
        current_sources=[
            current_source(0, "dc", [(0, [0])], amplitude=amp, start=t_on, stop=t_off)
        ],
    )
    board = load(spec)
    record(board, 0, 1, "v")
    stamps, v = board.run(steps).samples[(0, "v")]
    t = stamps * DT
    r_i = tau_m / cm * amp
    peak = r_i * (1 - math.exp(-(t_off - t_on) / tau_m))
    expected = np.where(
        t <= t_on,
        0.0,
        np.where(
            t <= t_off,
            r_i * (1 - np.exp(-(t - t_on) / tau_m)),
            peak * np.exp(-(t - t_off) / tau_m),
        ),
    )
    assert_allclose(v[:, 0], v_rest + expected, rtol=0, atol=1e-12)


# --- PSP shapes ---------------------------------------------------------------------------------


def one_spike(
    model: str, n: int, stamp: int, w: np.ndarray, d: np.ndarray, rec: np.ndarray, **params: object
) -> NetworkSpec:
    return network(
        DT,
        [
            population(0, "SpikeSourceArray", 1, spike_times=[[stamp * DT]]),
            population(1, model, n, v_thresh=1e9, v_rest=-65.0, initial={"v": -65.0}, **params),  # type: ignore[arg-type]
        ],
        [projection(0, 0, 1, [0] * n, range(n), w, d, rec)],
    )


def psp_inputs(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    tau_m = rng.uniform(5.0, 40.0, n)
    # tau_syn away from tau_m, so that the closed forms do not divide by ~0
    ratio = np.where(rng.random(n) < 0.5, rng.uniform(0.05, 0.7, n), rng.uniform(1.4, 3.0, n))
    return {
        "tau_m": tau_m,
        "tau_s": tau_m * ratio,
        "cm": rng.uniform(0.2, 2.0, n),
        "w": rng.uniform(0.1, 3.0, n),
        "d": rng.integers(1, 40, n),
        "rec": rng.integers(0, 2, n),
    }


@pytest.mark.parametrize("model", ["IF_curr_exp", "IF_curr_alpha"])
def test_current_psp_shape(model: str) -> None:
    rng = np.random.default_rng(2 if model == "IF_curr_exp" else 3)
    n, s, steps = 32, 5, 1200
    x = psp_inputs(rng, n)
    tau_m, tau_s, cm, w = x["tau_m"], x["tau_s"], x["cm"], x["w"]
    spec = one_spike(
        model, n, s, w, x["d"], x["rec"], tau_m=tau_m, cm=cm, tau_syn_E=tau_s, tau_syn_I=tau_s
    )
    board = load(spec, atoms_per_core=10)
    record(board, 1, n, "v", "isyn_exc", "isyn_inh")
    res = board.run(steps)
    stamps, v = res.samples[(1, "v")]
    t = np.maximum((stamps[:, None] - (s + x["d"])) * DT, 0.0)  # time since the effect began
    sign = np.where(x["rec"] == INHIBITORY, -1.0, 1.0)
    if model == "IF_curr_exp":
        current = w * np.exp(-t / tau_s)
        psp = w / cm * tau_m * tau_s / (tau_s - tau_m) * (np.exp(-t / tau_s) - np.exp(-t / tau_m))
    else:
        # I(t) = w (t/tau_s) e^(1 - t/tau_s); v(t) = 1/cm int_0^t e^(-(t-u)/tau_m) I(u) du
        a = 1 / tau_s - 1 / tau_m
        current = w * math.e * t / tau_s * np.exp(-t / tau_s)
        psp = (
            w
            * math.e
            / (tau_s * cm)
            * np.exp(-t / tau_m)
            * (1 - np.exp(-a * t) * (1 + a * t))
            / a**2
        )
    current = np.where(stamps[:, None] >= s + x["d"], current, 0.0)
    assert_allclose(v, -65.0 + sign * psp, rtol=0, atol=1e-10)
    for var, receptor in (("isyn_exc", EXCITATORY), ("isyn_inh", INHIBITORY)):
        expected = np.where(x["rec"] == receptor, current, 0.0)
        assert_allclose(res.samples[(1, var)][1], expected, rtol=0, atol=1e-12, err_msg=var)
    if model == "IF_curr_alpha":
        # the current peaks at w, tau_syn after arrival (to the step)
        peak = np.argmax(
            np.where(
                x["rec"] == EXCITATORY,
                res.samples[(1, "isyn_exc")][1],
                res.samples[(1, "isyn_inh")][1],
            ),
            axis=0,
        )
        assert np.all(np.abs(peak - (s + x["d"] + tau_s / DT)) <= 1)


def test_delta_psp_jumps_at_arrival_and_decays() -> None:
    rng = np.random.default_rng(4)
    n, s, steps = 20, 3, 600
    tau_m, cm = rng.uniform(5.0, 40.0, n), rng.uniform(0.2, 2.0, n)
    w, d, rec = rng.uniform(0.1, 5.0, n), rng.integers(1, 40, n), rng.integers(0, 2, n)
    spec = one_spike("IF_curr_delta", n, s, w, d, rec, tau_m=tau_m, cm=cm)
    board = load(spec, atoms_per_core=6)
    record(board, 1, n, "v")
    stamps, v = board.run(steps).samples[(1, "v")]
    arrived = stamps[:, None] >= s + d
    t = np.maximum((stamps[:, None] - (s + d)) * DT, 0.0)
    sign = np.where(rec == INHIBITORY, -1.0, 1.0)
    assert_allclose(
        v, -65.0 + np.where(arrived, sign * w * np.exp(-t / tau_m), 0.0), rtol=0, atol=1e-11
    )


# --- delays ---------------------------------------------------------------------------------


@pytest.mark.parametrize("d", [1, 7, 1000, 2047, 2048, 3001])
def test_delays_are_exact_to_the_step(d: int) -> None:
    """A train of spikes (t = 0 included) arrives exactly d steps later, whatever d is."""
    tau_s, w = 4.0, 0.25
    stamps_in = np.array([0, 1, 2, 5, 9, 10, 40, 41, 300, 301, 302, 1500, 2046, 2047, 2048])
    # 2 spikes per step at the start: two source neurons, same stamps
    spec = network(
        DT,
        [
            population(0, "SpikeSourceArray", 2, spike_times=[stamps_in * DT, stamps_in[:4] * DT]),
            population(1, "IF_curr_exp", 1, tau_syn_E=tau_s, tau_syn_I=tau_s, v_thresh=1e9),
        ],
        [projection(0, 0, 1, [0, 1], [0, 0], w, d)],
    )
    board = load(spec)
    # compact words up to 2047 steps, wide ones beyond
    assert board.synapses.word_bytes == (4.0 if d <= 2047 else 8.0)
    record(board, 1, 1, "isyn_exc")
    board.set_recording(0, "spikes", np.arange(2))
    steps = d + 2100
    res = board.run(steps)
    src_stamps, _ = res.spikes[0]
    assert_array_equal(np.unique(src_stamps), stamps_in)

    stamps, isyn = res.samples[(1, "isyn_exc")]
    all_in = np.sort(np.concatenate([stamps_in, stamps_in[:4]]))
    # isyn at stamp k = sum over spikes with s + d <= k of w exp(-(k - s - d) dt / tau)
    age = stamps[:, None] - (all_in[None, :] + d)
    expected = np.where(age >= 0, w * np.exp(-np.maximum(age, 0) * DT / tau_s), 0.0).sum(axis=1)
    assert_allclose(isyn[:, 0], expected, rtol=1e-12, atol=1e-15)
    first = stamps[np.flatnonzero(isyn[:, 0] > 0)[0]]
    assert first == d  # the spike stamped 0 acts from exactly d steps on


def test_mixed_delays_in_one_block() -> None:
    """Delays from 1 to beyond the compact range in one block (8-byte words), each exact."""
    delays = np.array([1, 2, 63, 64, 1023, 1024, 2047, 2048, 4095, 4096, 9000, 16383])
    n = len(delays)
    spec = network(
        DT,
        [
            population(0, "SpikeSourceArray", 1, spike_times=[[0.3]]),
            population(
                1, "IF_curr_delta", n, v_thresh=1e9, tau_m=1e9, v_rest=-65.0, initial={"v": -65.0}
            ),
        ],
        [projection(0, 0, 1, [0] * n, range(n), 1.5, delays)],
    )
    board = load(spec)
    assert board.synapses.word_bytes == 8.0
    record(board, 1, n, "v")
    stamps, v = board.run(int(delays.max()) + 10).samples[(1, "v")]
    jump = np.argmax(v > -64.0, axis=0)  # first sample after the jump
    assert_array_equal(stamps[jump], 3 + delays)


# --- refractory period --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model",
    [
        "IF_curr_exp",
        "IF_curr_alpha",
        "IF_curr_delta",
        "IF_cond_exp",
        "IF_cond_alpha",
        "EIF_cond_exp_isfa_ista",
    ],
)
@pytest.mark.parametrize("tau_refrac", [0.0, 0.1, 2.0, 3.7])
def test_refractory_period_lasts_round_tau_refrac_over_dt_steps(
    model: str, tau_refrac: float
) -> None:
    """Driven hard, a neuron fires every R + 1 steps and sits at v_reset for R samples."""
    r_steps = math.floor(tau_refrac / DT + 0.5)
    huge = 200.0 if "EIF" not in model else 500.0  # nA: crosses threshold within one step
    spec = network(DT, [population(0, model, 1, i_offset=huge, tau_refrac=tau_refrac)])
    board = load(spec)
    record(board, 0, 1, "spikes", "v")
    res = board.run(300)
    spikes, _ = res.spikes[0]
    assert len(spikes) >= 5
    assert_array_equal(np.diff(spikes), r_steps + 1)
    v_reset = float(board.get_parameters(0, "v_reset", np.array([0]))[0])
    _, v = res.samples[(0, "v")]
    for s in spikes[:-1]:
        held = v[s : s + r_steps + 1, 0]  # the reset at s, then R refractory steps
        assert_array_equal(held, np.full(r_steps + 1, v_reset))
