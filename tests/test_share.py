"""A process's share of the rows, decided before the rows exist (board/_share.py).

Over MPI each rank of a static network counts the synapses onto each core, assigns the cores
as the engine's pool will and builds its own targets' rows alone.  Here, in one process: the
counts are those of the rows, and the assignment made from them before any row exists is
the one the pool makes from the whole network's rows, for any number of threads; over K
ranks the shares cover every neuron core once (tests/test_mpi.py runs it over K processes).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.engine import require_engine

require_engine()

import spinstream.pyNN as sim  # noqa: E402
from benchmarks.cuba_spec import CELL as STATIC_CELL  # noqa: E402
from spinstream.board import _engine as E  # noqa: E402
from spinstream.board._build import build_static_blocks, spec_chunks  # noqa: E402
from spinstream.board._share import count_synapses_in, share_of_rank  # noqa: E402
from spinstream.model import ColumnDigest, EngineError  # noqa: E402
from tests.test_build_rows import _net  # noqa: E402


def test_counts_per_core_are_the_synapses_of_its_rows() -> None:
    spec, core_gid0, core_n, pop_base = _net(2, [300, 50, 777], 64)
    syn_in = count_synapses_in(spec, core_gid0, core_n, pop_base)
    assert syn_in.sum() == sum(len(p.pre_index) for p in spec.projections)
    assert np.count_nonzero(syn_in) > 5
    for c in range(len(core_gid0)):  # the rows of core c alone hold syn_in[c] synapses
        only = np.arange(len(core_gid0)) == c
        part = build_static_blocks(lambda: spec_chunks(spec, pop_base), core_gid0, core_n, only)
        assert part.n_synapses == syn_in[c], c


def test_a_synapse_onto_no_core_is_refused() -> None:
    spec, core_gid0, core_n, pop_base = _net(2, [300, 50, 777], 64)
    keep = core_gid0 >= 350  # the cores of population 0 and 1 left out
    with pytest.raises(EngineError, match="a synapse's neuron is on no core"):
        count_synapses_in(spec, core_gid0[keep], core_n[keep], pop_base)


def _loaded(threads: int) -> tuple[Any, Any]:
    sim.setup(timestep=0.1, min_delay=0.1, max_delay=10.0, threads=threads, seed=4)
    rng = sim.NativeRNG()
    pop = sim.Population(2500, sim.IF_curr_exp(**STATIC_CELL), label="net")
    pop.set_max_atoms_per_core(40)
    noise = sim.Population(60, sim.SpikeSourcePoisson(rate=20.0), label="noise")
    noise.set_max_atoms_per_core(25)
    delay = sim.RandomDistribution("uniform", (0.1, 2.0), rng=rng)
    sim.Projection(  # more synapses onto the first cores: unequal costs
        pop,
        pop[:120],
        sim.FixedProbabilityConnector(0.2, rng=rng),
        sim.StaticSynapse(weight=0.01, delay=delay),
    )
    sim.Projection(noise, pop, sim.FixedProbabilityConnector(0.05, rng=rng), sim.StaticSynapse())
    sim.run(0.1)
    return sim.state.runtime.board, sim.state.runtime.spec


@pytest.mark.parametrize("threads", [1, 2, 3, 5])
def test_assignment_before_the_rows(threads: int) -> None:
    """One process: the pool's own; K ranks: contiguous runs of equal cost, alike on all."""
    board, spec = _loaded(threads)
    try:
        g0, cn = board._core_gid0, board._core_n
        syn_in = count_synapses_in(spec, g0, cn, board._pop_base)
        pops = spec.populations
        is_source = np.array(
            [E.layout(pops[c.pop].model).is_source for c in board._plan.cores], dtype=bool
        )
        assert is_source.any()
        assert len(set(syn_in[~is_source].tolist())) > 2  # the costs differ from core to core
        share = share_of_rank(syn_in, g0, cn, is_source, threads, 0, 1)
        np.testing.assert_array_equal(share.owner, board.core_threads())
        assert share.targets.tolist() == (~is_source).tolist()  # one process: every target
        cost = cn + syn_in / 64.0
        for k in (2, 3):
            shares = [share_of_rank(syn_in, g0, cn, is_source, threads, r, k) for r in range(k)]
            # every neuron core in exactly one rank's share, the same parts on every rank
            counts = np.sum([s.targets for s in shares], axis=0)
            np.testing.assert_array_equal(counts, (~is_source).astype(int))
            for s in shares[1:]:
                np.testing.assert_array_equal(s.owner[~is_source], shares[0].owner[~is_source])
            t = min(threads, len(cn))
            for r, s in enumerate(shares):
                assert (s.owner[s.targets] // t == r).all()
                assert (s.owner[is_source] // t == r).all()  # every rank draws every source
                # a contiguous run of neurons, of about a k-th of the cost
                gids = np.sort(g0[s.targets])
                firsts = np.sort(g0[~is_source])
                run = np.searchsorted(firsts, gids)
                assert (np.diff(run) == 1).all(), r
                assert abs(cost[s.targets].sum() - cost[~is_source].sum() / k) <= cost.max()
    finally:
        sim.end()


def test_a_rank_draws_only_the_blocks_that_reach_its_targets() -> None:
    """``spec_chunks(want_gid=...)``: fewer blocks drawn, the same rows for those targets."""
    board, spec = _loaded(1)
    try:
        g0, cn, base = board._core_gid0, board._core_n, board._pop_base
        syn_in = count_synapses_in(spec, g0, cn, base)
        pops = spec.populations
        is_source = np.array(
            [E.layout(pops[c.pop].model).is_source for c in board._plan.cores], dtype=bool
        )
        share = share_of_rank(syn_in, g0, cn, is_source, 1, 1, 2)  # rank 1 of 2
        want_gid = np.zeros(int((g0 + cn).max()), bool)
        for c in np.flatnonzero(share.targets):
            want_gid[g0[c] : g0[c] + cn[c]] = True
        every = sum(1 for _ in spec_chunks(spec, base))
        some = sum(1 for _ in spec_chunks(spec, base, want_gid))
        assert some < every  # blocks onto rank 0's targets alone were not drawn
        skipped = build_static_blocks(
            lambda: spec_chunks(spec, base, want_gid), g0, cn, share.targets
        )
        drawn = build_static_blocks(lambda: spec_chunks(spec, base), g0, cn, share.targets)
        for name in ("src", "tgt", "fmt", "wtab", "stream", "row_ptr", "max_delay_into"):
            np.testing.assert_array_equal(getattr(skipped, name), getattr(drawn, name), name)
        assert skipped.n_synapses == syn_in[share.targets].sum() > 0
    finally:
        sim.end()


def test_column_digest_does_not_depend_on_the_pieces_and_sees_every_change() -> None:
    rng = np.random.default_rng(1)
    cols = (rng.integers(0, 100, 1000), rng.normal(size=1000))
    kinds = (np.int64, np.float64)

    def digest(cuts: list[int], a: np.ndarray, w: np.ndarray) -> bytes:
        d = ColumnDigest(kinds)
        for lo, hi in zip([0, *cuts], [*cuts, len(a)], strict=True):
            d.add(a[lo:hi], w[lo:hi])
        return d.digest()

    whole = digest([], *cols)
    assert digest([1, 500, 999], *cols) == whole
    swapped = cols[0].copy()
    swapped[[3, 4]] = swapped[[4, 3]] if swapped[3] != swapped[4] else (swapped[3] + 1, 0)
    assert digest([], swapped, cols[1]) != whole  # order
    w = cols[1].copy()
    w[700] = np.nextafter(w[700], 9.0)
    assert digest([10], cols[0], w) != whole  # one ulp of one value
    assert digest([], cols[0][:-1], cols[1][:-1]) != whole  # one synapse fewer
