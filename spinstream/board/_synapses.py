"""Synaptic matrices: projections -> compact per-(source core, target core) blocks.

A block holds the synapses from one source core onto one target core, as rows indexed by the
source neuron (CSR).  Two word formats, chosen per block:

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
    """All blocks of a network, in arrays the engine points into."""

    src: npt.NDArray[np.int64]  # source core of each block
    tgt: npt.NDArray[np.int64]  # target core of each block
    fmt: npt.NDArray[np.int32]
    row_ptr: npt.NDArray[np.uint32]  # every block's n_rows + 1 offsets, concatenated
    row_ptr_start: npt.NDArray[np.int64]  # where each block's offsets start in row_ptr
    syn32: npt.NDArray[np.uint32]
    syn64: npt.NDArray[np.uint64]
    syn_start: npt.NDArray[np.int64]  # where each block's words start in its format's array
    wtab: npt.NDArray[np.float64]
    wrec: npt.NDArray[np.int32]
    wtab_start: npt.NDArray[np.int64]
    max_delay_into: npt.NDArray[np.int64]  # per core: longest delay of its incoming synapses
    n_synapses: int

    @property
    def nbytes(self) -> int:
        """Bytes of all synaptic storage: words, row pointers and weight tables."""
        return int(
            self.syn32.nbytes + self.syn64.nbytes + self.row_ptr.nbytes
            + self.wtab.nbytes + self.wrec.nbytes
        )

    @property
    def word_bytes(self) -> float:
        """Bytes per synapse of the synapse words alone (4 compact, 8 wide)."""
        if self.n_synapses == 0:
            return 0.0
        return (self.syn32.nbytes + self.syn64.nbytes) / self.n_synapses


def build_blocks(
    spec: NetworkSpec,
    core_gid0: npt.NDArray[np.int64],
    core_n: npt.NDArray[np.int64],
    pop_base: npt.NDArray[np.int64],
) -> BlockTable:
    """Group every synapse of ``spec`` into blocks, vectorised over all projections."""
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
    key = src * n_cores + tgt
    order = np.lexsort((post_local, src_local, key))
    key, src_local, post_local = key[order], src_local[order], post_local[order]
    weight, delay, rec = weight[order], delay[order], rec[order]

    ukeys, first, counts = np.unique(key, return_index=True, return_counts=True)
    n_blocks = len(ukeys)
    b_src, b_tgt = ukeys // n_cores, ukeys % n_cores
    blk = np.repeat(np.arange(n_blocks), counts)

    # rows (CSR) of every block, concatenated: block b has n_rows = atoms of its source core
    n_rows = core_n[b_src]
    row_base = np.concatenate([[0], np.cumsum(n_rows)])
    row_counts = np.bincount(row_base[blk] + src_local, minlength=int(row_base[-1]))
    cum = np.concatenate([[0], np.cumsum(row_counts)])
    rp_start = row_base[:-1] + np.arange(n_blocks)
    gather = np.repeat(row_base[:-1] - rp_start, n_rows + 1) + np.arange(int((n_rows + 1).sum()))
    row_ptr = (cum[gather] - np.repeat(cum[row_base[:-1]], n_rows + 1)).astype(np.uint32)

    # distinct (weight, receptor) pairs per block
    o2 = np.lexsort((weight, rec, blk))
    new = np.ones(n_syn, bool)
    if n_syn:
        new[1:] = (blk[o2][1:] != blk[o2][:-1]) | (rec[o2][1:] != rec[o2][:-1]) | (
            weight[o2][1:] != weight[o2][:-1]
        )
    uid_sorted = np.cumsum(new) - 1
    uid = np.empty(n_syn, np.int64)
    uid[o2] = uid_sorted
    wtab = weight[o2][new]
    wrec = rec[o2][new].astype(np.int32)
    wtab_start = np.searchsorted(blk[o2][new], np.arange(n_blocks))
    n_distinct = np.diff(np.concatenate([wtab_start, [len(wtab)]]))
    tab_index = uid - wtab_start[blk]

    max_post = np.zeros(n_blocks, np.int64)
    max_d = np.zeros(n_blocks, np.int64)
    if n_syn:
        np.maximum.at(max_post, blk, post_local)
        np.maximum.at(max_d, blk, delay)
    compact = (
        (n_distinct <= (1 << E.C_TAB_BITS))
        & (max_post < (1 << E.C_POST_BITS))
        & (max_d < (1 << E.C_DELAY_BITS))
    )
    fmt = np.where(compact, E.COMPACT, E.WIDE).astype(np.int32)
    syn_compact = compact[blk]
    syn_start = np.zeros(n_blocks, np.int64)
    sizes = counts.astype(np.int64)
    for flag in (True, False):
        sel = compact == flag
        syn_start[sel] = np.concatenate([[0], np.cumsum(sizes[sel])])[:-1]
    s = syn_compact
    syn32 = (
        post_local[s].astype(np.uint32)
        | (delay[s].astype(np.uint32) << E.C_POST_BITS)
        | (tab_index[s].astype(np.uint32) << (E.C_POST_BITS + E.C_DELAY_BITS))
    ).astype(np.uint32)
    w = ~s
    wbits = weight[w].astype(np.float32).view(np.uint32).astype(np.uint64)
    syn64 = (
        post_local[w].astype(np.uint64)
        | (delay[w].astype(np.uint64) << np.uint64(E.W_POST_BITS))
        | (rec[w].astype(np.uint64) << np.uint64(E.W_POST_BITS + E.W_DELAY_BITS))
        | (wbits << np.uint64(32))
    ).astype(np.uint64)

    max_into = np.zeros(n_cores, np.int64)
    if n_blocks:
        np.maximum.at(max_into, b_tgt, max_d)
    return BlockTable(
        src=b_src,
        tgt=b_tgt,
        fmt=fmt,
        row_ptr=np.ascontiguousarray(row_ptr),
        row_ptr_start=rp_start,
        syn32=np.ascontiguousarray(syn32),
        syn64=np.ascontiguousarray(syn64),
        syn_start=syn_start,
        wtab=np.ascontiguousarray(wtab),
        wrec=np.ascontiguousarray(wrec),
        wtab_start=wtab_start,
        max_delay_into=max_into,
        n_synapses=n_syn,
    )
