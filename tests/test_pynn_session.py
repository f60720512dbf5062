"""spinstream.Session: the PyNN API on the async runtime, streams and live input."""

from __future__ import annotations

import asyncio
import contextlib

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spinstream
import spinstream.pyNN as sim
from tests.reference import ReferenceBoard, trivial_plan


def session(**kw):
    kw.setdefault("board", ReferenceBoard())
    return spinstream.Session(timestep=0.1, chunk=1.0, seed=1, mapper=trivial_plan, **kw)


async def test_issue_example_closed_loop():
    async with session(mode="fast") as s:
        out = s.Population(20, s.IF_curr_exp(), label="out")
        inj = s.Population(5, s.SpikeInjector(), label="in")
        s.Projection(inj, out, s.AllToAllConnector(), s.StaticSynapse(weight=2.0, delay=1.0))
        out.record(["spikes", "v"])
        seen = []

        async def controller():
            async with out[0:10].stream("spikes") as spikes:
                async for batch in spikes:
                    seen.append(batch)
                    if abs(batch.t_start - 5.0) < 1e-9:
                        inj.inject_spikes([0, 1, 2, 3, 4])

        task = asyncio.create_task(controller())
        await asyncio.sleep(0)
        assert await s.run(20.0) == pytest.approx(20.0)
        task.cancel()
        assert s.time == pytest.approx(20.0)
        fired = [b for b in seen if len(b.indices)]
        assert fired, "the injected spikes made no output spike"
        assert all(0 <= i < 10 for b in fired for i in b.indices)
        block = out.get_data()
        recorded = sum(len(st) for st in block.segments[0].spiketrains[:10])
        assert recorded == sum(len(b.indices) for b in seen) > 0
        assert block.segments[0].analogsignals[0].shape == (201, 20)
        stats = s.statistics()
        assert stats.chunks == 20
        assert stats.steps == 200


async def test_state_stream_of_an_assembly_and_sampling_interval():
    async with session() as s:
        a = s.Population(2, s.IF_curr_exp(i_offset=0.5), label="a")
        b = s.Population(3, s.IF_cond_exp(), label="b")
        batches = []

        async def watch():
            async with (a + b).stream("v", sampling_interval=0.5, maxlen=100) as st:
                async for batch in st:
                    batches.append(batch)

        task = asyncio.create_task(watch())
        await asyncio.sleep(0)
        await s.run(3.0)
        await asyncio.sleep(0)
        task.cancel()
        values = np.vstack([bt.values for bt in batches])
        assert values.shape[1] == 5
        times = np.concatenate([bt.times for bt in batches])
        assert_array_equal(np.diff(times).round(9), 0.5)
        with pytest.raises(ValueError, match=r"multiple of the time step"):
            a.stream("v", sampling_interval=0.15)
        with pytest.raises(Exception, match=r"cannot record"):
            a.stream("w")


async def test_parameters_and_currents_change_while_running():
    async with session(mode="lockstep") as s:
        p = s.Population(1, s.IF_curr_exp(), label="p")
        p.record("v")
        dc = s.DCSource(amplitude=0.0)
        p.inject(dc)

        async def drive():
            async with p.stream("v", lockstep=True) as st:
                async for batch in st:
                    if abs(batch.t_stop - 2.0) < 1e-9:
                        dc.amplitude = 1.0
                    if abs(batch.t_stop - 4.0) < 1e-9:
                        p.set(i_offset=-1.0)

        task = asyncio.create_task(drive())
        await asyncio.sleep(0)
        await s.run(6.0)
        task.cancel()
        v = p.get_data().segments[0].analogsignals[0].magnitude[:, 0]
        assert np.all(v[:21] == -65.0)
        assert v[40] > v[21]
        assert v[60] < v[41]


async def test_sessions_are_independent_networks():
    async with session() as s1, session() as s2:
        p1 = s1.Population(2, s1.IF_curr_exp(), label="one")
        p2 = s2.Population(3, s2.IF_curr_exp(), label="two")
        with pytest.raises(sim.StaleObjectError, match=r"another network"):
            s2.Projection(p1, p2, s2.AllToAllConnector())
        assert len(s1.runtime.spec.populations) == 1
        await s1.run(1.0)
        assert s2.time == 0.0
        assert s1.get_current_time() == pytest.approx(1.0)


async def test_objects_of_two_sessions_never_mix():
    """Every combination of two sessions' objects raises StaleObjectError, changing nothing."""
    async with session() as s1, session() as s2:
        a = s1.Population(2, s1.IF_curr_exp(), label="a")
        b = s2.Population(3, s2.IF_curr_exp(i_offset=1.0), label="b")
        own = s1.Assembly(a, label="own")
        mixes = {
            "pop + pop": lambda: a + b,
            "view + view": lambda: a[0:1] + b[1:2],
            "Assembly(a, b)": lambda: s1.Assembly(a, b),
            "assembly + pop": lambda: own + b,
            "assembly += pop": lambda: own.__iadd__(b),
            "assembly += assembly": lambda: own.__iadd__(s2.Assembly(b)),
        }
        for what, mix in mixes.items():
            with pytest.raises(sim.StaleObjectError, match=r"another network"):
                mix()
            assert own.populations == [a], what
        dc = sim.DCSource(amplitude=1.0)
        a.inject(dc)
        with pytest.raises(sim.StaleObjectError, match=r"another network"):
            b.inject(dc)
        with pytest.raises(sim.StaleObjectError, match=r"another network"):
            await s2.serve(views=[a[0:1]])
        assert s2.bridges == []
        assert len(s1.runtime.spec.current_sources) == 1
        assert len(s2.runtime.spec.current_sources) == 0
        a.record("spikes")
        await s1.run(2.0)
        assert [len(st) for st in a.get_data().segments[0].spiketrains] == [0, 0]


async def test_a_closed_session_and_its_runtime_are_freed():
    """Nothing keeps a closed session's runtime, board and recordings once its objects go."""
    import gc
    import weakref

    async def closed_session() -> tuple[weakref.ref, weakref.ref, int]:
        async with session() as s:
            p = s.Population(20, s.IF_curr_exp(i_offset=1.0), label="p")
            q = s.Population(20, s.IF_curr_exp(), label="q")
            s.Projection(p, q, s.OneToOneConnector(), s.StaticSynapse(weight=0.5))
            both = p + q[2:5]
            both.record(["spikes", "v"])
            cell = p[3]
            async with both.stream("spikes") as stream:
                await s.run(5.0)
                assert len(stream) > 0
            await s.run(5.0)
            runtime, board = weakref.ref(s.runtime), weakref.ref(s.runtime.board)
        n = len(both.get_data().segments[0].spiketrains)  # data outlive the session
        assert cell.parent is p
        return runtime, board, n

    runtime, board, n = await closed_session()
    assert n == 23
    gc.collect()
    assert runtime() is None
    assert board() is None


def test_setup_and_end_free_the_previous_network():
    import gc
    import weakref

    refs = []
    for _ in range(3):
        sim.setup(timestep=0.1, board=ReferenceBoard(), mapper=trivial_plan)
        p = sim.Population(10, sim.IF_curr_exp(i_offset=1.0), label="p")
        p.record("v")
        sim.run(2.0)
        refs.append(weakref.ref(sim.state.runtime))
        sim.end()
        del p
    gc.collect()
    assert [r() is None for r in refs] == [True, True, False]  # the last: until setup()


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
async def test_non_finite_times_are_refused_by_name(bad: float) -> None:
    with pytest.raises(ValueError, match=r"chunk .* must be a finite"):
        spinstream.Session(timestep=0.1, chunk=bad)
    with pytest.raises(ValueError, match=r"timestep must be a finite"):
        spinstream.Session(timestep=bad)
    async with session() as s:
        s.Population(2, s.IF_curr_exp(), label="p")
        with pytest.raises(ValueError, match=r"run time must be finite, got"):
            await s.run(bad)
        with pytest.raises(ValueError, match=r"run time must be finite, got"):
            await s.run_until(bad)
        assert await s.run(1.0) == pytest.approx(1.0)  # still usable


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_run_times_of_the_blocking_api(bad: float) -> None:
    sim.setup(timestep=0.1, board=ReferenceBoard(), mapper=trivial_plan)
    try:
        sim.Population(2, sim.IF_curr_exp())
        with pytest.raises(ValueError, match=r"run time must be finite, got"):
            sim.run(bad)
        assert sim.run(1.0) == pytest.approx(1.0)
    finally:
        sim.end()


async def test_a_closed_sessions_population_is_stale_but_keeps_its_data():
    async with session() as s:
        p = s.Population(3, s.IF_curr_exp(i_offset=1.0), label="p")
        inj = s.Population(2, s.SpikeInjector(), label="inj")
        proj = s.Projection(inj, p, s.OneToOneConnector(), s.StaticSynapse(weight=0.5))
        p.record("v")
        await s.run(2.0)
    changes = {
        "set": lambda: p.set(tau_m=3.0),
        "get": lambda: p.get("tau_m"),
        "initialize": lambda: p.initialize(v=-60.0),
        "record": lambda: p.record("spikes"),
        "record(None)": lambda: p.record(None),
        "view record": lambda: p[0:2].record("spikes"),
        "stream": lambda: p.stream("v"),
        "inject_spikes": lambda: inj.inject_spikes([0]),
        "projection set": lambda: proj.set(weight=1.0),
    }
    for what, change in changes.items():
        with pytest.raises(sim.StaleObjectError, match=r"ended|earlier network"):
            change()
        assert what
    (v,) = p.get_data().segments[0].analogsignals  # recorded data can still be read
    assert v.shape == (21, 3)


@pytest.mark.parametrize(
    ("bounds", "message"),
    [
        ({"max_delay": 0.05}, r"max_delay \(0.05 ms\) must be a finite number of ms >= the"),
        ({"min_delay": -1}, r"min_delay \(-1 ms\) must be"),
        ({"min_delay": 0.05}, r"min_delay \(0.05 ms\) must be"),
        ({"min_delay": float("nan")}, r"min_delay \(nan ms\) must be a finite"),
        ({"min_delay": 2.0, "max_delay": 1.0}, r"min_delay \(2.0 ms\) must be <= max_delay"),
        ({"max_delay": "big"}, r"max_delay must be a number of ms or 'auto'"),
    ],
)
def test_delay_bounds_are_checked_against_the_time_step(bounds, message):
    with pytest.raises(ValueError, match=message):
        spinstream.Session(timestep=0.1, **bounds)
    with pytest.raises(ValueError, match=message):
        sim.setup(timestep=0.1, **bounds)
    sim.end()


class _Boom(Exception):
    pass


@pytest.mark.parametrize("leave", ["exception", "normally"])
async def test_leaving_a_session_cancels_and_awaits_its_run(leave: str) -> None:
    """The user's exception comes out, and no run goes on after the block."""
    with pytest.raises(_Boom) if leave == "exception" else contextlib.nullcontext():
        async with session() as s:
            p = s.Population(5, s.IF_curr_exp(i_offset=1.0), label="p")
            p.record("spikes")
            task = asyncio.create_task(s.run(1e9))
            async with p.stream("spikes") as stream:
                async for batch in stream:
                    if batch.t_stop >= 2.0:  # a few chunks are done
                        break
            if leave == "exception":
                raise _Boom
    assert task.cancelled()
    assert not s.runtime.running
    reached = s.time
    assert 0 < reached < 1e9
    assert p.get_data().segments[0].t_stop.magnitude == pytest.approx(reached)
    with pytest.raises(RuntimeError, match="closed"):
        await s.run(1.0)


async def test_get_data_mid_run_and_cancel_keeps_recordings():
    async with session() as s:
        p = s.Population(1, s.IF_curr_exp(i_offset=2.0), label="p")
        p.record("v")
        mid = []

        async def peek():
            async with p.stream("spikes") as st:
                async for batch in st:
                    if abs(batch.t_stop - 3.0) < 1e-9:
                        mid.append(p.get_data().segments[0].analogsignals[0].shape)

        task = asyncio.create_task(peek())
        await asyncio.sleep(0)
        run = asyncio.create_task(s.run(1000.0))
        while s.time < 5.0:  # noqa: ASYNC110 - polls on purpose: cancel somewhere mid-run
            await asyncio.sleep(0)
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run
        task.cancel()
        assert mid
        assert mid[0][0] >= 31
        t = s.time
        n = p.get_data().segments[0].analogsignals[0].shape[0]
        assert n == round(t / 0.1) + 1
        await s.run(1.0)
        assert s.time == pytest.approx(t + 1.0)


async def test_session_exposes_pynn_names_but_not_global_setup():
    async with session() as s:
        assert s.IF_curr_exp is sim.IF_curr_exp
        assert s.FixedProbabilityConnector is sim.FixedProbabilityConnector
        assert s.Population is not sim.Population
        assert "Population" in dir(s)
        with pytest.raises(AttributeError):
            s.setup  # noqa: B018
        s.reset()
        assert s.get_time_step() == pytest.approx(0.1)


def test_session_rejects_chunk_not_multiple_of_timestep():
    with pytest.raises(ValueError, match=r"multiple of timestep"):
        spinstream.Session(timestep=0.1, chunk=0.25)
