"""Static synapses into rows projection by projection, in C (kernels_c/build.c).

:func:`build_static_blocks` makes the same :class:`BlockTable` as
:func:`spinstream.board._synapses.build_blocks`, word for word (so the same spikes), for
networks whose synapses are all static.  ``build_blocks`` concatenates every projection and
sorts with a dozen per-synapse arrays alive at once (~250 bytes per synapse at its peak);
here each projection's arrays are read twice where they are (a count, then a scatter into
16-byte records grouped by source neuron), and the words are written over the records, in
their memory, which then shrinks to the words' size: the peak is the records (16 bytes per
synapse), never the records and the words at once.

``targets`` selects the target cores whose synapses are built (a process of a distributed
run builds its own); the others' rows hold nothing for them.

``weight_bits=16`` (opt-in; default 32) stores the weights of a block that would take 6
bytes a synapse (float32 weight + 16-bit post|delay|receptor) in 4 bytes instead, when they
are finite and of one sign: 16 bits of magnitude times one scale per block (docs/ENGINE.md,
"Synaptic rows").  Only for networks whose synapses are all static.
"""

from __future__ import annotations

import ctypes
import weakref
from collections.abc import Callable, Iterable, Iterator
from ctypes import POINTER, c_double, c_int32, c_int64, c_uint8, c_uint32, c_uint64, c_void_p
from typing import Any

import numpy as np
import numpy.typing as npt

from spinstream._progress import Progress
from spinstream.board import _engine as E
from spinstream.board._synapses import BlockTable, build_blocks
from spinstream.model import DrawnProjectionSpec, EngineError, NetworkSpec, ParameterError

__all__ = [
    "SynapseChunk",
    "all_static",
    "build_static_blocks",
    "check_weight_bits",
    "spec_chunks",
    "synapse_blocks",
]

#: The weight widths a board can store static weights in (bits); 32 is the default.
WEIGHT_BITS = (16, 32)


def check_weight_bits(where: str, weight_bits: object) -> int:
    """Return ``weight_bits`` as an int (16 or 32), or raise ParameterError naming it."""
    if (
        isinstance(weight_bits, bool)
        or not isinstance(weight_bits, int | np.integer)
        or int(weight_bits) not in WEIGHT_BITS
    ):
        raise ParameterError(
            f"{where}: weight_bits must be 16 or 32 (bits per stored weight), got {weight_bits!r}"
        )
    return int(weight_bits)


IntArray = npt.NDArray[np.int64]

#: One piece of a projection: (pre gid base, post gid base, pre index, post index, weight,
#: delay in steps, receptor); the receptor may be a 0-stride broadcast of one value.
SynapseChunk = tuple[int, int, IntArray, IntArray, npt.NDArray[np.float64], IntArray, IntArray]

_ERRORS = {
    -1: "a synapse's neuron is on no core",
    -2: "the projections gave other synapses the second time they were read",
    -3: "a synapse's delay or receptor is out of the engine's range",
    -4: "a core has more than 65536 blocks of outgoing synapses (one per target core)",
}


_BOUND: list[Any] = []  # the library whose ss_rb_* functions have their ctypes signatures


def _lib() -> Any:
    dll = E.lib()
    if _BOUND and _BOUND[0] is dll:
        return dll
    i64p, f64p = POINTER(c_int64), POINTER(c_double)
    dll.ss_rb_new.argtypes = [c_int32, i64p, i64p, POINTER(c_uint8)]
    dll.ss_rb_new.restype = c_void_p
    dll.ss_rb_free.argtypes = [c_void_p]
    dll.ss_rb_free.restype = None
    dll.ss_rb_take_stream.argtypes = [c_void_p]
    dll.ss_rb_take_stream.restype = c_void_p
    dll.ss_rb_free_stream.argtypes = [c_void_p]
    dll.ss_rb_free_stream.restype = None
    dll.ss_rb_count.argtypes = [c_void_p, c_int64, c_int64, c_int64, i64p, i64p]
    dll.ss_rb_count.restype = ctypes.c_int
    dll.ss_rb_count_rows.argtypes = [c_void_p, c_int64, i64p, i64p]
    dll.ss_rb_count_rows.restype = ctypes.c_int
    dll.ss_rb_alloc.argtypes = [c_void_p]
    dll.ss_rb_alloc.restype = ctypes.c_int
    dll.ss_rb_add.argtypes = [c_void_p, c_int64, c_int64, c_int64, i64p, i64p, f64p, i64p]
    dll.ss_rb_add.argtypes += [i64p, c_int64]
    dll.ss_rb_add.restype = ctypes.c_int
    dll.ss_rb_set_weight_bits.argtypes = [c_void_p, c_int32]
    dll.ss_rb_set_weight_bits.restype = ctypes.c_int
    dll.ss_rb_layout.argtypes = [c_void_p, i64p, i64p, i64p]
    dll.ss_rb_layout.restype = ctypes.c_int
    dll.ss_rb_write.argtypes = [c_void_p, POINTER(c_uint32), POINTER(c_uint64), i64p, i64p]
    dll.ss_rb_write.argtypes += [POINTER(c_int32), i64p, i64p, f64p, POINTER(c_int32), i64p]
    dll.ss_rb_write.restype = ctypes.c_int
    _BOUND[:] = [dll]
    return dll


def _i64(x: Any) -> IntArray:
    return np.ascontiguousarray(x, dtype=np.int64)


class _CWords:
    """The builder's words (C memory) as a numpy array, freed with the last view of it."""

    def __init__(self, dll: Any, address: int | None, n: int) -> None:
        if not address:
            raise EngineError("building the synapse rows: no words to take (internal)")
        self.__array_interface__ = {
            "data": (address, False),
            "shape": (n,),
            "typestr": "<u4",
            "version": 3,
        }
        weakref.finalize(self, dll.ss_rb_free_stream, address)

    def array(self) -> npt.NDArray[np.uint32]:
        """Return a view of the words that keeps them alive."""
        return np.asarray(self)


def _wanted_posts(want_gid: npt.NDArray[np.bool_], base: int) -> Callable[[IntArray], bool]:
    """Return a drawn block's test: is one of its post neurons (from ``base``) wanted."""

    def keep(post: IntArray) -> bool:
        return bool(want_gid[base + np.asarray(post, np.int64)].any())

    return keep


def spec_chunks(
    spec: NetworkSpec,
    pop_base: IntArray,
    want_gid: npt.NDArray[np.bool_] | None = None,
    skip: frozenset[int] = frozenset(),
) -> Iterator[SynapseChunk]:
    """Every projection of ``spec`` with synapses, as one chunk each, in spec order.

    ``want_gid`` (one flag per global neuron id): a drawn projection's blocks whose post
    neurons are all unwanted are skipped, not drawn (:meth:`DrawnProjectionSpec.chunks`);
    every synapse onto a wanted neuron is yielded, in the same order as without it.
    ``skip``: ids of projections left out.
    """
    for p in spec.projections:
        if p.id in skip:
            continue
        if isinstance(p, DrawnProjectionSpec):  # block by block, never whole
            base_pre, base_post = int(pop_base[p.pre]), int(pop_base[p.post])
            keep = None if want_gid is None else _wanted_posts(want_gid, base_post)
            for pre, post, weight, delay, rec in p.chunks(keep):
                yield base_pre, base_post, pre, post, weight, delay, rec
            continue
        if not len(p.pre_index):
            continue
        rec = np.asarray(p.receptor)
        yield (
            int(pop_base[p.pre]),
            int(pop_base[p.post]),
            np.asarray(p.pre_index),
            np.asarray(p.post_index),
            np.asarray(p.weight),
            np.asarray(p.delay_steps),
            rec,
        )


def _check(code: int, what: str) -> None:
    if code == 0:
        return
    if code == -1 and what != "count":
        raise EngineError("building the synapse rows: out of memory")
    raise EngineError(f"building the synapse rows ({what}): {_ERRORS.get(code, code)}")


def build_static_blocks(
    chunks: Callable[[], Iterable[SynapseChunk]],
    core_gid0: IntArray,
    core_n: IntArray,
    targets: npt.NDArray[np.bool_] | None = None,
    known_rows: Iterable[tuple[IntArray, IntArray]] = (),
    counted: Callable[[], Iterable[SynapseChunk]] | None = None,
    show: bool = True,
    weight_bits: int = 32,
) -> BlockTable:
    """Rows and blocks of static synapses (see the module docstring).

    Parameters
    ----------
    chunks
        A callable returning an iterable of :data:`SynapseChunk`; called twice, and must
        give the same synapses in the same order both times (their order among equal
        (source, target) pairs is the order they are delivered in).
    core_gid0, core_n
        Each core's first global neuron id and neuron count (the board's layout).
    targets
        One flag per core: build the synapses onto these target cores only (None: all).
    known_rows, counted
        For the first pass (synapses per source), without reading them: the global source
        ids and the synapses from each of projections that know them (``out_degree`` of a
        drawn projection); ``counted()`` then gives the other projections' chunks (default:
        ``chunks()``).  Only with ``targets`` None: the counts do not say where synapses go.
    show
        Whether this process shows the progress lines (``spinstream._progress``; over MPI
        rank 0 only).
    weight_bits
        32: weights as ``build_blocks`` stores them.  16: blocks that would be half (6 bytes
        a synapse) with finite weights of one sign are Q16 blocks (4 bytes, 16-bit weights).

    Returns
    -------
    BlockTable
        As ``build_blocks`` would make it for the same synapses (with ``weight_bits=32``).
    """
    weight_bits = check_weight_bits("build_static_blocks", weight_bits)
    dll = _lib()
    n_cores = len(core_gid0)
    g0, cn = _i64(core_gid0), _i64(core_n)
    want = None if targets is None else np.ascontiguousarray(targets, dtype=np.uint8)
    if want is not None and len(want) != n_cores:
        raise ValueError(f"targets: {len(want)} flags for {n_cores} cores")
    known_rows = list(known_rows)
    if known_rows and want is not None:
        raise ValueError("known_rows: only when every target core is built")
    rb = dll.ss_rb_new(n_cores, E.ptr(g0, c_int64), E.ptr(cn, c_int64), E.ptr(want, c_uint8))
    if not rb:
        raise EngineError("building the synapse rows: out of memory or overlapping cores")
    total = 0
    try:
        _check(dll.ss_rb_set_weight_bits(rb, weight_bits), "weight bits")
        for gid, count in known_rows:
            gid, count = _i64(gid), _i64(count)
            if len(count) and count.min() < 0:
                bad = int(gid[np.argmin(count)])
                raise EngineError(
                    f"building the synapse rows: neuron {bad} (global id) has a negative "
                    "count of synapses"
                )
            code = dll.ss_rb_count_rows(rb, len(gid), E.ptr(gid, c_int64), E.ptr(count, c_int64))
            _check(code, "count")
            total += int(count.sum())
        counting: Progress | None = None
        for pre_base, post_base, pre, post, *_ in (counted or chunks)():
            if counting is None:
                counting = Progress("counting the synapses", unit="synapses", show=show)
            pre, post = _i64(pre), _i64(post)
            code = dll.ss_rb_count(
                rb, len(pre), pre_base, post_base, E.ptr(pre, c_int64), E.ptr(post, c_int64)
            )
            _check(code, "count")
            counting.advance(len(pre))
        if counting is not None:
            counting.done()
            total += counting.count
        _check(dll.ss_rb_alloc(rb), "alloc")
        building = Progress("building the synapse rows", total, "synapses", show=show)
        for pre_base, post_base, pre, post, weight, delay, rec in chunks():
            pre, post, delay = _i64(pre), _i64(post), _i64(delay)
            weight = np.ascontiguousarray(weight, dtype=np.float64)
            rec = np.asarray(rec)
            if rec.dtype == np.int64 and rec.ndim == 1 and rec.strides == (0,):
                stride = 0  # one receptor for the whole chunk (np.broadcast_to)
            else:
                rec, stride = _i64(rec), 1
            code = dll.ss_rb_add(
                rb,
                len(pre),
                pre_base,
                post_base,
                E.ptr(pre, c_int64),
                E.ptr(post, c_int64),
                E.ptr(weight, c_double),
                E.ptr(delay, c_int64),
                rec.ctypes.data_as(POINTER(c_int64)),
                stride,
            )
            _check(code, "add")
            building.advance(len(pre))
        building.done()
        laying = Progress("laying out the rows", show=show)
        n_blocks, n_tab, n_words = c_int64(), c_int64(), c_int64()
        code = dll.ss_rb_layout(rb, ctypes.byref(n_blocks), ctypes.byref(n_tab), n_words)
        _check(code, "layout")
        nb, nt = n_blocks.value, n_tab.value
        row_ptr = np.zeros(int((cn + 1).sum()), np.uint64)
        b_src, b_tgt = np.zeros(nb, np.int64), np.zeros(nb, np.int64)
        fmt, wtab_start = np.zeros(nb, np.int32), np.zeros(nb, np.int64)
        max_d = np.zeros(nb, np.int64)
        wtab, wrec = np.zeros(nt), np.zeros(nt, np.int32)
        n_compact = np.zeros(4, np.int64)  # compact, all, half and Q16 synapses
        code = dll.ss_rb_write(
            rb,
            None,  # the words go over the records (kernels_c/build.c): no second copy
            E.ptr(row_ptr, c_uint64) if len(row_ptr) else None,
            E.ptr(b_src, c_int64),
            E.ptr(b_tgt, c_int64),
            E.ptr(fmt, c_int32),
            E.ptr(wtab_start, c_int64),
            E.ptr(max_d, c_int64),
            E.ptr(wtab, c_double),
            E.ptr(wrec, c_int32),
            E.ptr(n_compact, c_int64),
        )
        _check(code, "write")
        laying.done()
        stream = _CWords(dll, dll.ss_rb_take_stream(rb), n_words.value).array()
    finally:
        dll.ss_rb_free(rb)
    row_base = np.concatenate([[0], np.cumsum(cn + 1)]).astype(np.int64)
    max_into = np.zeros(n_cores, np.int64)
    np.maximum.at(max_into, b_tgt, max_d)
    empty = np.zeros(0, np.int64)
    return BlockTable(
        src=b_src,
        tgt=b_tgt,
        fmt=fmt,
        wtab=wtab,
        wrec=wrec,
        wtab_start=wtab_start,
        stream=stream,
        row_ptr=row_ptr,
        row_ptr_start=row_base[:-1],
        core_block0=np.searchsorted(b_src, np.arange(n_cores)),
        max_delay_into=max_into,
        n_synapses=int(n_compact[1]),
        n_compact=int(n_compact[0]),
        n_half=int(n_compact[2]),
        n_q16=int(n_compact[3]),
        rules=[],
        block_rule=np.full(nb, -1, np.int64),
        seg_syn=empty,
        seg_rule=empty.copy(),
        p_rule=empty.copy(),
        p_tgt=empty.copy(),
        p_post=empty.copy(),
        p_weight=np.zeros(0),
        p_delay=empty.copy(),
        p_seg=empty.copy(),
        p_of_projection={},
    )


def all_static(spec: NetworkSpec) -> bool:
    """Return whether no projection with synapses is plastic (the rows are then built in C)."""
    # a drawn projection is static: its synapses are never drawn here
    return not any(p.plasticity is not None and len(p.pre_index) for p in spec.projections)


def synapse_blocks(
    spec: NetworkSpec,
    core_gid0: IntArray,
    core_n: IntArray,
    pop_base: IntArray,
    targets: npt.NDArray[np.bool_] | None = None,
    show: bool = True,
    weight_bits: int = 32,
) -> BlockTable:
    """Build the network's rows and blocks (here, in C, when every synapse is static).

    A network with plastic synapses goes through ``build_blocks`` (whole-network arrays,
    which ``targets`` filters by their target core), which cannot store 16-bit weights
    (``weight_bits=16`` is then refused with a ParameterError).
    ``show``: whether this process shows progress lines (``build_static_blocks``).
    """
    weight_bits = check_weight_bits("synapse_blocks", weight_bits)
    if not all_static(spec):
        if weight_bits != 32:
            plastic = next(
                p for p in spec.projections if p.plasticity is not None and len(p.pre_index)
            )
            raise ParameterError(
                f"weight_bits={weight_bits}: 16-bit weights apply to networks whose synapses "
                f"are all static; projection {plastic.label or plastic.id!r} is plastic "
                "(use weight_bits=32 for this network)"
            )
        return build_blocks(spec, core_gid0, core_n, pop_base, targets)
    want_gid = None
    if targets is not None:  # a drawn projection's blocks onto other targets: not drawn
        want_gid = np.zeros(int((core_gid0 + core_n).max()) if len(core_n) else 0, bool)
        for c in np.flatnonzero(targets):
            want_gid[core_gid0[c] : core_gid0[c] + core_n[c]] = True
    known: list[tuple[IntArray, IntArray]] = []
    skip: set[int] = set()
    if targets is None:  # drawn projections that know their synapses per source: not drawn
        for p in spec.projections:  # for the first pass
            out = getattr(p, "out_degree", None)
            if out is not None:
                known.append((int(pop_base[p.pre]) + out[0], out[1]))
                skip.add(p.id)
    return build_static_blocks(
        lambda: spec_chunks(spec, pop_base, want_gid),
        core_gid0,
        core_n,
        targets,
        known_rows=known,
        counted=lambda: spec_chunks(spec, pop_base, want_gid, frozenset(skip)),
        show=show,
        weight_bits=weight_bits,
    )
