"""Live connections with sPyNNaker's client API, written for spinstream (no sPyNNaker needed).

:class:`SpynnakerLiveSpikesConnection` and :class:`SpynnakerPoissonControlConnection`
keep the constructor arguments, methods and callback signatures of sPyNNaker's classes of
the same names, and speak the same protocol, so they work with spinstream's live I/O
(and with a real board).  They differ where it makes them sturdier:

* notifications are handled by kind, not by position: a repeated "database ready" (a
  server that notifies again a client that answered late) is answered again instead of
  ending the listener;
* a spike or rate packet is sent without pauses between packets.

Receive callbacks run on the connection's receiver thread, start/stop callbacks on
threads of their own (as in sPyNNaker).
"""

from __future__ import annotations

import collections
import logging
import select
import socket
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from spinnman.constants import EIEIO_COMMAND_IDS, SCP_SCAMP_PORT
from spinnman.messages.eieio import EIEIOPrefix, EIEIOType
from spinnman.messages.eieio.command_messages import EIEIOCommandHeader
from spinnman.messages.eieio.data_messages import EIEIODataHeader, EIEIODataMessage
from spinnman.messages.scp.impl import IPTagSet
from spinnman.messages.sdp import SDPFlag, SDPHeader, SDPMessage

__all__ = ["SpynnakerLiveSpikesConnection", "SpynnakerPoissonControlConnection"]

logger = logging.getLogger("spinstream.spinnaker.connections")

NOTIFY_PORT = 19999
_MAX_KEYS_16 = 127
_MAX_KEYS_32 = 63
_MAX_KEYS_PAYLOADS = 31
_U1616 = 65536.0

InitCallback = Callable[[str, int, float, float], None]
TimeCallback = Callable[[str, int, list[int]], None]
NoTimeCallback = Callable[[str, int, "int | None"], None]
StateCallback = Callable[[str, Any], None]


class _Database:
    """The few queries a live client makes of the notification database."""

    def __init__(self, path: str) -> None:
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)

    def close(self) -> None:
        self._db.close()

    def parameter(self, name: str) -> float | None:
        row = self._db.execute(
            "SELECT value FROM configuration_parameters WHERE parameter_id = ?", (name,)
        ).fetchone()
        return None if row is None else float(row[0])

    def atoms_to_keys(self, label: str) -> dict[int, int]:
        rows = self._db.execute(
            "SELECT atom, event FROM label_event_atom_view WHERE label = ?", (label,)
        )
        return {int(a): int(k) for a, k in rows}

    def first_core(self, label: str) -> tuple[int, int, int]:
        row = self._db.execute(
            "SELECT x, y, p FROM application_vertex_placements WHERE vertex_label = ? LIMIT 1",
            (label,),
        ).fetchone()
        if row is None:
            raise KeyError(f"no vertex labelled {label!r} in the database")
        return int(row[0]), int(row[1]), int(row[2])

    def board_address(self, x: int, y: int) -> str:
        row = self._db.execute(
            "SELECT eth_ip_address FROM chip_eth_info WHERE (x = ? AND y = ?) OR "
            "(x = 0 AND y = 0) ORDER BY x DESC LIMIT 1",
            (x, y),
        ).fetchone()
        if row is None:
            raise KeyError(f"no Ethernet chip reaches chip ({x}, {y})")
        return str(row[0])

    def output(self, label: str, receiver: str) -> tuple[str, int, int, int]:
        """``(board address, tag, chip x, chip y)`` of the live output of ``label``."""
        row = self._db.execute(
            "SELECT board_address, tag, chip_x, chip_y, strip_sdp FROM app_output_tag_view "
            "WHERE pre_vertex_label = ? AND post_vertex_label LIKE ? LIMIT 1",
            (label, receiver + "%"),
        ).fetchone()
        if row is None:
            raise KeyError(f"population {label!r} has no live output (activate_live_output_for)")
        if not row[4]:
            raise ValueError(f"the live output of {label!r} keeps SDP headers; not supported")
        return str(row[0]), int(row[1]), int(row[2]), int(row[3])


def _command(data: bytes) -> int | None:
    try:
        return int(EIEIOCommandHeader.from_bytestring(data, 0).command)
    except Exception:
        return None


class LiveEventConnection:
    """Live events to and from a running network (sPyNNaker's ``LiveEventConnection`` API).

    Parameters
    ----------
    live_packet_gather_label
        Prefix of the receiver vertex's label (``"LiveSpikeReceiver"``); ``None`` when
        nothing is received.
    receive_labels, send_labels
        Labels of the populations whose spikes are received / that events are sent to.
    local_host, local_port
        Where to listen for the notifications (default all interfaces, 19999).
    """

    def __init__(
        self,
        live_packet_gather_label: str | None,
        receive_labels: Iterable[str] | None = None,
        send_labels: Iterable[str] | None = None,
        local_host: str | None = None,
        local_port: int | None = NOTIFY_PORT,
    ) -> None:
        if live_packet_gather_label is None and receive_labels is not None:
            raise ValueError("receive_labels need a live_packet_gather_label")
        self._lpg_label = live_packet_gather_label
        self._receive_labels: list[str] = list(receive_labels or [])
        self._send_labels: list[str] = list(send_labels or [])
        self._lock = threading.RLock()
        self._init_cbs: dict[str, list[InitCallback]] = collections.defaultdict(list)
        self._time_cbs: dict[str, list[tuple[TimeCallback, bool]]] = collections.defaultdict(list)
        self._no_time_cbs: dict[str, list[tuple[NoTimeCallback, bool]]] = collections.defaultdict(
            list
        )
        self._start_cbs: dict[str, list[StateCallback]] = collections.defaultdict(list)
        self._stop_cbs: dict[str, list[StateCallback]] = collections.defaultdict(list)
        self._send_to: dict[str, tuple[str, int, int, int]] = {}  # label -> ip, x, y, p
        self._atom_to_key: dict[str, dict[int, int]] = {}
        # receive: sorted keys, their atoms, and the index of their receive label
        self._key_table: tuple[np.ndarray, np.ndarray, np.ndarray] = (
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
        )
        self._outputs: set[tuple[str, int, int, int]] = set()
        self._closed = False
        self._notify = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._notify.bind((local_host or "", local_port or 0))
        self._notify.settimeout(0.1)
        self._sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._receiver: socket.socket | None = None
        self._receiver_thread: threading.Thread | None = None
        self._tag_ok = threading.Event()
        self.unknown_keys: set[int] = set()
        self._thread = threading.Thread(
            target=self._listen, name=f"spinstream-live-client:{local_port}", daemon=True
        )
        self._thread.start()

    @property
    def local_port(self) -> int:
        """The port the notifications are received on."""
        return int(self._notify.getsockname()[1])

    # -- registration --------------------------------------------------------------------
    def add_send_label(self, label: str) -> None:
        """Add a population to send events to."""
        with self._lock:
            if label not in self._send_labels:
                self._send_labels.append(label)

    def add_receive_label(self, label: str) -> None:
        """Add a population to receive spikes from."""
        if self._lpg_label is None:
            raise ValueError("no live_packet_gather_label given: nothing can be received")
        with self._lock:
            if label not in self._receive_labels:
                self._receive_labels.append(label)

    def _check_label(self, label: str) -> None:
        if label not in self._receive_labels and label not in self._send_labels:
            raise KeyError(f"{label!r} is neither a receive label nor a send label")

    def add_init_callback(self, label: str, init_callback: InitCallback) -> None:
        """Call ``init_callback(label, n_atoms, run_time_ms, timestep_ms)`` after each read.

        The database is read before each run starts (events sent here count for it).
        """
        self._check_label(label)
        self._init_cbs[label].append(init_callback)

    def add_receive_callback(
        self, label: str, live_event_callback: TimeCallback, translate_key: bool = True
    ) -> None:
        """Call ``live_event_callback(label, step, atoms)`` per step with spikes of ``label``.

        ``translate_key=False`` passes the keys instead of the atom ids.
        """
        if label not in self._receive_labels:
            raise KeyError(f"{label!r} is not a receive label")
        self._time_cbs[label].append((live_event_callback, translate_key))

    def add_receive_no_time_callback(
        self, label: str, live_event_callback: NoTimeCallback, translate_key: bool = True
    ) -> None:
        """Call ``live_event_callback(label, atom, payload)`` per event without a timestamp."""
        if label not in self._receive_labels:
            raise KeyError(f"{label!r} is not a receive label")
        self._no_time_cbs[label].append((live_event_callback, translate_key))

    def add_start_resume_callback(self, label: str, start_resume_callback: StateCallback) -> None:
        """Call ``start_resume_callback(label, connection)`` when a run starts or resumes."""
        self._check_label(label)
        self._start_cbs[label].append(start_resume_callback)

    def add_start_callback(self, label: str, start_callback: StateCallback) -> None:
        """Old name of :meth:`add_start_resume_callback`."""
        self.add_start_resume_callback(label, start_callback)

    def add_pause_stop_callback(self, label: str, pause_stop_callback: StateCallback) -> None:
        """Call ``pause_stop_callback(label, connection)`` when a run pauses or stops."""
        self._check_label(label)
        self._stop_cbs[label].append(pause_stop_callback)

    # -- notifications -------------------------------------------------------------------
    def _listen(self) -> None:
        while not self._closed:
            try:
                data, sender = self._notify.recvfrom(1024)
            except (TimeoutError, BlockingIOError):
                continue
            except OSError:
                if self._closed:
                    return
                continue
            command = _command(data)
            try:
                if command == EIEIO_COMMAND_IDS.DATABASE.value:
                    self._read_database(data[2:].decode("utf-8") if len(data) > 2 else None)
                    self._notify.sendto(EIEIOCommandHeader(command).bytestring, sender)
                elif command == EIEIO_COMMAND_IDS.START_RESUME_NOTIFICATION.value:
                    self._launch(self._start_cbs)
                elif command == EIEIO_COMMAND_IDS.STOP_PAUSE_NOTIFICATION.value:
                    self._launch(self._stop_cbs)
            except Exception:
                logger.exception("live connection: failed to handle a notification")

    def _launch(self, callbacks: dict[str, list[StateCallback]]) -> None:
        for label, cbs in list(callbacks.items()):
            for cb in cbs:
                threading.Thread(target=cb, args=(label, self), daemon=True).start()

    def _read_database(self, path: str | None) -> None:
        if path is None:
            logger.warning("live connection: notification without a database path")
            return
        db = _Database(path)
        try:
            run_ms = db.parameter("runtime")
            step_us = db.parameter("machine_time_step")
            sizes: dict[str, int] = {}
            with self._lock:
                for label in self._send_labels:
                    x, y, p = db.first_core(label)
                    self._send_to[label] = (db.board_address(x, y), x, y, p)
                    self._atom_to_key[label] = db.atoms_to_keys(label)
                    sizes[label] = len(self._atom_to_key[label])
                outputs: set[tuple[str, int, int, int]] = set()
                rows: list[tuple[int, int, int]] = []
                for label_id, label in enumerate(self._receive_labels):
                    assert self._lpg_label is not None
                    outputs.add(db.output(label, self._lpg_label))
                    keys = db.atoms_to_keys(label)
                    rows.extend((key, atom, label_id) for atom, key in keys.items())
                    sizes[label] = len(keys)
                table = np.array(sorted(rows), dtype=np.int64).reshape(-1, 3).T
                self._key_table = (table[0].copy(), table[1].copy(), table[2].copy())
        finally:
            db.close()
        if outputs:
            self._claim_tags(outputs)
        for label, size in sizes.items():
            for cb in self._init_cbs.get(label, []):
                cb(label, size, -1.0 if run_ms is None else run_ms, (step_us or 1000.0) / 1000.0)

    # -- receiving -----------------------------------------------------------------------
    def _claim_tags(self, outputs: set[tuple[str, int, int, int]]) -> None:
        """Point each output's IP tag at the receiver socket; wait for the board's OK."""
        if self._receiver is None:
            board = next(iter(outputs))[0]
            probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                probe.connect((board, SCP_SCAMP_PORT))
                local = probe.getsockname()[0]
            finally:
                probe.close()
            self._receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self._receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
            self._receiver.bind((local, 0))
            self._receiver_thread = threading.Thread(
                target=self._receive, name="spinstream-live-client-receiver", daemon=True
            )
            self._receiver_thread.start()
        for board, tag, x, y in sorted(outputs - self._outputs):
            request = IPTagSet(x, y, [0, 0, 0, 0], 0, tag, strip=True, use_sender=True)
            request.sdp_header.update_for_send(x, y)
            for _ in range(10):
                self._tag_ok.clear()
                self._receiver.sendto(b"\0\0" + request.bytestring, (board, SCP_SCAMP_PORT))
                if self._tag_ok.wait(1.0):
                    self._outputs.add((board, tag, x, y))
                    break
            else:
                logger.warning("live connection: the board at %s did not answer", board)

    def _receive(self) -> None:
        sock = self._receiver
        assert sock is not None
        while not self._closed:
            try:
                ready, _, _ = select.select([sock], [], [], 0.1)
                if not ready:
                    continue
                data = sock.recv(2048)
            except OSError:
                if self._closed:
                    return
                continue
            try:
                self._handle_packet(data)
            except Exception:
                logger.exception("live connection: failed to handle a packet")

    def _handle_packet(self, data: bytes) -> None:
        if len(data) == 18 and data[2] == SDPFlag.REPLY_NOT_EXPECTED.value and data[4] == 0xFF:
            self._tag_ok.set()
            return
        if len(data) < 2 or (data[1] >> 6) == 1:
            return  # too short, or an EIEIO command
        header = EIEIODataHeader.from_bytestring(data, 0)
        kind = header.eieio_type
        n = header.count
        if len(data) != header.size + n * (kind.key_bytes + kind.payload_bytes):
            return  # not a whole packet
        # whole packets are read with numpy: one lookup for all keys instead of a loop
        raw = np.frombuffer(
            data, dtype="<u2" if kind.key_bytes == 2 else "<u4", offset=header.size
        ).astype(np.int64)
        keys, payloads = (raw[0::2], raw[1::2]) if kind.payload_bytes else (raw, None)
        if header.prefix is not None:
            shift = 16 if header.prefix_type == EIEIOPrefix.UPPER_HALF_WORD else 0
            keys = keys | (header.prefix << shift)
        if header.payload_base is not None:
            payloads = (
                np.full(n, header.payload_base, np.int64)
                if payloads is None
                else payloads | header.payload_base
            )
        with self._lock:
            table = self._key_table
        pos = np.searchsorted(table[0], keys).clip(0, max(len(table[0]) - 1, 0))
        known = table[0][pos] == keys if len(table[0]) else np.zeros(n, bool)
        if not known.all():
            self.unknown_keys.update(keys[~known].tolist())
        for label_id, label in enumerate(self._receive_labels):
            mine = known & (table[2][pos] == label_id)
            if not mine.any():
                continue
            atoms = table[1][pos[mine]]
            if header.is_time and payloads is not None:
                steps = payloads[mine]
                for step in np.unique(steps).tolist():
                    at = steps == step
                    for tcb, translate in self._time_cbs.get(label, []):
                        tcb(label, step, (atoms[at] if translate else keys[mine][at]).tolist())
            else:
                pl = [None] * int(mine.sum()) if payloads is None else payloads[mine].tolist()
                for cb, translate in self._no_time_cbs.get(label, []):
                    for a, k, v in zip(atoms.tolist(), keys[mine].tolist(), pl, strict=True):
                        cb(label, a if translate else k, v)

    # -- sending -------------------------------------------------------------------------
    def _target(self, label: str) -> tuple[str, int, int, int]:
        with self._lock:
            target = self._send_to.get(label)
        if target is None:
            raise KeyError(
                f"cannot send to {label!r}: not a send label, or the database was not read yet"
            )
        return target

    def _send_message(self, message: Any, target: tuple[str, int, int, int]) -> None:
        ip, x, y, p = target
        sdp = SDPMessage(
            SDPHeader(
                flags=SDPFlag.REPLY_NOT_EXPECTED,
                tag=0,
                destination_port=1,
                destination_cpu=p,
                destination_chip_x=x,
                destination_chip_y=y,
                source_port=0,
                source_cpu=0,
                source_chip_x=0,
                source_chip_y=0,
            ),
            data=message.bytestring,
        )
        self._sender.sendto(b"\0\0" + sdp.bytestring, (ip, SCP_SCAMP_PORT))

    def send_events(
        self, label: str, atom_ids: Sequence[int], send_full_keys: bool = False
    ) -> None:
        """Send events of atoms of ``label``: 16-bit atom ids, or their 32-bit keys."""
        target = self._target(label)
        kind = EIEIOType.KEY_32_BIT if send_full_keys else EIEIOType.KEY_16_BIT
        per = _MAX_KEYS_32 if send_full_keys else _MAX_KEYS_16
        keys = self._atom_to_key[label]
        ids = [int(a) for a in atom_ids]
        for start in range(0, len(ids), per):
            message = EIEIODataMessage.create(kind)
            for atom in ids[start : start + per]:
                message.add_key(keys[atom] if send_full_keys else atom)
            self._send_message(message, target)

    def send_event(self, label: str, atom_id: int, send_full_keys: bool = False) -> None:
        """Send one event (see :meth:`send_events`)."""
        self.send_events(label, [atom_id], send_full_keys)

    def send_events_with_payloads(
        self, label: str, atom_ids_and_payloads: Sequence[tuple[int, int]]
    ) -> None:
        """Send ``(atom, payload)`` events as 32-bit keys with 32-bit payloads."""
        target = self._target(label)
        keys = self._atom_to_key[label]
        items = [(int(a), int(v)) for a, v in atom_ids_and_payloads]
        for start in range(0, len(items), _MAX_KEYS_PAYLOADS):
            message = EIEIODataMessage.create(EIEIOType.KEY_PAYLOAD_32_BIT)
            for atom, payload in items[start : start + _MAX_KEYS_PAYLOADS]:
                message.add_key_and_payload(keys[atom], payload)
            self._send_message(message, target)

    def send_event_with_payload(self, label: str, atom_id: int, payload: int) -> None:
        """Send one event with a payload."""
        self.send_events_with_payloads(label, [(atom_id, payload)])

    def close(self) -> None:
        """Stop the threads and close the sockets."""
        self._closed = True
        for t in (self._thread, self._receiver_thread):
            if t is not None and t is not threading.current_thread():
                t.join()
        for s in (self._notify, self._sender, self._receiver):
            if s is not None:
                s.close()


class SpynnakerLiveSpikesConnection(LiveEventConnection):
    """Receive and send live spikes (sPyNNaker's class of the same name, same API).

    Parameters
    ----------
    receive_labels
        Populations whose spikes are received (each needs ``activate_live_output_for``).
    send_labels
        ``SpikeInjector`` populations that spikes are sent to.
    local_host, local_port
        Where the notifications arrive (must match ``database_notify_port_num``).
    live_packet_gather_label
        Prefix of the receiver vertex's label.
    """

    def __init__(
        self,
        receive_labels: Iterable[str] | None = None,
        send_labels: Iterable[str] | None = None,
        local_host: str | None = None,
        local_port: int | None = NOTIFY_PORT,
        live_packet_gather_label: str = "LiveSpikeReceiver",
    ) -> None:
        super().__init__(
            live_packet_gather_label, receive_labels, send_labels, local_host, local_port
        )

    def send_spike(self, label: str, neuron_id: int, send_full_keys: bool = False) -> None:
        """Send one spike of neuron ``neuron_id`` of ``label``."""
        self.send_events(label, [neuron_id], send_full_keys)

    def send_spikes(
        self, label: str, neuron_ids: Sequence[int], send_full_keys: bool = False
    ) -> None:
        """Send spikes of neurons of ``label`` (16-bit ids, or 32-bit keys)."""
        self.send_events(label, neuron_ids, send_full_keys)


class SpynnakerPoissonControlConnection(LiveEventConnection):
    """Set the rates of Poisson populations while they run (sPyNNaker's API).

    Parameters
    ----------
    poisson_labels
        Labels of the controlled populations (each needs
        ``add_poisson_live_rate_control``).
    local_host, local_port
        Where the notifications arrive.
    control_label_extension
        Suffix of the control vertices' labels (must match the network's).
    """

    def __init__(
        self,
        poisson_labels: Iterable[str] | None = None,
        local_host: str | None = None,
        local_port: int | None = NOTIFY_PORT,
        control_label_extension: str = "_control",
    ) -> None:
        self._extension = control_label_extension
        labels = list(poisson_labels or [])
        self._to_label = {self._control(label): label for label in labels}
        super().__init__(None, None, [self._control(x) for x in labels], local_host, local_port)

    def _control(self, label: str) -> str:
        return label if label in getattr(self, "_to_label", {}) else f"{label}{self._extension}"

    def add_poisson_label(self, label: str) -> None:
        """Control one more Poisson population."""
        control = f"{label}{self._extension}"
        self._to_label[control] = label
        self.add_send_label(control)

    def _wrap(self, callback: Callable[..., None]) -> Callable[..., None]:
        def wrapped(label: str, *args: Any) -> None:
            callback(self._to_label.get(label, label), *args)

        return wrapped

    def add_init_callback(self, label: str, init_callback: InitCallback) -> None:
        """As :meth:`LiveEventConnection.add_init_callback`, with the population's label."""
        super().add_init_callback(self._control(label), self._wrap(init_callback))

    def add_start_resume_callback(self, label: str, start_resume_callback: StateCallback) -> None:
        """As :meth:`LiveEventConnection.add_start_resume_callback`."""
        super().add_start_resume_callback(self._control(label), self._wrap(start_resume_callback))

    def add_pause_stop_callback(self, label: str, pause_stop_callback: StateCallback) -> None:
        """As :meth:`LiveEventConnection.add_pause_stop_callback`."""
        super().add_pause_stop_callback(self._control(label), self._wrap(pause_stop_callback))

    def add_receive_callback(
        self, label: str, live_event_callback: TimeCallback, translate_key: bool = True
    ) -> None:
        """Poisson control connections receive nothing: raises."""
        raise TypeError("a SpynnakerPoissonControlConnection cannot receive spikes")

    def add_receive_no_time_callback(
        self, label: str, live_event_callback: NoTimeCallback, translate_key: bool = True
    ) -> None:
        """Poisson control connections receive nothing: raises."""
        raise TypeError("a SpynnakerPoissonControlConnection cannot receive spikes")

    def set_rate(self, label: str, neuron_id: int, rate: float) -> None:
        """Set the rate (Hz) of one neuron of Poisson population ``label``."""
        self.set_rates(label, [(neuron_id, rate)])

    def set_rates(self, label: str, neuron_id_rates: Iterable[tuple[int, float]]) -> None:
        """Set rates (Hz) of neurons of ``label``: ``[(neuron_id, rate), ...]``.

        Rates travel as unsigned 16.16 fixed point: 0 to 65535.99998 Hz.
        """
        items = []
        for nid, rate in neuron_id_rates:
            r = float(rate)
            if not 0.0 <= r < 65536.0:
                raise ValueError(
                    f"rate of neuron {nid} of {label!r}: {rate!r} Hz is not in [0, 65536)"
                )
            items.append((int(nid), round(r * _U1616)))
        self.send_events_with_payloads(self._control(label), items)
