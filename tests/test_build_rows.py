"""The C row builder (board/_build.py) makes the rows build_blocks makes, word for word."""

from __future__ import annotations

import numpy as np
import pytest

from tests.engine import require_engine

require_engine()

from spinstream.board._build import build_static_blocks, spec_chunks  # noqa: E402
from spinstream.board._synapses import BlockTable, build_blocks  # noqa: E402
from spinstream.model import (  # noqa: E402
    EngineError,
    NetworkSpec,
    PopulationSpec,
    ProjectionSpec,
)

FIELDS = (
    "src",
    "tgt",
    "fmt",
    "wtab",
    "wrec",
    "wtab_start",
    "stream",
    "row_ptr",
    "row_ptr_start",
    "core_block0",
    "max_delay_into",
    "block_rule",
)


def _net(seed: int, sizes: list[int], per_core: int) -> tuple[NetworkSpec, np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    pops = [
        PopulationSpec(i, f"p{i}", n, "IF_curr_exp", {}, {}, max_atoms_per_core=per_core)
        for i, n in enumerate(sizes)
    ]
    projections = []
    for k in range(6):
        a, b = (int(x) for x in rng.integers(0, len(sizes), 2))
        n = int(rng.integers(0, 4000))
        kind = k % 3
        if kind == 0:  # few distinct weights: compact blocks
            weight = rng.choice([0.1, 0.25, 0.5], n)
        elif kind == 1:  # one weight per synapse: wide blocks
            weight = rng.normal(1.0, 0.1, n)
        else:  # many repeats of a few hundred values, with multapses
            weight = rng.integers(0, 700, n) * 0.01
        delay = rng.integers(1, 30 if k != 4 else 3000, n)
        receptor = (
            rng.integers(0, 2 + (k == 3), n) if k % 2 else np.broadcast_to(np.int64(0), (n,))
        )
        pre = rng.integers(0, sizes[a], n)
        post = rng.integers(0, sizes[b], n)
        if k == 5 and n:  # multapses: one pair many times, with different weights
            pre[: n // 2], post[: n // 2] = pre[0], post[0]
        projections.append(
            ProjectionSpec(
                id=k,
                pre=a,
                post=b,
                pre_index=pre.astype(np.int64),
                post_index=post.astype(np.int64),
                weight=weight.astype(np.float64),
                delay_steps=delay.astype(np.int64),
                receptor=receptor,
            )
        )
    spec = NetworkSpec(dt=0.1, seed=seed, populations=pops, projections=projections)
    pop_base = np.concatenate([[0], np.cumsum(sizes)])[:-1].astype(np.int64)
    # cores in an order other than the neurons' (as a mapping may place them)
    gid0, n_at = [], []
    for p, size in enumerate(sizes):
        for lo in range(0, size, per_core):
            gid0.append(pop_base[p] + lo)
            n_at.append(min(per_core, size - lo))
    order = rng.permutation(len(gid0))
    core_gid0 = np.array(gid0, np.int64)[order]
    core_n = np.array(n_at, np.int64)[order]
    return spec, core_gid0, core_n, pop_base


def _same(a: BlockTable, b: BlockTable) -> None:
    for name in FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype, name
        np.testing.assert_array_equal(x, y, err_msg=name)
    assert a.n_synapses == b.n_synapses
    assert a.n_compact == b.n_compact
    assert a.n_half == b.n_half


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("per_core", [7, 64, 255])
def test_same_rows_as_build_blocks(seed: int, per_core: int) -> None:
    spec, core_gid0, core_n, pop_base = _net(seed, [300, 50, 777], per_core)
    old = build_blocks(spec, core_gid0, core_n, pop_base)
    new = build_static_blocks(lambda: spec_chunks(spec, pop_base), core_gid0, core_n)
    _same(old, new)
    assert new.n_synapses == sum(len(p.pre_index) for p in spec.projections)
    assert set(np.unique(new.fmt)) <= {0, 1, 3}  # compact, wide, half


def test_long_rows_split_into_segments() -> None:
    """A source with more than 65535 synapses onto one core: segments of 65535."""
    pop = PopulationSpec(0, "p", 20, "IF_curr_exp", {}, {}, max_atoms_per_core=20)
    n = 70000
    proj = ProjectionSpec(
        0,
        0,
        0,
        np.zeros(n, np.int64),
        np.arange(n, dtype=np.int64) % 20,
        np.arange(n) * 1e-3,
        np.ones(n, np.int64),
        np.zeros(n, np.int64),
    )
    spec = NetworkSpec(dt=0.1, seed=1, populations=[pop], projections=[proj])
    g0, cn, base = np.array([0]), np.array([20]), np.array([0])
    old = build_blocks(spec, g0, cn, base)
    new = build_static_blocks(lambda: spec_chunks(spec, base), g0, cn)
    _same(old, new)
    assert new.stream[0] & 0xFFFF == 0xFFFF  # the first segment is full


def test_subset_of_target_cores() -> None:
    """``targets``: only the synapses onto those cores, in the blocks the full build has."""
    spec, core_gid0, core_n, pop_base = _net(3, [300, 50, 777], 64)
    full = build_static_blocks(lambda: spec_chunks(spec, pop_base), core_gid0, core_n)
    want = (np.arange(len(core_gid0)) % 2 == 0) & (core_gid0 < 350)  # pops 0 and 1
    part = build_static_blocks(lambda: spec_chunks(spec, pop_base), core_gid0, core_n, want)
    core_of = np.zeros(int((core_gid0 + core_n).max()), np.int64)
    for c, (g, n) in enumerate(zip(core_gid0, core_n, strict=True)):
        core_of[g : g + n] = c
    posts = np.concatenate([pop_base[p.post] + p.post_index for p in spec.projections])
    assert 0 < part.n_synapses == int(np.count_nonzero(want[core_of[posts]]))
    assert set(part.tgt.tolist()) <= set(np.flatnonzero(want).tolist())
    for b in range(len(part.src)):  # same format and weight table as in the full build
        (m,) = np.flatnonzero((full.src == part.src[b]) & (full.tgt == part.tgt[b]))
        assert full.fmt[m] == part.fmt[b]
        ends = (
            np.append(full.wtab_start, len(full.wtab)),
            np.append(part.wtab_start, len(part.wtab)),
        )
        np.testing.assert_array_equal(
            full.wtab[ends[0][m] : ends[0][m + 1]], part.wtab[ends[1][b] : ends[1][b + 1]]
        )


def test_changed_second_reading_is_refused() -> None:
    spec, core_gid0, core_n, pop_base = _net(1, [300, 50, 777], 64)
    calls = []

    def chunks():  # type: ignore[no-untyped-def]
        calls.append(1)
        for pre_b, post_b, pre, post, w, d, r in spec_chunks(spec, pop_base):
            if len(calls) == 2:  # the second reading moves every synapse to neuron 0
                pre = np.zeros_like(pre)
            yield pre_b, post_b, pre, post, w, d, r

    with pytest.raises(EngineError, match="second time"):
        build_static_blocks(chunks, core_gid0, core_n)


@pytest.mark.parametrize("pairs", [511, 512, 513])
def test_compact_table_limit_counts_weight_receptor_pairs(pairs: int) -> None:
    """A block is compact up to 512 distinct (weight, receptor) pairs, and not beyond."""
    rng = np.random.default_rng(pairs)
    pop = PopulationSpec(0, "p", 100, "IF_curr_exp", {}, {}, max_atoms_per_core=100)
    n = 6000
    pair = rng.permutation(np.resize(np.arange(pairs), n))  # every pair, in random order
    weight = (pair // 2) * 0.01  # pairs 2k, 2k + 1: one weight, receptors 0 and 1
    weight[weight == 0.0] = -0.0  # some -0.0, some 0.0 (below): one weight
    weight[::7] = np.abs(weight[::7])
    proj = ProjectionSpec(
        0,
        0,
        0,
        rng.integers(0, 100, n),
        rng.integers(0, 100, n),
        weight,
        rng.integers(1, 20, n),
        (pair % 2).astype(np.int64),
    )
    spec = NetworkSpec(dt=0.1, seed=1, populations=[pop], projections=[proj])
    g0, cn, base = np.array([0]), np.array([100]), np.array([0])
    old = build_blocks(spec, g0, cn, base)
    new = build_static_blocks(lambda: spec_chunks(spec, base), g0, cn)
    _same(old, new)
    assert (new.n_compact == n) == (pairs <= 512)
