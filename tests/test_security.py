"""A secured bridge: CURVE keys, roles, limits under a flood, fuzzing the input socket."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import msgpack
import numpy as np
import pytest
import zmq
import zmq.asyncio

import spinstream
from spinstream.bridge import Access, Limits, Security, SecurityError, View, serve
from spinstream.client import AsyncClient, RemoteError
from spinstream.session import Runtime
from tests.fakes import trivial_plan
from tests.test_bridge_processes import Peer, board
from tests.test_bridge_support import FakeBoard, make_runtime


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("keys")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "spinstream",
            "keys",
            "generate",
            str(d),
            "server",
            "alice",
            "bob",
            "carol",
            "mallory",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.count("public") == 5
    return d


def security(keys: Path) -> Security:
    return Security.from_files(
        keys / "server.key_secret",
        {
            keys / "alice.key": Access(),
            keys / "bob.key": Access(read_only=True),
            keys / "carol.key": Access(inject=frozenset({"in"})),
        },
    )


def creds(keys: Path, who: str) -> dict[str, Any]:
    return {"server_key": keys / "server.key", "client_key": keys / f"{who}.key_secret"}


def test_keys_command_writes_private_secret_files_and_shows_keys(keys: Path) -> None:
    assert oct(os.stat(keys / "alice.key_secret").st_mode & 0o777) == "0o600"
    shown = subprocess.run(
        [sys.executable, "-m", "spinstream", "keys", "show", str(keys / "alice.key")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert len(shown) == 40
    again = subprocess.run(
        [sys.executable, "-m", "spinstream", "keys", "generate", str(keys), "alice"],
        capture_output=True,
        text=True,
    )
    assert again.returncode == 1
    assert "--force" in again.stderr


# ---------------------------------------------------------------------- CURVE
UNTRUSTED = r"""
import json, sys, time
import zmq
from spinstream.client import Client
control, pub, server_key, client_key = sys.argv[1:5]
kw = {} if server_key == "-" else {"server_key": server_key, "client_key": client_key}
out = {}
c = Client(control, timeout=0.5, **kw)
try:
    c.describe(); out["describe"] = "answered"
except TimeoutError:
    out["describe"] = "timeout"
try:
    c.inject_spikes("in", [0]); out["input"] = "accepted"
except TimeoutError:
    out["input"] = "timeout"
except Exception as exc:
    out["input"] = type(exc).__name__
c.close()
ctx = zmq.Context()
sub = ctx.socket(zmq.SUB); sub.linger = 0
if kw:
    from spinstream.client._core import Credentials
    Credentials.load(server_key, client_key).apply(sub)
sub.setsockopt(zmq.SUBSCRIBE, b"")
sub.connect(pub)
print(json.dumps({"event": "listening"}), flush=True)
n, deadline = 0, time.monotonic() + 0.7
while time.monotonic() < deadline:
    if sub.poll(50):
        sub.recv_multipart(); n += 1
out["stream_messages"] = n
sub.close(); ctx.term()
print(json.dumps({"event": "done", **out}), flush=True)
"""


async def _run_until_done(rt: Runtime, peer: Peer) -> dict[str, Any]:
    """Keep the session publishing until the peer reports."""
    line = asyncio.ensure_future(peer.until("done"))
    try:
        while not line.done():
            await rt.run_steps(20)
            await asyncio.sleep(0)
        return line.result()
    finally:
        line.cancel()


async def test_unauthenticated_clients_get_no_data_and_inject_nothing(keys: Path) -> None:
    rt = make_runtime(mode="fast")
    async with await serve(rt, security=security(keys), publish=["spikes/a/"]) as bridge:
        ep = bridge.endpoints
        strangers = {
            "nobody": ["-", "-"],  # no CURVE at all
            "mallory": [keys / "server.key", keys / "mallory.key_secret"],  # unknown key
            "wrong-server": [keys / "alice.key", keys / "alice.key_secret"],  # trusts another key
        }
        peers = {
            who: await Peer.start(UNTRUSTED, ep.control, ep.pub, *args)
            for who, args in strangers.items()
        }
        try:
            for peer in peers.values():
                await peer.until("listening")
            # an allowed client on the same bridge meanwhile gets everything
            async with AsyncClient(ep.control, **creds(keys, "alice")) as alice:
                stream = await alice.subscribe("spikes/a/")
                done = {}
                for who, peer in peers.items():
                    done[who] = await _run_until_done(rt, peer)
                m = await stream.receive()
                assert m.topic == "spikes/a/"
        finally:
            for peer in peers.values():
                peer.kill()
                await peer.proc.wait()
        stats = bridge.statistics()
    rt.close()
    for who, result in done.items():
        assert result == {
            "event": "done",
            "describe": "timeout",
            "input": "timeout",
            "stream_messages": 0,
        }, who
    assert stats.inputs == 0
    assert rt.statistics().inputs == 0
    assert stats.handshake_failures >= 3
    assert stats.auth_denied >= 1  # mallory's key was checked and refused


async def test_roles_read_only_and_per_source_permissions(keys: Path) -> None:
    rt = make_runtime(mode="fast")
    async with await serve(rt, security=security(keys)) as bridge:
        ep = bridge.endpoints
        async with (
            AsyncClient(ep.control, **creds(keys, "alice")) as alice,
            AsyncClient(ep.control, **creds(keys, "bob")) as bob,
            AsyncClient(ep.control, **creds(keys, "carol")) as carol,
        ):
            assert (await bob.describe())["access"] == {"read_only": True, "inject": None}
            assert (await carol.describe())["access"] == {"read_only": False, "inject": ["in"]}
            bob_stream = await bob.subscribe("spikes/a/")  # read-only: streams are fine
            with pytest.raises(RemoteError, match="read-only") as err:
                await bob.inject_spikes("in", [0])
            assert err.value.code == "read_only"
            with pytest.raises(RemoteError, match="may not hold the session") as err:
                await bob.request("gate")  # a gate could stall the run: not read-only
            assert err.value.code == "read_only"
            assert await carol.inject_spikes("in", [1]) == 0
            with pytest.raises(RemoteError) as err:
                await carol.set_parameters("a", "i_offset", 2.0)
            assert err.value.code == "forbidden"
            assert await alice.set_parameters("a", "i_offset", 2.0, indices=[0]) == 0
            await rt.run_steps(10)
            assert (await bob_stream.receive()).first_step == 0
        assert bridge.statistics().errors == {"read_only": 2, "forbidden": 1}
        assert rt.statistics().inputs == 2
    rt.close()


READ_ONLY_PEER = r"""
import json, sys
from spinstream.client import Client, RemoteError
control, server_key, client_key = sys.argv[1:4]
out = {}
with Client(control, timeout=5, server_key=server_key, client_key=client_key) as c:
    out["access"] = c.describe()["access"]
    for name, call in (
        ("input", lambda: c.inject_spikes("in", [0])),
        ("gate", lambda: c.request("gate")),
    ):
        try:
            call(); out[name] = "accepted"
        except RemoteError as exc:
            out[name] = exc.code
print(json.dumps(out), flush=True)
"""


async def test_read_only_client_processes_stream_but_cannot_inject(keys: Path) -> None:
    rt = make_runtime(mode="lockstep")
    async with await serve(rt, security=security(keys)) as bridge:
        ep = bridge.endpoints
        bob = await Peer.start(
            READ_ONLY_PEER, ep.control, keys / "server.key", keys / "bob.key_secret"
        )
        tap = Peer(
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "spinstream",
                "tap",
                ep.control,
                "spikes/a/",
                "--json",
                "--interval",
                "0",
                "--count",
                "3",
                "--server-key",
                str(keys / "server.key"),
                "--client-key",
                str(keys / "bob.key_secret"),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        )
        try:
            assert await bob.line() == {
                "access": {"read_only": True, "inject": None},
                "input": "read_only",
                "gate": "read_only",
            }
            assert (await tap.line())["event"] == "subscribed"
            await rt.run_steps(30)
            end = await tap.until("end")
            assert await tap.finish() == 0
        finally:
            for p in (bob, tap):
                p.kill()
                await p.proc.wait()
        assert end["topics"]["spikes/a/"]["messages"] == 3
        assert end["topics"]["spikes/a/"]["spikes"] > 0
        assert bridge.statistics().errors == {"read_only": 2}
    assert rt.statistics().inputs == 0
    rt.close()


async def test_secured_bridge_may_bind_beyond_loopback(keys: Path) -> None:
    rt = make_runtime(mode="fast")
    async with await serve(rt, "tcp://0.0.0.0:*", security=security(keys)) as bridge:
        port = bridge.endpoints.control.rsplit(":", 1)[1]
        async with AsyncClient(f"tcp://127.0.0.1:{port}", **creds(keys, "alice")) as alice:
            d = await alice.describe()
            assert d["endpoints"]["server_key"] == bridge.endpoints.server_key
            stream = await alice.subscribe("spikes/a/")  # the PUB host is fixed up
            await rt.run_steps(10)
            assert len(await stream.receive()) > 0
    rt.close()


def test_security_configuration_errors_are_clear(keys: Path, tmp_path: Path) -> None:
    with pytest.raises(SecurityError, match="no client public keys"):
        Security.from_files(keys / "server.key_secret", tmp_path)
    with pytest.raises(SecurityError, match="server's own public key"):
        Security.from_files(keys / "server.key_secret", [keys / "server.key"])
    with pytest.raises(ValueError, match="only a public key"):
        Security.from_files(keys / "server.key", [keys / "alice.key"])
    sec = Security.from_files(keys / "server.key_secret", keys)  # a directory: every *.key
    assert len(sec.clients) == 4  # alice, bob, carol, mallory: the server's own key is skipped


# ---------------------------------------------------------------------- flood
FLOODER = r"""
import json, sys, time
import zmq, msgpack
endpoint, n = sys.argv[1], int(sys.argv[2])
ctx = zmq.Context()
s = ctx.socket(zmq.DEALER); s.linger = 0; s.sndhwm = 0
s.connect(endpoint)
msg = msgpack.packb({"v": 1, "op": "input", "kind": "spikes", "source": "in", "indices": [0]})
print(json.dumps({"event": "ready"}), flush=True)
t0 = time.monotonic()
for k in range(n):
    s.send(msg)
print(json.dumps({"event": "sent", "seconds": time.monotonic() - t0}), flush=True)
codes = {}
got = 0
while got < n and s.poll(20000):
    r = msgpack.unpackb(s.recv(), raw=False)
    code = r.get("error", "ok"); codes[code] = codes.get(code, 0) + 1; got += 1
print(json.dumps({"event": "done", "codes": codes}), flush=True)
"""


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class LoopCPUClock:
    """Real time as the event loop's own work measures it: its thread's CPU time, waits skipped.

    A real-time session paced by this clock overruns a chunk only when the loop's thread
    spends more CPU time than the chunk lasts between two deadlines: the engine (chunks
    run inline), the chunk loop and whatever else holds the loop, such as the bridge's
    control turns.  Other processes and threads do not move it, so what it measures does
    not depend on how loaded the machine is; waits until a deadline take no time.
    """

    def __init__(self) -> None:
        self._waited = 0.0

    def now(self) -> float:
        return time.thread_time() + self._waited  # called on the loop's thread

    async def sleep_until(self, deadline: float) -> None:
        self._waited += max(0.0, deadline - self.now())
        await asyncio.sleep(0)


async def test_a_flood_of_input_is_limited_and_neither_delays_chunks_nor_grows_memory() -> None:
    # The real engine and a real flood from another process; the real-time pacing runs on
    # the loop's CPU time (see LoopCPUClock), so only the work the flood puts on the chunk
    # loop's thread can make chunks late, however busy the machine is.
    sim = spinstream.Session(
        timestep=0.1,
        chunk=10.0,
        mode="realtime",
        seed=3,
        board=board(),
        mapper=trivial_plan,
        clock=LoopCPUClock(),
    )
    sim.Population(4, sim.SpikeInjector(), label="in")
    noise = sim.Population(40, sim.SpikeSourcePoisson(rate=300.0), label="noise")
    exc = sim.Population(60, sim.IF_curr_exp(tau_refrac=1.0), label="exc")
    sim.Projection(
        noise,
        exc,
        sim.FixedProbabilityConnector(0.3, rng=sim.NumpyRNG(seed=5)),
        sim.StaticSynapse(weight=1.5, delay=0.5),
    )
    limits = Limits(max_input_rate=200.0, max_pending_per_chunk=20)
    n = 10_000
    async with sim:
        ep = await sim.serve(limits=limits)
        bridge = sim.bridges[0]
        rt = sim.runtime
        rt._worker._inline_below_ns = math.inf  # every chunk on the loop's thread
        await sim.run(100.0)  # warm up
        # the collector's full passes over the test session's objects are no bridge's work
        gc.collect()
        gc.freeze()
        try:
            s0 = rt.statistics()
            await sim.run(1000.0)  # 100 chunks without a flood: the baseline
            s1 = rt.statistics()
            rss0 = _rss_mb()
            flooder = await Peer.start(FLOODER, ep.control, n)
            run: asyncio.Task[None] | None = None
            try:
                await flooder.until("ready")
                t0 = asyncio.get_running_loop().time()
                answered = asyncio.ensure_future(flooder.until("done"))
                # chunks run as fast as the loop allows meanwhile: for the first second
                # of the flood (or all of it), then the bridge answers the rest alone
                run = asyncio.create_task(sim.run(1e8))
                await asyncio.wait([answered], timeout=1.0)
                run.cancel()  # stops at a chunk boundary
                with contextlib.suppress(asyncio.CancelledError):
                    await run
                s2 = rt.statistics()
                done = await answered
                elapsed = asyncio.get_running_loop().time() - t0
            finally:
                if run is not None and not run.done():
                    run.cancel()
                flooder.kill()
                await flooder.proc.wait()
        finally:
            gc.unfreeze()
        stats = bridge.statistics()
        inputs = rt.statistics().inputs - s1.inputs
        rss1 = _rss_mb()
        assert len(rt._inputs.pending) <= limits.max_pending_per_chunk  # bounded, never a backlog
    codes = done["codes"]
    assert sum(codes.values()) == n  # every message got its answer...
    assert codes["ok"] <= 200.0 * (elapsed + 1.0) + 200  # ...but few were accepted
    assert codes["rate_limited"] + codes.get("pending_full", 0) == n - codes["ok"]
    assert stats.errors["rate_limited"] == codes["rate_limited"]
    assert inputs == codes["ok"]
    # The bridge answered the flood in short turns (CPU time: the chunk loop never waited
    # long for it), and the chunks kept to their schedule as well as without the flood.
    _p50, p99, _ = stats.control_turn_us
    assert p99 < 2500.0
    assert s2.chunks - s1.chunks >= 20
    assert s1.overruns - s0.overruns <= 1
    assert s2.overruns - s1.overruns <= 2
    assert s2.lag_ms - s1.lag_ms < 20.0
    assert rss1 - rss0 < 30.0  # MB: nothing was queued without bound


# ---------------------------------------------------------------------- fuzz
class CheckingBoard(FakeBoard):
    """A fake board that checks every input it is given (the engine's expectations)."""

    def __init__(self) -> None:
        super().__init__()
        self.violations: list[str] = []
        self.inputs = 0

    def _size(self, pop: int) -> int:
        return int(self.spec.populations[pop].size)

    def _check_idx(self, pop: int, idx: Any, what: str) -> None:
        idx = np.asarray(idx)
        if idx.dtype != np.int64 or (idx.size and (idx.min() < 0 or idx.max() >= self._size(pop))):
            self.violations.append(f"{what}: bad indices {idx!r} for pop {pop}")

    def schedule_spikes(self, pop: int, indices: Any, stamps: Any) -> None:
        self.inputs += 1
        self._check_idx(pop, indices, "spikes")
        model = self.spec.populations[pop].model
        if model not in ("SpikeInjector", "SpikeSourceArray"):
            self.violations.append(f"spikes into a {model}")
        if len(stamps) != len(indices) or (len(stamps) and np.min(stamps) < self.step):
            self.violations.append(f"spikes: bad stamps {stamps!r} at step {self.step}")
        super().schedule_spikes(pop, indices, stamps)

    def set_parameters(self, pop: int, name: str, indices: Any, values: Any) -> None:
        self.inputs += 1
        self._check_idx(pop, indices, "param")
        v = np.asarray(values, dtype=np.float64)
        if name not in self.params[pop] or len(v) != len(indices) or not np.all(np.isfinite(v)):
            self.violations.append(f"param {name}={values!r}")
        if name == "rate" and np.any((v < 0) | (v > 1e5)):
            self.violations.append(f"rate {values!r}")
        super().set_parameters(pop, name, indices, values)

    def set_state(self, pop: int, name: str, indices: Any, values: Any) -> None:
        self.violations.append("set_state from outside")

    def set_current_source(self, source: int, params: dict[str, object]) -> None:
        self.inputs += 1
        for k, v in params.items():
            if k != "amplitude" or not (isinstance(v, float) and math.isfinite(v)):
                self.violations.append(f"current {k}={v!r}")
        super().set_current_source(source, params)


_JUNK: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1,
    3,
    2**64 - 1,
    -(2**63),
    1e308,
    -1e308,
    float("nan"),
    float("inf"),
    float("-inf"),
    0.5,
    "",
    "x" * 300,
    "in",
    "a",
    "spikes/a/",
    [],
    [0, -1],
    [[0]],
    [1.5],
    {},
    {"dtype": "<i8", "shape": [1], "data": b"\x00" * 8},
    {"dtype": "<f8", "shape": [2], "data": b"\x00" * 8},
    {"dtype": "<i8", "shape": [10**9], "data": b""},
    b"\x00\x01",
    list(range(100)),
]


def _valid_messages() -> list[dict[str, Any]]:
    base: list[dict[str, Any]] = [
        {"op": "describe"},
        {"op": "ping"},
        {"op": "stats"},
        {"op": "subscribe", "topics": ["spikes/a/", "state/out/v/"]},
        {"op": "view", "name": "a_head", "source": "a", "indices": [0, 1]},
        {"op": "sync", "token": "fuzz"},
        {"op": "gate"},
        {"op": "next", "gate": 1, "chunk": 3},
        {"op": "input", "kind": "spikes", "source": "in", "indices": [0, 3], "steps": None},
        {"op": "input", "kind": "spikes", "source": "in", "indices": [1], "steps": [0]},
        {"op": "input", "kind": "rates", "source": "noise", "values": [5.0, 6.0]},
        {
            "op": "input",
            "kind": "parameters",
            "source": "out",
            "name": "v_thresh",
            "values": 1.0,
            "indices": [2],
        },
        {"op": "input", "kind": "current", "current": 0, "params": {"amplitude": 0.5}},
    ]
    return [{"v": 1, "id": k, **m} for k, m in enumerate(base)]


FUZZ_MESSAGES = 100_000


def fuzz_messages(rng: np.random.Generator, n: int) -> list[bytes]:
    valid = _valid_messages()
    packed = [msgpack.packb(m) for m in valid]
    out: list[bytes] = []
    for _ in range(n):
        how = rng.integers(6)
        if how == 0:  # random bytes
            out.append(rng.bytes(int(rng.integers(0, 64))))
        elif how == 1:  # valid bytes with some flipped, cut or inserted
            b = bytearray(packed[rng.integers(len(packed))])
            for _ in range(int(rng.integers(1, 4))):
                k = int(rng.integers(len(b)))
                choice = rng.integers(3)
                if choice == 0:
                    b[k] = int(rng.integers(256))
                elif choice == 1:
                    del b[k:]
                    if not b:
                        break
                else:
                    b[k:k] = rng.bytes(int(rng.integers(1, 4)))
            out.append(bytes(b))
        else:  # a valid message with a field replaced, removed or added
            m = dict(valid[rng.integers(len(valid))])
            keys = list(m)
            for _ in range(int(rng.integers(1, 3))):
                choice = rng.integers(4)
                key = keys[rng.integers(len(keys))]
                if choice == 0:
                    m[key] = _JUNK[rng.integers(len(_JUNK))]
                elif choice == 1:
                    m.pop(key, None)
                elif choice == 2:
                    m[str(rng.integers(5))] = _JUNK[rng.integers(len(_JUNK))]
                # choice 3: leave it valid
            out.append(msgpack.packb(m))
    return out


async def test_fuzz_the_control_socket_with_100k_messages() -> None:
    board = CheckingBoard()
    rt = make_runtime(mode="fast", board=board)
    rt.set_recording(0, "spikes", np.arange(4))
    limits = Limits(
        max_input_rate=math.inf,
        max_pending_per_chunk=10**6,
        max_scheduled=10**6,
        max_ahead_steps=1000,
        max_array_len=64,
        max_message_bytes=4096,
    )
    n_total = FUZZ_MESSAGES
    batch = 1000
    rng = np.random.default_rng(12345)
    # 'a' is recorded and checked below: no client may change it
    # inproc: a real ZeroMQ socket without the TCP stack, so 100k messages take seconds
    async with await serve(
        rt, "inproc://fuzz", limits=limits, inject=["in", "out", "noise"]
    ) as bridge:
        sock = bridge.context.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.connect(bridge.endpoints.control)
        now = zmq.Socket.shadow(sock.underlying)  # for what never waits
        replies = {"ok": 0}
        try:
            for _ in range(n_total // batch):
                for payload in fuzz_messages(rng, batch):
                    now.send(payload, zmq.NOBLOCK)
                got = 0
                while got < batch:
                    async with asyncio.timeout(10):
                        await sock.poll(zmq.POLLIN)
                    while got < batch:
                        try:
                            raw = now.recv(zmq.NOBLOCK)
                        except zmq.Again:
                            break
                        r = msgpack.unpackb(raw, raw=False)
                        code = "ok" if r.get("ok") is True else r.get("error", "?")
                        replies[code] = replies.get(code, 0) + 1
                        got += 1
                await rt.run_steps(10)  # the session keeps running between batches
        finally:
            sock.close()
        stats = bridge.statistics()
    rt.close()
    assert sum(replies.values()) == n_total
    assert stats.requests == n_total
    assert "internal" not in replies  # the runtime refused nothing that was validated
    assert board.violations == []  # nothing invalid reached the board
    assert replies["ok"] > 1000
    assert stats.inputs > 100
    assert 0 < board.inputs <= stats.inputs  # some still wait for later steps
    assert rt.step == 10 * (n_total // batch)
    # recorded data are complete: a's spikes are exactly those of a run without the bridge
    ref = make_runtime(mode="fast")
    ref.set_recording(0, "spikes", np.arange(4))
    await ref.run_steps(rt.step)
    got, want = rt.recorder.spikes(0), ref.recorder.spikes(0)
    assert len(want[0]) > rt.step  # neuron 3 alone fires every step
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    ref.close()


# ---------------------------------------------------------------------- views and permissions
VIEW_PEER = r"""
import json, sys
from spinstream.client import Client, RemoteError
control, server_key, client_key = sys.argv[1:4]
plan = json.loads(sys.argv[4])
out = []
with Client(control, timeout=10, server_key=server_key, client_key=client_key) as c:
    for op, kw in plan:
        try:
            if op == "view":
                c.request("view", **kw)
            elif op == "spikes":
                c.inject_spikes(kw["source"], kw["indices"])
            else:
                c.set_rates(kw["source"], kw["rate"])
            out.append("ok")
        except RemoteError as exc:
            out.append(exc.code)
print(json.dumps(out), flush=True)
"""


async def test_views_never_widen_input_permissions(keys: Path) -> None:
    """A view's name grants nothing: input is judged by the cells it covers.

    mallory may send input to ``noise`` and to a source ``ghost`` that the server never
    defined; she defines ``ghost`` herself over cells of ``in``.  bob (read-only) defines
    ``spy`` over cells of ``in`` too.  Every client is a separate process.
    """
    sec = Security.from_files(
        keys / "server.key_secret",
        {
            keys / "bob.key": Access(read_only=True),
            keys / "carol.key": Access(inject=frozenset({"in"})),
            keys / "mallory.key": Access(inject=frozenset({"noise", "ghost"})),
        },
    )
    plans = {
        "bob": [
            ("view", {"name": "spy", "source": "in", "indices": [0, 1]}),
            ("spikes", {"source": "spy", "indices": [0]}),
        ],
        "mallory": [
            ("view", {"name": "ghost", "source": "in", "indices": [2, 3]}),
            ("spikes", {"source": "ghost", "indices": [0]}),  # in[2]: not hers
            ("spikes", {"source": "spy", "indices": [1]}),
            ("view", {"name": "calm", "source": "noise", "indices": [1]}),
            ("rates", {"source": "calm", "rate": 2000.0}),  # noise[1]: hers, by any name
        ],
        "carol": [
            ("spikes", {"source": "spy", "indices": [1]}),  # a read-only client's view
            ("spikes", {"source": "in", "indices": [3]}),
        ],
    }
    async with spinstream.Session(
        timestep=0.1, chunk=1.0, mode="fast", seed=2, board=board(), mapper=trivial_plan
    ) as sim:
        inp = sim.Population(4, sim.SpikeInjector(), label="in")
        noise = sim.Population(2, sim.SpikeSourcePoisson(rate=0.0), label="noise")
        inp.record("spikes")
        noise.record("spikes")
        ep = await sim.serve(security=sec)
        codes = {}
        for who, plan in plans.items():  # one after the other: bob's view comes first
            peer = await Peer.start(
                VIEW_PEER,
                ep.control,
                keys / "server.key",
                keys / f"{who}.key_secret",
                json.dumps(plan),
            )
            try:
                codes[who] = await peer.line()
                assert await peer.finish() == 0
            finally:
                peer.kill()
                await peer.proc.wait()
        await sim.run(20.0)
        fired = [len(st) for st in inp.get_data("spikes").segments[-1].spiketrains]
        noisy = [len(st) for st in noise.get_data("spikes").segments[-1].spiketrains]
    assert codes == {
        "bob": ["ok", "read_only"],
        "mallory": ["ok", "forbidden", "forbidden", "ok", "ok"],
        "carol": ["forbidden", "ok"],
    }
    assert fired == [0, 0, 0, 1]  # carol's spike, and nothing else
    assert noisy[0] == 0
    assert noisy[1] > 10  # 2000 Hz for 20 ms on noise[1] only


async def test_input_permissions_follow_the_cells_of_the_servers_sources(keys: Path) -> None:
    """A server-given view grants its cells under any name; a client's view grants none."""
    sec = Security.from_files(
        keys / "server.key_secret",
        {
            keys / "alice.key": Access(),
            keys / "bob.key": Access(read_only=True),
            keys / "carol.key": Access(inject=frozenset({"in_head"})),
        },
    )
    rt = make_runtime(mode="fast")
    head = View("in_head", [(1, [0, 1])])
    async with (
        await serve(rt, security=sec, views=[head]) as bridge,
        AsyncClient(bridge.endpoints.control, **creds(keys, "alice")) as alice,
        AsyncClient(bridge.endpoints.control, **creds(keys, "bob")) as bob,
        AsyncClient(bridge.endpoints.control, **creds(keys, "carol")) as carol,
    ):
        assert await carol.inject_spikes("in_head", [1]) == 0
        assert await carol.inject_spikes("in", [0, 1]) == 0  # the same cells by another name
        with pytest.raises(RemoteError, match="may not send input") as err:
            await carol.inject_spikes("in", [1, 2])
        assert err.value.code == "forbidden"
        # bob's view serves streams only, until a client that may send input defines it too
        view = (await bob.request("view", name="spy", source="in", indices=[1, 2]))["source"]
        assert (view["spike_input"], view["parameters"]) == (False, [])
        with pytest.raises(RemoteError, match="read-only client defined") as err:
            await alice.inject_spikes("spy", [0])
        assert err.value.code == "forbidden"
        view = (await alice.request("view", name="spy", source="in", indices=[1, 2]))["source"]
        assert view["spike_input"] is True
        assert await alice.inject_spikes("spy", [1]) == 0
        assert await carol.inject_spikes("spy", [0]) == 0  # in[1]: hers, by any name
        with pytest.raises(RemoteError, match="may not send input"):
            await carol.inject_spikes("spy", [1])  # in[2]
        assert bridge.statistics().errors == {"forbidden": 3}
    assert rt.statistics().inputs == 4
    rt.close()
