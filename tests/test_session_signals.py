"""Ctrl-C: a real SIGINT stops a run at a chunk boundary, keeping everything recorded.

Each test runs a script in a fresh interpreter, waits (on its stdout, no sleeps) until the
run is under way, sends SIGINT, and checks what the script reports afterwards: the time
reached is a chunk boundary, ``get_data()`` holds exactly the steps run, another run
continues from there, and the spikes equal those of an uninterrupted run of the same
network.  Where the signal lands (inside a chunk, between chunks) is up to the OS; the
outcome must be the same wherever it does.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.engine import require_engine

HostBoard = require_engine()

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="SIGINT to a child process needs POSIX signals"
)

# Shared by the scripts: a board that says once on stdout that the run is under way, so the
# test knows when to press Ctrl-C (and notes which thread ran the chunks), and the network
# (Poisson-driven, spiking often).
PRELUDE = """
import json, sys, threading
import numpy as np
from spinstream.board import HostBoard

DT, CHUNK = 0.1, 1.0

class AnnouncingBoard(HostBoard):
    announced = False
    threads = set()

    def run(self, n_steps):
        result = super().run(n_steps)
        self.threads.add("main" if threading.current_thread() is threading.main_thread()
                         else "worker")
        if not self.announced and self.step >= 50:
            self.announced = True
            print("running", flush=True)
        return result

def build(sim):
    src = sim.Population(200, sim.SpikeSourcePoisson(rate=200.0), label="src")
    out = sim.Population(100, sim.IF_curr_exp(tau_refrac=1.0), label="out")
    sim.Projection(src, out, sim.FixedProbabilityConnector(0.2, rng=sim.NumpyRNG(seed=7)),
                   sim.StaticSynapse(weight=0.4, delay=0.5))
    out.record(["spikes", "v"])
    return out

def summary(out, t):
    seg = out.get_data().segments[-1]
    spikes = sorted((round(float(s) / DT), i) for i, st in enumerate(seg.spiketrains)
                    for s in st.magnitude)
    (v,) = seg.analogsignals
    return {"t": t, "v_samples": int(v.shape[0]), "spikes": spikes}
"""

BLOCKING = (
    PRELUDE
    + """
import spinstream.pyNN as sim

sim.setup(timestep=DT, chunk=CHUNK, seed=3, board=AnnouncingBoard())
out = build(sim)
report = {"interrupted": False}
try:
    sim.run(1e8)  # only Ctrl-C ends this
except KeyboardInterrupt:
    report["interrupted"] = True
report["at_interrupt"] = summary(out, sim.get_current_time())
sim.run(2.0)
report["after"] = summary(out, sim.get_current_time())
report["threads"] = sorted(AnnouncingBoard.threads)
sim.end()

sim.setup(timestep=DT, chunk=CHUNK, seed=3)
ref = build(sim)
sim.run(report["after"]["t"])
report["reference"] = summary(ref, sim.get_current_time())
sim.end()
print(json.dumps(report), flush=True)
"""
)

ASYNC = (
    PRELUDE
    + """
import asyncio
import spinstream

report = {"interrupted": False}
board = AnnouncingBoard()

async def main():
    async with spinstream.Session(timestep=DT, chunk=CHUNK, seed=3, board=board) as sim:
        # where chunks run: on the worker thread, or on the loop's (short chunks do)
        sim.runtime._worker._inline_below_ns = 0.0 if sys.argv[1] == "worker" else 1e18
        out = build(sim)
        stream = out.stream("spikes", maxlen=10_000)
        try:
            await sim.run(1e8)  # only Ctrl-C (asyncio.run cancels this task) ends this
        except asyncio.CancelledError:
            report["interrupted"] = True
            asyncio.current_task().uncancel()
        report["running_after_cancel"] = sim.runtime.running
        report["at_interrupt"] = summary(out, sim.time)
        batches = [stream.receive_nowait() for _ in range(len(stream))]
        report["streamed_until"] = batches[-1].t_stop if batches else None
        await sim.run(2.0)
        report["after"] = summary(out, sim.time)
    report["threads"] = sorted(board.threads)
    async with spinstream.Session(timestep=DT, chunk=CHUNK, seed=3) as sim:
        ref = build(sim)
        await sim.run(report["after"]["t"])
        report["reference"] = summary(ref, sim.time)

asyncio.run(main())
print(json.dumps(report), flush=True)
"""
)


def interrupt(script: str, *args: str) -> dict[str, Any]:
    """Run ``script``, send SIGINT once it says it is running; return its JSON report."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # blocks until the run is under way (or the script died)
        if line.strip() != "running":
            _, err = proc.communicate(timeout=60)
            pytest.fail(f"the script did not start running: {line!r}\n{err}")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    report: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return report


def check_consistent(report: dict[str, Any]) -> None:
    """Stopped at a chunk boundary, all of it recorded, continued, equal to an unbroken run."""
    dt, chunk_steps = 0.1, 10
    assert report["interrupted"]
    at = report["at_interrupt"]
    steps = round(at["t"] / dt)
    assert steps >= 50  # the run was under way when the signal came
    assert steps % chunk_steps == 0, f"t = {at['t']} ms is not a chunk boundary"
    assert at["v_samples"] == steps + 1  # every step run is in get_data(), samples 0..steps
    assert all(stamp <= steps for stamp, _ in at["spikes"])
    assert at["spikes"], "the network spikes within the first chunks"
    after = report["after"]
    assert round(after["t"] / dt) == steps + 20
    assert after["v_samples"] == steps + 21
    # nothing lost, nothing doubled around the interruption
    assert after["spikes"][: len(at["spikes"])] == at["spikes"]
    assert after["spikes"] == report["reference"]["spikes"]
    assert after["v_samples"] == report["reference"]["v_samples"]


@pytest.mark.slow
def test_ctrl_c_stops_a_blocking_run_at_a_chunk_boundary() -> None:
    report = interrupt(BLOCKING)
    check_consistent(report)
    assert report["threads"] == ["main"]  # the blocking API runs chunks on its own thread


@pytest.mark.slow
@pytest.mark.parametrize("where", ["worker", "loop"])
def test_ctrl_c_cancels_an_async_run_and_leaves_a_consistent_session(where: str) -> None:
    # asyncio.run turns SIGINT into cancelling the main task, which awaits sim.run
    report = interrupt(ASYNC, where)
    check_consistent(report)
    assert report["threads"] == (["main", "worker"] if where == "loop" else ["worker"])
    assert report["running_after_cancel"] is False
    # the stream got every chunk that was recorded, and no more
    assert report["streamed_until"] == pytest.approx(report["at_interrupt"]["t"])
