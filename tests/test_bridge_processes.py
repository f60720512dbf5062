"""The bridge with real second processes: lossless subscribers, a closed loop, bad input, kills.

Each peer is a separate Python process that imports only ``spinstream.client`` and talks
JSON lines on stdout; the tests synchronise on those lines (and on lock-step gates),
never on sleeps.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest

import spinstream
import spinstream.pyNN as pynn_sim
from spinstream.bridge import Limits
from tests.fakes import trivial_plan

try:
    from spinstream.board import HostBoard

    HostBoard()

    def board() -> Any:
        return HostBoard()

except ImportError:  # no C engine in this checkout: the numpy reference board
    try:
        from tests.reference import ReferenceBoard
    except ImportError:
        from reference import ReferenceBoard  # type: ignore[no-redef]

    def board() -> Any:
        return ReferenceBoard()


DT = 0.1
TIMEOUT = 30.0

# ---------------------------------------------------------------------- peer programs
SUBSCRIBER = r"""
import json, sys
from spinstream.client import Client
endpoint, topic, until, lockstep = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
def say(**kw):
    print(json.dumps(kw), flush=True)
with Client(endpoint, timeout=10) as c:
    stream = c.subscribe(topic, lockstep=lockstep)
    say(event="ready")
    stamps, indices, chunks, lost, dropped = [], [], [], 0, 0
    while True:
        m = stream.receive(timeout=20)
        stamps += m.stamps.tolist(); indices += m.indices.tolist(); chunks.append(m.chunk)
        lost += m.lost; dropped += m.dropped
        say(event="got", chunk=m.chunk, last_step=m.last_step)
        if m.last_step >= until:
            break
    say(event="done", stamps=stamps, indices=indices, chunks=chunks, lost=lost, dropped=dropped)
"""

INJECTOR = r"""
import json, sys
from spinstream.client import Client
endpoint, n_loops = sys.argv[1], int(sys.argv[2])
def say(**kw):
    print(json.dumps(kw), flush=True)
with Client(endpoint, timeout=10) as c:
    n = c.describe()["sources"]
    size = {s["name"]: s["size"] for s in n}["in"]
    stream = c.subscribe("spikes/out/", lockstep=True)
    say(event="ready")
    injected = [c.inject_spikes("in", [0])]  # start the loop
    seen = []
    while len(seen) < n_loops:
        m = stream.receive(timeout=20)
        for stamp, i in zip(m.stamps.tolist(), m.indices.tolist()):
            seen.append([stamp, i])
            injected.append(c.inject_spikes("in", [(i + 1) % size]))
    say(event="done", seen=seen, injected=injected)
"""

BAD_SENDER = r"""
import json, sys
import zmq, msgpack
endpoint = sys.argv[1]
ctx = zmq.Context()
s = ctx.socket(zmq.DEALER); s.linger = 0; s.connect(endpoint)
def ask(payload):
    s.send(payload)
    if not s.poll(10000):
        return "no reply"
    return msgpack.unpackb(s.recv(), raw=False).get("error", "ok")
def inp(**kw):
    return ask(msgpack.packb({"v": 1, "op": "input", **kw}, use_bin_type=True))
codes = {
    "garbage": ask(b"\x00\xff\xfe garbage"),
    "wrong_version": ask(msgpack.packb({"v": 99, "op": "describe"})),
    "oversized": ask(msgpack.packb({"v": 1, "op": "ping", "pad": b"x" * 2_000_000})),
    "out_of_range": inp(kind="spikes", source="in", indices=[10**6]),
    "late": inp(kind="spikes", source="in", indices=[0], steps=0),
    "nan": inp(kind="rates", source="noise", values=float("nan")),
}
print(json.dumps(codes), flush=True)
"""


class Peer:
    """A peer process speaking JSON lines."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, program: str, *args: object) -> Peer:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            program,
            *map(str, args),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return cls(proc)

    async def line(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        raw = await asyncio.wait_for(self.proc.stdout.readline(), TIMEOUT)
        if not raw:
            err = await self.proc.stderr.read() if self.proc.stderr else b""
            raise AssertionError(f"peer ended: {err.decode()[-2000:]}")
        out: dict[str, Any] = json.loads(raw)
        return out

    async def until(self, event: str) -> dict[str, Any]:
        while True:
            msg = await self.line()
            if msg.get("event") == event:
                return msg

    async def finish(self) -> int:
        return await asyncio.wait_for(self.proc.wait(), TIMEOUT)

    def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)


def session(mode: str = "lockstep") -> spinstream.Session:
    return spinstream.Session(
        timestep=DT, chunk=1.0, mode=mode, seed=3, board=board(), mapper=trivial_plan
    )


def build_noise_network(sim: Any) -> tuple[Any, Any]:
    noise = sim.Population(40, sim.SpikeSourcePoisson(rate=300.0), label="noise")
    exc = sim.Population(60, sim.IF_curr_exp(tau_refrac=1.0), label="exc")
    sim.Projection(
        noise,
        exc,
        sim.FixedProbabilityConnector(0.3, rng=sim.NumpyRNG(seed=5)),
        sim.StaticSynapse(weight=1.5, delay=0.5),
    )
    exc.record("spikes")
    noise.record("spikes")
    return noise, exc


def stamps_of(pop: Any) -> list[tuple[int, int]]:
    """Every recorded spike of ``pop`` as (stamp, neuron index), sorted."""
    out = []
    for i, st in enumerate(pop.get_data("spikes").segments[-1].spiketrains):
        out += [(round(float(t) / DT), i) for t in st.magnitude]
    return sorted(out)


@pytest.fixture
async def peers() -> AsyncIterator[list[Peer]]:
    started: list[Peer] = []
    yield started
    for p in started:
        p.kill()
        await p.proc.wait()


# ---------------------------------------------------------------------- tests
async def test_a_subscriber_process_receives_every_recorded_spike(peers) -> None:
    async with session() as sim:
        _, exc = build_noise_network(sim)
        ep = await sim.serve()
        until = 999  # 100 ms = 1000 steps: the last step is 999
        sub = await Peer.start(SUBSCRIBER, ep.control, "spikes/exc/", until, 1)
        peers.append(sub)
        await sub.until("ready")
        await sim.run(100.0)
        done = await sub.until("done")
        assert await sub.finish() == 0
        got = sorted(zip(done["stamps"], done["indices"], strict=True))
        recorded = stamps_of(exc)
        assert len(recorded) > 500
        assert got == recorded
        assert done["lost"] == 0
        assert done["dropped"] == 0
        assert done["chunks"] == list(range(1, 101))


async def test_an_injector_process_closes_the_loop(peers) -> None:
    async with session() as sim:
        inj = sim.Population(5, sim.SpikeInjector(), label="in")
        out = sim.Population(5, sim.IF_curr_delta(), label="out")  # one input spike: one spike
        sim.Projection(
            inj, out, sim.OneToOneConnector(), sim.StaticSynapse(weight=20.0, delay=0.1)
        )
        inj.record("spikes")
        out.record("spikes")
        ep = await sim.serve()
        peer = await Peer.start(INJECTOR, ep.control, 12)
        peers.append(peer)
        await peer.until("ready")
        await sim.run(40.0)
        done = await peer.until("done")
        assert await peer.finish() == 0
    seen, injected = done["seen"], done["injected"]
    # the loop went round: each output spike of cell i was answered by an injected spike
    # of cell i+1 at the next chunk's first step, which made out[i+1] fire in turn
    assert [i for _, i in seen] == [k % 5 for k in range(len(seen))]
    for (stamp, _), step in zip(seen, injected[1:], strict=False):
        assert step == (stamp - 1) // 10 * 10 + 10  # the chunk after the spike's step
    in_stamps = [s for s, _ in stamps_of(inj)]
    assert in_stamps[: len(injected)] == injected
    out_spikes = stamps_of(out)
    assert [tuple(x) for x in seen] == out_spikes[: len(seen)]


async def test_bad_messages_from_another_process_get_errors_and_change_nothing(peers) -> None:
    async with session(mode="fast") as sim:
        sim.Population(3, sim.SpikeInjector(), label="in")
        _noise, exc = build_noise_network(sim)
        ep = await sim.serve(limits=Limits(max_message_bytes=1 << 20))
        await sim.run(5.0)
        rt = sim.runtime
        inputs = rt.statistics().inputs
        peer = await Peer.start(BAD_SENDER, ep.control)
        peers.append(peer)
        codes = await peer.line()
        assert await peer.finish() == 0
        assert codes == {
            "garbage": "bad_request",
            "wrong_version": "version",
            "oversized": "too_large",
            "out_of_range": "out_of_range",
            "late": "late",
            "nan": "out_of_range",
        }
        assert rt.statistics().inputs == inputs
        await sim.run(5.0)
        recorded = stamps_of(exc)
    # the same network without a bridge or bad messages records exactly the same
    async with session(mode="fast") as ref:
        ref.Population(3, ref.SpikeInjector(), label="in")
        _, exc2 = build_noise_network(ref)
        await ref.run(10.0)
        assert stamps_of(exc2) == recorded


async def test_killed_subscriber_processes_do_not_disturb_the_run(peers) -> None:
    async with session(mode="lockstep") as sim:
        _, exc = build_noise_network(sim)
        ep = await sim.serve(limits=Limits(gate_timeout=0.5))
        fast = await Peer.start(SUBSCRIBER, ep.control, "spikes/exc/", 10**9, 0)
        gated = await Peer.start(SUBSCRIBER, ep.control, "spikes/noise/", 10**9, 1)
        peers += [fast, gated]
        await fast.until("ready")
        await gated.until("ready")
        run = asyncio.create_task(sim.run(50.0))
        await gated.until("got")  # the gated peer holds the run after each chunk...
        await gated.until("got")
        gated.kill()  # ...and dies while holding it
        await fast.until("got")
        fast.kill()
        await asyncio.wait_for(run, TIMEOUT)
        assert sim.time == pytest.approx(50.0)
        stats = sim.bridges[0].statistics()
        assert stats.gates_expired == 1
        assert stats.gates == 0
        recorded = stamps_of(exc)
    async with session(mode="fast") as ref:
        _, exc2 = build_noise_network(ref)
        await ref.run(50.0)
        assert stamps_of(exc2) == recorded


async def test_tap_cli_prints_json_summaries_of_every_spike(peers) -> None:
    async with session() as sim:
        noise, exc = build_noise_network(sim)
        ep = await sim.serve()
        tap = Peer(
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "spinstream",
                "tap",
                ep.control,
                "spikes/exc/",
                "spikes/noise/",
                "--json",
                "--lockstep",
                "--interval",
                "0",
                "--until-step",
                "299",
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        )
        peers.append(tap)
        first = await tap.line()
        assert first["event"] == "subscribed"
        assert first["lockstep"] is True
        assert first["topics"] == ["spikes/exc/", "spikes/noise/"]
        await sim.run(30.0)
        end = await tap.until("end")
        assert await tap.finish() == 0
        for topic, pop in (("spikes/exc/", exc), ("spikes/noise/", noise)):
            t = end["topics"][topic]
            assert t["spikes"] == len(stamps_of(pop)) > 0
            assert (t["gaps"], t["dropped"], t["last_step"], t["messages"]) == (0, 0, 299, 30)


async def test_tap_ends_with_a_full_report_when_the_session_closes(peers) -> None:
    async with session(mode="fast") as sim:
        _noise, exc = build_noise_network(sim)
        ep = await sim.serve()
        tap = Peer(
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "spinstream",
                "tap",
                ep.control,
                "spikes/exc/",
                "--json",
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        )
        peers.append(tap)
        assert (await tap.line())["event"] == "subscribed"
        await sim.run(30.0)
        recorded = len(stamps_of(exc))
    # no --duration, --count or --until-step: the closing message ends it
    end = await tap.until("end")
    assert await tap.finish() == 0
    t = end["topics"]["spikes/exc/"]
    assert (t["messages"], t["last_step"], t["spikes"]) == (30, 299, recorded)


def test_the_blocking_api_serves_while_it_runs() -> None:
    pynn_sim.setup(
        timestep=DT, chunk=1.0, mode="lockstep", seed=3, board=board(), mapper=trivial_plan
    )
    try:
        _, exc = build_noise_network(pynn_sim)
        ep = pynn_sim.serve()
        with subprocess.Popen(
            [sys.executable, "-c", SUBSCRIBER, ep.control, "spikes/exc/", "499", "1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        ) as proc:
            try:
                assert proc.stdout is not None
                assert json.loads(proc.stdout.readline())["event"] == "ready"
                pynn_sim.run(30.0)  # two runs: the gate and the stream carry over
                pynn_sim.run(20.0)
                done = None
                for raw in proc.stdout:
                    msg = json.loads(raw)
                    if msg["event"] == "done":
                        done = msg
                        break
                assert proc.wait(TIMEOUT) == 0
            finally:
                proc.kill()
        assert done is not None
        assert done["lost"] == 0
        assert sorted(zip(done["stamps"], done["indices"], strict=True)) == stamps_of(exc)
    finally:
        pynn_sim.end()
