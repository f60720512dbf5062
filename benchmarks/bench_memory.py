"""Resident memory per synapse and set-up time of big NativeRNG networks.

    python benchmarks/bench_memory.py                        # this tree, 5 rounds
    python benchmarks/bench_memory.py --before /path/to/old  # alternate with another tree
    python benchmarks/bench_memory.py --mpi 2                # 1 process against 2 (mpiexec)
    python benchmarks/bench_memory.py --mpi 2 --before /path/to/old  # and old's 2 processes
    python benchmarks/bench_memory.py --weight-bits 32,16    # float32 against 16-bit weights

Two networks, both drawn with ``sim.NativeRNG()``: the cortical microcircuit
(``examples/microcircuit``, ``--scale``, Poisson background) and a CUBA-style network
(``--cuba-n`` neurons, 80 % excitatory, connection probability 0.02, delays uniform in
0.1-2 ms drawn per synapse).  Each measurement runs in a fresh process, once with the
network and once with the same populations and no recurrent synapses (the empty baseline:
the interpreter, the engine, neurons and sources); per synapse is (full - empty) / synapses:

- peak: the process's high-water mark (VmHWM) after the first step (build, map, load);
- steady: the resident memory (VmRSS) after ``--tstop`` ms of simulation.

Set-up time is split into building the PyNN network and the first step (mapping and
loading).  With ``--before`` the trees alternate round by round (ABAB, then BABA); each
number is printed as median (min-max) over the rounds.  The machine may be loaded.

``--weight-bits 32,16`` runs this tree with each weight width (``setup(weight_bits=...)``),
alternating as the trees do (with ``--before``: the other tree at 32 bits only); the
``words`` column is the synapse words' bytes per synapse (``BlockTable.word_bytes``).

With ``--mpi K`` this tree runs each network in one process and under ``mpiexec -n K``
(alternating; with ``--before``, the other tree under ``mpiexec -n K`` as well); every rank
reports its own numbers and the synapses its rows hold (``HostBoard.held_synapses``).
Printed per configuration: the fullest rank's peak and steady RSS (MiB, and per synapse of
the whole network after the empty baseline of the same configuration), the synapses the
fullest rank held, and the set-up time of the slowest rank (build + first step).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _load() -> str:
    """The machine's load average now (1, 5, 15 minutes), to print beside the figures."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} {five:.1f} {fifteen:.1f}"


def _status() -> dict[str, float]:
    out = {}
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(("VmHWM", "VmRSS")):
                key, value = line.split(":")
                out[key] = int(value.split()[0]) / 1024.0  # MiB
    return out


def child(args: argparse.Namespace) -> None:
    """Build one network in this process (``--child``) and print one JSON line."""
    import spinstream.pyNN as sim

    empty = args.empty
    # only when asked: a tree from before the option (--before) runs at its 32 bits
    bits = {} if args.weight_bits == "32" else {"weight_bits": int(args.weight_bits)}
    base = _status()
    t0 = time.perf_counter()
    if args.network == "microcircuit":
        sys.path.insert(0, str(Path.cwd() / "examples" / "microcircuit"))
        from model import build

        sim.setup(
            timestep=0.1, min_delay=0.1, max_delay=100.0, threads=args.threads, seed=55, **bits
        )
        net = build(
            sim,
            scale=args.scale,
            k_scale=1e-9 if empty else None,
            background="poisson",
            seed=55,
            native_rng=True,
        )
        synapses = net.synapses + net.background_synapses
    else:
        sim.setup(
            timestep=0.1, min_delay=0.1, max_delay=10.0, threads=args.threads, seed=7, **bits
        )
        rng = sim.NativeRNG()
        from cuba_spec import CELL  # benchmarks/, this script's folder

        n = args.cuba_n
        pop = sim.Population(n, sim.IF_curr_exp(**CELL), label="cuba")
        pop.initialize(v=sim.RandomDistribution("uniform", (-60.0, -50.0), rng=sim.NumpyRNG(3)))
        p = 0.0 if empty else 0.02
        delay = sim.RandomDistribution("uniform", (0.1, 2.0), rng=rng)
        projections = [
            sim.Projection(
                part,
                pop,
                sim.FixedProbabilityConnector(p, rng=rng),
                sim.StaticSynapse(weight=w, delay=delay),
                receptor_type=receptor,
            )
            for part, w, receptor in (
                (pop[: int(0.8 * n)], 0.081, "excitatory"),
                (pop[int(0.8 * n) :], -0.45, "inhibitory"),
            )
        ]
        synapses = sum(len(proj) for proj in projections)
    built = _status()
    t1 = time.perf_counter()
    sim.run(0.1)
    loaded = _status()
    t2 = time.perf_counter()
    sim.run(args.tstop)
    ran = _status()
    board = sim.state.runtime.board
    board_synapses = board.synapses
    if hasattr(board, "held_synapses"):
        held = board.held_synapses()
    else:  # a tree from before it (--before): every rank built every row
        held = (board_synapses.n_synapses, 0)
    rank = board.rank
    sim.end()
    print(
        json.dumps(
            {
                "rank": int(rank),
                "held": int(held[0]),
                "synapses": int(synapses),
                "engine_synapses": int(board_synapses.n_synapses),
                "word_bytes": float(board_synapses.word_bytes),
                "base_rss": base["VmRSS"],
                "built_rss": built["VmRSS"],
                "peak": loaded["VmHWM"],
                "loaded_rss": loaded["VmRSS"],
                "steady": ran["VmRSS"],
                "build_s": t1 - t0,
                "load_s": t2 - t1,
            }
        ),
        flush=True,
    )


def run_ranks(
    tree: Path,
    network: str,
    empty: bool,
    args: argparse.Namespace,
    processes: int = 1,
    bits: int = 32,
) -> list[dict[str, Any]]:
    """One measurement in fresh processes importing spinstream from ``tree``; every rank's."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--network", network]
    cmd += ["--scale", str(args.scale), "--cuba-n", str(args.cuba_n)]
    cmd += ["--weight-bits", str(bits)]
    cmd += ["--threads", str(args.threads), "--tstop", str(args.tstop)]
    if empty:
        cmd.append("--empty")
    env = {**os.environ, "PYTHONPATH": str(tree)}
    if processes > 1:
        mpiexec = Path(sys.executable).parent / "mpiexec"
        cmd = [str(mpiexec if mpiexec.exists() else "mpiexec"), "-n", str(processes), *cmd]
    out = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{tree} {network} failed:\n{out.stderr[-3000:]}")
    # the ranks' lines may run together (mpiexec merges their output): read object by object
    decoder, text, found = json.JSONDecoder(), out.stdout, []
    at = text.find('{"rank"')
    while at >= 0:
        obj, end = decoder.raw_decode(text, at)
        found.append(obj)
        at = text.find('{"rank"', end)
    results: list[dict[str, Any]] = sorted(found, key=lambda d: d["rank"])
    if len(results) != processes:
        raise RuntimeError(f"{network}: {len(results)} ranks reported, not {processes}")
    return results


def run(
    tree: Path, network: str, empty: bool, args: argparse.Namespace, bits: int = 32
) -> dict[str, Any]:
    """One measurement in a fresh process importing spinstream from ``tree``."""
    return run_ranks(tree, network, empty, args, bits=bits)[0]


def compare_processes(args: argparse.Namespace) -> None:
    """``--mpi K``: one process against K, alternating; the fullest and slowest rank's."""
    configs = [("this", ROOT, 1), ("this", ROOT, args.mpi)]
    if args.before is not None:  # the other tree over K processes too
        configs.append(("before", args.before, args.mpi))
    rows: dict[tuple[str, str, int], list[dict[str, float]]] = {}
    for r in range(args.rounds):
        order = configs if r % 2 == 0 else list(reversed(configs))
        for network in args.networks.split(","):
            for name, tree, k in order:
                bits = _bits(args)[0] if name == "this" else 32
                full = run_ranks(tree, network, False, args, k, bits)
                empty = run_ranks(tree, network, True, args, k, bits)
                n = full[0]["synapses"] - empty[0]["synapses"]
                mib = 2**20 / n
                peak = max(f["peak"] for f in full)
                steady = max(f["steady"] for f in full)
                rows.setdefault((network, name, k), []).append(
                    {
                        "synapses": n,
                        "held": max(f["held"] for f in full),
                        "held_sum": sum(f["held"] for f in full),
                        "engine_synapses": full[0]["synapses"],  # background included
                        "peak_mib": peak,
                        "steady_mib": steady,
                        "peak": (peak - max(e["peak"] for e in empty)) * mib,
                        "steady": (steady - max(e["steady"] for e in empty)) * mib,
                        "setup_s": max(f["build_s"] + f["load_s"] for f in full),
                        "load_s": max(f["load_s"] for f in full),
                    }
                )
                print(f"round {r + 1} {network} {name} K={k}: {rows[(network, name, k)][-1]}")
    print(
        f"\nOne process against {args.mpi} (mpiexec), threads={args.threads} per process, "
        f"median (min-max) of {args.rounds} rounds; {_load()}.  Per rank: the fullest "
        "rank's RSS (B/syn: of the whole network's synapses, after the empty baseline), the "
        "slowest rank's set-up (build + first step)"
    )
    head = f"{'network':>13} {'tree':>6} {'K':>2} {'synapses':>11} {'held (fullest)':>15} "
    head += f"{'peak MiB':>18} {'peak B/syn':>16} {'steady MiB':>18} {'steady B/syn':>16} "
    head += f"{'set-up s':>16} {'first step s':>16}"
    print(head)
    for (network, name, k), values in rows.items():
        if name == "this":
            assert all(v["held_sum"] == v["engine_synapses"] for v in values), "held: not all"
        print(
            f"{network:>13} {name:>6} {k:>2} {values[0]['synapses']:>11,} "
            f"{values[0]['held']:>15,} "
            f"{spread([v['peak_mib'] for v in values]):>18} "
            f"{spread([v['peak'] for v in values]):>16} "
            f"{spread([v['steady_mib'] for v in values]):>18} "
            f"{spread([v['steady'] for v in values]):>16} "
            f"{spread([v['setup_s'] for v in values], '{:.2f}'):>16} "
            f"{spread([v['load_s'] for v in values], '{:.2f}'):>16}"
        )


def _bits(args: argparse.Namespace) -> list[int]:
    """The weight widths of ``--weight-bits`` (16 and/or 32)."""
    widths = [int(b) for b in str(args.weight_bits).split(",")]
    if not widths or any(b not in (16, 32) for b in widths):
        raise SystemExit(f"--weight-bits: 16 and/or 32, comma-separated, not {args.weight_bits}")
    return widths


def spread(values: list[float], fmt: str = "{:.1f}") -> str:
    """Median (min-max) of ``values``."""
    med = statistics.median(values)
    return f"{fmt.format(med)} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, default=None, help="another tree to compare")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scale", type=float, default=0.1, help="microcircuit scale")
    parser.add_argument("--cuba-n", type=int, default=10000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--tstop", type=float, default=100.0, help="ms simulated after load")
    parser.add_argument("--networks", default="microcircuit,cuba")
    parser.add_argument("--mpi", type=int, default=0, help="compare 1 process with this many")
    parser.add_argument(
        "--weight-bits",
        default="32",
        help="weight widths to run this tree with, alternating: 32, 16 or 32,16 (--mpi: one)",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--network", default="microcircuit", help=argparse.SUPPRESS)
    parser.add_argument("--empty", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if args.mpi > 1:
        compare_processes(args)
        return
    widths = _bits(args)
    configs = [] if args.before is None else [("before", args.before, 32)]
    for b in widths:  # this tree at each width; named by it when there are several
        configs.append(("this" if len(widths) == 1 else f"this/{b}", ROOT, b))
    rows: dict[tuple[str, str], list[dict[str, float]]] = {}
    for r in range(args.rounds):
        order = configs if r % 2 == 0 else list(reversed(configs))
        for network in args.networks.split(","):
            for name, tree, bits in order:
                full = run(tree, network, False, args, bits)
                empty = run(tree, network, True, args, bits)
                n = full["synapses"] - empty["synapses"]
                mib = 2**20 / n
                rows.setdefault((network, name), []).append(
                    {
                        "synapses": n,
                        "peak": (full["peak"] - empty["peak"]) * mib,
                        "steady": (full["steady"] - empty["steady"]) * mib,
                        "built": (full["built_rss"] - empty["built_rss"]) * mib,
                        "build_s": full["build_s"],
                        "load_s": full["load_s"],
                        "word_bytes": full["word_bytes"],
                    }
                )
                print(f"round {r + 1} {network} {name}: {rows[(network, name)][-1]}", flush=True)
    print(
        f"\nRSS per synapse (bytes; full minus empty-network baseline), threads={args.threads}, "
        f"median (min-max) of {args.rounds} rounds; {_load()}"
    )
    head = f"{'network':>13} {'tree':>7} {'synapses':>10} {'peak B/syn':>18} "
    head += f"{'steady B/syn':>18} {'after build':>18} {'build s':>16} {'first step s':>16} words"
    print(head)
    for (network, name), values in rows.items():
        print(
            f"{network:>13} {name:>7} {values[0]['synapses']:>10,} "
            f"{spread([v['peak'] for v in values]):>18} "
            f"{spread([v['steady'] for v in values]):>18} "
            f"{spread([v['built'] for v in values]):>18} "
            f"{spread([v['build_s'] for v in values], '{:.2f}'):>16} "
            f"{spread([v['load_s'] for v in values], '{:.2f}'):>16} "
            f"{values[0]['word_bytes']:.2f}"
        )


if __name__ == "__main__":
    main()
