"""Synaptic matrices: projections -> per-source-neuron rows of compact synapse words.

A block is the set of synapses from one source core onto one target core; it fixes the word
format and the weight table.  The word formats, chosen per block:

- compact, 4 bytes: post index (12 bits) | delay (11 bits) | weight-table index (9 bits).  The
  weight table holds the block's distinct (weight, receptor) pairs, exactly, in double precision.
  Used when a block has at most 512 distinct pairs, targets at most 4096 neurons, and delays
  below 2048 steps.  This is the usual case: PyNN weights are mostly per-projection constants or
  drawn from a few values.
- half, 6 bytes (static blocks that are not compact, with targets below 256, delays below 128
  steps and receptors 0 or 1, such as weights drawn per synapse): a segment holds its float32
  weights, then one 16-bit word per synapse, post (8 bits) | delay (7) | receptor (1), two to
  a uint32, the first in the low half.  The same float32 weight as the wide word.
- wide, 8 bytes: post index (16 bits) | delay (14 bits) | receptor (2 bits) | float32 weight.
- plastic (blocks of synapses with a plasticity rule; one rule per block): a segment carries
  one more word, the segment's number, then one word per synapse as the wide one without the
  weight: post | delay | receptor.  Weights (float64) and state live in arrays of their own
  (``spinstream.board._plastic``), in the order of the plastic synapses in the stream.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from spinstream.board import _engine as E
from spinstream.model import MAX_RULES, EngineError, NetworkSpec, ParameterError, PlasticitySpec

G = TypeVar("G", bound=np.generic)

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
    n_half: int  # synapses in 6-byte (half) blocks
    # plasticity (empty when every synapse is static)
    rules: list[PlasticitySpec] = field(default_factory=list)
    block_rule: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    # per plastic segment, in stream order: its first plastic synapse, and rule
    seg_syn: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    seg_rule: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    # per plastic synapse, in stream order: rule, target core, local post index, initial
    # weight, delay (steps), row segment
    p_rule: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    p_tgt: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    p_post: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    p_weight: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    p_delay: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    p_seg: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    # projection id -> plastic index of each of its synapses, in the spec's order (-1: a
    # synapse not built here, onto another MPI rank's core)
    p_of_projection: dict[int, npt.NDArray[np.int64]] = field(default_factory=dict)
    # words of ``stream`` handed to the engine's threads (their own copies) and dropped
    # here; 0 while ``stream`` holds the rows
    released_words: int = 0
    # synapses in 4-byte blocks of 16-bit weights (Q16: only with ``weight_bits=16``)
    n_q16: int = 0

    @property
    def nbytes(self) -> int:
        """Bytes of all synaptic storage: words, row headers and offsets, weight tables."""
        words = self.stream.nbytes + 4 * self.released_words
        return int(words + self.row_ptr.nbytes + self.wtab.nbytes + self.wrec.nbytes)

    @property
    def word_bytes(self) -> float:
        """Bytes per synapse of the synapse words alone (4 compact/Q16/plastic, 8 wide, 6 half)."""
        if self.n_synapses == 0:
            return 0.0
        n_wide = self.n_synapses - self.n_compact - self.n_half - self.n_q16 - len(self.p_rule)
        n_four = self.n_synapses - n_wide - self.n_half
        return (4 * n_four + 8 * n_wide + 6 * self.n_half) / self.n_synapses


def _unique_inverse(x: npt.NDArray[G]) -> tuple[npt.NDArray[G], npt.NDArray[np.int64]]:
    """``np.unique(x, return_inverse=True)`` by a sort and a search, without argsort.

    numpy's argsort is many times slower than its sort (tens of ms for a few hundred
    thousand values with few distinct ones), and these arrays have few distinct values.
    """
    if len(x) == 0:
        return x[:0], np.zeros(0, np.int64)
    s = np.sort(x)
    keep = np.ones(len(s), dtype=bool)
    keep[1:] = s[1:] != s[:-1]
    values = s[keep]
    return values, np.searchsorted(values, x).astype(np.int64)


def _row_order(
    row: npt.NDArray[np.int64], minor: npt.NDArray[np.int64], n_rows: int
) -> npt.NDArray[np.int64]:
    """Return the indices that sort the synapses by (row, minor), stably (C: ss_sort_rows)."""
    row = np.ascontiguousarray(row, dtype=np.int64)
    minor = np.ascontiguousarray(minor, dtype=np.int64)
    order = np.empty(len(row), np.int64)
    if len(row):
        code = E.lib().ss_sort_rows(
            len(row),
            n_rows,
            E.ptr(row, ctypes.c_int64),
            E.ptr(minor, ctypes.c_int64),
            E.ptr(order, ctypes.c_int64),
        )
        if code:
            raise EngineError("sorting the synapses into rows failed (out of memory)")
    return order


def _max_per(
    group: npt.NDArray[np.int64], values: npt.NDArray[np.int64], n: int
) -> npt.NDArray[np.int64]:
    """Largest value per group (0 for empty groups)."""
    out = np.zeros(n, np.int64)
    np.maximum.at(out, group, values)
    return out


def assign_rules(spec: NetworkSpec) -> tuple[list[PlasticitySpec], npt.NDArray[np.int64]]:
    """Return the network's distinct rules and every synapse's key.

    Synapses are taken projection by projection (those with synapses), in spec order; key 0
    is static, ``r + 1`` the rule ``rules[r]``.  A projection whose rule parameters vary
    per synapse (``ProjectionSpec.rule_params``) contributes one rule per distinct set of
    values; equal rules are shared across projections.  Raises :class:`ParameterError`
    when the network has more than :data:`MAX_RULES` distinct rules.
    """
    rules: list[PlasticitySpec] = []
    number: dict[PlasticitySpec, int] = {}
    keys: list[npt.NDArray[np.int64]] = []
    for p in spec.projections:
        if not len(p.pre_index):
            continue
        own, which = p.synapse_rules()
        if not own:
            keys.append(np.zeros(len(p.pre_index), np.int64))
            continue
        ids = np.empty(len(own), np.int64)
        for k, r in enumerate(own):
            i = number.get(r)
            if i is None:
                i = number[r] = len(rules)
                rules.append(r)
            ids[k] = i
        if len(rules) > MAX_RULES:
            raise ParameterError(
                f"projection {p.label or p.id!r}: the network has more than {MAX_RULES} "
                "distinct plasticity rules (each distinct combination of rule parameter "
                "values is a rule); use fewer distinct values, e.g. draw them from a "
                "short list"
            )
        keys.append(ids[which] + 1)
    key = np.concatenate(keys) if keys else np.zeros(0, np.int64)
    return rules, key


def build_blocks(
    spec: NetworkSpec,
    core_gid0: npt.NDArray[np.int64],
    core_n: npt.NDArray[np.int64],
    pop_base: npt.NDArray[np.int64],
    targets: npt.NDArray[np.bool_] | None = None,
) -> BlockTable:
    """Group every synapse of ``spec`` into blocks and rows, vectorised over all projections.

    ``targets`` (per core, optional): build only the synapses onto those cores (an MPI
    rank's own); ``p_of_projection`` then says -1 for each synapse not built here.
    """
    n_cores = len(core_gid0)
    projs = [p for p in spec.projections if len(p.pre_index)]
    gid_order = np.argsort(core_gid0, kind="stable")
    gid_sorted = core_gid0[gid_order]
    # every neuron is on a core: one table lookup per synapse instead of a binary search
    n_gids = int((core_gid0 + core_n).max()) if n_cores else 0
    gid_core = np.zeros(n_gids, np.int64)
    if n_cores:
        gid_core[:] = gid_order[np.searchsorted(gid_sorted, np.arange(n_gids), side="right") - 1]

    def core_of(gid: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        return gid_core[gid]

    if projs:
        pre_gid = np.concatenate([pop_base[p.pre] + p.pre_index for p in projs])
        post_gid = np.concatenate([pop_base[p.post] + p.post_index for p in projs])
        weight = np.concatenate([np.asarray(p.weight, dtype=np.float64) for p in projs])
        delay = np.concatenate([np.asarray(p.delay_steps, dtype=np.int64) for p in projs])
        rec = np.concatenate([np.asarray(p.receptor, dtype=np.int64) for p in projs])
    else:
        pre_gid = post_gid = delay = rec = np.zeros(0, np.int64)
        weight = np.zeros(0)
    # plasticity: rule 0 is static, r + 1 the r-th distinct rule; blocks never mix rules
    rules, rule = assign_rules(spec)
    n_keys = len(rules) + 1
    n_total = len(pre_gid)
    if n_total and (delay.min() < 1 or delay.max() > MAX_DELAY_STEPS):
        raise EngineError(f"synaptic delays must lie in [1, {MAX_DELAY_STEPS}] steps")
    tgt = core_of(post_gid)
    kept = None  # each built synapse's index among every projection's (None: all of them)
    if targets is not None:
        if len(targets) != n_cores:
            raise ValueError(f"targets: {len(targets)} flags for {n_cores} cores")
        kept = np.flatnonzero(np.asarray(targets, bool)[tgt])
        pre_gid, post_gid, tgt = pre_gid[kept], post_gid[kept], tgt[kept]
        weight, delay, rec, rule = weight[kept], delay[kept], rec[kept], rule[kept]
    n_syn = len(pre_gid)
    src = core_of(pre_gid)
    src_local = pre_gid - core_gid0[src]
    post_local = post_gid - core_gid0[tgt]
    # row order: source core, source neuron (the row), then target core, rule, target neuron;
    # a counting sort by row and a sort of each short row (C) instead of sorting every
    # synapse by one key (numpy's argsort was the largest single cost of a big load)
    post_span = int(core_n.max()) if n_cores else 1
    row_base = np.concatenate([[0], np.cumsum(core_n + 1)]).astype(np.int64)
    order = _row_order(
        row_base[src] + src_local,
        (tgt * n_keys + rule) * post_span + post_local,
        int(row_base[-1]),
    )
    src, tgt, src_local, post_local = src[order], tgt[order], src_local[order], post_local[order]
    weight, delay, rec, rule = weight[order], delay[order], rec[order], rule[order]

    key = (src * n_cores + tgt) * n_keys + rule
    if n_cores * n_cores * n_keys <= 1 << 26:  # a presence table: no sort of every synapse
        present = np.zeros(n_cores * n_cores * n_keys, bool)
        present[key] = True
        ukeys = np.flatnonzero(present)
        blk = (np.cumsum(present) - 1)[key]
        del present
    else:
        ukeys, blk = _unique_inverse(key)
    n_blocks = len(ukeys)
    b_rule = ukeys % n_keys
    b_src, b_tgt = (ukeys // n_keys) // n_cores, (ukeys // n_keys) % n_cores
    core_block0 = np.searchsorted(b_src, np.arange(n_cores))
    local_blk = np.arange(n_blocks) - core_block0[b_src]
    if n_blocks and local_blk.max() >= 1 << 16:
        raise EngineError(
            "a core has more than 65536 blocks of outgoing synapses (one per target core "
            "and plasticity rule); use fewer distinct rule parameter values or smaller "
            "populations per core"
        )

    # distinct (weight, receptor) pairs per block: number the pairs network-wide first, then
    # (block, pair) combinations; a presence table avoids a second sort when it is small
    # (only static synapses have table entries)
    plastic = rule > 0
    static = np.flatnonzero(~plastic)
    values, value_id = _unique_inverse(weight[static])
    n_rec = int(rec.max()) + 1 if n_syn else 1
    pair = value_id.astype(np.int64) * n_rec + rec[static]
    n_pairs = max(len(values) * n_rec, 1)
    combo = blk[static] * n_pairs + pair
    if n_blocks * n_pairs <= 1 << 26:
        present = np.zeros(n_blocks * n_pairs, bool)
        present[combo] = True
        used = np.flatnonzero(present)
        rank = np.cumsum(present) - 1
        uid = rank[combo]
    else:
        used, uid = _unique_inverse(combo)
    used_blk, used_pair = used // n_pairs, used % n_pairs
    wtab = values[used_pair // n_rec]
    wrec = (used_pair % n_rec).astype(np.int32)
    wtab_start = np.searchsorted(used_blk, np.arange(n_blocks))
    n_distinct = np.diff(np.concatenate([wtab_start, [len(wtab)]]))
    tab_index = np.zeros(n_syn, np.int64)
    tab_index[static] = uid - wtab_start[blk[static]]
    max_post = _max_per(blk, post_local, n_blocks)
    max_d = _max_per(blk, delay, n_blocks)
    compact = (
        (n_distinct <= (1 << E.C_TAB_BITS))
        & (max_post < (1 << E.C_POST_BITS))
        & (max_d < (1 << E.C_DELAY_BITS))
    )
    max_rec = _max_per(blk, rec, n_blocks)
    half = (
        ~compact
        & (b_rule == 0)
        & (max_post < (1 << E.H_POST_BITS))
        & (max_d < (1 << E.H_DELAY_BITS))
        & (max_rec <= 1)
    )
    fmt = np.where(
        b_rule > 0, E.PLASTIC, np.where(compact, E.COMPACT, np.where(half, E.HALF, E.WIDE))
    ).astype(np.int32)
    # only compact blocks read their table (a wide word carries its weight): keep theirs
    keep = compact[used_blk]
    wtab, wrec = wtab[keep], wrec[keep]
    wtab_start = np.searchsorted(used_blk[keep], np.arange(n_blocks))
    syn_compact = compact[blk] & ~plastic
    syn_half = half[blk] & ~plastic

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
    width = np.where(syn_compact | plastic, 1, 2)
    seg_plastic = plastic[seg_first]
    seg_head = 1 + seg_plastic.astype(np.int64)  # header (and the plastic segment's number)
    seg_words = seg_head + np.where(
        syn_half[seg_first], seg_count + (seg_count + 1) // 2, seg_count * width[seg_first]
    )
    seg_offset = np.concatenate([[0], np.cumsum(seg_words)])[:-1]  # in the global stream
    pos_in_seg = np.arange(n_syn) - seg_first[seg_id]
    word_pos = seg_offset[seg_id] + seg_head[seg_id] + pos_in_seg * width
    stream = np.zeros(int(seg_words.sum()), np.uint32)
    stream[seg_offset] = (
        local_blk[blk[seg_first]].astype(np.uint32) << np.uint32(16)
    ) | seg_count.astype(np.uint32)
    c = syn_compact
    stream[word_pos[c]] = (
        post_local[c].astype(np.uint32)
        | (delay[c].astype(np.uint32) << np.uint32(E.C_POST_BITS))
        | (tab_index[c].astype(np.uint32) << np.uint32(E.C_POST_BITS + E.C_DELAY_BITS))
    )
    h = syn_half  # count float32 weights, then 16-bit post | delay | receptor, two a word
    stream[seg_offset[seg_id[h]] + 1 + pos_in_seg[h]] = (
        weight[h].astype(np.float32).view(np.uint32)
    )
    h_word = (
        post_local[h].astype(np.uint32)
        | (delay[h].astype(np.uint32) << np.uint32(E.H_POST_BITS))
        | (rec[h].astype(np.uint32) << np.uint32(E.H_POST_BITS + E.H_DELAY_BITS))
    )
    h_pos = seg_offset[seg_id[h]] + 1 + seg_count[seg_id[h]] + pos_in_seg[h] // 2
    low = pos_in_seg[h] % 2 == 0
    stream[h_pos[low]] = h_word[low]
    stream[h_pos[~low]] |= h_word[~low] << np.uint32(16)
    w = ~c & ~plastic & ~h
    stream[word_pos[w]] = (
        post_local[w].astype(np.uint32)
        | (delay[w].astype(np.uint32) << np.uint32(E.W_POST_BITS))
        | (rec[w].astype(np.uint32) << np.uint32(E.W_POST_BITS + E.W_DELAY_BITS))
    )
    stream[word_pos[w] + 1] = weight[w].astype(np.float32).view(np.uint32)
    pl = plastic
    stream[word_pos[pl]] = (
        post_local[pl].astype(np.uint32)
        | (delay[pl].astype(np.uint32) << np.uint32(E.W_POST_BITS))
        | (rec[pl].astype(np.uint32) << np.uint32(E.W_POST_BITS + E.W_DELAY_BITS))
    )
    p_seg = np.flatnonzero(seg_plastic)
    stream[seg_offset[p_seg] + 1] = np.arange(len(p_seg), dtype=np.uint32)
    p_index = np.cumsum(plastic) - 1  # plastic synapses numbered in stream order
    p_orig = np.full(n_total, -1, np.int64)
    p_orig[order if kept is None else kept[order]] = np.where(plastic, p_index, -1)
    p_of_projection: dict[int, npt.NDArray[np.int64]] = {}
    start = 0
    for p in projs:
        stop = start + len(p.pre_index)
        if p.plasticity is not None:
            p_of_projection[p.id] = p_orig[start:stop]
        start = stop

    # per core, per neuron: where its row starts in the stream (rows are contiguous)
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
        n_half=int(h.sum()),
        rules=rules,
        block_rule=b_rule - 1,
        seg_syn=p_index[seg_first[p_seg]].astype(np.int64),
        seg_rule=rule[seg_first[p_seg]] - 1,
        p_rule=rule[pl] - 1,
        p_tgt=tgt[pl],
        p_post=post_local[pl],
        p_weight=np.ascontiguousarray(weight[pl]),
        p_delay=delay[pl],
        p_seg=(np.cumsum(seg_plastic) - 1)[seg_id[pl]],
        p_of_projection=p_of_projection,
    )
