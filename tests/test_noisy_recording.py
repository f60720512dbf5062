"""Recording a NoisyCurrentSource: the board records the current it applied, step by step.

Checked against the membrane potential of the targets (IF_curr_delta without input: the
exact solution gives back, from v, the current of every step), against the source's
parameters (zero outside [start, stop), held between draws, mean and spread), and for
side effects (recording changes no spike and no voltage, whatever the chunk size).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import spinstream
import spinstream.pyNN as sim
from spinstream.board import HostBoard
from tests.reference import ReferenceBoard, trivial_plan

DT = 0.1
CELL = {"tau_m": 20.0, "cm": 0.5, "v_rest": -65.0, "v_thresh": 1e9, "tau_refrac": 0.0}


@pytest.fixture(params=["host", "reference"])
def net(request):
    if request.param == "host":
        sim.setup(timestep=DT, seed=7, board=HostBoard())
    else:
        sim.setup(timestep=DT, seed=7, board=ReferenceBoard(), mapper=trivial_plan)
    yield sim
    sim.end()


def current_from_v(v: np.ndarray) -> np.ndarray:
    """Invert the exact IF_curr_delta step: the current of each step from v before and after."""
    e = math.exp(-DT / CELL["tau_m"])
    r = CELL["tau_m"] / CELL["cm"]
    rest = CELL["v_rest"]
    return (v[1:] - rest - (v[:-1] - rest) * e) / (r * (1 - e))


def test_the_recorded_current_is_what_the_neurons_received(net):
    cells = net.Population(4, net.IF_curr_delta(**CELL), label="targets")
    noise = net.NoisyCurrentSource(mean=0.4, stdev=0.3, start=2.0, stop=12.0, dt=0.5)
    cells[0:3].inject(noise)  # three targets, independent draws; cell 3 gets nothing
    noise.record()
    cells.record("v")
    net.run(8.0)
    net.run(7.0)  # two runs: one trace
    v = cells.get_data().segments[0].analogsignals[0].magnitude
    got = noise.get_data()
    i = got.magnitude[:, 0]
    assert got.shape == (151, 1)
    assert float(got.t_start) == 0.0
    assert float(got.sampling_period) == pytest.approx(DT)
    assert str(got.units.dimensionality) == "nA"
    per_target = np.stack([current_from_v(v[:, k]) for k in range(4)], axis=1)
    assert_allclose(per_target[:, 3], 0.0, atol=1e-9)
    # the recorded value of a step is the mean over the targets of what each received
    assert_allclose(i[:150], per_target[:, :3].mean(axis=1), atol=1e-9)
    # the targets got different draws
    on = slice(20, 120)
    assert np.all(np.ptp(per_target[on, :3], axis=1) > 0)


def test_one_target_zero_outside_the_window_and_held_between_draws(net):
    cell = net.Population(1, net.IF_curr_delta(**CELL))
    noise = net.NoisyCurrentSource(mean=0.5, stdev=0.2, start=5.0, stop=40.0, dt=1.0)
    cell.inject(noise)
    noise.record()
    cell.record("v")
    net.run(50.0)
    i = noise.get_data().magnitude[:, 0]
    v = cell.get_data().segments[0].analogsignals[0].magnitude[:, 0]
    assert_allclose(i[:500], current_from_v(v), atol=1e-9)
    assert np.all(i[:50] == 0.0)  # before start (step 50 is t = 5 ms)
    assert np.all(i[400:] == 0.0)  # from stop on, the last sample (step 500) included
    draws = i[50:400].reshape(35, 10)  # a new value every 10 steps (dt = 1 ms)
    assert np.all(draws == draws[:, :1])
    assert len(np.unique(draws[:, 0])) == 35


def test_statistics_match_mean_and_stdev():
    sim.setup(timestep=DT, seed=3)
    cell = sim.Population(1, sim.IF_curr_exp(v_thresh=1e9))
    noise = sim.NoisyCurrentSource(mean=0.25, stdev=0.1, start=0.0, dt=DT)
    cell.inject(noise)
    noise.record()
    sim.run(2000.0)
    i = noise.get_data().magnitude[:-1, 0]  # 20000 independent draws
    sim.end()
    assert abs(i.mean() - 0.25) < 4 * 0.1 / math.sqrt(len(i))
    assert abs(i.std() - 0.1) < 0.003


def test_the_last_sample_is_known_or_nan():
    """The last sample is the step about to run: held, zero, or NaN when a draw is due."""
    sim.setup(timestep=DT, seed=3)
    cell = sim.Population(1, sim.IF_curr_exp(v_thresh=1e9))
    noise = sim.NoisyCurrentSource(mean=0.5, stdev=0.1, start=1.0, stop=3.0, dt=0.5)
    cell.inject(noise)
    noise.record()
    sim.run(1.2)  # step 12: inside the draw of step 10
    i = noise.get_data().magnitude[:, 0]
    assert i[12] == i[11] == i[10] != 0.0
    sim.run(0.3)  # step 15 draws anew
    assert math.isnan(noise.get_data().magnitude[-1, 0])
    sim.run(2.0)  # step 35: past stop
    i = noise.get_data().magnitude[:, 0]
    assert i[-1] == 0.0
    assert not np.any(np.isnan(i))
    sim.end()


def test_record_after_a_run_has_nan_before_it_and_a_reset_starts_over():
    sim.setup(timestep=DT, seed=3)
    cell = sim.Population(1, sim.IF_curr_exp(v_thresh=1e9))
    noise = sim.NoisyCurrentSource(mean=0.5, stdev=0.1, start=0.0, dt=DT)
    cell.inject(noise)
    sim.run(1.0)
    noise.record()  # from the next step on
    sim.run(1.0)
    i = noise.get_data().magnitude[:, 0]
    assert np.all(np.isnan(i[:10]))
    assert not np.any(np.isnan(i[10:20]))
    sim.reset()
    sim.run(0.5)
    i = noise.get_data().magnitude[:, 0]
    assert len(i) == 6
    assert not np.any(np.isnan(i[:5]))
    sim.end()


def _trace(record: bool, chunk: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    sim.setup(timestep=DT, seed=11)
    cells = sim.Population(5, sim.IF_curr_exp(v_thresh=-64.0, tau_refrac=1.0))
    noise = sim.NoisyCurrentSource(mean=0.6, stdev=0.5, start=1.0, stop=30.0, dt=0.2)
    cells.inject(noise)
    if record:
        noise.record()
    cells.record(["spikes", "v"])
    step = chunk or 40.0
    t = 0.0
    while t < 40.0 - 1e-9:
        sim.run(step)
        t += step
    seg = cells.get_data().segments[0]
    v = seg.analogsignals[0].magnitude.copy()
    spikes = np.concatenate([np.asarray(st) for st in seg.spiketrains])
    current = noise.get_data().magnitude[:, 0] if record else np.zeros(0)
    sim.end()
    return np.concatenate([v.ravel(), spikes]), current


def test_recording_changes_nothing_and_does_not_depend_on_run_lengths():
    plain, _ = _trace(record=False)
    recorded, current = _trace(record=True)
    assert_array_equal(plain, recorded)
    chunked, current_chunked = _trace(record=True, chunk=2.5)
    assert_array_equal(plain, chunked)
    assert_array_equal(current[:-1], current_chunked[:-1])


async def test_noisy_source_recorded_in_an_async_session():
    async with spinstream.Session(timestep=DT, chunk=1.0, mode="fast", seed=5) as s:
        cell = s.Population(1, s.IF_curr_delta(**CELL))
        noise = s.NoisyCurrentSource(mean=0.3, stdev=0.1, start=0.5, dt=0.5)
        cell.inject(noise)
        noise.record()
        cell.record("v")
        await s.run(10.0)
        i = noise.get_data().magnitude[:, 0]
        v = cell.get_data().segments[0].analogsignals[0].magnitude[:, 0]
    assert_allclose(i[:100], current_from_v(v), atol=1e-9)
    assert np.all(i[:5] == 0.0)
    assert np.all(i[5:100] != 0.0)
