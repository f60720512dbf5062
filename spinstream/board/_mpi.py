"""The MPI processes one HostBoard spans: the engine's communicator and the per-chunk gathers.

``mpirun -n K python script.py`` runs the same script in K processes (ranks).  Each builds
the same network and the same mapping; the engine (``kernels_c/mpi.c``, ``threads.c``) gives
rank r the neuron cores of parts ``r*T .. r*T + T - 1`` of one assignment to K*T parts, keeps
only the synapses of those targets, and exchanges every step's spikes with one
``MPI_Allgather`` (plus an ``MPI_Allgatherv`` for the rare step whose spikes do not fit the
agreed slot), called from C: no Python and no pickling per step.  So every rank ends a run
with every recorded spike, in the order one process would have produced them.

The engine does not link libmpi: this module hands it the addresses of ``MPI_Allgather``
and ``MPI_Allgatherv`` from the libmpi that mpi4py loaded, and the handles of a duplicate of
the communicator (the engine's traffic never mixes with the user's) and of ``MPI_BYTE``.

Sampled state, ``get_state`` and plastic weights live on the rank that owns their core; they
are combined once per chunk (or per call) with a bitwise-OR ``Allreduce`` of their 64-bit
patterns, every other rank contributing zeros: exact, with no rounding (``x | 0 == x``).

A rank that raises an uncaught exception calls ``MPI_Abort`` (:func:`install_abort_hook`),
so the other ranks stop instead of waiting for ever in the next exchange; mpirun's default
(errors are fatal, a rank that dies ends the job) covers a rank that is killed.
"""

from __future__ import annotations

import copy
import ctypes
import dataclasses
import functools
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar, cast

import numpy as np
import numpy.typing as npt

from spinstream.model import ColumnDigest, EngineError, ParameterError

log = logging.getLogger("spinstream")

#: The environment variables by which MPI launchers (MPICH's hydra, Open MPI's mpirun,
#: MVAPICH, Slurm's srun with PMI) tell a process how many processes were started.
LAUNCH_SIZE_VARS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE", "PMIX_SIZE")

_abort_lock = threading.Lock()
_abort_installed = False


#: The tag of rank 0's message that starts :meth:`Processes.exchange_inputs` (the engine's
#: communicator carries no other point-to-point messages).
_GO_TAG = 71
#: Seconds a rank polls a request without sleeping (:func:`idle_wait`).
IDLE_SPIN = 0.02
#: The longest sleep between two polls, in seconds.
IDLE_PAUSE = 1e-3


def idle_wait(request: Any, deadline: float | None = None) -> bool:
    """Wait for an MPI request without holding a core while it waits; False at ``deadline``.

    Polls for :data:`IDLE_SPIN` seconds (yielding the core between polls, to a rank that
    shares it), then sleeps between polls, the pause doubling from 20 us up to
    :data:`IDLE_PAUSE`: a rank waiting for a controller that thinks for half a second
    used 0.05 CPU seconds a second (benchmarks/RESULTS.md), where polling all along
    takes the whole core (and, with more ranks than cores, takes it from the ranks that
    work).  It answers at most :data:`IDLE_PAUSE` late after a long wait.  The polling
    lasts 20 ms, not less, because with MPICH a sleeping rank also holds up the others:
    its own messages move on only while it is inside MPI.  With 1 ms of polling, two
    ranks in a closed loop fell, after one long wait, into a rhythm of 2.4 ms a run (each
    rank's wait outlasting the polling because the other had slept), where 0.05 is usual
    (seen in single runs that printed every run's time, not in alternating rounds).
    ``deadline`` (``time.monotonic()``) ends the wait unfinished; None waits for ever.
    """
    if request.Test():
        return True
    until = time.perf_counter() + IDLE_SPIN
    while time.perf_counter() < until:
        if request.Test():
            return True
        # with more ranks than cores the rank waited for may share this core: let it run
        # (without, it waited for the scheduler's time slice, 4 ms, at every run)
        os.sched_yield()
    pause = 2e-5
    while not request.Test():
        if deadline is not None and time.monotonic() > deadline:
            return False
        time.sleep(pause)
        pause = min(pause * 2, IDLE_PAUSE)
    return True


def collective_timeout() -> float:
    """Seconds a rank waits for the others in a collective read (``SPINSTREAM_MPI_TIMEOUT``).

    The per-step exchange has no timeout (a rank in lock-step may wait for its controller
    as long as it must); a rank that dies ends the job through the launcher or MPI_Abort.
    """
    raw = os.environ.get("SPINSTREAM_MPI_TIMEOUT", "300")
    try:
        value = float(raw)
    except ValueError:
        raise EngineError(
            f"SPINSTREAM_MPI_TIMEOUT must be a number of seconds, got {raw!r}"
        ) from None
    if not value > 0:
        raise EngineError(f"SPINSTREAM_MPI_TIMEOUT must be > 0 seconds, got {raw!r}")
    return value


#: Each rank's region of the shared segment: a control line and two buffers of 256 KiB (a
#: window's spikes and samples that do not fit follow through MPI_Allgatherv).
SEGMENT_RANK_BYTES = 64 + 2 * 256 * 1024


@dataclasses.dataclass(frozen=True)
class _Segment:
    """A shared segment of the exchange.

    Its window, the ranks that map it, each rank's region's size, its serial number (alike
    on every rank) and its address in this process.
    """

    win: Any
    group: Any
    rank_bytes: int
    serial: int
    base: int


#: Shared segments of closed boards (``Processes.close``), for later boards of the same ranks.
_SPARE_SEGMENTS: list[_Segment] = []
#: The least serial number this process proposes for its next segment.
_next_serial = 0


def shared_segment_wanted() -> bool:
    """Whether ranks on one node exchange through a shared segment (``SPINSTREAM_MPI_SHM``).

    ``1`` (the default) or ``0`` (MPI_Allgather always, as across nodes).
    """
    raw = os.environ.get("SPINSTREAM_MPI_SHM", "1")
    if raw not in ("0", "1"):
        raise EngineError(f"SPINSTREAM_MPI_SHM must be 0 or 1, got {raw!r}")
    return raw == "1"


def launched_size() -> int:
    """Return how many processes the MPI launcher started (1 outside a launcher)."""
    for var in LAUNCH_SIZE_VARS:
        value = os.environ.get(var, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return 1


def _import_mpi(why: str) -> Any:
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise EngineError(
            f"{why}, but mpi4py is not installed: install spinstream's MPI extra "
            "(`pip install spinstream[mpi]`, which brings mpi4py and MPICH) or mpi4py built "
            "against your cluster's MPI"
        ) from exc
    return MPI


def world() -> Any | None:
    """MPI's COMM_WORLD when this process is one of several MPI processes, else None.

    Several: the launcher said so (:data:`LAUNCH_SIZE_VARS`), or mpi4py is already imported
    and its world has more than one process.
    """
    size = launched_size()
    if size > 1:
        MPI = _import_mpi(f"this process was started by an MPI launcher with {size} processes")
        return MPI.COMM_WORLD
    mpi = sys.modules.get("mpi4py.MPI")
    if mpi is not None and mpi.Is_initialized() and mpi.COMM_WORLD.Get_size() > 1:
        return mpi.COMM_WORLD
    return None


def processes(comm: Any = None) -> Processes | None:
    """Return the board's processes: ``comm`` (mpi4py), or :func:`world` for None.

    None when that is this process alone (one process needs no exchange).
    """
    if comm is None:
        comm = world()
        if comm is None:
            return None
    if not (hasattr(comm, "Get_size") and hasattr(comm, "Dup")):
        raise ParameterError(f"HostBoard: comm must be an mpi4py communicator, got {comm!r}")
    if comm.Get_size() == 1:
        return None
    return Processes(comm)


def agreed_seed(seed: int) -> int:
    """Rank 0's ``seed`` on every rank of the world (a seed drawn at random differs per rank).

    Collective over COMM_WORLD when this process is one of several; else ``seed``.
    """
    comm = world()
    if comm is None:
        return seed
    return int(comm.bcast(int(seed), root=0))


def _libmpi_functions() -> tuple[int, int]:
    """Addresses of MPI_Allgather and MPI_Allgatherv in the libmpi mpi4py loaded."""
    candidates: list[str] = []
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1] if line.strip() else ""
                name = os.path.basename(path)
                if (
                    name.startswith(("libmpi", "libmpich", "libmpi_abi"))
                    and path not in candidates
                ):
                    candidates.append(path)
    except OSError:  # not Linux: ask the dynamic linker
        pass
    import ctypes.util

    for name in ("mpi", "mpich"):
        found = ctypes.util.find_library(name)
        if found:
            candidates.append(found)
    for path in candidates:
        try:
            lib = ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
            ag = ctypes.cast(lib.MPI_Allgather, ctypes.c_void_p).value
            agv = ctypes.cast(lib.MPI_Allgatherv, ctypes.c_void_p).value
        except (OSError, AttributeError):
            continue
        if ag and agv:
            return int(ag), int(agv)
    raise EngineError(
        "spinstream could not find MPI_Allgather in the MPI library mpi4py loaded "
        f"(looked in {candidates or 'no libmpi'})"
    )


class Processes:
    """The ranks of one board: rank, size and the engine's communicator.

    Parameters
    ----------
    comm
        An mpi4py communicator; the board uses a duplicate of it.
    """

    def __init__(self, comm: Any) -> None:
        from mpi4py import MPI

        self._MPI = MPI
        if MPI.Query_thread() < MPI.THREAD_SERIALIZED:
            raise EngineError(
                "spinstream runs the MPI exchange on the thread that runs the board (a "
                "session's worker thread): MPI must be initialised with at least "
                "MPI_THREAD_SERIALIZED (mpi4py's default is 'multiple'; do not lower "
                "mpi4py.rc.thread_level)"
            )
        self._base = comm
        self._handle = 0
        self._segment: _Segment | None = None  # the shared segment of the exchange (open)
        self._go = bytearray(1)  # exchange_inputs: rank 0 is at its next run
        self.rank: int = comm.Get_rank()
        self.size: int = comm.Get_size()
        self.open()
        install_abort_hook(MPI.COMM_WORLD)  # not comm: its owner may have freed it

    def open(self) -> None:
        """Duplicate the communicator and hand it to the engine, unless that is done.

        Collective (``MPI_Comm_dup``): every rank opens together (they load together).
        """
        if self._handle:
            return
        MPI = self._MPI
        self.comm = self._base.Dup()
        handle_bytes = int(MPI._sizeof(MPI.Comm))
        allgather, allgatherv = _libmpi_functions()
        lib = _engine_lib()
        self._handle = lib.ss_comm_create(
            self.rank,
            self.size,
            handle_bytes,
            int(MPI._handleof(self.comm)),
            int(MPI._handleof(MPI.BYTE)),
            ctypes.c_void_p(allgather),
            ctypes.c_void_p(allgatherv),
        )
        if not self._handle:
            raise EngineError(
                f"the engine refused the MPI communicator (rank {self.rank} of {self.size}, "
                f"{handle_bytes}-byte handles)"
            )
        # rank 0's runs end with a flag that stops every rank there: its input goes in
        lib.ss_comm_set_lead(self._handle, 1)
        self._segment = self._open_segment()

    def _open_segment(self) -> _Segment | None:
        """Map one shared segment for the exchange when every rank is on this node.

        Collective.  The engine's collectives then go through it instead of MPI_Allgather
        (``ss_comm_set_shm``: ~0.1 us a round trip between two cores here, against ~3 us for
        MPICH's MPI_Allgather).  None where a rank does not want one (``SPINSTREAM_MPI_SHM``)
        or the ranks span nodes or the segment cannot be had: every rank then keeps MPI's
        own, as the ranks agree on it (one allreduce).  A segment outlives its board
        (:meth:`close` keeps it): freeing it would be collective, and a rank that closes its
        board on its way to abort must not wait there for the others.  A later board takes a
        kept one only where every rank offers the same one: the same group of ranks, the
        same size and the same serial number (agreed when it was made).
        """
        MPI = self._MPI
        node = self.comm.Split_type(MPI.COMM_TYPE_SHARED)
        together = node.Get_size() == self.size
        node.Free()
        group = self.comm.Get_group()
        offer = -2  # no segment here: not wanted, or the ranks span nodes
        if shared_segment_wanted() and together:
            fits = [
                s
                for s in _SPARE_SEGMENTS
                if s.rank_bytes == SEGMENT_RANK_BYTES
                and MPI.Group.Compare(s.group, group) == MPI.IDENT
            ]
            offer = max((s.serial for s in fits), default=-1)
        group.Free()
        agreed = np.zeros(2, np.int64)
        self.comm.Allreduce(np.array([offer, -offer], np.int64), agreed, op=MPI.MIN)
        least, most = int(agreed[0]), -int(agreed[1])
        if least == -2:
            return None
        seg: _Segment | None
        if least == most >= 0:  # every rank kept this one
            seg = next(s for s in _SPARE_SEGMENTS if s.serial == least)
            _SPARE_SEGMENTS.remove(seg)
        else:
            seg = self._new_segment()
        if seg is None:
            return None
        ctypes.memset(seg.base + self.rank * seg.rank_bytes, 0, 64)
        self.comm.Barrier()  # every control line zeroed before any rank writes one
        if _engine_lib().ss_comm_set_shm(self._handle, ctypes.c_void_p(seg.base), seg.rank_bytes):
            raise EngineError(
                f"the engine refused the shared segment for the MPI exchange (at "
                f"{seg.base:#x}, {seg.rank_bytes} bytes a rank): not 64-byte aligned, or too small"
            )
        return seg

    def _new_segment(self) -> _Segment | None:
        """Allocate a segment on every rank (collective); None, alike, where one fails."""
        global _next_serial
        MPI = self._MPI
        win, why = None, ""
        try:  # one block, from rank 0: every rank's region at rank * SEGMENT_RANK_BYTES
            nbytes = SEGMENT_RANK_BYTES * self.size if self.rank == 0 else 0
            win = MPI.Win.Allocate_shared(nbytes, 1, comm=self.comm)
        except MPI.Exception as exc:
            why = str(exc)
        # whether any rank has none, and the serial: above any rank's so far, alike on all
        got = np.zeros(2, np.int64)
        mine = np.array([int(win is None), _next_serial], np.int64)
        self.comm.Allreduce(mine, got, op=MPI.MAX)
        if got[0] or win is None:  # a window some ranks have is dropped, not freed
            log.info("spinstream: no shared segment for the MPI exchange (%s)", why)
            return None
        serial = _next_serial = int(got[1])
        _next_serial += 1
        base = int(win.Shared_query(0)[0].address)
        return _Segment(win, self.comm.Get_group(), SEGMENT_RANK_BYTES, serial, base)

    @property
    def shared_segment(self) -> bool:
        """Whether the engine's exchange goes through a segment the ranks share (one node)."""
        return bool(self._handle) and bool(_engine_lib().ss_comm_shm(self._handle))

    def collectives(self) -> tuple[int, int]:
        """Count the engine's collectives since :meth:`open`.

        Two numbers: windows' messages through the segment, every collective through MPI.
        """
        out = (ctypes.c_int64 * 2)()
        if self._handle:
            _engine_lib().ss_comm_collectives(self._handle, out)
        return int(out[0]), int(out[1])

    @property
    def handle(self) -> int:
        """The engine's ``ss_comm`` (for the board's pool, ``ss_pool_create_owned``)."""
        return int(self._handle)

    def close(self) -> None:
        """Free the engine's communicator (after every pool that uses it is gone).

        :meth:`open` makes a new one (a board that loads again after ``close``).
        """
        if self._handle:
            _engine_lib().ss_comm_destroy(self._handle)
            self._handle = 0
            if not self._MPI.Is_finalized():
                self.comm.Free()
            if self._segment is not None:  # kept, not freed (a collective): _open_segment
                _SPARE_SEGMENTS.append(self._segment)
            self._segment = None

    def combine(self, values: npt.NDArray[Any], what: str = "a read") -> npt.NDArray[Any]:
        """Every rank's values bitwise ORed (each gives zeros where it owns nothing); new array.

        Collective: every rank must call it, in the same order, with the same shape.  A rank
        that waits longer than :func:`collective_timeout` for the others raises
        :class:`EngineError` naming ``what`` (uncaught, it aborts every rank).
        """
        arr = np.ascontiguousarray(values)
        bits: npt.NDArray[Any]
        if arr.dtype.itemsize == 8:
            bits = arr.view(np.int64).copy()
            mpi_type = self._MPI.INT64_T
        else:
            bits = arr.view(np.uint8).copy()
            mpi_type = self._MPI.UINT8_T
        request = self.comm.Iallreduce(self._MPI.IN_PLACE, [bits, mpi_type], op=self._MPI.BOR)
        self._wait(request, what)
        return bits.view(arr.dtype).reshape(arr.shape)

    def _wait(self, request: Any, what: str) -> None:
        timeout = collective_timeout()
        if not idle_wait(request, time.monotonic() + timeout):
            raise EngineError(
                f"rank {self.rank}: {what} waited {timeout:g} s for the other MPI "
                "processes: every rank must make the same calls in the same order (set "
                "SPINSTREAM_MPI_TIMEOUT to wait longer)"
            )

    def exchange_inputs(self, mine: list[Any]) -> list[Any]:
        """Rank 0's input calls since the last run, on every rank (collective, blocking).

        The other ranks wait here while rank 0's script (a controller, a ZeroMQ client)
        thinks between runs, for as long as it thinks.  In a blocking collective they
        would busy-poll a core all that time (MPICH's do).  So rank 0 first sends each of
        them a small message, and they wait for it with :func:`idle_wait` (within
        microseconds in a closed loop, asleep when rank 0 takes longer); then the calls
        go in a blocking broadcast, which every rank has then reached.  Not a nonblocking
        collective: MPICH moves such a collective's messages on only inside MPI calls of
        the rank that sends them, and rank 0 goes on into the run's exchange, which makes
        none (in single runs, after one long wait, every closed-loop run of CUBA-4000 took
        2.4 ms instead of 0.05).  A one-byte send completes at once in practice; where an
        MPI makes it wait for the matching receive, each receiver posts that receive next,
        needing nothing of rank 0, so it cannot deadlock.
        """
        go = self._go
        if self.rank == 0:
            for other in range(1, self.size):
                self.comm.Send([go, self._MPI.BYTE], dest=other, tag=_GO_TAG)
        else:
            idle_wait(self.comm.Irecv([go, self._MPI.BYTE], source=0, tag=_GO_TAG))
        theirs: list[Any] = self.comm.bcast(mine if self.rank == 0 else None, root=0)
        return theirs

    def adopt_values(self, spec: Any) -> None:
        """Give every rank rank 0's parameters, initial values and spike times (collective).

        Input given on rank 0 alone (a controller, a ZeroMQ client) is forwarded to the other
        ranks' boards, not to their network descriptions; at each load the descriptions take
        rank 0's values, so that they stay the same network (``check_same_network``) and
        read the same values.  Where the ranks built populations or current sources of
        another number, nothing is taken (``check_same_network`` then names the difference).
        """
        mine = (
            [(p.label, p.size, p.params, p.initial, p.spike_times) for p in spec.populations],
            [(c.kind, c.params) for c in spec.current_sources],
        )
        pops, sources = self.comm.bcast(mine if self.rank == 0 else None, root=0)
        if self.rank == 0:
            return
        shape = [(label, size) for label, size, *_ in pops]
        if shape != [(p.label, p.size) for p in spec.populations]:
            return
        if [kind for kind, _ in sources] != [c.kind for c in spec.current_sources]:
            return
        for p, (_label, _size, params, initial, spike_times) in zip(
            spec.populations, pops, strict=True
        ):
            p.params.clear()
            p.params.update(params)
            p.initial.clear()
            p.initial.update(initial)
            if p.spike_times is not None and spike_times is not None:
                p.spike_times[:] = spike_times
        for c, (_kind, params) in zip(spec.current_sources, sources, strict=True):
            c.params.clear()
            c.params.update(params)

    def check_same_network(
        self,
        spec: Any,
        threads: int,
        visit: Callable[[Any, Any], None] | None = None,
        weight_bits: int = 32,
    ) -> None:
        """Raise :class:`EngineError` on every rank unless every rank built this network.

        Each rank must build the same populations, parameters and synapses (connectors
        drawn from seeded generators: ``NativeRNG`` or ``NumpyRNG(seed=...)``) and run the
        same number of ``threads`` (the cores are split into ranks x threads parts alike on
        every rank); a rank with another network would silently compute another one's
        share.  Collective.  ``visit(projection, chunk)`` sees every piece of synapses read
        on the way (the board counts the synapses onto each core in the same pass).  The
        ranks' ``weight_bits`` must agree too (they store the same synapses alike).
        """
        mine = [
            (
                f"the number of threads (setup(threads=...): {threads} on rank {self.rank})",
                repr(int(threads)).encode(),
            ),
            (
                f"the weight width (setup(weight_bits=...): {weight_bits} on rank {self.rank})",
                repr(int(weight_bits)).encode(),
            ),
            *network_fingerprints(spec, visit),
        ]
        theirs = self.comm.allgather([d for _, d in mine])
        for r, digests in enumerate(theirs):
            if len(digests) != len(mine):
                raise EngineError(
                    f"rank {r} built a network of {len(digests)} parts, rank {self.rank} of "
                    f"{len(mine)}: every MPI process must build the same network"
                )
        for k, (name, _) in enumerate(mine):
            ranks = {r: digests[k] for r, digests in enumerate(theirs)}
            if len(set(ranks.values())) > 1:
                other = next(r for r, d in ranks.items() if d != ranks[0])
                raise EngineError(
                    f"{name} differs between rank 0 and rank {other}: every MPI process must "
                    "build the same network (draw connectors, weights and delays from seeded "
                    "generators, NativeRNG() or NumpyRNG(seed=...), and give setup() a seed "
                    "or let rank 0's be shared)"
                )


def _digest(h: Any, values: Any) -> None:
    """Add an array (or anything numpy takes) to a hash: its shape, dtype and a checksum."""
    arr = np.ascontiguousarray(np.asarray(values))
    h.update(f"{arr.dtype.str}{arr.shape}".encode())
    if arr.dtype == object:  # lists of spike-time arrays
        for item in arr.ravel():
            _digest(h, item)
        return
    raw = arr.reshape(-1).view(np.uint8)
    pad = (-len(raw)) % 8
    words = (
        np.concatenate([raw, np.zeros(pad, np.uint8)]).view(np.uint64)
        if pad
        else (raw.view(np.uint64))
    )
    # order-sensitive and cheap (memory speed): the xor of the words and of their products
    # with their positions; identical arrays give identical sums
    pos = np.arange(1, len(words) + 1, dtype=np.uint64)
    h.update(np.bitwise_xor.reduce(words, initial=np.uint64(0)).tobytes())
    h.update(np.add.reduce(words * pos, initial=np.uint64(0), dtype=np.uint64).tobytes())


_Method = TypeVar("_Method", bound=Callable[..., Any])
_MASK = (1 << 64) - 1


def board_input(method: _Method) -> _Method:
    """Mark a board method that changes the network (input): noted, and forwarded from rank 0.

    Over several MPI processes each call that succeeds adds its digest (name, step and
    arguments) to the board's, which the ranks compare at every step, and is kept until the
    next run: rank 0 then sends the calls it made to the others, which make those they did
    not make themselves (input that reached rank 0 alone: a ZeroMQ client, a controller).
    """
    name = method.__name__

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        step = self.step
        out = method(self, *args, **kwargs)
        if self._procs is not None:
            self._noted_input(name, step, args, kwargs)
        return out

    return cast(_Method, wrapper)


def op_digest(name: str, step: int, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    """Return the digest of one input call (as an unsigned 64-bit number)."""
    d = fold(0, name, step, *args, *(kwargs[k] for k in sorted(kwargs)), sorted(kwargs))
    return d & _MASK


def add_digests(a: int, b: int) -> int:
    """Sum two digests modulo 2**64, as a signed 64-bit number (the engine's int64).

    A sum, not a chain: the ranks may apply the same calls in another order between runs.
    """
    s = (a + b) & _MASK
    return s - (1 << 64) if s >= 1 << 63 else s


def keep(args: Any) -> Any:
    """Return a copy of a call's arguments (the caller may change its arrays later)."""
    return copy.deepcopy(args)


def fold(digest: int, what: str, *values: Any) -> int:
    """Return ``digest`` with one more applied input (its name and values) folded in.

    The ranks compare their digests at every step (``kernels_c/mpi.c``): a rank that has
    applied other input, or the same input at another step, stops every rank there.
    """
    import hashlib

    h = hashlib.blake2b(digest_size=8)
    h.update(int(digest).to_bytes(8, "little", signed=True))
    h.update(what.encode())
    for v in values:
        if isinstance(v, (list, tuple)):
            h.update(f"[{len(v)}]".encode())
            for item in v:
                _digest(h, item)
        elif isinstance(v, dict):
            for key in sorted(v):
                h.update(repr(key).encode())
                _digest(h, v[key])
        elif v is None:
            h.update(b"None")
        else:
            _digest(h, v)
    return int.from_bytes(h.digest(), "little", signed=True)


#: A projection's columns as the synapse digest reads them (canonical dtypes: 8-byte words).
_SYNAPSE_COLUMNS = (np.int64, np.int64, np.float64, np.int64, np.int64)


def _digest_synapses(h: Any, q: Any, visit: Callable[[Any, Any], None] | None = None) -> None:
    """Add a projection's synapses (its five columns) to a hash, block by block.

    A drawn projection (``DrawnProjectionSpec``) gives the digest taken when its blocks were
    first drawn (``fingerprint``), or else is read a block at a time, never whole; the
    digest does not depend on the blocks (:class:`ColumnDigest`).  ``visit(q, chunk)`` sees
    each piece read.
    """
    fingerprint = getattr(q, "fingerprint", None)
    if fingerprint is not None:
        h.update(b"drawn" + fingerprint)
        return
    chunks = q.chunks() if hasattr(q, "chunks") else None
    if chunks is None:
        chunks = [(q.pre_index, q.post_index, q.weight, q.delay_steps, q.receptor)]
    columns = ColumnDigest(_SYNAPSE_COLUMNS)
    for chunk in chunks:
        if visit is not None:
            visit(q, chunk)
        columns.add(*chunk)
    h.update(columns.digest())


def network_fingerprints(
    spec: Any, visit: Callable[[Any, Any], None] | None = None
) -> list[tuple[str, bytes]]:
    """Return a short hash of every part of a network, named as an error would name it.

    ``visit(projection, chunk)``: called with every piece of every projection's synapses
    (pre, post, weight, delay steps, receptor) as it is read.
    """
    import hashlib

    out: list[tuple[str, bytes]] = []
    h = hashlib.blake2b(digest_size=8)
    h.update(repr((spec.dt, spec.seed, spec.n_boards)).encode())
    out.append(("the network's dt, seed or boards", h.digest()))
    for p in spec.populations:
        h = hashlib.blake2b(digest_size=8)
        h.update(
            repr(
                (
                    p.label,
                    p.size,
                    p.model,
                    p.max_atoms_per_core,
                    p.splitter,
                    p.placement,
                    p.seed,
                    p.receptors,
                    p.virtual_key,
                    sorted(p.params),
                    sorted(p.initial),
                )
            ).encode()
        )
        for key in sorted(p.params):
            _digest(h, p.params[key])
        for key in sorted(p.initial):
            _digest(h, p.initial[key])
        if p.spike_times is not None:
            for t in p.spike_times:
                _digest(h, t)
        out.append((f"population {p.label!r}", h.digest()))
    for q in spec.projections:
        h = hashlib.blake2b(digest_size=8)
        h.update(repr((q.pre, q.post, q.label, q.plasticity)).encode())
        _digest_synapses(h, q, visit)
        for key in sorted(q.rule_params or {}):
            _digest(h, (q.rule_params or {})[key])
        out.append((f"projection {q.label or q.id!r}", h.digest()))
    for c in spec.current_sources:
        h = hashlib.blake2b(digest_size=8)
        h.update(repr((c.kind, sorted(c.params))).encode())
        for key in sorted(c.params):
            _digest(h, c.params[key])
        for pid, idx in c.targets:
            h.update(repr(pid).encode())
            _digest(h, idx)
        out.append((f"current source {c.id}", h.digest()))
    return out


def _engine_lib() -> ctypes.CDLL:
    from spinstream.board import _engine as E

    return E.lib()


def install_abort_hook(comm: Any) -> None:
    """Make an uncaught exception on any rank abort every rank (``MPI_Abort``), not hang them.

    The exception is printed first, prefixed by the rank, as Python would print it.
    """
    global _abort_installed
    with _abort_lock:
        if _abort_installed or comm.Get_size() < 2:
            return
        _abort_installed = True
    previous: Callable[..., Any] = sys.excepthook
    rank = comm.Get_rank()
    size = comm.Get_size()

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        try:
            # the error first, in one line: the launcher may drop what a rank writes last
            sys.stderr.write(
                f"spinstream: rank {rank} of {size} failed ({kind.__name__}: {exc}); "
                f"aborting all {size} MPI processes\n"
            )
            sys.stderr.flush()
            previous(kind, exc, tb)
            sys.stderr.flush()
            time.sleep(0.2)  # let the launcher forward it before the others are killed
        finally:
            comm.Abort(1)

    sys.excepthook = hook
