"""spinstream.plot: the same spikes and traces drawn from a neo Block and from live batches."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import spinstream
from spinstream import plot
from spinstream.streams import SpikeBatch, StateBatch
from tests.reference import ReferenceBoard, trivial_plan

pytest.importorskip("matplotlib")
from matplotlib.figure import Figure


async def _run_network() -> tuple[object, object, list[SpikeBatch], list[StateBatch]]:
    """A driven population: recorded (neo) and streamed (batches) over the same 50 ms."""
    async with spinstream.Session(
        timestep=0.1, chunk=5.0, seed=3, board=ReferenceBoard(), mapper=trivial_plan
    ) as sim:
        src = sim.Population(20, sim.SpikeSourcePoisson(rate=400.0), label="src")
        pop = sim.Population(8, sim.IF_curr_exp(i_offset=np.linspace(0.5, 1.5, 8)), label="cells")
        sim.Projection(src, pop, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.3))
        pop.record(["spikes", "v"])
        spikes: list[SpikeBatch] = []
        states: list[StateBatch] = []

        async def watch() -> None:
            async with pop.stream("spikes", maxlen=100) as s, pop.stream("v", maxlen=100) as v:
                while True:
                    spikes.append(await s.receive())
                    states.append(await v.receive())

        task = asyncio.create_task(watch())
        await asyncio.sleep(0)
        await sim.run(50.0)
        for _ in range(5):
            await asyncio.sleep(0)
        task.cancel()
        return pop.get_data(), sim, spikes, states


@pytest.fixture(scope="module")
def recorded() -> tuple[object, list[SpikeBatch], list[StateBatch]]:
    block, _, spikes, states = asyncio.run(_run_network())
    return block, spikes, states


def test_block_and_batches_give_the_same_spikes(recorded) -> None:
    block, spikes, _ = recorded
    a = plot.spikes_of(block)
    b = plot.spikes_of(spikes, size=8)
    assert len(a.times) > 20
    order_a = np.lexsort((a.indices, a.times))
    order_b = np.lexsort((b.indices, b.times))
    assert_allclose(a.times[order_a], b.times[order_b])
    assert_array_equal(a.indices[order_a], b.indices[order_b])
    assert a.size == b.size == 8
    assert (a.t_start, a.t_stop) == pytest.approx((0.0, 50.0))
    assert (b.t_start, b.t_stop) == pytest.approx((0.0, 50.0))
    assert a.label == "cells"


def test_raster_draws_one_point_per_spike(recorded) -> None:
    block, _, _ = recorded
    fig = Figure()
    ax = fig.add_subplot()
    plot.raster(block, ax, offset=100)
    data = plot.spikes_of(block)
    points = ax.collections[0].get_offsets()
    assert len(points) == len(data.times)
    assert_allclose(points[:, 0], data.times)
    assert_allclose(points[:, 1], data.indices + 100)
    assert ax.get_xlim() == pytest.approx((0.0, 50.0))


def test_population_rate_counts() -> None:
    data = plot.SpikeData(
        times=np.array([1.0, 2.0, 3.0, 11.0, 25.0]),
        indices=np.array([0, 1, 0, 1, 1]),
        size=2,
        t_start=0.0,
        t_stop=30.0,
    )
    centres, rate = plot.population_rate(data, bin_ms=10.0)
    assert_allclose(centres, [5.0, 15.0, 25.0])
    # 3 spikes of 2 neurons in 10 ms = 150 Hz per neuron
    assert_allclose(rate, [150.0, 50.0, 50.0])
    with pytest.raises(ValueError, match="bin_ms"):
        plot.population_rate(data, bin_ms=0.0)


def test_rates_and_voltages_from_block_and_from_batches(recorded) -> None:
    block, spikes, states = recorded
    fig = Figure()
    ax1, ax2, ax3 = fig.subplots(3)
    plot.rates(block, ax1, bin_ms=10.0)
    plot.rates(spikes, ax1, bin_ms=10.0, size=8)
    y_block, y_stream = (line.get_ydata() for line in ax1.get_lines())
    assert_allclose(y_block, y_stream)
    assert y_block.sum() > 0
    plot.voltages(block, ax2, indices=[0, 7])
    plot.voltages(states, ax3)
    assert len(ax2.get_lines()) == 2
    assert len(ax3.get_lines()) == 8
    v_block = ax2.get_lines()[1].get_ydata()
    v_stream = ax3.get_lines()[7].get_ydata()
    t_block = ax2.get_lines()[1].get_xdata()
    t_stream = ax3.get_lines()[7].get_xdata()
    # the recording has the stamp-0 sample, the stream starts after the first step
    common = np.isin(t_block, t_stream)
    assert_allclose(v_block[common], v_stream[np.isin(t_stream, t_block)])
    assert ax2.get_ylabel() == "v (mV)"
    with pytest.raises(ValueError, match="no recorded 'v'"):
        plot.voltages(block, ax2, indices=[9])
    with pytest.raises(ValueError, match="no signal named 'gsyn_exc'"):
        plot.voltages(block, ax2, variable="gsyn_exc")
    with pytest.raises(TypeError, match="neo Block"):
        plot.raster(3.0, ax2)


def test_window_keeps_the_last_span(recorded) -> None:
    _, spikes, _ = recorded
    window = plot.Window(span=20.0, size=8)
    for batch in spikes:
        window.add(batch)
    assert len(window) == 4
    data = plot.spikes_of(window)
    assert data.t_start == pytest.approx(30.0)
    assert data.t_stop == pytest.approx(50.0)
    assert data.size == 8
    assert np.all(data.times > 30.0)
    with pytest.raises(ValueError, match="span"):
        plot.Window(span=0)


def test_overview_png(recorded, tmp_path: Path) -> None:
    block, _, _ = recorded
    fig = plot.overview({"cells": block}, title="test")
    path = tmp_path / "overview.png"
    fig.savefig(path, dpi=60)
    assert path.read_bytes()[:4] == b"\x89PNG"
    axes = fig.get_axes()
    assert len(axes) == 3  # raster, rates, v
    assert len(axes[0].collections[0].get_offsets()) == len(plot.spikes_of(block).times)
    with pytest.raises(ValueError, match="at least one"):
        plot.overview({})


def test_importing_plot_does_not_import_matplotlib() -> None:
    code = "import sys, spinstream.plot; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
