"""Spikes per second to an external subscriber over the ZeroMQ bridge, and its latency.

Throughput: a session streams the spikes of one population to a subscriber in another
process (``spinstream.client.Client``) over tcp loopback.  The spikes come from

* ``SpikeBoard``, a board that computes nothing (every step ``k`` neurons fire), so the
  bridge's own capacity shows: Subscription -> PUB (zero-copy frames) -> tcp -> SUB ->
  numpy views in the subscriber;
* ``HostBoard`` running CUBA (the real engine), for an end-to-end figure.

"fast" runs as fast as possible (the subscriber may lose messages at its queue, counted
from ``seq`` gaps); "lockstep" holds each chunk until the subscriber said ``next``
(lossless, one round trip per chunk).  Spikes/s = spikes received / (arrival of the last
message - start of the run).

Latency: the board stamps ``time.time_ns()`` when each chunk's computation ends; the
subscriber stamps each message's arrival; the table gives median and p99 of the
difference (same machine, same clock).  Real-time mode keeps the subscriber unloaded.

    python benchmarks/bench_zmq.py [--seconds 2] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.cuba_spec import cuba_spec  # noqa: E402
from spinstream.board import Board, ChunkResult  # noqa: E402
from spinstream.bridge import serve  # noqa: E402
from spinstream.model import MappingPlan, NetworkSpec, PopulationSpec  # noqa: E402
from spinstream.session import Runtime  # noqa: E402
from tests.fakes import trivial_plan  # noqa: E402

I64 = npt.NDArray[np.int64]

SUBSCRIBER = r"""
import json, sys, time
import numpy as np
from spinstream.client import Client
endpoint, topic, lockstep, until = sys.argv[1], sys.argv[2], sys.argv[3] == "1", int(sys.argv[4])
with Client(endpoint, timeout=30) as c:
    stream = c.subscribe(topic, lockstep=lockstep, hwm=1000)
    print(json.dumps({"event": "ready"}), flush=True)
    chunks, spikes, arrivals, pubs, checks = [], [], [], [], 0
    lost = 0
    while True:
        try:
            m = stream.receive(timeout=5)
        except TimeoutError:  # the last message was lost on the way
            break
        chunks.append(m.chunk); spikes.append(len(m)); arrivals.append(m.received_ns)
        pubs.append(m.header["t_pub_ns"])
        lost += m.lost
        if len(m):  # touch the data, as a consumer would
            checks += int(m.indices[-1]) + int(m.stamps[0])
        if m.last_step >= until:
            break
print(json.dumps({"event": "done", "chunks": chunks, "spikes": spikes,
                  "arrivals": arrivals, "pubs": pubs, "lost": lost}), flush=True)
"""


class SpikeBoard(Board):
    """A board that computes nothing: every step, ``per_step`` neurons of pop 0 fire."""

    def __init__(self, per_step: int) -> None:
        self.per_step = per_step
        self.ends: list[int] = []  # time.time_ns() at the end of every run()
        self._step = 0
        self._rec: set[int] = set()

    def load(self, spec: NetworkSpec, plan: MappingPlan) -> None:
        n = spec.populations[0].size
        rng = np.random.default_rng(1)
        self._idx = np.sort(rng.choice(n, self.per_step, replace=False)).astype(np.int64)

    @property
    def step(self) -> int:
        return self._step

    def run(self, n_steps: int) -> ChunkResult:
        first = self._step
        stamps = np.repeat(
            np.arange(first + 1, first + n_steps + 1, dtype=np.int64), self.per_step
        )
        indices = np.tile(self._idx, n_steps)
        self._step += n_steps
        out = ChunkResult(first, n_steps)
        if 0 in self._rec:
            out.spikes[0] = (stamps, indices)
        self.ends.append(time.time_ns())
        return out

    def set_recording(
        self, pop: int, variable: str, indices: Any, interval_steps: int = 1
    ) -> None:
        if variable == "spikes":
            (self._rec.add if indices is not None else self._rec.discard)(pop)

    def get_parameters(self, pop: int, name: str, indices: I64) -> npt.NDArray[np.float64]:
        return np.zeros(len(indices))

    def set_parameters(self, pop: int, name: str, indices: I64, values: Any) -> None:
        pass

    def get_state(self, pop: int, name: str, indices: I64) -> npt.NDArray[np.float64]:
        return np.zeros(len(indices))

    def set_state(self, pop: int, name: str, indices: I64, values: Any) -> None:
        pass

    def schedule_spikes(self, pop: int, indices: I64, stamps: I64) -> None:
        pass

    def set_current_source(self, source: int, params: dict[str, object]) -> None:
        pass

    def reset(self) -> None:
        self._step = 0


def _timed_host_board() -> Board:
    from spinstream.board import HostBoard

    class TimedHostBoard(HostBoard):  # type: ignore[misc]
        ends: list[int]

        def run(self, n_steps: int) -> ChunkResult:
            out: ChunkResult = super().run(n_steps)
            self.ends.append(time.time_ns())
            return out

    board = TimedHostBoard()
    board.ends = []
    return board


def spike_runtime(per_step: int, chunk: int, mode: str) -> Runtime:
    rt = Runtime(
        dt=0.1,
        chunk_steps=chunk,
        mode=mode,
        board=SpikeBoard(per_step),
        mapper=trivial_plan,
        seed=1,
    )
    rt.add_population(PopulationSpec(0, "pop", max(per_step, 1000), "SpikeInjector"))
    return rt


def cuba_runtime(n: int, chunk: int, mode: str) -> Runtime:
    spec = cuba_spec(n=n, seed=42, dt=0.1)
    rt = Runtime(
        dt=0.1,
        chunk_steps=chunk,
        mode=mode,
        board=_timed_host_board(),
        mapper=trivial_plan,
        seed=42,
    )
    spec.populations[0].label = "cuba"  # the excitatory population is streamed
    for p in spec.populations:
        rt.add_population(p)
    for pr in spec.projections:
        rt.add_projection(pr)
    return rt


async def measure(
    rt: Runtime, steps: int, lockstep: bool, transport: str = "tcp"
) -> dict[str, Any]:
    """Run ``steps`` (after a warm-up) with one external subscriber; what it received."""
    address = "tcp://127.0.0.1:*" if transport == "tcp" else "ipc:///tmp/spinstream-bench"
    label = rt.spec.populations[0].label
    async with await serve(rt, address) as bridge:
        await rt.run_steps(rt.chunk_steps * 5)  # load and warm up, not measured
        until = rt.step + steps - 1
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            SUBSCRIBER,
            bridge.endpoints.control,
            f"spikes/{label}/",
            "1" if lockstep else "0",
            str(until),
            stdout=asyncio.subprocess.PIPE,
            limit=1 << 28,  # the report is one long JSON line
        )
        assert proc.stdout is not None
        assert json.loads(await proc.stdout.readline())["event"] == "ready"
        first_chunk = rt.statistics().chunks + 1
        t0 = time.time_ns()
        await rt.run_steps(steps)
        engine_s = (time.time_ns() - t0) / 1e9
        done = json.loads(await asyncio.wait_for(proc.stdout.readline(), 120))
        await proc.wait()
        stats = bridge.statistics()
    board: Any = rt.board
    ends = board.ends
    lat, pub = [], []
    for c, arr, sent in zip(done["chunks"], done["arrivals"], done["pubs"], strict=True):
        if c >= first_chunk:
            lat.append((arr - ends[c - 1]) / 1e3)
            pub.append((sent - ends[c - 1]) / 1e3)
    spikes = sum(
        s for c, s in zip(done["chunks"], done["spikes"], strict=True) if c >= first_chunk
    )
    wall = (done["arrivals"][-1] - t0) / 1e9
    rt.close()
    return {
        "spikes": spikes,
        "seconds": wall,
        "engine_s": engine_s,
        "rate": spikes / wall,
        "lost": done["lost"],
        "messages": len(lat),
        "lat_p50": float(np.percentile(lat, 50)),
        "lat_p99": float(np.percentile(lat, 99)),
        "pub_p50": float(np.percentile(pub, 50)),
        "bytes": stats.published_bytes,
    }


def row(label: str, r: dict[str, Any]) -> str:
    return (
        f"{label:<46} {r['spikes'] / max(r['messages'], 1):>10.0f} {r['rate'] / 1e6:>9.2f} "
        f"{r['rate'] * 16 / 2**20:>8.0f} {r['lost']:>5} {r['lat_p50']:>9.0f} {r['lat_p99']:>9.0f} "
        f"{r['pub_p50']:>9.0f}"
    )


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=2.0, help="simulated seconds per run")
    ap.add_argument("--quick", action="store_true", help="fewer, shorter runs")
    args = ap.parse_args()
    steps = round(args.seconds * 1000 / 0.1)
    if args.quick:
        steps //= 4
    head = (
        f"{'scenario (tcp loopback unless said)':<46} {'spikes/msg':>10} {'M spk/s':>9} "
        f"{'MB/s':>8} {'lost':>5} {'lat p50':>9} {'lat p99':>9} {'pub p50':>9}"
    )
    print(
        "\nOne external subscriber process, dt 0.1 ms; lat: us from the end of a chunk's "
        "computation to the message's arrival in the subscriber; pub: to its publication"
    )
    print(head)
    print("-" * len(head))
    per_steps = (100, 10_000) if args.quick else (100, 1_000, 10_000, 100_000)
    for per_step in per_steps:
        for chunk in (10, 100):
            for mode, lockstep in (("fast", False), ("lockstep", True)):
                n = steps if per_step * chunk < 10**6 else steps // 10
                r = await measure(spike_runtime(per_step, chunk, mode), n, lockstep)
                label = f"SpikeBoard {per_step}/step, chunk {chunk * 0.1:g} ms, {mode}"
                print(row(label, r), flush=True)
    r = await measure(spike_runtime(10_000, 10, "fast"), steps, False, transport="ipc")
    print(row("SpikeBoard 10000/step, chunk 1 ms, fast, ipc", r), flush=True)
    try:
        from spinstream.board import HostBoard

        HostBoard()
        chunks: tuple[int, ...] = (10, 100)
    except ImportError as exc:
        print(f"(HostBoard rows skipped: {exc})")
        chunks = ()
    for chunk in chunks:
        r = await measure(cuba_runtime(4000, chunk, "fast"), steps, False)
        print(
            row(f"HostBoard CUBA 4000 (exc pop), chunk {chunk * 0.1:g} ms, fast", r)
            + f"   engine {r['spikes'] / r['engine_s'] / 1e6:.2f} M spk/s",
            flush=True,
        )
    print(f"\nLatency with the subscriber unloaded (real-time mode, {args.seconds:g} s)")
    print(head)
    print("-" * len(head))
    for per_step, chunk in ((10, 10), (100, 10), (1000, 10), (100, 100)):
        rt = spike_runtime(per_step, chunk, "realtime")
        r = await measure(rt, steps // (4 if args.quick else 1), False)
        print(row(f"real time, {per_step}/step, chunk {chunk * 0.1:g} ms", r), flush=True)
    print(
        "\nanchors (same machine kind): pyzmq PUB/SUB 1.2-2.1 M msgs/s of 64 B; "
        "tcp loopback round trip 90 us median, 115 us p99"
    )


if __name__ == "__main__":
    asyncio.run(main())
