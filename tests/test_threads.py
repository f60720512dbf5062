"""The C engine on several threads: the same spikes, traces and weights, bit for bit.

``threads`` only changes which thread updates each core and adds into its delay rings; each
core receives its inputs in one order whatever the number of threads, and every generator
belongs to one core (docs/ENGINE.md, "Threads").  So T = 1, 2, 3 must agree exactly on
networks that exercise every path: static synapses with delays drawn at random (compact
and wide rows), STDP, Tsodyks-Markram, stochastic release, Poisson sources (several spikes
per step), spike arrays, noisy and DC current sources, and spikes injected while running.
"""

from __future__ import annotations

import asyncio
import gc
import os
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spinstream
import spinstream.pyNN as sim
from spinstream.model import EngineError, ParameterError
from tests.engine import require_engine

HostBoard = require_engine()


def build(s: Any) -> dict[str, Any]:
    """A random network of several cores per population (max 64 neurons per core)."""
    rng = s.NumpyRNG(seed=11)
    delays = s.RandomDistribution("uniform", (0.1, 3.0), rng=rng)
    exc = s.Population(300, s.IF_curr_exp(tau_refrac=2.0, i_offset=0.2), label="exc")
    inh = s.Population(100, s.IF_cond_exp(tau_refrac=1.0), label="inh")
    izh = s.Population(40, s.Izhikevich(), label="izh")
    noise = s.Population(80, s.SpikeSourcePoisson(rate=400.0), label="noise")
    arr = s.Population(10, s.SpikeSourceArray(spike_times=[[1.0, 5.0, 5.0, 22.3]] * 10))
    inj = s.Population(10, s.SpikeInjector(), label="inj")
    for p in (exc, inh, izh, noise):
        p.set_max_atoms_per_core(64)
    conn = s.FixedProbabilityConnector
    s.Projection(exc, exc, conn(0.05, rng=rng), s.StaticSynapse(weight=0.12, delay=delays))
    s.Projection(exc, inh, conn(0.1, rng=rng), s.StaticSynapse(weight=0.004, delay=delays))
    s.Projection(
        inh,
        exc,
        conn(0.1, rng=rng),
        s.StaticSynapse(weight=s.RandomDistribution("uniform", (0.1, 0.5), rng=rng), delay=delays),
        receptor_type="inhibitory",
    )
    stdp = s.STDPMechanism(
        timing_dependence=s.SpikePairRule(
            tau_plus=20.0, tau_minus=20.0, A_plus=0.02, A_minus=0.021
        ),
        weight_dependence=s.AdditiveWeightDependence(w_min=0.0, w_max=0.6),
        weight=s.RandomDistribution("uniform", (0.1, 0.5), rng=rng),
        delay=delays,
    )
    plastic = s.Projection(noise, exc, conn(0.1, rng=rng), stdp)
    s.Projection(
        noise, inh, conn(0.1, rng=rng), s.TsodyksMarkramSynapse(U=0.5, tau_rec=50.0, weight=0.01)
    )
    s.Projection(
        exc, izh, conn(0.2, rng=rng), s.SimpleStochasticSynapse(p=0.5, weight=3.0, delay=delays)
    )
    arr_exc = s.Projection(arr, exc, s.AllToAllConnector(), s.StaticSynapse(weight=0.3, delay=0.5))
    s.Projection(inj, inh, s.AllToAllConnector(), s.StaticSynapse(weight=0.02, delay=1.0))
    exc.inject(s.NoisyCurrentSource(mean=0.2, stdev=0.3, dt=0.5))
    izh.inject(s.DCSource(amplitude=0.004, start=5.0))
    for p in (exc, inh, izh, noise, inj):
        p.record("spikes")
    exc.record("v")
    inh.record("gsyn_exc")
    return {"pops": (exc, inh, izh, noise, inj), "plastic": plastic, "inj": inj, "arr": arr_exc}


def outcome(net: dict[str, Any]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for p in net["pops"]:
        seg = p.get_data().segments[-1]
        for k, st in enumerate(seg.spiketrains):
            out[f"{p.label} spikes {k}"] = np.asarray(st.magnitude)
        for sig in seg.analogsignals:
            out[f"{p.label} {sig.name}"] = np.asarray(sig.magnitude)
    if net["plastic"] is not None:
        out["weights"] = np.asarray(net["plastic"].get("weight", format="array"))
    return out


async def session_run(threads: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    async with spinstream.Session(timestep=0.1, chunk=1.0, seed=5, threads=threads) as s:
        net = build(s)
        await s.run(20.0)
        net["inj"].inject_spikes(np.arange(10))  # the next chunk
        net["inj"].inject_spikes([1, 3], times=[27.0, 33.5])
        await s.run(25.0)
        net["inj"].inject_spikes([2, 4, 6])
        await s.run(5.0)
        board = s.runtime.board
        assert isinstance(board, HostBoard)
        assert board.threads == threads
        return outcome(net), board.core_threads()


def same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert_array_equal(a[key], b[key], err_msg=key, strict=True)


def test_sessions_on_1_2_3_threads_give_the_same_bits() -> None:
    results = {t: asyncio.run(session_run(t)) for t in (1, 2, 3)}
    one, owners1 = results[1]
    # the network does what it should test: everything fires, the weights learn
    for label in ("exc", "inh", "izh", "noise", "inj"):
        assert sum(len(v) for k, v in one.items() if k.startswith(f"{label} spikes")) > 0, label
    w = one["weights"]
    assert np.nanstd(w) > 0
    assert np.nanmax(w) > 0.5  # STDP moved weights up towards w_max = 0.6
    assert set(owners1.tolist()) == {0}
    for t in (2, 3):
        result, owners = results[t]
        assert set(owners.tolist()) == set(range(t)), owners  # every thread has cores
        same(one, result)


def pynn_run(threads: int) -> dict[str, np.ndarray]:
    sim.setup(timestep=0.1, seed=9, threads=threads)
    try:
        net = build(sim)
        sim.run(15.0)
        net["inj"].inject_spikes([0, 5])
        # new weights and delays between runs: the rows are rebuilt and split again
        net["arr"].set(weight=0.5, delay=1.5)
        sim.run(15.0)
        sim.reset()  # after a reset, the same network again: the threads restart cleanly
        sim.run(12.0)
        return outcome(net)
    finally:
        sim.end()


def test_pynn_setup_threads_same_bits_with_reset() -> None:
    one = pynn_run(1)
    assert len(one["exc spikes 0"]) + len(one["exc spikes 1"]) > 0
    same(one, pynn_run(2))
    same(one, pynn_run(3))


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True, 5000])
def test_bad_thread_counts_are_refused(bad: object) -> None:
    with pytest.raises((ParameterError, ValueError), match="threads"):
        HostBoard(threads=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="threads"):
        spinstream.Session(threads=bad)  # type: ignore[arg-type]


def test_threads_with_a_board_of_another_count_is_refused() -> None:
    with pytest.raises(ValueError, match="give the board its threads"):
        spinstream.Session(threads=2, board=HostBoard(threads=1))
    s = spinstream.Session(threads=2, board=HostBoard(threads=2))
    s.end()


def _threads_alive() -> int:
    return len(os.listdir("/proc/self/task"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs Linux's /proc")
def test_boards_that_close_or_go_stop_their_threads() -> None:
    """Every load starts T - 1 workers; close(), a reload or the board's end joins them."""
    sim.setup(timestep=0.1, seed=1, threads=3)
    pops = [sim.Population(100, sim.IF_curr_exp(i_offset=1.0)) for _ in range(3)]
    for p in pops:
        p.set_max_atoms_per_core(50)
    sim.run(1.0)
    before = _threads_alive()
    for _ in range(5):  # each setup() ends the previous network and its threads
        sim.setup(timestep=0.1, seed=1, threads=3)
        pops = [sim.Population(100, sim.IF_curr_exp(i_offset=1.0)) for _ in range(3)]
        sim.run(1.0)
    sim.end()
    gc.collect()
    assert _threads_alive() <= before - 2  # the last network's two workers are gone too


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_is_told_to_reload_instead_of_hanging() -> None:
    board = HostBoard(threads=2)
    spec, plan = _two_core_network()
    board.load(spec, plan)
    board.run(5)
    pid = os.fork()
    if pid == 0:  # the child: no worker threads came along
        try:
            board.run(5)
            code = 1
        except EngineError as err:
            code = 0 if "forked child" in str(err) else 2
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    board.run(5)  # the parent's threads still work
    assert board.step == 10


def _two_core_network() -> tuple[Any, Any]:
    from spinstream.mapping import map_network
    from spinstream.model import NetworkSpec, PopulationSpec

    params = {"i_offset": np.full(100, 1.0)}
    base = dict(
        v_rest=-65.0,
        cm=1.0,
        tau_m=20.0,
        tau_refrac=2.0,
        tau_syn_E=5.0,
        tau_syn_I=5.0,
        v_reset=-70.0,
        v_thresh=-50.0,
    )
    params.update({k: np.full(100, v) for k, v in base.items()})
    pop = PopulationSpec(
        0, "p", 100, "IF_curr_exp", params, {"v": np.full(100, -65.0)}, max_atoms_per_core=50
    )
    spec = NetworkSpec(dt=0.1, seed=1, populations=[pop], projections=[])
    return spec, map_network(spec)


def current_only_run(threads: int) -> dict[str, np.ndarray]:
    """Neurons driven by current sources alone (no source cores: phase 1 is skipped)."""
    sim.setup(timestep=0.1, seed=4, threads=threads)
    try:
        rng = sim.NumpyRNG(seed=8)
        a = sim.Population(200, sim.IF_curr_exp(tau_refrac=2.0), label="a")
        a.set_max_atoms_per_core(40)
        a.inject(sim.NoisyCurrentSource(mean=1.2, stdev=0.5, dt=0.1))
        a[:100].inject(sim.StepCurrentSource(times=[5.0, 10.0], amplitudes=[0.5, 0.0]))
        delays = sim.RandomDistribution("uniform", (0.1, 2.0), rng=rng)
        sim.Projection(
            a,
            a,
            sim.FixedProbabilityConnector(0.1, rng=rng),
            sim.StaticSynapse(weight=0.2, delay=delays),
        )
        a.record(["spikes", "v"])
        for _ in range(4):  # runs of uneven length: the first step of each applies currents
            sim.run(7.3)
        return outcome({"pops": (a,), "plastic": None})
    finally:
        sim.end()


def test_current_sources_without_source_cores_same_bits() -> None:
    one = current_only_run(1)
    assert sum(len(v) for k, v in one.items() if "spikes" in k) > 100
    same(one, current_only_run(3))


def every_model_run(threads: int) -> dict[str, np.ndarray]:
    """Every neuron model of the engine's registry, on three cores each, driven alike."""
    from spinstream.board import _engine as E

    sim.setup(timestep=0.1, seed=6, threads=threads)
    try:
        rng = sim.NumpyRNG(seed=21)
        noise = sim.Population(40, sim.SpikeSourcePoisson(rate=600.0), label="noise")
        pops = [noise]
        for name in E.model_names():
            d = E.layout(name)
            if d.is_source:
                continue
            if d.is_composed:  # PointNeuron(neuron, two receptors of its response)
                neuron, response = d.composition.split("+")
                cell = sim.PointNeuron(
                    getattr(sim, neuron)(),
                    excitatory=getattr(sim, response)(),
                    inhibitory=getattr(sim, response)(),
                )
            else:
                cell = getattr(sim, name)()
            pop = sim.Population(60, cell, label=name)
            pop.set_max_atoms_per_core(20)
            conductance = "cond" in name.lower() or "HH" in name
            w = sim.RandomDistribution(
                "uniform", (0.002, 0.02) if conductance else (0.2, 2.0), rng=rng
            )
            delays = sim.RandomDistribution("uniform", (0.1, 2.0), rng=rng)
            conn = sim.FixedProbabilityConnector
            sim.Projection(
                noise,
                pop,
                conn(0.5, rng=rng),
                sim.StaticSynapse(weight=w, delay=delays),
                receptor_type="excitatory",
            )
            sim.Projection(
                pop,
                pop,
                conn(0.2, rng=rng),
                sim.StaticSynapse(weight=w, delay=delays),
                receptor_type="inhibitory",
            )
            pop.inject(sim.NoisyCurrentSource(mean=0.3, stdev=0.3, dt=0.5))
            pop.record("all")
            pops.append(pop)
        sim.run(30.0)
        return outcome({"pops": pops, "plastic": None})
    finally:
        sim.end()


def test_every_model_of_the_registry_same_bits_on_1_and_3_threads() -> None:
    # model kernels run on the thread that owns their core: no shared mutable state allowed
    one = every_model_run(1)
    traces = [k for k in one if k.endswith(" v")]
    assert len(traces) >= 10  # the registry's neuron models all ran
    for key in traces:
        assert np.ptp(one[key]) > 0, key  # inputs reached every model
    same(one, every_model_run(3))
