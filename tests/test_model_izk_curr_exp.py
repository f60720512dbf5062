"""IZK_curr_exp: sPyNNaker's ``Izhikevich`` (current-based exponential synapses), checked
against things independent of the engine.

1. A fine ODE solution (scipy's DOP853, tolerance 1e-12, piece by piece between the synaptic
   events) of a DC-driven neuron with excitatory and inhibitory current events, from t = 0
   and again from the engine's state after each reset: the spike stamps are the steps in
   which it crosses 30 mV; ``v`` and ``u`` agree closely, the currents are exact.
2. NEST's ``izhikevich`` where the definitions agree (a DC current, no synapses: NEST's
   ``I_e`` in pA is the number that sPyNNaker's nA is here), at a step fine enough for
   NEST's forward Euler: the same interspike intervals to 0.02 ms (two of our steps).
3. The ``pyNN.spiNNaker`` face: ``sim.Izhikevich`` is this model; ``v``, ``u`` given to its
   constructor are initial values, ``Population(initial_values=...)`` overrides them.
"""

from __future__ import annotations

import pathlib

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.integrate import solve_ivp

from spinstream.model import PopulationSpec
from tests import refsim
from tests.engine import require_engine
from tests.reference import network, population, projection, trivial_plan
from tests.test_spinnaker_face import result, run_script

HostBoard = require_engine()

DT = 0.1
MODEL = "IZK_curr_exp"
A, B, C, D, I_OFF, TAU_E, TAU_I = 0.02, 0.2, -65.0, 6.0, 9.0, 2.0, 5.0
DELAY = 3
T_STOP = 200.0
#: (time the current jumps, receptor 0/1, weight nA)
EVENTS = [
    (20.0, 0, 8.0),
    (35.0, 0, 12.0),
    (60.0, 1, 9.0),
    (61.5, 0, 4.0),
    (120.0, 1, 15.0),
    (150.0, 0, 20.0),
]


def cell(n: int, **over: float) -> PopulationSpec:
    params = {
        "a": A,
        "b": B,
        "c": C,
        "d": D,
        "i_offset": I_OFF,
        "tau_syn_E": TAU_E,
        "tau_syn_I": TAU_I,
        **over,
    }
    return PopulationSpec(
        1,
        "izk",
        n,
        MODEL,
        params={k: np.full(n, v) for k, v in params.items()},
        initial={"v": np.full(n, -65.0), "u": np.full(n, -13.0)},
    )


def fine_segment(
    t0: float, y0: np.ndarray, t_grid: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float | None]:
    """v, u at the grid times after t0 from y0 = (v, u, i_exc, i_inh), up to the first
    crossing of 30 mV (returned, or None)."""

    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        v, u, ie, ii = y
        return np.array(
            [
                0.04 * v * v + 5 * v + 140 - u + I_OFF + ie - ii,
                A * (B * v - u),
                -ie / TAU_E,
                -ii / TAU_I,
            ]
        )

    def crossing(t: float, y: np.ndarray) -> float:
        return float(y[0] - 30.0)

    crossing.terminal = True  # type: ignore[attr-defined]
    crossing.direction = 1  # type: ignore[attr-defined]
    y = y0.copy()
    v_out = np.full(len(t_grid), np.nan)
    u_out = np.full(len(t_grid), np.nan)
    for t_break in sorted({t for t, _, _ in EVENTS if t > t0 + 1e-9} | {T_STOP}):
        sol = solve_ivp(
            rhs,
            (t0, t_break),
            y,
            method="DOP853",
            rtol=1e-12,
            atol=1e-12,
            dense_output=True,
            events=crossing,
        )
        sel = (t_grid > t0 + 1e-9) & (t_grid <= sol.t[-1] + 1e-9)
        v_out[sel], u_out[sel] = sol.sol(t_grid[sel])[:2]
        if sol.status == 1:
            return v_out, u_out, float(sol.t[-1])
        y, t0 = sol.y[:, -1].copy(), t_break
        for t, receptor, w in EVENTS:
            if t == t_break:
                y[2 + receptor] += w
    return v_out, u_out, None


def test_matches_fine_ode_solution() -> None:
    spec = network(
        DT,
        [
            population(
                0,
                "SpikeSourceArray",
                len(EVENTS),
                spike_times=[[t - DELAY * DT] for t, _, _ in EVENTS],
            ),
            cell(1),
        ],
        [
            projection(
                0,
                0,
                1,
                range(len(EVENTS)),
                [0] * len(EVENTS),
                [w for *_, w in EVENTS],
                [DELAY] * len(EVENTS),
                [r for _, r, _ in EVENTS],
            )
        ],
    )
    board = HostBoard()
    board.load(spec, trivial_plan(spec))
    board.set_recording(1, "spikes", np.arange(1))
    for var in ("v", "u", "isyn_exc", "isyn_inh"):
        board.set_recording(1, var, np.arange(1))
    res = board.run(round(T_STOP / DT))
    stamps, v = res.samples[(1, "v")]
    t = stamps * DT
    u = res.samples[(1, "u")][1][:, 0]
    ie, ii = res.samples[(1, "isyn_exc")][1][:, 0], res.samples[(1, "isyn_inh")][1][:, 0]
    ours = list(res.spikes[1][0])
    assert len(ours) >= 4
    compared = 0
    for k, s0 in enumerate([0, *ours]):
        y0 = np.array([v[s0, 0], u[s0], ie[s0], ii[s0]])
        v_fine, u_fine, t_cross = fine_segment(s0 * DT, y0, t)
        if k < len(ours):
            assert t_cross is not None
            assert (ours[k] - 1) * DT < t_cross <= ours[k] * DT + 1e-9  # the same step
            end = ours[k] - 1  # compare up to the step before the spike
        else:
            end = len(t) - 1
        sel = slice(s0 + 1, end + 1)
        # RK4's error grows on the upstroke, where v' is large: 1e-4 mV below -30 mV
        # (measured 1e-6), 0.05 mV above it (measured 0.009 mV at dt = 0.1 ms)
        low = v_fine[sel] < -30.0
        assert_allclose(v[sel, 0][low], v_fine[sel][low], rtol=0, atol=1e-4)
        assert_allclose(v[sel, 0], v_fine[sel], rtol=0, atol=0.05)
        assert_allclose(u[sel], u_fine[sel], rtol=0, atol=1e-4)
        compared += end - s0
    assert compared > 1000
    # the currents: exact sums of decaying jumps
    expect_e = sum(
        w * np.exp(-(t - te) / TAU_E) * (t >= te - 1e-9) for te, r, w in EVENTS if r == 0
    )
    expect_i = sum(
        w * np.exp(-(t - te) / TAU_I) * (t >= te - 1e-9) for te, r, w in EVENTS if r == 1
    )
    assert_allclose(ie, expect_e, rtol=0, atol=1e-10)
    assert_allclose(ii, expect_i, rtol=0, atol=1e-10)


def test_dc_spike_times_match_nest_izhikevich() -> None:
    refsim.require("nest")
    i_e, t_stop = 10.0, 300.0
    out = refsim.run_pynn(
        "nest",
        """
sim.setup(timestep=dt)
p = sim.Population(1, sim.native_cell_type("izhikevich")(
    a=0.02, b=0.2, c=-65.0, d=8.0, I_e=i_e, V_th=30.0),
    initial_values={"V_m": -70.0, "U_m": -14.0})
p.record("spikes")
sim.run(t_stop)
save(spikes=p.get_data().segments[0].spiketrains[0])
""",
        dt=0.001,
        i_e=i_e,
        t_stop=t_stop,
    )
    spec = network(0.01, [population(0, "SpikeSourceArray", 1, spike_times=[[]])])
    pop = cell(1, a=0.02, b=0.2, c=-65.0, d=8.0, i_offset=i_e)
    pop.initial = {"v": np.array([-70.0]), "u": np.array([-14.0])}
    spec.populations.append(pop)
    board = HostBoard()
    board.load(spec, trivial_plan(spec))
    board.set_recording(1, "spikes", np.arange(1))
    ours = board.run(round(t_stop / 0.01)).spikes[1][0] * 0.01
    nest = np.asarray(out["spikes"], dtype=float)
    assert len(ours) == len(nest) >= 5
    # the intervals within two of our steps (measured: up to 0.019 ms; spikes land on our
    # 0.01 ms grid, NEST's Euler at 0.001 ms drifts 0.005 ms per interval), the first spike
    # within one step
    assert_allclose(np.diff(ours), np.diff(nest), rtol=0, atol=0.02)
    assert abs(ours[0] - nest[0]) <= 0.01 + 1e-9


def test_spynnaker_izhikevich_takes_v_and_u(tmp_path: pathlib.Path) -> None:
    script = """
import json
import numpy as np
import pyNN.spiNNaker as sim
from pyNN import errors
sim.setup(timestep=1.0)
a = sim.Population(2, sim.Izhikevich(a=0.02, b=0.2, c=-65, d=8, v=-75, u=0,
                                     tau_syn_E=2, tau_syn_I=2, i_offset=0))
b = sim.Population(1, sim.Izhikevich(v=-75.0), initial_values={"v": -60.0})
c = sim.Population(1, sim.Izhikevich)
for p in (a, b, c):
    p.record(["v", "gsyn_exc", "spikes"])
src = sim.Population(1, sim.SpikeSourceArray(spike_times=[30.0]))
sim.Projection(src, a, sim.AllToAllConnector(), sim.StaticSynapse(weight=30.0, delay=1.0))
try:
    sim.Izhikevich(v=[1.0, 2.0])
    refused = ""
except errors.InvalidParameterValueError as err:
    refused = str(err)
sim.run(60)
va = np.asarray(a.get_data().segments[0].filter(name="v")[0])
ga = np.asarray(a.get_data().segments[0].filter(name="gsyn_exc")[0])
vb = np.asarray(b.get_data().segments[0].filter(name="v")[0])
vc = np.asarray(c.get_data().segments[0].filter(name="v")[0])
print(json.dumps({"a0": va[0].tolist(), "b0": float(vb[0, 0]), "c0": float(vc[0, 0]),
                  "spiked": int(a.get_data().segments[0].spiketrains[0].size),
                  "gmax": float(ga.max()), "name": type(a.celltype).__name__,
                  "refused": refused}))
sim.end()
"""
    out = result(run_script(tmp_path, script))
    assert out["a0"] == [-75.0, -75.0]
    assert out["b0"] == -60.0  # initial_values overrides the constructor's v
    assert out["c0"] == -70.0  # sPyNNaker's default
    assert out["name"] == "IZK_curr_exp"
    assert out["spiked"] == 1  # 30 nA into tau_syn_E = 2 ms makes one spike
    assert out["gmax"] == pytest.approx(30.0)  # gsyn_exc records the current, nA
    assert "initial value v" in out["refused"]
