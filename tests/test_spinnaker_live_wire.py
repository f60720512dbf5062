"""sPyNNaker's live I/O: packets (checked with spinnman's own readers), fuzzing, options.

The client processes are in test_spinnaker_live.py; here packets are sent from this
process, over real UDP sockets on loopback.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import time
from typing import Any

import numpy as np
import pytest
from spinnman.messages.eieio import EIEIOPrefix, EIEIOType, read_eieio_data_message
from spinnman.messages.eieio.data_messages import EIEIODataMessage
from spinnman.messages.scp.impl import IPTagSet
from spinnman.messages.sdp import SDPFlag, SDPHeader, SDPMessage

import spinstream.pyNN as sim
from spinstream.live_io import LiveIOOptions, LiveIOSecurityWarning, _wire
from spinstream.spinnaker import external_devices as ed
from spinstream.spinnaker.connections import SpynnakerLiveSpikesConnection
from tests.engine import require_engine
from tests.live_io_support import board_address, free_udp_port

require_engine()


def sdp_to(x: int, y: int, p: int, payload: bytes, port: int = 1) -> bytes:
    header = SDPHeader(
        flags=SDPFlag.REPLY_NOT_EXPECTED,
        tag=0,
        destination_port=port,
        destination_cpu=p,
        destination_chip_x=x,
        destination_chip_y=y,
        source_port=0,
        source_cpu=0,
        source_chip_x=0,
        source_chip_y=0,
    )
    return b"\0\0" + SDPMessage(header, data=payload).bytestring


def eieio(kind: EIEIOType, keys: list[int], payloads: list[int] | None = None) -> bytes:
    message = EIEIODataMessage.create(kind)
    for i, k in enumerate(keys):
        if payloads is None:
            message.add_key(k)
        else:
            message.add_key_and_payload(k, payloads[i])
    return bytes(message.bytestring)


# -- packets ----------------------------------------------------------------------------
def test_output_packets_read_back_with_spinnman() -> None:
    steps = np.array([3] * 70 + [9] * 2, dtype=np.int64)
    keys = np.arange(72, dtype=np.uint32) + 0x10000
    packets = _wire.encode_spikes(steps, keys)
    assert [len(p) for p in packets] == [6 + 4 * 62, 6 + 4 * 8, 6 + 4 * 2]
    seen = []
    for data in packets:
        message = read_eieio_data_message(data, 0)
        assert message.eieio_header.is_time
        while message.is_next_element:
            element: Any = message.next_element
            seen.append((element.payload, element.key))
    assert seen == list(zip(steps.tolist(), keys.tolist(), strict=True))


def test_ip_tag_request_is_answered_as_a_board_does() -> None:
    request = IPTagSet(0, 0, [0, 0, 0, 0], 0, 3, strip=True, use_sender=True)
    request.sdp_header.update_for_send(0, 0)
    parsed = _wire.parse_datagram(b"\0\0" + request.bytestring)
    assert isinstance(parsed, _wire.TagSet)
    assert (parsed.tag, parsed.strip, parsed.use_sender) == (3, True, True)
    reply = _wire.scp_ok_reply(parsed)
    # what sPyNNaker's client checks, and spinnman's own reading of the answer
    assert len(reply) == 18
    assert reply[2] == 0x07
    assert reply[4] == 0xFF
    request.get_scp_response().read_bytestring(reply, 2)


def test_spike_packets_of_both_key_formats_and_prefixes() -> None:
    data16 = _wire.parse_datagram(sdp_to(1, 2, 3, eieio(EIEIOType.KEY_16_BIT, [0, 5, 65535])))
    assert isinstance(data16, _wire.EieioData)
    assert (data16.x, data16.y, data16.p, data16.full_keys) == (1, 2, 3, False)
    assert data16.keys.tolist() == [0, 5, 65535]
    data32 = _wire.parse_datagram(sdp_to(0, 0, 1, eieio(EIEIOType.KEY_32_BIT, [0x12345678])))
    assert isinstance(data32, _wire.EieioData)
    assert data32.full_keys
    assert data32.keys.tolist() == [0x12345678]
    prefixed = EIEIODataMessage.create(
        EIEIOType.KEY_16_BIT, key_prefix=0x0ABC, prefix_type=EIEIOPrefix.UPPER_HALF_WORD
    )
    prefixed.add_key(7)
    parsed = _wire.parse_datagram(sdp_to(0, 0, 1, bytes(prefixed.bytestring)))
    assert isinstance(parsed, _wire.EieioData)
    assert parsed.full_keys
    assert parsed.keys.tolist() == [0x0ABC0007]
    rates = _wire.parse_datagram(
        sdp_to(0, 0, 1, eieio(EIEIOType.KEY_PAYLOAD_32_BIT, [9], [200 << 16]))
    )
    assert isinstance(rates, _wire.EieioData)
    assert rates.payloads is not None
    assert rates.payloads.tolist() == [200 << 16]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x01\x00" + bytes(20),
        sdp_to(0, 0, 1, eieio(EIEIOType.KEY_16_BIT, [1, 2]))[:-1],  # count says 2
        sdp_to(0, 0, 1, eieio(EIEIOType.KEY_16_BIT, [1, 2]) + b"\0\0"),  # one too many
        sdp_to(0, 0, 1, b"\x01\x40"),  # a command, not data
        sdp_to(0, 0, 1, eieio(EIEIOType.KEY_16_BIT, [1]), port=3),
        sdp_to(0, 0, 0, struct.pack("<HH3I", 0, 1, 0, 0, 0), port=0),  # SCP "version"
        sdp_to(0, 0, 0, struct.pack("<HH2I", 26, 1, 1 << 16, 0), port=0),  # short tag set
    ],
    ids=["empty", "pad", "short", "long", "command", "port3", "scp-ver", "scp-short"],
)
def test_malformed_datagrams_are_refused(data: bytes) -> None:
    with pytest.raises(_wire.MalformedPacket):
        _wire.parse_datagram(data)


# -- options and names --------------------------------------------------------------------
@pytest.fixture
def network() -> Any:
    sim.setup(timestep=1.0, chunk=10.0, seed=1)
    yield
    sim.end()


def test_loopback_by_default_and_remote_only_when_asked(network: Any) -> None:
    assert LiveIOOptions().checked().board_address == "127.0.0.1"
    with pytest.raises(ValueError, match="no authentication"):
        ed.configure_live_io(board_address="192.0.2.7")
    with pytest.raises(ValueError, match=r"database_notify_host 192\.0\.2\.8"):
        ed.register_database_notification_request("192.0.2.8", 19999, 19998)
    with pytest.warns(LiveIOSecurityWarning, match="no authentication"):
        options = ed.configure_live_io(board_address="192.0.2.7", allow_remote=True)
    assert options.board_address == "192.0.2.7"
    with pytest.raises(ValueError, match="ack_timeout"):
        ed.configure_live_io(ack_timeout=-1)
    with pytest.raises(TypeError, match="unknown option"):
        ed.configure_live_io(board="127.0.0.1")


def test_unsupported_options_and_hardware_devices_raise_clearly(network: Any) -> None:
    pop = sim.Population(3, sim.IF_curr_exp(), label="p")
    pois = sim.Population(3, sim.SpikeSourcePoisson(rate=1.0), label="q")
    with pytest.raises(ValueError, match="use_prefix=True"):
        ed.activate_live_output_for(pop, use_prefix=True)
    with pytest.raises(ValueError, match="message_type"):
        ed.activate_live_output_for(pop, message_type=EIEIOType.KEY_16_BIT)
    with pytest.raises(TypeError, match="expected a Population"):
        ed.activate_live_output_for(pop[0:2])
    with pytest.raises(NotImplementedError, match="hardware device"):
        ed.activate_live_output_to(pop, pois)
    with pytest.raises(TypeError, match="only Poisson sources"):
        ed.add_poisson_live_rate_control(pop)
    with pytest.raises(ValueError, match="reserve_reverse_ip_tag=True"):
        ed.add_poisson_live_rate_control(pois, reserve_reverse_ip_tag=True)
    with pytest.raises(ed.HardwareDeviceError, match=r"external_devices\.MunichRetinaDevice"):
        ed.MunichRetinaDevice(ed.MunichRetinaDevice.LEFT_RETINA)
    with pytest.raises(ed.HardwareDeviceError, match=r"PushBotLaser\.DEFAULT_FREQUENCY"):
        _ = ed.PushBotLaser.DEFAULT_FREQUENCY
    # the network is still usable after all that
    pop.record("spikes")
    sim.run(10.0)
    assert sim.get_current_time() == 10.0


def test_external_devices_exports() -> None:
    expected = {
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
        "SpynnakerLiveSpikesConnection",
        "SpynnakerPoissonControlConnection",
        "EIEIOType",
        "HardwareDeviceError",
    }
    assert expected <= set(ed.__all__)
    assert ed.__all__ == sorted(ed.__all__)
    assert all(hasattr(ed, name) for name in ed.__all__)
    hardware = set(ed.__all__) - expected
    assert {"MunichRetinaDevice", "SPIFRetinaDevice", "PushBotLifEthernet"} <= hardware
    for name in hardware:
        with pytest.raises(ed.HardwareDeviceError, match=name):
            getattr(ed, name)()


# -- fuzzing -----------------------------------------------------------------------------
def bad_packets(
    rng: np.random.Generator,
    inj: tuple[int, int, int],
    pois: tuple[int, int, int],
    inj_keys: np.ndarray,
) -> list[bytes]:
    """Datagrams that must all be refused (each kind several times)."""
    x, y, p = inj
    out: list[bytes] = []
    for _ in range(30):
        raw = bytearray(rng.integers(0, 256, rng.integers(0, 300)).astype(np.uint8).tobytes())
        if raw:
            raw[0] = int(rng.integers(1, 256))  # a nonzero pad byte: never valid
        out.append(bytes(raw))
        keys = rng.integers(0, 20, 4).tolist()
        good = eieio(EIEIOType.KEY_16_BIT, keys)
        out.append(sdp_to(x, y, p, good, port=int(rng.integers(2, 8))))
        out.append(sdp_to(x, y, p, good[:-2]))  # count larger than the keys
        out.append(sdp_to(x, y, p, eieio(EIEIOType.KEY_16_BIT, [int(rng.integers(40, 65536))])))
        out.append(sdp_to(x, y, p, eieio(EIEIOType.KEY_32_BIT, [int(inj_keys.max()) + 1])))
        out.append(sdp_to(255, 255, 17, good))  # no such core
        out.append(sdp_to(x, y, p, b"\x01\x40"))
        out.append(sdp_to(x, y, p, eieio(EIEIOType.KEY_PAYLOAD_32_BIT, [int(inj_keys[0])], [1])))
        out.append(sdp_to(*pois, eieio(EIEIOType.KEY_PAYLOAD_16_BIT, [0], [5])))
        out.append(sdp_to(x, y, 0, struct.pack("<HH3I", 0, 1, 0, 0, 0), port=0))
        out.append(sdp_to(x, y, p, good + bytes(int(rng.integers(1, 3000)))))
    return out


def test_fuzzed_endpoint_drops_malformed_packets_and_records_every_valid_spike(
    network: Any,
) -> None:
    sim.setup(timestep=1.0, chunk=10.0, seed=11, mode="realtime")
    board = board_address()
    ed.configure_live_io(board_address=board, max_rate=1000.0)
    inj = sim.Population(40, ed.SpikeInjector(notify=False), label="inj")
    pois = sim.Population(10, sim.SpikeSourcePoisson(rate=0.0), label="pois")
    ed.add_poisson_live_rate_control(pois, notify=False)
    inj.record("spikes")
    pois.record("spikes")
    runtime = sim.state.runtime
    assert runtime is not None
    asyncio.run(runtime.run_steps(0))  # map and load: the plan says where the cores are
    plan = runtime.plan
    assert plan is not None
    first = [plan.cores[plan.pop_cores[pid][0]] for pid in (inj._spec_id, pois._spec_id)]
    inj_core, pois_core = ((c.x, c.y, c.p) for c in first)
    inj_keys = np.array([first[0].key | i for i in range(40)])
    rng = np.random.default_rng(5)
    bad = bad_packets(rng, inj_core, pois_core, inj_keys)
    bad += [
        sdp_to(*pois_core, eieio(EIEIOType.KEY_PAYLOAD_32_BIT, [int(first[1].key)], [5000 << 16]))
    ] * 5  # above max_rate
    valid_atoms = [int(a) for a in rng.permutation(40)]  # each once: none can merge
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def send_all() -> None:
        while not runtime.running:
            time.sleep(0.001)
        chunks = np.array_split(np.arange(len(bad)), len(valid_atoms))
        for atom, idx in zip(valid_atoms, chunks, strict=True):
            full = atom % 2 == 1  # both key formats
            kind = EIEIOType.KEY_32_BIT if full else EIEIOType.KEY_16_BIT
            key = int(inj_keys[atom]) if full else atom
            sock.sendto(sdp_to(*inj_core, eieio(kind, [key])), (board, 17893))
            for i in idx:
                sock.sendto(bad[i], (board, 17893))
            time.sleep(0.005)

    sender = threading.Thread(target=send_all)
    sender.start()
    sim.run(1500.0)
    sender.join()
    time.sleep(0.2)
    sim.run(20.0)  # what arrived after the first run ended lands at this run's first step
    sock.close()
    stats = ed.live_io_statistics()
    assert stats.malformed == len(bad)
    assert stats.spikes_in == len(valid_atoms)
    assert stats.rates_in == 0
    assert stats.input_errors == 0
    assert stats.spikes_merged == 0
    assert len(stats.reasons) >= 8
    trains = inj.get_data("spikes").segments[0].spiketrains
    got = sorted(i for i, t in enumerate(trains) for _ in t)
    assert got == sorted(valid_atoms)  # every valid spike, nothing else
    steps = [round(float(s)) for t in trains for s in t.magnitude]
    assert all(s % 10 == 0 for s in steps)
    assert sum(len(t) for t in pois.get_data("spikes").segments[0].spiketrains) == 0


def test_notification_port_ignores_garbage(network: Any) -> None:
    board, port = board_address(), free_udp_port()
    ed.configure_live_io(board_address=board, ack_timeout=30.0)
    src = sim.Population(5, sim.SpikeSourceArray(spike_times=[[2.0, 4.0]] * 5), label="src")
    src.record("spikes")
    ed.activate_live_output_for(src, database_notify_port_num=port)
    got: list[tuple[int, int]] = []
    conn = SpynnakerLiveSpikesConnection(
        receive_labels=["src"], local_host="127.0.0.1", local_port=port
    )
    conn.add_receive_callback("src", lambda _l, t, atoms: got.extend((a, t) for a in atoms))
    try:
        sim.run(10.0)
        # garbage to the socket that waits for acknowledgements, between runs and before one
        server = ed._live._server()
        notifier = server._notifier
        assert notifier is not None
        ack_addr = next(iter(notifier._clients.values())).sock.getsockname()
        noise = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for n in range(50):
            noise.sendto(bytes([n % 7]) * n, ack_addr)
        noise.close()
        sim.run(10.0)
        time.sleep(0.2)
    finally:
        conn.close()
    assert sorted(got) == sorted((a, t) for a in range(5) for t in (2, 4))
    assert ed.live_io_statistics().acks == 2


# -- beside the ZeroMQ bridge; run_sync ------------------------------------------------------
def test_live_io_beside_the_zeromq_bridge(network: Any) -> None:
    from spinstream.client import Client, spike_topic

    board, port = board_address(), free_udp_port()
    ed.configure_live_io(board_address=board, ack_timeout=30.0)
    times = [[float(t) for t in range(2 + i, 100, 7)] for i in range(6)]
    src = sim.Population(6, sim.SpikeSourceArray(spike_times=times), label="src")
    src.record("spikes")
    ed.activate_live_output_for(src, database_notify_port_num=port)
    endpoints = sim.serve("tcp://127.0.0.1:*")
    live: list[tuple[int, int]] = []
    conn = SpynnakerLiveSpikesConnection(
        receive_labels=["src"], local_host="127.0.0.1", local_port=port
    )
    conn.add_receive_callback("src", lambda _l, t, atoms: live.extend((a, t) for a in atoms))
    zmq_spikes: list[tuple[int, int]] = []
    try:
        with Client(endpoints.control) as client, client.subscribe([spike_topic("src")]) as s:
            sim.run(100.0)
            while len(zmq_spikes) < sum(map(len, times)):
                msg = s.receive(timeout=10.0)
                zmq_spikes.extend(
                    (int(i), round(float(t))) for i, t in zip(msg.indices, msg.times, strict=True)
                )
        time.sleep(0.2)
    finally:
        conn.close()
    expected = sorted((i, round(t)) for i, ts in enumerate(times) for t in ts)
    assert sorted(live) == expected
    assert sorted(zmq_spikes) == expected


def test_run_sync_pauses_until_continue_and_is_one_session_for_clients(network: Any) -> None:
    board, port = board_address(), free_udp_port()
    ed.configure_live_io(board_address=board, ack_timeout=30.0)
    src = sim.Population(3, sim.SpikeSourceArray(spike_times=[[5.0, 55.0]] * 3), label="src")
    ed.activate_live_output_for(src, database_notify_port_num=port)
    events: list[str] = []
    inits: list[float] = []
    conn = SpynnakerLiveSpikesConnection(
        receive_labels=["src"], local_host="127.0.0.1", local_port=port
    )
    conn.add_init_callback("src", lambda _l, _n, run_ms, _dt: inits.append(run_ms))
    conn.add_start_resume_callback("src", lambda _l, _c: events.append("start"))
    conn.add_pause_stop_callback("src", lambda _l, _c: events.append("stop"))
    runtime = sim.state.runtime
    assert runtime is not None
    paused_at: list[int] = []

    def resume() -> None:
        # continue each time the network has paused (not running, at a new step)
        while len(paused_at) < 4:
            if not runtime.running and runtime.step > 0 and runtime.step not in paused_at:
                paused_at.append(runtime.step)
                ed.continue_simulation()
            time.sleep(0.01)

    helper = threading.Thread(target=resume, daemon=True)
    helper.start()
    try:
        ed.run_sync(100.0, 20.0)
        time.sleep(0.3)
    finally:
        conn.close()
    helper.join(timeout=1.0)
    assert sim.get_current_time() == 100.0
    assert paused_at == [20, 40, 60, 80]
    assert inits == [100.0]
    assert events == ["start", "stop"]


def test_spikes_of_one_atom_at_one_step_are_one_spike(network: Any) -> None:
    board, port = board_address(), free_udp_port()
    ed.configure_live_io(board_address=board, ack_timeout=30.0)
    inj = sim.Population(5, ed.SpikeInjector(database_notify_port_num=port), label="inj")
    inj.record("spikes")
    conn = SpynnakerLiveSpikesConnection(send_labels=["inj"], local_port=port)

    def before_start(label: str, _n: int, _run_ms: float, _dt: float) -> None:
        conn.send_spikes(label, [3, 3, 1])
        conn.send_spikes(label, [3], send_full_keys=True)

    conn.add_init_callback("inj", before_start)
    try:
        sim.run(10.0)
    finally:
        conn.close()
    trains = inj.get_data("spikes").segments[0].spiketrains
    assert [list(t.magnitude) for t in trains] == [[], [0.0], [], [0.0], []]
    stats = ed.live_io_statistics()
    assert (stats.spikes_in, stats.spikes_merged) == (4, 2)
