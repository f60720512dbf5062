"""Remote clients that end cleanly, servers that wait for them, and protocol corners."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
import zmq
import zmq.asyncio

import spinstream
from spinstream.bridge import serve
from spinstream.client import AsyncClient, Client, StreamEnded
from spinstream.client._core import Requests
from spinstream.client._protocol import encode
from tests.engine import require_engine
from tests.test_bridge_support import make_runtime

require_engine()


def network(sim: Any) -> Any:
    src = sim.Population(20, sim.SpikeSourcePoisson(rate=100.0), label="src")
    sim.Population(5, sim.IF_curr_exp(), label="cells")
    return src


async def test_every_chunk_reaches_the_clients_and_their_iteration_ends_at_close() -> None:
    sim = spinstream.Session(timestep=0.1, chunk=1.0, mode="fast", seed=1)
    network(sim)
    ep = await sim.serve()
    loop = asyncio.get_running_loop()
    ready = asyncio.Event()

    def blocking() -> tuple[list[int], int, Any]:
        with Client(ep.control) as c, c.subscribe(["spikes/src/", "state/cells/v/"]) as st:
            loop.call_soon_threadsafe(ready.set)
            chunks = [m.chunk for m in st if m.topic == "spikes/src/"]  # ends at closing
            return chunks, len(st.runs_ended), st.closing

    async def asynchronous() -> tuple[list[int], Any]:
        async with AsyncClient(ep.control) as c:
            st = await c.subscribe(["spikes/src/"])
            ready_async.set()
            chunks = [m.chunk async for m in st]
            return chunks, st.closing

    ready_async = asyncio.Event()
    worker = asyncio.ensure_future(asyncio.to_thread(blocking))
    other = asyncio.ensure_future(asynchronous())
    await asyncio.wait_for(ready.wait(), 10)
    await asyncio.wait_for(ready_async.wait(), 10)
    await sim.run(300.0)
    await sim.aclose()  # at once: the last chunks must still go out
    chunks, runs, closing = await asyncio.wait_for(worker, 20)
    achunks, aclosing = await asyncio.wait_for(other, 20)
    assert chunks == achunks == list(range(1, 301))
    assert runs == 1
    assert (closing.kind, closing.step, closing.chunk) == ("closing", 3000, 300)
    assert aclosing.time == pytest.approx(300.0)


async def test_until_run_ends_one_iteration_per_run_and_receive_raises_stream_ended() -> None:
    rt = make_runtime(mode="fast")
    bridge = await serve(rt)
    try:
        async with AsyncClient(bridge.endpoints.control) as c:
            st = await c.subscribe("spikes/a/", until="run")
            await rt.run_steps(30)
            first = [m.chunk async for m in st]
            await rt.run_steps(20)
            second = [m.chunk async for m in st]
            assert (first, second) == ([1, 2, 3], [4, 5])
            assert [e.step for e in st.runs_ended] == [30, 50]
            await bridge.aclose()
            with pytest.raises(StreamEnded, match="session closed at step 50"):
                await asyncio.wait_for(st.receive(), 10)
            with pytest.raises(StreamEnded):  # and again: closing is final
                await st.receive()
    finally:
        await bridge.aclose()
        rt.close()


async def test_a_server_waits_for_its_remote_controller_before_running() -> None:
    async with spinstream.Session(timestep=0.1, chunk=1.0, mode="lockstep", seed=1) as sim:
        network(sim)
        ep = await sim.serve()
        with pytest.raises(TimeoutError, match="0 lock-step gate"):
            await sim.wait_for(gates=1, timeout=0.2)
        got: list[int] = []

        def controller() -> None:
            with Client(ep.control) as c, c.subscribe("spikes/src/", lockstep=True) as st:
                got.extend(m.chunk for m in st)

        worker = asyncio.ensure_future(asyncio.to_thread(controller))
        await sim.wait_for(gates=1, clients=1, timeout=10)
        await sim.run(50.0)
        drops = sim.statistics().drops
        assert "gate:1" in drops
        assert "bridge:spikes/src/" in drops
        assert not any(k.startswith("v#") for k in drops)  # the gate's subscription is named
    await asyncio.wait_for(worker, 20)
    assert got == list(range(1, 51))  # the gate held every chunk from the first


async def test_wait_for_needs_a_bridge_and_checks_its_arguments() -> None:
    async with spinstream.Session(timestep=0.1, chunk=1.0, seed=1) as sim:
        network(sim)
        with pytest.raises(RuntimeError, match="serve"):
            await sim.wait_for(gates=1)
        await sim.serve()
        with pytest.raises(ValueError, match="gates"):
            await sim.wait_for(gates=-1)


async def test_protocol_corners_agree_with_the_document() -> None:
    rt = make_runtime(mode="fast")
    bridge = await serve(rt)
    ctx = zmq.asyncio.Context()
    sock = ctx.socket(zmq.DEALER)
    sock.connect(bridge.endpoints.control)

    async def ask(msg: dict[str, Any]) -> dict[str, Any]:
        await sock.send(encode(msg))
        return Requests.parse(await asyncio.wait_for(sock.recv(), 10))

    try:
        big = {"v": 1, "id": 41, "op": "input", "kind": "spikes", "source": "in"}
        big["indices"] = [0] * (bridge.limits.max_array_len + 1)
        r = await ask(big)
        assert (r["ok"], r["error"], r["id"], r.get("field")) == (
            False,
            "too_large",
            41,
            "indices",
        )
        r = await ask(
            {"v": 1, "id": 42, "op": "subscribe", "topics": ["state/a/v/"], "interval_steps": 0}
        )
        assert (r["error"], r["field"]) == ("bad_request", "interval_steps")
        r = await ask({"v": 1.0, "id": 43, "op": "ping"})
        assert (r["error"], r["field"]) == ("version", "v")
        r = await ask({"v": 1, "id": 44, "op": "subscribe", "topics": "spikes/a/"})
        assert (r["error"], r["field"]) == ("bad_request", "topics")
        r = await ask(
            {"v": 1, "id": 45, "op": "subscribe", "topics": ["state/a/v/"], "interval_steps": 5}
        )
        assert r["intervals"] == {"state/a/v/": 5}
        r = await ask({"v": 1, "id": 46, "op": "subscribe", "topics": ["state/a/v/"]})
        assert r["ok"]
        assert r["intervals"] == {"state/a/v/": 5}  # kept, and said so
        r = await ask(
            {"v": 1, "id": 47, "op": "subscribe", "topics": ["state/a/v/"], "interval_steps": 2}
        )
        assert (r["error"], r["field"]) == ("conflict", "interval_steps")
    finally:
        sock.close(linger=0)
        ctx.term()
        await bridge.aclose()
        rt.close()


async def test_remote_answers_are_counted_late_when_they_miss_their_chunk() -> None:
    async with spinstream.Session(timestep=0.1, chunk=5.0, mode="realtime", seed=1) as sim:
        network(sim)
        ep = await sim.serve()
        loop = asyncio.get_running_loop()
        ready = asyncio.Event()

        def slow_controller() -> int:
            answered = 0
            with Client(ep.control) as c, c.subscribe(["spikes/src/"]) as st:
                loop.call_soon_threadsafe(ready.set)
                for msg in st:
                    if msg.chunk >= 40:
                        break
                    if msg.chunk % 5 == 0:
                        time.sleep(0.03)  # six chunks' worth: the next one has started
                        c.set_rates("src", 80.0)
                        c.set_rates("src", 90.0)  # the same answer again: counted once
                        answered += 1
            return answered

        worker = asyncio.ensure_future(asyncio.to_thread(slow_controller))
        await asyncio.wait_for(ready.wait(), 10)
        await sim.run(250.0)
        answered = await asyncio.wait_for(worker, 20)  # its answers are in
        st = sim.statistics()
    assert answered == 7
    assert st.late_answers == 7
    assert st.answer_us.n == 7
    assert st.answer_us.p50 >= 30_000.0


def test_a_blocking_script_waits_for_its_remote_controller() -> None:
    import threading

    import spinstream.pyNN as sim

    sim.setup(timestep=0.1, mode="lockstep", chunk=1.0)
    try:
        sim.Population(5, sim.SpikeSourcePoisson(rate=50.0), label="src")
        with pytest.raises(RuntimeError, match="serve"):
            sim.wait_for(gates=1)
        ep = sim.serve()
        with pytest.raises(TimeoutError, match="0 lock-step gate"):
            sim.wait_for(gates=1, timeout=0.2)
        got: list[int] = []

        def controller() -> None:
            with Client(ep.control) as c, c.subscribe(["spikes/src/"], lockstep=True) as st:
                got.extend(m.chunk for m in st)

        worker = threading.Thread(target=controller)
        worker.start()
        sim.wait_for(gates=1, timeout=10)
        sim.run(20.0)
    finally:
        sim.end()
    worker.join(20)
    assert not worker.is_alive()  # its iteration ended when the session closed
    assert got == list(range(1, 21))
