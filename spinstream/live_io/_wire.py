"""The packets of sPyNNaker's live I/O, read and made with spinnman's message classes.

Four kinds cross the wire (docs/SPINNAKER_IO.md has the byte layouts):

* notification commands (EIEIO command headers, plus the database path),
* SCP requests to the board's address (only "IP tag set" is answered), each prefixed by two
  pad bytes and an SDP header,
* EIEIO data messages inside SDP to port 1 of a core (spikes in, rate control),
* EIEIO data messages with SDP stripped (spikes out: 32-bit keys, the step as payload
  prefix and the time flag set).

Readers never trust a length or a count: a packet whose size does not match its header
exactly raises :class:`MalformedPacket` with a short reason, which the endpoint counts.
"""

from __future__ import annotations

import itertools
import struct
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from spinnman.constants import EIEIO_COMMAND_IDS, UDP_MESSAGE_MAX_SIZE
from spinnman.exceptions import SpinnmanInvalidPacketException
from spinnman.messages.eieio import EIEIOPrefix, EIEIOType
from spinnman.messages.eieio.command_messages import (
    EIEIOCommandHeader,
    NotificationProtocolDatabaseLocation,
    NotificationProtocolPauseStop,
    NotificationProtocolStartResume,
)
from spinnman.messages.eieio.data_messages import EIEIODataHeader
from spinnman.messages.scp.enums import SCPCommand, SCPResult
from spinnman.messages.sdp import SDPFlag, SDPHeader, SDPMessage

__all__ = [
    "KEYS_PER_OUTPUT_PACKET",
    "EieioData",
    "MalformedPacket",
    "TagSet",
    "database_ready",
    "encode_spikes",
    "is_database_ack",
    "parse_datagram",
    "pause_stop",
    "scp_ok_reply",
    "start_resume",
]

U32 = npt.NDArray[np.uint32]

#: SDP port of a core that takes EIEIO data (the live injection port of sPyNNaker's cores).
EIEIO_SDP_PORT = 1
#: Bytes before the SDP header of a UDP packet to or from a board.
_PAD = 2
_SDP_HEADER = 8
_SCP_HEADER = struct.Struct("<HH")
_SCP_ARGS = struct.Struct("<3I")
_IPTAG_SET = 1
_OUT_HEADER = 6  # count, flags, 32-bit timestamp
#: Spikes per outgoing packet: sPyNNaker's clients read at most 300 bytes, boards send 256.
KEYS_PER_OUTPUT_PACKET = (UDP_MESSAGE_MAX_SIZE - _OUT_HEADER) // 4


class MalformedPacket(ValueError):
    """A datagram that is not a well-formed request of this protocol."""


@dataclass(frozen=True)
class TagSet:
    """An SCP "IP tag set" request (sPyNNaker's clients send it with "use sender")."""

    tag: int
    strip: bool
    use_sender: bool
    port: int
    ip: str
    sequence: int
    header: SDPHeader


@dataclass(frozen=True)
class EieioData:
    """An EIEIO data message for core ``(x, y, p)``.

    ``keys`` holds 16-bit values (atom ids) when ``full_keys`` is false, else 32-bit keys
    (a 16-bit key with a prefix is a full key); ``payloads`` is ``None`` for key-only types.
    """

    x: int
    y: int
    p: int
    full_keys: bool
    keys: U32
    payloads: U32 | None


def _header(data: bytes) -> SDPHeader:
    try:
        return SDPHeader.from_bytestring(data, _PAD)
    except ValueError as exc:  # an unknown SDP flag value
        raise MalformedPacket(f"bad SDP header ({exc})") from None


def parse_datagram(data: bytes) -> TagSet | EieioData:
    """Read one datagram sent to the board's address (UDP port 17893).

    Raises
    ------
    MalformedPacket
        Anything else: too short, another SCP command, another SDP port, a command
        message where data was expected, or a size that does not match the header.
    """
    if len(data) < _PAD + _SDP_HEADER + 2:
        raise MalformedPacket(f"too short ({len(data)} bytes)")
    if data[0] or data[1]:
        raise MalformedPacket("the two pad bytes are not zero")
    sdp = _header(data)
    body = _PAD + _SDP_HEADER
    if sdp.destination_port == 0:
        return _parse_scp(data, body, sdp)
    if sdp.destination_port == EIEIO_SDP_PORT:
        return _parse_eieio(data, body, sdp)
    raise MalformedPacket(f"SDP port {sdp.destination_port} takes nothing here")


def _parse_scp(data: bytes, at: int, sdp: SDPHeader) -> TagSet:
    if len(data) != at + _SCP_HEADER.size + _SCP_ARGS.size:
        raise MalformedPacket(f"SCP request of {len(data)} bytes (IP tag set has 28)")
    command, sequence = _SCP_HEADER.unpack_from(data, at)
    if command != SCPCommand.CMD_IPTAG.value:
        raise MalformedPacket(f"SCP command {command} is not answered (only IP tag set)")
    arg1, port, ip_word = _SCP_ARGS.unpack_from(data, at + _SCP_HEADER.size)
    if (arg1 >> 16) & 0xF != _IPTAG_SET:
        raise MalformedPacket(f"IP tag subcommand {(arg1 >> 16) & 0xF} is not 'set'")
    ip = ".".join(str((ip_word >> (8 * i)) & 0xFF) for i in range(4))
    return TagSet(
        tag=arg1 & 0xFF,
        strip=bool((arg1 >> 28) & 1),
        use_sender=bool((arg1 >> 30) & 1),
        port=port & 0xFFFF,
        ip=ip,
        sequence=sequence,
        header=sdp,
    )


def _parse_eieio(data: bytes, at: int, sdp: SDPHeader) -> EieioData:
    flags = data[at + 1]
    if (flags >> 6) == 1:  # prefix bit clear, format bit set: a command header
        raise MalformedPacket("an EIEIO command where data was expected")
    try:
        header = EIEIODataHeader.from_bytestring(data, at)
    except (SpinnmanInvalidPacketException, struct.error) as exc:
        raise MalformedPacket(f"bad EIEIO header ({exc})") from None
    kind = header.eieio_type
    start = at + header.size
    n = header.count
    if len(data) != start + n * (kind.key_bytes + kind.payload_bytes):
        raise MalformedPacket(
            f"EIEIO {kind.name} with count {n} has {len(data) - start} bytes of elements"
        )
    width = "<u2" if kind.key_bytes == 2 else "<u4"
    raw = np.frombuffer(data, dtype=width, offset=start).astype(np.uint32)
    if kind.payload_bytes:
        keys, payloads = raw[0::2].copy(), raw[1::2].copy()
    else:
        keys, payloads = raw, None
    full = kind.key_bytes == 4
    if header.prefix is not None:
        if header.prefix_type == EIEIOPrefix.UPPER_HALF_WORD:
            keys |= np.uint32(header.prefix) << np.uint32(16)
        else:
            keys |= np.uint32(header.prefix)
        full = True
    if header.payload_base is not None:
        base = np.uint32(header.payload_base)
        payloads = np.full(n, base, np.uint32) if payloads is None else payloads | base
    return EieioData(
        x=sdp.destination_chip_x,
        y=sdp.destination_chip_y,
        p=sdp.destination_cpu,
        full_keys=full,
        keys=keys,
        payloads=payloads,
    )


def scp_ok_reply(request: TagSet) -> bytes:
    """Make the 18-byte "OK" answer to an IP tag set request, as a board's monitor sends it."""
    h = request.header
    reply = SDPHeader(
        flags=SDPFlag.REPLY_NOT_EXPECTED,
        tag=0xFF,
        destination_port=h.source_port,
        destination_cpu=h.source_cpu,
        destination_chip_x=h.source_chip_x,
        destination_chip_y=h.source_chip_y,
        source_port=h.destination_port,
        source_cpu=h.destination_cpu,
        source_chip_x=h.destination_chip_x,
        source_chip_y=h.destination_chip_y,
    )
    body = struct.pack("<HHI", SCPResult.RC_OK.value, request.sequence, request.tag)
    return b"\0\0" + SDPMessage(reply, data=body).bytestring


def encode_spikes(steps: npt.ArrayLike, keys: npt.ArrayLike) -> list[bytes]:
    """Live-output packets for spikes (``steps`` ascending, one key each).

    One packet holds the spikes of one step, at most :data:`KEYS_PER_OUTPUT_PACKET` of
    them: a KEY_32_BIT EIEIO header with the step as payload prefix and the time flag,
    then the keys, little-endian.
    """
    st = np.asarray(steps, dtype=np.int64)
    k = np.asarray(keys, dtype="<u4")
    packets: list[bytes] = []
    if st.size == 0:
        return packets
    cuts = np.flatnonzero(np.diff(st)) + 1
    bounds = [0, *cuts.tolist(), len(st)]
    for lo, hi in itertools.pairwise(bounds):
        step = int(st[lo]) & 0xFFFFFFFF
        for a in range(lo, hi, KEYS_PER_OUTPUT_PACKET):
            b = min(hi, a + KEYS_PER_OUTPUT_PACKET)
            head = EIEIODataHeader(
                EIEIOType.KEY_32_BIT, payload_base=step, is_time=True, count=b - a
            )
            packets.append(head.bytestring + k[a:b].tobytes())
    return packets


def database_ready(path: str) -> bytes:
    """Make the "database ready" notification, carrying the database's path."""
    return bytes(NotificationProtocolDatabaseLocation(path).bytestring)


def start_resume() -> bytes:
    """Make the "simulation started or resumed" notification."""
    return bytes(NotificationProtocolStartResume().bytestring)


def pause_stop() -> bytes:
    """Make the "simulation paused or stopped" notification."""
    return bytes(NotificationProtocolPauseStop().bytestring)


def is_database_ack(data: bytes) -> bool:
    """Whether ``data`` is a client's "database read" answer (a DATABASE command)."""
    if len(data) < 2:
        return False
    try:
        header = EIEIOCommandHeader.from_bytestring(data, 0)
    except (SpinnmanInvalidPacketException, struct.error, ValueError):
        return False
    return bool(header.command == EIEIO_COMMAND_IDS.DATABASE.value)
