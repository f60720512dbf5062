"""Building connections fast with ``rng=NativeRNG()``: spinstream's own per-block generators.

NativeRNG connectivity must be Bernoulli(p) per pair (sparse and dense draws), with PyNN's
order, reproducible from the seed and independent of everything else.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spinstream.pyNN as sim


def _native_net(
    seed: int, p: float, self_ok: bool = True, rng_seed: int | None = None, threads: int = 1
) -> Any:
    sim.setup(timestep=0.1, seed=seed, threads=threads)
    native = sim.NativeRNG(seed=rng_seed)
    a = sim.Population(3000, sim.IF_curr_exp())
    proj = sim.Projection(
        a,
        a,
        sim.FixedProbabilityConnector(p, allow_self_connections=self_ok, rng=native),
        sim.StaticSynapse(
            weight=0.1, delay=sim.RandomDistribution("uniform", (0.1, 2.0), rng=native)
        ),
    )
    conns = np.array(proj.get(["delay"], format="list"))
    sim.end()
    return conns


@pytest.mark.parametrize("p", [0.01, 0.3])  # sparse and dense draws
def test_native_connectivity_is_bernoulli_per_pair(p: float) -> None:
    conns = _native_net(5, p, self_ok=False)
    pre, post, delay = conns[:, 0].astype(int), conns[:, 1].astype(int), conns[:, 2]
    n_pairs = 3000 * 2999
    mean, sd = n_pairs * p, np.sqrt(n_pairs * p * (1 - p))
    assert abs(len(pre) - mean) < 5 * sd
    assert not np.any(pre == post)  # no self-connections
    key = post * 3000 + pre
    assert len(np.unique(key)) == len(key)  # no pair twice
    assert np.all(np.diff(key) > 0)  # PyNN's order: by target, then source
    # sources and targets used evenly: out- and in-degrees have Binomial(2999, p) spread
    for deg in (np.bincount(pre, minlength=3000), np.bincount(post, minlength=3000)):
        assert abs(deg.mean() - 2999 * p) < 5 * np.sqrt(2999 * p / 3000)
        assert deg.std() == pytest.approx(np.sqrt(2999 * p * (1 - p)), rel=0.1)
    # delays drawn from the native generator: uniform in [0.1, 2] (on the 0.1 ms grid)
    assert delay.min() >= 0.1 - 1e-9
    assert delay.max() <= 2.0 + 1e-9
    assert delay.mean() == pytest.approx(1.05, abs=0.02)


def test_native_connectivity_follows_the_seed() -> None:
    a = _native_net(5, 0.02)
    assert_array_equal(a, _native_net(5, 0.02))  # the same seed, the same network
    assert not np.array_equal(a[:100], _native_net(6, 0.02)[:100])  # the setup seed counts
    # a NativeRNG's own seed wins over the setup seed
    assert_array_equal(_native_net(5, 0.02, rng_seed=77), _native_net(6, 0.02, rng_seed=77))


def test_native_rng_with_a_connector_it_cannot_draw_is_refused() -> None:
    sim.setup(timestep=0.1, seed=1)
    a = sim.Population(10, sim.IF_curr_exp())
    with pytest.raises(ValueError, match="DistanceDependentProbabilityConnector cannot draw"):
        sim.Projection(
            a, a, sim.DistanceDependentProbabilityConnector("d < 3", rng=sim.NativeRNG())
        )
    with pytest.raises(ValueError, match="only 9 are possible"):
        sim.Projection(
            a,
            a,
            sim.FixedNumberPreConnector(10, allow_self_connections=False, rng=sim.NativeRNG()),
        )
    with pytest.raises(ValueError, match="vonmises"):
        sim.Projection(
            a,
            a,
            sim.FixedProbabilityConnector(0.5, rng=sim.NativeRNG()),
            sim.StaticSynapse(
                delay=1.0,
                weight=sim.RandomDistribution("vonmises", (0.0, 1.0), rng=sim.NativeRNG()),
            ),
        )
    sim.end()


def _fixed_number(connector: Any, seed: int = 3) -> np.ndarray:
    sim.setup(timestep=0.1, seed=seed)
    a = sim.Population(2500, sim.IF_curr_exp())
    b = sim.Population(1500, sim.IF_curr_exp())
    proj = sim.Projection(a, a if connector.allow_self_connections is False else b, connector)
    conns = np.array(proj.get(["weight"], format="list"))[:, :2].astype(np.int64)
    sim.end()
    return conns


def test_native_fixed_number_pre_gives_n_distinct_sources_each() -> None:
    conns = _fixed_number(
        sim.FixedNumberPreConnector(40, allow_self_connections=False, rng=sim.NativeRNG())
    )
    pre, post = conns[:, 0], conns[:, 1]
    assert_array_equal(np.bincount(post, minlength=2500), np.full(2500, 40))
    assert not np.any(pre == post)
    key = post * 2500 + pre
    assert len(np.unique(key)) == len(key)  # distinct
    out_deg = np.bincount(pre, minlength=2500)  # sources used evenly: Binomial spread
    assert out_deg.std() == pytest.approx(np.sqrt(40 * (1 - 40 / 2499)), rel=0.1)
    with_rep = _fixed_number(
        sim.FixedNumberPreConnector(40, with_replacement=True, rng=sim.NativeRNG())
    )
    assert_array_equal(np.bincount(with_rep[:, 1], minlength=1500), np.full(1500, 40))


def test_native_fixed_total_number_draws_exactly_n_pairs_uniformly() -> None:
    conns = _fixed_number(sim.FixedTotalNumberConnector(60000, rng=sim.NativeRNG()))
    assert len(conns) == 60000
    in_deg = np.bincount(conns[:, 1], minlength=1500)  # Binomial(60000, 1/1500) each
    assert in_deg.mean() == pytest.approx(40.0)
    assert in_deg.std() == pytest.approx(np.sqrt(60000 / 1500 * (1 - 1 / 1500)), rel=0.1)
    assert_array_equal(
        conns, _fixed_number(sim.FixedTotalNumberConnector(60000, rng=sim.NativeRNG()))
    )
    assert not np.array_equal(
        conns[:100],
        _fixed_number(sim.FixedTotalNumberConnector(60000, rng=sim.NativeRNG()), seed=4)[:100],
    )


def test_native_connectivity_is_the_same_drawn_by_several_threads() -> None:
    """With setup(threads=T) the blocks are drawn T at a time: the same network."""
    one = _native_net(5, 0.02)
    assert len(np.unique(one[:, 1].astype(int) // 1024)) == 3  # three blocks of targets
    for threads in (2, 3):
        assert_array_equal(_native_net(5, 0.02, threads=threads), one)
