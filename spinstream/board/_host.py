"""HostBoard: the embedded virtual board, whose cores run on this machine in the C engine."""

from __future__ import annotations

import copy
import ctypes
import dataclasses
import math
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from spinstream._indices import has_repeats
from spinstream._progress import Progress
from spinstream.board import _engine as E
from spinstream.board import _mpi
from spinstream.board._base import Board, ChunkResult
from spinstream.board._build import check_weight_bits, synapse_blocks
from spinstream.board._plastic import (
    PlasticState,
    PlasticStatistics,
    apply_neuromodulation,
    check_plasticity,
)
from spinstream.board._share import Share, SynapseCounter, share_of_rank
from spinstream.board._structural import StructuralState, StructuralStatistics
from spinstream.board._synapses import (
    MAX_ATOMS_PER_CORE,
    MAX_DELAY_STEPS,
    BlockTable,
)
from spinstream.model import (
    EngineError,
    LateInputError,
    MappingPlan,
    NetworkSpec,
    ParameterError,
    ParameterShapeError,
    ParameterValueError,
    STDPSpec,
    UnknownParameterError,
    WeightChangeableSpec,
    WeightChangerSpec,
    check_indices,
    check_parameter,
    check_weight_bounds,
    check_weights,
    first_step_at,
    spike_stamps,
)

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

#: Most threads one board runs on.
MAX_THREADS = 1024


@dataclass
class _CoreArrays:
    """The numpy arrays one core's struct points into (kept alive here)."""

    layout: E.ModelLayout
    pop: int
    lo: int
    n: int
    params: F64
    state: F64
    refrac: npt.NDArray[np.int32]
    ring: F64 | None
    i_cs: F64 | None
    spike_out: npt.NDArray[np.uint8]
    spikes: npt.NDArray[np.int32]
    sched_stamp: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    sched_index: npt.NDArray[np.int32] = field(default_factory=lambda: np.zeros(0, np.int32))
    probes: list[_Probe] = field(default_factory=list)
    probe_structs: ctypes.Array[E.Probe] | None = None


@dataclass
class _Probe:
    """One recorded state variable on one core."""

    pop: int
    var: str
    row: int
    index: npt.NDArray[np.int32]  # local neuron indices on the core
    columns: I64  # where those neurons go in the population's sample matrix
    interval: int
    out: F64 = field(default_factory=lambda: np.zeros((0, 0)))
    out_stamp: I64 = field(default_factory=lambda: np.zeros(0, np.int64))


@dataclass
class _Recording:
    indices: I64
    interval: int


def _core_layout(spec: NetworkSpec, plan: MappingPlan) -> tuple[I64, I64, I64]:
    """Each population's first global neuron id; each core's first one and its neurons."""
    sizes = np.array([p.size for p in spec.populations], dtype=np.int64)
    pop_base = np.concatenate([[0], np.cumsum(sizes)])[:-1].astype(np.int64)
    core_gid0 = np.array([pop_base[c.pop] + c.lo for c in plan.cores], dtype=np.int64)
    core_n = np.array([c.hi - c.lo for c in plan.cores], dtype=np.int64)
    return pop_base, core_gid0, core_n


def _trim_heap() -> None:
    """Hand the heap's freed memory back to the system, once the rows are built.

    Building the rows frees hundreds of megabytes in pieces (the drawn blocks, the build
    records, the board's rows once the threads hold copies), which glibc's malloc keeps for
    reuse, in the arenas of the threads that drew them; ``malloc_trim`` returns what it can.
    Measured on the microcircuit on 2 threads, while running: 9.4 -> 8.6 bytes a synapse at
    scale 0.3, 8.1 -> 7.1 at full scale (benchmarks/RESULTS.md).  Nothing to do with
    another C library.
    """
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS)
        return
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    trim(0)


def _ring_slots(max_delay: int) -> int:
    """Slots of a delay ring that takes delays up to ``max_delay`` steps (a power of two)."""
    return 1 << max(1, int(max_delay).bit_length())


def _broadcast(where: str, name: str, values: npt.ArrayLike, n: int, dtype: type) -> Any:
    """One value or ``n`` values as a new array of ``dtype`` (integers must be whole)."""
    try:
        raw = np.asarray(values, dtype=np.float64)
        out = np.broadcast_to(raw, (n,)).copy() if raw.ndim <= 1 else None
    except (TypeError, ValueError):
        out = None
    if out is None:
        raise ParameterError(f"{where}: {name}: expected a number or {n} numbers")
    if np.any(np.isnan(out)):
        raise ParameterError(f"{where}: {name} must not be NaN")
    if dtype is np.int64:
        if not np.all(np.isfinite(out)) or np.any(out != np.rint(out)):
            raise ParameterError(f"{where}: {name} must be whole numbers of steps")
        return out.astype(np.int64)
    return out


def check_threads(where: str, threads: object) -> int:
    """Return ``threads`` as an int in [1, MAX_THREADS], or raise ParameterError."""
    if isinstance(threads, bool) or not isinstance(threads, int | np.integer):
        raise ParameterError(f"{where}: threads must be a whole number, got {threads!r}")
    if not 1 <= int(threads) <= MAX_THREADS:
        raise ParameterError(f"{where}: threads must be in [1, {MAX_THREADS}], got {threads}")
    return int(threads)


def _check_network(spec: NetworkSpec) -> None:
    """Refuse what the engine would silently misread or crash on, naming the culprit.

    Run before a load changes anything.  Parameter ranges are checked per core by the load.
    """
    pops = spec.populations
    n_pops = len(pops)
    for p in pops:
        where = f"population {p.label!r}"
        if p.model not in E.models():
            raise ParameterError(
                f"{where}: model {p.model!r} is not supported; known: {sorted(E.models())}"
            )
        lay = E.layout(p.model, p.receptors)
        for kind, given, known in (
            ("parameter", p.params, lay.pynn_params),
            ("state variable", p.initial, lay.recordable_state),
        ):
            for key, values in given.items():
                if key not in known:
                    raise UnknownParameterError(
                        f"{where}: {p.model} has no {kind} {key!r}; it has {list(known)}"
                    )
                if np.shape(values) != (p.size,):
                    raise ParameterShapeError(
                        f"{where}: {kind} {key!r} has shape {np.shape(values)}; expected "
                        f"{p.size} values, one per neuron"
                    )
    max_delay = (1 << E.W_DELAY_BITS) - 1
    for proj in spec.projections:
        where = f"projection {proj.label!r}" if proj.label else f"projection {proj.id}"
        for end, pid in (("pre", proj.pre), ("post", proj.post)):
            if not 0 <= pid < n_pops:
                raise ParameterError(
                    f"{where}: {end} population {pid} does not exist (the network has {n_pops})"
                )
        post = pops[proj.post]
        post_layout = E.layout(post.model, post.receptors)
        if post_layout.is_source:
            raise ParameterError(
                f"{where}: its post population {post.label!r} is a spike source "
                f"({post.model}), which cannot receive synapses"
            )
        if getattr(proj, "is_drawn", False):
            continue  # drawn when read: checked as drawn, and as the rows are built
        n = len(proj.pre_index)
        for key in ("post_index", "weight", "delay_steps", "receptor"):
            if len(getattr(proj, key)) != n:
                raise ParameterError(
                    f"{where}: {len(getattr(proj, key))} values of {key} for {n} synapses"
                )
        if n == 0:
            continue
        for end, index, target in (
            ("pre", proj.pre_index, pops[proj.pre]),
            ("post", proj.post_index, post),
        ):
            index = np.asarray(index)
            bad = (index < 0) | (index >= target.size)
            if bad.any():
                raise ParameterError(
                    f"{where}: {end} index {int(index[bad][0])} is outside [0, {target.size}) "
                    f"of population {target.label!r}"
                )
        # a WeightChanger's weights are signed changes of another projection's weights
        changer = isinstance(proj.plasticity, WeightChangerSpec)
        check_weights(where, proj.weight, post_layout.signed_weights or changer)
        delay = np.asarray(proj.delay_steps)
        bad = (delay < 1) | (delay > max_delay)
        if bad.any():
            d = int(delay[bad][0])
            raise ParameterError(
                f"{where}: a delay of {d} steps ({d * spec.dt:g} ms) is outside "
                f"[1, {max_delay}] steps ([{spec.dt:g}, {max_delay * spec.dt:g}] ms)"
            )
        receptor = np.asarray(proj.receptor)
        bad = (receptor < 0) | (receptor >= post_layout.n_receptors)
        if bad.any():
            names = ", ".join(f"{i} ({r})" for i, r in enumerate(post_layout.receptors))
            raise ParameterError(
                f"{where}: receptor {int(receptor[bad][0])} does not exist; {post.model} has "
                f"{names}"
            )
    for i, cs in enumerate(spec.current_sources):
        if cs.kind not in E.CS_KINDS:
            raise ParameterError(
                f"current source {i}: kind {cs.kind!r} is not one of {sorted(E.CS_KINDS)}"
            )
        for pid, _ in cs.targets:
            if not 0 <= pid < n_pops:
                raise ParameterError(
                    f"current source {i}: target population {pid} does not exist (the "
                    f"network has {n_pops})"
                )
            if E.layout(pops[pid].model).is_source:
                raise ParameterError(
                    f"current source {i}: its target population {pops[pid].label!r} is a spike "
                    f"source ({pops[pid].model}), which takes no current"
                )


class HostBoard(Board):
    """The embedded default board: a virtual SpiNN-5 machine whose cores run in the C engine.

    Parameters
    ----------
    spike_buffer
        Initial capacity (spikes) of the output buffer; it grows as needed, and a long run is
        split internally whenever the buffer needs draining.
    threads
        Threads that run the cores (1 to 1024; at most one per core is used).  The results
        are the same bit for bit whatever the number (docs/ENGINE.md, "Threads").  Default
        1: more threads only pay when the machine has that many idle cores and the network
        is large (tens of thousands of neurons); on a loaded or small machine they wait for
        each other at every step.
    comm
        The MPI processes the board spans (an mpi4py communicator; ``None``: every process
        of ``mpirun``/``srun`` when the script was started by one, else this process alone).
        Every rank builds the same network and runs the same calls; rank r runs its share of
        the cores on ``threads`` threads, and the spikes and traces are the same bit for bit
        for every number of processes and threads (docs/ENGINE.md, "Processes").
    weight_bits
        Bits of each stored static weight: 32 (default: float32, as a synapse's weight is
        given, or exact through a block's weight table) or 16 (opt-in: a block of more
        than 512 distinct weights, whose weights are finite and of one sign, stores each as
        a 16-bit multiple of the block's largest |weight| / 65535, rounded to the nearest:
        4 bytes a synapse instead of 6, and a weight error up to 1/131070 of that largest
        weight; docs/ENGINE.md, "Synaptic rows").  16 is refused at load for a network with
        plastic synapses.
    """

    #: Longest synaptic delay (steps) the rows can hold.
    max_delay_steps = MAX_DELAY_STEPS

    def __init__(
        self,
        spike_buffer: int = 1 << 16,
        threads: int = 1,
        comm: Any = None,
        weight_bits: int = 32,
    ) -> None:
        self._threads = check_threads("HostBoard", threads)
        self._weight_bits = check_weight_bits("HostBoard", weight_bits)
        self._lib = E.lib()
        self._procs = _mpi.processes(comm)
        self._digest = 0  # input applied (MPI ranks compare it at every step)
        self._inputs: list[tuple[int, str, Any, Any]] = []  # input calls since the last run
        self._owe_sync = (
            self._procs is not None
        )  # MPI: rank 0 starts a run here: take its input first
        self._probe_digest = 0  # the recorded state variables (the same on every rank)
        self._loaded = False
        self._spike_buffer = spike_buffer
        self._recordings: dict[tuple[int, str], _Recording] = {}
        self._rec_currents: set[int] = set()  # current sources recorded (kept across loads)

    # ---------------------------------------------------------------- load

    def load(self, spec: NetworkSpec, plan: MappingPlan) -> None:
        """Build every core's state block, the synaptic blocks and the resolved routes.

        A network that cannot be loaded raises :class:`ParameterError` (naming the culprit)
        and leaves the board as it was: still loaded with its previous network, if any.
        """
        _check_network(spec)
        counter = None
        if self._procs is not None:
            self._procs.open()  # again after close()
            self._procs.adopt_values(spec)  # rank 0's input reached the others' boards only
            # the synapses onto each core, counted as the ranks compare their networks (no
            # pass of its own): each rank then builds only its own cores' rows
            pop_base, core_gid0, core_n = _core_layout(spec, plan)
            counter = SynapseCounter(core_gid0, core_n, pop_base)
            counter.add_known(spec)  # drawn projections that know their in-degrees
            self._procs.check_same_network(
                spec, self._threads, counter.visit, weight_bits=self._weight_bits
            )
            self._inputs, self._owe_sync, self._digest = [], True, 0
        saved = dict(self.__dict__)
        saved["_recordings"] = dict(self._recordings)
        saved["_rec_currents"] = set(self._rec_currents)
        try:
            self._load(spec, plan, counter)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise

    def _load(self, spec: NetworkSpec, plan: MappingPlan, counter: SynapseCounter | None) -> None:
        """Load in steps, each a method below; any step may raise (``load`` undoes it).

        ``counter``: over MPI, the synapses onto each core, counted while the ranks compared
        their networks (None in one process).
        """
        spec = self._take_spec(spec, plan)
        n_cores = len(plan.cores)
        self._validate_models(spec)
        self._lay_out_cores(spec, plan)
        self._build_synapse_blocks(spec, counter)
        self._build_cores(spec, plan)
        self._build_engine(n_cores)
        self._build_plastic(spec)
        for cid in range(n_cores):
            self._prepare(cid)
        self._build_current_sources()
        self._arm_spike_sources(spec)
        self._sampled_initial = False
        self._loaded = True
        self._start_recordings(spec)

    def _take_spec(self, spec: NetworkSpec, plan: MappingPlan) -> NetworkSpec:
        """Keep the network and its plan; returns the board's own copy of the spec."""
        # the board's own projections (set_synapses changes them); the rest is the caller's
        # (shallow copies: a projection drawn when read stays so)
        spec = dataclasses.replace(spec, projections=[copy.copy(p) for p in spec.projections])
        self._spec = spec
        self._plan = plan
        self._dt = float(spec.dt)
        return spec

    def _validate_models(self, spec: NetworkSpec) -> None:
        """Refuse a population whose model the engine does not have."""
        pops = spec.populations
        for p in pops:
            if p.model not in E.models():
                raise ParameterError(
                    f"population {p.label!r}: model {p.model!r} is not supported; known: "
                    f"{sorted(E.models())}"
                )

    def _lay_out_cores(self, spec: NetworkSpec, plan: MappingPlan) -> None:
        """Give each population and each core its first global neuron id."""
        self._pop_base, core_gid0, core_n = _core_layout(spec, plan)
        self._core_gid0, self._core_n = core_gid0, core_n
        if core_n.size and core_n.max() > MAX_ATOMS_PER_CORE:
            raise ParameterError(f"at most {MAX_ATOMS_PER_CORE} neurons fit on one core")
        self._pop_cores = {pid: list(ids) for pid, ids in plan.pop_cores.items()}
        self._pop_core_lo = {
            pid: np.array([plan.cores[c].lo for c in ids], dtype=np.int64)
            for pid, ids in plan.pop_cores.items()
        }

    def _build_synapse_blocks(self, spec: NetworkSpec, counter: SynapseCounter | None) -> None:
        """Build the synaptic blocks (rows per source core and target core)."""
        apply_neuromodulation(spec)  # sPyNNaker's Neuromodulation: modulated STDP rules
        check_plasticity(spec)
        self._share = self._own_share(spec, counter)
        targets = None if self._share is None else self._share.targets
        self._blocks = synapse_blocks(
            spec,
            self._core_gid0,
            self._core_n,
            self._pop_base,
            targets,
            show=self.rank == 0,
            weight_bits=self._weight_bits,
        )

    def _own_share(self, spec: NetworkSpec, counter: SynapseCounter | None) -> Share | None:
        """Over MPI: this rank's cores, before the rows exist.

        Every rank counts the synapses onto each core and assigns the cores alike
        (``_share``), so that each builds the rows of its own targets alone (plastic
        synapses and their state too) and draws only the blocks of drawn static projections
        that reach them.  None in one process.
        """
        if counter is None:  # one process
            return None
        syn_in = counter.counts()  # while the ranks compared their networks
        pops = spec.populations
        is_source = np.array(
            [
                E.layout(pops[c.pop].model, pops[c.pop].receptors).is_source
                for c in self._plan.cores
            ],
            dtype=bool,
        )
        procs = self._procs
        assert procs is not None  # a counter is made over MPI only
        return share_of_rank(
            syn_in, self._core_gid0, self._core_n, is_source, self._threads, procs.rank, procs.size
        )

    def _build_cores(self, spec: NetworkSpec, plan: MappingPlan) -> None:
        """Build every core's parameter, state and ring arrays and its engine struct."""
        pops = spec.populations
        core_gid0 = self._core_gid0
        n_cores = len(plan.cores)
        targeted_cores: set[int] = set()
        for source in spec.current_sources:
            for pid, idx in source.targets:
                cores = self._cores_of(pid, np.asarray(idx, dtype=np.int64))[0]
                targeted_cores.update(int(c) for c in np.unique(cores))

        self._cores: list[_CoreArrays] = []
        self._core_structs = (E.Core * max(n_cores, 1))()
        for cid, cs in enumerate(plan.cores):
            pop = pops[cs.pop]
            lay = E.layout(pop.model, pop.receptors)
            n = cs.hi - cs.lo
            params = np.zeros((len(lay.params), n))
            row_of = {name: r for r, name in enumerate(lay.params)}
            for name in lay.pynn_params:
                r = row_of[name]
                if name not in pop.params:
                    raise ParameterError(
                        f"population {pop.label!r}: parameter {name!r} of {pop.model} is missing"
                    )
                values = np.asarray(pop.params[name], dtype=np.float64)[cs.lo : cs.hi]
                params[r] = check_parameter(lay, pop.label, name, values)
            state = np.zeros((len(lay.state), n))
            for r, name in enumerate(lay.state):
                if name in pop.initial:
                    state[r] = np.asarray(pop.initial[name], dtype=np.float64)[cs.lo : cs.hi]
            ring = None
            if lay.n_receptors:
                slots = _ring_slots(int(self._blocks.max_delay_into[cid]))
                ring = np.zeros((slots, lay.n_receptors, n))
            arrays = _CoreArrays(
                layout=lay,
                pop=cs.pop,
                lo=cs.lo,
                n=n,
                params=params,
                state=state,
                refrac=np.zeros(n, np.int32),
                ring=ring,
                i_cs=np.zeros(n) if not lay.is_source else None,
                spike_out=np.zeros(n, np.uint8),
                spikes=np.zeros(max(n, 1), np.int32),
            )
            self._cores.append(arrays)
            st = self._core_structs[cid]
            st.model = lay.model_id
            st.n = n
            st.n_receptors = lay.n_receptors
            st.ring_mask = (ring.shape[0] - 1) if ring is not None else 0
            st.gid0 = int(core_gid0[cid])
            st.cs_active = int(cid in targeted_cores)
            if pop.seed is None:
                E.seed_rng(st.rng, spec.seed, cid + 1)
            else:  # the population's own seed; streams by the core's first neuron
                E.seed_rng(st.rng, pop.seed, 0x20000 + cs.lo)
            self._point_core(cid)

    def _build_plastic(self, spec: NetworkSpec) -> None:
        """Attach the plasticity state, if any projection learns (or rewires)."""
        self._plastic: PlasticState | None = None
        self._structural: StructuralState | None = None
        if any(p.structural is not None for p in spec.projections):
            self._structural = StructuralState(
                spec,
                self._blocks,
                [(a.pop, a.lo, a.n) for a in self._cores],
                self._engine,
                None if self._share is None else self._share.targets,
            )
        if self._blocks.rules:
            self._plastic = PlasticState(
                spec,
                self._blocks,
                [(a.pop, a.n, a.layout.params, a.params) for a in self._cores],
                self._engine,
            )

    def _arm_spike_sources(self, spec: NetworkSpec) -> None:
        """Load spike-time arrays and start the sources' spike trains."""
        pops = spec.populations
        #: what reset() replays: the spike arrays as loaded, then as set_spike_times changed them
        self._spike_times: dict[int, list[F64]] = {
            p.id: [np.asarray(t, dtype=np.float64) for t in p.spike_times]
            for p in pops
            if p.spike_times is not None
        }
        self._reset_schedules()
        self._restart_all_sources()

    def _start_recordings(self, spec: NetworkSpec) -> None:
        """Re-apply what was being recorded; drop (and raise) what the network lacks."""
        pops = spec.populations
        for (rec_pop, var), rec in list(self._recordings.items()):
            try:
                if rec_pop >= len(pops):
                    raise ParameterError(f"cannot record population {rec_pop}: there is none")
                if var != "spikes":
                    self._row(rec_pop, var, "record")
                self._cores_of(rec_pop, rec.indices)
            except ParameterError:
                del self._recordings[(rec_pop, var)]
                self._apply_recordings()
                raise
        self._apply_recordings()

    def _point_core(self, cid: int) -> None:
        a = self._cores[cid]
        st = self._core_structs[cid]
        st.params = E.ptr(a.params, ctypes.c_double)
        st.state = E.ptr(a.state, ctypes.c_double)
        st.refrac = E.ptr(a.refrac, ctypes.c_int32)
        st.ring = E.ptr(a.ring, ctypes.c_double)
        st.i_cs = E.ptr(a.i_cs, ctypes.c_double)
        st.spike_out = E.ptr(a.spike_out, ctypes.c_uint8)
        st.spikes = E.ptr(a.spikes, ctypes.c_int32)

    def _build_engine(self, n_cores: int) -> None:
        self._out_stamp = np.zeros(self._spike_buffer, np.int64)
        self._out_gid = np.zeros(self._spike_buffer, np.int64)
        e = E.Engine()
        e.dt = self._dt
        e.step = 0
        e.n_cores = n_cores
        e.cores = ctypes.cast(self._core_structs, ctypes.POINTER(E.Core))
        e.pool = None
        self._engine = e
        self._point_synapses()
        self._set_output_buffer()

    def _point_synapses(self) -> None:
        """Point the engine at ``self._blocks``: block structs, rows, resolved routes."""
        b: BlockTable = self._blocks
        plan = self._plan
        n_cores = len(plan.cores)
        n_blocks = len(b.src)
        self._block_structs = (E.Block * max(n_blocks, 1))()
        for i in range(n_blocks):
            st = self._block_structs[i]
            st.target = int(b.tgt[i])
            st.format = int(b.fmt[i])
            st.wtab = ctypes.cast(
                b.wtab.ctypes.data + 8 * int(b.wtab_start[i]), ctypes.POINTER(ctypes.c_double)
            )
            st.wrec = ctypes.cast(
                b.wrec.ctypes.data + 4 * int(b.wtab_start[i]), ctypes.POINTER(ctypes.c_int32)
            )
        stream = b.stream if len(b.stream) else np.zeros(1, np.uint32)
        self._stream = stream
        for cid in range(n_cores):
            core = self._core_structs[cid]
            core.rows = E.ptr(stream, ctypes.c_uint32)
            core.row_ptr = ctypes.cast(
                b.row_ptr.ctypes.data + 8 * int(b.row_ptr_start[cid]),
                ctypes.POINTER(ctypes.c_uint64),
            )
            core.block0 = int(b.core_block0[cid])
        block_of = {(int(s), int(t)): i for i, (s, t) in enumerate(zip(b.src, b.tgt, strict=True))}
        ptrs = [0]
        targets: list[int] = []
        blocks: list[int] = []
        for cid in range(n_cores):
            for t in plan.routes.get(cid, ()):
                targets.append(int(t))
                blocks.append(block_of.pop((cid, int(t)), -1))
            ptrs.append(len(targets))
        if block_of:
            (s, t), _ = next(iter(block_of.items()))
            cs, ct = plan.cores[s], plan.cores[t]
            raise EngineError(
                f"synapses from core ({cs.x}, {cs.y}, {cs.p}) to core ({ct.x}, {ct.y}, {ct.p}) "
                "have no route in the routing tables"
            )
        self._route_ptr = np.array(ptrs, np.int32)
        self._route_target = np.array(targets or [0], np.int32)
        self._route_block = np.array(blocks or [0], np.int32)
        e = self._engine
        e.n_blocks = n_blocks
        e.blocks = ctypes.cast(self._block_structs, ctypes.POINTER(E.Block))
        e.route_ptr = E.ptr(self._route_ptr, ctypes.c_int32)
        e.route_target = E.ptr(self._route_target, ctypes.c_int32)
        e.route_block = E.ptr(self._route_block, ctypes.c_int32)
        what = "starting the engine"
        if self._threads > 1:
            what = f"giving each of the {self._threads} engine threads its rows"
        starting = Progress(what, show=self.rank == 0)
        self._start_pool()
        starting.done()
        if self._lib.ss_pool_copied_rows(e.pool):  # the threads hold their own copies
            self._release_board_rows()
        _trim_heap()

    def _release_board_rows(self) -> None:
        """Drop the board's rows once the engine's threads hold their own copies of them.

        With T > 1 threads every row is copied, split by target thread (kernels_c/threads.c),
        and the engine reads only the copies (one thread reads the board's rows); a new
        pool is made only here, from new rows (``_point_synapses``), so keeping the board's
        stream would double the synapses' memory for nothing.  ``synapses.stream`` is then
        empty (``released_words`` says how many words it had).
        """
        b = self._blocks
        b.released_words = len(b.stream)
        b.stream = np.zeros(0, np.uint32)
        self._stream = np.zeros(1, np.uint32)  # never read: no pool is made from it
        for cid in range(len(self._plan.cores)):
            self._core_structs[cid].rows = E.ptr(self._stream, ctypes.c_uint32)

    def _start_pool(self) -> None:
        """Split the rows among the engine's threads and start them (again, after a change).

        The pool lives as long as its engine struct: a finalizer destroys it (joining the
        threads) when the struct goes, or when a newer pool replaces it.
        """
        e = self._engine
        old = getattr(self, "_pool_fin", None)
        share = self._share
        if self._procs is None or share is None:  # one process (over MPI there is a share)
            handle = self._lib.ss_pool_create(ctypes.byref(e), self._threads)
        else:  # the share this rank built its rows for (board/_share.py)
            handle = self._lib.ss_pool_create_owned(
                ctypes.byref(e),
                self._threads,
                self._procs.handle,
                E.ptr(share.owner, ctypes.c_int32),
            )
        if not handle:
            raise EngineError(
                f"HostBoard: could not start {self._threads} engine threads (the system "
                "refused memory or a thread)"
            )
        e.pool = handle
        self._pool_fin = weakref.finalize(e, self._lib.ss_pool_destroy, handle)
        if old is not None and old.alive and old.peek()[0] is e:
            old()
        limit = getattr(self, "_window_limit", None)
        if limit is not None:
            self._lib.ss_pool_set_window(handle, limit)  # at most the rows' shortest delay

    @property
    def weight_bits(self) -> int:
        """Bits of each stored static weight (16 or 32; see the class docstring)."""
        return self._weight_bits

    @property
    def threads(self) -> int:
        """Threads asked for (``core_threads`` says which runs each core)."""
        return self._threads

    @property
    def window(self) -> int:
        """Most steps the engine runs before it delivers their spikes.

        Over MPI the processes exchange them then. It is the shortest synaptic delay in
        steps (over MPI, from the first run on, of every rank's synapses), at most 16; 1 with
        plastic synapses, and with current sources on more than one thread
        (docs/ENGINE.md, "Windows"). Results do not depend on it.
        """
        self._require_loaded()
        return int(self._lib.ss_pool_window(self._engine.pool, ctypes.byref(self._engine)))

    def windows_run(self) -> int:
        """Windows the engine has run since the synapses were last loaded or changed."""
        self._require_loaded()
        return int(self._lib.ss_pool_windows(self._engine.pool))

    def limit_window(self, steps: int) -> None:
        """Deliver spikes at least every ``steps`` steps (>= 1), to compare or to measure.

        The spikes and traces are the same bit for bit whatever the window.
        """
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
            raise ParameterError(
                f"HostBoard.limit_window: steps must be an int >= 1, not {steps!r}"
            )
        self._window_limit = int(steps)
        if getattr(self, "_engine", None) is not None and self._engine.pool:
            self._lib.ss_pool_set_window(self._engine.pool, int(steps))

    def core_threads(self) -> npt.NDArray[np.int32]:
        """Return the thread that updates each core and adds into its delay rings (by core id).

        Over several MPI processes: the part, ``rank * threads + thread`` (a source core is
        drawn by every rank: its part is on this rank).
        """
        self._require_loaded()
        out = np.zeros(max(len(self._cores), 1), np.int32)
        self._lib.ss_pool_owners(self._engine.pool, E.ptr(out, ctypes.c_int32))
        return out[: len(self._cores)]

    @property
    def rank(self) -> int:
        """Return this process's MPI rank among the board's processes (0 in one process)."""
        return self._procs.rank if self._procs is not None else 0

    @property
    def processes(self) -> int:
        """MPI processes the board spans (1: this process alone)."""
        return self._procs.size if self._procs is not None else 1

    @property
    def shared_segment(self) -> bool:
        """Whether the processes exchange spikes through memory they share, not MPI_Allgather.

        True while loaded when every rank runs on one node (``SPINSTREAM_MPI_SHM=0`` turns
        it off); False in one process (docs/GUIDE.md, "MPI").
        """
        return self._procs is not None and self._procs.shared_segment

    def core_ranks(self) -> npt.NDArray[np.int32]:
        """Return the rank that updates each core (by core id; sources: every rank, -1)."""
        parts = self.core_threads()
        ranks = (parts // max(self._effective_threads(), 1)).astype(np.int32)
        for cid, a in enumerate(self._cores):
            if a.layout.is_source:
                ranks[cid] = -1
        return ranks

    def _effective_threads(self) -> int:
        return int(self._lib.ss_pool_threads(self._engine.pool))

    def local_mask(self, pop: int) -> npt.NDArray[np.bool_]:
        """Which neurons of a population this rank updates (all of a spike source's)."""
        self._require_loaded()
        self._check_pop(pop)
        size = self._spec.populations[pop].size
        if self._procs is None:
            return np.ones(size, bool)
        ranks = self.core_ranks()
        cores, _ = self._cores_of(pop, np.arange(size, dtype=np.int64))
        r = ranks[cores]
        mask: npt.NDArray[np.bool_] = (r == self.rank) | (r < 0)
        return mask

    def _noted_input(
        self, name: str, step: int, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        """Add an input call to the digest the ranks compare (kernels_c/mpi.c) and keep it."""
        d = _mpi.op_digest(name, step, args, kwargs)
        self._digest = _mpi.add_digests(self._digest, d)
        assert self._procs is not None
        if self._procs.rank == 0:  # sent to the others before the next run
            self._inputs.append((d, name, _mpi.keep(args), _mpi.keep(kwargs)))
        else:
            self._inputs.append((d, name, None, None))

    def _sync_inputs(self) -> None:
        """Make, on every rank, the input calls rank 0 made since its last run.

        Called where rank 0 starts a run (every rank stops there: ss_comm_set_lead); a rank
        makes the calls it did not make itself, at the same step as rank 0 did.
        """
        procs = self._procs
        assert procs is not None
        mine, self._inputs = self._inputs, []
        theirs = procs.exchange_inputs(mine)
        self._owe_sync = False
        if procs.rank == 0:
            return
        # This rank made its own calls already: they must be rank 0's first calls, in the same
        # order, so that making rank 0's other calls after them keeps rank 0's order.
        own = [d for d, *_ in mine]
        if [d for d, *_ in theirs[: len(own)]] != own:
            names = [name for _, name, *_ in theirs]
            raise EngineError(
                f"rank {procs.rank}: between two runs rank 0 made the input calls {names} and "
                f"this rank {[name for _, name, *_ in mine]}: input every rank gives must come "
                "first, in the same order on every rank, and input given on rank 0 alone after "
                "it (so that every rank applies it all in rank 0's order)"
            )
        for _d, name, args, kwargs in theirs[len(own) :]:
            getattr(self, name)(*args, **kwargs)
        self._inputs = []

    def _local_cores(self) -> npt.NDArray[np.bool_]:
        """Per core: this rank holds its current state (its own cores, and every source)."""
        if self._procs is None:
            return np.ones(len(self._cores), bool)
        r = self.core_ranks()
        mask: npt.NDArray[np.bool_] = (r == self.rank) | (r < 0)
        return mask

    def _set_output_buffer(self) -> None:
        e = self._engine
        e.out_stamp = E.ptr(self._out_stamp, ctypes.c_int64)
        e.out_gid = E.ptr(self._out_gid, ctypes.c_int64)
        e.out_cap = len(self._out_stamp)
        e.out_n = 0
        e.out_lost = 0
        self._update_reserve()

    def _update_reserve(self) -> None:
        """Room a step needs in the output buffer: every recorded neuron once, plus sources."""
        reserve = 64
        for cid, a in enumerate(self._cores):
            n_out = int(a.spike_out.sum())
            if not n_out:
                continue
            if "_lambda" in a.layout.params:
                lam_row = a.layout.params.index("_lambda")
                lam = a.params[lam_row][a.spike_out.astype(bool)]
                reserve += int(np.ceil(lam.sum() * 4 + 10 * np.sqrt(lam.sum() + 1))) + n_out
            elif a.layout.model_id == E.models()["SpikeSourceArray"].model_id:
                # SpikeSourceArray and SpikeInjector: their busiest step (stamps that are
                # already due all go out in the next step), however many spikes that is
                reserve += _busiest_step(self._pending(cid)[0], self.step + 1) + n_out
            else:
                reserve += n_out
        e = self._engine
        if reserve * 2 > e.out_cap:
            cap = 1 << int(reserve * 2).bit_length()
            self._out_stamp = np.zeros(cap, np.int64)
            self._out_gid = np.zeros(cap, np.int64)
            e.out_stamp = E.ptr(self._out_stamp, ctypes.c_int64)
            e.out_gid = E.ptr(self._out_gid, ctypes.c_int64)
            e.out_cap = cap
            e.out_n = 0
        e.out_reserve = reserve

    def _prepare(self, cid: int) -> None:
        code = self._lib.ss_prepare_core(ctypes.byref(self._engine), cid)
        if code == 0:
            return
        a = self._cores[cid]
        label = self._spec.populations[a.pop].label
        row = E.ERR_PARAM - code
        if 0 <= row < len(a.layout.params) and a.layout.params[row] in a.layout.pynn_params:
            # the engine's own check: it agrees with check_parameter, which names the value
            check_parameter(a.layout, label, a.layout.params[row], a.params[row])
        raise ParameterValueError(
            f"population {label!r}: invalid parameters for {a.layout.name} "
            + (
                "(the rate is too high for the dead time tau_refrac)"
                if code == E.ERR_RATE
                else f"(the engine's code {code})"
            )
        )

    def _restart_all_sources(self) -> None:
        for cid, a in enumerate(self._cores):
            if a.layout.is_source and a.layout.name != "SpikeSourceArray":
                idx = np.arange(a.n, dtype=np.int32)
                self._lib.ss_restart_sources(
                    ctypes.byref(self._engine), cid, E.ptr(idx, ctypes.c_int32), a.n
                )

    # ---------------------------------------------------------------- current sources

    def _build_current_sources(self) -> None:
        specs = self._spec.current_sources
        self._csrc_structs = (E.CurrentSource * max(len(specs), 1))()
        self._csrc_arrays: list[dict[str, np.ndarray]] = []
        self._csrc_rec: dict[int, np.ndarray] = {}  # recording buffers, grown by run()
        for i, cs in enumerate(specs):
            if cs.kind not in E.CS_KINDS:
                raise ParameterError(
                    f"current source {i}: kind {cs.kind!r} is not one of {sorted(E.CS_KINDS)}"
                )
            cores_l, index_l = [], []
            for pid, idx in cs.targets:
                c, local = self._cores_of(pid, np.asarray(idx, dtype=np.int64))
                cores_l.append(c)
                index_l.append(local)
            t_core = np.concatenate(cores_l).astype(np.int32) if cores_l else np.zeros(0, np.int32)
            t_index = (
                np.concatenate(index_l).astype(np.int32) if index_l else np.zeros(0, np.int32)
            )
            arrays: dict[str, np.ndarray] = {
                "t_core": t_core,
                "t_index": t_index,
                "noise": np.zeros(len(t_core)),
            }
            self._csrc_arrays.append(arrays)
            st = self._csrc_structs[i]
            st.kind = E.CS_KINDS[cs.kind]
            st.n_targets = len(t_core)
            st.t_core = E.ptr(t_core, ctypes.c_int32)
            st.t_index = E.ptr(t_index, ctypes.c_int32)
            st.noise = E.ptr(arrays["noise"], ctypes.c_double)
            E.seed_rng(st.rng, self._spec.seed, 0x10000 + i)
            self._set_csrc_params(i, dict(cs.params))
        self._engine.n_csrc = len(specs)
        self._engine.csrc = ctypes.cast(self._csrc_structs, ctypes.POINTER(E.CurrentSource))

    def _set_csrc_params(self, i: int, params: Mapping[str, object]) -> None:
        st = self._csrc_structs[i]
        dt = self._dt

        def num(name: str, default: float) -> float:
            value = params.get(name, default)
            try:
                return float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise ParameterError(
                    f"current source {i}: {name!r} must be a number, got {value!r}"
                ) from None

        def to_step(t: float) -> int:
            m = first_step_at(t, dt)
            return 2**62 if math.isinf(m) else int(m)

        st.start = to_step(num("start", 0.0))
        st.stop = to_step(num("stop", math.inf))
        st.amplitude = num("amplitude", 0.0)
        st.offset = num("offset", 0.0)
        st.frequency = num("frequency", 0.0)
        st.phase = math.radians(num("phase", 0.0))
        st.mean = num("mean", 0.0)
        st.stdev = num("stdev", 0.0)
        if st.kind == E.CS_KINDS["noisy"]:
            noise_dt = num("dt", dt)
            interval = round(noise_dt / dt)
            if interval < 1 or abs(interval * dt - noise_dt) > 1e-9 * max(1.0, noise_dt):
                raise ParameterError(
                    f"current source {i}: noise dt {noise_dt} ms must be a multiple of the "
                    f"time step {dt} ms"
                )
            if st.stdev < 0:
                raise ParameterError(f"current source {i}: stdev must be >= 0, got {st.stdev}")
            st.interval = interval
        else:
            st.interval = 1
        arrays = self._csrc_arrays[i]
        times = np.asarray(params.get("times", []), dtype=np.float64).ravel()
        amps = np.asarray(params.get("amplitudes", []), dtype=np.float64).ravel()
        if len(times) != len(amps):
            raise ParameterError(
                f"current source {i}: times ({len(times)}) and amplitudes ({len(amps)}) "
                "must have the same length"
            )
        if len(times) > 1 and np.any(np.diff(times) < 0):
            raise ParameterError(f"current source {i}: times must be increasing")
        arrays["step_at"] = np.ceil(times / dt - 1e-9).astype(np.int64)
        arrays["step_amp"] = np.ascontiguousarray(amps)
        st.n_steps = len(times)
        st.step_at = E.ptr(arrays["step_at"], ctypes.c_int64)
        st.step_amp = E.ptr(arrays["step_amp"], ctypes.c_double)
        st.pos = 0
        st.current = 0.0

    def set_current_recording(self, source: int, on: bool) -> None:
        """Record (or stop recording) the current a source gives, step by step."""
        if not isinstance(source, int | np.integer) or source < 0:
            raise ParameterError(f"current source must be a non-negative id, got {source!r}")
        if self._loaded and source >= len(self._spec.current_sources):
            raise ParameterError(f"there is no current source {source}")
        if on:
            self._rec_currents.add(int(source))
        else:
            self._rec_currents.discard(int(source))
            if self._loaded:
                cs = self._csrc_structs[source]
                cs.rec = None
                cs.rec_cap = cs.rec_n = 0

    def _arm_current_recording(self, n_steps: int) -> list[tuple[int, np.ndarray, Any]]:
        """Point every recorded source at a buffer with room for ``n_steps`` values."""
        armed = []
        for src in sorted(self._rec_currents):
            if src >= len(self._spec.current_sources):
                continue
            buf = self._csrc_rec.get(src)
            if buf is None or len(buf) < n_steps:
                buf = np.zeros(max(n_steps, 1024))
                self._csrc_rec[src] = buf
            cs = self._csrc_structs[src]
            cs.rec = E.ptr(buf, ctypes.c_double)
            cs.rec_cap = n_steps
            cs.rec_n = 0
            armed.append((src, buf, cs))
        return armed

    @_mpi.board_input
    def set_current_source(self, source: int, params: dict[str, object]) -> None:
        """Change parameters of a current source; unchanged keys keep their values."""
        self._require_loaded()
        if not 0 <= source < len(self._spec.current_sources):
            raise ParameterError(f"there is no current source {source}")
        merged: dict[str, Any] = dict(self._spec.current_sources[source].params)
        merged.update(params)
        # _set_csrc_params writes field by field: a refused change must leave none behind
        st = self._csrc_structs[source]
        saved = E.CurrentSource.from_buffer_copy(st)
        arrays = dict(self._csrc_arrays[source])
        try:
            self._set_csrc_params(source, merged)
        except BaseException:
            ctypes.memmove(ctypes.addressof(st), ctypes.addressof(saved), ctypes.sizeof(st))
            self._csrc_arrays[source].clear()
            self._csrc_arrays[source].update(arrays)
            raise
        self._spec.current_sources[source].params = merged

    # ---------------------------------------------------------------- indexing helpers

    def _check_pop(self, pop: int) -> None:
        # a negative id would silently pick a population from the end
        n = len(self._spec.populations)
        if not 0 <= pop < n:
            raise ParameterError(
                f"there is no population {pop}: the network has {n} (0 to {n - 1})"
            )

    def _cores_of(self, pop: int, indices: I64) -> tuple[I64, I64]:
        """Core id and local index of each neuron index of a population."""
        self._check_pop(pop)
        los = self._pop_core_lo[pop]
        p = self._spec.populations[pop]
        check_indices(p.label, p.size, indices)
        k = np.searchsorted(los, indices, side="right") - 1
        cores = np.asarray(self._pop_cores[pop], dtype=np.int64)[k]
        return cores, indices - los[k]

    def _groups(self, pop: int, indices: I64) -> list[tuple[int, I64, I64]]:
        """(core, local indices, positions in ``indices``) for each core involved."""
        cores, local = self._cores_of(pop, indices)
        n = len(cores)
        if n == 0:
            return []
        # one pass when the indices come core by core (the usual case), else a stable sort;
        # never one scan of all indices per core (thousands of cores at a million neurons)
        order = None
        if n > 1 and not bool(np.all(cores[1:] >= cores[:-1])):
            order = np.argsort(cores, kind="stable")
        by_core = cores if order is None else cores[order]
        bounds = np.flatnonzero(by_core[1:] != by_core[:-1]) + 1
        starts = np.concatenate([[0], bounds]).tolist()
        ends = np.concatenate([bounds, [n]]).tolist()
        out = []
        for lo, hi in zip(starts, ends, strict=True):
            sel = np.arange(lo, hi, dtype=np.int64) if order is None else order[lo:hi]
            out.append((int(by_core[lo]), local[sel], sel))
        return out

    def _row(self, pop: int, name: str, kind: str) -> int:
        """Return the row of ``name``: kind "param", "state" (visible) or "record" (any).

        Hidden state rows (IF_curr_delta's ``_input_exc``) may be recorded, not set.
        """
        self._check_pop(pop)
        p = self._spec.populations[pop]
        lay = E.layout(p.model, p.receptors)
        names = {
            "param": lay.pynn_params,
            "state": lay.recordable_state,
            "record": lay.state,
        }[kind]
        if name not in names:
            label = self._spec.populations[pop].label
            what = "parameter" if kind == "param" else "state variable"
            raise UnknownParameterError(
                f"population {label!r} ({lay.name}) has no {what} {name!r}; it has {list(names)}"
            )
        return (lay.params if kind == "param" else lay.state).index(name)

    def _require_loaded(self) -> None:
        if not self._loaded:
            raise EngineError("no network is loaded on this board")

    # ---------------------------------------------------------------- Board API

    @property
    def step(self) -> int:
        """Steps run since load or reset."""
        return int(self._engine.step) if self._loaded else 0

    @property
    def synapses(self) -> BlockTable:
        """The synaptic blocks this process built (for benchmarks and reports).

        Over several MPI processes, for a network whose synapses are all static, only the
        synapses onto this rank's own cores (:meth:`held_synapses`).
        """
        return self._blocks

    def held_synapses(self) -> tuple[int, int]:
        """Return the synapses and the row words (4 bytes each) this process built.

        One process: the whole network's.  Over several MPI processes: those onto this
        rank's own cores, static and plastic (the ranks' add up to the whole network's).
        Not collective.
        """
        self._require_loaded()
        b = self._blocks
        return int(b.n_synapses), int(len(b.stream) + b.released_words)

    def get_weights(self, projection: int) -> F64:
        """Return the current weights of a projection's synapses (nA or uS), in spec order.

        Plastic weights are read from the engine: between runs they are exact; read while
        a run is computing (from another thread), each is a value it held during that run.
        """
        self._require_loaded()
        projs = self._spec.projections
        if not 0 <= projection < len(projs):
            raise ParameterError(f"there is no projection {projection}")
        w = self._plastic.weights(projection) if self._plastic is not None else None
        if w is None:
            return np.array(projs[projection].weight, dtype=np.float64)
        if self._procs is not None:  # each weight from the rank that owns its target
            owned = self._owned_synapses(projection)
            w = self._procs.combine(np.where(owned, w, 0.0), what="get_weights")
        counts = self.get_synapse_counts(projection)
        if counts is not None:  # absent potential synapses (structural plasticity): NaN
            w = np.where(counts > 0, w, np.nan)
        return w

    def get_synapse_counts(self, projection: int) -> I64 | None:
        """Return how many synapses each potential synapse of a structural projection is now.

        In spec order (``StructuralSpec``); 0: absent.  None for other projections.
        Collective over several MPI processes (each count from the rank that owns its target).
        """
        self._require_loaded()
        if self._structural is None:
            return None
        counts = self._structural.counts(projection)
        if counts is not None and self._procs is not None:
            owned = self._owned_synapses(projection)
            counts = self._procs.combine(np.where(owned, counts, 0), what="synapse counts")
        return counts

    def _owned_synapses(self, projection: int) -> npt.NDArray[np.bool_]:
        """Per synapse of a plastic projection: this rank computes its target (spec order)."""
        index = self._blocks.p_of_projection[projection]
        held = index >= 0  # built here: every synapse onto this rank's own cores
        owned = np.zeros(len(index), bool)
        owned[held] = self._local_cores()[self._blocks.p_tgt[index[held]]]
        return owned

    def get_synapse_slots(self, projection: int) -> I64 | None:
        """Return each post neuron's slots of a structural projection (potential synapse, -1).

        Collective over several MPI processes (each post neuron's from the rank that owns it).
        """
        self._require_loaded()
        if self._structural is None:
            return None
        if self._procs is None:
            return self._structural.slots(projection)
        slots = self._structural.slots(projection, cores=self._local_cores())
        if slots is None:
            return None
        return self._procs.combine(slots + 1, what="synapse slots") - 1  # -1: no bits

    def structural_statistics(self, projection: int) -> StructuralStatistics | None:
        """Return the rewiring counters of a structural projection (None for other ones).

        Collective over several MPI processes (each rank counts the cores it owns).
        """
        self._require_loaded()
        if self._structural is None:
            return None
        if self._procs is None:
            return self._structural.statistics(projection)
        counts = self.get_synapse_counts(projection)
        mine = self._structural.statistics(projection, cores=self._local_cores(), counts=counts)
        if mine is None:
            return None
        row = np.zeros((self._procs.size, 5), np.int64)
        row[self._procs.rank] = [
            mine.attempts,
            mine.elimination_attempts,
            mine.eliminations,
            mine.formation_attempts,
            mine.formations,
        ]
        total = self._procs.combine(row, what="structural statistics").sum(axis=0)
        return dataclasses.replace(
            mine,
            attempts=int(total[0]),
            elimination_attempts=int(total[1]),
            eliminations=int(total[2]),
            formation_attempts=int(total[3]),
            formations=int(total[4]),
        )

    @_mpi.board_input
    def set_synapses(
        self,
        projection: int,
        indices: I64 | None = None,
        weight: npt.ArrayLike | None = None,
        delay_steps: npt.ArrayLike | None = None,
    ) -> None:
        """Change weights and/or delays of a projection's synapses (see ``Board``).

        Static synapses: the rows and blocks are rebuilt (``synapse_blocks``) and the cores
        pointed at them; neuron state, refractory counters and the input already in the
        delay rings stay, and a ring that needs more slots for a longer delay grows with its
        pending input kept at the same steps.  Plastic synapses: weights are set in place
        (and become what ``reset`` restores); their delays are fixed once loaded.  Bad
        values raise :class:`ParameterError` and change nothing.
        """
        self._require_loaded()
        projs = self._spec.projections
        if not isinstance(projection, int | np.integer) or not 0 <= projection < len(projs):
            raise ParameterError(
                f"there is no projection {projection!r} (the network has {len(projs)})"
            )
        pid = int(projection)
        if projs[pid].structural is not None:
            raise ParameterError(
                f"projection {projs[pid].label or pid!r}: the synapses of a structural "
                "projection are formed and removed by its rewiring; their weights and "
                "delays cannot be set"
            )
        proj = projs[pid]
        where = f"projection {proj.label!r}" if proj.label else f"projection {pid}"
        n = len(proj.pre_index)
        if indices is None:
            idx = np.arange(n, dtype=np.int64)
        else:
            idx = np.asarray(indices).reshape(-1)
            if idx.size and not np.issubdtype(idx.dtype, np.integer):
                raise ParameterError(f"{where}: synapse indices must be integers")
            idx = idx.astype(np.int64)
            bad = (idx < 0) | (idx >= n)
            if bad.any():
                raise ParameterError(
                    f"{where}: synapse index {int(idx[bad][0])} is outside [0, {n})"
                )
        new_w = new_d = None
        if weight is not None:
            w = _broadcast(where, "weight", weight, len(idx), np.float64)
            post = self._spec.populations[proj.post]
            signed = E.layout(post.model, post.receptors).signed_weights
            check_weights(where, w, signed or isinstance(proj.plasticity, WeightChangerSpec))
            if isinstance(proj.plasticity, WeightChangeableSpec):
                check_weight_bounds(where, w, proj.plasticity.w_min, proj.plasticity.w_max)
            if isinstance(proj.plasticity, STDPSpec):  # each synapse's own bounds
                lo, hi = proj.weight_bounds()  # dopamine-modulated: Neuromodulation's
                check_weight_bounds(where, w, lo[idx], hi[idx])
            new_w = np.array(proj.weight, dtype=np.float64)
            new_w[idx] = w
        if delay_steps is not None:
            d = _broadcast(where, "delay_steps", delay_steps, len(idx), np.int64)
            bad = (d < 1) | (d > MAX_DELAY_STEPS)
            if bad.any():
                k = int(d[bad][0])
                raise ParameterError(
                    f"{where}: a delay of {k} steps ({k * self._dt:g} ms) is outside "
                    f"[1, {MAX_DELAY_STEPS}] steps ([{self._dt:g}, "
                    f"{MAX_DELAY_STEPS * self._dt:g}] ms)"
                )
            old_d = np.asarray(proj.delay_steps, dtype=np.int64)
            if proj.plasticity is not None and np.any(d != old_d[idx]):
                raise ParameterError(
                    f"{where}: the delays of plastic synapses are fixed once the network is "
                    "loaded (their spike histories are sized by them); change them before "
                    "the first run, or after reset() of a network changed structurally"
                )
            new_d = old_d.copy()
            new_d[idx] = d
        if (new_w is None and new_d is None) or len(idx) == 0:
            return
        changed = dataclasses.replace(
            proj,
            weight=proj.weight if new_w is None else new_w,
            delay_steps=proj.delay_steps if new_d is None else new_d,
        )
        if proj.plasticity is not None:  # only weights, which live in the plastic state
            assert self._plastic is not None
            if new_w is not None:
                where_w = self._blocks.p_of_projection[pid][idx]
                held = where_w >= 0  # the others are another MPI rank's (it sets them)
                self._plastic.w[where_w[held]] = new_w[idx][held]
                self._plastic.w0[where_w[held]] = new_w[idx][held]
            projs[pid] = changed
            return
        projections = list(projs)
        projections[pid] = changed
        spec = dataclasses.replace(self._spec, projections=projections)
        try:
            targets = None if self._share is None else self._share.targets
            blocks = synapse_blocks(
                spec,
                self._core_gid0,
                self._core_n,
                self._pop_base,
                targets,
                self.rank == 0,
                weight_bits=self._weight_bits,
            )
        except EngineError as err:
            raise ParameterError(f"{where}: {err}") from None
        old = self._blocks
        same = (
            np.array_equal(blocks.src, old.src)
            and np.array_equal(blocks.tgt, old.tgt)
            and np.array_equal(blocks.block_rule, old.block_rule)
            and np.array_equal(blocks.seg_syn, old.seg_syn)
            and np.array_equal(blocks.p_tgt, old.p_tgt)
            and np.array_equal(blocks.p_post, old.p_post)
        )
        if not same:  # weights and delays never move a synapse between blocks
            raise EngineError(f"{where}: rebuilding the synaptic blocks moved synapses")
        # commit: nothing below refuses
        for cid, a in enumerate(self._cores):
            if a.ring is not None and _ring_slots(int(blocks.max_delay_into[cid])) > len(a.ring):
                self._grow_ring(cid, _ring_slots(int(blocks.max_delay_into[cid])))
        self._spec = spec
        self._blocks = blocks
        if self._plastic is not None:
            self._plastic._blocks = blocks
        if self._structural is not None:  # the same plastic synapses, in the same order
            self._structural._blocks = blocks
            self._structural._spec = spec
        self._point_synapses()

    def _grow_ring(self, cid: int, slots: int) -> None:
        """Give a core's delay ring more slots, its pending input at the same steps."""
        a = self._cores[cid]
        old = a.ring
        assert old is not None
        size = old.shape[0]
        ring = np.zeros((slots, *old.shape[1:]))
        # slot of step k is k mod slots; the old ring holds steps step .. step + size - 1
        steps = self.step + np.arange(size)
        ring[steps & (slots - 1)] = old[steps & (size - 1)]
        a.ring = ring
        st = self._core_structs[cid]
        st.ring = E.ptr(ring, ctypes.c_double)
        st.ring_mask = slots - 1

    def plastic_statistics(self) -> PlasticStatistics | None:
        """Sizes and counters of the plastic synapses (None when there are none)."""
        self._require_loaded()
        return self._plastic.statistics() if self._plastic is not None else None

    def packets_received(self) -> I64:
        """Per core: multicast packets that reached it since load (routing checks)."""
        return np.array([self._core_structs[i].packets_in for i in range(len(self._cores))])

    def spikes_emitted(self) -> I64:
        """Per core: spikes it emitted since load."""
        return np.array([self._core_structs[i].spikes_out for i in range(len(self._cores))])

    def get_parameters(self, pop: int, name: str, indices: I64) -> F64:
        """Return the current values of a parameter (PyNN units)."""
        self._require_loaded()
        row = self._row(pop, name, "param")
        indices = np.asarray(indices, dtype=np.int64)
        out = np.empty(len(indices))
        for c, local, pos in self._groups(pop, indices):
            out[pos] = self._cores[c].params[row, local]
        return out

    @_mpi.board_input
    def set_parameters(self, pop: int, name: str, indices: I64, values: F64) -> None:
        """Change a parameter; derived propagators are recomputed; bad values change nothing."""
        self._require_loaded()
        if name == "spike_times":
            raise ParameterError("use set_spike_times() to change spike_times")
        row = self._row(pop, name, "param")
        indices = np.asarray(indices, dtype=np.int64)
        values = np.broadcast_to(np.asarray(values, dtype=np.float64), indices.shape)
        p = self._spec.populations[pop]
        values = check_parameter(E.layout(p.model, p.receptors), p.label, name, values)
        groups = self._groups(pop, indices)
        saved = [(c, self._cores[c].params[row].copy()) for c, _, _ in groups]
        try:
            for c, local, pos in groups:
                self._cores[c].params[row, local] = values[pos]
                self._prepare(c)
        except ParameterError:
            for c, old in saved:
                self._cores[c].params[row] = old
                self._prepare(c)
            raise
        for c, local, _ in groups:
            a = self._cores[c]
            if a.layout.is_source and name in a.layout.pynn_params:  # restart the process
                idx = np.ascontiguousarray(local, dtype=np.int32)
                self._lib.ss_restart_sources(
                    ctypes.byref(self._engine), c, E.ptr(idx, ctypes.c_int32), len(idx)
                )
        self._update_reserve()

    def get_state(self, pop: int, name: str, indices: I64, *, hidden: bool = False) -> F64:
        """Return the current values of a state variable (PyNN units).

        ``hidden``: also rows users cannot set (recorded ones, such as ``_input_exc``).
        Over several MPI processes each value comes from the rank that updates its neuron,
        so every rank must call this, in the same order (a collective).
        """
        self._require_loaded()
        if self._procs is None:
            return self._read_state(pop, name, indices, hidden=hidden)
        row = self._row(pop, name, "record" if hidden else "state")
        indices = np.asarray(indices, dtype=np.int64)
        out = np.zeros(len(indices))
        mine = self._local_cores()  # sources: every rank's copy is the same
        for c, local, pos in self._groups(pop, indices):
            if mine[c]:
                out[pos] = self._cores[c].state[row, local]
        return self._procs.combine(out, what=f"get_state({name!r})")

    def _read_state(self, pop: int, name: str, indices: I64, *, hidden: bool = False) -> F64:
        """Read this process's copy of a state variable (another rank's cores: as last set)."""
        row = self._row(pop, name, "record" if hidden else "state")
        indices = np.asarray(indices, dtype=np.int64)
        out = np.empty(len(indices))
        for c, local, pos in self._groups(pop, indices):
            out[pos] = self._cores[c].state[row, local]
        return out

    @_mpi.board_input
    def set_state(self, pop: int, name: str, indices: I64, values: F64) -> None:
        """Overwrite a state variable of some neurons."""
        self._require_loaded()
        row = self._row(pop, name, "state")
        indices = np.asarray(indices, dtype=np.int64)
        values = np.broadcast_to(np.asarray(values, dtype=np.float64), indices.shape)
        if not np.all(np.isfinite(values)):
            raise ParameterError(f"state variable {name!r} must be finite")
        for c, local, pos in self._groups(pop, indices):
            self._cores[c].state[row, local] = values[pos]

    # -- scheduled spikes

    def _scheduled_pop(self, pop: int) -> None:
        self._check_pop(pop)
        model = self._spec.populations[pop].model
        if E.layout(model).name != "SpikeSourceArray":
            raise ParameterError(
                f"population {self._spec.populations[pop].label!r} ({model}) cannot be given "
                "spikes: only SpikeSourceArray and SpikeInjector populations can"
            )

    def _set_schedule(self, cid: int, stamps: I64, index: npt.NDArray[np.int32]) -> None:
        a = self._cores[cid]
        order = np.argsort(stamps, kind="stable")
        a.sched_stamp = np.ascontiguousarray(stamps[order], dtype=np.int64)
        a.sched_index = np.ascontiguousarray(index[order], dtype=np.int32)
        st = self._core_structs[cid]
        st.sched_stamp = E.ptr(a.sched_stamp, ctypes.c_int64)
        st.sched_index = E.ptr(a.sched_index, ctypes.c_int32)
        st.sched_n = len(a.sched_stamp)
        st.sched_pos = 0

    def _pending(self, cid: int) -> tuple[I64, npt.NDArray[np.int32]]:
        a = self._cores[cid]
        pos = self._core_structs[cid].sched_pos
        return a.sched_stamp[pos:], a.sched_index[pos:]

    def _reset_schedules(self) -> None:
        for cid, a in enumerate(self._cores):
            if a.layout.name != "SpikeSourceArray":
                continue
            times = self._spike_times.get(a.pop, [])
            stamps_l, index_l = [], []
            for local in range(a.n):
                gi = a.lo + local
                t = np.asarray(times[gi] if gi < len(times) else [], dtype=np.float64)
                s = spike_stamps(t, self._dt)
                # before t = 0 is in the past from the start (set_spike_times drops the past
                # too); a negative stamp would wrap around the delay ring
                s = s[s >= 0]
                stamps_l.append(s)
                index_l.append(np.full(len(s), local, np.int32))
            stamps = np.concatenate(stamps_l) if stamps_l else np.zeros(0, np.int64)
            index = np.concatenate(index_l) if index_l else np.zeros(0, np.int32)
            self._set_schedule(cid, stamps, index)

    @_mpi.board_input
    def schedule_spikes(self, pop: int, indices: I64, stamps: I64) -> None:
        """Add spikes (stamps >= step) to a SpikeSourceArray or SpikeInjector population."""
        self._require_loaded()
        self._scheduled_pop(pop)
        indices = np.asarray(indices, dtype=np.int64).ravel()
        stamps = np.broadcast_to(np.asarray(stamps, dtype=np.int64), indices.shape)
        if stamps.size and stamps.min() < self.step:
            raise LateInputError(
                f"spike stamped {int(stamps.min())} (t = {stamps.min() * self._dt} ms) is in "
                f"the past: the board is at step {self.step} (t = {self.step * self._dt} ms)"
            )
        for c, local, pos in self._groups(pop, indices):
            old_s, old_i = self._pending(c)
            self._set_schedule(
                c,
                np.concatenate([old_s, stamps[pos]]),
                np.concatenate([old_i, local.astype(np.int32)]),
            )
        self._update_reserve()

    @_mpi.board_input
    def set_spike_times(self, pop: int, indices: I64, times: Sequence[npt.ArrayLike]) -> None:
        """Give neurons of a SpikeSourceArray new spike times (ms), one array per index.

        What those neurons have not emitted yet (scheduled and injected spikes) is replaced
        by the new times whose stamp ``round(t/dt)`` lies ahead: ``> step``, or ``>= 0`` at
        step 0 (a stamp ``<= step`` went out during an earlier step).  ``reset`` replays
        the new lists.  Bad input raises :class:`ParameterError` and changes nothing.
        """
        self._require_loaded()
        self._scheduled_pop(pop)
        indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        label = self._spec.populations[pop].label
        if len(times) != len(indices):
            raise ParameterError(
                f"population {label!r}: {len(times)} spike time arrays for {len(indices)} "
                "neurons; give one array per neuron"
            )
        if has_repeats(indices[indices >= 0]):
            raise ParameterError(f"population {label!r}: the neuron indices repeat a neuron")
        arrays = []
        for i, t in zip(indices.tolist(), times, strict=True):
            arr = np.array(t, dtype=np.float64).reshape(-1)
            if not np.all(np.isfinite(arr)):
                raise ParameterError(
                    f"population {label!r}: spike times of neuron {i} must be finite, got "
                    f"{arr.tolist()[:10]}"
                )
            arrays.append(arr)
        groups = self._groups(pop, indices)  # checks the indices
        first_due = self.step + 1 if self.step > 0 else 0
        new_schedules = []
        for c, local, pos in groups:
            old_s, old_i = self._pending(c)
            keep = ~np.isin(old_i, local)
            stamps = [spike_stamps(arrays[p], self._dt) for p in pos]
            new_s = np.concatenate(stamps)
            new_i = np.repeat(local.astype(np.int32), [len(s) for s in stamps])
            ahead = new_s >= first_due
            new_schedules.append(
                (
                    c,
                    np.concatenate([old_s[keep], new_s[ahead]]),
                    np.concatenate([old_i[keep], new_i[ahead]]),
                )
            )
        for c, stamps_c, index_c in new_schedules:
            self._set_schedule(c, stamps_c, index_c)
        if self._spec.populations[pop].model == "SpikeSourceArray":
            size = self._spec.populations[pop].size
            kept = list(self._spike_times.get(pop, []))
            kept += [np.zeros(0)] * (size - len(kept))
            for i, arr in zip(indices.tolist(), arrays, strict=True):
                kept[i] = arr
            self._spike_times[pop] = kept
        self._update_reserve()

    # -- recording

    def set_recording(
        self, pop: int, variable: str, indices: I64 | None, interval_steps: int = 1
    ) -> None:
        """Record a variable of some neurons (``indices=None``: stop recording it)."""
        if interval_steps < 1:
            raise ParameterError(f"sampling interval must be >= 1 step, got {interval_steps}")
        key = (pop, variable)
        if indices is None:
            self._recordings.pop(key, None)
        else:
            idx = np.asarray(indices, dtype=np.int64).ravel()
            if self._loaded:  # validate before anything changes
                if variable != "spikes":
                    self._row(pop, variable, "record")
                self._cores_of(pop, idx)
            self._recordings[key] = _Recording(idx, int(interval_steps))
        if self._loaded:
            self._apply_recordings()

    def _apply_recordings(self) -> None:
        for a in self._cores:
            a.spike_out[:] = 0
            a.probes = []
        for (pop, var), rec in self._recordings.items():
            if pop >= len(self._spec.populations):
                continue
            if var == "spikes":
                for c, local, _ in self._groups(pop, rec.indices):
                    self._cores[c].spike_out[local] = 1
                continue
            row = self._row(pop, var, "record")
            for c, local, pos in self._groups(pop, rec.indices):
                self._cores[c].probes.append(
                    _Probe(pop, var, row, local.astype(np.int32), pos, rec.interval)
                )
        for cid, a in enumerate(self._cores):
            st = self._core_structs[cid]
            a.probe_structs = (E.Probe * max(len(a.probes), 1))()
            for k, pr in enumerate(a.probes):
                ps = a.probe_structs[k]
                ps.var = pr.row
                ps.n = len(pr.index)
                ps.interval = pr.interval
                ps.index = E.ptr(pr.index, ctypes.c_int32)
            st.n_probes = len(a.probes)
            st.probes = ctypes.cast(a.probe_structs, ctypes.POINTER(E.Probe))
        # what run() walks after every call: only the probes that exist, grouped by variable
        self._probes_by_var: dict[tuple[int, str], list[tuple[_Probe, E.Probe]]] = {}
        for a in self._cores:
            assert a.probe_structs is not None
            for k, pr in enumerate(a.probes):
                self._probes_by_var.setdefault((pr.pop, pr.var), []).append(
                    (pr, a.probe_structs[k])
                )
        self._spike_pops = sorted(p for p, v in self._recordings if v == "spikes")
        if self._procs is not None:  # the exchange carries the samples: same probes everywhere
            self._probe_digest = 0
            for (pop, var), rec in sorted(self._recordings.items()):
                if var != "spikes":
                    self._probe_digest = _mpi.fold(
                        self._probe_digest, var, pop, rec.indices, rec.interval
                    )
        self._update_reserve()

    # -- running

    def run(self, n_steps: int) -> ChunkResult:
        """Run ``n_steps`` steps of every core; returns what was recorded meanwhile."""
        self._require_loaded()
        if n_steps < 0:
            raise ParameterError(f"cannot run a negative number of steps ({n_steps})")
        procs = self._procs
        if procs is not None and n_steps > 0 and (procs.rank == 0 or self._owe_sync):
            self._sync_inputs()  # rank 0 starts a run: its input goes in on every rank
        first = self.step
        samples: dict[tuple[int, str], list[tuple[I64, F64]]] = {}
        if first == 0 and not self._sampled_initial:
            for (pop, var), rec in self._recordings.items():
                if var != "spikes":
                    # before any step every rank holds every core's state: no gather
                    values = self._read_state(pop, var, rec.indices, hidden=True)
                    samples.setdefault((pop, var), []).append(
                        (np.zeros(1, np.int64), values[None, :])
                    )
            self._sampled_initial = True
        for probes in self._probes_by_var.values():
            for pr, ps in probes:
                cap = n_steps // pr.interval + 2
                if pr.out.shape[0] < cap or pr.out.shape[1] != len(pr.index):
                    pr.out = np.zeros((cap, len(pr.index)))
                    pr.out_stamp = np.zeros(cap, np.int64)
                    ps.out = E.ptr(pr.out, ctypes.c_double)
                    ps.out_stamp = E.ptr(pr.out_stamp, ctypes.c_int64)
                    ps.cap = cap
                ps.count = 0
        recs = self._arm_current_recording(n_steps) if self._rec_currents else []
        e = self._engine
        stamps_l: list[I64] = []
        gids_l: list[I64] = []
        remaining = n_steps
        eref = ctypes.byref(e)
        procs = self._procs
        while remaining > 0:
            if procs is not None:
                self._lib.ss_comm_set_digest(procs.handle, self._digest ^ self._probe_digest)
            at = self.step  # the digests change between runs: a difference shows from here
            done = self._lib.ss_run(eref, remaining)
            if procs is not None and self._lib.ss_comm_take_stop(procs.handle):
                self._owe_sync = procs.rank != 0  # rank 0's run ends here
            if done == -4:
                raise EngineError(
                    f"rank {self.rank}: the board's {self.processes} MPI processes diverged at "
                    f"step {at} (t = {at * self._dt:g} ms): some rank "
                    "applied other input or recorded other state variables (or at another "
                    "step) than the others.  Every rank must make "
                    "the same calls: give live input a step (at_step=...) or apply it between "
                    "runs, and record or stream state on every rank (read it where you like)"
                )
            if done == -3:
                raise EngineError(
                    f"rank {self.rank}: the MPI exchange of spikes between the board's "
                    f"{self.processes} processes failed"
                )
            if done == -2:
                raise EngineError(
                    f"this board's {self._threads} engine threads belong to the process "
                    "that loaded it, not to this forked child: load the network again here"
                )
            if done < 0:
                raise EngineError("the engine has no thread pool (it was not loaded fully)")
            remaining -= done
            if e.out_n:
                stamps_l.append(self._out_stamp[: e.out_n].copy())
                gids_l.append(self._out_gid[: e.out_n].copy())
                e.out_n = 0
            if e.out_lost:
                lost, e.out_lost = e.out_lost, 0  # never expected; must not poison later runs
                raise EngineError(f"{lost} recorded spikes did not fit the output buffer")
            if self._owe_sync and remaining > 0:  # rank 0 starts its next run at this step
                self._sync_inputs()  # (before anything else: rank 0 waits in the broadcast)
                if self._plastic is not None and self._plastic.full:
                    self._plastic.grow()
                continue
            if self._plastic is not None and self._plastic.full:
                self._plastic.grow()  # a spike history needs room: grow it, carry on
                continue
            if done == 0 and remaining > 0:
                raise EngineError("the engine made no progress (output buffer too small)")
        result = ChunkResult(first_step=first, n_steps=n_steps)
        for src, buf, cs in recs:
            result.currents[src] = buf[: cs.rec_n].copy()
        self._collect_spikes(result, stamps_l, gids_l)
        for (pop, var), rec in self._recordings.items():
            if var == "spikes":
                continue
            parts = samples.get((pop, var), [])
            probes = self._probes_by_var.get((pop, var), [])
            if probes:
                count = probes[0][1].count
                block = np.empty((count, len(rec.indices)))
                for pr, _ in probes:
                    block[:, pr.columns] = pr.out[:count]
                if count:
                    parts.append((probes[0][0].out_stamp[:count].copy(), block))
            if len(parts) == 1:
                result.samples[(pop, var)] = parts[0]
            elif parts:
                result.samples[(pop, var)] = (
                    np.concatenate([p[0] for p in parts]),
                    np.concatenate([p[1] for p in parts]),
                )
            else:
                result.samples[(pop, var)] = (
                    np.zeros(0, np.int64),
                    np.zeros((0, len(rec.indices))),
                )
        return result

    def _collect_spikes(self, result: ChunkResult, stamps_l: list[I64], gids_l: list[I64]) -> None:
        """Split the output buffer's spikes by population, ordered by (stamp, index)."""
        empty = np.zeros(0, np.int64)
        for pop in self._spike_pops:
            result.spikes[pop] = (empty, empty)
        if not stamps_l:
            return
        stamps = np.concatenate(stamps_l) if len(stamps_l) > 1 else stamps_l[0]
        gids = np.concatenate(gids_l) if len(gids_l) > 1 else gids_l[0]
        # the engine emits in step order, cores in order: usually sorted already
        key = stamps * (int(self._pop_base[-1]) + self._spec.populations[-1].size) + gids
        if len(key) > 1 and np.any(key[1:] < key[:-1]):
            order = np.argsort(key, kind="stable")
            stamps, gids = stamps[order], gids[order]
        if len(self._spike_pops) == 1:
            pid = self._spike_pops[0]
            result.spikes[pid] = (stamps, gids - self._pop_base[pid])
            return
        pop_of = np.searchsorted(self._pop_base, gids, side="right") - 1
        order = np.argsort(pop_of, kind="stable")
        stamps, gids, pop_of = stamps[order], gids[order], pop_of[order]
        bounds = np.flatnonzero(np.diff(pop_of)) + 1
        starts = np.concatenate([[0], bounds])
        ends = np.concatenate([bounds, [len(pop_of)]])
        for lo, hi in zip(starts, ends, strict=True):
            pid = int(pop_of[lo])
            result.spikes[pid] = (stamps[lo:hi], gids[lo:hi] - self._pop_base[pid])

    @_mpi.board_input
    def reset(self) -> None:
        """Back to step 0 with the initial state; spike arrays replay, injected spikes go."""
        self._require_loaded()
        self._engine.step = 0
        for cid, a in enumerate(self._cores):
            pop = self._spec.populations[a.pop]
            a.state[:] = 0.0
            for r, name in enumerate(a.layout.state):
                if name in pop.initial:
                    a.state[r] = np.asarray(pop.initial[name], dtype=np.float64)[a.lo : a.lo + a.n]
            a.refrac[:] = 0
            if a.ring is not None:
                a.ring[:] = 0.0
            st = self._core_structs[cid]
            st.packets_in = 0
            st.spikes_out = 0
        for i in range(len(self._spec.current_sources)):
            cs_struct = self._csrc_structs[i]
            cs_struct.pos = 0
            cs_struct.current = 0.0
            self._csrc_arrays[i]["noise"][:] = 0.0
        if self._plastic is not None:
            self._plastic.reset()
        if self._structural is not None:
            self._structural.reset()
        self._reset_schedules()
        self._restart_all_sources()
        self._sampled_initial = False
        self._engine.out_n = 0
        self._update_reserve()

    def close(self) -> None:
        """Drop the network (and stop the engine's threads)."""
        self._loaded = False
        fin = getattr(self, "_pool_fin", None)
        if fin is not None:
            fin()
            self._engine.pool = None
        self._cores = []
        if self._procs is not None:  # every rank closes (as every rank loaded): collective
            self._procs.close()


def _busiest_step(stamps: I64, next_stamp: int) -> int:
    """Most of the sorted ``stamps`` emitted in one step (those ``<= next_stamp`` together)."""
    if not len(stamps):
        return 0
    due = int(np.searchsorted(stamps, next_stamp, side="right"))
    later = stamps[due:]
    if not len(later):
        return due
    edges = np.flatnonzero(np.diff(later)) + 1
    runs = np.diff(np.concatenate(([0], edges, [len(later)])))
    return max(due, int(runs.max()))
