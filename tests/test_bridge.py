"""The ZeroMQ bridge in one process: real sockets on loopback, the fake board, asyncio client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import pytest
import zmq
import zmq.asyncio

import spinstream
from spinstream.bridge import Bridge, Limits, SecurityError, View, serve
from spinstream.client import AsyncClient, RemoteError
from spinstream.client._protocol import encode, encode_array
from spinstream.session import Runtime
from tests.test_bridge_support import make_runtime


@pytest.fixture
async def served() -> AsyncIterator[tuple[Runtime, Bridge]]:
    rt = make_runtime()
    bridge = await serve(rt, views=[View("a_head", [(0, [0, 1])])])
    try:
        yield rt, bridge
    finally:
        await bridge.aclose()
        rt.close()


def board_log(rt: Runtime) -> list[tuple[Any, ...]]:
    return [e for e in rt.board.log if e[1] != "record"]  # type: ignore[union-attr]


# ---------------------------------------------------------------------- describe
async def test_describe_lists_sources_topics_timing_and_limits(served) -> None:
    _rt, bridge = served
    async with AsyncClient(bridge.endpoints.control) as c:
        d = await c.describe()
    assert d["protocol"] == 1
    assert d["dt"] == 1.0
    assert d["chunk_steps"] == 10
    assert (d["mode"], d["step"], d["time"], d["running"]) == ("lockstep", 0, 0.0, False)
    assert d["endpoints"]["pub"] == bridge.endpoints.pub
    src = {s["name"]: s for s in d["sources"]}
    assert list(src) == ["a", "in", "out", "noise", "a_head"]
    assert src["a"]["size"] == 4
    assert src["a"]["celltype"] == "IF_curr_exp"
    assert src["a"]["recordables"] == ["spikes", "v"]
    assert src["a"]["topics"] == {"spikes": "spikes/a/", "v": "state/a/v/"}
    assert set(src["a"]["parameters"]) == {"i_offset", "v_thresh", "v_reset"}
    assert src["in"]["spike_input"]
    assert not src["a"]["spike_input"]
    assert "rate" in src["noise"]["parameters"]
    assert src["a_head"]["kind"] == "view"
    assert src["a_head"]["size"] == 2
    assert d["current_sources"] == [
        {
            "id": 0,
            "kind": "dc",
            "parameters": ["amplitude"],
            "targets": [{"population": "out", "size": 4}],
        }
    ]
    assert d["access"] == {"read_only": False, "inject": None}
    assert d["limits"]["max_message_bytes"] == Limits().max_message_bytes


# ---------------------------------------------------------------------- streams
async def test_spike_and_state_streams_match_the_in_process_streams(served) -> None:
    rt, bridge = served
    local = rt.subscribe_spikes(0, maxlen=100)
    local_v = rt.subscribe_state(0, "v", interval_steps=2, maxlen=100)
    async with AsyncClient(bridge.endpoints.control) as c:
        stream = await c.subscribe(["spikes/a/", "state/a/v/"], lockstep=True, interval_steps=2)
        run = asyncio.create_task(rt.run_steps(45))
        got: dict[str, list[Any]] = {"spikes/a/": [], "state/a/v/": []}
        while len(got["state/a/v/"]) < 5:
            m = await stream.receive()
            got[m.topic].append(m)
        await run
    batches = [local.receive_nowait() for _ in range(len(local))]
    vs = [local_v.receive_nowait() for _ in range(len(local_v))]
    assert len(got["spikes/a/"]) == len(batches) == 5
    for m, b in zip(got["spikes/a/"], batches, strict=True):
        assert (m.first_step, m.last_step, m.n_steps) == (
            b.first_step,
            b.first_step + b.n_steps - 1,
            b.n_steps,
        )
        assert m.chunk == b.sequence
        assert m.dt == 1.0
        assert m.dropped == 0
        assert m.header["frames"][0]["dtype"] == "<i8"
        np.testing.assert_array_equal(m.stamps, b.stamps)
        np.testing.assert_array_equal(m.indices, b.indices)
    assert [m.seq for m in got["spikes/a/"]] == [0, 1, 2, 3, 4]
    assert got["spikes/a/"][-1].last_step == 44  # the short last chunk
    for m, b in zip(got["state/a/v/"], vs, strict=True):
        np.testing.assert_array_equal(m.stamps, b.stamps)
        np.testing.assert_array_equal(m.values, b.values)
        assert m.values.shape == (len(b.stamps), 4)
    assert bridge.statistics().published == 10


async def test_late_joiner_starts_mid_run_without_a_gap(served) -> None:
    rt, bridge = served
    rt.mode = "fast"
    bridge.publish(["spikes/a/"])
    await rt.run_steps(30)  # three chunks before anyone listens
    async with AsyncClient(bridge.endpoints.control) as c:
        d = await c.describe()
        assert d["step"] == 30
        assert d["topics_on"] == ["spikes/a/"]
        stream = await c.subscribe("spikes/a/")
        await rt.run_steps(20)
        seen = [await stream.receive(), await stream.receive()]
    assert [(m.seq, m.chunk, m.first_step, m.lost) for m in seen] == [(3, 4, 30, 0), (4, 5, 40, 0)]


async def test_gaps_in_seq_count_exactly_what_zeromq_dropped() -> None:
    try:
        from tests.fakes import FakeBoard, neurons, trivial_plan
    except ImportError:
        from fakes import FakeBoard, neurons, trivial_plan  # type: ignore[no-redef]

    rt = Runtime(dt=1.0, chunk_steps=10, board=FakeBoard(), mapper=trivial_plan, seed=1)
    rt.add_population(neurons(0, 20_000, i_offset=0.5, v_thresh=100.0, label="big"))
    async with await serve(rt, limits=Limits(send_hwm=1)) as bridge:
        async with AsyncClient(bridge.endpoints.control) as c:
            stream = await c.subscribe("state/big/v/", hwm=1)  # 1.6 MB per message
            await rt.run_steps(400)  # nobody reads meanwhile: ZeroMQ drops beyond its queues
            seen = []
            while True:  # what got through
                try:
                    async with asyncio.timeout(0.5):
                        seen.append(await stream.receive())
                except TimeoutError:
                    break
            await rt.run_steps(10)  # with the queues empty again, the next one arrives
            async with asyncio.timeout(5):
                seen.append(await stream.receive())
        assert bridge.statistics().published == 41
    assert seen[-1].seq == 40
    rt.close()
    lost = sum(m.lost for m in seen)
    assert seen
    assert lost > 0
    assert len(seen) + lost == seen[-1].seq - seen[0].seq + 1
    for m in seen:  # what arrives is whole and right
        assert m.values.shape == (len(m.stamps), 20_000)
        np.testing.assert_allclose(m.values[:, 0], 0.5 * (m.stamps % 200))


async def test_a_subscriber_that_never_reads_does_not_hold_the_run(served) -> None:
    rt, bridge = served
    rt.mode = "fast"
    async with AsyncClient(bridge.endpoints.control) as c:
        await c.subscribe(["spikes/a/", "state/a/v/"], hwm=1)
        await asyncio.wait_for(rt.run_steps(2000), 10)
    st = bridge.statistics()
    assert rt.step == 2000
    assert st.published == 400
    assert st.stream_drops == 0


async def test_client_views_serve_some_cells_of_a_source(served) -> None:
    rt, bridge = served
    async with AsyncClient(bridge.endpoints.control) as c:
        r = await c.request("view", name="a_tail", source="a", indices=[3, 2])
        assert r["source"]["size"] == 2
        assert r["source"]["topics"]["spikes"] == "spikes/a_tail/"
        with pytest.raises(RemoteError) as err:
            await c.request("view", name="a", source="a", indices=[1])
        assert err.value.code == "conflict"
        stream = await c.subscribe("spikes/a_tail/", lockstep=True)
        run = asyncio.create_task(rt.run_steps(10))
        m = await stream.receive()
        await run
    # position 0 is neuron 3 (fires every step), position 1 is neuron 2 (never fires)
    assert set(m.indices.tolist()) == {0}
    assert len(m) == 10


# ---------------------------------------------------------------------- input
async def test_input_takes_effect_exactly_at_the_reported_step(served) -> None:
    rt, bridge = served
    async with AsyncClient(bridge.endpoints.control) as c:
        stream = await c.subscribe("spikes/out/", lockstep=True)
        run = asyncio.create_task(rt.run_steps(40))
        m = await stream.receive()  # chunk 1 (steps 0..9): the runtime now waits for us
        assert m.chunk == 1
        assert len(m) == 0
        assert await c.inject_spikes("in", [0, 2]) == 10
        assert await c.inject_spikes("in", np.array([1]), steps=15) == 15
        assert await c.set_parameters("a", "i_offset", 0.0, indices=[3], at_step=30) == 30
        assert await c.set_rates("noise", [5.0, 7.5]) == 10
        assert await c.set_current(0, amplitude=0.25, at_step=20) == 20
        m2 = await stream.receive()
        stream.close()  # closes the gate: the run goes on without us
        await run
    # injected spike stamped s reaches ``out`` (delay 1) and makes it fire at stamp s + 2
    assert sorted(zip(m2.stamps.tolist(), m2.indices.tolist(), strict=True)) == [
        (12, 0),
        (12, 2),
        (17, 1),
    ]
    log = board_log(rt)
    assert (10, "spikes", 1, (0, 2), (10, 10)) in log
    assert (10, "spikes", 1, (1,), (15,)) in log
    assert (30, "param", 0, "i_offset", (3,), (0.0,)) in log
    assert (10, "param", 3, "rate", (0, 1), (5.0, 7.5)) in log
    assert (20, "current", 0, (("amplitude", 0.25),)) in log
    assert bridge.statistics().inputs == 5
    assert rt.statistics().inputs == 5


BAD: list[tuple[str, Any, str]] = [
    ("garbage", b"\xc1\xff not msgpack", "bad_request"),
    ("not a map", encode({"v": 1})[:0] + b"\x93\x01\x02\x03", "bad_request"),
    ("no version", {"id": 1, "op": "describe"}, "version"),
    ("wrong version", {"v": 2, "id": 1, "op": "describe"}, "version"),
    ("boolean version", {"v": True, "id": 1, "op": "describe"}, "version"),
    ("unknown op", {"v": 1, "id": 1, "op": "explode"}, "unknown_op"),
    ("op type", {"v": 1, "id": 1, "op": 7}, "bad_request"),
    ("id type", {"v": 1, "id": [1], "op": "ping"}, "bad_request"),
    ("oversized", {"v": 1, "id": 1, "op": "ping", "pad": b"x" * 70_000}, "too_large"),
    ("input kind", {"v": 1, "op": "input", "kind": "teleport"}, "bad_request"),
    ("no source", {"v": 1, "op": "input", "kind": "spikes", "indices": [0]}, "bad_request"),
    (
        "unknown source",
        {"v": 1, "op": "input", "kind": "spikes", "source": "x", "indices": [0]},
        "unknown_source",
    ),
    (
        "not an injector",
        {"v": 1, "op": "input", "kind": "spikes", "source": "a", "indices": [0]},
        "bad_request",
    ),
    ("no indices", {"v": 1, "op": "input", "kind": "spikes", "source": "in"}, "bad_request"),
    (
        "index range",
        {"v": 1, "op": "input", "kind": "spikes", "source": "in", "indices": [4]},
        "out_of_range",
    ),
    (
        "negative index",
        {"v": 1, "op": "input", "kind": "spikes", "source": "in", "indices": [-1]},
        "out_of_range",
    ),
    (
        "index type",
        {"v": 1, "op": "input", "kind": "spikes", "source": "in", "indices": "0"},
        "bad_request",
    ),
    (
        "float index",
        {"v": 1, "op": "input", "kind": "spikes", "source": "in", "indices": [0.5]},
        "bad_request",
    ),
    (
        "too many",
        {"v": 1, "op": "input", "kind": "spikes", "source": "in", "indices": [0] * 300},
        "too_large",
    ),
    (
        "late step",
        {"v": 1, "op": "input", "kind": "spikes", "source": "in", "indices": [0], "steps": 5},
        "late",
    ),
    (
        "steps shape",
        {
            "v": 1,
            "op": "input",
            "kind": "spikes",
            "source": "in",
            "indices": [0, 1],
            "steps": [20, 21, 22],
        },
        "bad_request",
    ),
    (
        "far future",
        {"v": 1, "op": "input", "kind": "spikes", "source": "in", "indices": [0], "steps": 10**9},
        "out_of_range",
    ),
    (
        "late at_step",
        {
            "v": 1,
            "op": "input",
            "kind": "parameters",
            "source": "a",
            "name": "i_offset",
            "values": 1.0,
            "at_step": 3,
        },
        "late",
    ),
    (
        "nan value",
        {
            "v": 1,
            "op": "input",
            "kind": "parameters",
            "source": "a",
            "name": "i_offset",
            "values": float("nan"),
        },
        "out_of_range",
    ),
    (
        "huge value",
        {
            "v": 1,
            "op": "input",
            "kind": "parameters",
            "source": "a",
            "name": "i_offset",
            "values": 1e300,
        },
        "out_of_range",
    ),
    (
        "unknown parameter",
        {
            "v": 1,
            "op": "input",
            "kind": "parameters",
            "source": "a",
            "name": "tau_m",
            "values": 1.0,
        },
        "bad_request",
    ),
    (
        "values shape",
        {
            "v": 1,
            "op": "input",
            "kind": "parameters",
            "source": "a",
            "name": "v_thresh",
            "values": [1.0, 2.0],
        },
        "bad_request",
    ),
    (
        "negative rate",
        {"v": 1, "op": "input", "kind": "rates", "source": "noise", "values": -1.0},
        "out_of_range",
    ),
    (
        "infinite rate",
        {"v": 1, "op": "input", "kind": "rates", "source": "noise", "values": float("inf")},
        "out_of_range",
    ),
    (
        "rate limit",
        {"v": 1, "op": "input", "kind": "rates", "source": "noise", "values": 1e7},
        "out_of_range",
    ),
    (
        "rate of a neuron",
        {"v": 1, "op": "input", "kind": "rates", "source": "a", "values": 1.0},
        "bad_request",
    ),
    (
        "current id",
        {"v": 1, "op": "input", "kind": "current", "current": 5, "params": {"amplitude": 1.0}},
        "out_of_range",
    ),
    (
        "current param",
        {"v": 1, "op": "input", "kind": "current", "current": 0, "params": {"stop": 1.0}},
        "bad_request",
    ),
    (
        "current value",
        {"v": 1, "op": "input", "kind": "current", "current": 0, "params": {"amplitude": "1"}},
        "out_of_range",
    ),
    (
        "binary lies",
        {
            "v": 1,
            "op": "input",
            "kind": "spikes",
            "source": "in",
            "indices": {"dtype": "<i8", "shape": [4], "data": b"\0" * 8},
        },
        "bad_request",
    ),
    ("unknown topic", {"v": 1, "op": "subscribe", "topics": ["spikes/a"]}, "unknown_topic"),
    ("topic type", {"v": 1, "op": "subscribe", "topics": [1]}, "bad_request"),
    ("gate of a fast session", {"v": 1, "op": "next", "gate": 99, "chunk": 1}, "out_of_range"),
]


async def test_malformed_and_out_of_range_messages_get_errors_and_change_nothing(served) -> None:
    rt, bridge = served
    bridge.limits = Limits(max_message_bytes=65_536, max_array_len=256)
    rt.mode = "fast"
    rt.set_recording(0, "spikes", np.arange(4))
    await rt.run_steps(10)  # input for steps before 10 is late from now on
    ctx = zmq.asyncio.Context()
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(bridge.endpoints.control)
    before = (list(board_log(rt)), rt.statistics().inputs)
    try:
        for name, msg, code in BAD:
            await sock.send(msg if isinstance(msg, bytes) else encode(msg))
            async with asyncio.timeout(5):
                reply = spinstream.client._core.Requests.parse(await sock.recv())
            assert reply["ok"] is False, name
            assert reply["error"] == code, (name, reply)
            assert reply["message"], name
        await sock.send_multipart([b"two", b"frames"])
        async with asyncio.timeout(5):
            reply = spinstream.client._core.Requests.parse(await sock.recv())
        assert reply["error"] == "bad_request"
        assert "one msgpack frame" in reply["message"]
        assert (board_log(rt), rt.statistics().inputs) == before
        # the session is still usable: a valid message is applied, the run goes on
        await sock.send(
            encode(
                {
                    "v": 1,
                    "id": "ok",
                    "op": "input",
                    "kind": "spikes",
                    "source": "in",
                    "indices": encode_array(np.array([3])),
                }
            )
        )
        reply = spinstream.client._core.Requests.parse(await sock.recv())
        assert reply == {"v": 1, "id": "ok", "ok": True, "step": 10, "time": 10.0, "n": 1}
        await rt.run_steps(20)
    finally:
        sock.close()
        ctx.term()
    assert rt.step == 30
    assert (10, "spikes", 1, (3,), (10,)) in board_log(rt)
    errors = bridge.statistics().errors
    assert sum(errors.values()) == len(BAD) + 1
    assert errors["version"] == 3


async def test_read_only_bridge_refuses_every_input() -> None:
    rt = make_runtime()
    async with (
        await serve(rt, read_only=True) as bridge,
        AsyncClient(bridge.endpoints.control) as c,
    ):
        assert (await c.describe())["access"]["read_only"] is True
        await c.subscribe("spikes/a/")
        for call in (
            c.inject_spikes("in", [0]),
            c.set_rates("noise", 1.0),
            c.set_current(0, amplitude=1.0),
        ):
            with pytest.raises(RemoteError, match="read-only") as err:
                await call
            assert err.value.code == "read_only"
        assert bridge.statistics().errors == {"read_only": 3}
    assert board_log(rt) == []
    rt.close()


async def test_inject_permission_names_the_sources_a_client_may_change() -> None:
    rt = make_runtime()
    async with (
        await serve(rt, inject=["in"]) as bridge,
        AsyncClient(bridge.endpoints.control) as c,
    ):
        assert await c.inject_spikes("in", [1]) == 0
        with pytest.raises(RemoteError, match="may not send input to 'a'"):
            await c.set_parameters("a", "i_offset", 1.0)
        with pytest.raises(RemoteError, match="'out'") as err:
            await c.set_current(0, amplitude=1.0)  # it drives 'out'
        assert err.value.code == "forbidden"
    assert rt.statistics().inputs == 1
    rt.close()


# ---------------------------------------------------------------------- limits
async def test_input_rate_limit_refuses_and_counts() -> None:
    rt = make_runtime()
    limits = Limits(max_input_rate=5.0)
    async with (
        await serve(rt, limits=limits) as bridge,
        AsyncClient(bridge.endpoints.control) as c,
    ):
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        accepted = 0
        codes = []
        for _ in range(40):
            try:
                await c.inject_spikes("in", [0])
                accepted += 1
            except RemoteError as exc:
                codes.append(exc.code)
        elapsed = loop.time() - t0
    refused = len(codes)
    assert set(codes) == {"rate_limited"}
    assert 5 <= accepted <= 5 + 5.0 * elapsed + 1
    assert refused == 40 - accepted
    assert bridge.statistics().errors["rate_limited"] == refused
    rt.close()


async def test_pending_input_per_chunk_and_scheduled_are_bounded() -> None:
    rt = make_runtime(mode="fast")
    limits = Limits(max_pending_per_chunk=3, max_scheduled=2)
    async with (
        await serve(rt, limits=limits) as bridge,
        AsyncClient(bridge.endpoints.control) as c,
    ):
        for _ in range(3):
            await c.inject_spikes("in", [0])
        with pytest.raises(RemoteError, match="limit per chunk is 3") as err:
            await c.inject_spikes("in", [0])
        assert err.value.code == "pending_full"
        for step in (50, 60):
            await c.set_current(0, amplitude=1.0, at_step=step)
        with pytest.raises(RemoteError, match="scheduled"):
            await c.set_current(0, amplitude=1.0, at_step=70)
        await rt.run_steps(10)  # a new chunk boundary: room again
        await c.inject_spikes("in", [0])
        await rt.run_steps(50)  # the scheduled inputs were reached
        await c.set_current(0, amplitude=2.0, at_step=90)
        assert bridge.statistics().errors == {"pending_full": 2}
    rt.close()


async def test_a_silent_lockstep_client_is_dropped_after_the_gate_timeout() -> None:
    rt = make_runtime(mode="lockstep")
    limits = Limits(gate_timeout=0.2)
    async with (
        await serve(rt, limits=limits) as bridge,
        AsyncClient(bridge.endpoints.control) as c,
    ):
        gate = await c.request("gate")
        assert gate["gate"] == 1
        assert gate["chunk"] == 1
        await asyncio.wait_for(rt.run_steps(30), 10)  # never says "next"
        assert bridge.statistics().gates_expired == 1
        assert bridge.statistics().gates == 0
    rt.close()


async def test_gates_need_lockstep_mode() -> None:
    rt = make_runtime(mode="fast")
    async with await serve(rt) as bridge, AsyncClient(bridge.endpoints.control) as c:
        with pytest.raises(RemoteError, match="lock-step gates need mode 'lockstep'"):
            await c.subscribe("spikes/a/", lockstep=True)
    rt.close()


# ---------------------------------------------------------------------- binding
@pytest.mark.parametrize(
    "address", ["tcp://0.0.0.0:*", "tcp://*:*", "tcp://eth0:*", "tcp://10.0.0.1:*"]
)
async def test_binding_beyond_loopback_without_security_is_refused(address: str) -> None:
    rt = make_runtime()
    with pytest.raises(SecurityError, match="spinstream keys generate") as err:
        await serve(rt, address)
    assert address in str(err.value)
    assert "127.0.0.1" in str(err.value)
    rt.close()


async def test_loopback_and_ipc_addresses_are_served(tmp_path) -> None:
    rt = make_runtime()
    async with await serve(rt, "tcp://localhost:*") as b1:
        assert b1.endpoints.control.startswith("tcp://127.0.0.1:")
    ipc = f"ipc://{tmp_path}/bridge"
    async with await serve(rt, ipc) as b2, AsyncClient(b2.endpoints.control) as c:
        assert b2.endpoints.pub == ipc + ".pub"
        assert (await c.ping())["step"] == 0
    rt.close()


# ---------------------------------------------------------------------- front end
async def test_session_serve_views_assemblies_and_closes_with_the_session() -> None:
    try:
        from tests.reference import ReferenceBoard, trivial_plan
    except ImportError:
        from reference import ReferenceBoard, trivial_plan  # type: ignore[no-redef]

    async with spinstream.Session(
        timestep=0.1, chunk=1.0, seed=1, mapper=trivial_plan, board=ReferenceBoard()
    ) as sim:
        exc = sim.Population(6, sim.IF_curr_exp(i_offset=1.0), label="exc")
        inh = sim.Population(3, sim.IF_cond_exp(), label="inh")
        ep = await sim.serve(views=[exc[1:3], exc + inh], publish=["spikes/exc/"])
        bridge = sim.bridges[0]
        async with AsyncClient(ep.control) as c:
            d = await c.describe()
        src = {s["name"]: s for s in d["sources"]}
        assert src["exc"]["recordables"] == ["spikes", "v", "isyn_exc", "isyn_inh"]
        assert src["inh"]["recordables"] == ["spikes", "v", "gsyn_exc", "gsyn_inh"]
        views = [s for s in d["sources"] if s["kind"] != "population"]
        assert [(v["kind"], v["size"]) for v in views] == [("view", 2), ("assembly", 9)]
        assert views[1]["recordables"] == ["spikes", "v"]
        assert d["topics_on"] == ["spikes/exc/"]
    assert bridge.closed
    assert sim.bridges == []


async def test_blocking_client_iterates_takes_the_latest_and_sends_input(served) -> None:
    from spinstream.client import Client

    rt, bridge = served
    rt.mode = "fast"
    bridge.publish(["state/a/v/"])
    ready = asyncio.Event()
    loop = asyncio.get_running_loop()

    def client() -> tuple[list[int], Any, int]:
        with Client(bridge.endpoints.control) as c, c.subscribe("state/a/v/") as stream:
            loop.call_soon_threadsafe(ready.set)
            first = [m.chunk for _, m in zip(range(3), stream, strict=False)]
            latest = stream.receive_latest(timeout=5)  # skips what queued meanwhile
            step = c.set_parameters("a", "i_offset", 0.0, indices=[0])
        return first, latest, step

    worker = asyncio.ensure_future(asyncio.to_thread(client))
    await ready.wait()
    while not worker.done():  # keep chunks coming until the client is satisfied
        await rt.run_steps(10)
    first, latest, step = await worker
    assert first == [first[0], first[0] + 1, first[0] + 2]
    assert latest.chunk > first[-1]
    assert latest.values.shape[1] == 4
    await rt.run_steps(10)
    assert step % 10 == 0  # a chunk boundary: the input came between chunks
    assert (step, "param", 0, "i_offset", (0,), (0.0,)) in board_log(rt)


async def test_clients_take_the_endpoints_serve_returned(served) -> None:
    from spinstream.client import Client

    _, bridge = served
    ep = bridge.endpoints

    def blocking() -> float:
        with Client(ep, timeout=10) as c:
            return float(c.describe()["dt"])

    assert await asyncio.to_thread(blocking) == 1.0  # the loop keeps serving meanwhile
    async with AsyncClient(ep) as c:
        assert (await c.describe())["dt"] == 1.0
    for client in (Client, AsyncClient):
        with pytest.raises(TypeError, match=r"endpoint: expected the control endpoint"):
            client(5555)  # type: ignore[arg-type]
