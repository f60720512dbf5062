"""STDP benchmark: CUBA with spike-pair STDP on the excitatory-excitatory synapses.

Run from the repository root::

    python benchmarks/bench_stdp.py                     # CUBA 4000, 1 s and 10 s
    python benchmarks/bench_stdp.py --sizes 4000 10000 --seconds 2
    python benchmarks/bench_stdp.py --nest              # NEST's static/STDP ratio beside

The same Vogels & Abbott CUBA network (``benchmarks/cuba_spec.py``) runs twice on the
embedded board: all synapses static, and with the excitatory-excitatory ones plastic
(additive STDP, tau 20 ms, w_max twice the initial weight, depression slightly stronger).
Each case runs ``--repeat`` times from a reset (CUBA has no random input, so every repeat
replays the same spikes) and the fastest run counts.  It prints simulation time,
firing rate, synaptic events per second (every spike times its
out-degree), bytes per synapse and the cost of plasticity; with ``--nest`` (reference venv
from ``scripts/refsim_setup``), NEST's ``static_synapse``/``stdp_synapse`` on the same sizes.
Nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.cuba_spec import W_EXC, cuba_spec  # noqa: E402
from spinstream.board import HostBoard  # noqa: E402
from spinstream.mapping import map_network  # noqa: E402
from spinstream.model import NetworkSpec, ProjectionSpec, STDPSpec  # noqa: E402

RULE = STDPSpec(
    tau_plus=20.0, tau_minus=20.0, A_plus=0.01, A_minus=0.0105, w_min=0.0, w_max=2 * W_EXC
)


def stdp_spec(n: int, in_degree: int | None) -> NetworkSpec:
    """CUBA with its excitatory projection split: exc->exc plastic, exc->inh static."""
    spec = cuba_spec(n, in_degree=in_degree)
    n_exc = int(n * 0.8)
    exc = spec.projections[0]
    to_exc = exc.post_index < n_exc
    plastic = ProjectionSpec(
        0,
        0,
        0,
        exc.pre_index[to_exc],
        exc.post_index[to_exc],
        exc.weight[to_exc],
        exc.delay_steps[to_exc],
        exc.receptor[to_exc],
        "exc->exc",
        RULE,
    )
    static = ProjectionSpec(
        1,
        0,
        0,
        exc.pre_index[~to_exc],
        exc.post_index[~to_exc],
        exc.weight[~to_exc],
        exc.delay_steps[~to_exc],
        exc.receptor[~to_exc],
        "exc->inh",
    )
    inh = spec.projections[1]
    inh.id = 2
    spec.projections = [plastic, static, inh]
    return spec


def run(spec: NetworkSpec, seconds: float, repeat: int = 3) -> dict[str, float]:
    n = spec.populations[0].size
    t0 = time.perf_counter()
    board = HostBoard()
    board.load(spec, map_network(spec))
    board.set_recording(0, "spikes", np.arange(n))
    t1 = time.perf_counter()
    board.run(round(100.0 / spec.dt))  # 100 ms warm-up (caches, ring growth)
    steps = round(seconds * 1000.0 / spec.dt)
    best = np.inf
    for _ in range(repeat):  # the same network again from the same state: keep the fastest
        board.reset()
        board.run(round(100.0 / spec.dt))
        t2 = time.perf_counter()
        res = board.run(steps)
        t3 = time.perf_counter()
        best = min(best, t3 - t2)
    t2, t3 = 0.0, best
    gids = res.spikes[0][1] if 0 in res.spikes else np.zeros(0, np.int64)
    out_degree = np.zeros(n)
    for p in spec.projections:
        if p.pre == 0:  # CUBA's own synapses (not those of an added source population)
            out_degree += np.bincount(p.pre_index, minlength=n)
    events = float(out_degree[gids].sum())
    syn = board.synapses
    out = {
        "load": t1 - t0,
        "sim": t3 - t2,
        "rtf": seconds / (t3 - t2),
        "rate_hz": len(gids) / n / seconds,
        "events_per_s": events / (t3 - t2),
        "synapses": float(syn.n_synapses),
        "bytes_per_synapse": syn.nbytes / max(syn.n_synapses, 1),
    }
    stats = board.plastic_statistics()
    if stats is not None:
        w = board.get_weights(0)
        out.update(
            plastic=float(stats.synapses),
            plastic_bytes=stats.bytes_per_synapse,
            ring=float(stats.ring_capacity),
            w_mean=float(w.mean() / W_EXC),
            w_at_bounds=float(np.mean((w == 0.0) | (w == RULE.w_max))),
        )
    return out


NEST_SCRIPT = textwrap.dedent(
    """
    import json, os, sys, time
    os.environ["PYNEST_QUIET"] = "1"
    import nest, numpy as np
    n, seconds, plastic = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3] == "1"
    n_exc = int(0.8 * n)
    nest.ResetKernel()
    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.set(resolution=0.1, local_num_threads=1, rng_seed=42, print_time=False)
    cells = nest.Create("iaf_psc_exp", n, params={"C_m": 1000.0, "tau_m": 20.0, "E_L": -49.0,
        "V_th": -50.0, "V_reset": -60.0, "t_ref": 5.0, "tau_syn_ex": 5.0, "tau_syn_in": 10.0,
        "tau_minus": 20.0})
    cells.V_m = nest.random.uniform(-60.0, -50.0)
    rec = nest.Create("spike_recorder")
    nest.Connect(cells, rec)
    rule = {"rule": "pairwise_bernoulli", "p": 0.02}
    w_exc = 1.62 / 20.0 * 1000.0
    stdp = {"synapse_model": "stdp_synapse", "weight": w_exc, "delay": 0.1, "Wmax": 2 * w_exc,
            "lambda": 0.01, "alpha": 1.05, "mu_plus": 0.0, "mu_minus": 0.0, "tau_plus": 20.0}
    static = {"weight": w_exc, "delay": 0.1}
    nest.Connect(cells[:n_exc], cells[:n_exc], rule, stdp if plastic else static)
    nest.Connect(cells[:n_exc], cells[n_exc:], rule, static)
    nest.Connect(cells[n_exc:], cells, rule, {"weight": -9.0 / 20.0 * 1000.0, "delay": 0.1})
    nest.Simulate(100.0)
    t = time.perf_counter()
    nest.Simulate(seconds * 1000.0)
    sim = time.perf_counter() - t
    ev = rec.get("events")
    keep = np.asarray(ev["times"]) > 100.0
    senders = np.asarray(ev["senders"])[keep] - cells[0].global_id
    src = np.asarray(nest.GetConnections(source=cells, target=cells).get("source"))
    deg = np.bincount(src - cells[0].global_id, minlength=n)
    print(json.dumps({"sim": sim, "rate_hz": len(senders) / n / seconds,
                      "events_per_s": float(deg[senders].sum()) / sim}))
    """
)


def run_nest(n: int, seconds: float, plastic: bool) -> dict[str, float] | None:
    exe = ROOT / ".refsim" / "bin" / "python"
    if not exe.exists():
        return None
    proc = subprocess.run(
        [str(exe), "-c", NEST_SCRIPT, str(n), str(seconds), "1" if plastic else "0"],
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    if proc.returncode != 0:
        print(proc.stderr[-2000:], file=sys.stderr)
        return None
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4000])
    parser.add_argument("--seconds", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--nest", action="store_true", help="NEST static and STDP beside")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (fastest kept)")
    args = parser.parse_args()

    print("spinstream, embedded board (C engine, 1 thread); CUBA, STDP on exc->exc")
    print(
        f"{'neurons':>8} {'bio s':>6} {'synapses':>10} {'version':>8} {'sim s':>8} {'RTF':>6} "
        f"{'rate Hz':>8} {'events/s':>10} {'B/syn':>6} {'STDP cost':>10}"
    )
    notes = []
    for n in args.sizes:
        in_degree = None if n <= 4000 else 80
        for seconds in args.seconds:
            static = run(cuba_spec(n, in_degree=in_degree), seconds, args.repeat)
            plastic = run(stdp_spec(n, in_degree), seconds, args.repeat)
            for name, r in (("static", static), ("STDP", plastic)):
                cost = (
                    f"{static['events_per_s'] / r['events_per_s']:>9.2f}x"
                    if name == "STDP"
                    else ""
                )
                print(
                    f"{n:>8} {seconds:>6.1f} {int(r['synapses']):>10} {name:>8} "
                    f"{r['sim']:>8.3f} {r['rtf']:>6.1f} {r['rate_hz']:>8.2f} "
                    f"{r['events_per_s'] / 1e6:>9.1f}M {r['bytes_per_synapse']:>6.1f} {cost:>10}"
                )
            notes.append(
                f"  {n} neurons, {seconds:g} s: {int(plastic['plastic'])} plastic synapses, "
                f"{plastic['plastic_bytes']:.1f} B each (weight, word, segment and spike-history "
                f"state); history ring {int(plastic['ring'])}; mean weight "
                f"{plastic['w_mean']:.2f} x initial, {100 * plastic['w_at_bounds']:.0f} % at a "
                "bound"
            )
    print("B/syn: all static synaptic storage per synapse (rows, offsets, weight tables)")
    print("STDP cost: static events/s over STDP events/s")
    print("\n".join(notes))

    if not args.nest:
        return
    print("\nNEST 3 (stdp_synapse on exc->exc vs static_synapse), 1 thread, same sizes")
    for n in args.sizes:
        for seconds in args.seconds[:1]:
            s = run_nest(n, seconds, False)
            p = run_nest(n, seconds, True)
            if s is None or p is None:
                print("  NEST not available (run scripts/refsim_setup)")
                return
            for name, r in (("static", s), ("STDP", p)):
                print(
                    f"{n:>8} {seconds:>6.1f} {name:>8} {r['sim']:>8.3f} s {r['rate_hz']:>8.2f} Hz "
                    f"{r['events_per_s'] / 1e6:>8.1f}M events/s"
                )
            print(f"{'':>8} NEST's STDP cost: {s['events_per_s'] / p['events_per_s']:.2f}x")


if __name__ == "__main__":
    main()
