"""sPyNNaker's live I/O against real client processes over UDP on loopback.

Each test runs a network with ``spinstream.pyNN`` + ``spinstream.spinnaker.external_devices``
in this process and a client in another one: sPyNNaker's unmodified connection classes
(``spynnaker`` 1!7.4.1) and spinstream's own, the same checks for both.  Each test has its
own board address (127.0.x.y) and notification port.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from typing import Any

import numpy as np
import pytest

import spinstream.pyNN as sim
from spinstream.spinnaker import external_devices as ed
from tests.engine import require_engine
from tests.live_io_support import (
    ROOT,
    ClientProcess,
    board_address,
    client_env,
    free_udp_port,
    require_client,
)

require_engine()

KINDS = ["spynnaker", "spinstream"]


def recorded_list(pop: Any, dt: float) -> list[tuple[int, int]]:
    """Sorted ``(atom, step)`` of a population's recorded spikes (a Poisson source may
    spike twice in one step: both are listed)."""
    out = []
    for atom, train in enumerate(pop.get_data("spikes").segments[0].spiketrains):
        out.extend((atom, round(float(t) / dt)) for t in np.asarray(train.magnitude))
    return sorted(out)


def recorded(pop: Any, dt: float) -> set[tuple[int, int]]:
    """``{(atom, step)}`` of a population's recorded spikes."""
    return set(recorded_list(pop, dt))


def counts_by_atom(pop: Any, lo: float, hi: float) -> np.ndarray:
    """Recorded spikes per atom with times in ``(lo, hi]`` ms: the spikes emitted during
    the steps from ``lo`` to ``hi`` (a spike emitted in step m is stamped m + 1)."""
    trains = pop.get_data("spikes").segments[0].spiketrains
    return np.array([int(np.sum((t.magnitude > lo) & (t.magnitude <= hi))) for t in trains])


@pytest.fixture
def network() -> Any:
    yield
    sim.end()


@pytest.mark.parametrize("full_keys", [False, True], ids=["atom16", "key32"])
@pytest.mark.parametrize("kind", KINDS)
def test_spikes_out_and_in_over_two_runs(network: Any, kind: str, full_keys: bool) -> None:
    module = require_client(kind)
    board, port = board_address(), free_udp_port()
    dt, chunk_steps, run_ms = 0.1, 10, 150.0
    sim.setup(timestep=dt, chunk=chunk_steps * dt, seed=7, mode="realtime")
    ed.configure_live_io(board_address=board, ack_timeout=60.0)
    src = sim.Population(30, sim.SpikeSourcePoisson(rate=40.0), label="src")
    # with 32-bit keys the injector takes sPyNNaker's virtual_key (as spike_io.py does): the
    # client reads those keys from the database, and what it sends must land all the same
    extra = {"additional_parameters": {"virtual_key": 0x70000}} if full_keys else {}
    inj = sim.Population(30, ed.SpikeInjector(database_notify_port_num=port), label="inj", **extra)
    src.record("spikes")
    inj.record("spikes")
    ed.activate_live_output_for(src, database_notify_port_num=port)
    config = {
        "module": module,
        "port": port,
        "receive": ["src"],
        "send": ["inj"],
        "full_keys": full_keys,
        "init_sends": [[0, 1, 2], [3, 29]],
        "echo_from": "src",
        "echo_to": "inj",
        "runs": 2,
    }
    with ClientProcess(config) as client:
        sim.run(run_ms)
        sim.run(run_ms)
        report = client.result()
    end = round(2 * run_ms / dt)
    # every recorded spike of the live-output population arrived: same label, atom, step
    src_spikes = recorded_list(src, dt)
    got = [(a, s) for label, s, a in report["received"] if label == "src"]
    assert len(src_spikes) > 100
    assert sorted(got) == src_spikes
    # what the client sent before answering the notification lands at the run's first step
    inj_spikes = recorded(inj, dt)
    first = round(run_ms / dt)
    init = {(0, 0), (1, 0), (2, 0), (3, first), (29, first)}
    assert init <= inj_spikes
    # echoes land at the first step of a later chunk (those sent well before the end: all)
    by_atom: dict[int, list[int]] = {}
    for a, s in inj_spikes - init:
        by_atom.setdefault(a, []).append(s)
    for a, steps in by_atom.items():
        assert all(s % chunk_steps == 0 for s in steps), (a, steps)
    landed = 0
    for s, a in report["echoes"]:
        later = [t for t in by_atom.get(a, []) if t > s]
        if s < end - 1000:  # 100 ms of simulated (= wall-clock) time before the end
            assert later, f"echo of atom {a} seen at step {s} never landed"
        landed += bool(later)
    assert landed > 50
    # nothing in the injector's recording that nobody sent
    echoed = {a for _, a in report["echoes"]}
    assert {a for a, _ in inj_spikes - init} <= echoed
    stats = ed.live_io_statistics()
    assert stats.malformed == 0
    if full_keys:
        db = sqlite3.connect(ed._live._server().database_path)
        keys = db.execute(
            "SELECT atom, event FROM label_event_atom_view WHERE label = 'inj' ORDER BY atom"
        ).fetchall()
        db.close()
        assert keys == [(a, 0x70000 | a) for a in range(30)]
    assert stats.notifications == 2
    assert stats.acks == 2
    assert report["events"].count("start") == 2
    assert report["events"].count("stop") == 2


@pytest.mark.parametrize("kind", KINDS)
def test_poisson_rates_set_by_the_control_connection(network: Any, kind: str) -> None:
    module = require_client(kind)
    board, port = board_address(), free_udp_port()
    dt, run_ms = 0.1, 500.0
    sim.setup(timestep=dt, chunk=1.0, seed=3)
    ed.configure_live_io(board_address=board, ack_timeout=60.0)
    pois = sim.Population(100, sim.SpikeSourcePoisson(rate=0.0), label="noise")
    pois.record("spikes")
    ed.add_poisson_live_rate_control(pois, database_notify_port_num=port)
    config = {
        "module": module,
        "port": port,
        "poisson": "noise",
        "rates": [
            [[i, 200.0] for i in range(50)],
            [[i, 0.0] for i in range(50)] + [[i, 100.0] for i in range(50, 100)],
        ],
        "runs": 2,
    }
    with ClientProcess(config) as client:
        sim.run(run_ms)
        sim.run(run_ms)
        report = client.result()
    assert report["events"].count("stop") == 2
    first = counts_by_atom(pois, 0.0, run_ms)
    second = counts_by_atom(pois, run_ms, 2 * run_ms)
    # Poisson counts: 50 neurons x 200 Hz x 0.5 s = 5000 expected (sd ~ 71)
    assert abs(first[:50].sum() - 5000) < 5 * np.sqrt(5000)
    assert first[50:].sum() == 0
    assert second[:50].sum() == 0
    assert abs(second[50:].sum() - 2500) < 5 * np.sqrt(2500)
    assert ed.live_io_statistics().rates_in == 150


@pytest.mark.parametrize("kind", KINDS)
def test_client_that_starts_late_joins_the_running_network(network: Any, kind: str) -> None:
    module = require_client(kind)
    board, port = board_address(), free_udp_port()
    dt = 1.0
    sim.setup(timestep=dt, chunk=10.0, seed=5, mode="realtime")
    ed.configure_live_io(board_address=board, ack_timeout=0.2, renotify_s=0.3)
    src = sim.Population(20, sim.SpikeSourcePoisson(rate=50.0), label="src")
    src.record("spikes")
    ed.activate_live_output_for(src, database_notify_port_num=port)
    config = {"module": module, "port": port, "receive": ["src"], "runs": 1}
    clients: list[ClientProcess] = []

    def start_client_then_stop() -> None:
        # the network is already running (real time) when the client process starts
        try:
            deadline = time.monotonic() + 60
            while ed.live_io_statistics().notifications < 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.5)  # the notification found nobody; the network runs
            clients.append(ClientProcess(config))
            deadline = time.monotonic() + 120
            while ed.live_io_statistics().late_joins < 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(1.0)
        finally:
            ed.request_stop()

    starter = threading.Thread(target=start_client_then_stop)
    starter.start()
    ed.run_forever()
    starter.join()
    assert clients, "the client process did not start"
    with clients[0] as client:
        report = client.result()
    got = {(a, s) for _, s, a in report["received"]}
    spikes = recorded(src, dt)
    assert got, report
    extra = got - spikes
    assert not extra, (sorted(extra)[:10], len(extra), max(spikes)[1], sim.get_current_time())
    # from the first chunk after it joined, it got everything
    joined = (min(s for _, s in got) // 10 + 1) * 10
    assert joined > 0
    assert {(a, s) for a, s in spikes if s >= joined} <= got
    assert ed.live_io_statistics().late_joins == 1
    assert report["events"] == ["start", "stop"]
    assert sim.get_current_time() % 10.0 == 0  # stopped at a chunk boundary


EXAMPLE = ROOT / "examples" / "spinnaker_spike_io.py"


def run_example(*args: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, str(EXAMPLE), *args],
        capture_output=True,
        text=True,
        env=client_env(),
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report: dict[str, Any] = json.loads(proc.stdout.splitlines()[-1])
    return report


def test_spike_io_example_runs() -> None:
    board, port = board_address(), free_udp_port()
    report = run_example("--board", board, "--port", str(port))
    rec = report["recorded"]
    # the controller's two kicks landed at a chunk's first step (10 ms chunks)
    for name in ("forward", "backward"):
        (step, neuron), *more = rec[f"spike_injector_{name}"]
        assert not more
        assert step % 10 == 0
        assert [f"spike_injector_{name}", neuron] in report["sent"]
    # each ring went round, and the controller heard every spike it recorded
    heard = sorted((label, step, n) for label, step, n in report["heard"])
    expected = sorted(
        (label, step, n) for label in ("pop_forward", "pop_backward") for step, n in rec[label]
    )
    assert len(expected) > 100
    assert heard == expected
    assert report["statistics"] == 0


@pytest.mark.parametrize("kind", KINDS)
def test_run_forever_ends_by_request_stop_from_a_callback(kind: str) -> None:
    require_client(kind)
    board, port = board_address(), free_udp_port()
    report = run_example(
        "--forever",
        "--board",
        board,
        "--port",
        str(port),
        "--connections",
        kind,
        "--stop-after",
        "120",
    )
    rec = report["recorded"]
    heard = sorted((label, step, n) for label, step, n in report["heard"])
    expected = sorted(
        (label, step, n) for label in ("pop_forward", "pop_backward") for step, n in rec[label]
    )
    assert len(heard) >= 120
    # stopped at the end of the chunk in which the callback asked: at a chunk boundary,
    # soon after, and every spike up to there was sent
    assert report["time"] % 10 == 0
    assert report["time"] < 10_000
    assert heard == expected


READ_DATABASE = r"""
import json, sys
from spinn_front_end_common.utilities.database import DatabaseReader
with DatabaseReader(sys.argv[1]) as db:
    print(json.dumps({
        "job": db.get_job() is None,
        "runtime": db.get_configuration_parameter_value("runtime"),
        "timestep": db.get_configuration_parameter_value("machine_time_step"),
        "placements": db.get_placements("inj"),
        "ip": db.get_ip_address(*db.get_placements("inj")[0][:2]),
        "output": list(db.get_live_output_details("src", "LiveSpikeReceiver")),
        "src_keys": sorted(db.get_atom_id_to_key_mapping("src").items()),
        "control": db.get_placements("noise_control"),
        "control_keys": len(db.get_key_to_atom_id_mapping("noise_control")),
    }))
"""


def test_database_reads_with_spynnakers_reader(network: Any) -> None:
    require_client("spynnaker")
    board = board_address()
    sim.setup(timestep=0.5, chunk=5.0, seed=2)
    ed.configure_live_io(board_address=board)
    inj = sim.Population(300, ed.SpikeInjector(notify=False), label="inj")
    src = sim.Population(4, sim.SpikeSourceArray(spike_times=[[1.0]] * 4), label="src")
    noise = sim.Population(7, sim.SpikeSourcePoisson(rate=1.0), label="noise")
    ed.activate_live_output_for(src, host="127.0.0.1", port=17999, notify=False)
    ed.add_poisson_live_rate_control(noise, notify=False)
    sim.run(25.0)
    runtime = sim.state.runtime
    assert runtime is not None
    assert runtime.plan is not None
    path = ed._live._server().database_path
    assert path is not None
    proc = subprocess.run(
        [sys.executable, "-c", READ_DATABASE, path],
        capture_output=True,
        text=True,
        env=client_env(),
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout.splitlines()[-1])
    plan = runtime.plan
    cores = [plan.cores[c] for c in plan.pop_cores[inj._spec_id]]
    assert len(cores) > 1  # several cores: the first one is where spikes go
    assert got["placements"] == [[c.x, c.y, c.p] for c in cores]
    assert got["job"] is True
    assert (got["runtime"], got["timestep"]) == (25.0, 500.0)
    assert got["ip"] == board
    assert got["output"][:5] == ["127.0.0.1", 17999, 1, board, 1]
    src_core = plan.cores[plan.pop_cores[src._spec_id][0]]
    assert got["src_keys"] == [[a, src_core.key | a] for a in range(4)]
    noise_core = plan.cores[plan.pop_cores[noise._spec_id][0]]
    assert got["control"] == [[noise_core.x, noise_core.y, noise_core.p]]
    assert got["control_keys"] == 7
