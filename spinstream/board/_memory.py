"""Synapse memory per core: what the host board stores for a network, without loading it.

The rows are built with the board's own ``synapse_blocks`` (the same call that loading makes);
each row segment, header included, and each weight-table entry is charged to the core that
the synapses target, as a SpiNNaker core holds the synaptic matrix of its own neurons.  The
row index (one 8-byte offset per neuron, plus one per core) is charged to the source core.
Plastic synapses' weights and traces, which live in arrays beside the rows, are not counted.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from spinstream.model import MappingPlan, NetworkSpec

__all__ = ["synapse_memory"]

IntArray = npt.NDArray[np.int64]


def synapse_memory(
    spec: NetworkSpec, plan: MappingPlan, weight_bits: int = 32
) -> tuple[IntArray, IntArray, IntArray, int]:
    """Per core of ``plan``: synapses into it, bytes of their rows, bytes of its row index.

    ``weight_bits``: as ``HostBoard``'s (16: 4-byte Q16 words where a board would store them).
    Returns those three arrays (one entry per core, in ``plan.cores`` order) and the total
    bytes of the synapse blocks.  Needs the C engine's row formats (``ImportError`` without
    it).
    """
    from spinstream.board import _engine as E
    from spinstream.board._build import synapse_blocks

    n_cores = len(plan.cores)
    sizes = np.array([p.size for p in spec.populations], np.int64)
    pop_base = np.concatenate([[0], np.cumsum(sizes)])[:-1].astype(np.int64)
    core_gid0 = np.array([pop_base[c.pop] + c.lo for c in plan.cores], np.int64)
    core_n = np.array([c.n_atoms for c in plan.cores], np.int64)
    blocks = synapse_blocks(spec, core_gid0, core_n, pop_base, weight_bits=weight_bits)

    synapses = np.zeros(n_cores, np.int64)
    row_bytes = np.zeros(n_cores, np.int64)
    index_bytes = (core_n + 1) * blocks.row_ptr.itemsize
    # weight tables: 8-byte weight + 4-byte receptor per entry, charged to the block's target
    n_tab = np.diff(np.concatenate([blocks.wtab_start, [len(blocks.wtab)]]))
    tab_entry = blocks.wtab.itemsize + blocks.wrec.itemsize
    np.add.at(row_bytes, blocks.tgt, n_tab * tab_entry)
    # walk every row's segments in lock step: header = local block << 16 | count (one word a
    # synapse but in wide and half blocks)
    width = np.where(blocks.fmt == E.WIDE, 2, 1).astype(np.int64)
    head = np.where(blocks.fmt == E.PLASTIC, 2, 1).astype(np.int64)
    ptr = blocks.row_ptr.astype(np.int64)
    first = blocks.row_ptr_start
    row_core = np.repeat(np.arange(n_cores), core_n)
    row_start = np.concatenate([[0], np.cumsum(core_n)])[:-1]
    row_slot = (
        np.repeat(first, core_n) + np.arange(int(core_n.sum())) - np.repeat(row_start, core_n)
    )
    pos, end = ptr[row_slot], ptr[row_slot + 1]
    stream = blocks.stream
    active = np.flatnonzero(pos < end)
    while active.size:
        header = stream[pos[active]].astype(np.int64)
        blk = blocks.core_block0[row_core[active]] + (header >> 16)
        count = header & 0xFFFF
        body = np.where(blocks.fmt[blk] == E.HALF, count + (count + 1) // 2, count * width[blk])
        words = head[blk] + body
        tgt = blocks.tgt[blk]
        np.add.at(synapses, tgt, count)
        np.add.at(row_bytes, tgt, words * stream.itemsize)
        pos[active] += words
        active = active[pos[active] < end[active]]
    return synapses, row_bytes, index_bytes, blocks.nbytes
