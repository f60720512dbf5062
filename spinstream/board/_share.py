"""A process's share of the rows, decided before any row exists (static networks over MPI).

Over K MPI processes the engine gives the neuron cores to K*T parts (``kernels_c/threads.c``,
``assign_parts``: each core's cost is its neurons plus its incoming synapses / 64) and rank r
computes the cores of parts ``r*T .. r*T + T - 1``.  That assignment used to be made from the
rows, so every rank built every row first and kept its own targets' segments afterwards.
Here the synapses into each core are counted first, in one cheap pass over the projections
(a drawn projection block by block, never whole), and the same assignment is made from those
counts (``ss_pool_assign``) before the rows are built: each rank then builds only the rows
of its own target cores (``build_static_blocks(targets=...)``), and its pool is made from the
same counts (``ss_pool_create_counts``), so that it assigns alike.  The counts are those the
engine would have counted from the whole network's rows, so the assignment (and with it
every result, which does not depend on it anyway) is the one every rank made before.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from spinstream.board import _engine as E
from spinstream.board._build import spec_chunks
from spinstream.model import EngineError, NetworkSpec

__all__ = ["Share", "count_synapses_in", "share_of_rank"]

IntArray = npt.NDArray[np.int64]


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
    n_cores = len(core_gid0)
    n_gids = int((core_gid0 + core_n).max()) if n_cores else 0
    gid_core = np.full(n_gids + 1, n_cores, np.int64)  # n_cores: a neuron on no core
    for c in range(n_cores):
        gid_core[core_gid0[c] : core_gid0[c] + core_n[c]] = c
    counts = np.zeros(n_cores + 1, np.int64)
    for _pre_base, post_base, _pre, post, *_ in spec_chunks(spec, pop_base):
        gids = post_base + np.asarray(post, np.int64)
        if len(gids) and (gids.min() < 0 or gids.max() >= n_gids):
            raise EngineError("counting the synapses: a synapse's neuron is on no core")
        counts += np.bincount(gid_core[gids], minlength=n_cores + 1)
    if counts[n_cores]:
        raise EngineError("counting the synapses: a synapse's neuron is on no core")
    return counts[:n_cores]


@dataclass(frozen=True)
class Share:
    """One rank's share of the cores, decided before the rows are built.

    Attributes
    ----------
    syn_in
        Synapses onto each core (the whole network's; the same on every rank).
    owner
        Each core's part (``rank * T + thread``; a source core's is on this rank).
    targets
        The neuron cores this rank computes: the targets whose rows it builds.
    """

    syn_in: IntArray
    owner: npt.NDArray[np.int32]
    targets: npt.NDArray[np.bool_]


def share_of_rank(
    syn_in: IntArray,
    core_n: IntArray,
    is_source: npt.NDArray[np.bool_],
    threads: int,
    rank: int,
    n_ranks: int,
) -> Share:
    """Assign the cores as the engine's pool will (``ss_pool_assign``); this rank's share.

    Parameters
    ----------
    syn_in
        Synapses onto each core (:func:`count_synapses_in`).
    core_n
        Neurons of each core.
    is_source
        Per core: a spike source (drawn by every rank, never a target).
    threads
        Threads per process asked for (the engine clamps them to the cores).
    rank, n_ranks
        This process and the number of processes.
    """
    n_cores = len(core_n)
    syn = np.ascontiguousarray(syn_in, np.int64)
    cn = np.ascontiguousarray(core_n, np.int64)
    src = np.ascontiguousarray(is_source, np.uint8)
    owner = np.zeros(max(n_cores, 1), np.int32)
    code = E.lib().ss_pool_assign(
        n_cores,
        E.ptr(cn, ctypes.c_int64),
        E.ptr(src, ctypes.c_uint8),
        E.ptr(syn, ctypes.c_int64),
        threads,
        rank,
        n_ranks,
        E.ptr(owner, ctypes.c_int32),
    )
    if code:
        raise EngineError(
            f"assigning {n_cores} cores to {n_ranks} processes x {threads} threads: "
            "bad arguments or out of memory"
        )
    owner = owner[:n_cores]
    t = int(min(threads, n_cores)) if n_cores else 1
    targets: npt.NDArray[np.bool_] = (owner // t == rank) & ~np.asarray(is_source, bool)
    return Share(syn_in=syn, owner=owner, targets=targets)
