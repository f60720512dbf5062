"""Measure the peer table: ``python -m benchmarks.peers [options]`` (any interpreter).

Runs each (peer, size) ``--repeat`` times, one after another (never in parallel: the machine
has 2 cores), and prints medians, plus the best simulation time (the run least disturbed by
other load), as a markdown table; ``--json FILE`` keeps every record.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from typing import Any

from ._runner import PEERS, PeerError, run_peer

DEFAULT_PEERS = "brian2_standalone,brian2_cython,nest,pynn_nest"


def _median(records: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in records)


def _median_opt(records: list[dict[str, Any]], key: str) -> str:
    values = [r[key] for r in records if r.get(key) is not None]
    return f"{statistics.median(values):.3f}" if values else "-"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.peers", description=__doc__)
    ap.add_argument("--peers", default=DEFAULT_PEERS, help=f"comma list of {sorted(PEERS)}")
    ap.add_argument("--sizes", default="4000,40000", help="comma list of neuron counts")
    ap.add_argument("--t-sim", type=float, default=1000.0, help="biological ms per run")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--delay", type=float, default=0.1, help="synaptic delay, ms")
    ap.add_argument("--json", help="write all records to this file")
    args = ap.parse_args(argv)

    rows: list[tuple[str, int, list[dict[str, Any]]]] = []
    records: list[dict[str, Any]] = []
    for size in (int(s) for s in args.sizes.split(",")):
        for name in args.peers.split(","):
            runs = []
            for k in range(args.repeat):
                try:
                    rec = run_peer(name, size, args.t_sim, seed=1 + k, delay_ms=args.delay)
                except PeerError as exc:
                    print(f"# {name} n={size}: {exc}", file=sys.stderr)
                    break
                print(
                    f"# {name} n={size} run {k + 1}: setup {rec['setup_s']:.2f} s, "
                    f"{rec['sim_wall_per_bio_s']:.3f} s per bio s "
                    f"(CPU {rec['sim_cpu_per_bio_s'] or float('nan'):.3f}), "
                    f"{rec['mean_rate_hz']:.2f} Hz, load {rec['load_1min']}",
                    file=sys.stderr,
                    flush=True,
                )
                runs.append(rec)
                records.append(rec)
                if args.json:  # after every run: a long table can be stopped midway
                    with open(args.json, "w", encoding="utf-8") as f:
                        json.dump(records, f, indent=1)
            if runs:
                rows.append((name, size, runs))

    print(
        "| peer | neurons | set-up (s) | sim wall per 1 s bio (s) | best of runs (s) "
        "| CPU per 1 s bio (s) | real-time factor | synaptic events/s | mean rate (Hz) | runs |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, size, runs in rows:
        print(
            f"| {name} | {size} | {_median(runs, 'setup_s'):.2f} "
            f"| {_median(runs, 'sim_wall_per_bio_s'):.3f} "
            f"| {min(r['sim_wall_per_bio_s'] for r in runs):.3f} "
            f"| {_median_opt(runs, 'sim_cpu_per_bio_s')} "
            f"| {_median(runs, 'realtime_factor'):.2f} "
            f"| {_median(runs, 'synaptic_events_per_s') / 1e6:.2f} M "
            f"| {_median(runs, 'mean_rate_hz'):.2f} | {len(runs)} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
