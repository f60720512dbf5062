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
from spinstream.board import _engine as E  # noqa: E402
from spinstream.board._build import build_static_blocks, spec_chunks  # noqa: E402
from spinstream.board._share import count_synapses_in, share_of_rank  # noqa: E402
from spinstream.model import EngineError  # noqa: E402
from tests.mpi_run import STATIC_CELL  # noqa: E402
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
    pop = sim.Population(500, sim.IF_curr_exp(**STATIC_CELL), label="net")
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
def test_assignment_before_the_rows_is_the_pools_from_the_rows(threads: int) -> None:
    board, spec = _loaded(threads)
    try:
        syn_in = count_synapses_in(spec, board._core_gid0, board._core_n, board._pop_base)
        pops = spec.populations
        is_source = np.array(
            [E.layout(pops[c.pop].model).is_source for c in board._plan.cores], dtype=bool
        )
        assert is_source.any()
        assert len(set(syn_in[~is_source].tolist())) > 2  # the costs differ from core to core
        share = share_of_rank(syn_in, board._core_n, is_source, threads, 0, 1)
        np.testing.assert_array_equal(share.owner, board.core_threads())
        assert share.targets.tolist() == (~is_source).tolist()  # one process: every target
        # over K ranks: every neuron core in exactly one rank's share, the same owners
        for k in (2, 3):
            shares = [
                share_of_rank(syn_in, board._core_n, is_source, threads, r, k) for r in range(k)
            ]
            counts = np.sum([s.targets for s in shares], axis=0)
            np.testing.assert_array_equal(counts, (~is_source).astype(int))
            for s in shares[1:]:
                np.testing.assert_array_equal(s.owner[~is_source], shares[0].owner[~is_source])
            assert all(s.targets.any() for s in shares)
    finally:
        sim.end()
