"""CUBA on native NEST 3 (iaf_psc_exp, on-grid spikes, 1 thread). Run in the reference venv.

    .refsim/bin/python benchmarks/peers/cuba_nest.py --n 4000 --t-sim 1000

Prints one JSON line (see _cuba.report). Setup is kernel reset + Create + Connect + Prepare
(NEST builds its presynaptic infrastructure in Prepare); the simulation wall time is Run alone.
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("PYNEST_QUIET", "1")

import _cuba
import nest
import numpy as np


def main() -> None:
    args = _cuba.parse_args(__doc__ or "")
    n = args.n
    n_exc, _, p = _cuba.sizes(n)
    clock = _cuba.Clock()
    details: dict[str, float] = {}

    nest.ResetKernel()
    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.set(resolution=_cuba.DT, local_num_threads=1, rng_seed=args.seed, print_time=False)
    cells = nest.Create(
        "iaf_psc_exp",
        n,
        params={
            "C_m": _cuba.CM * 1000.0,  # pF
            "tau_m": _cuba.TAU_M,
            "E_L": _cuba.V_REST,
            "V_th": _cuba.V_THRESH,
            "V_reset": _cuba.V_RESET,
            "t_ref": _cuba.TAU_REFRAC,
            "tau_syn_ex": _cuba.TAU_SYN_E,
            "tau_syn_in": _cuba.TAU_SYN_I,
            "I_e": 0.0,
        },
    )
    cells.V_m = nest.random.uniform(_cuba.V_RESET, _cuba.V_THRESH)
    recorder = nest.Create("spike_recorder")
    nest.Connect(cells, recorder)
    details["create_s"] = clock.lap()

    rule = {"rule": "pairwise_bernoulli", "p": p}
    nest.Connect(cells[:n_exc], cells, rule, {"weight": _cuba.W_EXC * 1000.0, "delay": args.delay})
    nest.Connect(
        cells[n_exc:], cells, rule, {"weight": -_cuba.W_INH * 1000.0, "delay": args.delay}
    )
    details["connect_s"] = clock.lap()
    nest.Prepare()
    details["prepare_s"] = clock.lap()
    setup_s = clock._last - clock.start

    cpu0 = time.process_time()
    nest.Run(args.t_sim)
    sim_wall_s = clock.lap()
    sim_cpu_s = time.process_time() - cpu0
    nest.Cleanup()

    senders = np.asarray(recorder.get("events", "senders"))
    first_id = cells[0].global_id
    spikes_per_cell = np.bincount(senders - first_id, minlength=n)
    sources = np.asarray(nest.GetConnections(source=cells, target=cells).get("source"))
    out_degree = np.bincount(sources - first_id, minlength=n)
    _cuba.report(
        "nest",
        n,
        args.t_sim,
        setup_s=setup_s,
        sim_wall_s=sim_wall_s,
        total_spikes=int(spikes_per_cell.sum()),
        synaptic_events=int(spikes_per_cell @ out_degree),
        n_synapses=len(sources),
        events_exact=True,
        details=details,
        versions={"nest": str(nest.__version__)},
        delay_ms=args.delay,
        sim_cpu_s=sim_cpu_s,
    )


if __name__ == "__main__":
    main()
