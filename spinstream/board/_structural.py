"""Structural plasticity on the HostBoard: the arrays behind ``kernels_c/structural.c``.

A structural projection's synapses are all its potential synapses (``StructuralSpec``), held
as plastic synapses like any other; what changes while the network runs lives here:

- ``count``: per plastic synapse, how many synapses it stands for now (0: absent; 1 for
  every synapse of other projections), 2 bytes;
- per target core: each post neuron's ``s_max`` slots (8 bytes each), the candidate that a
  formation of each (pre, post) pair uses (8 bytes per pair) and the pair's synapse count
  (2 bytes), and per candidate its synapse, STDP entry and pre neuron (20 bytes);
- LastNeuronSelection: the pre neurons of the last spikes that reached each core.

The engine rewires each core on the thread that owns it, from generators seeded here (per
post population and per core), so a run gives the same synapses whatever the chunk size and
the number of threads.  Semantics: docs/ENGINE.md, "Structural plasticity".
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from spinstream.board import _engine as E
from spinstream.board._synapses import BlockTable
from spinstream.model import NetworkSpec, ParameterError, STDPSpec

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]

_PREPARE_ERRORS = {
    -40: "structural plasticity: the engine's core count differs from the board's",
    -41: "structural plasticity: a core's tables are missing or its sizes are wrong",
    -42: "structural plasticity: a probability lies outside [0, 1] or a value is not finite",
    -43: "structural plasticity: LastNeuronSelection needs a spike buffer",
}

#: Generator streams: one per post population (shared by its cores), one per core.
_SHARED_STREAM = 0x53500000
_LOCAL_STREAM = 0x53600000


@dataclass
class _CoreTables:
    """One target core's rewiring tables, as loaded (``reset`` copies them back)."""

    proj: int
    lo: int
    n: int
    slot0: I64
    slot: I64
    pair: I64
    c_syn: I64
    c_pend: I64
    c_pre: I32
    row_n0: I32
    row_n: I32
    pair_n0: npt.NDArray[np.uint16]
    pair_n: npt.NDArray[np.uint16]
    buf: I32


@dataclass(frozen=True)
class StructuralStatistics:
    """Counters of one structural projection since the last reset.

    Attributes
    ----------
    attempts
        Rewiring attempts (each chose one post neuron and one of its slots).
    elimination_attempts, eliminations
        Attempts that found a synapse in the slot, and those that removed it.
    formation_attempts, formations
        Attempts that found the slot empty and a partner, and those that formed a synapse.
    synapses
        Synapses now.
    """

    attempts: int
    elimination_attempts: int
    eliminations: int
    formation_attempts: int
    formations: int
    synapses: int


def rewiring_rate(f_rew: float, dt: float) -> tuple[int, int]:
    """Return ``(per_step, period)``: attempts every step, or one every ``period`` steps.

    sPyNNaker's rule: when the rewiring period ``1/f_rew`` is shorter than the time step,
    ``floor(dt f_rew)`` attempts every step (``period`` 0); otherwise one attempt every
    ``floor(1 / (f_rew dt))`` steps (``per_step`` 0).  ``dt`` in ms, ``f_rew`` in Hz.
    """
    p_rew = 1000.0 / f_rew  # ms
    if p_rew < dt:
        return int(dt / p_rew + 1e-9), 0
    return 0, max(1, int(p_rew / dt + 1e-9))


class StructuralState:
    """The rewiring state of one loaded network (kept alive with the engine)."""

    def __init__(
        self,
        spec: NetworkSpec,
        blocks: BlockTable,
        cores: Sequence[tuple[int, int, int]],
        engine: E.Engine,
    ) -> None:
        # cores: per core (population id, index of its first neuron, neurons)
        self._spec = spec
        self._blocks = blocks
        n_syn = len(blocks.p_rule)
        n_seg = len(blocks.seg_syn)
        rules = blocks.rules
        is_stdp = np.array([isinstance(r, STDPSpec) for r in rules], dtype=bool)
        p_stdp = is_stdp[blocks.p_rule] if len(rules) and n_syn else np.zeros(n_syn, bool)
        stdp_index = np.where(p_stdp, np.cumsum(p_stdp) - 1, -1).astype(np.int64)
        self._count0 = np.ones(max(n_syn, 1), np.uint16)
        self._by_core: dict[int, _CoreTables] = {}
        self._core_structs = (E.StructuralCore * max(len(cores), 1))()
        seg_pre = np.full(max(n_seg, 1), -1, np.int32)
        any_last = False
        dt = spec.dt
        self._projections: dict[int, list[int]] = {}
        for p in spec.projections:
            sp = p.structural
            if sp is None:
                continue
            where = f"projection {p.label or p.id!r}"
            index = blocks.p_of_projection.get(p.id)
            if index is None or len(index) != len(p.pre_index):
                raise ParameterError(f"{where}: structural synapses must be plastic synapses")
            self._count0[index] = sp.count.astype(np.uint16)
            rule = p.plasticity
            multiplicative = (
                isinstance(rule, STDPSpec) and rule.weight_dependence == "multiplicative"
            )
            per_step, period = rewiring_rate(sp.f_rew, dt)
            lateral = p.pre == p.post
            if sp.partner == "last":
                any_last = True
                seg_pre[blocks.p_seg[index]] = p.pre_index.astype(np.int32)
            self._projections[p.id] = []
            for cid, (pop, lo, n) in enumerate(cores):
                if pop != p.post or n == 0:
                    continue
                if cid in self._by_core:
                    raise ParameterError(
                        f"{where}: a population can be the target of one structural "
                        "projection only"
                    )
                mine = np.flatnonzero((p.post_index >= lo) & (p.post_index < lo + n))
                # local candidate number of each of the projection's synapses on this core
                local = np.full(len(p.pre_index), -1, np.int64)
                local[mine] = np.arange(len(mine))
                pair = local[
                    (np.arange(sp.n_pre)[None, :] * sp.n_post + lo + np.arange(n)[:, None])
                ]
                slot0 = sp.slots[lo : lo + n].copy()
                slot0[slot0 >= 0] = local[slot0[slot0 >= 0]]
                c_pre = p.pre_index[mine].astype(np.int32)
                cnt = sp.count[mine]
                row_n0 = np.bincount(c_pre, weights=cnt, minlength=sp.n_pre).astype(np.int32)
                pair_n0 = np.zeros((n, sp.n_pre), np.uint16)
                np.add.at(pair_n0, (p.post_index[mine] - lo, c_pre), cnt.astype(np.uint16))
                t = _CoreTables(
                    proj=p.id,
                    lo=lo,
                    n=n,
                    slot0=np.ascontiguousarray(slot0, np.int64),
                    slot=slot0.astype(np.int64),
                    pair=np.ascontiguousarray(pair, np.int64),
                    c_syn=index[mine].astype(np.int64),
                    c_pend=stdp_index[index[mine]],
                    c_pre=c_pre,
                    row_n0=row_n0,
                    row_n=row_n0.copy(),
                    pair_n0=pair_n0,
                    pair_n=pair_n0.copy(),
                    buf=np.zeros(2 * max(sp.spike_buffer_size, 1), np.int32),
                )
                self._by_core[cid] = t
                self._projections[p.id].append(cid)
                sc = self._core_structs[cid]
                sc.n = n
                sc.lo = lo
                sc.n_pop = sp.n_post
                sc.n_pre = sp.n_pre
                sc.s_max = sp.s_max
                sc.per_step = per_step
                sc.period = period
                sc.partner = 1 if sp.partner == "last" else 0
                sc.buf_cap = sp.spike_buffer_size
                sc.lateral = int(lateral)
                sc.replace = int(sp.with_replacement)
                sc.grid_x, sc.grid_y = sp.grid
                p_form = sp.p_form_lateral if lateral else sp.p_form_forward
                sigma = sp.sigma_form_lateral if lateral else sp.sigma_form_forward
                sc.p_form = p_form
                sc.two_sigma2 = 2.0 * sigma * sigma
                sc.p_dep = sp.prob_elim_depressed
                sc.p_pot = sp.prob_elim_potentiated
                sc.threshold = sp.threshold
                sc.w_init = sp.initial_weight
                sc.pend_none = 1.0 if multiplicative else 0.0
                sc.seed = sp.seed & 0xFFFFFFFFFFFFFFFF
                sc.shared_stream = _SHARED_STREAM + p.post
                sc.local_stream = _LOCAL_STREAM + cid
                self._point(cid)
        self.count = self._count0.copy()
        self._seg_pre = seg_pre
        st = self._struct = E.Structural()
        st.n_cores = len(cores)
        st.cores = ctypes.cast(self._core_structs, ctypes.POINTER(E.StructuralCore))
        st.count = E.ptr(self.count, ctypes.c_uint16)
        st.seg_pre = E.ptr(seg_pre, ctypes.c_int32) if any_last else None
        engine.structural = ctypes.pointer(st)
        self._engine = engine
        self.reset()

    def _point(self, cid: int) -> None:
        t = self._by_core[cid]
        sc = self._core_structs[cid]
        sc.slot = E.ptr(t.slot, ctypes.c_int64)
        sc.pair = E.ptr(t.pair, ctypes.c_int64)
        sc.c_syn = E.ptr(t.c_syn, ctypes.c_int64)
        sc.c_pend = E.ptr(t.c_pend, ctypes.c_int64)
        sc.c_pre = E.ptr(t.c_pre, ctypes.c_int32)
        sc.row_n = E.ptr(t.row_n, ctypes.c_int32)
        sc.pair_n = E.ptr(t.pair_n, ctypes.c_uint16)
        sc.buf = E.ptr(t.buf, ctypes.c_int32)

    def reset(self) -> None:
        """Restore the connector's synapses, clear the counters, seed the generators again."""
        self.count[:] = self._count0
        for cid, t in self._by_core.items():
            t.slot[:] = t.slot0
            t.row_n[:] = t.row_n0
            t.pair_n[:] = t.pair_n0
            sc = self._core_structs[cid]
            sc.buf_n[0] = sc.buf_n[1] = 0
            sc.buf_stamp[0] = sc.buf_stamp[1] = -1
            sc.attempts = sc.elim_tries = sc.eliminations = 0
            sc.form_tries = sc.formations = 0
        code = E.lib().ss_structural_prepare(ctypes.byref(self._engine))
        if code != 0:
            raise ParameterError(_PREPARE_ERRORS.get(code, f"rewiring rejected (code {code})"))

    def counts(self, projection: int) -> I64 | None:
        """Return how many synapses each potential synapse stands for now (None: not one)."""
        if projection not in self._projections:
            return None
        index = self._blocks.p_of_projection[projection]
        return self.count[index].astype(np.int64)

    def slots(self, projection: int) -> I64 | None:
        """Return each post neuron's slots ``[n_post, s_max]``: potential synapse, or -1."""
        cids = self._projections.get(projection)
        if cids is None:
            return None
        sp = self._spec.projections[projection].structural
        assert sp is not None
        out = np.full((sp.n_post, sp.s_max), -1, np.int64)
        index = self._blocks.p_of_projection[projection]
        spec_of_syn = {int(s): k for k, s in enumerate(index.tolist())}
        for cid in cids:
            t = self._by_core[cid]
            full = t.slot >= 0
            syn = t.c_syn[t.slot[full]]
            rows = out[t.lo : t.lo + t.n]
            rows[full] = [spec_of_syn[int(s)] for s in syn.tolist()]
        return out

    def statistics(self, projection: int) -> StructuralStatistics | None:
        """Return the counters of a structural projection (None: it is not one)."""
        cids = self._projections.get(projection)
        if cids is None:
            return None
        cs = [self._core_structs[c] for c in cids]
        counts = self.counts(projection)
        return StructuralStatistics(
            attempts=sum(int(c.attempts) for c in cs),
            elimination_attempts=sum(int(c.elim_tries) for c in cs),
            eliminations=sum(int(c.eliminations) for c in cs),
            formation_attempts=sum(int(c.form_tries) for c in cs),
            formations=sum(int(c.formations) for c in cs),
            synapses=int(counts.sum()) if counts is not None else 0,
        )

    def keepalive(self) -> Any:
        """Return the struct the engine points to."""
        return self._struct
