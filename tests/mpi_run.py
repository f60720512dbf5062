"""Scripts that tests/test_mpi.py runs under ``mpirun -n K python -m tests.mpi_run CASE OUT``.

Every rank runs the same case, as a user's script would, and writes what it saw to
``OUT.<rank>.npz``; the test compares those files with the same case run in one process.
Cases:

- ``session T``: tests/test_threads.py's network (delays, STDP, Tsodyks-Markram, stochastic
  synapses, Poisson, spike arrays, noisy and DC currents, spikes injected mid-run) in a
  Session on T threads per process.
- ``pynn T``: the same network through ``spinstream.pyNN`` (``setup``/``run``/``reset``,
  ``get_data(gather=True)``, ``get_data(gather=False)``, ``rank()``, ``num_processes()``,
  ``local_cells``, ``get('v')``), with a change of weights and delays between runs.
- ``subscriber``: a Session whose rank 0 subscribes to a population's spikes while running.
- ``chunks``: the network in a Session whose chunks differ from rank to rank (1 ms on rank
  0, 3.7 ms on the others), recording ``v`` on every rank.
- ``record_one``: rank 0 alone records a state variable: the run stops on every rank.
- ``timeout``: rank 0 alone reads a state variable (a collective read) while rank 1 waits:
  rank 0 raises after ``SPINSTREAM_MPI_TIMEOUT`` seconds and aborts both.
- ``again``: ``setup()`` three times in one script (each network frees its communicator).
- ``leader``: rank 0 alone gives input between runs (spikes, a parameter, a current
  source, as a controller or a ZeroMQ client on rank 0 would): the other ranks take it at the
  same step.  ``leader all`` gives it on every rank (one process: the reference), ``leader
  none`` on none.  ``leader rank0 THINK``: rank 0 sleeps THINK seconds before each input
  (a controller that thinks); every rank reports the CPU seconds it used meanwhile.
- ``bridge``: rank 0 serves the ZeroMQ bridge; a client on rank 0 subscribes to spikes and
  injects spikes and sets Poisson rates between runs; every rank runs the same.
- ``structural``: tests/test_structural.py's network (structural plasticity with STDP and
  static mechanisms, several cores per population) in uneven runs: synapses, spikes and
  rewiring counters.
- ``neuromodulation``: tests/test_neuromodulation.py's recurrent network (dopamine-modulated
  STDP, reward and punishment from Poisson sources) on cores of 7 neurons: weights, spikes.
- ``reload MODE``: after a run rank 0 alone (``rank0``; every rank: ``all``; none:
  ``none``) sets a parameter and injects spikes; every rank then resets, adds a population
  and runs again (the network is loaded again: its description must be rank 0's).
- ``order``: rank 0 alone sets a parameter, then every rank sets it again: the other ranks
  cannot make rank 0's call first, and stop with an error saying so.
- ``threads``: rank 0 runs 2 threads, the others 1: refused at load.
- ``grow``: a Session whose rank 0 runs 0.1 ms chunks and injects a spike at the step where
  an STDP history fills (and grows), rank 1 runs 50 ms chunks.
- ``session_die``: rank 1 raises inside ``async with Session`` (which closes its board).
- ``static T``: a network whose synapses are all static (a NativeRNG-drawn projection with
  uniform delays, a NativeRNG fixed-total-number one, a NumpyRNG one, Poisson sources), on
  T threads per process, with a weight change between runs; each rank builds only its own
  targets' rows, and reports the synapses and row words it held.
- ``q16 T [CHUNK]``: a static network whose weights are drawn per synapse by a NativeRNG
  (excitatory ones positive, inhibitory ones negative: 16-bit blocks of both signs) with
  ``weight_bits=16``, on T threads per process, in chunks of CHUNK ms (default 10): spikes,
  ``v``, and the synapses this rank held in 16-bit (Q16) blocks.
- ``window T``: tests/test_windows.py's static network (shortest delay 1 ms: windows of 10
  steps, one exchange each) without current sources, on T threads per process, rank 0 in
  1 ms chunks and the others in 0.7 ms chunks (the ranks agree on every window), with
  spikes injected on every rank between runs; also the window and the windows run.
- ``microcircuit T``: tests/test_microcircuit.py's microcircuit (1,543 neurons, 0.6 M
  synapses drawn with a NativeRNG, Poisson background) for 250 ms on T threads per
  process: every population's spikes.
- ``window_differ``: static synapses whose shortest delay differs between the targets of
  rank 0 (2 steps) and rank 1 (10 steps): each rank's own rows give another window.
- ``one_core``: an STDP projection from 200 Poisson sources onto one core of 200 neurons:
  the rank that computes that core holds every row's targets (its pool reads the board's
  rows, which must then stay); spikes and weights.
- ``die``: rank 1 raises after its first run; the others go on running (and must be stopped).
- ``kill``: rank 1 is killed (SIGKILL) after its first run.
- ``diverge``: rank 1 alone changes a parameter between runs: the next run stops on every
  rank, naming the step.
- ``differ``: the ranks draw their connections from unseeded generators (another network on
  each rank): loading must refuse it on every rank.  ``differ_drawn``: the same with a
  NativeRNG seeded by the rank (a drawn projection, compared by the digest taken when the
  PyNN layer first drew it).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import resource
import signal
import sys
import time
from typing import Any

import numpy as np

import spinstream
import spinstream.pyNN as sim
from benchmarks.cuba_spec import CELL as CUBA_CELL
from tests.test_threads import build, outcome, session_run


def _rank() -> int:
    from spinstream.board import mpi_processes

    return mpi_processes()[0]


def case_session(threads: int) -> dict[str, Any]:
    result, owners = asyncio.run(session_run(threads))
    return {**result, "owners": owners}


def case_pynn(threads: int) -> dict[str, Any]:
    sim.setup(timestep=0.1, seed=9, threads=threads)
    try:
        net = build(sim)
        exc = net["pops"][0]
        out: dict[str, Any] = {
            "rank": np.array([sim.rank()]),
            "num_processes": np.array([sim.num_processes()]),
        }
        sim.run(15.0)
        net["inj"].inject_spikes([0, 5])
        net["arr"].set(weight=0.5, delay=1.5)
        sim.run(15.0)
        out["v_now"] = exc.current_values["v"]
        out["local_exc"] = np.array([int(i) - int(exc.first_id) for i in exc.local_cells])
        out["local_ids_flag"] = np.array([bool(c.local) for c in exc.all_cells])
        view = exc[10:200:3]
        out["local_view"] = np.array([int(i) - int(exc.first_id) for i in view.local_cells])
        seg = exc.get_data("spikes", gather=False).segments[-1]
        out["local_trains"] = np.array(
            [int(st.annotations["source_index"]) for st in seg.spiketrains]
        )
        out["local_counts"] = np.array(sorted(exc.get_spike_counts(gather=False)))
        board = sim.state.runtime.board  # type: ignore[attr-defined]
        stats = board.plastic_statistics()
        out["held"] = np.array([*board.held_synapses(), stats.synapses, stats.stdp_synapses])
        sim.reset()
        sim.run(12.0)
        out.update(outcome(net))
        return out
    finally:
        sim.end()


async def _subscriber() -> dict[str, Any]:
    async with spinstream.Session(timestep=0.1, chunk=2.0, seed=5) as s:
        net = build(s)
        exc = net["pops"][0]
        got: list[tuple[np.ndarray, np.ndarray]] = []

        async def listen(stream: Any) -> None:
            async for batch in stream:
                got.append((np.asarray(batch.times), np.asarray(batch.indices)))

        if _rank() == 0:  # a subscriber on rank 0 only; the other ranks just run
            async with exc.stream("spikes") as stream:
                task = asyncio.create_task(listen(stream))
                await s.run(30.0)
            await task
        else:
            await s.run(30.0)
        out = outcome(net)
        if got:
            out["streamed_times"] = np.concatenate([t for t, _ in got])
            out["streamed_indices"] = np.concatenate([i for _, i in got])
        return out


def case_subscriber() -> dict[str, Any]:
    return asyncio.run(_subscriber())


async def _chunks() -> dict[str, Any]:
    chunk = 1.0 if _rank() == 0 else 3.7
    async with spinstream.Session(timestep=0.1, chunk=chunk, seed=5) as s:
        net = build(s)
        await s.run(30.0)
        return outcome(net)


def case_chunks() -> dict[str, Any]:
    return asyncio.run(_chunks())


def case_window(threads: int) -> dict[str, Any]:
    out = case_window_segment(threads, 0)
    return {k: v for k, v in out.items() if k not in ("shared", "collectives")}


def case_window_segment(threads: int, rank_bytes: int) -> dict[str, Any]:
    """``window`` with each rank's region of the shared segment ``rank_bytes`` (0: as is)."""
    from spinstream.board import _mpi
    from tests.test_windows import session_run as window_run

    if rank_bytes:
        _mpi.SEGMENT_RANK_BYTES = rank_bytes
    chunk = 1.0 if _rank() == 0 else 0.7
    board: dict[str, Any] = {}
    result, window, windows = asyncio.run(
        window_run(threads, chunk, current=False, board_out=board)
    )
    return {
        **result,
        "window": np.array(window),
        "windows": np.array(windows),
        "shared": np.array(board["shared_segment"]),
        "collectives": np.array(board["collectives"]),
    }


def case_microcircuit(threads: int) -> dict[str, Any]:
    from tests.test_microcircuit import _run as run_microcircuit

    _, spikes, _ = run_microcircuit(threads)
    out: dict[str, Any] = {}
    for name, (times, cells) in spikes.items():
        out[f"{name} times"] = times
        out[f"{name} cells"] = cells
    return out


def case_window_differ() -> dict[str, Any]:
    """Static synapses only: each rank builds its own targets' rows; ``a``'s inputs arrive
    after 2 steps at the soonest, ``b``'s after 10, and the two are on different ranks."""
    from tests.test_windows import outcome as window_outcome

    sim.setup(timestep=0.1, seed=3)
    try:
        src = sim.Population(20, sim.SpikeSourcePoisson(rate=300.0), label="src")
        a = sim.Population(50, sim.IF_curr_exp(), label="a")
        b = sim.Population(50, sim.IF_curr_exp(), label="b")
        syn = sim.StaticSynapse
        sim.Projection(src, a, sim.AllToAllConnector(), syn(weight=0.5, delay=0.2))
        sim.Projection(src, b, sim.AllToAllConnector(), syn(weight=0.5, delay=1.0))
        sim.Projection(a, b, sim.AllToAllConnector(), syn(weight=0.1, delay=1.0))
        sim.Projection(b, a, sim.AllToAllConnector(), syn(weight=0.1, delay=1.0))
        a.record(["spikes", "v"])
        b.record("spikes")
        sim.run(20.0)
        board = sim.state.runtime.board  # type: ignore[attr-defined]
        return {
            "window": np.array(board.window),
            "core_ranks": np.asarray(board.core_ranks()),
            **window_outcome((a, b)),
        }
    finally:
        sim.end()


def case_one_core() -> dict[str, Any]:
    sim.setup(timestep=0.1, seed=4)
    try:
        src = sim.Population(200, sim.SpikeSourcePoisson(rate=20.0), label="src")
        post = sim.Population(200, sim.IF_curr_exp(), label="post")
        stdp = sim.STDPMechanism(
            timing_dependence=sim.SpikePairRule(),
            weight_dependence=sim.AdditiveWeightDependence(w_max=0.2),
            weight=0.05,
            delay=1.0,
        )
        proj = sim.Projection(src, post, sim.AllToAllConnector(), stdp)
        post.record("spikes")
        sim.run(50.0)
        sim.run(50.0)
        trains = post.get_data().segments[-1].spiketrains
        return {
            "spikes": np.concatenate([np.asarray(st.magnitude) for st in trains]),
            "weights": np.asarray(proj.get("weight", format="array")),
        }
    finally:
        sim.end()


def case_record_one() -> dict[str, Any]:
    sim.setup(timestep=0.1, seed=9)
    net = build(sim)
    sim.run(5.0)
    if sim.rank() == 0:
        net["pops"][2].record("v")
    sim.run(5.0)
    return {}


def case_timeout() -> dict[str, Any]:
    import time

    sim.setup(timestep=0.1, seed=9)
    net = build(sim)
    sim.run(2.0)
    if sim.rank() == 0:
        net["pops"][0].current_values  # noqa: B018 - every rank must read it
    else:
        time.sleep(60)
    return {}


def case_again() -> dict[str, Any]:
    out = {}
    for k in range(3):
        sim.setup(timestep=0.1, seed=9)
        net = build(sim)
        sim.run(15.0)
        trains = net["pops"][0].get_data().segments[-1].spiketrains
        out[f"exc spikes {k}"] = np.concatenate([np.asarray(st.magnitude) for st in trains])
        sim.end()
    return out


def case_leader(mode: str, think: float = 0.0) -> dict[str, Any]:
    sim.setup(timestep=0.1, seed=9)
    net = build(sim)
    exc, inh = net["pops"][0], net["pops"][1]
    gives = mode == "all" or (mode == "rank0" and sim.rank() == 0)
    sim.run(10.0)
    cpu0, wall0 = _cpu_seconds(), time.perf_counter()
    if gives:
        time.sleep(think)
        net["inj"].inject_spikes([0, 3, 5])
        inh.set(i_offset=0.4)
    sim.run(10.0)
    if gives:
        time.sleep(think)
        exc[0:50].set(tau_m=12.0)
        net["inj"].inject_spikes([1], times=[27.5])
    sim.run(10.0)
    result = outcome(net)
    if think > 0:  # CPU seconds this rank used while rank 0 thought, and the wall time
        result["think_cpu"] = np.array([_cpu_seconds() - cpu0])
        result["think_wall"] = np.array([time.perf_counter() - wall0])
    return result


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def case_set_elsewhere(mode: str) -> dict[str, Any]:
    """Rank 0 alone (``rank0``; ``all``: every rank, one process; ``none``: nobody) sets
    ``i_offset`` of a population whose cells rank 0 updates none of (the last one)."""
    sim.setup(timestep=0.1, seed=9)
    try:
        rng = sim.NumpyRNG(seed=11)
        exc = sim.Population(300, sim.IF_curr_exp(tau_refrac=2.0, i_offset=2.0), label="exc")
        inh = sim.Population(100, sim.IF_cond_exp(tau_refrac=1.0), label="inh")
        for p in (exc, inh):
            p.set_max_atoms_per_core(64)
            p.record("spikes")
        conn = sim.FixedProbabilityConnector
        sim.Projection(exc, exc, conn(0.05, rng=rng), sim.StaticSynapse(weight=0.12, delay=1.0))
        sim.Projection(exc, inh, conn(0.1, rng=rng), sim.StaticSynapse(weight=0.004, delay=1.0))
        sim.Projection(
            inh,
            exc,
            conn(0.1, rng=rng),
            sim.StaticSynapse(weight=0.3, delay=1.0),
            receptor_type="inhibitory",
        )
        sim.run(10.0)
        out = {"inh_local_on_0": np.array([inh.local_size if sim.rank() == 0 else -1])}
        if mode == "all" or (mode == "rank0" and sim.rank() == 0):
            inh.set(i_offset=2.0)
            out["inh_i_offset"] = np.array([inh.get("i_offset")])
        sim.run(10.0)
        for p in (exc, inh):
            for k, st in enumerate(p.get_data().segments[-1].spiketrains):
                out[f"{p.label} spikes {k}"] = np.asarray(st.magnitude)
        return out
    finally:
        sim.end()


async def _bridge() -> dict[str, Any]:
    from spinstream.client import AsyncClient

    async with spinstream.Session(timestep=0.1, chunk=1.0, seed=5) as s:
        net = build(s)
        out: dict[str, Any] = {}
        if _rank() == 0:
            endpoints = await s.serve()
            async with AsyncClient(endpoints.control) as c:
                stream = await c.subscribe("spikes/exc/")
                await s.run(10.0)
                out["injected_at"] = np.array([await c.inject_spikes("inj", [0, 3, 5])])
                await c.set_rates("noise", 50.0)
                await s.run(10.0)
                first = await stream.receive()
                out["bridge_first_step"] = np.array([first.first_step])
        else:
            await s.run(10.0)
            await s.run(10.0)
        return {**outcome(net), **out}


def case_structural() -> dict[str, Any]:
    from tests.test_structural import run_network

    p1, p2, spikes, s1, s2 = run_network(
        threads=1, pieces=[37.0, 50.0, 33.0], chunk=3.0, stdp=True
    )
    return {
        "p1": np.array(p1, dtype=np.float64),
        "p2": np.array(p2, dtype=np.float64),
        "spikes": np.array(spikes),
        "stats1": np.array(dataclasses.astuple(s1)),
        "stats2": np.array(dataclasses.astuple(s2)),
    }


def case_neuromodulation() -> dict[str, Any]:
    from spinstream.board import HostBoard
    from tests.fakes import trivial_plan
    from tests.test_neuromodulation import recurrent_spec

    spec = recurrent_spec()
    board = HostBoard()
    board.load(spec, trivial_plan(spec, atoms_per_core=7))
    board.set_recording(1, "spikes", np.arange(30))
    stamps, ids = [], []
    for n in (1500, 1000, 1500):
        res = board.run(n)
        stamps.append(res.spikes[1][0])
        ids.append(res.spikes[1][1])
    out = {"stamps": np.concatenate(stamps), "ids": np.concatenate(ids)}
    for p in (0, 1):
        out[f"w{p}"] = board.get_weights(p)
    board.close()
    return out


def case_reload(mode: str) -> dict[str, Any]:
    sim.setup(timestep=0.1, seed=9)
    try:
        net = build(sim)
        exc = net["pops"][0]
        sim.run(10.0)
        if mode == "all" or (mode == "rank0" and sim.rank() == 0):
            exc[0:40].set(i_offset=0.6)
            net["inj"].inject_spikes([0, 2])
        sim.run(5.0)
        sim.reset()
        extra = sim.Population(20, sim.IF_curr_exp(i_offset=1.5), label="extra")
        sim.Projection(extra, exc, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.3))
        sim.run(12.0)
        out = outcome(net)
        out["i_offset"] = np.asarray(exc.get("i_offset", gather=True), dtype=np.float64)
        return out
    finally:
        sim.end()


def _drive_and_record(pop: Any, noise: Any) -> Any:
    """Poisson noise onto ``pop`` (one weight and delay); record spikes and some v."""
    drive = sim.Projection(
        noise,
        pop,
        sim.FixedProbabilityConnector(0.1, rng=sim.NumpyRNG(seed=5)),
        sim.StaticSynapse(weight=0.3, delay=1.3),
        receptor_type="excitatory",
    )
    pop.record("spikes")
    pop[::150].record("v")
    noise.record("spikes")
    return drive


def case_static(threads: int) -> dict[str, Any]:
    """See the module docstring (``static T``)."""
    from spinstream.model import DrawnProjectionSpec

    sim.setup(timestep=0.1, min_delay=0.1, max_delay=10.0, threads=threads, seed=11)
    try:
        rng = sim.NativeRNG()
        # 3 blocks of 1024 targets per drawn projection: a rank skips its others' blocks
        pop = sim.Population(2100, sim.IF_curr_exp(**CUBA_CELL), label="net")
        pop.set_max_atoms_per_core(128)
        pop.initialize(v=sim.RandomDistribution("uniform", (-60.0, -50.0), rng=sim.NumpyRNG(3)))
        noise = sim.Population(80, sim.SpikeSourcePoisson(rate=40.0), label="noise")
        noise.set_max_atoms_per_core(32)
        exc, inh = pop[:1680], pop[1680:]
        delay = sim.RandomDistribution("uniform", (0.1, 2.0), rng=rng)
        e = sim.Projection(
            exc,
            pop,
            sim.FixedProbabilityConnector(0.02, rng=rng),
            sim.StaticSynapse(weight=0.08, delay=delay),
            receptor_type="excitatory",
        )
        i = sim.Projection(
            inh,
            pop,
            sim.FixedTotalNumberConnector(4000, with_replacement=True, rng=rng),
            sim.StaticSynapse(weight=-0.4, delay=0.2),
            receptor_type="inhibitory",
        )
        drive = _drive_and_record(pop, noise)
        sim.run(40.0)
        board = sim.state.runtime.board
        spec = sim.state.runtime.spec
        drawn = [isinstance(p, DrawnProjectionSpec) and p.is_drawn for p in spec.projections]
        held = board.held_synapses()
        from spinstream.board._share import count_synapses_in

        syn_in = count_synapses_in(spec, board._core_gid0, board._core_n, board._pop_base)
        out: dict[str, Any] = {
            "syn_in": syn_in,
            # what the board counted without drawing (drawn projections' in-degrees)
            "share_syn_in": syn_in if board._share is None else board._share.syn_in,
            "held": np.array(held, np.int64),
            "total": np.array([len(e) + len(i) + len(drive)], np.int64),
            "drawn": np.array(drawn),
            "owners": board.core_threads(),
        }
        drive.set(weight=0.45)  # the rows rebuilt: each rank its own targets' again
        e.set(weight=0.09)  # a drawn projection becomes a stored one
        sim.run(30.0)
        out["held_after"] = np.array(board.held_synapses(), np.int64)
        out["e_weights"] = np.asarray(e.get("weight", format="array"))
        out.update(outcome({"pops": [pop, noise], "plastic": None}))
        return out
    finally:
        sim.end()


def case_q16(threads: int, chunk: float = 10.0, weight_bits: int = 16) -> dict[str, Any]:
    """See the module docstring (``q16 T [CHUNK]``)."""
    sim.setup(
        timestep=0.1,
        min_delay=0.1,
        max_delay=10.0,
        threads=threads,
        seed=11,
        chunk=chunk,
        weight_bits=weight_bits,
    )
    try:
        rng = sim.NativeRNG()
        pop = sim.Population(1200, sim.IF_curr_exp(**CUBA_CELL), label="net")
        pop.set_max_atoms_per_core(128)  # 16-bit words hold posts < 256
        pop.initialize(v=sim.RandomDistribution("uniform", (-60.0, -50.0), rng=sim.NumpyRNG(3)))
        noise = sim.Population(80, sim.SpikeSourcePoisson(rate=40.0), label="noise")
        noise.set_max_atoms_per_core(32)
        exc, inh = pop[:1024], pop[1024:]  # 8 cores of excitatory sources, then inhibitory
        delay = sim.RandomDistribution("uniform", (0.1, 2.0), rng=rng)
        sim.Projection(
            exc,
            pop,
            sim.FixedProbabilityConnector(0.05, rng=rng),
            sim.StaticSynapse(
                weight=sim.RandomDistribution("uniform", (0.04, 0.14), rng=rng), delay=delay
            ),
            receptor_type="excitatory",
        )
        w_inh = sim.RandomDistribution("normal_clipped", (-0.4, 0.1, -np.inf, 0.0), rng=rng)
        sim.Projection(
            inh,
            pop,
            sim.FixedProbabilityConnector(0.1, rng=rng),
            sim.StaticSynapse(weight=w_inh, delay=0.2),
            receptor_type="inhibitory",
        )
        _drive_and_record(pop, noise)  # one weight: compact blocks, which stay compact
        sim.run(30.0)
        sim.run(20.0)
        board = sim.state.runtime.board
        blocks = board.synapses
        out: dict[str, Any] = {
            "held": np.array(board.held_synapses(), np.int64),
            "n_q16": np.array([blocks.n_q16, blocks.n_half, blocks.n_compact], np.int64),
            "word_bytes": np.array(blocks.word_bytes),
        }
        out.update(outcome({"pops": [pop, noise], "plastic": None}))
        return out
    finally:
        sim.end()


def case_order() -> dict[str, Any]:
    sim.setup(timestep=0.1, seed=9)
    net = build(sim)
    exc = net["pops"][0]
    sim.run(5.0)
    if sim.rank() == 0:
        exc.set(i_offset=2.0)  # rank 0 alone, then every rank
    exc.set(i_offset=0.3)
    sim.run(5.0)
    return {}


def case_threads() -> dict[str, Any]:
    sim.setup(timestep=0.1, seed=9, threads=2 if _rank() == 0 else 1)
    build(sim)
    sim.run(1.0)
    return {}


def case_weight_bits() -> dict[str, Any]:
    sim.setup(timestep=0.1, seed=9, weight_bits=16 if _rank() == 0 else 32)
    build(sim)
    sim.run(1.0)
    return {}


async def _grow(rank: int) -> dict[str, Any]:
    async with spinstream.Session(timestep=0.1, chunk=0.1 if rank == 0 else 50.0, seed=5) as s:
        pre = s.Population(4, s.SpikeSourceArray(spike_times=[[0.5]] * 4), label="pre")
        inj = s.Population(1, s.SpikeInjector(), label="inj")
        posts = []
        for k in range(4):
            post = s.Population(8, s.IF_curr_exp(tau_refrac=0.1, i_offset=50.0), label=f"p{k}")
            stdp = s.STDPMechanism(
                timing_dependence=s.SpikePairRule(
                    tau_plus=20.0, tau_minus=20.0, A_plus=0.01, A_minus=0.01
                ),
                weight_dependence=s.AdditiveWeightDependence(w_min=0.0, w_max=1.0),
                weight=0.1,
                delay=14.0,
            )
            s.Projection(pre, post, s.AllToAllConnector(), stdp)
            s.Projection(
                inj,
                post,
                s.AllToAllConnector(),
                s.StaticSynapse(weight=-20.0, delay=1.0),
                receptor_type="inhibitory",
            )
            post.record("spikes")
            posts.append(post)
        if rank == 0:  # a controller: one step at a time, a spike at step 79
            for i in range(100):
                await s.run(0.1)
                if i == 78:
                    inj.inject_spikes([0])
        else:
            await s.run(10.0)
        out: dict[str, Any] = {}
        for k, post in enumerate(posts):
            trains = post.get_data().segments[-1].spiketrains
            out[f"p{k}"] = np.concatenate([np.asarray(t, dtype=np.float64) for t in trains])
        return out


def case_session_die() -> dict[str, Any]:
    async def go() -> None:
        async with spinstream.Session(timestep=0.1, chunk=1.0, seed=5) as s:
            p = s.Population(100, s.IF_curr_exp(i_offset=1.0), label="p")
            p.set_max_atoms_per_core(20)
            await s.run(5.0)
            if _rank() == 1:
                raise RuntimeError("rank 1 fails inside its session")
            for _ in range(1000):  # the others would wait for rank 1 in the next exchange
                await s.run(5.0)

    asyncio.run(go())
    return {}


def case_die(how: str) -> dict[str, Any]:
    sim.setup(timestep=0.1, seed=9)
    net = build(sim)
    sim.run(5.0)
    if sim.rank() == 1:
        if how == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        raise RuntimeError("rank 1 fails on purpose")
    for _ in range(1000):  # the others would wait for rank 1 in the next exchange
        sim.run(5.0)
    return outcome(net)


def case_differ() -> dict[str, Any]:
    sim.setup(timestep=0.1, seed=9)
    a = sim.Population(50, sim.IF_curr_exp(), label="a")
    sim.Projection(
        a, a, sim.FixedProbabilityConnector(0.2, rng=sim.NumpyRNG()), sim.StaticSynapse()
    )
    sim.run(1.0)
    return {}


def case_differ_drawn() -> dict[str, Any]:
    sim.setup(timestep=0.1, seed=9)
    a = sim.Population(50, sim.IF_curr_exp(), label="a")
    rng = sim.NativeRNG(seed=sim.rank())  # another seed on each rank
    sim.Projection(a, a, sim.FixedProbabilityConnector(0.2, rng=rng), sim.StaticSynapse())
    sim.run(1.0)
    return {}


def case_diverge() -> dict[str, Any]:
    sim.setup(timestep=0.1, seed=9)
    net = build(sim)
    sim.run(5.0)
    if sim.rank() == 1:
        net["pops"][0].set(i_offset=0.3)
    sim.run(5.0)
    return {}


def main(argv: list[str]) -> None:
    case, out = argv[0], argv[-1]
    if case == "session":
        result = case_session(int(argv[1]))
    elif case == "static":
        result = case_static(int(argv[1]))
    elif case == "q16":
        result = case_q16(int(argv[1]), *(float(x) for x in argv[2:-1]))
    elif case == "pynn":
        result = case_pynn(int(argv[1]))
    elif case == "subscriber":
        result = case_subscriber()
    elif case == "leader":
        result = case_leader(argv[1], float(argv[2]) if len(argv) > 3 else 0.0)
    elif case == "set_elsewhere":
        result = case_set_elsewhere(argv[1])
    elif case == "bridge":
        result = asyncio.run(_bridge())
    elif case == "structural":
        result = case_structural()
    elif case == "neuromodulation":
        result = case_neuromodulation()
    elif case == "reload":
        result = case_reload(argv[1])
    elif case == "order":
        result = case_order()
    elif case == "threads":
        result = case_threads()
    elif case == "weight_bits":
        result = case_weight_bits()
    elif case == "grow":
        result = asyncio.run(_grow(_rank()))
    elif case == "session_die":
        result = case_session_die()
    elif case == "timeout":
        result = case_timeout()
    elif case == "again":
        result = case_again()
    elif case == "window_differ":
        result = case_window_differ()
    elif case == "window":
        result = case_window(int(argv[1]))
    elif case == "window_segment":
        result = case_window_segment(int(argv[1]), int(argv[2]))
    elif case == "microcircuit":
        result = case_microcircuit(int(argv[1]))
    elif case == "one_core":
        result = case_one_core()
    elif case == "chunks":
        result = case_chunks()
    elif case == "record_one":
        result = case_record_one()
    elif case == "diverge":
        result = case_diverge()
    elif case == "differ":
        result = case_differ()
    elif case == "differ_drawn":
        result = case_differ_drawn()
    elif case in ("die", "kill"):
        result = case_die(case)
    else:
        raise SystemExit(f"unknown case {case!r}")
    np.savez(f"{out}.{_rank()}.npz", **{k.replace(" ", "_"): v for k, v in result.items()})


if __name__ == "__main__":
    main(sys.argv[1:])
