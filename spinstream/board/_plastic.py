"""Plasticity on the HostBoard: the arrays and structs behind ``kernels_c/plastic.c``.

The synaptic rows (``_synapses``) hold one word per plastic synapse (target, delay,
receptor); everything that changes lives here, in float64, in the order of the plastic
synapses in the row stream:

- ``w``: the weight of every plastic synapse (8 bytes);
- STDP synapses: ``pending``, potentiation paired early, applied at the synapse's next
  presynaptic spike (8 bytes more); dopamine-modulated ones (sPyNNaker's Neuromodulation)
  keep their eligibility ``c`` there instead, and their target neurons' rings hold the
  dopamine level ``D`` beside ``K-`` (in ``k2``);
- Tsodyks-Markram synapses: ``x`` and ``y`` (16 bytes more);
- stochastic synapses (``SimpleStochasticSynapse``): nothing more; their draws come from
  the target core's generator;
- per row segment (one source neuron, one target core, one rule): the presynaptic trace
  (K+, or u), the stamp of the last presynaptic spike, where its synapses start (32 bytes);
- per neuron that STDP synapses reach: a ring of its recent spikes (stamp, K-, reads), and
  the list of its incoming STDP synapses (12 bytes each), with which the engine pairs an old
  entry before it drops it to make room.

A ring grows (doubling) only when the engine reports it full with spikes too recent to drop
(within the longest delay); the engine stops before the next step for that, so growing never
changes a result.  Semantics: docs/ENGINE.md, "Plasticity".
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from spinstream.board import _engine as E
from spinstream.board._synapses import BlockTable
from spinstream.model import (
    VARIABLE_RULE_PARAMS,
    NetworkSpec,
    NeuromodulationSpec,
    ParameterError,
    ProjectionSpec,
    STDPSpec,
    StochasticSpec,
    StructuralStaticSpec,
    TsodyksMarkramSpec,
    WeightChangeableSpec,
    WeightChangerSpec,
    check_weight_bounds,
    distinct_rules,
)

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

#: Initial ring capacity (spikes per neuron) and the largest one it may grow to.
RING_CAP = 16
RING_CAP_MAX = 1 << 16

_PREPARE_ERRORS = {
    -20: "Tsodyks-Markram parameters out of range (U in [0, 1], tau_rec > 0, tau_facil >= 0)",
    -21: "unknown plasticity rule",
    -22: "STDP parameters out of range (tau > 0, A >= 0, 0 <= w_min <= w_max)",
    -23: "STDP: tau_minus must be > 0",
    -24: "stochastic synapses: p must lie in [0, 1]",
    -25: "Vogels2011Rule: alpha must be >= 0 and tau_plus equal to tau_minus",
    -26: "PfisterSpikeTriplet: tau_x, tau_y must be > 0 and A3_plus, A3_minus >= 0",
    -27: "structural synapses without their structural plasticity state",
    -28: "Neuromodulation: tau_c, tau_d must be > 0 and 0 <= w_min <= w_max",
    -29: "RecurrentRule: accumulator limits must be whole numbers and dual_fsm 0 or 1",
    -30: "WeightChangeable: bounds must satisfy 0 <= weight_min < weight_max",
}


@dataclass(frozen=True)
class PlasticStatistics:
    """Sizes and counters of a board's plastic synapses.

    Attributes
    ----------
    synapses
        Plastic synapses (STDP, Tsodyks-Markram and stochastic).
    stdp_synapses
        Of which STDP.
    segments
        Row segments that hold them (one per source neuron, target core and rule).
    bytes
        All storage for plasticity: words, weights, synapse and segment state, spike rings.
    bytes_per_synapse
        ``bytes / synapses``.
    ring_capacity
        Largest spike-ring capacity (spikes per neuron) in use.
    lost
        Spike-history entries dropped unpaired at the largest ring capacity (0 unless a
        neuron fired more than that many times within its longest incoming delay).
    """

    synapses: int
    stdp_synapses: int
    segments: int
    bytes: int
    bytes_per_synapse: float
    ring_capacity: int
    lost: int


#: ``E.Rule`` as numpy sees its memory (the table pointer as an address), and which rule
#: attribute fills each field (absent ones are 0).
_RULE = np.dtype(
    [
        ("kind", np.int32),
        ("pad", np.int32),
        *((f, np.float64) for f in ("tau_plus", "tau_minus", "a_plus", "a_minus", "w_min")),
        *((f, np.float64) for f in ("w_max", "u_use", "tau_rec", "tau_facil", "p_release")),
        *((f, np.float64) for f in ("alpha", "tau_x", "a3_plus", "a3_minus")),
        ("lut_plus", np.uint64),
        ("lut_x", np.uint64),
        *((f, np.float64) for f in ("tau_c", "tau_d", "nm_w_min", "nm_w_max", "da")),
        ("lut_c", np.uint64),
        ("lut_d", np.uint64),
    ]
)
assert _RULE.itemsize == ctypes.sizeof(E.Rule)
_RULE_FIELDS = (
    ("tau_plus", "tau_plus"),
    ("tau_minus", "tau_minus"),
    ("a_plus", "A_plus"),
    ("a_minus", "A_minus"),
    ("w_min", "w_min"),
    ("w_max", "w_max"),
    ("u_use", "U"),
    ("tau_rec", "tau_rec"),
    ("tau_facil", "tau_facil"),
    ("p_release", "p"),
    ("alpha", "alpha"),
    ("tau_x", "tau_x"),
    ("a3_plus", "A3_plus"),
    ("a3_minus", "A3_minus"),
    ("tau_c", "tau_c"),
    ("tau_d", "tau_d"),
    ("nm_w_min", "nm_w_min"),
    ("nm_w_max", "nm_w_max"),
    ("da", "da"),
)

#: ``E.PlasticBlock`` as numpy sees its memory (the tau_syn pointers as addresses).
_PBLOCK = np.dtype([("rule", np.int32), ("pad", np.int32), ("tau_syn", np.uint64, (2,))])
assert _PBLOCK.itemsize == ctypes.sizeof(E.PlasticBlock)

_RING_ARRAYS = (
    "t",
    "k",
    "k2",
    "reads",
    "head",
    "len",
    "n_in",
    "col_ptr",
    "col_syn",
    "col_seg",
    "col_dr",
)


@dataclass
class _Ring:
    """One core's spike history (STDP targets), and the STDP synapses into each neuron."""

    cap: int
    t: I64
    k: F64
    k2: F64
    reads: I32
    head: I32
    len: I32
    n_in: I32
    lut: F64
    lut_y: F64
    lut_d: F64
    col_ptr: I64
    col_syn: I32
    col_seg: I32
    col_dr: I32


def _where(spec: NetworkSpec, proj_id: int) -> str:
    p = spec.projections[proj_id]
    return f"projection {p.label or proj_id!r}"


def check_plasticity(spec: NetworkSpec) -> None:
    """Raise :class:`ParameterError` for a bad rule, weight, or mixed ``tau_minus``.

    Every distinct rule of a projection whose parameters vary per synapse is checked (the
    message names its first synapse), and each STDP weight against its own synapse's
    ``[w_min, w_max]``.
    """
    tau_minus: dict[int, tuple[float, str]] = {}
    tau_y: dict[int, tuple[float, str]] = {}
    # RecurrentRule keeps its own kind of spike history (kernels_c/recurrent.c): one such rule
    # (and one dual_fsm) per postsynaptic population, no other STDP rule beside it, as in
    # sPyNNaker (one timing dependence per population)
    history: dict[int, tuple[str, str]] = {}
    for p in spec.projections:
        rule = p.plasticity
        if rule is None:
            continue
        where = _where(spec, p.id)
        if isinstance(rule, StructuralStaticSpec):
            continue  # fixed weights; the rewiring is checked by board/_structural.py
        if isinstance(rule, WeightChangeableSpec | WeightChangerSpec):
            rule.check(where)
            _check_weight_change(spec, p, rule, where)
            continue
        if not isinstance(
            rule, STDPSpec | TsodyksMarkramSpec | StochasticSpec | NeuromodulationSpec
        ):
            raise ParameterError(f"{where}: unknown plasticity {rule!r}")
        rule.check(where)
        if p.rule_params and not isinstance(rule, NeuromodulationSpec):
            _check_per_synapse(where, p, rule)
        if isinstance(rule, STDPSpec):
            # dopamine-modulated: the Neuromodulation's bounds (w_min, w_max bound c)
            bounded = f"{where} (dopamine-modulated, Neuromodulation's bounds)"
            check_weight_bounds(
                bounded if rule.tau_c else where,
                np.asarray(p.weight, dtype=np.float64),
                *p.weight_bounds(),
            )
            kind = (
                f"recurrent dual_fsm={bool(rule.dual_fsm)}"
                if rule.timing == "recurrent"
                else "trace"
            )
            seen_h = history.setdefault(p.post, (kind, where))
            if seen_h[0] != kind and "recurrent" in seen_h[0] + kind:
                label = spec.populations[p.post].label
                raise ParameterError(
                    f"{where} ({kind} STDP) and {seen_h[1]} ({seen_h[0]} STDP) reach the same "
                    f"population {label!r}: a population that receives RecurrentRule synapses "
                    "takes no other STDP rule and one dual_fsm (its neurons keep one kind of "
                    "spike history; sPyNNaker allows one timing dependence per population too)"
                )
            if rule.timing == "recurrent" and tau_minus.get(p.post, (rule.tau_minus,))[0] != (
                rule.tau_minus
            ):
                label = spec.populations[p.post].label
                raise ParameterError(
                    f"{where}: mean_post_window = {rule.tau_minus!r} ms, but "
                    f"{tau_minus[p.post][1]} into the same population {label!r} has "
                    f"mean_post_window = {tau_minus[p.post][0]!r} ms; the postsynaptic window "
                    "is drawn once per postsynaptic spike, so a population has one"
                )
            if rule.timing == "triplet":
                seen_y = tau_y.setdefault(p.post, (rule.tau_y, where))
                if seen_y[0] != rule.tau_y:
                    label = spec.populations[p.post].label
                    raise ParameterError(
                        f"{where}: tau_y = {rule.tau_y!r} ms, but {seen_y[1]} into the same "
                        f"population {label!r} has tau_y = {seen_y[0]!r} ms; the slow "
                        "postsynaptic trace belongs to the neuron, so it has one tau_y"
                    )
            seen = tau_minus.setdefault(p.post, (rule.tau_minus, where))
            if seen[0] != rule.tau_minus:
                label = spec.populations[p.post].label
                raise ParameterError(
                    f"{where}: tau_minus = {rule.tau_minus!r} ms, but {seen[1]} into the same "
                    f"population {label!r} has tau_minus = {seen[0]!r} ms; the depression "
                    "trace belongs to the postsynaptic neuron, so it has one tau_minus"
                )


def _view(array: ctypes.Array[Any], dtype: np.dtype[Any]) -> npt.NDArray[Any]:
    """Return a numpy view of a ctypes array of structs (to fill many at once)."""
    raw = (ctypes.c_uint8 * ctypes.sizeof(array)).from_buffer(array)
    return np.ctypeslib.as_array(raw).view(dtype)


def apply_neuromodulation(spec: NetworkSpec) -> None:
    """Make the STDP projections into each population that dopamine reaches modulated.

    As in sPyNNaker, a population's ``Neuromodulation`` projections (reward and punishment)
    share one ``tau_c``, ``tau_d``, ``w_min`` and ``w_max``, and modulate every STDP
    projection into it (``STDPSpec.tau_c`` and the rest; pair timing, additive weight
    dependence).  Idempotent: the loader calls it on every load, as projections may have
    been added or changed since.  Raises :class:`ParameterError` for parameters that differ,
    for a population with no STDP projection into it, and for another STDP rule.
    """
    dopamine: dict[int, tuple[NeuromodulationSpec, str]] = {}
    for p in spec.projections:
        rule = p.plasticity
        if not isinstance(rule, NeuromodulationSpec):
            continue
        where = _where(spec, p.id)
        rule.check(where)
        seen = dopamine.setdefault(p.post, (rule, where))
        a, b = seen[0], rule
        if (a.tau_c, a.tau_d, a.w_min, a.w_max) != (b.tau_c, b.tau_d, b.w_min, b.w_max):
            raise ParameterError(
                f"{where}: Neuromodulation(tau_c={b.tau_c!r}, tau_d={b.tau_d!r}, "
                f"w_min={b.w_min!r}, w_max={b.w_max!r}) differs from {seen[1]} into the "
                f"same population {spec.populations[p.post].label!r} (tau_c={a.tau_c!r}, "
                f"tau_d={a.tau_d!r}, w_min={a.w_min!r}, w_max={a.w_max!r}); the dopamine "
                "belongs to the postsynaptic neuron, so they must match"
            )
    modulated: set[int] = set()
    for p in spec.projections:
        rule = p.plasticity
        if not isinstance(rule, STDPSpec):
            continue
        nm = dopamine.get(p.post)
        if nm is None:
            if rule.tau_c:  # the Neuromodulation projection has gone (a new network)
                p.plasticity = replace(rule, tau_c=0.0, tau_d=0.0, nm_w_min=0.0, nm_w_max=0.0)
            continue
        d = nm[0]
        p.plasticity = replace(
            rule, tau_c=d.tau_c, tau_d=d.tau_d, nm_w_min=d.w_min, nm_w_max=d.w_max
        )
        p.plasticity.check(_where(spec, p.id))
        modulated.add(p.post)
    for post, (_, where) in sorted(dopamine.items()):
        if post not in modulated:
            raise ParameterError(
                f"{where}: Neuromodulation synapses modulate the STDP synapses into "
                f"population {spec.populations[post].label!r}, and it has none (add an "
                "STDPMechanism projection into it, as sPyNNaker requires)"
            )


def _check_per_synapse(
    where: str, p: ProjectionSpec, rule: STDPSpec | TsodyksMarkramSpec | StochasticSpec
) -> None:
    """Check per-synapse rule values in bulk; the first bad synapse's rule says what is wrong.

    The same conditions as the rules' ``check``, on arrays: a projection may have thousands
    of distinct rules, which cost more to make than to check this way.
    """
    p.check_rule_params()
    params = p.rule_params or {}
    v = {name: p.rule_param(name) for name in VARIABLE_RULE_PARAMS[type(rule)]}
    bad = np.zeros(len(p.pre_index), bool)
    for x in v.values():
        bad |= ~np.isfinite(x)
    if isinstance(rule, STDPSpec):
        bad |= (v["tau_plus"] <= 0) | (v["A_plus"] < 0) | (v["A_minus"] < 0)
        bad |= (v["w_min"] < 0) | (v["w_min"] > v["w_max"]) | (v["alpha"] < 0)
        if rule.timing == "triplet":
            bad |= (v["tau_x"] <= 0) | (v["A3_plus"] < 0) | (v["A3_minus"] < 0)
    elif isinstance(rule, StochasticSpec):
        bad |= (v["p"] < 0) | (v["p"] > 1)
    else:
        bad |= (v["U"] < 0) | (v["U"] > 1) | (v["tau_rec"] <= 0) | (v["tau_facil"] < 0)
    if np.any(bad):
        k = int(np.flatnonzero(bad)[0])
        one = {name: np.asarray(x)[k : k + 1] for name, x in params.items()}
        distinct_rules(where, rule, one, 1)[0][0].check(f"{where}, synapse {k}")


def _check_weight_change(
    spec: NetworkSpec,
    p: ProjectionSpec,
    rule: WeightChangeableSpec | WeightChangerSpec,
    where: str,
) -> None:
    """Check a WeightChangeable's weights, and that a WeightChanger's synapses have targets."""
    if isinstance(rule, WeightChangeableSpec):
        check_weight_bounds(where, np.asarray(p.weight, dtype=np.float64), rule.w_min, rule.w_max)
        return
    targets = [spec.projections[t] for t in rule.targets]
    for t in targets:
        if t.post != p.post or not isinstance(t.plasticity, WeightChangeableSpec):
            raise ParameterError(
                f"{where}: a WeightChanger changes a WeightChangeable projection into the same "
                "population"
            )
    _match_targets(p, targets, where)


def _match_targets(p: ProjectionSpec, targets: Sequence[ProjectionSpec], where: str) -> Any:
    """Return, per synapse k -> j (receptor r) of ``p``, the first such synapse in ``targets``.

    As two arrays: which target, and the synapse's index there; raises for one with none.
    """
    keys = np.stack([p.pre_index, p.post_index, p.receptor], axis=1).astype(np.int64)
    found_t = np.full(len(keys), -1, np.int64)
    found_i = np.full(len(keys), -1, np.int64)
    for ti, t in enumerate(targets):
        tk = np.stack([t.pre_index, t.post_index, t.receptor], axis=1).astype(np.int64)
        if not len(tk) or not len(keys):
            continue
        uniq, first = np.unique(tk, axis=0, return_index=True)
        pos = np.searchsorted(_rows(uniq), _rows(keys))
        pos = np.minimum(pos, len(uniq) - 1)
        hit = (_rows(uniq)[pos] == _rows(keys)) & (found_t < 0)
        found_t[hit] = ti
        found_i[hit] = first[pos[hit]]
    if np.any(found_t < 0):
        k = int(np.flatnonzero(found_t < 0)[0])
        raise ParameterError(
            f"{where}: WeightChanger synapse {int(p.pre_index[k])} -> {int(p.post_index[k])} "
            "has no synapse between the same neurons (and receptor) in the projection it "
            "changes"
        )
    return found_t, found_i


def _rows(a: npt.NDArray[np.int64]) -> npt.NDArray[Any]:
    """View the rows of an int64 array as single sortable items."""
    a = np.ascontiguousarray(a)
    return a.view([("", a.dtype)] * a.shape[1]).ravel()


def _changer_targets(
    spec: NetworkSpec,
    blocks: BlockTable,
    rules: Sequence[Any],
    slot: I64,
    pending0: F64,
) -> None:
    """Write into ``pending0`` each WeightChanger synapse's target index in ``w``."""
    for p in spec.projections:
        rule = p.plasticity
        if not isinstance(rule, WeightChangerSpec):
            continue
        targets = [spec.projections[t] for t in rule.targets]
        which, index = _match_targets(p, targets, f"projection {p.label or p.id!r}")
        target_w = np.zeros(len(which), np.int64)
        for ti, t in enumerate(targets):
            sel = which == ti
            target_w[sel] = blocks.p_of_projection[t.id][index[sel]]
        mine = blocks.p_of_projection[p.id]
        held = mine >= 0  # and so is its target: the same post neuron, so the same core
        pending0[slot[mine[held]]] = target_w[held]


class PlasticState:
    """Plastic weights and state of one loaded network (kept alive with the engine)."""

    def __init__(
        self,
        spec: NetworkSpec,
        blocks: BlockTable,
        core_params: Sequence[tuple[int, int, tuple[str, ...], F64]],
        engine: E.Engine,
    ) -> None:
        # core_params: per core (population id, n, parameter row names, parameter array)
        self._blocks = blocks
        self._engine = engine
        rules = blocks.rules
        n_cores = len(core_params)
        self._rules = (E.Rule * max(len(rules), 1))()
        # the table depends on tau_plus alone: rules that differ in other parameters
        # share it
        self._luts: dict[float, F64] = {}
        is_tm = np.array([isinstance(r, TsodyksMarkramSpec) for r in rules], dtype=bool)
        is_stdp = np.array([isinstance(r, STDPSpec) for r in rules], dtype=bool)
        # a pending slot per synapse: STDP's pending change, a WeightChanger's target index
        has_slot = is_stdp | np.array([isinstance(r, WeightChangerSpec) for r in rules], bool)
        # filled through a numpy view, one column per field: a network may have thousands
        # of rules (one per distinct combination of per-synapse values)
        rv = _view(self._rules, _RULE)[: len(rules)]
        kind = {
            ("pair", "additive"): E.STDP_ADDITIVE,
            ("pair", "multiplicative"): E.STDP_MULTIPLICATIVE,
            ("nearest", "additive"): E.STDP_NEAREST,
            ("nearest", "multiplicative"): E.STDP_NEAREST_MULTIPLICATIVE,
            ("vogels", "additive"): E.VOGELS,
            ("triplet", "additive"): E.TRIPLET,
            ("recurrent", "additive"): E.RECURRENT,
            ("recurrent", "multiplicative"): E.RECURRENT_MULTIPLICATIVE,
        }
        rv["kind"] = [
            (E.STDP_DOPAMINE if r.tau_c else kind[r.timing, r.weight_dependence])
            if isinstance(r, STDPSpec)
            else E.DOPAMINE_RELEASE
            if isinstance(r, NeuromodulationSpec)
            else E.WEIGHT_CHANGEABLE
            if isinstance(r, WeightChangeableSpec)
            else E.WEIGHT_CHANGER
            if isinstance(r, WeightChangerSpec)
            else E.TSODYKS_MARKRAM
            if isinstance(r, TsodyksMarkramSpec)
            else E.STRUCTURAL_STATIC
            if isinstance(r, StructuralStaticSpec)
            else E.STOCHASTIC
            for r in rules
        ]
        for field, name in _RULE_FIELDS:
            rv[field] = [float(getattr(r, name, 0.0)) for r in rules]
        for r, rule in enumerate(rules):
            if isinstance(rule, STDPSpec) and rule.timing == "recurrent":
                # kernels_c/recurrent.c reads its accumulator limits and state machines here
                rv["a3_plus"][r] = rule.accumulator_potentiation
                rv["a3_minus"][r] = rule.accumulator_depression
                rv["alpha"][r] = rule.dual_fsm
            if isinstance(rule, STDPSpec):
                lut = self._luts.setdefault(rule.tau_plus, np.zeros(512))
                rv["lut_plus"][r] = lut.ctypes.data
                if rule.timing == "triplet":
                    lut = self._luts.setdefault(rule.tau_x, np.zeros(512))
                    rv["lut_x"][r] = lut.ctypes.data
            if isinstance(rule, STDPSpec | NeuromodulationSpec) and rule.tau_c:
                for field, tau in (("lut_c", rule.tau_c), ("lut_d", rule.tau_d)):
                    rv[field][r] = self._luts.setdefault(tau, np.zeros(512)).ctypes.data

        # per block: rule, and the target's tau_syn rows for Tsodyks-Markram (written
        # through a numpy view: a network may have many blocks, one per distinct rule)
        n_blocks = len(blocks.src)
        self._pblocks = (E.PlasticBlock * max(n_blocks, 1))()
        view = _view(self._pblocks, _PBLOCK)[:n_blocks]
        view["rule"] = blocks.block_rule
        tau_rows = np.zeros((max(n_cores, 1), 2), np.uint64)  # 0: NULL, no such row
        for c, (_, n, names, params) in enumerate(core_params):
            for k, name in enumerate(("tau_syn_E", "tau_syn_I")):
                if name in names:  # a row of the core's parameters, read live
                    tau_rows[c, k] = params.ctypes.data + params.itemsize * n * names.index(name)
        tm_block = np.flatnonzero(blocks.block_rule >= 0)
        tm_block = tm_block[is_tm[blocks.block_rule[tm_block]]] if len(rules) else tm_block[:0]
        view["tau_syn"][tm_block] = tau_rows[blocks.tgt[tm_block]]

        # per plastic synapse and segment; x, y (Tsodyks-Markram) and pending (STDP) only
        # for the synapses of those rules, numbered in stream order among them
        none = np.zeros(0, bool)
        p_tm = is_tm[blocks.p_rule] if len(rules) else none
        p_stdp = is_stdp[blocks.p_rule] if len(rules) else none
        p_slot = has_slot[blocks.p_rule] if len(rules) else none
        tm_index = np.cumsum(p_tm) - 1
        stdp_index = np.cumsum(p_slot) - 1  # the synapse's slot in pending
        self.w0 = blocks.p_weight.copy()
        self.w = blocks.p_weight.copy()
        self.n_tm = int(p_tm.sum())
        self.n_stdp = int(p_stdp.sum())
        self.tm_xy = np.zeros((max(self.n_tm, 1), 2))
        n_seg = len(blocks.seg_syn)
        self.seg_syn = np.ascontiguousarray(blocks.seg_syn, dtype=np.int64)
        seg_tm = is_tm[blocks.seg_rule] if n_seg else none
        seg_stdp = has_slot[blocks.seg_rule] if n_seg else none
        # where a segment's synapses start in tm_xy (TM) or, doubled, in pending (STDP; the
        # low bit says that a change is pending); 0 for stochastic segments
        first = self.seg_syn
        self._seg_state0 = np.where(
            seg_tm,
            tm_index[first] if n_seg else 0,
            np.where(seg_stdp, 2 * stdp_index[first] if n_seg else 0, 0),
        ).astype(np.int64)
        self.seg_state = self._seg_state0.copy()
        self.seg_trace = np.zeros(max(n_seg, 1))
        self.seg_last = np.zeros(max(n_seg, 1), np.int64)
        self._triplet = any(isinstance(r, STDPSpec) and r.timing == "triplet" for r in rules)
        self.seg_trace2 = np.zeros(max(n_seg if self._triplet else 0, 1))  # triplet: r2
        # pending potentiation (kernels_c/plastic.c): nothing pending is 0 (additive) or 1
        # (RecurrentRule keeps its packed state there instead: 0 is idle, empty)
        multiplicative = np.array(
            [
                isinstance(r, STDPSpec)
                and r.weight_dependence == "multiplicative"
                and r.timing != "recurrent"
                for r in rules
            ],
            dtype=bool,
        )
        self._pending0 = (
            multiplicative[blocks.p_rule[p_slot]].astype(np.float64) if len(rules) else np.zeros(0)
        )
        _changer_targets(spec, blocks, rules, stdp_index, self._pending0)
        self.pending = np.ascontiguousarray(
            self._pending0 if len(self._pending0) else np.zeros(1)
        ).copy()

        # per STDP target core: spike rings
        stdp = p_stdp
        self._post = (E.Post * max(n_cores, 1))()
        self._rings: dict[int, _Ring] = {}
        tau_minus_of = {}
        tau_y_of: dict[int, float] = {}
        tau_d_of: dict[int, float] = {}  # dopamine-modulated targets: D's time constant
        pairs = np.unique(np.stack([blocks.tgt, blocks.block_rule], axis=1), axis=0)
        for tgt, r in pairs.tolist():
            one = rules[r] if r >= 0 else None
            if isinstance(one, STDPSpec):  # one per target (check_plasticity)
                tau_minus_of[int(tgt)] = one.tau_minus
                if one.timing == "triplet":
                    tau_y_of[int(tgt)] = one.tau_y
                if one.tau_c:
                    tau_d_of[int(tgt)] = one.tau_d
        for c, tau in sorted(tau_minus_of.items()):
            _, n, _, _ = core_params[c]
            sel = np.flatnonzero(stdp & (blocks.p_tgt == c))
            sel = sel[np.argsort(blocks.p_post[sel], kind="stable")]
            n_in = np.bincount(blocks.p_post[sel], minlength=n).astype(np.int32)
            ring = _Ring(
                cap=RING_CAP,
                t=np.zeros((n, RING_CAP), np.int64),
                k=np.zeros((n, RING_CAP)),
                # o2 where triplet rules reach the core, dopamine D where it is modulated
                k2=np.zeros((n, RING_CAP if c in tau_y_of or c in tau_d_of else 0)),
                reads=np.zeros((n, RING_CAP), np.int32),
                head=np.zeros(n, np.int32),
                len=np.zeros(n, np.int32),
                n_in=n_in,
                lut=np.zeros(512),
                lut_y=np.zeros(512),
                lut_d=np.zeros(512),
                col_ptr=np.concatenate([[0], np.cumsum(n_in)]).astype(np.int64),
                col_syn=stdp_index[sel].astype(np.int32),
                col_seg=blocks.p_seg[sel].astype(np.int32),
                col_dr=(blocks.p_delay[sel] | (blocks.p_rule[sel] << 16)).astype(np.int32),
            )
            self._rings[c] = ring
            po = self._post[c]
            po.n = n
            po.cap_max = RING_CAP_MAX
            po.tau_minus = tau
            po.lut_minus = E.ptr(ring.lut, ctypes.c_double)
            po.tau_y = tau_y_of.get(c, 0.0)
            po.lut_y = E.ptr(ring.lut_y, ctypes.c_double)
            po.tau_d = tau_d_of.get(c, 0.0)
            po.lut_d = E.ptr(ring.lut_d, ctypes.c_double)
            po.n_in = E.ptr(n_in, ctypes.c_int32)
            po.d_max = int(blocks.p_delay[sel].max()) if len(sel) else 0
            po.col_ptr = E.ptr(ring.col_ptr, ctypes.c_int64)
            po.col_syn = E.ptr(ring.col_syn, ctypes.c_int32)
            po.col_seg = E.ptr(ring.col_seg, ctypes.c_int32)
            po.col_dr = E.ptr(ring.col_dr, ctypes.c_int32)
            self._point_ring(c)

        ps = self._struct = E.Plastic()
        ps.n_rules = len(rules)
        ps.rules = ctypes.cast(self._rules, ctypes.POINTER(E.Rule))
        ps.blocks = ctypes.cast(self._pblocks, ctypes.POINTER(E.PlasticBlock))
        ps.post = ctypes.cast(self._post, ctypes.POINTER(E.Post))
        ps.seg_syn = E.ptr(self.seg_syn, ctypes.c_int64)
        ps.seg_state = E.ptr(self.seg_state, ctypes.c_int64)
        ps.seg_trace = E.ptr(self.seg_trace, ctypes.c_double)
        ps.seg_last = E.ptr(self.seg_last, ctypes.c_int64)
        ps.seg_trace2 = E.ptr(self.seg_trace2, ctypes.c_double)
        self.w = self.w if len(self.w) else np.zeros(1)
        ps.w = E.ptr(self.w, ctypes.c_double)
        ps.tm_xy = E.ptr(self.tm_xy, ctypes.c_double)
        ps.pending = E.ptr(self.pending, ctypes.c_double)
        engine.plastic = ctypes.pointer(ps)
        self.reset()
        code = E.lib().ss_plastic_prepare(ctypes.byref(engine))
        if code != 0:
            raise ParameterError(_PREPARE_ERRORS.get(code, f"plasticity rejected (code {code})"))

    def _point_ring(self, c: int) -> None:
        ring = self._rings[c]
        po = self._post[c]
        po.cap = ring.cap
        po.t = E.ptr(ring.t, ctypes.c_int64)
        po.k = E.ptr(ring.k, ctypes.c_double)
        po.k2 = E.ptr(ring.k2, ctypes.c_double)
        po.reads = E.ptr(ring.reads, ctypes.c_int32)
        po.head = E.ptr(ring.head, ctypes.c_int32)
        po.len = E.ptr(ring.len, ctypes.c_int32)

    # ---------------------------------------------------------------- during a run

    @property
    def full(self) -> bool:
        """Whether the engine stopped because a spike ring needs room."""
        return bool(self._struct.full)

    def grow(self) -> None:
        """Double every full ring (the oldest entry moves to position 0)."""
        for c, ring in self._rings.items():
            if not np.any(ring.len >= ring.cap) or ring.cap >= RING_CAP_MAX:
                continue
            cap = ring.cap * 2
            pos = (ring.head[:, None].astype(np.int64) + np.arange(ring.cap)) & (ring.cap - 1)
            rows = np.arange(len(ring.head))[:, None]
            for name in ("t", "k", "k2", "reads"):
                old = getattr(ring, name)
                if old.shape[1] == 0:  # no triplet rule into this core: no o2
                    continue
                new = np.zeros((old.shape[0], cap), old.dtype)
                new[:, : ring.cap] = old[rows, pos]
                setattr(ring, name, new)
            ring.head[:] = 0
            ring.cap = cap
            self._point_ring(c)
        self._struct.full = 0

    # ---------------------------------------------------------------- reading, reset

    def weights(self, projection: int) -> F64 | None:
        """Weights of a plastic projection's synapses in the spec's order (None: static).

        0 for a synapse this MPI rank did not build (another rank's target).
        """
        index = self._blocks.p_of_projection.get(projection)
        if index is None:
            return None
        held = index >= 0
        w = np.zeros(len(index))
        w[held] = self.w[index[held]]
        return w

    def reset(self) -> None:
        """Weights back to their initial values; traces, facilitation and histories cleared."""
        n = len(self.w0)
        self.w[:n] = self.w0
        self.seg_trace[:] = 0.0
        self.seg_trace2[:] = 0.0
        self.seg_last[:] = 0
        self.seg_state[:] = self._seg_state0
        self.pending[: len(self._pending0)] = self._pending0
        self.tm_xy[:, 0] = 1.0
        self.tm_xy[:, 1] = 0.0
        for ring in self._rings.values():
            ring.head[:] = 0
            ring.len[:] = 0
        self._struct.lost = 0
        self._struct.full = 0

    def statistics(self) -> PlasticStatistics:
        """Sizes and counters (see :class:`PlasticStatistics`)."""
        b = self._blocks
        n_syn = len(b.p_weight)
        n_seg = len(b.seg_syn)
        ring_bytes = sum(
            sum(getattr(r, f).nbytes for f in _RING_ARRAYS) for r in self._rings.values()
        )
        total = (
            4 * n_syn  # the synapse words in the rows
            + 8 * n_syn  # weights
            + 8 * self.n_stdp  # STDP: pending potentiation
            + 16 * self.n_tm  # Tsodyks-Markram x, y
            + n_seg * (2 * 4 + 4 * 8)  # segment header + number, segment state
            + (8 * n_seg if self._triplet else 0)  # triplet: r2 per segment
            + ring_bytes
        )
        return PlasticStatistics(
            synapses=n_syn,
            stdp_synapses=self.n_stdp,
            segments=n_seg,
            bytes=int(total),
            bytes_per_synapse=total / max(n_syn, 1),
            ring_capacity=max((r.cap for r in self._rings.values()), default=0),
            lost=int(self._struct.lost),
        )

    def keepalive(self) -> Any:
        """Return the struct the engine points to."""
        return self._struct
