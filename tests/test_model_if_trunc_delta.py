"""IFTruncDelta (sPyNNaker's IF_trunc_delta), one model file: checked against its statement.

The rule (docs/MODELS.md): no leak; a synaptic event of weight w (nA) jumps v by R w with
R = tau_m / cm; the drive I = i_offset adds R I per millisecond; v never goes below v_reset
(a jump below it stops there); threshold, reset and refractory time as IF_curr_delta's.
The references below follow that statement step by step in Python; at dt = 1 ms it is
sPyNNaker's own per-step rule ``v = max(v + R (w + I), v_reset)`` wherever at most one of a
fall below v_reset and a positive drive happen in a step.
"""

from __future__ import annotations

import pathlib

import numpy as np
from numpy.testing import assert_allclose, assert_array_equal

from spinstream.model import PopulationSpec
from tests.engine import require_engine
from tests.reference import network, population, projection, trivial_plan
from tests.test_spinnaker_face import result, run_script

HostBoard = require_engine()

MODEL = "IFTruncDelta"
#: sPyNNaker 7.4.1's defaults (spynnaker/pyNN/models/neuron/builds/if_trunc_delta.py)
DEFAULTS = {
    "tau_m": 1.0,
    "cm": 1.0,
    "v_reset": 0.0,
    "v_thresh": 1.0,
    "tau_refrac": 1.0,
    "i_offset": 0.0,
}


def reference(
    n_steps: int,
    dt: float,
    r: float,
    i_off: float,
    v0: float,
    v_reset: float,
    v_thresh: float,
    refrac_steps: int,
    jumps: dict[int, float],
) -> tuple[np.ndarray, list[int]]:
    """v at stamps 0..n_steps and the spike stamps; jumps: stamp -> sum of w."""
    v, refr, out, spikes = v0, 0, [v0], []
    for k in range(1, n_steps + 1):
        x = max(v + r * jumps.get(k, 0.0), v_reset)
        x = max(x + r * i_off * dt, v_reset)
        if refr > 0:
            x, refr = v_reset, refr - 1
        if x >= v_thresh:
            spikes.append(k)
            x, refr = v_reset, refrac_steps
        v = x
        out.append(v)
    return np.array(out), spikes


def run(
    dt: float, n_steps: int, params: dict[str, float], v0: float, events: list[tuple[float, float]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One neuron; events: (time ms, signed weight nA) through a 1-step delay."""
    full = {**DEFAULTS, **params}
    pops = [
        PopulationSpec(
            1,
            "cell",
            1,
            MODEL,
            params={k: np.array([x]) for k, x in full.items()},
            initial={"v": np.array([v0])},
        )
    ]
    projs = []
    times = [[t] for t, _ in events] or [[]]
    pops.insert(0, population(0, "SpikeSourceArray", len(times), spike_times=times))
    if events:
        w = [abs(x) for _, x in events]
        rec = [0 if x >= 0 else 1 for _, x in events]
        projs.append(projection(0, 0, 1, range(len(events)), [0] * len(events), w, 1, rec))
    spec = network(dt, pops, projs)
    board = HostBoard()
    board.load(spec, trivial_plan(spec))
    board.set_recording(1, "spikes", np.arange(1))
    board.set_recording(1, "v", np.arange(1))
    res = board.run(n_steps)
    stamps, v = res.samples[(1, "v")]
    return stamps, v[:, 0], res.spikes[1][0]


def test_dc_drive_fires_at_the_exact_step_and_rests_refractory() -> None:
    # R = 2 / 0.5 = 4 MOhm, I = 0.0625 nA: 0.25 mV/ms, 0.03125 mV per step of 0.125 ms;
    # from 0 to 1 mV in 32 steps, then 8 steps (1 ms) held at v_reset, then 32 more
    dt = 0.125
    p = {"tau_m": 2.0, "cm": 0.5, "i_offset": 0.0625, "v_reset": 0.0, "v_thresh": 1.0}
    stamps, v, spikes = run(dt, 300, {**p, "tau_refrac": 1.0}, 0.0, [])
    assert_array_equal(spikes, [32, 72, 112, 152, 192, 232, 272])
    assert_array_equal(stamps[:32], np.arange(32))
    assert_allclose(v[:32], 0.03125 * np.arange(32), rtol=0, atol=1e-12)
    assert np.all(v[32:41] == 0.0)  # reset, then held at v_reset while refractory
    assert v.min() >= 0.0


def test_truncation_jumps_and_drive_match_the_rule() -> None:
    rng = np.random.default_rng(4)
    dt, n = 0.1, 3000
    p = {"tau_m": 3.0, "cm": 1.5, "v_reset": -1.0, "v_thresh": 2.0, "tau_refrac": 0.5}
    events = [
        (round(float(t), 1), float(w))
        for t, w in zip(rng.uniform(0.0, 290.0, 120), rng.uniform(-1.2, 0.9, 120), strict=True)
    ]
    for i_off in (0.004, -0.003, 0.0):
        stamps, v, spikes = run(dt, n, {**p, "i_offset": i_off}, 0.5, events)
        jumps: dict[int, float] = {}
        for t, w in events:
            k = round(t / dt) + 1  # the stamp at which the 1-step delay delivers it
            jumps[k] = jumps.get(k, 0.0) + w
        ref_v, ref_spikes = reference(n, dt, 2.0, i_off, 0.5, -1.0, 2.0, 5, jumps)
        assert_array_equal(spikes, ref_spikes)
        assert_allclose(v, ref_v[stamps], rtol=0, atol=1e-9)
        assert np.any(v == -1.0)  # it did reach the floor (truncation tested)
        assert v.min() >= -1.0
        if i_off > 0:
            assert len(spikes) >= 3


def test_spynnaker_script_at_one_millisecond_follows_the_per_step_rule(
    tmp_path: pathlib.Path,
) -> None:
    script = """
import json
import numpy as np
import pyNN.spiNNaker as sim
sim.setup(timestep=1.0)
src = sim.Population(1, sim.SpikeSourceArray(spike_times=[5, 6, 7, 20, 21, 40, 41, 42]))
inh = sim.Population(1, sim.SpikeSourceArray(spike_times=[10, 30, 31]))
cell = sim.Population(1, sim.extra_models.IFTruncDelta(
    tau_m=2.0, cm=4.0, v_reset=-0.5, v_thresh=1.0, tau_refrac=2.0, i_offset=0.0))
sim.Projection(src, cell, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.8, delay=1.0))
sim.Projection(inh, cell, sim.OneToOneConnector(), sim.StaticSynapse(weight=1.5, delay=1.0),
               receptor_type="inhibitory")
cell.record(["v", "spikes"])
sim.run(60)
data = cell.get_data().segments[0]
v = np.asarray(data.filter(name="v")[0]).ravel()
print(json.dumps({"v": v.tolist(),
                  "spikes": [float(t) for t in data.spiketrains[0].magnitude]}))
sim.end()
"""
    out = result(run_script(tmp_path, script))
    # sPyNNaker's rule at dt = 1 ms, R = 0.5: v = max(v + R (w_exc - w_inh), v_reset); the
    # events arrive one step (the delay) after their spike
    v, expected, spikes, refr = 0.0, [0.0], [], 0
    exc, inh = {5, 6, 7, 20, 21, 40, 41, 42}, {10, 30, 31}
    for t in range(1, 60):
        x = max(v + 0.5 * (0.8 * ((t - 1) in exc) - 1.5 * ((t - 1) in inh)), -0.5)
        if refr:
            x, refr = -0.5, refr - 1
        if x >= 1.0:
            spikes.append(float(t))
            x, refr = -0.5, 2
        v = x
        expected.append(v)
    assert out["spikes"] == spikes
    assert len(spikes) >= 1
    assert_allclose(out["v"][: len(expected)], expected, rtol=0, atol=1e-9)
