"""ctypes binding of the C engine (``kernels_c/engine.h``): the only module that loads it.

The structs below mirror ``engine.h`` field by field; :func:`lib` compares them with the
sizes and offsets the engine exports (``ss_layout``) and refuses an engine that differs.  The
model tables (:func:`models`) are read from the engine's own description of its models
(``kernels_c/models``, docs/MODELS.md), never written here.  Every array the structs point
to is a numpy array owned by Python (``HostBoard`` keeps them alive); C allocates only the
thread pool (``ss_pool_create``: the threads and each thread's copy of the synaptic rows),
which ``HostBoard`` destroys with its engine.  ``ctypes.CDLL`` releases the GIL for the
duration of each call, so ``ss_run`` lets other threads, and so the session's event loop, run
while the engine computes.
"""

from __future__ import annotations

import ctypes
import importlib.machinery
import pathlib
import sys
from ctypes import POINTER, c_char_p, c_double, c_int32, c_int64, c_uint8, c_uint64
from functools import cache

import numpy as np
import numpy.typing as npt

from spinstream.model import Constraint, ModelDescription, Row

ABI_VERSION = 16

#: ss_prepare_core's codes: a parameter row breaks its constraint (ERR_PARAM - row), a random
#: source's rate is too high for its dead time (ERR_RATE).
ERR_PARAM, ERR_RATE = -1000, -11

CS_KINDS = {"dc": 0, "ac": 1, "step": 2, "noisy": 3}
COMPACT, WIDE, PLASTIC, HALF, Q16 = 0, 1, 2, 3, 4
C_POST_BITS, C_DELAY_BITS, C_TAB_BITS = 12, 11, 9
W_POST_BITS, W_DELAY_BITS, W_REC_BITS = 16, 14, 2
H_POST_BITS, H_DELAY_BITS = 8, 7


class Probe(ctypes.Structure):
    _fields_ = [
        ("var", c_int32),
        ("n", c_int32),
        ("interval", c_int32),
        ("pad", c_int32),
        ("index", POINTER(c_int32)),
        ("out", POINTER(c_double)),
        ("out_stamp", POINTER(c_int64)),
        ("cap", c_int64),
        ("count", c_int64),
    ]


class Core(ctypes.Structure):
    _fields_ = [
        ("model", c_int32),
        ("n", c_int32),
        ("n_receptors", c_int32),
        ("ring_mask", c_int32),
        ("gid0", c_int64),
        ("params", POINTER(c_double)),
        ("state", POINTER(c_double)),
        ("refrac", POINTER(c_int32)),
        ("ring", POINTER(c_double)),
        ("i_cs", POINTER(c_double)),
        ("spike_out", POINTER(c_uint8)),
        ("spikes", POINTER(c_int32)),
        ("sched_stamp", POINTER(c_int64)),
        ("sched_index", POINTER(c_int32)),
        ("sched_n", c_int64),
        ("sched_pos", c_int64),
        ("rng", c_uint64 * 4),
        ("n_probes", c_int32),
        ("pad", c_int32),
        ("probes", POINTER(Probe)),
        ("packets_in", c_int64),
        ("spikes_out", c_int64),
        ("row_ptr", POINTER(ctypes.c_uint64)),
        ("rows", POINTER(ctypes.c_uint32)),
        ("block0", c_int32),
        ("cs_active", c_int32),
        ("uniform", c_int32),
        ("pad2", c_int32),
    ]


class Block(ctypes.Structure):
    _fields_ = [
        ("target", c_int32),
        ("format", c_int32),
        ("wtab", POINTER(c_double)),
        ("wrec", POINTER(c_int32)),
    ]


class CurrentSource(ctypes.Structure):
    _fields_ = [
        ("kind", c_int32),
        ("n_targets", c_int32),
        ("t_core", POINTER(c_int32)),
        ("t_index", POINTER(c_int32)),
        ("start", c_int64),
        ("stop", c_int64),
        ("amplitude", c_double),
        ("offset", c_double),
        ("frequency", c_double),
        ("phase", c_double),
        ("mean", c_double),
        ("stdev", c_double),
        ("interval", c_int64),
        ("n_steps", c_int64),
        ("step_at", POINTER(c_int64)),
        ("step_amp", POINTER(c_double)),
        ("pos", c_int64),
        ("current", c_double),
        ("noise", POINTER(c_double)),
        ("rng", c_uint64 * 4),
        ("rec", POINTER(c_double)),
        ("rec_cap", c_int64),
        ("rec_n", c_int64),
    ]


STDP_ADDITIVE, STDP_MULTIPLICATIVE, TSODYKS_MARKRAM, STOCHASTIC = 0, 1, 2, 3
#: sPyNNaker's SpikeNearestPairRule (additive, multiplicative) and Vogels2011Rule.
STDP_NEAREST, STDP_NEAREST_MULTIPLICATIVE, VOGELS, TRIPLET = 4, 5, 6, 7
#: sPyNNaker's StructuralMechanismStatic (fixed weights, counted synapses; structural.c)
STRUCTURAL_STATIC = 12
#: sPyNNaker's Neuromodulation: dopamine-modulated pair STDP, and the dopamine release.
STDP_DOPAMINE, DOPAMINE_RELEASE = 8, 9
#: sPyNNaker's RecurrentRule (additive, multiplicative weight dependence).
RECURRENT, RECURRENT_MULTIPLICATIVE = 10, 11
#: sPyNNaker's WeightChangeable and WeightChanger synapses.
WEIGHT_CHANGEABLE, WEIGHT_CHANGER = 14, 15


class Rule(ctypes.Structure):
    _fields_ = [
        ("kind", c_int32),
        ("pad", c_int32),
        ("tau_plus", c_double),
        ("tau_minus", c_double),
        ("a_plus", c_double),
        ("a_minus", c_double),
        ("w_min", c_double),
        ("w_max", c_double),
        ("u_use", c_double),
        ("tau_rec", c_double),
        ("tau_facil", c_double),
        ("p_release", c_double),
        ("alpha", c_double),
        ("tau_x", c_double),
        ("a3_plus", c_double),
        ("a3_minus", c_double),
        ("lut_plus", POINTER(c_double)),
        ("lut_x", POINTER(c_double)),
        ("tau_c", c_double),
        ("tau_d", c_double),
        ("nm_w_min", c_double),
        ("nm_w_max", c_double),
        ("da", c_double),
        ("lut_c", POINTER(c_double)),
        ("lut_d", POINTER(c_double)),
    ]


class Post(ctypes.Structure):
    _fields_ = [
        ("n", c_int32),
        ("cap", c_int32),
        ("cap_max", c_int32),
        ("d_max", c_int32),
        ("tau_minus", c_double),
        ("lut_minus", POINTER(c_double)),
        ("t", POINTER(c_int64)),
        ("k", POINTER(c_double)),
        ("reads", POINTER(c_int32)),
        ("head", POINTER(c_int32)),
        ("len", POINTER(c_int32)),
        ("n_in", POINTER(c_int32)),
        ("col_ptr", POINTER(c_int64)),
        ("col_syn", POINTER(c_int32)),
        ("col_seg", POINTER(c_int32)),
        ("col_dr", POINTER(c_int32)),
        ("tau_y", c_double),
        ("lut_y", POINTER(c_double)),
        ("k2", POINTER(c_double)),
        ("tau_d", c_double),
        ("lut_d", POINTER(c_double)),
    ]


class PlasticBlock(ctypes.Structure):
    _fields_ = [
        ("rule", c_int32),
        ("pad", c_int32),
        ("tau_syn", POINTER(c_double) * 2),
    ]


class Plastic(ctypes.Structure):
    _fields_ = [
        ("n_rules", c_int32),
        ("full", c_int32),
        ("rules", POINTER(Rule)),
        ("blocks", POINTER(PlasticBlock)),
        ("post", POINTER(Post)),
        ("seg_syn", POINTER(c_int64)),
        ("seg_state", POINTER(c_int64)),
        ("seg_trace", POINTER(c_double)),
        ("seg_last", POINTER(c_int64)),
        ("w", POINTER(c_double)),
        ("tm_xy", POINTER(c_double)),
        ("pending", POINTER(c_double)),
        ("lost", c_int64),
        ("seg_trace2", POINTER(c_double)),
    ]


class StructuralProjection(ctypes.Structure):
    """One structural projection into a core (engine.h ``ss_sp_proj``)."""

    _fields_ = [
        *((f, c_int32) for f in ("n_pre", "lateral", "grid_x", "grid_y")),
        *((f, c_double) for f in ("p_form", "two_sigma2", "p_dep", "p_pot", "threshold")),
        ("w_init", c_double),
        ("pend_none", c_double),
        ("pair", POINTER(c_int64)),
        ("row_n", POINTER(c_int32)),
        ("pair_n", POINTER(ctypes.c_uint16)),
        *((f, c_int64) for f in ("elim_tries", "eliminations", "form_tries", "formations")),
    ]


class StructuralCore(ctypes.Structure):
    """The rewiring of one target core (engine.h ``ss_sp_core``; board/_structural.py)."""

    _fields_ = [
        *((f, c_int32) for f in ("n", "lo", "n_pop", "n_proj", "s_max", "per_step", "period")),
        *((f, c_int32) for f in ("partner", "buf_cap", "replace")),
        ("buf_n", c_int32 * 2),
        ("buf_stamp", c_int64 * 2),
        ("seed", ctypes.c_uint64),
        ("shared_stream", ctypes.c_uint64),
        ("local_stream", ctypes.c_uint64),
        ("shared", ctypes.c_uint64 * 4),
        ("local", ctypes.c_uint64 * 4),
        ("projs", POINTER(StructuralProjection)),
        ("slot", POINTER(c_int64)),
        ("c_syn", POINTER(c_int64)),
        ("c_pend", POINTER(c_int64)),
        ("c_pre", POINTER(c_int32)),
        ("c_proj", POINTER(c_int32)),
        ("buf", POINTER(c_int64)),
        ("attempts", c_int64),
    ]


class Structural(ctypes.Structure):
    """Structural plasticity of a network (engine.h ``ss_structural``)."""

    _fields_ = [
        ("n_cores", c_int32),
        ("pad", c_int32),
        ("cores", POINTER(StructuralCore)),
        ("count", POINTER(ctypes.c_uint16)),
        ("seg_pre", POINTER(c_int32)),
        ("seg_proj", POINTER(c_int32)),
    ]


class Engine(ctypes.Structure):
    _fields_ = [
        ("dt", c_double),
        ("step", c_int64),
        ("n_cores", c_int32),
        ("n_blocks", c_int32),
        ("cores", POINTER(Core)),
        ("blocks", POINTER(Block)),
        ("route_ptr", POINTER(c_int32)),
        ("route_target", POINTER(c_int32)),
        ("route_block", POINTER(c_int32)),
        ("n_csrc", c_int32),
        ("pad", c_int32),
        ("csrc", POINTER(CurrentSource)),
        ("out_stamp", POINTER(c_int64)),
        ("out_gid", POINTER(c_int64)),
        ("out_cap", c_int64),
        ("out_n", c_int64),
        ("out_reserve", c_int64),
        ("out_lost", c_int64),
        ("plastic", POINTER(Plastic)),
        ("pool", ctypes.c_void_p),
        ("structural", POINTER(Structural)),
    ]


#: The structs shared with C, checked against the engine's own layout when it is loaded.
SHARED_STRUCTS: dict[str, type[ctypes.Structure]] = {
    "ss_probe": Probe,
    "ss_core": Core,
    "ss_block": Block,
    "ss_csrc": CurrentSource,
    "ss_engine": Engine,
    "ss_rule": Rule,
    "ss_post": Post,
    "ss_pblock": PlasticBlock,
    "ss_plastic": Plastic,
    "ss_sp_proj": StructuralProjection,
    "ss_sp_core": StructuralCore,
    "ss_structural": Structural,
}

#: The description of one model, as the engine declares it (spinstream.model).
ModelLayout = ModelDescription


class EngineLayoutError(ImportError):
    """The compiled engine's structs differ from this binding's (rebuild the engine)."""


def engine_layout(dll: ctypes.CDLL) -> dict[str, tuple[int, dict[str, int]]]:
    """Each shared struct's size and field offsets (bytes), as the compiled engine has them."""
    n = int(dll.ss_layout(None, 0))
    buf = ctypes.create_string_buffer(n + 1)
    dll.ss_layout(buf, n + 1)
    out: dict[str, tuple[int, dict[str, int]]] = {}
    for line in buf.value.decode().splitlines():
        name, size, *fields = line.split()
        out[name] = (int(size), {f: int(o) for f, o in (x.split(":") for x in fields)})
    return out


def check_layout(
    dll: ctypes.CDLL, structs: dict[str, type[ctypes.Structure]] | None = None
) -> None:
    """Refuse an engine whose shared structs differ from their ctypes mirrors.

    Compares every struct's size and every field's name, order and offset; raises
    :class:`EngineLayoutError` naming the first difference.
    """
    theirs = engine_layout(dll)
    for name, cls in (structs if structs is not None else SHARED_STRUCTS).items():
        if name not in theirs:
            raise EngineLayoutError(f"the C engine does not export the layout of {name}")
        size, offsets = theirs[name]
        ours = {f[0]: getattr(cls, f[0]).offset for f in cls._fields_}
        if list(ours) != list(offsets):
            raise EngineLayoutError(
                f"{name}: the C engine's fields are {list(offsets)}, the Python binding's "
                f"{list(ours)}: rebuild the engine (`pip install -e .`) or update "
                "spinstream/board/_engine.py"
            )
        for field, offset in offsets.items():
            if ours[field] != offset:
                raise EngineLayoutError(
                    f"{name}.{field}: offset {offset} in the C engine, {ours[field]} in the "
                    "Python binding: rebuild the engine or update spinstream/board/_engine.py"
                )
        if ctypes.sizeof(cls) != size:
            raise EngineLayoutError(
                f"{name}: {size} bytes in the C engine, {ctypes.sizeof(cls)} in the Python "
                "binding: rebuild the engine or update spinstream/board/_engine.py"
            )


def _library_path() -> pathlib.Path:
    # Next to this file first (an installed package, or a checkout built in place); then in
    # the other copies of the package on sys.path: `python -m pytest` in a checkout imports
    # ./spinstream, whose engine `pip install .` compiled into site-packages instead.  The ABI
    # check in lib() refuses a copy that does not match this binding.
    dirs = [pathlib.Path(__file__).parent]
    dirs += [pathlib.Path(entry) / "spinstream" / "board" for entry in sys.path if entry]
    for here in dirs:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            candidate = here / f"_libengine{suffix}"
            if candidate.exists():
                return candidate
    raise ImportError(
        "spinstream's C engine (spinstream/board/_libengine*.so) is not built. "
        "Build it with `pip install .` or, in a checkout, `pip install -e .` "
        "(gcc is the only tool it needs)."
    )


@cache
def lib() -> ctypes.CDLL:
    """Load the compiled engine once and declare its functions' signatures."""
    dll = ctypes.CDLL(str(_library_path()))
    eng = POINTER(Engine)
    dll.ss_run.argtypes = [eng, c_int64]
    dll.ss_run.restype = c_int64
    dll.ss_prepare_core.argtypes = [eng, c_int32]
    dll.ss_prepare_core.restype = ctypes.c_int
    dll.ss_restart_sources.argtypes = [eng, c_int32, POINTER(c_int32), c_int32]
    dll.ss_restart_sources.restype = None
    dll.ss_seed.argtypes = [POINTER(c_uint64), c_uint64, c_uint64]
    dll.ss_seed.restype = None
    dll.ss_model_count.argtypes = []
    dll.ss_model_count.restype = c_int32
    for name in (
        "ss_model_name",
        "ss_model_aliases",
        "ss_model_receptors",
        "ss_model_composition",
    ):
        getattr(dll, name).argtypes = [c_int32]
        getattr(dll, name).restype = c_char_p
    for name in (
        "ss_model_n_pynn_params",
        "ss_model_n_receptor_pynn_params",
        "ss_model_n_receptors",
        "ss_model_is_source",
    ):
        getattr(dll, name).argtypes = [c_int32]
        getattr(dll, name).restype = c_int32
    dll.ss_model_n_rows.argtypes = [c_int32, c_int32]
    dll.ss_model_n_rows.restype = c_int32
    for name in ("ss_model_row_name", "ss_model_row_unit"):
        getattr(dll, name).argtypes = [c_int32, c_int32, c_int32]
        getattr(dll, name).restype = c_char_p
    dll.ss_model_row_constraint.argtypes = [c_int32, c_int32, c_int32]
    dll.ss_model_row_constraint.restype = c_int32
    dll.ss_model_row_value.argtypes = [c_int32, c_int32, c_int32]
    dll.ss_model_row_value.restype = c_double
    dll.ss_layout.argtypes = [c_char_p, c_int64]
    dll.ss_layout.restype = c_int64
    dll.ss_plastic_prepare.argtypes = [eng]
    dll.ss_plastic_prepare.restype = ctypes.c_int
    dll.ss_structural_prepare.argtypes = [eng]
    dll.ss_structural_prepare.restype = ctypes.c_int
    dll.ss_abi_version.restype = c_int32
    dll.ss_pool_create.argtypes = [eng, c_int32]
    dll.ss_pool_create.restype = ctypes.c_void_p
    dll.ss_pool_destroy.argtypes = [ctypes.c_void_p]
    dll.ss_pool_destroy.restype = None
    dll.ss_pool_threads.argtypes = [ctypes.c_void_p]
    dll.ss_pool_threads.restype = c_int32
    dll.ss_pool_owners.argtypes = [ctypes.c_void_p, POINTER(c_int32)]
    dll.ss_pool_owners.restype = None
    dll.ss_pool_window.argtypes = [ctypes.c_void_p, eng]
    dll.ss_pool_window.restype = c_int32
    dll.ss_pool_copied_rows.argtypes = [ctypes.c_void_p]
    dll.ss_pool_copied_rows.restype = c_int32
    dll.ss_pool_windows.argtypes = [ctypes.c_void_p]
    dll.ss_pool_windows.restype = c_int64
    dll.ss_pool_set_window.argtypes = [ctypes.c_void_p, c_int32]
    dll.ss_pool_set_window.restype = ctypes.c_int
    vp = ctypes.c_void_p
    dll.ss_comm_create.argtypes = [c_int32, c_int32, c_int32, c_int64, c_int64, vp, vp]
    dll.ss_comm_create.restype = vp
    dll.ss_comm_destroy.argtypes = [vp]
    dll.ss_comm_set_shm.argtypes = [vp, vp, c_int64]
    dll.ss_comm_set_shm.restype = c_int32
    dll.ss_comm_shm.argtypes = [vp]
    dll.ss_comm_shm.restype = c_int32
    dll.ss_comm_collectives.argtypes = [vp, POINTER(c_int64)]
    dll.ss_comm_collectives.restype = None
    dll.ss_comm_destroy.restype = None
    dll.ss_comm_set_digest.argtypes = [vp, c_int64]
    dll.ss_comm_set_digest.restype = None
    dll.ss_comm_set_lead.argtypes = [vp, c_int32]
    dll.ss_comm_set_lead.restype = None
    dll.ss_comm_take_stop.argtypes = [vp]
    dll.ss_comm_take_stop.restype = c_int32
    i64p = POINTER(c_int64)
    dll.ss_pool_create_owned.argtypes = [eng, c_int32, vp, POINTER(c_int32)]
    dll.ss_pool_create_owned.restype = vp
    dll.ss_pool_assign.argtypes = [c_int32, i64p, POINTER(ctypes.c_uint8), i64p, c_int32]
    dll.ss_pool_assign.argtypes += [c_int32, c_int32, POINTER(c_int32)]
    dll.ss_pool_assign.restype = ctypes.c_int
    dll.ss_sort_rows.argtypes = [c_int64, c_int64, i64p, i64p, i64p]
    dll.ss_sort_rows.restype = ctypes.c_int
    if dll.ss_abi_version() != ABI_VERSION:
        raise ImportError(
            f"spinstream's C engine has ABI {dll.ss_abi_version()}, the Python binding expects "
            f"{ABI_VERSION}: rebuild it with `pip install .` (or `pip install -e .`)."
        )
    check_layout(dll)
    return dll


def _split(raw: bytes | None) -> tuple[str, ...]:
    text = (raw or b"").decode()
    return tuple(s for s in text.split(",") if s)


def _rows(dll: ctypes.CDLL, mid: int, kind: int) -> tuple[Row, ...]:
    return tuple(
        Row(
            name=dll.ss_model_row_name(mid, kind, r).decode(),
            unit=dll.ss_model_row_unit(mid, kind, r).decode(),
            constraint=Constraint(dll.ss_model_row_constraint(mid, kind, r)),
            value=float(dll.ss_model_row_value(mid, kind, r)),
        )
        for r in range(dll.ss_model_n_rows(mid, kind))
    )


@cache
def models() -> dict[str, ModelDescription]:
    """Every model of the engine by name (aliases included), read from the C library itself."""
    dll = lib()
    out: dict[str, ModelDescription] = {}
    for mid in range(dll.ss_model_count()):
        desc = ModelDescription(
            model_id=mid,
            name=dll.ss_model_name(mid).decode(),
            aliases=_split(dll.ss_model_aliases(mid)),
            param_rows=_rows(dll, mid, 0),
            n_pynn_params=dll.ss_model_n_pynn_params(mid),
            state_rows=_rows(dll, mid, 1),
            receptors=_split(dll.ss_model_receptors(mid)),
            is_source=bool(dll.ss_model_is_source(mid)),
            composition=(dll.ss_model_composition(mid) or b"").decode(),
            receptor_param_rows=_rows(dll, mid, 2),
            n_receptor_pynn_params=dll.ss_model_n_receptor_pynn_params(mid),
            receptor_state_rows=_rows(dll, mid, 3),
        )
        for name in (desc.name, *desc.aliases):
            out[name] = desc
    return out


def model_names() -> tuple[str, ...]:
    """Return the engine's models, one name each (no aliases), in id order."""
    return tuple(dict.fromkeys(d.name for d in models().values()))


def layout(model: str, receptors: tuple[str, ...] = ()) -> ModelDescription:
    """Return the description of a model (``KeyError`` for a model the engine does not have).

    A composed model (PyNN's PointNeuron) is described with the given ``receptors``: one block
    of rows each (see :meth:`ModelDescription.with_receptors`).
    """
    model_ = models()[model]
    return model_.with_receptors(tuple(receptors)) if model_.receptor_param_rows else model_


def ptr(array: npt.NDArray[np.generic] | None, ctype: type) -> object:
    """Return a ctypes pointer to a C-contiguous numpy array (NULL for None)."""
    if array is None:
        return POINTER(ctype)()  # NULL
    assert array.flags.c_contiguous
    return array.ctypes.data_as(POINTER(ctype))


def seed_rng(state: ctypes.Array[c_uint64], seed: int, stream: int) -> None:
    """Seed one xoshiro256** generator: ``stream`` separates generators of one seed."""
    lib().ss_seed(state, seed & (2**64 - 1), stream & (2**64 - 1))
