"""The web dashboard: its frames carry the session's spikes, and chromium draws them.

The browser test runs Debian's chromium (``/usr/bin/chromium``) headless, driven by
Playwright for Python; ``.ci/run`` installs chromium because this file mentions it.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import struct
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import spinstream

aiohttp = pytest.importorskip("aiohttp")

from spinstream.dashboard import (  # noqa: E402
    SpikeEvent,
    StateEvent,
    encode_event,
    open_dashboard,
)
from spinstream.dashboard._server import merge_events  # noqa: E402

CHROMIUM = os.environ.get("SPINSTREAM_CHROMIUM", "/usr/bin/chromium")
SHOTS = os.environ.get("SPINSTREAM_DASHBOARD_SCREENSHOT")  # a path: keep a screenshot


def _need_browser() -> None:
    """Skip without chromium or Playwright, except in CI, where that is a failure."""
    missing = []
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        missing.append(f"chromium ({CHROMIUM})")
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        missing.append("playwright (pip install .[test])")
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the browser test needs {', '.join(missing)}")
        pytest.skip(f"needs {', '.join(missing)}")


async def _network(sim) -> dict[str, object]:
    src = sim.Population(30, sim.SpikeSourcePoisson(rate=40.0), label="noise")
    exc = sim.Population(60, sim.IF_curr_exp(i_offset=np.linspace(0.2, 1.2, 60)), label="exc")
    sim.Projection(
        src,
        exc,
        sim.FixedProbabilityConnector(0.3, rng=sim.NumpyRNG(seed=2)),
        sim.StaticSynapse(weight=0.6),
    )
    for p in (src, exc):
        p.record("spikes")
    exc[0:2].record("v")
    return {"noise": src, "exc": exc}


async def _wait_for(predicate, what: str, limit: int = 100000) -> None:
    for _ in range(limit):
        if predicate():
            return
        await asyncio.sleep(0)
    raise AssertionError(f"timed out waiting for {what}")


def _recorded(pop) -> tuple[np.ndarray, np.ndarray]:
    trains = pop.get_data().segments[0].spiketrains
    times = np.concatenate([np.asarray(st.magnitude) for st in trains])
    idx = np.concatenate([np.full(len(st), k) for k, st in enumerate(trains)])
    return times, idx


# ====================================================================== frames
def test_frames_encode_spikes_and_state_little_endian() -> None:
    ev = SpikeEvent(3, 10.0, 20.0, np.array([10.5, 19.25]), np.array([7, 0]))
    buf = encode_event(ev, sequence=9)
    kind, zero, src, n, m, seq, t0, t1 = struct.unpack_from("<BBHIIIdd", buf)
    assert (kind, zero, src, n, m, seq, t0, t1) == (1, 0, 3, 2, 0, 9, 10.0, 20.0)
    assert_array_equal(np.frombuffer(buf, "<f4", 2, 32), [10.5, 19.25])
    assert_array_equal(np.frombuffer(buf, "<u4", 2, 40), [7, 0])
    assert len(buf) == 48
    st = StateEvent(1, 0.0, 2.0, np.array([1.0, 2.0]), np.array([[-65.0, -60.0], [-64.0, -59.5]]))
    buf = encode_event(st)
    kind, _, src, n, m, _, _, _ = struct.unpack_from("<BBHIIIdd", buf)
    assert (kind, src, n, m) == (2, 1, 2, 2)
    assert_array_equal(np.frombuffer(buf, "<f4", 4, 40), [-65.0, -60.0, -64.0, -59.5])
    merged = merge_events([ev, SpikeEvent(3, 20.0, 30.0, np.array([21.0]), np.array([4]))])
    assert (merged.t_start, merged.t_stop) == (10.0, 30.0)
    assert_array_equal(merged.indices, [7, 0, 4])


async def test_websocket_frames_carry_every_recorded_spike() -> None:
    async with spinstream.Session(timestep=0.1, chunk=1.0, mode="fast", seed=4) as sim:
        pops = await _network(sim)
        dash = await open_dashboard(sim, port=0, window=10000.0)
        try:
            async with aiohttp.ClientSession() as http:
                describe = await (await http.get(dash.url + "api/describe")).json()
                assert [p["label"] for p in describe["populations"]] == ["noise", "exc"]
                assert describe["populations"][1]["traced"] == [0, 1]
                assert describe["populations"][0]["traced"] == []  # a source has no v
                page = await (await http.get(dash.url)).text()
                assert "spinstreamDashboard" in page
                async with http.ws_connect(dash.url + "ws") as ws:
                    hello = json.loads((await ws.receive()).data)
                    assert hello["type"] == "hello"
                    assert hello["dt"] == 0.1
                    assert hello["mode"] == "fast"
                    await sim.run(300.0)
                    await _wait_for(lambda: dash.time >= 300.0, "the feed")
                    dash.flush()
                    got: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {0: [], 1: []}
                    volts = []
                    stats = None
                    t_end = {0: 0.0, 1: 0.0, "v": 0.0}
                    while min(t_end.values()) < 300.0 - 1e-9:
                        msg = await ws.receive(timeout=30)
                        if msg.type == aiohttp.WSMsgType.TEXT:
                            stats = json.loads(msg.data)
                            continue
                        buf = msg.data
                        kind, _, src, n, m, _, _, t1 = struct.unpack_from("<BBHIIIdd", buf)
                        times = np.frombuffer(buf, "<f4", n, 32)
                        if kind == 1:
                            got[src].append((times, np.frombuffer(buf, "<u4", n, 32 + 4 * n)))
                            t_end[src] = t1
                        else:
                            volts.append(np.frombuffer(buf, "<f4", n * m, 32 + 4 * n))
                            t_end["v"] = t1
        finally:
            await dash.aclose()
        for k, name in enumerate(("noise", "exc")):
            times, idx = _recorded(pops[name])
            assert len(times) > 50
            t = np.concatenate([a for a, _ in got[k]])
            i = np.concatenate([b for _, b in got[k]])
            o1, o2 = np.lexsort((idx, times)), np.lexsort((i, t))
            assert_allclose(t[o2], times[o1], rtol=1e-6)
            assert_array_equal(i[o2], idx[o1])
        v = np.concatenate(volts)
        assert len(v) == 2 * 3001  # two traced neurons: the initial sample, then every step
        assert stats is not None
        assert stats["type"] == "stats"
        assert stats["chunks"] >= 295
        assert stats["drops"] == 0


# ====================================================================== the browser
async def test_chromium_draws_the_spikes_the_session_produced() -> None:
    """The README's path: a session serves ZeroMQ, `spinstream dashboard` reads it."""
    _need_browser()
    from playwright.async_api import async_playwright

    async with spinstream.Session(timestep=0.1, chunk=10.0, mode="fast", seed=4) as sim:
        pops = await _network(sim)
        endpoints = await sim.serve()
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "spinstream",
            "dashboard",
            endpoints.control,
            "--port",
            "0",
            "--window",
            "1000",
            "--trace",
            "exc:3,4",
            stdout=asyncio.subprocess.PIPE,
        )
        try:
            # it prints its address once it has subscribed: the run can start
            line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
            assert line.startswith("dashboard: http://127.0.0.1:"), line
            url = line.split()[1]
            await sim.run(800.0)
            recorded = {name: _recorded(p) for name, p in pops.items()}
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
                )
                try:
                    page = await browser.new_page(viewport={"width": 1400, "height": 900})
                    errors: list[str] = []
                    page.on("pageerror", lambda e: errors.append(str(e)))
                    await page.goto(url)
                    expected = {k: len(v[0]) for k, v in recorded.items()}
                    await page.wait_for_function(
                        "e => Object.keys(e).every(k => "
                        "window.spinstreamDashboard.received[k] === e[k]) && "
                        "window.spinstreamDashboard.now === 800",
                        arg=expected,
                        timeout=30000,
                    )
                    await page.wait_for_function(
                        "window.spinstreamDashboard.draws > 0 && "
                        "window.spinstreamDashboard.stats !== null && "
                        "window.spinstreamDashboard.stats.chunks === 80",
                        timeout=30000,
                    )
                    if SHOTS:
                        await page.screenshot(path=SHOTS)
                    checks = await page.evaluate(_PIXEL_CHECK, _probes(recorded))
                    assert not errors, errors
                    drawn = await page.evaluate("window.spinstreamDashboard.drawn")
                    hello = await page.evaluate("window.spinstreamDashboard.hello")
                    stat_time = await page.text_content("#stat-time")
                    legend = await page.text_content("#volts-legend")
                finally:
                    await browser.close()
        finally:
            proc.terminate()
            assert await asyncio.wait_for(proc.wait(), 30) == 0
    for name, (times, _) in recorded.items():
        # the window shows the last 1000 ms: everything of this 800 ms run
        assert drawn[name] == len(times) > 50
        hits = checks[name]
        assert hits["spikes"] == hits["colored"], hits
        assert hits["spikes"] >= 20
        assert hits["empty"] >= 20
        assert hits["blank"] == hits["empty"], hits
    assert [p["traced"] for p in hello["populations"]] == [[], [3, 4]]
    assert "exc [3, 4]" in legend
    assert stat_time == "0.80 s"


def _probes(recorded: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, object]:
    """Spikes to look for, and places (time, neuron) far from any spike of that neuron."""
    rng = np.random.default_rng(0)
    out = {}
    for name, (times, idx) in recorded.items():
        pick = rng.choice(len(times), size=min(40, len(times)), replace=False)
        spikes = [[float(times[k]), int(idx[k])] for k in pick]
        empty = []
        n = int(idx.max()) + 1
        for _ in range(100000):
            if len(empty) == 30:
                break
            t, i = float(rng.uniform(20.0, 780.0)), int(rng.integers(0, n))
            near = np.abs(times[idx == i] - t)
            # ~0.9 px per ms here; a spike is 3 px wide and no taller than its row
            if not len(near) or near.min() > 6.0:
                empty.append([t, i])
        out[name] = {"spikes": spikes, "empty": empty}
    return out


_PIXEL_CHECK = """
probes => {
  const D = window.spinstreamDashboard;
  const out = {};
  for (const [label, p] of Object.entries(probes)) {
    const c = D.pops.find(q => q.label === label).canvas;
    const g = c.getContext("2d");
    const white = (x, y) => {
      const d = g.getImageData(x, y, 1, 1).data;
      return d[0] === 255 && d[1] === 255 && d[2] === 255;
    };
    let colored = 0, blank = 0;
    for (const [t, i] of p.spikes) {
      const q = D.pixelOf(label, t, i);
      if (q && !white(q.x, q.y)) colored++;
    }
    for (const [t, i] of p.empty) {
      const q = D.pixelOf(label, t, i);
      if (q && white(q.x, q.y)) blank++;
    }
    out[label] = {spikes: p.spikes.length, colored, empty: p.empty.length, blank};
  }
  return out;
}
"""
