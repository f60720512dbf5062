"""One network over K MPI processes (``mpirun -n K``): the same bits as one process.

Each test starts ``mpiexec -n K python -m tests.mpi_run CASE`` (tests/mpi_run.py: every rank
runs the same script, as a user's would) and compares what every rank saw with the same
case run here, in one process: spikes, sampled traces and STDP weights must be equal bit for
bit (docs/ENGINE.md, "Processes").  MPI comes from the ``mpi`` extra (mpi4py and MPICH's
wheel); CI installs it, and a missing MPI fails there instead of skipping.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from tests.engine import require_engine
from tests.mpi_run import (
    case_chunks,
    case_leader,
    case_pynn,
    case_q16,
    case_session,
    case_static,
    case_subscriber,
)

require_engine()

ROOT = Path(__file__).resolve().parent.parent
#: Longest a case may take under mpiexec (seconds): they take a few on 2 loaded cores.
LIMIT = 120


def _mpiexec() -> str:
    here = Path(sys.executable).parent / "mpiexec"
    found = str(here) if here.exists() else shutil.which("mpiexec")
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        found = None
    if found is None:
        why = "mpi4py or mpiexec is missing (pip install .[mpi])"
        if os.environ.get("CI") == "true":
            pytest.fail(f"MPI unavailable on CI: {why}", pytrace=False)
        pytest.skip(why)
    return found


def mpirun(
    n: int, *case: str, out: Path, timeout: float = LIMIT, **env_vars: str
) -> subprocess.CompletedProcess[str]:
    """Run a case of tests/mpi_run.py on ``n`` processes; returns the finished process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), **env_vars}
    for var in ("PMI_SIZE", "PMI_RANK", "OMPI_COMM_WORLD_SIZE"):  # not nested in a launcher
        env.pop(var, None)
    cmd = [_mpiexec(), "-n", str(n), sys.executable, "-m", "tests.mpi_run", *case, str(out)]
    return subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def ranks(n: int, *case: str, tmp_path: Path) -> list[dict[str, np.ndarray]]:
    out = tmp_path / "_".join(case)
    proc = mpirun(n, *case, out=out)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    files = [Path(f"{out}.{r}.npz") for r in range(n)]
    return [dict(np.load(f)) for f in files]


def failed(case: str, tmp_path: Path) -> str:
    """Run a case on 2 processes that must fail; return what they printed."""
    proc = mpirun(2, case, out=tmp_path / case)
    assert proc.returncode != 0
    return proc.stdout + proc.stderr


def same_bits(one: dict[str, Any], other: dict[str, Any], skip: tuple[str, ...] = ()) -> None:
    """Every array of ``one`` (but ``skip``) equals ``other``'s bit for bit."""
    a_all = {k.replace(" ", "_"): np.ascontiguousarray(v) for k, v in one.items()}
    b_all = {k.replace(" ", "_"): np.ascontiguousarray(v) for k, v in other.items()}
    a_all = {k: v for k, v in a_all.items() if k not in skip}
    b_all = {k: v for k, v in b_all.items() if k not in skip}
    assert set(a_all) == set(b_all), sorted(set(a_all) ^ set(b_all))[:10]
    for key, a in a_all.items():
        b = b_all[key]
        assert a.shape == b.shape, key
        assert a.dtype == b.dtype, key
        # bit for bit: float arrays compared as bytes (NaN == NaN, -0.0 != 0.0)
        assert_array_equal(
            a.view(np.uint8) if a.dtype.kind == "f" else a,
            b.view(np.uint8) if b.dtype.kind == "f" else b,
            err_msg=key,
        )


@pytest.fixture(scope="module")
def single_session() -> dict[str, Any]:
    return case_session(1)


def test_session_on_2_processes_same_bits_as_one_and_as_2_threads(
    single_session: dict[str, Any], tmp_path: Path
) -> None:
    one = single_session
    # the network exercises every path: each population fires, STDP moves the weights
    for label in ("exc", "inh", "izh", "noise", "inj"):
        assert sum(len(v) for k, v in one.items() if k.startswith(f"{label} spikes")) > 0
    assert np.nanstd(one["weights"]) > 0
    same_bits(one, case_session(2), skip=("owners",))
    k2 = ranks(2, "session", "1", tmp_path=tmp_path)
    for r, got in enumerate(k2):
        same_bits(one, got, skip=("owners",))
        # the cores are shared: each rank updates some neuron cores, sources on both
        parts = got["owners"]
        assert set((parts // 1).tolist()) == {0, 1}, (r, parts)


def test_one_process_under_mpirun_and_2_by_2_threads_same_bits(
    single_session: dict[str, Any], tmp_path: Path
) -> None:
    (k1,) = ranks(1, "session", "1", tmp_path=tmp_path)
    same_bits(single_session, k1, skip=("owners",))
    for got in ranks(2, "session", "2", tmp_path=tmp_path):
        same_bits(single_session, got, skip=("owners",))
        assert set(got["owners"].tolist()) == {0, 1, 2, 3}  # 2 ranks x 2 threads


@pytest.fixture(scope="module")
def single_static() -> dict[str, Any]:
    return case_static(1)


#: What differs from rank to rank in the ``static`` case: each rank's share of the rows.
STATIC_SHARE = ("held", "held_after", "owners")


@pytest.mark.parametrize(("k", "t"), [(1, 2), (2, 1), (2, 2), (3, 2)])
def test_static_network_each_rank_builds_only_its_own_targets_rows(
    single_static: dict[str, Any], k: int, t: int, tmp_path: Path
) -> None:
    one = single_static
    # the network: NativeRNG projections drawn (never stored), delays, Poisson drive
    assert one["drawn"].tolist() == [True, True, False]
    assert sum(len(v) for key, v in one.items() if key.startswith("noise spikes")) > 50
    assert sum(len(v) for key, v in one.items() if key.startswith("net spikes")) > 50
    synapses, words = one["held"]
    assert synapses == one["total"][0] == one["syn_in"].sum()  # one process: every synapse
    assert words > synapses
    got_all = [case_static(t)] if k == 1 else ranks(k, "static", str(t), tmp_path=tmp_path)
    held = np.array([got["held"] for got in got_all])
    for r, got in enumerate(got_all):
        same_bits(one, got, skip=STATIC_SHARE)  # spikes, v, weights: bit for bit
        # this rank held the synapses onto the neuron cores it computes, no other
        owners = got["owners"]
        mine = (owners // t == r) & (one["syn_in"] > 0)
        assert held[r][0] == one["syn_in"][mine].sum(), (r, held[r])
        assert_array_equal(got["held_after"], got["held"])  # a weight change rebuilt the same
        if k > 1:
            assert 0 < held[r][0] < synapses
    assert_array_equal(held.sum(axis=0), one["held"])  # together: the whole network, once
    # the neuron cores are spread over every part (rank * t + thread)
    parts = np.concatenate([g["owners"][one["syn_in"] > 0] for g in got_all])
    assert set(parts.tolist()) == set(range(k * t))


@pytest.mark.parametrize(("k", "t"), [(2, 1), (2, 2)])
def test_static_16_bit_weights_give_the_same_bits_over_processes(
    k: int, t: int, tmp_path: Path
) -> None:
    """weight_bits=16: each rank quantises its own targets' blocks as one process does."""
    one = case_q16(1)
    n_q16, n_half, _n_compact = one["n_q16"]
    assert n_q16 > 0
    assert n_half == 0
    assert one["word_bytes"] == 4.0
    assert sum(len(v) for key, v in one.items() if key.startswith("net spikes")) > 100
    got_all = ranks(k, "q16", str(t), tmp_path=tmp_path)
    for got in got_all:
        same_bits(one, got, skip=("held", "n_q16"))  # spikes, v: bit for bit
    # the ranks' rows together: the one process's, 16-bit blocks alike
    assert_array_equal(sum(g["held"] for g in got_all), one["held"])
    assert_array_equal(sum(g["n_q16"] for g in got_all), one["n_q16"])
    assert all(0 < g["held"][0] < one["held"][0] for g in got_all)


def test_pynn_script_under_mpirun_gathers_and_splits(tmp_path: Path) -> None:
    one = case_pynn(1)
    k2 = ranks(2, "pynn", "1", tmp_path=tmp_path)
    local = (
        "rank",
        "num_processes",
        "local_exc",
        "local_ids_flag",
        "local_view",
        "local_trains",
        "local_counts",
        "held",
    )
    assert one["num_processes"][0] == 1
    assert one["rank"][0] == 0
    assert len(one["local_exc"]) == 300  # one process: every cell is local
    for r, got in enumerate(k2):
        same_bits(one, got, skip=local)  # get_data(gather=True), get('v'), weights
        assert got["rank"][0] == r
        assert got["num_processes"][0] == 2
        # ID.local, local_cells, a view's local cells and gather=False agree
        assert_array_equal(np.flatnonzero(got["local_ids_flag"]), got["local_exc"])
        view = np.arange(10, 200, 3)
        assert_array_equal(got["local_view"], view[np.isin(view, got["local_exc"])])
        assert_array_equal(got["local_trains"], got["local_exc"])
        assert len(got["local_counts"]) == len(got["local_exc"])
    # the ranks share the cells: each has some, together all, none twice
    a, b = k2[0]["local_exc"], k2[1]["local_exc"]
    assert len(a)
    assert len(b)
    assert not np.intersect1d(a, b).size
    assert_array_equal(np.union1d(a, b), np.arange(300))
    # each rank built only the synapses onto its own cores, plastic ones (STDP, Tsodyks-
    # Markram, stochastic) and their state too: together the whole network, once
    held = np.array([got["held"] for got in k2])
    assert (held > 0).all(), held
    assert (held < one["held"]).all(), held
    assert_array_equal(held[:, [0, 2, 3]].sum(axis=0), one["held"][[0, 2, 3]])


def test_session_with_a_subscriber_on_rank_0(tmp_path: Path) -> None:
    one = case_subscriber()
    k2 = ranks(2, "subscriber", tmp_path=tmp_path)
    assert len(one["streamed_times"]) > 0
    same_bits(one, k2[0])  # rank 0's stream and recordings: those of one process
    assert "streamed_times" not in k2[1]  # rank 1 only ran
    same_bits(one, k2[1], skip=("streamed_times", "streamed_indices"))


def test_input_given_on_rank_0_alone_reaches_every_rank_at_its_step(tmp_path: Path) -> None:
    one = case_leader("all")
    for got in ranks(2, "leader", "rank0", tmp_path=tmp_path):
        same_bits(one, got)
    without = case_leader("none")  # the input mattered: without it, the spikes differ
    assert any(not np.array_equal(one[k], without[k]) for k in one)


def test_ranks_waiting_for_a_thinking_controller_leave_their_cores_free(tmp_path: Path) -> None:
    """Rank 0's controller thinks 0.75 s twice; rank 1 waits for its next run meanwhile.
    It used to busy-poll in MPI's broadcast all that time (1 CPU second per second), taking
    a core from the ranks that work where ranks outnumber cores."""
    one = case_leader("all")
    got = ranks(2, "leader", "rank0", "0.75", tmp_path=tmp_path)
    waited = float(got[1]["think_wall"][0])
    assert waited >= 1.5
    # the runs (30 ms of a small network) and the waits' polling: well under a third
    assert float(got[1]["think_cpu"][0]) < 0.3 * waited, (got[1]["think_cpu"], waited)
    for k in got:
        same_bits(one, k, skip=("think_cpu", "think_wall"))


def test_a_rank_polling_for_another_gives_it_the_core_between_polls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With more ranks than cores, a rank that polls for rank 0's go (idle_wait's first 20
    ms) may share a core with the rank it waits for.  Polling without a pause kept that rank
    off the core for the scheduler's time slice: two ranks on one core took 4-8 ms a
    closed-loop run of 1 ms of CUBA-4000 instead of 0.2 (benchmarks/RESULTS.md).  Each poll
    now yields the core (sched_yield), which costs a free core nothing."""
    from spinstream.board import _mpi

    class Request:  # completes at its 50th poll
        polls = 0

        def Test(self) -> bool:  # mpi4py's name
            self.polls += 1
            return self.polls >= 50

    yields: list[int] = []
    monkeypatch.setattr(_mpi.os, "sched_yield", lambda: yields.append(1))
    request = Request()
    assert _mpi.idle_wait(request)
    assert request.polls == 50
    assert len(yields) >= 48, len(yields)


def test_a_set_on_rank_0_alone_reaches_cells_rank_0_does_not_update(tmp_path: Path) -> None:
    """PyNN's own ``set`` does nothing on a rank without local cells: a controller on rank 0
    setting a population that lives on rank 1 was lost (the spikes were those without it)."""
    from tests.mpi_run import case_set_elsewhere

    one = case_set_elsewhere("all")
    got = ranks(2, "set_elsewhere", "rank0", tmp_path=tmp_path)
    assert int(got[0]["inh_local_on_0"][0]) == 0  # the case: rank 0 updates none of inh
    assert float(got[0]["inh_i_offset"][0]) == 2.0
    for g in got:
        same_bits(one, g, skip=("inh_local_on_0", "inh_i_offset"))
    without = case_set_elsewhere("none")
    assert any(not np.array_equal(one[k], without[k]) for k in without if "spikes" in k)


def test_zeromq_bridge_on_rank_0_streams_and_its_input_reaches_every_rank(
    tmp_path: Path,
) -> None:
    from tests.mpi_run import _bridge

    one = asyncio.run(_bridge())
    assert one["injected_at"][0] == 100  # the next chunk's first step
    k2 = ranks(2, "bridge", tmp_path=tmp_path)
    same_bits(one, k2[0])
    same_bits(one, k2[1], skip=("injected_at", "bridge_first_step"))


def test_structural_plasticity_over_two_processes_gives_the_same_synapses(
    tmp_path: Path,
) -> None:
    from tests.mpi_run import case_structural

    one = case_structural()
    assert one["stats1"][4] > 5  # formations: the topology changed while running
    for got in ranks(2, "structural", tmp_path=tmp_path):
        same_bits(one, got)


def test_neuromodulation_over_two_processes_gives_the_same_weights(tmp_path: Path) -> None:
    from tests.mpi_run import case_neuromodulation

    one = case_neuromodulation()
    assert len(one["stamps"]) > 200
    for got in ranks(2, "neuromodulation", tmp_path=tmp_path):
        same_bits(one, got)


def test_a_reload_after_input_on_rank_0_alone_takes_rank_0s_network(tmp_path: Path) -> None:
    from tests.mpi_run import case_reload

    one = case_reload("all")
    for got in ranks(2, "reload", "rank0", tmp_path=tmp_path):
        same_bits(one, got)
    without = case_reload("none")
    assert not np.array_equal(one["i_offset"], without["i_offset"])


def test_rank_0_input_before_input_of_every_rank_is_refused_clearly(tmp_path: Path) -> None:
    text = failed("order", tmp_path)
    assert "input every rank gives must come first" in text, text[-3000:]


def test_ranks_with_other_thread_counts_are_refused(tmp_path: Path) -> None:
    text = failed("threads", tmp_path)
    assert "the number of threads" in text, text[-3000:]
    assert "differs between rank 0 and rank 1" in text


def test_ranks_with_other_weight_widths_are_refused(tmp_path: Path) -> None:
    text = failed("weight_bits", tmp_path)
    assert "the weight width" in text, text[-3000:]
    assert "differs between rank 0 and rank 1" in text


def test_input_at_the_step_a_spike_history_grows_reaches_every_rank(tmp_path: Path) -> None:
    from tests.mpi_run import _grow

    one = asyncio.run(_grow(0))
    assert sum(len(v) for v in one.values()) > 0
    for got in ranks(2, "grow", tmp_path=tmp_path):
        same_bits(one, got)


def test_a_rank_failing_inside_a_session_stops_the_others(tmp_path: Path) -> None:
    start = time.monotonic()
    proc = mpirun(2, "session_die", out=tmp_path / "session_die", timeout=LIMIT)
    assert proc.returncode != 0
    assert time.monotonic() - start < 60  # aborted, not left waiting
    text = proc.stdout + proc.stderr
    assert "RuntimeError: rank 1 fails inside its session" in text, text[-3000:]
    assert "aborting all 2 MPI processes" in text


def test_ranks_may_run_different_chunks(tmp_path: Path) -> None:
    one = case_chunks()  # one process, 1 ms chunks
    for got in ranks(2, "chunks", tmp_path=tmp_path):  # rank 0: 1 ms, rank 1: 3.7 ms
        same_bits(one, got)


def test_ranks_whose_rows_give_different_shortest_delays_agree(tmp_path: Path) -> None:
    """Each rank builds only its own targets' rows (static synapses): rank 0's targets get
    input after 2 steps, rank 1's after 10.  The ranks must run one window (not abort in
    MPI_Allgather with messages of different sizes) and give one process's bits."""
    from tests.mpi_run import case_window_differ

    one = case_window_differ()
    assert int(one["window"]) == 2
    got = ranks(2, "window_differ", tmp_path=tmp_path)
    # a and b live on different ranks: each rank's own rows hold one of them
    assert sorted(set(got[0]["core_ranks"][1:].tolist())) == [0, 1]
    for g in got:
        assert int(g["window"]) == 2
        same_bits(one, g, skip=("core_ranks",))


@pytest.fixture(scope="module")
def single_microcircuit() -> dict[str, Any]:
    from tests.mpi_run import case_microcircuit

    return case_microcircuit(1)


@pytest.mark.parametrize(("k", "threads"), [(2, 1), (3, 1), (2, 2)])
def test_microcircuit_gives_the_same_spikes_over_processes_and_threads(
    single_microcircuit: dict[str, Any], k: int, threads: int, tmp_path: Path
) -> None:
    """The issue's target: the microcircuit's spikes for K = 1, 2, 3 and T = 1, 2."""
    one = single_microcircuit
    assert len(one) == 16  # 8 populations, each of which fires
    assert all(len(v) > 0 for key, v in one.items() if key.endswith("times"))
    for got in ranks(k, "microcircuit", str(threads), tmp_path=tmp_path):
        same_bits(one, got)


def test_a_rank_whose_pool_reads_the_boards_rows_keeps_them(tmp_path: Path) -> None:
    """Plastic synapses: every rank builds every row; the rank that computes the only
    neuron core reads the board's rows themselves (no copy), which must not be dropped."""
    from tests.mpi_run import case_one_core

    one = case_one_core()
    assert len(one["spikes"]) > 50
    assert np.std(one["weights"]) > 0  # STDP moved them
    for got in ranks(2, "one_core", tmp_path=tmp_path):
        same_bits(one, got)


RUNS = ((0, 200), (200, 450), (450, 500))


@pytest.mark.parametrize(("k", "threads"), [(2, 1), (2, 2), (3, 1)])
def test_windows_cross_processes_once_per_shortest_delay_same_bits(
    k: int, threads: int, tmp_path: Path
) -> None:
    """Spikes cross once per window of the shortest delay (10 steps), not once per step."""
    from tests.test_windows import session_run as window_run

    one, _, _ = asyncio.run(window_run(1, 1.0, limit=1, current=False))  # step by step
    for got in ranks(k, "window", str(threads), tmp_path=tmp_path):
        assert int(got["window"]) == 10
        # windows end where either rank's chunks (10 or 7 steps) end in each of the
        # session's runs (steps 0-200, 200-450, 450-500): 115 windows for 500 steps
        ends = {b for _, b in RUNS}
        for a, b in RUNS:
            for chunk in (10, 7):
                ends |= set(range(a + chunk, b, chunk))
        assert int(got["windows"]) == len(ends) == 115
        same_bits(one, got, skip=("window", "windows"))


@pytest.mark.parametrize(
    ("shm", "rank_bytes", "shared"),
    [("1", 64 + 2 * 128, True), ("0", 0, False)],
    ids=["segment of 128-byte buffers", "MPI_Allgather"],
)
def test_ranks_exchange_through_a_shared_segment_or_mpi_alike(
    shm: str, rank_bytes: int, shared: bool, tmp_path: Path
) -> None:
    """The ranks of one node exchange through a segment they share (the default), and
    through MPI_Allgather with SPINSTREAM_MPI_SHM=0; a segment whose buffers hold 32 words
    sends what does not fit through MPI_Allgatherv, every window.  The same bits each way."""
    from tests.test_windows import session_run as window_run

    one, _, _ = asyncio.run(window_run(1, 1.0, limit=1, current=False))
    out = tmp_path / f"segment_{shm}"
    proc = mpirun(2, "window_segment", "2", str(rank_bytes), out=out, SPINSTREAM_MPI_SHM=shm)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for r in range(2):
        got = dict(np.load(f"{out}.{r}.npz"))
        assert bool(got["shared"]) is shared
        assert int(got["window"]) == 10
        windows = int(got["windows"])
        through_segment, through_mpi = (int(x) for x in got["collectives"])
        if shared:  # every window's slot through the segment, what did not fit through MPI
            assert through_segment == windows > 0
            assert through_mpi > windows // 2
        else:
            assert through_segment == 0
            assert through_mpi >= windows > 0
        same_bits(one, got, skip=("window", "windows", "shared", "collectives"))


def test_a_bad_shared_segment_setting_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    from spinstream.board._mpi import shared_segment_wanted
    from spinstream.model import EngineError

    monkeypatch.setenv("SPINSTREAM_MPI_SHM", "yes")
    with pytest.raises(EngineError, match="SPINSTREAM_MPI_SHM must be 0 or 1, got 'yes'"):
        shared_segment_wanted()


@pytest.mark.parametrize("how", ["die", "kill"])
def test_a_rank_that_dies_stops_the_others(how: str, tmp_path: Path) -> None:
    start = time.monotonic()
    proc = mpirun(2, how, out=tmp_path / how, timeout=LIMIT)
    took = time.monotonic() - start
    assert proc.returncode != 0
    assert took < 60, took  # the others ran 1000 more runs otherwise: they were stopped
    text = proc.stdout + proc.stderr
    if how == "die":
        assert "spinstream: rank 1 of 2 failed (RuntimeError: rank 1 fails on purpose)" in text
        assert "RuntimeError: rank 1 fails on purpose" in text
    else:
        assert "Killed" in text or "signal 9" in text or "EXIT CODE: 9" in text
    assert not list(tmp_path.glob(f"{how}.*.npz"))  # no rank ran to the end


def test_input_given_on_another_rank_alone_stops_every_rank(tmp_path: Path) -> None:
    text = failed("diverge", tmp_path)
    # found where rank 0's next run starts (before any step runs with the other input)
    assert "rank 0 made the input calls [] and this rank ['set_parameters']" in text, text[-3000:]
    assert not list(tmp_path.glob("diverge.*.npz"))


def test_state_recorded_on_one_rank_only_stops_every_rank(tmp_path: Path) -> None:
    text = failed("record_one", tmp_path)
    assert "MPI processes diverged at step 50" in text, text[-3000:]
    assert "recorded other state variables" in text


@pytest.mark.parametrize("case", ["differ", "differ_drawn"])
def test_ranks_that_build_different_networks_are_refused(case: str, tmp_path: Path) -> None:
    text = failed(case, tmp_path)
    assert "projection" in text, text[-3000:]
    assert "differs between rank 0 and rank 1" in text, text[-3000:]


async def test_bridge_refuses_state_topics_when_the_board_spans_processes() -> None:
    """The bridge runs on rank 0: a state topic would record there alone; spikes flow."""
    from spinstream.bridge import serve
    from spinstream.client import AsyncClient, RemoteError
    from tests.fakes import FakeBoard
    from tests.test_bridge_support import make_runtime

    board = FakeBoard()
    board.processes = 2  # type: ignore[attr-defined]  # as HostBoard on rank 0 of 2
    rt = make_runtime(board=board)
    async with await serve(rt) as bridge, AsyncClient(bridge.endpoints.control) as c:
        stream = await c.subscribe("spikes/a/", lockstep=True)
        with pytest.raises(RemoteError, match="2 MPI processes") as err:
            await c.subscribe("state/a/v/")
        assert err.value.code == "conflict"
        run = asyncio.create_task(rt.run_steps(20))
        first = await stream.receive()
        assert first.first_step == 0
        await stream.receive()
        await run
    rt.close()


def test_a_collective_read_on_one_rank_times_out_with_a_clear_error(tmp_path: Path) -> None:
    start = time.monotonic()
    proc = mpirun(2, "timeout", out=tmp_path / "timeout", SPINSTREAM_MPI_TIMEOUT="2")
    assert proc.returncode != 0
    assert time.monotonic() - start < 40  # not rank 1's 60 s sleep
    text = proc.stdout + proc.stderr
    assert "get_state('v') waited 2 s for the other MPI processes" in text, text[-3000:]


def test_setup_again_and_again_under_mpirun(tmp_path: Path) -> None:
    one, two = ranks(2, "again", tmp_path=tmp_path)
    same_bits(one, two)
    assert len(one["exc_spikes_0"])
    same_bits({"a": one["exc_spikes_0"]}, {"a": one["exc_spikes_2"]})  # the same network


def test_under_a_launcher_without_mpi4py_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from spinstream.board import _mpi
    from spinstream.model import EngineError

    monkeypatch.setenv("PMI_SIZE", "4")
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # import fails
    with pytest.raises(EngineError, match=r"4 processes.*pip install spinstream\[mpi\]"):
        _mpi.world()


def test_a_comm_that_is_not_a_communicator_is_refused() -> None:
    from spinstream.board import HostBoard
    from spinstream.model import ParameterError

    with pytest.raises(ParameterError, match="comm must be an mpi4py communicator, got 'x'"):
        HostBoard(comm="x")
