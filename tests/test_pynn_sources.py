"""Spike sources on the C engine, checked against their closed-form statistics."""

from __future__ import annotations

import numpy as np
import pytest

import spinstream.pyNN as sim


@pytest.fixture
def net():
    sim.setup(timestep=0.1, seed=5)
    yield sim
    sim.end()


def _isis(pop):
    trains = pop.get_data().segments[-1].spiketrains
    return np.concatenate([np.diff(st.magnitude) for st in trains])


def test_gamma_source_rate_and_regularity(net):
    g = net.Population(200, net.SpikeSourceGamma(alpha=4, beta=80.0))
    g.record("spikes")
    net.run(2000.0)
    isi = _isis(g)
    assert g.mean_spike_count() / 2.0 == pytest.approx(20.0, rel=0.05)  # beta / alpha
    assert isi.std() / isi.mean() == pytest.approx(0.5, rel=0.1)  # 1 / sqrt(alpha)


def test_poisson_refractory_source_dead_time(net):
    r = net.Population(200, net.SpikeSourcePoissonRefractory(rate=50.0, tau_refrac=5.0))
    r.record("spikes")
    net.run(2000.0)
    isi = _isis(r)
    assert isi.min() >= 5.0 - 1e-9
    assert r.mean_spike_count() / 2.0 == pytest.approx(50.0, rel=0.05)
    assert isi.std() / isi.mean() == pytest.approx(1 - 50.0 * 5e-3, rel=0.1)


def test_poisson_rate_changes_between_runs_and_by_neuron(net):
    p = net.Population(100, net.SpikeSourcePoisson(rate=lambda i: np.where(i < 50, 10.0, 40.0)))
    p.record("spikes")
    net.run(1000.0)
    counts = np.array(list(p.get_spike_counts().values()))
    assert counts[:50].mean() == pytest.approx(10.0, rel=0.15)
    assert counts[50:].mean() == pytest.approx(40.0, rel=0.1)
    p[:50].set(rate=0.0)
    before = p.get_spike_counts()
    net.run(500.0)
    after = p.get_spike_counts()
    assert all(after[int(i)] == before[int(i)] for i in p.all_cells[:50])
    assert sum(after[int(i)] - before[int(i)] for i in p.all_cells[50:]) > 0


def _stamps(pop, dt):
    trains = pop.get_data("spikes").segments[-1].spiketrains
    return [np.round(st.magnitude / dt).astype(int).tolist() for st in trains]


def test_injected_and_array_spike_times_follow_one_rounding_rule():
    """A time halfway between two steps goes up (floor(t/dt + 0.5), ENGINE.md) on both paths."""
    dt = 0.125  # exact in binary: k + 0.5 steps are exact halves
    times = [(k + 0.5) * dt for k in (8, 9, 10, 11)]  # rint would give 8, 10, 10, 12
    sim.setup(timestep=dt)
    try:
        arr = sim.Population(4, sim.SpikeSourceArray(spike_times=times), label="array")
        inj = sim.Population(4, sim.SpikeInjector(), label="injected")
        arr.record("spikes")
        inj.record("spikes")
        inj.inject_spikes([0, 1, 2, 3] * 4, times=np.repeat(times, 4))
        sim.run(3.0)
        assert _stamps(arr, dt) == [[9, 10, 11, 12]] * 4
        assert _stamps(inj, dt) == _stamps(arr, dt)
    finally:
        sim.end()


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_injected_spike_times_are_refused_by_name(bad):
    sim.setup(timestep=0.1)
    try:
        inj = sim.Population(3, sim.SpikeInjector(), label="injected")
        inj.record("spikes")
        with pytest.raises(ValueError, match=r"Population 'injected'.*times.*finite.*(nan|inf)"):
            inj.inject_spikes([0, 1], times=[1.0, bad])
        with pytest.raises(ValueError, match=r"Population 'injected'.*2 indices.*3 times"):
            inj.inject_spikes([0, 1], times=[1.0, 2.0, 3.0])
        assert sim.get_current_time() == 0.0
        sim.run(2.0)
        assert _stamps(inj, 0.1) == [[], [], []]  # nothing of the refused calls went in
        assert sim.state.runtime.statistics().late_inputs == 0
    finally:
        sim.end()
