"""The wire protocol's pieces, without sockets: topics, arrays, headers, gaps, gates, keys."""

from __future__ import annotations

import os
import stat

import msgpack
import numpy as np
import pytest
import zmq

import spinstream.bridge
import spinstream.client
from spinstream.client import Message, generate_key_pair, load_public_key, load_secret_key
from spinstream.client._core import Gate, decode_message, input_fields, pub_endpoint
from spinstream.client._protocol import (
    ArrayError,
    decode_array,
    encode,
    encode_array,
    frame_array,
    frame_spec,
    parse_topic,
    spike_topic,
    state_topic,
)


def test_exports() -> None:
    assert set(spinstream.client.__all__) == {
        "ERROR_CODES",
        "PROTOCOL_VERSION",
        "AsyncClient",
        "AsyncStream",
        "Client",
        "Message",
        "ProtocolError",
        "RemoteError",
        "SessionEvent",
        "Stream",
        "StreamEnded",
        "generate_key_pair",
        "load_public_key",
        "load_secret_key",
        "parse_topic",
        "spike_topic",
        "state_topic",
        "weight_topic",
    }
    assert set(spinstream.bridge.__all__) == {
        "READ_ONLY",
        "Access",
        "Bridge",
        "BridgeStatistics",
        "Endpoints",
        "Limits",
        "Security",
        "SecurityError",
        "View",
        "make_bridge",
        "serve",
    }
    for mod in (spinstream.client, spinstream.bridge):
        assert all(hasattr(mod, n) for n in mod.__all__)


def test_client_imports_no_engine() -> None:
    import subprocess
    import sys

    code = (
        "import sys, spinstream.client; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('pyNN', 'neo', 'pacman') "
        "or m.startswith(('spinstream.session', 'spinstream.board', 'spinstream.pyNN'))]; "
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------------- topics
def test_topics_are_prefix_safe_and_escaped() -> None:
    a, ab = spike_topic("a"), spike_topic("ab")
    assert (a, ab) == ("spikes/a/", "spikes/ab/")
    assert not ab.startswith(a)  # a SUB prefix "spikes/a/" never matches "spikes/ab/"
    tricky = spike_topic("a/b")
    assert tricky == "spikes/a%2Fb/"
    assert not tricky.startswith(a)
    assert state_topic("exc pop", "v") == "state/exc%20pop/v/"
    assert parse_topic(state_topic("x/y%z", "v")) == ("state", "x/y%z", "v")
    assert parse_topic(spike_topic("ünï")) == ("spikes", "ünï")
    with pytest.raises(ValueError, match="ends with '/'"):
        parse_topic("spikes/a")
    # every state topic of a source starts with its prefix, and no other source's does
    assert state_topic("a", "v").startswith("state/a/")
    assert not state_topic("ab", "v").startswith("state/a/")


# ---------------------------------------------------------------------- arrays
def test_decode_array_accepts_numbers_lists_and_binary_maps() -> None:
    got = decode_array(3, kind="int", max_len=10, field="f")
    assert got.dtype == np.int64
    assert got.tolist() == [3]
    assert decode_array([1, 2, 3], kind="int", max_len=10, field="f").tolist() == [1, 2, 3]
    assert decode_array([1, 2.5], kind="float", max_len=10, field="f").tolist() == [1.0, 2.5]
    arr = np.array([5, -1, 7], dtype=np.int32)
    packed = msgpack.unpackb(encode({"x": encode_array(arr)}))["x"]
    out = decode_array(packed, kind="int", max_len=10, field="f")
    assert out.dtype == np.int64
    assert out.tolist() == [5, -1, 7]
    f = decode_array(encode_array(np.array([0.5, 1.5])), kind="float", max_len=10, field="f")
    assert f.tolist() == [0.5, 1.5]


@pytest.mark.parametrize(
    ("value", "kind", "match"),
    [
        (True, "int", "boolean"),
        (1.5, "int", "float"),
        ([1, 2.0], "int", "integer"),
        ([1, "x"], "float", "number"),
        ([1, None], "int", "number"),
        ("12", "int", "list of numbers"),
        (list(range(11)), "int", "at most 10"),
        ({"dtype": "<i8", "shape": [2], "data": b"\0" * 15}, "int", "15 bytes"),
        ({"dtype": ">i8", "shape": [1], "data": b"\0" * 8}, "int", "not one of"),
        ({"dtype": "<f8", "shape": [1], "data": b"\0" * 8}, "int", "integer dtype"),
        ({"dtype": "<i8", "shape": [1, 1], "data": b"\0" * 8}, "int", "shape"),
        ({"dtype": "<i8", "shape": [11], "data": b"\0" * 88}, "int", "shape"),
        ({"dtype": "<i8", "shape": [1], "data": "x"}, "int", "bin"),
        ({"dtype": "<i8", "shape": [1]}, "int", "exactly the keys"),
        ({"dtype": "|b1", "shape": [1], "data": b"\1"}, "int", "boolean"),
        (2**64, "int", "64 bits"),
        ({"dtype": "<u8", "shape": [1], "data": (2**63).to_bytes(8, "little")}, "int", "int64"),
    ],
)
def test_decode_array_refuses_malformed(value: object, kind: str, match: str) -> None:
    with pytest.raises(ArrayError, match=match):
        decode_array(value, kind=kind, max_len=10, field="f")


def test_frames_roundtrip_without_copy() -> None:
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    spec = frame_spec("values", a)
    assert spec == {"name": "values", "dtype": "<f8", "shape": [2, 3]}
    buf = memoryview(a.tobytes())
    b = frame_array(spec, buf)
    assert np.shares_memory(b, np.frombuffer(buf, dtype=np.uint8))
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ArrayError):
        frame_array({"name": "x", "dtype": "<f8", "shape": [7]}, buf)


# ---------------------------------------------------------------------- messages
def _frames(topic: str, seq: int, chunk: int, stamps: list[int], idx: list[int]) -> list[bytes]:
    st, ix = np.array(stamps, dtype="<i8"), np.array(idx, dtype="<i8")
    header = {
        "v": 1,
        "kind": "spikes",
        "topic": topic,
        "source": "a",
        "variable": "spikes",
        "seq": seq,
        "chunk": chunk,
        "first_step": 10 * chunk,
        "last_step": 10 * chunk + 9,
        "n_steps": 10,
        "dt": 0.1,
        "t_start": chunk * 1.0,
        "t_stop": chunk * 1.0 + 1.0,
        "dropped": 0,
        "frames": [frame_spec("stamps", st), frame_spec("indices", ix)],
    }
    return [topic.encode(), encode(header), st.tobytes(), ix.tobytes()]


def test_decode_message_counts_gaps_per_topic() -> None:
    last: dict[str, int] = {}
    m0 = decode_message(_frames("spikes/a/", 5, 1, [11, 12], [0, 3]), last)
    assert isinstance(m0, Message)
    assert (m0.seq, m0.lost, len(m0)) == (5, 0, 2)  # a late joiner's first message: no gap
    np.testing.assert_allclose(m0.times, [1.1, 1.2])
    assert m0.indices.tolist() == [0, 3]
    m1 = decode_message(_frames("spikes/a/", 8, 4, [], []), last)
    assert m1 is not None
    assert m1.lost == 2
    other = decode_message(_frames("spikes/b/", 0, 4, [], []), last)
    assert other is not None
    assert other.lost == 0
    sync = [b"sync/x/", encode({"v": 1, "kind": "sync"})]
    assert decode_message(sync, last) is None


def test_gate_releases_a_chunk_once_every_topic_delivered_it() -> None:
    g = Gate(1, first_chunk=3, topics=("spikes/a/", "state/a/v/"))
    assert g.releasable() is None

    def msg(topic: str, chunk: int) -> Message:
        m = decode_message(_frames(topic, chunk, chunk, [], []), {})
        assert m is not None
        return m

    g.delivered(msg("spikes/a/", 2))  # before the gate: never needs a release
    g.delivered(msg("state/a/v/", 2))
    assert g.releasable() is None
    g.delivered(msg("spikes/a/", 3))
    assert g.releasable() is None
    g.delivered(msg("state/a/v/", 3))
    assert g.releasable() == 3
    g.acked = 3
    assert g.releasable() is None


def test_input_fields_send_numpy_arrays_as_binary_maps() -> None:
    f = input_fields("spikes", source="in", indices=np.array([1, 2]), steps=None, n=np.int64(3))
    assert f["kind"] == "spikes"
    assert "steps" not in f
    assert f["n"] == 3
    assert f["indices"]["dtype"] == "<i8"
    assert f["indices"]["shape"] == [2]
    assert input_fields("rates", values=range(3))["values"] == [0, 1, 2]


def test_pub_endpoint_replaces_wildcard_hosts() -> None:
    d = {"endpoints": {"pub": "tcp://0.0.0.0:6001"}}
    assert pub_endpoint(d, "tcp://10.1.2.3:6000") == "tcp://10.1.2.3:6001"
    d = {"endpoints": {"pub": "tcp://127.0.0.1:6001"}}
    assert pub_endpoint(d, "tcp://localhost:6000") == "tcp://127.0.0.1:6001"


# ---------------------------------------------------------------------- keys
def test_key_pairs_are_written_private_and_load_back(tmp_path) -> None:
    pub, sec = generate_key_pair(tmp_path, "server")
    assert stat.S_IMODE(os.stat(sec).st_mode) == 0o600
    public, secret = load_secret_key(sec)
    assert load_public_key(pub) == public
    assert load_public_key(public.decode()) == public
    assert zmq.curve_public(secret) == public  # the pair belongs together
    with pytest.raises(FileExistsError, match="--force"):
        generate_key_pair(tmp_path, "server")
    generate_key_pair(tmp_path, "server", force=True)
    assert load_secret_key(sec)[0] != public
    with pytest.raises(ValueError, match="only a public key"):
        load_secret_key(pub)
    with pytest.raises(ValueError, match="40 Z85"):
        load_public_key(b"short")
    with pytest.raises(FileNotFoundError):
        load_public_key(tmp_path / "missing.key")
