"""CUBA through PyNN 0.13 on NEST (default) or Brian2. Run in the reference venv.

    .refsim/bin/python benchmarks/peers/cuba_pynn.py --n 4000 --t-sim 1000 --backend nest

Prints one JSON line (see _cuba.report). The same PyNN script a spinstream user would write:
IF_curr_exp, FixedProbabilityConnector with a NumpyRNG, StaticSynapse, spikes recorded.
NEST runs with ``spike_precision="on_grid"`` (plain iaf_psc_exp, as spinstream and the native
peer); ``--precision off_grid`` gives PyNN's default, iaf_psc_exp_ps (precise spike times).

Timing: setup = setup() + populations + projections (PyNN draws the connections in Python);
simulation wall time = run(), which for NEST includes its Prepare on the first call.
Synaptic events are estimated as spikes of each group times that group's mean out-degree.
"""

from __future__ import annotations

import importlib
import os
import time
import warnings

os.environ.setdefault("PYNEST_QUIET", "1")

import _cuba
import numpy as np

warnings.simplefilter("ignore")  # PyNN's and NEST's deprecation chatter


def main() -> None:
    args = _cuba.parse_args(
        __doc__ or "",
        {
            "--backend": {"choices": ["nest", "brian2"], "default": "nest"},
            "--precision": {"choices": ["on_grid", "off_grid"], "default": "on_grid"},
        },
    )
    n = args.n
    n_exc, n_inh, p = _cuba.sizes(n)
    clock = _cuba.Clock()
    sim = importlib.import_module(f"pyNN.{args.backend}")
    from pyNN.random import NumpyRNG, RandomDistribution

    details: dict[str, float] = {"import_s": clock.lap()}
    clock = _cuba.Clock()  # the import is not part of set-up
    extra = {"spike_precision": args.precision} if args.backend == "nest" else {}
    sim.setup(timestep=_cuba.DT, min_delay=args.delay, threads=1, rng_seed=args.seed, **extra)
    rng = NumpyRNG(seed=args.seed)
    cells = sim.Population(
        n,
        sim.IF_curr_exp(**_cuba.PYNN_CELL),
        initial_values={
            "v": RandomDistribution("uniform", (_cuba.V_RESET, _cuba.V_THRESH), rng=rng)
        },
    )
    exc, inh = cells[:n_exc], cells[n_exc:]
    connector = sim.FixedProbabilityConnector(p_connect=p, rng=rng)
    prj_e = sim.Projection(
        exc,
        cells,
        connector,
        sim.StaticSynapse(weight=_cuba.W_EXC, delay=args.delay),
        receptor_type="excitatory",
    )
    prj_i = sim.Projection(
        inh,
        cells,
        connector,
        # PyNN: current-based inhibitory weights are negative (pyNN refuses positive ones).
        sim.StaticSynapse(weight=-_cuba.W_INH, delay=args.delay),
        receptor_type="inhibitory",
    )
    cells.record("spikes")
    setup_s = clock.lap()

    cpu0 = time.process_time()
    sim.run(args.t_sim)
    sim_wall_s = clock.lap()
    sim_cpu_s = time.process_time() - cpu0

    trains = cells.get_data("spikes").segments[0].spiketrains
    counts = np.array([len(st) for st in trains])
    n_e, n_i = prj_e.size(), prj_i.size()
    events = counts[:n_exc].sum() * n_e / n_exc + counts[n_exc:].sum() * n_i / n_inh
    details["get_data_s"] = clock.lap()
    sim.end()
    peer = f"pynn_{args.backend}" + ("_off_grid" if args.precision == "off_grid" else "")
    if args.backend == "brian2":
        peer = "pynn_brian2"
    backend_mod = importlib.import_module(args.backend)
    _cuba.report(
        peer,
        n,
        args.t_sim,
        setup_s=setup_s,
        sim_wall_s=sim_wall_s,
        total_spikes=int(counts.sum()),
        synaptic_events=round(events),
        n_synapses=n_e + n_i,
        events_exact=False,
        details=details,
        versions={
            "pyNN": importlib.import_module("pyNN").__version__,
            args.backend: str(backend_mod.__version__),
        },
        delay_ms=args.delay,
        sim_cpu_s=sim_cpu_s,
    )


if __name__ == "__main__":
    main()
