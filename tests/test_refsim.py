"""The reference simulators run, and follow the conventions in benchmarks/peers/CONVENTIONS.md.

One small network per simulator is run once (module fixtures) and checked against closed
forms: a DC step into IF_curr_exp, a neuron driven by ``i_offset`` to threshold (spike stamps,
refractory period), and a spike source and a neuron each driving a target through a delay.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from tests import refsim

pytestmark = pytest.mark.reference

DT = 0.1  # ms
T_STOP = 100.0  # ms, run as two halves to check that samples are not duplicated

# Neuron A: DC step. R = tau_m/cm = 40 MOhm, so R*I = 12 mV.
A = dict(tau_m=10.0, cm=0.25, v_rest=-60.0, v_thresh=-30.0, v_reset=-70.0, tau_refrac=2.0)
DC = dict(amplitude=0.3, start=10.0, stop=60.0)
# Neuron B: i_offset from t=0; v_inf = -45 mV, crosses -50 at 20*ln(4) ms after a start at rest.
B = dict(
    tau_m=20.0,
    cm=1.0,
    v_rest=-65.0,
    v_thresh=-50.0,
    v_reset=-70.0,
    tau_refrac=2.0,
    i_offset=1.0,
)
_V_INF = B["v_rest"] + B["tau_m"] / B["cm"] * B["i_offset"]
# Crossing times of neuron B: from rest (20 ln 4 ms) and from v_reset (20 ln 5 ms).
FIRST = -B["tau_m"] * math.log((B["v_thresh"] - _V_INF) / (B["v_rest"] - _V_INF))
AGAIN = -B["tau_m"] * math.log((B["v_thresh"] - _V_INF) / (B["v_reset"] - _V_INF))
# Targets C (from a spike source) and D (from neuron B): one exponential PSC each.
C = dict(tau_m=20.0, cm=1.0, v_rest=-65.0, v_thresh=-40.0, tau_syn_E=5.0)
W = 0.5  # nA
DELAY = 1.0  # ms
T_SOURCE = 10.0  # ms

SCRIPT = """
kw = {"spike_precision": precision} if precision else {}
sim.setup(timestep=dt, min_delay=dt, **kw)
a = sim.Population(1, sim.IF_curr_exp(**A))
a.initialize(v=A["v_rest"])
a.inject(sim.DCSource(**DC))
e = sim.Population(1, sim.IF_curr_exp(**A))  # not initialized: starts at PyNN's default v
b = sim.Population(1, sim.IF_curr_exp(**B))
src = sim.Population(1, sim.SpikeSourceArray(spike_times=[t_source]))
c = sim.Population(1, sim.IF_curr_exp(**C))
d = sim.Population(1, sim.IF_curr_exp(**C))
syn = sim.StaticSynapse(weight=w, delay=delay)
sim.Projection(src, c, sim.AllToAllConnector(), syn, receptor_type="excitatory")
sim.Projection(b, d, sim.AllToAllConnector(), syn, receptor_type="excitatory")
for p in (a, b, c, d, e):
    p.record("v")
b.record("spikes")
src.record("spikes")
sim.run(t_stop / 2)
sim.run(t_stop / 2)

def trace(p):
    v = p.get_data().segments[0].filter(name="v")[0]
    return v.times.rescale("ms").magnitude, v.rescale("mV").magnitude[:, 0]

def spikes(p):
    return p.get_data().segments[0].spiketrains[0].rescale("ms")

t, va = trace(a)
save(t=t, va=va, ve=trace(e)[1], vb=trace(b)[1], vc=trace(c)[1], vd=trace(d)[1],
     sb=spikes(b), ssrc=spikes(src), dt_used=sim.get_time_step())
"""

# (simulator, NEST spike_precision) -> how a threshold crossing at time x is stamped.
CASES = {
    "nest-on_grid": ("nest", "on_grid"),
    "nest-off_grid": ("nest", "off_grid"),
    "brian2": ("brian2", ""),
}


def _stamp(case: str, x: float) -> float:
    """Spike time reported for a crossing at x ms (CONVENTIONS.md, 'spike stamps')."""
    steps = x / DT
    if case == "nest-on_grid":
        return math.ceil(steps - 1e-9) * DT  # end of the step in which v crossed
    if case == "brian2":
        return math.floor(steps + 1e-9) * DT  # start of that step
    return x  # NEST precise (off-grid) spike times


@pytest.fixture(scope="module", params=list(CASES))
def run(request: pytest.FixtureRequest) -> tuple[str, dict[str, np.ndarray]]:
    sim, precision = CASES[request.param]
    refsim.require(sim)
    out = refsim.run_pynn(
        sim,
        f"A = {A!r}\nB = {B!r}\nC = {C!r}\nDC = {DC!r}\n" + SCRIPT,
        precision=precision,
        dt=DT,
        t_stop=T_STOP,
        w=W,
        delay=DELAY,
        t_source=T_SOURCE,
    )
    return request.param, out


def test_samples_are_t_over_dt_plus_one(run: tuple[str, dict[str, np.ndarray]]) -> None:
    _, out = run
    assert float(out["dt_used"]) == pytest.approx(DT)
    n = round(T_STOP / DT) + 1
    np.testing.assert_allclose(out["t"], np.arange(n) * DT, atol=1e-9)
    # Sample 0 is the initial state: what initialize() set, else PyNN's default v = -65 mV
    # (not v_rest), relaxing towards v_rest from there.
    assert out["va"][0] == A["v_rest"]
    t, ve = out["t"], out["ve"]
    assert ve[0] == -65.0
    expected = A["v_rest"] + (-65.0 - A["v_rest"]) * np.exp(-t / A["tau_m"])
    np.testing.assert_allclose(ve, expected, rtol=0, atol=1e-9)


def test_dc_step_matches_closed_form(run: tuple[str, dict[str, np.ndarray]]) -> None:
    _, out = run
    t, v = out["t"], out["va"]
    tau, r_in = A["tau_m"], A["tau_m"] / A["cm"]  # ms, MOhm
    on, off = DC["start"], DC["stop"]
    v_on = A["v_rest"] + r_in * DC["amplitude"] * (1 - np.exp(-(t - on) / tau))
    v_off_start = A["v_rest"] + r_in * DC["amplitude"] * (1 - math.exp(-(off - on) / tau))
    v_off = A["v_rest"] + (v_off_start - A["v_rest"]) * np.exp(-(t - off) / tau)
    expected = np.where(t <= on, A["v_rest"], np.where(t <= off, v_on, v_off))
    # The current acts for start <= t < stop; exact integration makes this exact to rounding.
    np.testing.assert_allclose(v, expected, rtol=0, atol=1e-9)


def test_spike_stamps_and_refractory_period(run: tuple[str, dict[str, np.ndarray]]) -> None:
    case, out = run
    expected = [_stamp(case, FIRST)]
    while True:
        # v is held at v_reset for tau_refrac after the reported stamp, then integrates
        # from v_reset; the next crossing is stamped by the same rule.
        nxt = expected[-1] + B["tau_refrac"] + _stamp(case, AGAIN)
        if nxt > T_STOP:
            break
        expected.append(nxt)
    np.testing.assert_allclose(out["sb"], expected, rtol=0, atol=1e-6)
    # The trace is the same in every case on the grid before the first spike.
    t, v = out["t"], out["vb"]
    before = t < FIRST
    closed = _V_INF + (B["v_rest"] - _V_INF) * np.exp(-t[before] / B["tau_m"])
    np.testing.assert_allclose(v[before], closed, rtol=0, atol=1e-9)


def _psp(s: np.ndarray) -> np.ndarray:
    """V response (mV) to one exponential PSC of weight W starting s ms ago (0 for s <= 0)."""
    tm, ts = C["tau_m"], C["tau_syn_E"]
    s = np.maximum(s, 0.0)
    return W / C["cm"] * tm * ts / (tm - ts) * (np.exp(-s / tm) - np.exp(-s / ts))


def test_source_spike_and_delay(run: tuple[str, dict[str, np.ndarray]]) -> None:
    case, out = run
    np.testing.assert_allclose(out["ssrc"], [T_SOURCE], atol=1e-9)
    # NEST: the PSC starts at t_spike + delay. Brian2 (through PyNN): one step later, since
    # its synapses act after the state update of the step at t_spike + delay.
    onset = T_SOURCE + DELAY + (DT if case == "brian2" else 0.0)
    t = out["t"]
    np.testing.assert_allclose(out["vc"], C["v_rest"] + _psp(t - onset), rtol=0, atol=1e-9)


def test_neuron_to_neuron_delay_is_the_same_everywhere(
    run: tuple[str, dict[str, np.ndarray]],
) -> None:
    case, out = run
    # Measured from NEST's on-grid stamp (end of the crossing step), the PSC starts exactly
    # one delay later in every case: Brian2's earlier stamp and later delivery cancel.
    # NEST's precise model delivers at the precise time plus the delay.
    stamp = FIRST if case == "nest-off_grid" else _stamp("nest-on_grid", FIRST)
    onset = stamp + DELAY
    t, v = out["t"], out["vd"]
    upto = t < onset + 5.0  # before B's second spike arrives
    np.testing.assert_allclose(v[upto], C["v_rest"] + _psp(t[upto] - onset), rtol=0, atol=1e-9)


# --- the helper itself (NEST only: it starts in about a second) -------------------------


def test_inputs_and_outputs_round_trip() -> None:
    refsim.require("nest")
    out = refsim.run_pynn(
        "nest",
        """
        save(x=np.asarray(x) * 2, n=n + 1, name=np.array(name.upper()),
             backend=np.array(sim.__name__))
        """,
        x=[1.0, 2.5],
        n=3,
        name="abc",
    )
    np.testing.assert_array_equal(out["x"], [2.0, 5.0])
    assert int(out["n"]) == 4
    assert str(out["name"]) == "ABC"
    assert str(out["backend"]) == "pyNN.nest"


def test_script_errors_carry_the_traceback() -> None:
    refsim.require("nest")
    with pytest.raises(refsim.RefsimError, match="ZeroDivisionError"):
        refsim.run_pynn("nest", "1 / 0")


def test_bad_arguments_are_rejected_before_running() -> None:
    with pytest.raises(ValueError, match="sim must be one of"):
        refsim.run_pynn("neuron", "pass")
    with pytest.raises(TypeError, match="input f="):
        refsim.run_pynn("nest", "pass", f=object())


def test_require_skips_locally_and_fails_on_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SPINSTREAM_REFSIM", str(tmp_path / "missing"))
    assert not refsim.available("nest")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="scripts/refsim_setup"):
        refsim.require("nest")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="unavailable on CI"):
        refsim.require("nest")
