"""Run the cortical microcircuit (Potjans & Diesmann 2014) and print its firing rates.

    python examples/microcircuit/microcircuit.py --scale 0.05 --tstop 1000
    python examples/microcircuit/microcircuit.py --scale 0.1 --background dc --thalamus
    /work/refsim/bin/python examples/microcircuit/microcircuit.py --simulator nest

The model is in ``model.py`` (plain PyNN); this script picks the backend: spinstream
(``import spinstream.pyNN as sim``, the default) or NEST through PyNN (``pyNN.nest``, from
the reference simulators' environment).  ``--json`` prints one JSON line with the rates,
the set-up and simulation times, the synapse count and the peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from model import FULL_SCALE_RATES, POPULATIONS, build


def _rss_mb() -> float:
    """Peak resident memory of this process so far (MB; Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _current_rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--simulator", choices=["spinstream", "nest"], default="spinstream")
    parser.add_argument("--scale", type=float, default=0.1, help="fraction of the neurons")
    parser.add_argument("--k-scale", type=float, default=None, help="fraction of in-degrees")
    parser.add_argument("--tstop", type=float, default=1000.0, help="recorded time, ms")
    parser.add_argument("--warmup", type=float, default=100.0, help="time before, ms")
    parser.add_argument("--dt", type=float, default=0.1, help="time step, ms")
    parser.add_argument(
        "--background",
        choices=["poisson", "dc", "frozen"],
        default="poisson",
        help="poisson; dc; frozen: Poisson trains drawn in advance, the same on every simulator",
    )
    parser.add_argument("--thalamus", action="store_true", help="thalamic pulse at 700 ms")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=55)
    parser.add_argument(
        "--rng",
        choices=["native", "numpy"],
        default=None,
        help="connectivity RNG: native (spinstream's default, fast) or numpy (NEST's only "
        "choice; the same seed then builds the same network on both simulators)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args(argv)

    rng = args.rng or ("numpy" if args.simulator == "nest" else "native")
    if args.simulator == "nest" and rng == "native":
        parser.error("--rng native: pyNN.nest has no native FixedTotalNumberConnector")
    if args.simulator == "nest":
        import pyNN.nest as sim

        setup_extra = dict(spike_precision="on_grid", threads=args.threads, rng_seed=args.seed)
    else:
        import spinstream.pyNN as sim

        setup_extra = dict(threads=args.threads, seed=args.seed)

    rss0 = _current_rss_mb()
    t0 = time.perf_counter()
    sim.setup(timestep=args.dt, min_delay=args.dt, max_delay=100.0, **setup_extra)
    net = build(
        sim,
        scale=args.scale,
        k_scale=args.k_scale,
        background=args.background,
        thalamus=args.thalamus,
        thalamus_start=args.warmup + 700.0,
        seed=args.seed,
        native_rng=rng == "native",
        frozen_duration=args.warmup + args.tstop if args.background == "frozen" else None,
    )
    net.record_spikes()
    # The first step makes both simulators finish their set-up (NEST: connection
    # sorting; spinstream: mapping and loading), so it counts as set-up.
    sim.run(args.dt)
    setup_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    sim.run(args.warmup + args.tstop - args.dt)
    sim_s = time.perf_counter() - t1
    rates = net.rates(args.warmup, args.warmup + args.tstop)
    peak = _rss_mb()
    sim.end()

    result: dict[str, object] = {
        "simulator": args.simulator,
        "scale": args.scale,
        "seed": args.seed,
        "rng": rng,
        "neurons": sum(net.sizes.values()),
        "synapses": net.synapses,
        "background_synapses": net.background_synapses,
        "setup_s": setup_s,
        "sim_s_per_bio_s": sim_s / ((args.warmup + args.tstop - args.dt) * 1e-3),
        "peak_rss_mb": peak,
        "base_rss_mb": rss0,
        "rates": rates,
    }
    if args.json:
        print(json.dumps(result), flush=True)
    else:
        print(
            f"{args.simulator}: scale {args.scale}, {result['neurons']} neurons, "
            f"{net.synapses:,} synapses; set-up {setup_s:.1f} s, "
            f"simulation {result['sim_s_per_bio_s']:.2f} s per biological second, "
            f"peak RSS {peak:.0f} MB"
        )
        print(f"{'population':>10} {'rate (Hz)':>10} {'full scale':>10}")
        for name, full in zip(POPULATIONS, FULL_SCALE_RATES, strict=True):
            print(f"{name:>10} {rates[name]:10.2f} {full:10.2f}")
    return result


if __name__ == "__main__":
    main()
