"""The cortical microcircuit on spinstream beside NEST 3.10 (PyNN 0.13), same machine and threads.

    python benchmarks/bench_microcircuit.py                       # scale 0.05, 5 rounds
    python benchmarks/bench_microcircuit.py --scale 0.1 --rounds 3 --background dc

Each round runs ``examples/microcircuit/microcircuit.py --json`` once on each simulator, in
an order that alternates from round to round, each in a fresh process: spinstream with this
interpreter, NEST with the reference simulators' (``SPINSTREAM_REFSIM``, default
``<repo>/.refsim``; see tests/refsim.py).  Both build the same PyNN model (same sizes and
synapse numbers; each draws its own random connectivity, unless ``--rng numpy``: then both
draw the same network from the seed, and ``--background frozen`` gives both the same input
spikes too) and run ``--warmup`` + ``--tstop``
ms on ``--threads`` threads.  Printed: per-population rates (medians over rounds) of both
beside the published full-scale ones, set-up time (build, connect and the first step),
simulation wall time per biological second, and peak RSS per synapse (peak resident memory
minus the process's memory before ``setup``, over recurrent + background synapses), each as
median (min-max).  The machine may be loaded by other work, which is why the runs alternate.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.refsim import python_executable, subprocess_env  # noqa: E402

SCRIPT = ROOT / "examples" / "microcircuit" / "microcircuit.py"
POPULATIONS = ("L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I")
PUBLISHED = (0.91, 2.99, 4.39, 5.89, 7.72, 8.64, 1.12, 7.85)  # NEST 3.10, full scale


def run_once(simulator: str, args: argparse.Namespace, seed: int) -> dict[str, Any]:
    """Run the example once in a fresh process with ``seed``; return its JSON result."""
    cmd_args = [
        str(SCRIPT),
        "--json",
        "--simulator",
        simulator,
        "--scale",
        str(args.scale),
        "--tstop",
        str(args.tstop),
        "--warmup",
        str(args.warmup),
        "--threads",
        str(args.threads),
        "--background",
        args.background,
        "--seed",
        str(seed),
    ]
    if args.k_scale is not None:
        cmd_args += ["--k-scale", str(args.k_scale)]
    if args.rng is not None:
        cmd_args += ["--rng", args.rng]
    if simulator == "nest":
        exe, env = str(python_executable()), subprocess_env()
        cmd = [exe, "-W", "ignore", *cmd_args]
    else:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        cmd = [sys.executable, *cmd_args]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{simulator} run failed:\n{out.stderr[-3000:]}")
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("{")][-1]
    result: dict[str, Any] = json.loads(line)
    return result


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    """Median (min-max) of ``values``."""
    med = statistics.median(values)
    return f"{fmt.format(med)} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--k-scale", type=float, default=None)
    parser.add_argument("--tstop", type=float, default=500.0, help="recorded time, ms")
    parser.add_argument("--warmup", type=float, default=100.0, help="ms before recording")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--background", choices=["poisson", "dc", "frozen"], default="poisson")
    parser.add_argument(
        "--rng",
        choices=["native", "numpy"],
        default=None,
        help="connectivity RNG (default: native on spinstream, numpy on NEST); numpy on both "
        "builds the same network on both from one seed",
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=55)
    parser.add_argument(
        "--vary-seed",
        action="store_true",
        help="round r runs seed + r (both simulators the same seed): the spread is then the "
        "network's and the input's from seed to seed, not the machine's only",
    )
    parser.add_argument("--simulators", nargs="+", default=["spinstream", "nest"])
    args = parser.parse_args()

    results: dict[str, list[dict[str, Any]]] = {s: [] for s in args.simulators}
    for r in range(args.rounds):
        order = args.simulators if r % 2 == 0 else args.simulators[::-1]
        for sim in order:
            res = run_once(sim, args, args.seed + r if args.vary_seed else args.seed)
            results[sim].append(res)
            print(
                f"round {r + 1} {sim}: set-up {res['setup_s']:.1f} s, "
                f"{res['sim_s_per_bio_s']:.2f} s per bio-s",
                flush=True,
            )

    first = results[args.simulators[0]][0]
    print(
        f"\nMicrocircuit, scale {args.scale} (k_scale {args.k_scale or args.scale}), "
        f"{first['neurons']} neurons, {first['synapses']:,} recurrent synapses + "
        f"{first['background_synapses']:,} background; {args.background} background, "
        f"{args.threads} thread(s), {args.warmup:g} + {args.tstop:g} ms; "
        f"{args.rounds} alternating rounds"
        f"{f' (seeds {args.seed}..{args.seed + args.rounds - 1})' if args.vary_seed else ''}"
        f"{f', {args.rng} RNG on both' if args.rng else ''}, median (min-max); "
        "machine shared with other work"
    )
    header = f"{'population':>10} {'published':>10}" + "".join(
        f" {s + ' (Hz)':>22}" for s in args.simulators
    )
    print(header)
    for i, name in enumerate(POPULATIONS):
        cells = "".join(
            f" {spread([r['rates'][name] for r in results[s]]):>22}" for s in args.simulators
        )
        print(f"{name:>10} {PUBLISHED[i]:10.2f}{cells}")
    print()
    for s in args.simulators:
        runs = results[s]
        syn = runs[0]["synapses"] + runs[0]["background_synapses"]
        per_syn = [(r["peak_rss_mb"] - r["base_rss_mb"]) * 2**20 / syn for r in runs]
        print(
            f"{s:>10}: set-up {spread([r['setup_s'] for r in runs], '{:.1f}')} s; "
            f"simulation {spread([r['sim_s_per_bio_s'] for r in runs])} s per bio-s; "
            f"peak RSS {spread([r['peak_rss_mb'] for r in runs], '{:.0f}')} MB, "
            f"{spread(per_syn, '{:.0f}')} bytes per synapse above the bare process"
        )
    if len(args.simulators) == 2:
        a, b = (results[s] for s in args.simulators)
        ratios = [y["sim_s_per_bio_s"] / x["sim_s_per_bio_s"] for x, y in zip(a, b, strict=True)]
        setup = [y["setup_s"] / x["setup_s"] for x, y in zip(a, b, strict=True)]
        print(
            f"{args.simulators[1]} / {args.simulators[0]} per round: simulation "
            f"{spread(ratios, '{:.1f}')}x, set-up {spread(setup, '{:.1f}')}x"
        )
        if args.vary_seed and args.rounds > 1:
            paired_differences(args.simulators, a, b)


def paired_differences(names: list[str], a: list[dict[str, Any]], b: list[dict[str, Any]]) -> None:
    """Print the mean over seeds of each population's rate difference and its standard error.

    With ``--rng numpy`` both simulators run the same network for each seed, so the
    difference per seed is the input's draw alone; its mean over seeds estimates a
    systematic offset between the simulators, the standard error says how well.
    """
    print(f"\n{names[0]} - {names[1]}, paired by seed: mean difference (standard error)")
    for name in POPULATIONS:
        d = [x["rates"][name] - y["rates"][name] for x, y in zip(a, b, strict=True)]
        ref = statistics.mean(y["rates"][name] for y in b)
        mean, se = statistics.mean(d), statistics.stdev(d) / len(d) ** 0.5
        rel = f"{100 * mean / ref:+.1f} % ({100 * se / ref:.1f} %)" if ref > 0 else ""
        print(f"{name:>10} {mean:+.3f} ({se:.3f}) Hz  {rel}")


if __name__ == "__main__":
    main()
