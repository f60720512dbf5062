"""The dashboard's page: one HTML document with its CSS and JavaScript (no build step).

The script opens ``/ws``, reads the ``hello`` message, then draws on canvases: a spike
raster per population (the last ``window`` ms, scrolling), the populations' firing rates,
the traced membrane potentials, and a table of the session's statistics.  It exposes
``window.spinstreamDashboard`` (what it received and drew, and ``pixelOf`` to find where a
spike is drawn) for tests and for the curious.
"""

from __future__ import annotations

PAGE = r"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>spinstream dashboard</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #222; }
  header { background: #1f2933; color: #fff; padding: 8px 16px; display: flex; gap: 16px;
           align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; }
  #status { font-size: 13px; color: #9fb3c8; }
  main { padding: 12px 16px; display: grid; grid-template-columns: minmax(0, 2fr) minmax(0, 1fr);
         gap: 16px; }
  .card { background: #fff; border: 1px solid #d9dde3; border-radius: 6px; padding: 8px 12px; }
  .card h2 { font-size: 14px; margin: 0 0 6px; color: #52606d; font-weight: 600; }
  .pop { margin-bottom: 8px; }
  .pop .name { font-size: 12px; color: #52606d; }
  .pop .name b { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
  canvas { display: block; width: 100%; background: #fff; border: 1px solid #eceff3; }
  table { border-collapse: collapse; width: 100%; }
  td { padding: 2px 4px; border-bottom: 1px solid #eceff3; }
  td.v { text-align: right; font-variant-numeric: tabular-nums; }
  .legend span { margin-right: 10px; font-size: 12px; }
</style>
</head>
<body>
<header><h1>spinstream</h1><span id="status">connecting...</span></header>
<main>
  <div>
    <div class="card"><h2>spikes <span id="window"></span></h2><div id="rasters"></div></div>
  </div>
  <div>
    <div class="card"><h2>session</h2><table id="stats"></table></div>
    <div class="card"><h2>rates (Hz per neuron)</h2><canvas id="rates" height="160"></canvas>
      <div class="legend" id="rates-legend"></div></div>
    <div class="card"><h2>membrane potential (mV)</h2><canvas id="volts" height="200"></canvas>
      <div class="legend" id="volts-legend"></div></div>
  </div>
</main>
<script>
"use strict";
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
                "#17becf", "#bcbd22", "#7f7f7f"];
const D = window.spinstreamDashboard = {
  hello: null, pops: [], now: 0, window: 2000, frames: 0, stats: null, connected: false,
  received: {}, drawn: {}, draws: 0,
  // canvas pixel (x, y) where the spike of neuron i at time t (ms) is drawn, or null
  pixelOf(label, t, i) {
    const p = D.pops.find(q => q.label === label);
    if (!p) return null;
    const c = p.canvas, t0 = D.now - D.window;
    if (t < t0 || t > D.now) return null;
    return {x: Math.floor((t - t0) / D.window * (c.width - 1)),
            y: Math.floor((i + 0.5) / p.size * c.height)};
  },
};
const dpr = window.devicePixelRatio || 1;
const $ = id => document.getElementById(id);

function fitCanvas(c, cssHeight) {
  c.style.height = cssHeight + "px";
  c.width = Math.max(1, Math.round(c.clientWidth * dpr));
  c.height = Math.max(1, Math.round(cssHeight * dpr));
}

function setup(hello) {
  D.hello = hello;
  D.window = hello.window;
  $("window").textContent = `(last ${(hello.window / 1000).toFixed(1)} s, dt ${hello.dt} ms, ` +
    `chunk ${hello.chunk} ms, ${hello.mode} mode)`;
  const box = $("rasters");
  box.innerHTML = "";
  D.pops = hello.populations.map((p, k) => {
    const div = document.createElement("div");
    div.className = "pop";
    const color = COLORS[k % COLORS.length];
    div.innerHTML = `<div class="name"><b style="background:${color}"></b>${p.label} ` +
      `(${p.size} ${p.model})</div>`;
    const canvas = document.createElement("canvas");
    canvas.dataset.label = p.label;
    div.appendChild(canvas);
    box.appendChild(div);
    D.received[p.label] = 0;
    D.drawn[p.label] = 0;
    return {...p, k, color, canvas, chunks: [], rates: [], traces: []};
  });
  for (const p of D.pops) fitCanvas(p.canvas, Math.min(240, Math.max(60, 2 * p.size)));
  fitCanvas($("rates"), 160);
  fitCanvas($("volts"), 200);
  $("rates-legend").innerHTML = D.pops.map(p =>
    `<span style="color:${p.color}">&#9632; ${p.label}</span>`).join("");
  $("volts-legend").innerHTML = D.pops.filter(p => p.traced.length).map(p =>
    `<span style="color:${p.color}">&#9632; ${p.label} [${p.traced.join(", ")}]</span>`).join("");
  schedule();
}

function onFrame(buf) {
  const dv = new DataView(buf);
  const kind = dv.getUint8(0), src = dv.getUint16(2, true);
  const n = dv.getUint32(4, true), m = dv.getUint32(8, true);
  const t0 = dv.getFloat64(16, true), t1 = dv.getFloat64(24, true);
  const p = D.pops[src];
  if (!p) return;
  D.frames += 1;
  if (kind === 1) {
    const times = new Float32Array(buf, 32, n);
    const idx = new Uint32Array(buf, 32 + 4 * n, n);
    p.chunks.push({t0, t1, times, idx});
    p.rates.push({t: 0.5 * (t0 + t1), hz: n / (p.size * Math.max(t1 - t0, 1e-9) / 1000)});
    D.received[p.label] += n;
  } else if (kind === 2) {
    const times = new Float32Array(buf, 32, n);
    const values = new Float32Array(buf, 32 + 4 * n, n * m);
    p.traces.push({t0, t1, times, values, m});
  }
  if (t1 > D.now) D.now = t1;
  schedule();
}

let pending = false;
function schedule() {
  if (!pending) { pending = true; requestAnimationFrame(draw); }
}

function prune(list, t0) {
  let k = 0;
  while (k < list.length && (list[k].t1 !== undefined ? list[k].t1 : list[k].t) < t0) k++;
  if (k) list.splice(0, k);
}

function draw() {
  pending = false;
  if (!D.hello) return;
  const t0 = D.now - D.window;
  for (const p of D.pops) {
    prune(p.chunks, t0); prune(p.rates, t0); prune(p.traces, t0);
    const c = p.canvas, g = c.getContext("2d");
    g.fillStyle = "#fff";
    g.fillRect(0, 0, c.width, c.height);
    g.fillStyle = p.color;
    const row = c.height / p.size;
    const h = row >= 3 ? 3 : Math.max(1, Math.ceil(row));
    const dy = row >= 3 ? 1 : 0;
    let drawn = 0;
    for (const ch of p.chunks) {
      for (let k = 0; k < ch.times.length; k++) {
        const t = ch.times[k];
        if (t < t0) continue;
        const x = Math.floor((t - t0) / D.window * (c.width - 1));
        const y = Math.floor((ch.idx[k] + 0.5) / p.size * c.height);
        g.fillRect(x - 1, y - dy, 3, h);
        drawn++;
      }
    }
    D.drawn[p.label] = drawn;
  }
  drawLines($("rates"), t0, D.pops.map(p => ({color: p.color,
    series: [p.rates.map(r => [r.t, r.hz])]})), 0);
  drawLines($("volts"), t0, D.pops.filter(p => p.traces.length).map(p => {
    const series = p.traced.map(() => []);
    for (const tr of p.traces)
      for (let s = 0; s < tr.times.length; s++)
        for (let j = 0; j < tr.m; j++) series[j].push([tr.times[s], tr.values[s * tr.m + j]]);
    return {color: p.color, series};
  }), null);
  D.draws += 1;
}

function drawLines(c, t0, groups, yMin) {
  const g = c.getContext("2d");
  g.fillStyle = "#fff";
  g.fillRect(0, 0, c.width, c.height);
  let lo = Infinity, hi = -Infinity;
  for (const grp of groups) for (const s of grp.series) for (const [, y] of s) {
    if (y < lo) lo = y;
    if (y > hi) hi = y;
  }
  if (!isFinite(lo)) return;
  if (yMin !== null) lo = yMin;
  if (hi - lo < 1e-6) hi = lo + 1;
  const pad = 14 * dpr;
  g.fillStyle = "#52606d";
  g.font = `${10 * dpr}px system-ui`;
  g.fillText(hi.toFixed(1), 2, pad - 2);
  g.fillText(lo.toFixed(1), 2, c.height - 2);
  g.lineWidth = dpr;
  for (const grp of groups) {
    g.strokeStyle = grp.color;
    for (const s of grp.series) {
      g.beginPath();
      s.forEach(([t, y], k) => {
        const x = (t - t0) / D.window * (c.width - 1);
        const yy = pad + (1 - (y - lo) / (hi - lo)) * (c.height - 2 * pad);
        if (k) g.lineTo(x, yy); else g.moveTo(x, yy);
      });
      g.stroke();
    }
  }
}

const STATS = [["time", "simulated time", v => (v / 1000).toFixed(2) + " s"],
               ["rtf", "real-time factor", v => v.toFixed(2)],
               ["chunks", "chunks", v => v],
               ["overruns", "overruns", v => v],
               ["drops", "stream drops", v => v],
               ["late_inputs", "late inputs", v => v],
               ["dashboard_drops", "dashboard drops", v => v],
               ["compute_us_p50", "board time per chunk (p50)", v => v.toFixed(0) + " us"]];

function showStats(s) {
  D.stats = s;
  $("stats").innerHTML = STATS.filter(([k]) => s[k] !== undefined && s[k] !== null)
    .map(([k, name, f]) => `<tr><td>${name}</td><td class="v" id="stat-${k}">${f(s[k])}</td></tr>`)
    .join("");
}

function connect() {
  const ws = new WebSocket(`ws://${location.host}/ws`);
  ws.binaryType = "arraybuffer";
  ws.onopen = () => { D.connected = true; $("status").textContent = "live"; };
  ws.onclose = () => {
    D.connected = false;
    $("status").textContent = "disconnected (the session ended?) - reload to reconnect";
  };
  ws.onmessage = ev => {
    if (typeof ev.data === "string") {
      const msg = JSON.parse(ev.data);
      if (msg.type === "hello") setup(msg);
      else if (msg.type === "stats") showStats(msg);
    } else {
      onFrame(ev.data);
    }
  };
}
window.addEventListener("resize", () => {
  if (!D.hello) return;
  for (const p of D.pops) fitCanvas(p.canvas, parseFloat(p.canvas.style.height));
  fitCanvas($("rates"), 160);
  fitCanvas($("volts"), 200);
  schedule();
});
connect();
</script>
</body>
</html>
"""
