"""``sim.external_devices``: sPyNNaker's live I/O calls, on spinstream's live I/O server.

The functions keep sPyNNaker's names, signatures and defaults.  Options that sPyNNaker
has and spinstream does not support (other packet formats of the live output, reverse IP
tags) raise ``ValueError`` naming the option and value when they are set to anything but
their default; nothing is silently ignored.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Iterable
from typing import Any

from spinnman.messages.eieio import EIEIOType

import spinstream.pyNN as _pynn
from spinstream.live_io import LiveIO, LiveIOOptions, live_io_for
from spinstream.spinnaker.external_devices._hardware import HardwareDeviceError

_SpikeInjectorType = _pynn.SpikeInjector

__all__ = [
    "SpikeInjector",
    "activate_live_output_for",
    "activate_live_output_to",
    "add_database_socket_address",
    "add_poisson_live_rate_control",
    "configure_live_io",
    "continue_simulation",
    "live_io_statistics",
    "register_database_notification_request",
    "request_stop",
    "run_forever",
    "run_sync",
]

logger = logging.getLogger("spinstream.spinnaker")

#: A run_forever slice: long enough that slicing costs nothing, short enough to be an int.
_FOREVER_STEPS = 2**40


def _server(population: Any = None, *, live: bool = True) -> LiveIO:
    """Return the live I/O server of the current network (of ``population``'s, if given).

    ``live``: the call sets up live input or output, so the network's runs keep the wall
    clock's pace (scaled by ``time_scale_factor``), as they do on SpiNNaker, unless
    ``setup()`` was given a ``mode`` of its own.
    """
    if population is not None:
        try:
            state = population._simulator.state
            pid = population._spec_id
        except AttributeError:
            raise TypeError(f"expected a Population of this network, got {population!r}") from None
        runtime = state.require_runtime()
        if not (0 <= pid < len(runtime.spec.populations)) or population not in state.populations:
            raise ValueError(f"{population!r} belongs to an earlier setup() or another network")
    else:
        runtime = _pynn.state.require_runtime()
    server = live_io_for(runtime)
    assert server is not None
    if live and not _pynn.state.mode_given and runtime.mode == "fast":
        runtime.mode = "realtime"
    return server


def _population(population: Any, call: str) -> int:
    if hasattr(population, "parent") or hasattr(population, "populations"):
        raise TypeError(
            f"{call}: expected a Population, got {type(population).__name__} {population!r} "
            "(sPyNNaker takes whole populations here)"
        )
    try:
        return int(population._spec_id)
    except AttributeError:
        raise TypeError(f"{call}: expected a Population, got {population!r}") from None


def _require_default(call: str, name: str, value: Any, default: Any, why: str) -> None:
    if value != default:
        raise ValueError(
            f"{call}: {name}={value!r} is not supported ({why}); leave it at {default!r}"
        )


def configure_live_io(**options: Any) -> LiveIOOptions:
    """Set the live I/O options of the current network (spinstream only; before the first run).

    Keywords are those of :class:`spinstream.live_io.LiveIOOptions`: ``board_address``
    (loopback by default: ``127.0.0.1``), ``allow_remote``, ``ack_timeout``,
    ``renotify_s``, ``max_rate``, ``output_buffer``, ``board_port``.
    """
    return _server(live=False).configure(**options)


def live_io_statistics() -> Any:
    """Return the live I/O counters of the current network (:class:`LiveIOStatistics`)."""
    return _server(live=False).statistics()


def register_database_notification_request(hostname: str, notify_port: int, ack_port: int) -> None:
    """Notify a client listening at ``hostname:notify_port`` around each run.

    Parameters
    ----------
    hostname
        Host of the client's notification socket.
    notify_port
        UDP port the client listens on (sPyNNaker's clients: ``local_port``, 19999).
    ack_port
        UDP port on which this side waits for the client's answer.
    """
    _server().register_notification(hostname, notify_port, ack_port)


def add_database_socket_address(
    database_notify_host: str | None,
    database_notify_port_num: int | None,
    database_ack_port_num: int | None,
) -> None:
    """Register a client address, as :func:`register_database_notification_request`.

    ``None`` stands for the defaults (localhost, 19999, any ack port).
    """
    _server().register_notification(
        database_notify_host, database_notify_port_num, database_ack_port_num
    )


def SpikeInjector(
    notify: bool = True,
    database_notify_host: str | None = None,
    database_notify_port_num: int | None = None,
    database_ack_port_num: int | None = None,
) -> Any:
    """Make a cell type for live spike input, fed by live clients over UDP.

    Spikes a client sends land at the first step of the next chunk (see
    docs/SPINNAKER_IO.md); the population records them like any spike source.

    Parameters
    ----------
    notify
        Register the notification address (the client learns where to send).
    database_notify_host, database_notify_port_num, database_ack_port_num
        The client's notification address (default ``localhost:19999``) and the port
        on which its answer is awaited (default: any).
    """
    if notify:
        _server().register_notification(
            database_notify_host, database_notify_port_num, database_ack_port_num
        )
    return _SpikeInjectorType()


def activate_live_output_for(
    population: Any,
    *,
    database_notify_host: str | None = None,
    database_notify_port_num: int | None = None,
    database_ack_port_num: int | None = None,
    port: int | None = None,
    host: str | None = None,
    tag: int | None = None,
    strip_sdp: bool = True,
    use_prefix: bool = False,
    key_prefix: int | None = None,
    prefix_type: Any = None,
    message_type: EIEIOType = EIEIOType.KEY_32_BIT,
    right_shift: int = 0,
    payload_as_time_stamps: bool = True,
    notify: bool = True,
    use_payload_prefix: bool = True,
    payload_prefix: int | None = None,
    payload_right_shift: int = 0,
    number_of_packets_sent_per_time_step: int = 0,
    translate_keys: bool = False,
    partition_ids: Iterable[str] | None = None,
) -> None:
    """Send the spikes of ``population`` to live clients as they happen.

    Each packet carries the spikes of one step: 32-bit keys (the atoms' multicast keys,
    listed in the database) and the step as a timestamp prefix.  The packets go to the
    address of the IP tag, which a client claims by its IP tag request (sPyNNaker's
    clients do, for the socket they listen on); until one does, to ``host:port``.

    Parameters
    ----------
    population
        The Population whose spikes are sent.
    database_notify_host, database_notify_port_num, database_ack_port_num
        As for :func:`SpikeInjector` (used when ``notify``).
    host, port
        Where the packets go until a client claims the tag (default
        ``localhost:17895``).
    tag
        The IP tag number (default: one per distinct ``host, port``, from 1).

    The packet-format options (``strip_sdp``, ``use_prefix``, ``key_prefix``,
    ``prefix_type``, ``message_type``, ``right_shift``, ``payload_as_time_stamps``,
    ``use_payload_prefix``, ``payload_prefix``, ``payload_right_shift``,
    ``number_of_packets_sent_per_time_step``, ``translate_keys``, ``partition_ids``)
    only take their defaults: other formats are not implemented.
    """
    call = "activate_live_output_for"
    pid = _population(population, call)
    why = "spinstream sends one packet format: 32-bit keys with the step as timestamp prefix"
    for name, value, default in (
        ("strip_sdp", strip_sdp, True),
        ("use_prefix", use_prefix, False),
        ("key_prefix", key_prefix, None),
        ("prefix_type", prefix_type, None),
        ("message_type", message_type, EIEIOType.KEY_32_BIT),
        ("right_shift", right_shift, 0),
        ("payload_as_time_stamps", payload_as_time_stamps, True),
        ("use_payload_prefix", use_payload_prefix, True),
        ("payload_prefix", payload_prefix, None),
        ("payload_right_shift", payload_right_shift, 0),
        ("number_of_packets_sent_per_time_step", number_of_packets_sent_per_time_step, 0),
        ("translate_keys", translate_keys, False),
    ):
        _require_default(call, name, value, default, why)
    if partition_ids is not None and list(partition_ids) not in ([], ["SPIKE"]):
        raise ValueError(
            f"{call}: partition_ids={list(partition_ids)!r} is not supported (a population "
            "sends only spikes, partition 'SPIKE')"
        )
    server = _server(population)
    server.add_live_output(pid, host, port, tag)
    if notify:
        server.register_notification(
            database_notify_host, database_notify_port_num, database_ack_port_num
        )


def activate_live_output_to(population: Any, device: Any, partition_id: str = "SPIKE") -> None:
    """Send a population's spikes to a hardware device: needs a board, so it raises.

    sPyNNaker uses it to wire a population to a device vertex (a robot's motors, a
    SPIF output).  spinstream has no hardware devices; to receive spikes in a program use
    :func:`activate_live_output_for` with a ``SpynnakerLiveSpikesConnection``, and to
    send them to another population use a ``Projection``.
    """
    raise HardwareDeviceError(
        f"activate_live_output_to({population!r}, {device!r}, {partition_id!r}): the target "
        "is a hardware device (SpiNNaker link, SPIF or Ethernet robot), and spinstream runs "
        "without hardware; use activate_live_output_for() with a "
        "SpynnakerLiveSpikesConnection, or a Projection to a Population"
    )


def add_poisson_live_rate_control(
    poisson_population: Any,
    *,
    control_label_extension: str = "_control",
    receive_port: int | None = None,
    database_notify_host: str | None = None,
    database_notify_port_num: int | None = None,
    database_ack_port_num: int | None = None,
    notify: bool = True,
    reserve_reverse_ip_tag: bool = False,
) -> None:
    """Let live clients set the rates of a Poisson population while it runs.

    A ``SpynnakerPoissonControlConnection`` names the population by its label; the rates
    it sends (U16.16 Hz) take effect at the next chunk's first step.

    Parameters
    ----------
    poisson_population
        A ``SpikeSourcePoisson`` Population.
    control_label_extension
        Suffix of the control vertex's label (must match the connection's).
    database_notify_host, database_notify_port_num, database_ack_port_num, notify
        As for :func:`SpikeInjector`.
    receive_port, reserve_reverse_ip_tag
        Reverse IP tags are not implemented (rates travel as SDP): defaults only.
    """
    call = "add_poisson_live_rate_control"
    pid = _population(poisson_population, call)
    why = "reverse IP tags are not implemented; rates travel as SDP to the board's address"
    _require_default(call, "reserve_reverse_ip_tag", reserve_reverse_ip_tag, False, why)
    _require_default(call, "receive_port", receive_port, None, why)
    if not isinstance(control_label_extension, str) or not control_label_extension:
        raise ValueError(
            f"{call}: control_label_extension must be a non-empty string, "
            f"got {control_label_extension!r}"
        )
    server = _server(poisson_population)
    server.add_rate_control(pid, f"{poisson_population.label}{control_label_extension}")
    if notify:
        server.register_notification(
            database_notify_host, database_notify_port_num, database_ack_port_num
        )


def _steps_of(ms: float, what: str) -> int:
    dt = float(_pynn.state.dt)
    if not isinstance(ms, int | float) or isinstance(ms, bool) or not math.isfinite(ms) or ms < 0:
        raise ValueError(f"{what} must be a finite number of ms >= 0, got {ms!r}")
    return round(ms / dt)


def _run_held(steps: int) -> bool:
    """One run of ``steps`` steps; False when ``request_stop`` ended it."""
    server = _server()
    dt = float(_pynn.state.dt)
    try:
        _pynn.run(steps * dt)
    except (asyncio.CancelledError, KeyboardInterrupt):
        if server.stop_requested.is_set():
            return False
        raise
    return not server.stop_requested.is_set()


def _wait_continue(server: LiveIO) -> bool:
    """Wait for ``continue_simulation`` (or ``request_stop``); False on stop."""
    while not server.continue_event.wait(0.05):
        if server.stop_requested.is_set():
            return False
    server.continue_event.clear()
    return not server.stop_requested.is_set()


def run_forever(sync_time: float = 0.0) -> None:
    """Run until :func:`request_stop` is called (from a callback or another thread).

    The run ends at the boundary of the chunk that was running.  With ``sync_time``
    (ms) > 0 the network pauses every ``sync_time`` ms until :func:`continue_simulation`.
    Live clients see one simulation: one notification, one start, one stop.
    """
    server = _server()
    sync = _steps_of(sync_time, "sync_time")
    server.stop_requested.clear()
    server.continue_event.clear()
    with server.hold(None):
        while _run_held(sync or _FOREVER_STEPS):
            if sync and not _wait_continue(server):
                break


def run_sync(run_time: float, sync_time: float) -> None:
    """Run ``run_time`` ms, pausing every ``sync_time`` ms until :func:`continue_simulation`.

    Live clients see one simulation of ``run_time`` ms.  :func:`request_stop` ends it early.
    """
    server = _server()
    total = _steps_of(run_time, "run_time")
    sync = _steps_of(sync_time, "sync_time") or total
    server.stop_requested.clear()
    server.continue_event.clear()
    done = 0
    with server.hold(float(run_time)):
        while done < total:
            n = min(sync, total - done)
            if not _run_held(n):
                break
            done += n
            if done < total and not _wait_continue(server):
                break


def continue_simulation() -> None:
    """Let a network paused by ``run_sync`` / ``run_forever(sync_time)`` go on."""
    _server().continue_event.set()


def request_stop() -> None:
    """End ``run_forever`` / ``run_sync`` at the end of the running chunk (thread-safe).

    As in sPyNNaker, it does not end a plain ``run(t)``.
    """
    _server().request_stop()
