"""Spike sources of the C engine: statistics of the random ones, exact stamps of the others.

The random sources are renewal processes in continuous time whose events get stamp
``ceil(T/dt)`` (docs/ENGINE.md).  Statistical checks use a significance level of 1e-3 and
fixed seeds, so that they are deterministic and far from flaky, yet catch a wrong rate, a cap
of one spike per step, or a wrong interval distribution.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from scipy import stats

from spinstream.board import HostBoard
from spinstream.model import LateInputError, NetworkSpec, ParameterError
from tests.reference import network, population, projection, trivial_plan

DT = 0.1
ALPHA = 1e-3


def load(spec: NetworkSpec, atoms_per_core: int | None = 32) -> HostBoard:
    board = HostBoard()
    board.load(spec, trivial_plan(spec, atoms_per_core=atoms_per_core))
    for pop in spec.populations:
        board.set_recording(pop.id, "spikes", np.arange(pop.size))
    return board


def source(model: str, n: int, seed: int = 1, **params: object) -> HostBoard:
    return load(network(DT, [population(0, model, n, **params)], seed=seed))  # type: ignore[arg-type]


def spikes(result: object, pop: int = 0) -> tuple[np.ndarray, np.ndarray]:
    return result.spikes.get(pop, (np.zeros(0, np.int64), np.zeros(0, np.int64)))  # type: ignore[attr-defined, no-any-return]


def intervals(stamps: np.ndarray, idx: np.ndarray, n: int) -> np.ndarray:
    """Inter-spike intervals (steps) of every neuron, pooled."""
    return np.concatenate([np.diff(np.sort(stamps[idx == i])) for i in range(n)])


def assert_count(count: int, expected: float) -> None:
    """A Poisson count within 5 standard deviations of its mean."""
    assert abs(count - expected) < 5 * np.sqrt(expected), (count, expected)


# --- SpikeSourcePoisson -------------------------------------------------------------------------


def test_poisson_low_rate_count_and_exponential_intervals() -> None:
    n, steps, rate = 100, 50_000, 5.0  # 5 s
    board = source("SpikeSourcePoisson", n, rate=rate)
    stamps, idx = spikes(board.run(steps))
    assert_count(len(stamps), n * rate * steps * DT / 1000)
    isi = intervals(stamps, idx, n) * DT  # ms; the 0.1 ms grid is negligible against 200 ms
    assert len(isi) > 2000
    assert stats.kstest(isi, "expon", args=(0, 1000 / rate)).pvalue > ALPHA
    # each neuron fires independently: per-neuron counts are Poisson too (dispersion ~ 1)
    counts = np.bincount(idx, minlength=n)
    assert 0.6 < counts.var() / counts.mean() < 1.5


def test_poisson_high_rate_emits_several_spikes_per_step() -> None:
    n, steps, rate = 100, 2000, 5000.0  # lambda = 0.5 spikes per step and neuron
    board = source("SpikeSourcePoisson", n, rate=rate)
    stamps, idx = spikes(board.run(steps))
    lam = rate * DT / 1000
    assert_count(len(stamps), n * steps * lam)
    assert stamps.min() >= 1
    assert stamps.max() <= steps
    counts = np.zeros((steps, n), dtype=np.int64)
    np.add.at(counts, (stamps - 1, idx), 1)
    # several spikes of one neuron in one step do appear, as often as Poisson says
    observed = np.bincount(counts.ravel(), minlength=6)
    k = np.arange(len(observed))
    expected = stats.poisson(lam).pmf(k) * counts.size
    expected[-1] += stats.poisson(lam).sf(k[-1]) * counts.size
    assert observed[2:].sum() > 0.05 * counts.size
    keep = expected > 5
    chi2 = ((observed[keep] - expected[keep]) ** 2 / expected[keep]).sum()
    assert stats.chi2(keep.sum() - 1).sf(chi2) > ALPHA
    # independent steps: counts of consecutive steps are uncorrelated
    r = np.corrcoef(counts[1:].ravel(), counts[:-1].ravel())[0, 1]
    assert abs(r) < 5 / np.sqrt(counts.size)


@pytest.mark.parametrize("rate", [20.0, 2000.0])
def test_poisson_intervals_in_steps_match_a_numpy_simulation(rate: float) -> None:
    """KS test on the intervals (in steps) against the same process simulated by numpy."""
    n, steps = 50, 20_000 if rate < 100 else 1000
    board = source("SpikeSourcePoisson", n, rate=rate)
    stamps, idx = spikes(board.run(steps))
    isi = intervals(stamps, idx, n)
    rng = np.random.default_rng(123)
    times = np.cumsum(
        rng.exponential(1000 / rate, (n, int(rate * steps * DT / 1000 * 1.5) + 50)), axis=1
    )
    ref_stamps = np.ceil(times / DT)
    ref_isi = np.concatenate([np.diff(row[row <= steps]) for row in ref_stamps])
    assert stats.ks_2samp(isi, ref_isi).pvalue > ALPHA


def test_poisson_start_and_duration_window() -> None:
    # kept when start < stamp * dt <= start + duration: stamps 101 ... 300
    board = source("SpikeSourcePoisson", 100, rate=1000.0, start=10.0, duration=20.0)
    stamps, _ = spikes(board.run(500))
    assert stamps.min() == 101
    assert stamps.max() == 300
    assert_count(len(stamps), 100 * 1000.0 * 20.0 / 1000)


def test_poisson_rate_change_takes_effect_at_the_next_runs_first_step() -> None:
    n = 100
    board = source("SpikeSourcePoisson", n, rate=0.0)
    assert len(spikes(board.run(300))[0]) == 0
    board.set_parameters(0, "rate", np.arange(n), np.full(n, 5000.0))
    stamps, _ = spikes(board.run(300))
    # 50 expected spikes in the first step: it cannot be empty
    assert stamps.min() == 301
    assert_count(len(stamps), n * 300 * 0.5)
    board.set_parameters(0, "rate", np.arange(n), np.zeros(n))
    assert len(spikes(board.run(300))[0]) == 0
    # per neuron: half of them at 50 Hz, the others silent
    board.set_parameters(0, "rate", np.arange(0, n, 2), np.full(n // 2, 2000.0))
    stamps, idx = spikes(board.run(1000))
    assert stamps.min() == 901
    assert np.all(idx % 2 == 0)
    assert_count(len(stamps), n // 2 * 1000 * 0.2)


# --- other random sources ------------------------------------------------------------


def test_gamma_source_rate_cv_and_interval_distribution() -> None:
    n, steps, alpha, beta = 100, 20_000, 4.0, 200.0  # rate beta/alpha = 50 Hz, CV 1/2
    board = source("SpikeSourceGamma", n, alpha=alpha, beta=beta)
    stamps, idx = spikes(board.run(steps))
    rate = beta / alpha
    assert_count(len(stamps), n * rate * steps * DT / 1000)
    isi = intervals(stamps, idx, n) * DT
    assert abs(isi.std() / isi.mean() - 1 / np.sqrt(alpha)) < 0.02
    # mean ISI 20 ms against a 0.1 ms grid: the continuous law is fine for the KS test
    assert stats.kstest(isi, "gamma", args=(alpha, 0, 1000 / beta)).pvalue > ALPHA


def test_poisson_refractory_source_never_fires_within_tau_refrac() -> None:
    n, steps, rate, tau_refrac = 100, 20_000, 20.0, 5.0
    board = source("SpikeSourcePoissonRefractory", n, rate=rate, tau_refrac=tau_refrac)
    stamps, idx = spikes(board.run(steps))
    assert_count(len(stamps), n * rate * steps * DT / 1000)  # the dead time keeps the rate
    isi = intervals(stamps, idx, n) * DT
    assert isi.min() >= tau_refrac - 1e-9
    assert isi.min() < tau_refrac + 0.5  # and the intervals start right there
    free = isi - tau_refrac  # exponential, mean 1/rate - tau_refrac
    assert stats.kstest(free, "expon", args=(0, 1000 / rate - tau_refrac)).pvalue > ALPHA


# --- SpikeSourceArray, SpikeInjector, schedule_spikes -------------------------------------------


def array_network(times: list[list[float]], delay: int = 4) -> NetworkSpec:
    n = len(times)
    return network(
        DT,
        [
            population(0, "SpikeSourceArray", n, spike_times=times),
            population(1, "IF_curr_exp", n, tau_syn_E=2.0, v_thresh=1e9),
        ],
        [projection(0, 0, 1, range(n), range(n), 1.0, delay)],
    )


def arrivals(result: object, n: int) -> list[np.ndarray]:
    """Stamps at which each target's isyn_exc jumped up (a spike took effect)."""
    stamps, isyn = result.samples[(1, "isyn_exc")]  # type: ignore[attr-defined]
    jumps = np.diff(isyn, axis=0, prepend=0.0) > 1e-9
    return [stamps[jumps[:, i]] for i in range(n)]


def test_spike_source_array_exact_stamps_including_t0() -> None:
    times = [[0.0, 0.1, 5.0, 99.9], [0.04, 0.26, 12.3], [], [50.0]]
    expected = [[0, 1, 50, 999], [0, 3, 123], [], [500]]  # round(t/dt), halves up
    board = load(array_network(times), atoms_per_core=3)
    board.set_recording(1, "isyn_exc", np.arange(4))
    res = board.run(1100)
    stamps, idx = spikes(res)
    for i, want in enumerate(expected):
        assert_array_equal(stamps[idx == i], want)
        # and each takes effect exactly delay (4) steps later
        assert_array_equal(arrivals(res, 4)[i], np.asarray(want, dtype=np.int64) + 4)


def test_spike_times_before_zero_are_dropped() -> None:
    # -0.04 ms rounds to stamp 0 and is kept; -0.5 ms (stamp -5) is in the past from the start
    board = load(array_network([[-0.5, -0.04, 0.2]], delay=2))
    board.set_recording(1, "isyn_exc", np.arange(1))
    res = board.run(20)
    assert_array_equal(spikes(res)[0], [0, 2])
    assert_array_equal(arrivals(res, 1)[0], [2, 4])


@pytest.mark.parametrize("model", ["SpikeSourceArray", "SpikeInjector"])
def test_schedule_spikes_at_future_stamps(model: str) -> None:
    spec = array_network([[], [], []], delay=3)
    spec.populations[0].model = model
    spec.populations[0].spike_times = None if model == "SpikeInjector" else [[], [], []]
    board = load(spec)
    board.set_recording(1, "isyn_exc", np.arange(3))
    first = board.run(100)
    assert len(spikes(first)[0]) == 0
    # the current step itself is still in time: its spikes keep their exact timing
    board.schedule_spikes(0, np.array([0, 1, 2, 0]), np.array([100, 150, 151, 400]))
    res = board.run(500)
    stamps, idx = spikes(res)
    assert_array_equal(stamps, [100, 150, 151, 400])
    assert_array_equal(idx, [0, 1, 2, 0])
    got = arrivals(res, 3)
    assert_array_equal(got[0], [103, 403])
    assert_array_equal(got[1], [153])
    assert_array_equal(got[2], [154])


def test_late_stamps_raise_and_change_nothing() -> None:
    board = load(array_network([[], []], delay=2))
    board.run(50)
    with pytest.raises(LateInputError, match=r"49.*step 50|step 50.*49"):
        board.schedule_spikes(0, np.array([0, 1]), np.array([60, 49]))
    # neither spike was taken, not even the one in time
    stamps, _ = spikes(board.run(100))
    assert len(stamps) == 0
    board.schedule_spikes(0, np.array([1]), np.array([150]))
    assert_array_equal(spikes(board.run(10))[0], [150])


def test_schedule_spikes_on_a_population_of_neurons_is_refused() -> None:
    board = load(array_network([[1.0]]))
    with pytest.raises(ParameterError, match="IF_curr_exp"):
        board.schedule_spikes(1, np.array([0]), np.array([10]))


def test_reset_replays_arrays_forgets_injected_spikes_and_restarts_poisson() -> None:
    spec = network(
        DT,
        [
            population(0, "SpikeSourceArray", 2, spike_times=[[0.0, 3.0], [7.5]]),
            population(1, "SpikeSourcePoisson", 50, rate=200.0),
            population(2, "IF_curr_exp", 2, v_thresh=1e9),
        ],
        [
            projection(0, 0, 2, [0, 1], [0, 1], 0.5, 5),
            projection(1, 1, 2, range(50), [0] * 50, 0.1, 1),
        ],
        seed=9,
    )
    board = load(spec)
    board.set_recording(2, "v", np.arange(2))
    board.schedule_spikes(0, np.array([1]), np.array([200]))
    first = board.run(400)
    a1, p1 = spikes(first, 0), spikes(first, 1)
    assert_array_equal(a1[0], [0, 30, 75, 200])
    board.reset()
    assert board.step == 0
    second = board.run(400)
    a2, p2 = spikes(second, 0), spikes(second, 1)
    assert_array_equal(a2[0], [0, 30, 75])  # replayed; the injected spike is gone
    assert_array_equal(second.samples[(2, "v")][0], first.samples[(2, "v")][0])  # stamp 0 again
    # the Poisson processes restart at step 0 with the generator continuing: new spikes,
    # the same statistics
    assert p2[0].min() >= 1
    assert not (len(p1[0]) == len(p2[0]) and np.array_equal(p1[0], p2[0]))
    assert_count(len(p2[0]), 50 * 200.0 * 40 / 1000)
    # the state and rings were reset: the array's effect on neuron 1 is as the first time
    v1, v2 = first.samples[(2, "v")][1][:, 1], second.samples[(2, "v")][1][:, 1]
    assert_array_equal(v1[:200], v2[:200])
