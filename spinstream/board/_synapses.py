"""Synaptic matrices: projections -> per-source-neuron rows of compact synapse words.

A block is the set of synapses from one source core onto one target core; it fixes the word
format and the weight table.  Two word formats, chosen per block:

- compact, 4 bytes: post index (12 bits) | delay (11 bits) | weight-table index (9 bits).  The
  weight table holds the block's distinct (weight, receptor) pairs, exactly, in double precision.
  Used when a block has at most 512 distinct pairs, targets at most 4096 neurons, and delays
  below 2048 steps.  This is the usual case: PyNN weights are mostly per-projection constants or
  drawn from a few values.
- wide, 8 bytes: post index (16 bits) | delay (14 bits) | receptor (2 bits) | float32 weight.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from spinstream.board import _engine as E
from spinstream.model import EngineError, NetworkSpec

MAX_DELAY_STEPS = (1 << E.W_DELAY_BITS) - 1
MAX_ATOMS_PER_CORE = 1 << E.W_POST_BITS


@dataclass
class BlockTable:
    """All synapses of a network, in arrays the engine points into.

    Blocks are numbered in (source core, target core) order; a core's outgoing blocks are
    ``core_block0[c] ...``.  The words live in one stream of uint32: for each source neuron,
    its row is a sequence of segments ``header, words...`` where the header is
    ``local block id << 16 | count`` (a wide word takes two uint32).  One spike so reads one
    contiguous row, whatever the number of cores it reaches.
    """

    src: npt.NDArray[np.int64]  # source core of each block
    tgt: npt.NDArray[np.int64]  # target core of each block
    fmt: npt.NDArray[np.int32]
    wtab: npt.NDArray[np.float64]
    wrec: npt.NDArray[np.int32]
    wtab_start: npt.NDArray[np.int64]
    stream: npt.NDArray[np.uint32]
    row_ptr: npt.NDArray[np.uint64]  # every core's n + 1 row offsets (into stream), concatenated
    row_ptr_start: npt.NDArray[np.int64]  # where each core's offsets start in row_ptr
    core_block0: npt.NDArray[np.int64]
    max_delay_into: npt.NDArray[np.int64]  # per core: longest delay of its incoming synapses
    n_synapses: int
    n_compact: int

    @property
    def nbytes(self) -> int:
        """Bytes of all synaptic storage: words, row headers and offsets, weight tables."""
        return int(self.stream.nbytes + self.row_ptr.nbytes + self.wtab.nbytes + self.wrec.nbytes)

    @property
    def word_bytes(self) -> float:
        """Bytes per synapse of the synapse words alone (4 compact, 8 wide)."""
        if self.n_synapses == 0:
            return 0.0
        return (4 * self.n_compact + 8 * (self.n_synapses - self.n_compact)) / self.n_synapses


def _max_per(group: npt.NDArray[np.int64], values: npt.NDArray[np.int64], n: int) -> npt.NDArray[np.int64]:
    """Largest value per group (0 for empty groups)."""
    out = np.zeros(n, np.int64)
    np.maximum.at(out, group, values)
    return out


def build_blocks(
    spec: NetworkSpec,
    core_gid0: npt.NDArray[np.int64],
    core_n: npt.NDArray[np.int64],
    pop_base: npt.NDArray[np.int64],
) -> BlockTable:
    """Group every synapse of ``spec`` into blocks and rows, vectorised over all projections."""
    n_cores = len(core_gid0)
    projs = [p for p in spec.projections if len(p.pre_index)]
    gid_order = np.argsort(core_gid0, kind="stable")
    gid_sorted = core_gid0[gid_order]

    def core_of(gid: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        return gid_order[np.searchsorted(gid_sorted, gid, side="right") - 1]

    if projs:
        pre_gid = np.concatenate([pop_base[p.pre] + p.pre_index for p in projs])
        post_gid = np.concatenate([pop_base[p.post] + p.post_index for p in projs])
        weight = np.concatenate([np.asarray(p.weight, dtype=np.float64) for p in projs])
        delay = np.concatenate([np.asarray(p.delay_steps, dtype=np.int64) for p in projs])
        rec = np.concatenate([np.asarray(p.receptor, dtype=np.int64) for p in projs])
    else:
        pre_gid = post_gid = delay = rec = np.zeros(0, np.int64)
        weight = np.zeros(0)
    n_syn = len(pre_gid)
    if n_syn and (delay.min() < 1 or delay.max() > MAX_DELAY_STEPS):
        raise EngineError(f"synaptic delays must lie in [1, {MAX_DELAY_STEPS}] steps")
    src = core_of(pre_gid)
    tgt = core_of(post_gid)
    src_local = pre_gid - core_gid0[src]
    post_local = post_gid - core_gid0[tgt]
    # row order: source core, source neuron, target core, target neuron (one integer key when
    # it fits: a single sort is several times faster than lexsort on millions of synapses)
    post_span = int(core_n.max()) if n_cores else 1
    if n_syn and int(pre_gid.max() + 1) * n_cores * post_span < 2**62:
        order = np.argsort((pre_gid * n_cores + tgt) * post_span + post_local)
    else:
        order = np.lexsort((post_local, tgt, src_local, src))
    src, tgt, src_local, post_local = src[order], tgt[order], src_local[order], post_local[order]
    weight, delay, rec = weight[order], delay[order], rec[order]

    key = src * n_cores + tgt
    ukeys, blk = np.unique(key, return_inverse=True)
    n_blocks = len(ukeys)
    b_src, b_tgt = ukeys // n_cores, ukeys % n_cores
    core_block0 = np.searchsorted(b_src, np.arange(n_cores))
    local_blk = np.arange(n_blocks) - core_block0[b_src]
    if n_blocks and local_blk.max() >= 1 << 16:
        raise EngineError("a core projects to more than 65536 cores")

    # distinct (weight, receptor) pairs per block: number the pairs network-wide first, then
    # (block, pair) combinations; a presence table avoids a second sort when it is small
    values, value_id = np.unique(weight, return_inverse=True)
    n_rec = int(rec.max()) + 1 if n_syn else 1
    pair = value_id.astype(np.int64) * n_rec + rec
    n_pairs = len(values) * n_rec
    combo = blk * n_pairs + pair
    if n_blocks * n_pairs <= 1 << 26:
        present = np.zeros(n_blocks * n_pairs, bool)
        present[combo] = True
        used = np.flatnonzero(present)
        rank = np.cumsum(present) - 1
        uid = rank[combo]
    else:
        used, uid = np.unique(combo, return_inverse=True)
    used_blk, used_pair = used // n_pairs, used % n_pairs
    wtab = values[used_pair // n_rec]
    wrec = (used_pair % n_rec).astype(np.int32)
    wtab_start = np.searchsorted(used_blk, np.arange(n_blocks))
    n_distinct = np.diff(np.concatenate([wtab_start, [len(wtab)]]))
    tab_index = uid - wtab_start[blk]
    max_post = _max_per(blk, post_local, n_blocks)
    max_d = _max_per(blk, delay, n_blocks)
    compact = (
        (n_distinct <= (1 << E.C_TAB_BITS))
        & (max_post < (1 << E.C_POST_BITS))
        & (max_d < (1 << E.C_DELAY_BITS))
    )
    fmt = np.where(compact, E.COMPACT, E.WIDE).astype(np.int32)
    syn_compact = compact[blk]

    # segments: runs of one (source neuron, block), at most 65535 synapses each
    run_start = np.ones(n_syn, bool)
    if n_syn:
        run_start[1:] = (src_local[1:] != src_local[:-1]) | (blk[1:] != blk[:-1])
    run_id = np.cumsum(run_start) - 1
    run_first = np.flatnonzero(run_start)
    pos_in_run = np.arange(n_syn) - run_first[run_id]
    seg_start_flag = run_start | (pos_in_run % 0xFFFF == 0)
    seg_id = np.cumsum(seg_start_flag) - 1
    seg_first = np.flatnonzero(seg_start_flag)
    seg_count = np.diff(np.concatenate([seg_first, [n_syn]]))
    width = np.where(syn_compact, 1, 2)
    seg_words = 1 + seg_count * width[seg_first]
    seg_offset = np.concatenate([[0], np.cumsum(seg_words)])[:-1]  # in the global stream
    pos_in_seg = np.arange(n_syn) - seg_first[seg_id]
    word_pos = seg_offset[seg_id] + 1 + pos_in_seg * width
    stream = np.zeros(int(seg_words.sum()), np.uint32)
    stream[seg_offset] = (
        (local_blk[blk[seg_first]].astype(np.uint32) << np.uint32(16))
        | seg_count.astype(np.uint32)
    )
    c = syn_compact
    stream[word_pos[c]] = (
        post_local[c].astype(np.uint32)
        | (delay[c].astype(np.uint32) << np.uint32(E.C_POST_BITS))
        | (tab_index[c].astype(np.uint32) << np.uint32(E.C_POST_BITS + E.C_DELAY_BITS))
    )
    w = ~c
    stream[word_pos[w]] = (
        post_local[w].astype(np.uint32)
        | (delay[w].astype(np.uint32) << np.uint32(E.W_POST_BITS))
        | (rec[w].astype(np.uint32) << np.uint32(E.W_POST_BITS + E.W_DELAY_BITS))
    )
    stream[word_pos[w] + 1] = weight[w].astype(np.float32).view(np.uint32)

    # per core, per neuron: where its row starts in the stream (rows are contiguous)
    row_base = np.concatenate([[0], np.cumsum(core_n + 1)])
    row_ptr = np.zeros(int(row_base[-1]), np.uint64)
    seg_src = src[seg_first]
    seg_neuron = row_base[seg_src] + src_local[seg_first]
    words_per_row = np.bincount(seg_neuron, weights=seg_words, minlength=len(row_ptr))
    # row_ptr[core][i] = offset of row i; slot n of each core = end of its last row
    ends = np.cumsum(words_per_row).astype(np.uint64)
    row_ptr[1:] = ends[:-1]
    max_into = _max_per(b_tgt, max_d, n_cores)
    return BlockTable(
        src=b_src,
        tgt=b_tgt,
        fmt=fmt,
        wtab=np.ascontiguousarray(wtab),
        wrec=np.ascontiguousarray(wrec),
        wtab_start=wtab_start,
        stream=stream,
        row_ptr=row_ptr,
        row_ptr_start=row_base[:-1],
        core_block0=core_block0,
        max_delay_into=max_into,
        n_synapses=n_syn,
        n_compact=int(c.sum()),
    )
