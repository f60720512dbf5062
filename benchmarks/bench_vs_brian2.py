"""spinstream against Brian2 C++ standalone on CUBA, alternating the two, repeated.

Run from the repository root, with the reference environment (``scripts/refsim_setup``, or
``SPINSTREAM_REFSIM`` pointing at it)::

    python benchmarks/bench_vs_brian2.py                      # CUBA-4000, 5 s, 5 pairs
    python benchmarks/bench_vs_brian2.py --repeat 7 --seconds 10 --json pairs.json

One *pair* is a spinstream run (embedded board, C engine, one thread, in this process)
followed by a Brian2 C++ standalone run of the same network (one thread, a fresh project
folder, so a cold compile that is counted as set-up, not as simulation).  The order inside
a pair alternates (spinstream first in odd pairs, Brian2 first in even ones), so a change of
the machine's load over the invocation falls on both systems alike.  Each pair gives the
ratio ``spinstream sim wall / Brian2 sim wall`` (below 1: spinstream faster).

It prints every pair with the 1-minute load average before it, then for each system and for
the ratio the median and the spread (minimum and maximum, and the interquartile range), for
the simulation's wall time and for its CPU time (Brian2's binary times its loop with
``std::clock()``; spinstream's is the process CPU time of ``board.run``).  On a loaded
machine wall times vary with the load; CPU times much less.
A single pair says little on a shared machine: quote the median and the spread.  Nothing
here passes or fails.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.append(str(Path(__file__).resolve().parent))

from bench_engine import run_spinstream
from peers import available, run_peer


def spread(values: list[float]) -> dict[str, float]:
    """Median, minimum, maximum and interquartile range of ``values``."""
    v = sorted(values)
    if len(v) >= 2:
        q1, _, q3 = statistics.quantiles(v, n=4, method="inclusive")
    else:
        q1 = q3 = v[0]
    return {"median": statistics.median(v), "min": v[0], "max": v[-1], "q1": q1, "q3": q3}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=4000, help="neurons (80 %% excitatory)")
    ap.add_argument("--seconds", type=float, default=5.0, help="biological seconds per run")
    ap.add_argument("--repeat", type=int, default=5, help="pairs (at least 5 to quote)")
    ap.add_argument("--json", help="write every pair to this file")
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    if not available():
        print("no reference environment (run scripts/refsim_setup or set SPINSTREAM_REFSIM)")
        return 1

    run_spinstream(args.n, 0.1)  # warm the mapping code and the engine's pages once
    pairs: list[dict[str, Any]] = []
    print(
        f"CUBA-{args.n}, {args.seconds:g} s biological, dt 0.1 ms, one thread each; "
        f"{args.repeat} pairs, alternating order",
        flush=True,
    )
    print(
        f"{'pair':>4} {'first':<11} {'load':>5} {'spinstream s/s':>15} {'Brian2 SA s/s':>14} "
        f"{'ratio':>6} {'CPU ratio':>10}"
    )
    for k in range(args.repeat):
        load = os.getloadavg()[0]
        spin_first = k % 2 == 0
        if spin_first:
            s = run_spinstream(args.n, args.seconds)
            b = run_peer("brian2_standalone", args.n, args.seconds * 1000.0, seed=1)
        else:
            b = run_peer("brian2_standalone", args.n, args.seconds * 1000.0, seed=1)
            s = run_spinstream(args.n, args.seconds)
        pair = {
            "pair": k + 1,
            "first": "spinstream" if spin_first else "brian2",
            "load_1min": load,
            "spinstream_sim_per_bio_s": s["sim_per_bio_s"],
            "spinstream_setup_s": s["setup"],
            "spinstream_rate_hz": s["rate_hz"],
            "brian2_sim_per_bio_s": b["sim_wall_per_bio_s"],
            "brian2_setup_s": b["setup_s"],
            "brian2_rate_hz": b["mean_rate_hz"],
            "ratio": s["sim_per_bio_s"] / b["sim_wall_per_bio_s"],
            "spinstream_cpu_per_bio_s": s["sim_cpu_per_bio_s"],
            "brian2_cpu_per_bio_s": b.get("sim_cpu_per_bio_s"),
        }
        if pair["brian2_cpu_per_bio_s"]:
            pair["cpu_ratio"] = s["sim_cpu_per_bio_s"] / pair["brian2_cpu_per_bio_s"]
        pairs.append(pair)
        print(
            f"{k + 1:>4} {pair['first']:<11} {load:>5.2f} {s['sim_per_bio_s']:>15.3f} "
            f"{b['sim_wall_per_bio_s']:>14.3f} {pair['ratio']:>6.2f} "
            f"{pair.get('cpu_ratio', float('nan')):>10.2f}",
            flush=True,
        )
        if args.json:  # after every pair: a long series can be stopped midway
            Path(args.json).write_text(json.dumps(pairs, indent=1), encoding="utf-8")

    print("\nsim wall (and CPU) per biological second (s), ratios spinstream / Brian2 SA:")
    print(f"{'':<16} {'median':>7} {'min':>7} {'q1':>7} {'q3':>7} {'max':>7}")
    for label, key in (
        ("spinstream", "spinstream_sim_per_bio_s"),
        ("Brian2 SA", "brian2_sim_per_bio_s"),
        ("ratio", "ratio"),
        ("CPU: spinstream", "spinstream_cpu_per_bio_s"),
        ("CPU: Brian2 SA", "brian2_cpu_per_bio_s"),
        ("CPU ratio", "cpu_ratio"),
    ):
        values = [p[key] for p in pairs if p.get(key) is not None]
        if not values:
            continue
        st = spread(values)
        print(
            f"{label:<16} {st['median']:>7.3f} {st['min']:>7.3f} {st['q1']:>7.3f} "
            f"{st['q3']:>7.3f} {st['max']:>7.3f}"
        )
    setup = spread([p["brian2_setup_s"] for p in pairs])
    own = spread([p["spinstream_setup_s"] for p in pairs])
    print(
        f"Brian2 SA set-up (code generation + cold compile), median {setup['median']:.1f} s; "
        f"spinstream set-up median {own['median']:.2f} s"
    )
    loads = [p["load_1min"] for p in pairs]
    print(f"1-minute load average before the pairs: {min(loads):.2f} to {max(loads):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
