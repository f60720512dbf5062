"""A process's share of the rows, decided before any row exists (every network over MPI).

Over K MPI processes rank r computes the neuron cores of parts ``r*T .. r*T + T - 1`` of an
assignment of the cores to K*T parts.  The assignment is made here, before the rows exist,
alike on every rank:

1. the synapses onto each core are counted in one pass over the projections (a drawn one
   block by block, never whole); a core's cost is its neurons plus its synapses / 64, as
   the engine's (``kernels_c/threads.c``, ``assign_parts``);
2. the neuron cores, in the order of their neurons, are cut into K contiguous runs of about
   equal cost, one per rank: a drawn projection's blocks (1,024 post neurons each, each
   from its own generator) then mostly fall within one rank, which alone draws them while
   building the rows (``spec_chunks(want_gid=...)``);
3. within each rank its cores (and, on this rank, every source core, which every rank
   draws) go to its T threads as the engine would assign them (``ss_pool_assign``).

Each rank then builds only its own targets' rows (static ones in C,
``build_static_blocks(targets=...)``; plastic networks' with ``build_blocks(targets=...)``,
their plastic and structural state with them) and its pool takes this assignment
(``ss_pool_create_owned``).  Results do not depend on the assignment (docs/ENGINE.md,
"Threads").
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from spinstream.board import _engine as E
from spinstream.board._build import spec_chunks
from spinstream.model import EngineError, NetworkSpec

__all__ = ["Share", "SynapseCounter", "count_synapses_in", "share_of_rank"]

IntArray = npt.NDArray[np.int64]


class SynapseCounter:
    """Count the synapses onto each core, piece by piece (see :func:`count_synapses_in`).

    Parameters
    ----------
    core_gid0, core_n
        Each core's first global neuron id and neuron count (the board's layout).
    pop_base
        Each population's first global neuron id.
    """

    def __init__(self, core_gid0: IntArray, core_n: IntArray, pop_base: IntArray) -> None:
        self._n_cores = n_cores = len(core_gid0)
        self._n_gids = int((core_gid0 + core_n).max()) if n_cores else 0
        self._gid_core = np.full(self._n_gids + 1, n_cores, np.int64)  # n_cores: on no core
        for c in range(n_cores):
            self._gid_core[core_gid0[c] : core_gid0[c] + core_n[c]] = c
        self._pop_base = pop_base
        self._counts = np.zeros(n_cores + 1, np.int64)
        self._known: set[int] = set()  # projections counted from their in-degrees

    def add(
        self, post_base: int, post: npt.ArrayLike, counts: npt.ArrayLike | None = None
    ) -> None:
        """Count synapses onto global neuron ids ``post_base + post`` (one each, or ``counts``)."""
        gids = post_base + np.asarray(post, np.int64)
        if len(gids) and (gids.min() < 0 or gids.max() >= self._n_gids):
            raise EngineError("counting the synapses: a synapse's neuron is on no core")
        per_core = np.bincount(self._gid_core[gids], weights=counts, minlength=self._n_cores + 1)
        self._counts += per_core.astype(np.int64)

    def add_known(self, spec: NetworkSpec) -> None:
        """Count the drawn projections that know their in-degrees (nothing drawn).

        Their pieces, should they be read (:meth:`visit`), are not counted again.
        """
        for q in spec.projections:
            known = getattr(q, "in_degree", None)
            if known is None or id(q) in self._known:
                continue
            self.add(int(self._pop_base[q.post]), known[0], known[1])
            self._known.add(id(q))

    def visit(self, projection: Any, chunk: Any) -> None:
        """Count a piece ``(pre, post, ...)`` of a projection (``check_same_network``)."""
        if id(projection) not in self._known:
            self.add(int(self._pop_base[projection.post]), chunk[1])

    def counts(self) -> IntArray:
        """Return the synapses onto each core counted so far (int64, one per core)."""
        if self._counts[self._n_cores]:
            raise EngineError("counting the synapses: a synapse's neuron is on no core")
        return self._counts[: self._n_cores].copy()


def count_synapses_in(
    spec: NetworkSpec, core_gid0: IntArray, core_n: IntArray, pop_base: IntArray
) -> IntArray:
    """Return the number of synapses onto each core (one pass over every projection).

    Parameters
    ----------
    spec
        The network (its projections' synapses are read once, a drawn one block by block).
    core_gid0, core_n
        Each core's first global neuron id and neuron count (the board's layout).
    pop_base
        Each population's first global neuron id.

    Returns
    -------
    numpy.ndarray
        int64, one count per core.
    """
    counter = SynapseCounter(core_gid0, core_n, pop_base)
    for _pre_base, post_base, _pre, post, *_ in spec_chunks(spec, pop_base):
        counter.add(post_base, post)
    return counter.counts()


@dataclass(frozen=True)
class Share:
    """One rank's share of the cores, decided before the rows are built.

    Attributes
    ----------
    syn_in
        Synapses onto each core (the whole network's; the same on every rank).
    owner
        Each core's part (``rank * T + thread``, T the threads clamped to the cores; a
        source core's is on this rank).
    targets
        The neuron cores this rank computes: the targets whose rows it builds.
    """

    syn_in: IntArray
    owner: npt.NDArray[np.int32]
    targets: npt.NDArray[np.bool_]


def share_of_rank(
    syn_in: IntArray,
    core_gid0: IntArray,
    core_n: IntArray,
    is_source: npt.NDArray[np.bool_],
    threads: int,
    rank: int,
    n_ranks: int,
) -> Share:
    """Assign the cores to ``n_ranks`` x threads parts (see the module doc); this rank's share.

    Parameters
    ----------
    syn_in
        Synapses onto each core (:func:`count_synapses_in`).
    core_gid0, core_n
        Each core's first global neuron id and neuron count.
    is_source
        Per core: a spike source (drawn by every rank, never a target).
    threads
        Threads per process asked for (clamped to the cores, as the engine does).
    rank, n_ranks
        This process and the number of processes.
    """
    n_cores = len(core_n)
    syn = np.ascontiguousarray(syn_in, np.int64)
    cn = np.ascontiguousarray(core_n, np.int64)
    src = np.asarray(is_source, bool)
    t = max(1, min(int(threads), n_cores))
    cost = cn + syn / 64.0  # as the engine's (kernels_c/threads.c, assign_parts)
    neurons = np.flatnonzero(~src)
    order = neurons[np.argsort(np.asarray(core_gid0)[neurons], kind="stable")]
    cum = np.cumsum(cost[order])
    total = float(cum[-1]) if len(cum) else 0.0
    mid = cum - cost[order] / 2.0  # each core goes where the middle of its cost falls
    rank_of = np.zeros(n_cores, np.int64)
    if total > 0:
        rank_of[order] = np.minimum((mid * n_ranks / total).astype(np.int64), n_ranks - 1)
    owner = np.zeros(n_cores, np.int32)
    sources = np.flatnonzero(src)
    for r in range(n_ranks):
        # each rank's cores to its threads; the source cores (balanced apart from them) to
        # this rank's
        mine = neurons[rank_of[neurons] == r]
        if r == rank:
            mine = np.sort(np.concatenate([mine, sources]))
        owner[mine] = r * t + _threads_of(syn[mine], cn[mine], src[mine], t)
    targets: npt.NDArray[np.bool_] = ~src & (rank_of == rank)
    return Share(syn_in=syn, owner=owner, targets=targets)


def _threads_of(
    syn_in: IntArray, core_n: IntArray, is_source: npt.NDArray[np.bool_], threads: int
) -> npt.NDArray[np.int32]:
    """Each core's thread among ``threads``, as one process's pool would assign them."""
    n_cores = len(core_n)
    out = np.zeros(max(n_cores, 1), np.int32)
    syn = np.ascontiguousarray(syn_in, np.int64)
    cn = np.ascontiguousarray(core_n, np.int64)
    src = np.ascontiguousarray(is_source, np.uint8)
    code = E.lib().ss_pool_assign(
        n_cores,
        E.ptr(cn, ctypes.c_int64),
        E.ptr(src, ctypes.c_uint8),
        E.ptr(syn, ctypes.c_int64),
        threads,
        0,
        1,
        E.ptr(out, ctypes.c_int32),
    )
    if code:
        raise EngineError(
            f"assigning {n_cores} cores to {threads} threads: bad arguments or out of memory"
        )
    return out[:n_cores]
