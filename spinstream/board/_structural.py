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
from spinstream.model import (
    NetworkSpec,
    ParameterError,
    ProjectionSpec,
    STDPSpec,
    StructuralSpec,
)

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
class _ProjTables:
    """One structural projection's tables on one target core."""

    proj: int
    local0: int  # its first candidate among the core's
    n_cand: int
    pair: I64
    row_n0: I32
    row_n: I32
    pair_n0: npt.NDArray[np.uint16]
    pair_n: npt.NDArray[np.uint16]


@dataclass
class _CoreTables:
    """One target core's rewiring tables, as loaded (``reset`` copies them back)."""

    lo: int
    n: int
    projs: list[_ProjTables]
    slot0: I64
    slot: I64
    c_syn: I64
    c_pend: I64
    c_pre: I32
    c_proj: I32
    buf: I64


@dataclass(frozen=True)
class StructuralStatistics:
    """Counters of one structural projection since the last reset.

    Attributes
    ----------
    attempts
        Rewiring attempts into the post population (each chose one post neuron and one of
        its slots; shared by the structural projections into that population).
    elimination_attempts, eliminations
        Attempts that found one of this projection's synapses in the slot, and those that
        removed it.
    formation_attempts, formations
        Attempts that found the slot empty and a partner in this projection's pre
        population, and those that formed a synapse.
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


def _check_same(
    where: str, first: ProjectionSpec, sp: StructuralSpec, sp0: StructuralSpec
) -> None:
    """Raise when two structural projections into one population disagree (sPyNNaker)."""
    for name in ("s_max", "f_rew", "with_replacement", "partner", "spike_buffer_size"):
        a, b = getattr(sp, name), getattr(sp0, name)
        if a != b:
            raise ParameterError(
                f"{where}: {name} = {a!r}, but projection {first.label or first.id!r} into "
                f"the same population has {name} = {b!r}; the structural projections into "
                "one population share its neurons' slots and rewiring, so they must agree on "
                "s_max, f_rew, with_replacement and the partner selection"
            )


class StructuralState:
    """The rewiring state of one loaded network (kept alive with the engine)."""

    def __init__(
        self,
        spec: NetworkSpec,
        blocks: BlockTable,
        cores: Sequence[tuple[int, int, int]],
        engine: E.Engine,
        targets: npt.NDArray[np.bool_] | None = None,
    ) -> None:
        # cores: per core (population id, index of its first neuron, neurons); targets (per
        # core, optional): the cores whose synapses this MPI rank built, the only ones it
        # rewires (the others' tables stay empty)
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
        self._proj_structs: dict[int, ctypes.Array[E.StructuralProjection]] = {}
        seg_pre = np.full(max(n_seg, 1), -1, np.int32)
        seg_proj = np.full(max(n_seg, 1), -1, np.int32)
        any_last = False
        # the structural projections into each population, in spec order: they share its
        # neurons' slots (sPyNNaker: one s_max, f_rew and partner selection for them all)
        groups: dict[int, list[ProjectionSpec]] = {}
        for p in spec.projections:
            if p.structural is not None:
                groups.setdefault(p.post, []).append(p)
        self._projections: dict[int, list[int]] = {}
        for post_pop, projs in groups.items():
            first = projs[0]
            sp0 = first.structural
            assert sp0 is not None
            pres = [p.pre for p in projs]
            if len(set(pres)) < len(pres):
                raise ParameterError(
                    f"projection {first.label or first.id!r}: two structural projections join "
                    "the same pair of populations; sPyNNaker allows one (merge them)"
                )
            for r, p in enumerate(projs):
                sp = p.structural
                assert sp is not None
                where = f"projection {p.label or p.id!r}"
                index = blocks.p_of_projection.get(p.id)
                if index is None or len(index) != len(p.pre_index):
                    raise ParameterError(f"{where}: structural synapses must be plastic synapses")
                _check_same(where, first, sp, sp0)
                held = index >= 0  # built here (another MPI rank's targets: not)
                self._count0[index[held]] = sp.count[held].astype(np.uint16)
                if sp.partner == "last":
                    any_last = True
                    seg_pre[blocks.p_seg[index[held]]] = p.pre_index[held].astype(np.int32)
                    seg_proj[blocks.p_seg[index[held]]] = r
                self._projections[p.id] = []
            per_step, period = rewiring_rate(sp0.f_rew, spec.dt)
            for cid, (pop, lo, n) in enumerate(cores):
                if pop != post_pop or n == 0 or (targets is not None and not targets[cid]):
                    continue
                self._build_core(cid, lo, n, projs, blocks, stdp_index)
                sc = self._core_structs[cid]
                sc.n = n
                sc.lo = lo
                sc.n_pop = sp0.n_post
                sc.n_proj = len(projs)
                sc.s_max = sp0.s_max
                sc.per_step = per_step
                sc.period = period
                sc.partner = 1 if sp0.partner == "last" else 0
                sc.buf_cap = sp0.spike_buffer_size
                sc.replace = int(sp0.with_replacement)
                sc.seed = sp0.seed & 0xFFFFFFFFFFFFFFFF
                sc.shared_stream = _SHARED_STREAM + post_pop
                sc.local_stream = _LOCAL_STREAM + cid
                for p in projs:
                    self._projections[p.id].append(cid)
                self._point(cid)
        self.count = self._count0.copy()
        self._seg_pre = seg_pre
        st = self._struct = E.Structural()
        st.n_cores = len(cores)
        st.cores = ctypes.cast(self._core_structs, ctypes.POINTER(E.StructuralCore))
        st.count = E.ptr(self.count, ctypes.c_uint16)
        st.seg_pre = E.ptr(seg_pre, ctypes.c_int32) if any_last else None
        st.seg_proj = E.ptr(seg_proj, ctypes.c_int32) if any_last else None
        self._seg_proj = seg_proj
        engine.structural = ctypes.pointer(st)
        self._engine = engine
        self.reset()
        # seeded once, at load: reset() lets them continue, as every generator of the board
        code = E.lib().ss_structural_prepare(ctypes.byref(self._engine))
        if code != 0:
            raise ParameterError(_PREPARE_ERRORS.get(code, f"rewiring rejected (code {code})"))

    def _build_core(
        self,
        cid: int,
        lo: int,
        n: int,
        projs: list[ProjectionSpec],
        blocks: BlockTable,
        stdp_index: I64,
    ) -> None:
        """Lay out one target core's candidates, slots and per-projection tables."""
        tables: list[_ProjTables] = []
        structs = (E.StructuralProjection * len(projs))()
        c_syn, c_pend, c_pre, c_proj = [], [], [], []
        slot_lists: list[list[int]] = [[] for _ in range(n)]
        local0 = 0
        s_max = 0
        for r, p in enumerate(projs):
            sp = p.structural
            assert sp is not None
            s_max = sp.s_max
            index = blocks.p_of_projection[p.id]
            mine = np.flatnonzero((p.post_index >= lo) & (p.post_index < lo + n))
            # the core's candidate number of each of the projection's synapses on it
            local = np.full(len(p.pre_index), -1, np.int64)
            local[mine] = local0 + np.arange(len(mine))
            pair = local[np.arange(sp.n_pre)[None, :] * sp.n_post + lo + np.arange(n)[:, None]]
            pre = p.pre_index[mine].astype(np.int32)
            cnt = sp.count[mine]
            row_n0 = np.bincount(pre, weights=cnt, minlength=sp.n_pre).astype(np.int32)
            pair_n0 = np.zeros((n, sp.n_pre), np.uint16)
            np.add.at(pair_n0, (p.post_index[mine] - lo, pre), cnt.astype(np.uint16))
            for i, row in enumerate(sp.slots[lo : lo + n]):
                slot_lists[i].extend(local[row[row >= 0]].tolist())
            c_syn.append(index[mine].astype(np.int64))
            c_pend.append(stdp_index[index[mine]])
            c_pre.append(pre)
            c_proj.append(np.full(len(mine), r, np.int32))
            t = _ProjTables(
                proj=p.id,
                local0=local0,
                n_cand=len(mine),
                pair=np.ascontiguousarray(pair, np.int64),
                row_n0=row_n0,
                row_n=row_n0.copy(),
                pair_n0=pair_n0,
                pair_n=pair_n0.copy(),
            )
            tables.append(t)
            local0 += len(mine)
            ps = structs[r]
            ps.n_pre = sp.n_pre
            lateral = p.pre == p.post
            ps.lateral = int(lateral)
            ps.grid_x, ps.grid_y = sp.grid
            sigma = sp.sigma_form_lateral if lateral else sp.sigma_form_forward
            ps.p_form = sp.p_form_lateral if lateral else sp.p_form_forward
            ps.two_sigma2 = 2.0 * sigma * sigma
            ps.p_dep = sp.prob_elim_depressed
            ps.p_pot = sp.prob_elim_potentiated
            ps.threshold = sp.threshold
            ps.w_init = sp.initial_weight
            rule = p.plasticity
            mult = isinstance(rule, STDPSpec) and rule.weight_dependence == "multiplicative"
            ps.pend_none = 1.0 if mult else 0.0
            ps.pair = E.ptr(t.pair, ctypes.c_int64)
            ps.row_n = E.ptr(t.row_n, ctypes.c_int32)
            ps.pair_n = E.ptr(t.pair_n, ctypes.c_uint16)
        slot0 = np.full((n, s_max), -1, np.int64)
        for i, taken in enumerate(slot_lists):
            if len(taken) > s_max:
                labels = ", ".join(repr(p.label or p.id) for p in projs)
                raise ParameterError(
                    f"projections {labels}: their connectors give post neuron {lo + i} "
                    f"{len(taken)} synapses, more than s_max = {s_max}"
                )
            slot0[i, : len(taken)] = taken
        sp0 = projs[0].structural
        assert sp0 is not None
        self._by_core[cid] = _CoreTables(
            lo=lo,
            n=n,
            projs=tables,
            slot0=slot0,
            slot=slot0.copy(),
            c_syn=np.ascontiguousarray(np.concatenate(c_syn), np.int64),
            c_pend=np.ascontiguousarray(np.concatenate(c_pend), np.int64),
            c_pre=np.ascontiguousarray(np.concatenate(c_pre), np.int32),
            c_proj=np.ascontiguousarray(np.concatenate(c_proj), np.int32),
            buf=np.zeros(2 * max(sp0.spike_buffer_size, 1), np.int64),
        )
        self._proj_structs[cid] = structs

    def _point(self, cid: int) -> None:
        t = self._by_core[cid]
        sc = self._core_structs[cid]
        sc.projs = ctypes.cast(self._proj_structs[cid], ctypes.POINTER(E.StructuralProjection))
        sc.slot = E.ptr(t.slot, ctypes.c_int64)
        sc.c_syn = E.ptr(t.c_syn, ctypes.c_int64)
        sc.c_pend = E.ptr(t.c_pend, ctypes.c_int64)
        sc.c_pre = E.ptr(t.c_pre, ctypes.c_int32)
        sc.c_proj = E.ptr(t.c_proj, ctypes.c_int32)
        sc.buf = E.ptr(t.buf, ctypes.c_int64)

    def reset(self) -> None:
        """Restore the connector's synapses and clear the counters (generators continue)."""
        self.count[:] = self._count0
        for cid, t in self._by_core.items():
            t.slot[:] = t.slot0
            for r, pt in enumerate(t.projs):
                pt.row_n[:] = pt.row_n0
                pt.pair_n[:] = pt.pair_n0
                ps = self._proj_structs[cid][r]
                ps.elim_tries = ps.eliminations = ps.form_tries = ps.formations = 0
            sc = self._core_structs[cid]
            sc.buf_n[0] = sc.buf_n[1] = 0
            sc.buf_stamp[0] = sc.buf_stamp[1] = -1
            sc.attempts = 0

    def counts(self, projection: int) -> I64 | None:
        """Return how many synapses each potential synapse stands for now (None: not one)."""
        if projection not in self._projections:
            return None
        index = self._blocks.p_of_projection[projection]
        held = index >= 0
        out = np.zeros(len(index), np.int64)  # 0 where another MPI rank built the synapse
        out[held] = self.count[index[held]]
        return out

    def slots(self, projection: int, cores: npt.NDArray[np.bool_] | None = None) -> I64 | None:
        """Return each post neuron's slots ``[n_post, s_max]``: potential synapse, or -1.

        ``cores`` (per core, optional): read only those cores (the others' rows stay -1).
        """
        cids = self._projections.get(projection)
        if cids is None:
            return None
        if cores is not None:
            cids = [c for c in cids if cores[c]]
        sp = self._spec.projections[projection].structural
        assert sp is not None
        out = np.full((sp.n_post, sp.s_max), -1, np.int64)
        index = self._blocks.p_of_projection[projection]
        spec_of_syn = {int(s): k for k, s in enumerate(index.tolist())}
        for cid in cids:
            t = self._by_core[cid]
            r = next(k for k, pt in enumerate(t.projs) if pt.proj == projection)
            mine = t.slot >= 0
            mine[mine] = t.c_proj[t.slot[mine]] == r
            syn = t.c_syn[t.slot[mine]]
            rows = out[t.lo : t.lo + t.n]
            rows[mine] = [spec_of_syn[int(x)] for x in syn.tolist()]
        return out

    def statistics(
        self,
        projection: int,
        cores: npt.NDArray[np.bool_] | None = None,
        counts: I64 | None = None,
    ) -> StructuralStatistics | None:
        """Return the counters of a structural projection (None: it is not one).

        ``cores`` (per core, optional): count only those cores' attempts; ``counts``: the
        projection's counts, if not this state's own (several MPI processes).
        """
        cids = self._projections.get(projection)
        if cids is None:
            return None
        if cores is not None:
            cids = [c for c in cids if cores[c]]
        cs = [self._core_structs[c] for c in cids]
        ps = []
        for c in cids:
            r = next(k for k, pt in enumerate(self._by_core[c].projs) if pt.proj == projection)
            ps.append(self._proj_structs[c][r])
        if counts is None:
            counts = self.counts(projection)
        return StructuralStatistics(
            attempts=sum(int(c.attempts) for c in cs),
            elimination_attempts=sum(int(p.elim_tries) for p in ps),
            eliminations=sum(int(p.eliminations) for p in ps),
            formation_attempts=sum(int(p.form_tries) for p in ps),
            formations=sum(int(p.formations) for p in ps),
            synapses=int(counts.sum()) if counts is not None else 0,
        )

    def keepalive(self) -> Any:
        """Return the struct the engine points to."""
        return self._struct
