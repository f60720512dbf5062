"""The live I/O server of one network: sPyNNaker's clients talk to a running Runtime.

A :class:`LiveIO` is a view of the Runtime beside the ZeroMQ bridge: its spikes out come
from ordinary spike subscriptions, its input goes through ``schedule_spikes`` and
``set_parameters`` like any other live input.  It hooks into every run
(:meth:`Runtime.add_run_hook`), whichever loop runs it (the blocking API's, a session's,
the ZeroMQ bridge's):

1. before the first chunk: write the database from the mapping plan, notify the clients
   and wait for their answers, read what they sent before answering, send "start";
2. while it runs: input that arrives is applied at the next chunk's first step; each
   chunk's spikes of the live-output populations are sent, stamped with their step;
3. after the last chunk: send what is left, then "stop".

Input that arrives between runs waits, and lands at the next run's first step.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import shutil
import socket
import tempfile
import threading
import warnings
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import anyio
import numpy as np
import numpy.typing as npt

from spinstream.live_io import _wire
from spinstream.live_io._database import OutputTag, VertexRows, live_keys, write_database
from spinstream.live_io._endpoint import Endpoint
from spinstream.live_io._notify import Notifier, NotifyAddress
from spinstream.model import LateInputError
from spinstream.session import Runtime
from spinstream.streams import SpikeBatch, Subscription

__all__ = [
    "BOARD_PORT",
    "DEFAULT_NOTIFY_PORT",
    "DEFAULT_OUTPUT_PORT",
    "RECEIVER_LABEL",
    "LiveIO",
    "LiveIOOptions",
    "LiveIOSecurityWarning",
    "LiveIOStatistics",
    "live_io_for",
]

logger = logging.getLogger("spinstream.live_io")

IntArray = npt.NDArray[np.int64]

#: The port sPyNNaker's clients listen on for notifications unless told otherwise.
DEFAULT_NOTIFY_PORT = 19999
#: The port of a board's monitor (SCP and live input); sPyNNaker's clients always use it.
BOARD_PORT = 17893
#: Where live output goes before a client claims the tag (sPyNNaker's default port).
DEFAULT_OUTPUT_PORT = 17895
#: sPyNNaker's label for the vertex that gathers live output (clients match its prefix).
RECEIVER_LABEL = "LiveSpikeReceiver"
#: Rate control: the U16.16 payload is Hz times 2**16.
_U1616 = 65536.0


class LiveIOSecurityWarning(UserWarning):
    """The live I/O listens beyond loopback: the protocol has no authentication."""


@dataclass(frozen=True)
class LiveIOOptions:
    """How the live I/O listens and waits.

    Attributes
    ----------
    board_address
        The virtual board's IP address: clients send SCP requests and spikes there
        (UDP port 17893, fixed by the protocol) and read it from the database.  A
        loopback address unless ``allow_remote`` (each network on one host needs its own,
        e.g. ``127.0.0.2``).
    allow_remote
        Allow a non-loopback ``board_address`` (or notification host).  sPyNNaker's
        protocol has no authentication: anyone who can reach the address can inject
        spikes and change rates.  Warns loudly.
    ack_timeout
        Seconds to wait, before a run, for the clients' answers to the notification.
    renotify_s
        Seconds between notifications to a client that has not answered, during a run.
    max_rate
        Largest rate (Hz) the rate control accepts; larger ones are refused and counted.
    output_buffer
        Chunks of spikes kept per live-output population when sending falls behind
        (then the oldest are dropped and counted, as every stream does).
    board_port
        UDP port of the board's address.  Unmodified sPyNNaker clients need 17893;
        spinstream's own clients read it from the database.
    """

    board_address: str = "127.0.0.1"
    allow_remote: bool = False
    ack_timeout: float = 10.0
    renotify_s: float = 2.0
    max_rate: float = 10_000.0
    output_buffer: int = 4096
    board_port: int = BOARD_PORT

    def checked(self) -> LiveIOOptions:
        """Return the options, checked (raises ``ValueError`` naming a bad one)."""
        for name in ("ack_timeout", "renotify_s", "max_rate"):
            v = getattr(self, name)
            if not isinstance(v, int | float) or isinstance(v, bool) or not v > 0:
                raise ValueError(f"live I/O option {name} must be a positive number, got {v!r}")
        if not isinstance(self.output_buffer, int) or self.output_buffer < 1:
            raise ValueError(
                f"live I/O option output_buffer must be a positive integer, "
                f"got {self.output_buffer!r}"
            )
        if not isinstance(self.board_port, int) or not 0 <= self.board_port < 65536:
            raise ValueError(
                f"live I/O option board_port must be a UDP port, got {self.board_port!r}"
            )
        address = resolve_ipv4(self.board_address, "board_address")
        check_reachable(address, "board_address", self.allow_remote)
        return replace(self, board_address=address)


def resolve_ipv4(host: str, what: str) -> str:
    """Resolve ``host`` to one IPv4 address, or raise ``ValueError`` naming ``what``."""
    if not isinstance(host, str) or not host:
        raise ValueError(f"{what} must be a host name or IPv4 address, got {host!r}")
    try:
        return str(socket.getaddrinfo(host, None, socket.AF_INET)[0][4][0])
    except socket.gaierror as exc:
        raise ValueError(f"{what} {host!r} cannot be resolved ({exc})") from None


def check_reachable(address: str, what: str, allow_remote: bool) -> None:
    """Refuse a non-loopback address unless allowed; warn loudly when it is."""
    if ipaddress.ip_address(address).is_loopback:
        return
    message = (
        f"{what} {address} is not a loopback address: sPyNNaker's live I/O protocol has no "
        "authentication, so anyone who can reach it can inject spikes, change rates and "
        "read the network's live output"
    )
    if not allow_remote:
        raise ValueError(
            f"{message}; refusing.  Use a loopback address (127.0.0.x), or pass "
            "allow_remote=True to external_devices.configure_live_io() on a trusted network"
        )
    warnings.warn(
        f"{message}.  Serving it anyway (allow_remote=True).", LiveIOSecurityWarning, stacklevel=3
    )
    logger.warning("%s (allow_remote=True)", message)


@dataclass(frozen=True)
class LiveIOStatistics:
    """Counters of one network's live I/O.

    Attributes
    ----------
    packets_in
        Datagrams received at the board's address.
    malformed
        Of those, refused and dropped (``reasons``: how many per reason).
    tag_sets
        IP tag requests answered.
    spikes_in, rates_in
        Spikes and rate changes accepted (applied at the next chunk's first step).
    spikes_merged
        Spikes of an atom that landed at a step where the same atom already had one (an
        injector's neuron spikes at most once per step): counted in ``spikes_in``, recorded
        once.
    input_errors
        Accepted input that the runtime then refused (should stay 0).
    packets_out, spikes_out
        Live-output packets and spikes sent.
    chunks_dropped
        Chunks of live output lost because sending fell behind (see ``output_buffer``).
    send_errors
        Datagrams the operating system refused to send.
    notifications, acks, late_joins
        Notifications sent, answers received, clients that answered during a run.
    """

    packets_in: int = 0
    malformed: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    tag_sets: int = 0
    spikes_in: int = 0
    spikes_merged: int = 0
    rates_in: int = 0
    input_errors: int = 0
    packets_out: int = 0
    spikes_out: int = 0
    chunks_dropped: int = 0
    send_errors: int = 0
    notifications: int = 0
    acks: int = 0
    late_joins: int = 0


@dataclass
class _Output:
    pop: int
    tags: list[tuple[int, tuple[str, int] | None]]  # (tag, default destination)
    sub: Subscription[SpikeBatch] | None = None
    keys: npt.NDArray[np.uint32] | None = None


@dataclass
class _Target:
    kind: str  # "spikes" or "rates"
    pop: int
    label: str
    size: int
    keys: npt.NDArray[np.uint32]  # sorted event keys of the population
    atoms: IntArray  # atom of each key


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


_servers: weakref.WeakKeyDictionary[Runtime, LiveIO] = weakref.WeakKeyDictionary()


def live_io_for(runtime: Runtime, *, create: bool = True) -> LiveIO | None:
    """Return the live I/O of ``runtime`` (made and hooked into it on first use)."""
    server = _servers.get(runtime)
    if server is None and create:
        server = _servers[runtime] = LiveIO(runtime)
    return server


class LiveIO:
    """sPyNNaker's live I/O for one Runtime (see the module docstring)."""

    def __init__(self, runtime: Runtime, options: LiveIOOptions | None = None) -> None:
        self.runtime = runtime
        self._options = (options or LiveIOOptions()).checked()
        self._addresses: list[NotifyAddress] = []
        self._outputs: dict[int, _Output] = {}
        self._tag_of: dict[tuple[str | None, int | None], int] = {}
        self._controls: dict[int, str] = {}  # Poisson population -> control label
        self._endpoint: Endpoint | None = None
        self._notifier: Notifier | None = None
        self._tags: dict[int, tuple[str, int]] = {}  # destinations set by clients
        self._targets: dict[tuple[int, int, int], _Target] = {}
        self._lock = threading.Lock()
        self._pending: list[tuple[str, int, IntArray, npt.NDArray[np.float64] | None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._pumps: list[asyncio.Task[None]] = []
        self._plan: Any = None
        # per injector: the last step spikes were injected at, and its atoms (no repeats)
        self._injected: dict[int, tuple[int, IntArray]] = {}
        self._db_dir: str | None = None
        self._db_count = 0
        self._held = 0
        self._hold_runtime_ms: float | None = None
        self._session_open = False
        self._started_once = False
        self._closed = False
        self.stop_requested = threading.Event()
        self.continue_event = threading.Event()
        self._counts = {k: 0 for k in ("spikes_in", "spikes_merged", "rates_in", "input_errors")}
        self._out_counts = {k: 0 for k in ("packets_out", "spikes_out", "chunks_dropped")}
        runtime.add_run_hook(self)

    # ------------------------------------------------------------------ configuration
    @property
    def options(self) -> LiveIOOptions:
        """The options in force."""
        return self._options

    def configure(self, **options: Any) -> LiveIOOptions:
        """Change options (see :class:`LiveIOOptions`) before the first run."""
        if self._started_once:
            raise RuntimeError(
                "configure_live_io() must be called before the first run of the network"
            )
        unknown = set(options) - set(LiveIOOptions.__dataclass_fields__)
        if unknown:
            raise TypeError(
                f"configure_live_io() got unknown option(s) {sorted(unknown)}; "
                f"known: {sorted(LiveIOOptions.__dataclass_fields__)}"
            )
        self._options = replace(self._options, **options).checked()
        return self._options

    def register_notification(
        self, host: str | None, port: int | None, ack_port: int | None = None
    ) -> NotifyAddress:
        """Notify a client at ``host:port`` around each run (``None``: localhost, 19999)."""
        host = "localhost" if host is None else host
        port = DEFAULT_NOTIFY_PORT if port is None else port
        for name, value in (
            ("database_notify_port_num", port),
            ("database_ack_port_num", ack_port),
        ):
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 65536
            ):
                raise ValueError(f"{name} must be a UDP port (1..65535), got {value!r}")
        check_reachable(
            resolve_ipv4(host, "database_notify_host"),
            "database_notify_host",
            self._options.allow_remote,
        )
        address = NotifyAddress(host, port, ack_port)
        if address not in self._addresses:
            self._addresses.append(address)
            if self._notifier is not None:
                self._notifier.add(address)
        return address

    def add_live_output(
        self, pop: int, host: str | None = None, port: int | None = None, tag: int | None = None
    ) -> int:
        """Send the spikes of population ``pop`` to live clients; returns its IP tag.

        Until a client claims the tag, packets go to ``host:port`` (localhost:17895).
        """
        if host is not None:
            check_reachable(resolve_ipv4(host, "host"), "host", self._options.allow_remote)
        if port is not None and (
            not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536
        ):
            raise ValueError(f"port must be a UDP port (1..65535), got {port!r}")
        key = (host, port)
        if tag is not None:
            if not isinstance(tag, int) or isinstance(tag, bool) or not 0 < tag < 256:
                raise ValueError(f"tag must be an IP tag number (1..255), got {tag!r}")
            owner = [k for k, t in self._tag_of.items() if t == tag and k != key]
            if owner:
                raise ValueError(f"tag {tag} already sends to {owner[0]}, not to {key}")
            self._tag_of[key] = tag
        tag = self._tag_of.get(key)
        if tag is None:
            used = set(self._tag_of.values())
            tag = self._tag_of[key] = min(t for t in range(1, 257) if t not in used)
        default = (resolve_ipv4(host or "localhost", "host"), port or DEFAULT_OUTPUT_PORT)
        out = self._outputs.setdefault(pop, _Output(pop, []))
        if all(t != tag for t, _ in out.tags):
            out.tags.append((tag, default))
        if out.sub is None and self.runtime.loaded:
            self._subscribe(out)
        return tag

    def add_rate_control(self, pop: int, label: str) -> None:
        """Accept rate changes for Poisson population ``pop`` under vertex label ``label``."""
        spec = self.runtime.spec.populations[pop]
        if "rate" not in spec.params:
            raise TypeError(
                f"add_poisson_live_rate_control: population {spec.label!r} is a {spec.model}; "
                "only Poisson sources (with a 'rate') can be controlled"
            )
        self._controls[pop] = label

    # ------------------------------------------------------------------ statistics
    def statistics(self) -> LiveIOStatistics:
        """Return the counters (see :class:`LiveIOStatistics`)."""
        ep, nt = self._endpoint, self._notifier
        notes = nt.statistics() if nt is not None else {}
        with self._lock:
            counts = dict(self._counts)
        return LiveIOStatistics(
            packets_in=ep.packets if ep else 0,
            malformed=ep.malformed if ep else 0,
            reasons=dict(ep.reasons) if ep else {},
            tag_sets=ep.tag_sets if ep else 0,
            send_errors=ep.send_errors if ep else 0,
            notifications=notes.get("notifications", 0),
            acks=notes.get("acks", 0),
            late_joins=notes.get("late_joins", 0),
            **counts,
            **self._out_counts,
        )

    @property
    def database_path(self) -> str | None:
        """The database written for the latest run (``None`` before the first run)."""
        if self._db_dir is None or not self._db_count:
            return None
        return os.path.join(self._db_dir, f"input_output_database_{self._db_count}.sqlite3")

    # ------------------------------------------------------------------ run hooks
    async def run_starting(self, runtime: Runtime, target_step: int) -> None:
        """Before the first chunk of a run (on the run's loop): see the module docstring."""
        self._started_once = True
        with self._lock:
            self._loop = asyncio.get_running_loop()
            self._task = asyncio.current_task()
        self._open_sockets()
        plan = runtime.plan
        assert plan is not None
        if self._plan is not plan:  # first run, or the network was mapped again
            self._plan = plan
            self._build_targets()
        if any(stamp > runtime.step for stamp, _ in self._injected.values()):
            self._injected.clear()  # reset() went back in time
        for out in self._outputs.values():
            if out.sub is None or out.sub.closed:
                self._subscribe(out)
        if not self._session_open:
            if self._held:
                run_ms = self._hold_runtime_ms
            else:
                run_ms = (target_step - runtime.step) * runtime.dt
            path = self._write_database(run_ms)
            assert self._notifier is not None
            if self._notifier.addresses:
                await asyncio.to_thread(self._notifier.announce, path, self._options.ack_timeout)
            self._session_open = True
            assert self._endpoint is not None
            self._endpoint.drain()  # packets sent before the answers count for this run
            self._apply_pending()
            self._notifier.start()
        else:
            self._apply_pending()
        self._pumps = [asyncio.ensure_future(self._pump(out)) for out in self._outputs.values()]
        if self.stop_requested.is_set() and self._held:
            raise asyncio.CancelledError  # stop asked for between two runs of run_forever

    def run_ended(self, runtime: Runtime) -> None:
        """After the last chunk of a run (also a failed or cancelled one)."""
        with self._lock:
            self._loop = None
            self._task = None
        for t in self._pumps:
            t.cancel()
        self._pumps = []
        for out in self._outputs.values():
            self._flush(out)
        if not self._held:
            self._end_session()

    def runtime_closed(self, runtime: Runtime) -> None:
        """Stop serving: the runtime was closed."""
        self.close()

    # ------------------------------------------------------------------ run_forever/run_sync
    @contextlib.contextmanager
    def hold(self, runtime_ms: float | None) -> Iterator[None]:
        """Make consecutive runs one session for the clients (one notification, start, stop).

        ``run_forever`` and ``run_sync`` run the network in several runs; the clients see
        one simulation of ``runtime_ms`` (``None``: without an end).
        """
        self._held += 1
        if self._held == 1:
            self._hold_runtime_ms = runtime_ms
        try:
            yield
        finally:
            self._held -= 1
            if self._held == 0:
                self._end_session()

    def request_stop(self) -> None:
        """Stop the current run at a chunk boundary (thread-safe; used by ``request_stop``)."""
        self.stop_requested.set()
        with self._lock:
            loop, task = self._loop, self._task
        if loop is not None and task is not None and self._held:
            with contextlib.suppress(RuntimeError):  # the loop just closed: the run ended
                loop.call_soon_threadsafe(task.cancel)

    def _end_session(self) -> None:
        if self._session_open:
            self._session_open = False
            if self._notifier is not None:
                self._notifier.stop()

    # ------------------------------------------------------------------ internals
    def _open_sockets(self) -> None:
        if self._endpoint is None:
            o = self._options
            self._endpoint = Endpoint(o.board_address, o.board_port, self._on_data, self._on_tag)
            self._notifier = Notifier(o.board_address, renotify_s=o.renotify_s)
        assert self._notifier is not None
        for a in self._addresses:
            self._notifier.add(a)

    def _vertices(self) -> list[VertexRows]:
        spec = self.runtime.spec
        live = set(self._outputs) | {p.id for p in spec.populations if p.model == "SpikeInjector"}
        rows = [VertexRows(p.label, p.id, "population", p.id in live) for p in spec.populations]
        rows += [VertexRows(label, pop, "control", True) for pop, label in self._controls.items()]
        return rows

    def _write_database(self, run_ms: float | None) -> str:
        if self._db_dir is None:
            self._db_dir = tempfile.mkdtemp(prefix="spinstream-live-")
        old = self.database_path
        self._db_count += 1
        path = self.database_path
        assert path is not None
        plan = self.runtime.plan
        assert plan is not None
        outputs = [
            OutputTag(
                out.pop,
                f"{RECEIVER_LABEL}_{tag}",
                tag,
                dest[0] if dest else None,
                dest[1] if dest else None,
            )
            for out in self._outputs.values()
            for tag, dest in out.tags
        ]
        write_database(
            path,
            plan,
            self.runtime.spec.populations,
            self._vertices(),
            outputs,
            board_address=self._options.board_address,
            runtime_ms=run_ms,
            dt_ms=self.runtime.dt,
            time_scale_factor=self.runtime.time_scale_factor,
        )
        if old is not None:
            with contextlib.suppress(OSError):
                os.remove(old)
        return path

    def _keys_of(self, pop: int) -> tuple[npt.NDArray[np.uint32], IntArray]:
        """Per atom its key (atom order), and the same keys sorted with their atoms."""
        plan = self.runtime.plan
        assert plan is not None
        keys = live_keys(self.runtime.spec.populations[pop], plan)
        order = np.argsort(keys, kind="stable")
        return keys, order.astype(np.int64)

    def _build_targets(self) -> None:
        plan = self.runtime.plan
        assert plan is not None
        targets: dict[tuple[int, int, int], _Target] = {}
        spec = self.runtime.spec
        live_in = [
            (p.id, "spikes", p.label) for p in spec.populations if p.model == "SpikeInjector"
        ]
        live_in += [(pop, "rates", label) for pop, label in self._controls.items()]
        for pop, kind, label in live_in:
            first = plan.cores[plan.pop_cores[pop][0]]
            keys, order = self._keys_of(pop)
            targets[(first.x, first.y, first.p)] = _Target(
                kind, pop, label, spec.populations[pop].size, keys[order], order
            )
        with self._lock:
            self._targets = targets
        for out in self._outputs.values():
            out.keys = self._keys_of(out.pop)[0]

    def _subscribe(self, out: _Output) -> None:
        out.sub = self.runtime.subscribe_spikes(out.pop, maxlen=self._options.output_buffer)
        if self.runtime.plan is not None:
            out.keys = self._keys_of(out.pop)[0]

    # input (endpoint thread) -------------------------------------------------------
    def _on_tag(self, request: _wire.TagSet, sender: tuple[str, int]) -> None:
        dest = (
            (str(sender[0]), int(sender[1])) if request.use_sender else (request.ip, request.port)
        )
        with self._lock:
            self._tags[request.tag] = dest

    def _atoms(self, target: _Target, data: _wire.EieioData) -> IntArray:
        if not data.full_keys:
            atoms = data.keys.astype(np.int64)
            if atoms.size and int(atoms.max()) >= target.size:
                raise _wire.MalformedPacket(
                    f"atom id beyond population {target.label!r} (atom {int(atoms.max())})"
                )
            return atoms
        pos = np.searchsorted(target.keys, data.keys)
        pos = np.minimum(pos, len(target.keys) - 1)
        if data.keys.size and not np.array_equal(target.keys[pos], data.keys):
            raise _wire.MalformedPacket(f"key not of population {target.label!r}")
        return target.atoms[pos]

    def _on_data(self, data: _wire.EieioData, sender: tuple[str, int]) -> None:
        with self._lock:
            target = self._targets.get((data.x, data.y, data.p))
        if target is None:
            raise _wire.MalformedPacket(f"no live input at core ({data.x}, {data.y}, {data.p})")
        if target.kind == "spikes":
            if data.payloads is not None:
                raise _wire.MalformedPacket("payloads sent to a spike injector")
            atoms = self._atoms(target, data)
            item: tuple[str, int, IntArray, npt.NDArray[np.float64] | None]
            item = ("spikes", target.pop, atoms, None)
            count = ("spikes_in", len(atoms))
        else:
            if data.payloads is None or not data.full_keys:
                raise _wire.MalformedPacket("rate control needs 32-bit keys with payloads")
            atoms = self._atoms(target, data)
            rates = data.payloads.astype(np.float64) / _U1616
            if rates.size and float(rates.max()) > self._options.max_rate:
                raise _wire.MalformedPacket(f"rate above max_rate ({float(rates.max())} Hz)")
            item = ("rates", target.pop, atoms, rates)
            count = ("rates_in", len(atoms))
        if not len(atoms):
            return
        with self._lock:
            self._pending.append(item)
            self._counts[count[0]] += count[1]
            loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # loop closed: the next run applies it
                loop.call_soon_threadsafe(self._apply_pending)

    # input (run loop) --------------------------------------------------------------
    def _apply_pending(self) -> None:
        with self._lock:
            if self._loop is None or self._loop is not _running_loop():
                return  # between runs the script's thread owns the runtime: keep it queued
            items, self._pending = self._pending, []
        spikes: dict[int, list[IntArray]] = {}
        for kind, pop, atoms, _rates in items:
            if kind == "spikes":
                spikes.setdefault(pop, []).append(atoms)
        for pop, parts in spikes.items():
            every = np.concatenate(parts)
            atoms = np.unique(every)
            try:
                landed = self._schedule(pop, atoms)
            except Exception:
                logger.exception("live I/O: the runtime refused injected spikes")
                with self._lock:
                    self._counts["input_errors"] += len(atoms)
                continue
            if landed < len(every):
                with self._lock:
                    self._counts["spikes_merged"] += len(every) - landed
        for kind, pop, atoms, rates in items:
            if kind != "rates":
                continue
            # the last value of a repeated atom wins, as it would applied one by one
            last = {int(a): float(r) for a, r in zip(atoms, rates, strict=True)}  # type: ignore[arg-type]
            try:
                self.runtime.set_parameters(
                    pop, "rate", np.fromiter(last, np.int64), np.fromiter(last.values(), float)
                )
            except Exception:
                logger.exception("live I/O: the runtime refused a rate change")
                with self._lock:
                    self._counts["input_errors"] += len(last)

    def _schedule(self, pop: int, atoms: IntArray) -> int:
        """Inject ``atoms`` at the next input step, once per atom and step; how many new."""
        stamp = self.runtime.input_step
        last_stamp, last = self._injected.get(pop, (-1, np.zeros(0, np.int64)))
        new = np.setdiff1d(atoms, last) if stamp == last_stamp else atoms
        try:
            self.runtime.schedule_spikes(pop, new, np.full(len(new), stamp, np.int64))
        except LateInputError:  # the chunk queued ahead started meanwhile: the next one
            stamp = self.runtime.schedule_spikes(pop, atoms)
            new = atoms
        done = np.union1d(last, new) if stamp == last_stamp else new
        self._injected[pop] = (stamp, done)
        return len(new)

    # output (run loop) -------------------------------------------------------------
    async def _pump(self, out: _Output) -> None:
        sub = out.sub
        assert sub is not None
        while True:
            try:
                batch = await sub.receive()
            except (anyio.EndOfStream, anyio.ClosedResourceError):
                return
            self._send(out, batch)

    def _flush(self, out: _Output) -> None:
        sub = out.sub
        if sub is None:
            return
        while True:
            try:
                batch = sub.receive_nowait()
            except (anyio.WouldBlock, anyio.EndOfStream, anyio.ClosedResourceError):
                return
            self._send(out, batch)

    def _send(self, out: _Output, batch: SpikeBatch) -> None:
        counts = self._out_counts
        counts["chunks_dropped"] += batch.dropped
        if not len(batch) or out.keys is None or self._endpoint is None:
            return
        packets = _wire.encode_spikes(batch.stamps, out.keys[batch.indices])
        with self._lock:
            dests = [self._tags.get(tag, default) for tag, default in out.tags]
        for dest in dests:
            if dest is None:
                continue
            for p in packets:
                if self._endpoint.send(p, dest):
                    counts["packets_out"] += 1
            counts["spikes_out"] += len(batch)

    # ------------------------------------------------------------------ closing
    def close(self) -> None:
        """Close the sockets and threads and remove the database files."""
        if self._closed:
            return
        self._closed = True
        self._end_session()
        self.runtime.remove_run_hook(self)
        for out in self._outputs.values():
            if out.sub is not None:
                out.sub.close()
        if self._endpoint is not None:
            self._endpoint.close()
        if self._notifier is not None:
            self._notifier.close()
        if self._db_dir is not None:
            shutil.rmtree(self._db_dir, ignore_errors=True)
        _servers.pop(self.runtime, None)
