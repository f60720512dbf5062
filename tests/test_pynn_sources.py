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
