"""Engine benchmark: the Vogels & Abbott CUBA network on the embedded board, beside its peers.

Run from the repository root::

    python benchmarks/bench_engine.py                 # CUBA 4000 (1 s, 10 s) and 40,000 (1 s)
    python benchmarks/bench_engine.py --no-peers      # spinstream only
    python benchmarks/bench_engine.py --sizes 4000 --seconds 1

It prints set-up (build + mapping + load), simulation time, real-time factor, synaptic events
per second, bytes per synapse, peak RSS and the Python overhead of one chunk; with the reference
environment installed (``scripts/refsim_setup``), it runs the same network in Brian2 (C++
standalone) and NEST in the same invocation and prints the ratios.  Nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

# benchmarks/ itself on the path (for cuba_spec and peers), after the installed packages, so
# that `spinstream` is the installed, compiled one and not the checkout's source tree.
sys.path.append(str(Path(__file__).resolve().parent))

from cuba_spec import cuba_spec

from spinstream.board import HostBoard
from spinstream.mapping import map_network


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_spinstream(n: int, seconds: float) -> dict[str, float]:
    t0 = time.perf_counter()
    spec = cuba_spec(n, in_degree=None if n <= 4000 else 80)
    t1 = time.perf_counter()
    plan = map_network(spec)
    t2 = time.perf_counter()
    board = HostBoard()
    board.load(spec, plan)
    board.set_recording(0, "spikes", np.arange(n))
    t3 = time.perf_counter()
    steps = round(seconds * 1000.0 / spec.dt)
    c3 = time.process_time()
    result = board.run(steps)
    t4 = time.perf_counter()
    c4 = time.process_time()
    n_spikes = len(result.spikes[0][0]) if 0 in result.spikes else 0
    syn = board.synapses
    out_degree = syn.n_synapses / n
    sim = t4 - t3
    return {
        "build": t1 - t0,
        "map": t2 - t1,
        "load": t3 - t2,
        "setup": t3 - t0,
        "sim": sim,
        "sim_per_bio_s": sim / seconds,
        "sim_cpu_per_bio_s": (c4 - c3) / seconds,  # CPU time: less sensitive to load
        "rtf": seconds / sim,
        "rate_hz": n_spikes / n / seconds,
        "events_per_s": n_spikes * out_degree / sim,
        "synapses": syn.n_synapses,
        "word_bytes": syn.word_bytes,
        "bytes_per_synapse": syn.nbytes / max(syn.n_synapses, 1),
        "cores": len(plan.cores),
        "rss_mib": peak_rss_mib(),
    }


def chunk_overhead_us(repeats: int = 20000) -> dict[str, float]:
    """Wall time of one ``run(1)`` on a one-neuron network: the per-chunk Python cost."""
    spec = cuba_spec(4, p_connect=0.0)
    board = HostBoard()
    board.load(spec, map_network(spec))
    for _ in range(100):
        board.run(1)
    out = {}
    for label, record in (("no recording", False), ("spikes + v recorded", True)):
        if record:
            board.set_recording(0, "spikes", np.arange(4))
            board.set_recording(0, "v", np.arange(4))
        times = np.empty(repeats)
        for i in range(repeats):
            t = time.perf_counter()
            board.run(1)
            times[i] = time.perf_counter() - t
        out[label] = float(np.median(times) * 1e6)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4000, 40000])
    parser.add_argument("--seconds", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument(
        "--peers",
        nargs="+",
        default=["brian2_standalone", "nest"],
        help="peer simulators to run (benchmarks/peers: brian2_standalone, brian2_cython, "
        "nest, pynn_nest, pynn_brian2)",
    )
    args = parser.parse_args()

    rows = []
    for n in args.sizes:
        for seconds in args.seconds if n <= 4000 else args.seconds[:1]:
            r = run_spinstream(n, seconds)
            rows.append((n, seconds, r))
    print("\nspinstream, embedded board (C engine, 1 thread)")
    print(
        f"{'neurons':>8} {'bio s':>6} {'set-up s':>9} {'(map/load)':>12} {'sim s':>8} "
        f"{'RTF':>6} {'rate Hz':>8} {'events/s':>10} {'B/syn':>10} {'cores':>6} {'RSS MiB':>8}"
    )
    for n, seconds, r in rows:
        print(
            f"{n:>8} {seconds:>6.1f} {r['setup']:>9.3f} {r['map']:>5.2f}/{r['load']:<6.2f} "
            f"{r['sim']:>8.3f} {r['rtf']:>6.1f} {r['rate_hz']:>8.2f} "
            f"{r['events_per_s'] / 1e6:>9.1f}M {r['word_bytes']:>3.0f} "
            f"({r['bytes_per_synapse']:.1f}) "
            f"{r['cores']:>6} {r['rss_mib']:>8.0f}"
        )
    print("B/syn: bytes of each synapse word (and, in brackets, all synaptic storage per synapse)")

    overhead = chunk_overhead_us()
    print("\nPython overhead of one chunk (HostBoard.run(1), median):")
    for label, us in overhead.items():
        print(f"  {label:<22} {us:7.1f} us")

    if args.no_peers:
        return
    from peers import available, run_peer

    if not available():
        print("\npeers not run: no reference environment (run scripts/refsim_setup)")
        return
    print("\npeers, same network, same invocation (sim wall per simulated second)")
    print(
        f"{'neurons':>8} {'system':<22} {'set-up s':>9} {'sim/bio s':>10} {'RTF':>6} "
        f"{'spinstream faster by':>21}"
    )
    for n, seconds, r in rows:
        if seconds != args.seconds[0]:
            continue
        print(
            f"{n:>8} {'spinstream':<22} {r['setup']:>9.3f} {r['sim_per_bio_s']:>10.3f} "
            f"{r['rtf']:>6.1f}"
        )
        for peer in args.peers:
            p = run_peer(peer, n, seconds * 1000.0)
            per_s = p["sim_wall_per_bio_s"]
            print(
                f"{n:>8} {peer:<22} {p.get('setup_s', float('nan')):>9.3f} {per_s:>10.3f} "
                f"{1.0 / per_s:>6.1f} {per_s / r['sim_per_bio_s']:>20.2f}x"
            )


if __name__ == "__main__":
    main()
