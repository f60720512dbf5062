"""Plastic weights over ZeroMQ: the ``weights/<projection>/`` topic on a real STDP network."""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import threading
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spinstream
import spinstream.pyNN as pynn_sim
from spinstream.bridge import serve
from spinstream.bridge._weights import WeightCatalog
from spinstream.client import AsyncClient, Client, RemoteError, weight_topic
from spinstream.model import NetworkSpec, STDPSpec, TsodyksMarkramSpec
from tests.engine import require_engine
from tests.fakes import neurons, one_to_one
from tests.test_bridge_processes import Peer
from tests.test_bridge_support import make_runtime
from tests.test_plasticity_session import build

HostBoard = require_engine()

RULE = {"tau_plus": 20.0, "tau_minus": 20.0, "A_plus": 0.02, "A_minus": 0.021}


def weights_now(proj: Any) -> np.ndarray:
    return np.array(proj.get("weight", format="list", with_address=False))


def assembly_stdp(sim: Any) -> Any:
    """STDP from an assembly of two Poisson populations: two specs, interleaved in the list."""
    rng = sim.NumpyRNG(seed=8)
    a = sim.Population(10, sim.SpikeSourcePoisson(rate=50.0), label="a")
    b = sim.Population(15, sim.SpikeSourcePoisson(rate=30.0), label="b")
    post = sim.Population(12, sim.IF_curr_exp(tau_refrac=2.0, v_thresh=-55.0), label="post")
    rule = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(**RULE),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=2.0),
        weight=sim.RandomDistribution("uniform", (0.5, 1.5), rng=rng),
        delay=1.0,
    )
    return sim.Projection(
        a + b, post, sim.FixedProbabilityConnector(0.6, rng=rng), rule, label="a+b to post"
    )


# ---------------------------------------------------------------------- describe
async def test_describe_lists_the_plastic_projections_and_their_topics() -> None:
    async with spinstream.Session(timestep=0.1, chunk=1.0, seed=11) as sim:
        plastic, static = build(sim)
        ep = await sim.serve()
        async with AsyncClient(ep.control) as c:
            d = await c.describe()
            assert d["projections"] == [
                {
                    "name": plastic.label,
                    "label": plastic.label,
                    "pre": plastic.pre.label,
                    "post": plastic.post.label,
                    "n_synapses": len(plastic),
                    "rule": "stdp",
                    "topic": weight_topic(plastic.label),
                }
            ]
            assert d["projections"][0]["topic"].startswith("weights/population")
            assert d["buffers"]["weights"] == 1
            later = assembly_stdp(sim)  # the catalog follows the network
            d = await c.describe()
        assert [p["label"] for p in d["projections"]] == [plastic.label, "a+b to post"]
        assert d["projections"][1]["topic"] == "weights/a%2Bb%20to%20post/"
        assert d["projections"][1]["n_synapses"] == len(later)
        assert static.label not in {p["label"] for p in d["projections"]}


# ---------------------------------------------------------------------- lock-step
@pytest.mark.parametrize("pre", ["population", "assembly"])
async def test_weights_over_zeromq_equal_proj_get_at_the_same_steps(pre: str) -> None:
    """Chunks of 2 ms, a snapshot every 1 ms: mid-chunk rows match the in-process stream,
    the last row of each chunk matches ``proj.get`` read while the gate holds the run."""
    async with spinstream.Session(timestep=0.1, chunk=2.0, seed=11, mode="lockstep") as sim:
        proj = build(sim)[0] if pre == "population" else assembly_stdp(sim)
        if pre == "assembly":
            assert len(proj._parts) == 2  # two specs, positions interleaved
            assert not np.array_equal(proj._parts[0][1], np.arange(len(proj._parts[0][1])))
        local = proj.stream("weight", every=1.0, maxlen=1000)
        ep = await sim.serve()
        initial = weights_now(proj)
        async with AsyncClient(ep.control) as c:
            stream = await c.subscribe(weight_topic(proj.label), lockstep=True, every=1.0)
            run = asyncio.create_task(sim.run(40.0))
            got = []
            while not got or got[-1].last_step < 399:
                m = await stream.receive()  # the gate now holds the session after this chunk
                assert sim.runtime.step == m.last_step + 1
                assert m.stamps[-1] == m.last_step + 1
                assert_array_equal(m.values[-1], weights_now(proj))
                got.append(m)
            await run
    assert [m.seq for m in got] == list(range(20))
    assert sum(m.lost + m.dropped for m in got) == 0
    first = got[0]
    assert (first.kind, first.variable, first.source) == ("weights", "weight", proj.label)
    assert first.header["interval_steps"] == 10
    assert first.header["frames"][1] == {
        "name": "values",
        "dtype": "<f8",
        "shape": [3, len(proj)],
    }
    assert_array_equal(first.stamps, [0, 10, 20])
    assert_array_equal(first.values[0], initial)
    stamps = np.concatenate([m.stamps for m in got])
    assert_array_equal(stamps, np.arange(0, 401, 10))
    values = np.concatenate([m.values for m in got])
    batches = [local.receive_nowait() for _ in range(len(local))]
    assert_array_equal(values, np.concatenate([b.values for b in batches]))
    assert np.abs(values[-1] - values[0]).max() > 1e-3  # the weights did change


# ---------------------------------------------------------------------- refusals
async def test_a_static_projection_has_no_weight_topic() -> None:
    async with spinstream.Session(timestep=0.1, chunk=1.0, seed=11) as sim:
        plastic, static = build(sim)
        ep = await sim.serve()
        bridge = sim.bridges[0]
        topic = weight_topic(static.label)
        async with AsyncClient(ep.control) as c:
            with pytest.raises(RemoteError, match="static") as err:
                await c.subscribe(topic)
            assert err.value.code == "unknown_topic"
            assert "STDPMechanism" in err.value.message
            assert static.label in err.value.message
            with pytest.raises(RemoteError, match="no topic 'weights/nothing/'"):
                await c.subscribe("weights/nothing/")
            with pytest.raises(ValueError, match="static"):
                bridge.publish([topic])
            with pytest.raises(ValueError, match="whole multiple of the time step"):
                await c.subscribe(weight_topic(plastic.label), every=0.25)
            assert (await c.describe())["topics_on"] == []


def test_default_catalog_groups_specs_by_label_and_explains_refusals() -> None:
    stdp = STDPSpec(w_min=0.0, w_max=2.0, **RULE)
    unlabelled = dataclasses.replace(neurons(1, 3), label="")
    spec = NetworkSpec(dt=0.1, seed=1, populations=[neurons(0, 4), unlabelled])
    spec.projections = [
        dataclasses.replace(one_to_one(0, 0, 0, 4, 1.0), label="x", plasticity=stdp),
        dataclasses.replace(one_to_one(1, 1, 0, 3, 1.0), label="y"),
        dataclasses.replace(one_to_one(2, 1, 0, 2, 1.0), label="x", plasticity=stdp),
        dataclasses.replace(
            one_to_one(3, 0, 0, 4, 1.0), label="tm", plasticity=TsodyksMarkramSpec(0.5, 100.0, 0.0)
        ),
    ]
    cat = WeightCatalog(spec)
    (x,) = cat.plastic()
    assert (x.name, x.pre, x.post, x.size) == ("x", "pop0+population1", "pop0", 6)
    assert x.topic == "weights/x/"
    assert [(sid, pos.tolist()) for sid, pos in x.parts] == [(0, [0, 1, 2, 3]), (2, [4, 5])]
    assert "static" in cat.topics["weights/y/"].refusal()
    assert "short-term plasticity" in cat.topics["weights/tm/"].refusal()


async def test_a_board_that_cannot_read_weights_serves_no_weight_topic() -> None:
    rt = make_runtime()  # the fake board
    stdp = STDPSpec(w_min=0.0, w_max=2.0, **RULE)
    rt.add_projection(
        dataclasses.replace(one_to_one(1, 0, 2, 4, 1.0), label="learn", plasticity=stdp)
    )
    async with await serve(rt) as bridge, AsyncClient(bridge.endpoints.control) as c:
        assert [p["topic"] for p in (await c.describe())["projections"]] == ["weights/learn/"]
        with pytest.raises(RemoteError, match=r"\(FakeBoard\) cannot read synaptic weights"):
            await c.subscribe("weights/learn/")
    rt.close()


# ---------------------------------------------------------------------- other clients
async def test_published_by_the_server_every_half_ms_to_a_blocking_client() -> None:
    async with spinstream.Session(timestep=0.1, chunk=1.0, seed=11, mode="lockstep") as sim:
        plastic, _ = build(sim)
        topic = weight_topic(plastic.label)
        ep = await sim.serve(publish=[topic], every=0.5)
        ready = threading.Event()

        def client() -> list[Any]:
            with Client(ep.control) as c, c.subscribe(topic, lockstep=True) as stream:
                ready.set()
                with pytest.raises(RemoteError, match="already published every 5 steps"):
                    c.subscribe(topic, every=1.0)
                return [stream.receive(timeout=20) for _ in range(10)]

        worker = asyncio.ensure_future(asyncio.to_thread(client))
        await asyncio.to_thread(ready.wait, 20)
        await sim.run(10.0)
        got = await worker
        final = weights_now(plastic)
    assert [m.header["interval_steps"] for m in got] == [5] * 10
    assert_array_equal(np.concatenate([m.stamps for m in got]), np.arange(0, 101, 5))
    assert isinstance(got[-1].values, np.ndarray)
    assert got[-1].values.dtype == np.float64
    assert_array_equal(got[-1].values[-1], final)


def test_the_blocking_api_serves_weights() -> None:
    pynn_sim.setup(timestep=0.1, chunk=1.0, seed=11, mode="lockstep")
    try:
        plastic, _ = build(pynn_sim)
        ep = pynn_sim.serve()
        box: dict[str, Any] = {}
        ready = threading.Event()

        def client() -> None:
            with Client(ep.control) as c:
                stream = c.subscribe(weight_topic(plastic.label), lockstep=True, every=2.0)
                ready.set()
                box["got"] = [stream.receive(timeout=20) for _ in range(10)]

        t = threading.Thread(target=client)
        t.start()
        assert ready.wait(20)
        pynn_sim.run(6.0)  # two runs: the stream carries over
        pynn_sim.run(4.0)
        t.join(20)
        final = weights_now(plastic)
    finally:
        pynn_sim.end()
    got = box["got"]
    assert_array_equal(np.concatenate([m.stamps for m in got]), np.arange(0, 101, 20))
    assert_array_equal(got[-1].values[-1], final)


async def test_tap_summarises_weight_topics() -> None:
    async with spinstream.Session(timestep=0.1, chunk=1.0, seed=11, mode="lockstep") as sim:
        plastic, _ = build(sim)
        ep = await sim.serve()
        tap = Peer(
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "spinstream",
                "tap",
                ep.control,
                "--weights",
                "--every",
                "1.0",
                "--json",
                "--lockstep",
                "--interval",
                "0",
                "--until-step",
                "199",
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        )
        try:
            first = await tap.line()
            topic = weight_topic(plastic.label)
            assert topic in first["topics"]
            assert len(first["topics"]) == 3  # --weights adds to the spikes of every population
            await sim.run(20.0)
            end = await tap.until("end")
            assert await tap.finish() == 0
        finally:
            tap.kill()
            await tap.proc.wait()
        final = weights_now(plastic)
    t = end["topics"][topic]
    assert (t["messages"], t["samples"], t["last_step"], t["gaps"]) == (20, 21, 199, 0)
    w = t["weights"]
    assert (w["stamp"], w["n_synapses"]) == (200, len(plastic))
    assert w["mean"] == pytest.approx(final.mean(), rel=1e-12)
    assert (w["min"], w["max"]) == (final.min(), final.max())
