"""CUBA on Brian2: C++ standalone (default) or runtime (cython / numpy). Run in the reference venv.

    .refsim/bin/python benchmarks/peers/cuba_brian2.py --n 4000 --target cpp_standalone

Prints one JSON line (see _cuba.report). Single-threaded: no OpenMP in standalone mode.

Timing, standalone: setup = model description + code generation + compilation (in a fresh
project folder, so a cold compile) + the binary's own set-up (synapse creation, loading, result
writing). The binary times its main loop with ``std::clock()`` (CPU time, when built without
OpenMP): that is ``sim_cpu_s``; the loop's wall time is the binary's wall time times the loop's
share of the binary's CPU time (exact on an idle machine).
Timing, runtime: simulation wall time = Brian2's main loop (``device._last_run_time``); setup =
model description + the rest of ``run`` (code generation, compilation into Brian2's cython
cache, synapse creation). A warm cython cache
(~/.cython/brian_extensions) makes the setup much shorter than a cold one.
"""

from __future__ import annotations

import resource
import shutil
import tempfile
import time

import _cuba
import brian2 as b2
import numpy as np


def main() -> None:
    args = _cuba.parse_args(
        __doc__ or "",
        {
            "--target": {
                "choices": ["cpp_standalone", "cython", "numpy"],
                "default": "cpp_standalone",
            }
        },
    )
    n = args.n
    n_exc, _, p = _cuba.sizes(n)
    standalone = args.target == "cpp_standalone"
    project = tempfile.mkdtemp(prefix="cuba-brian2-")
    clock = _cuba.Clock()
    details: dict[str, float] = {}
    b2.prefs.logging.console_log_level = "WARNING"
    if standalone:
        b2.set_device("cpp_standalone", directory=project, build_on_run=False)
        b2.prefs.devices.cpp_standalone.openmp_threads = 0
    else:
        b2.prefs.codegen.target = args.target
    b2.seed(args.seed)
    b2.defaultclock.dt = _cuba.DT * b2.ms

    ms, mV = b2.ms, b2.mV
    eqs = """
    dv/dt = (ge + gi - (v - v_rest)) / tau_m : volt (unless refractory)
    dge/dt = -ge / tau_e : volt
    dgi/dt = -gi / tau_i : volt
    """
    namespace = {
        "v_rest": _cuba.V_REST * mV,
        "tau_m": _cuba.TAU_M * ms,
        "tau_e": _cuba.TAU_SYN_E * ms,
        "tau_i": _cuba.TAU_SYN_I * ms,
        "v_thresh": _cuba.V_THRESH * mV,
        "v_reset": _cuba.V_RESET * mV,
        "w_e": _cuba.JUMP_E * mV,
        "w_i": _cuba.JUMP_I * mV,
    }
    cells = b2.NeuronGroup(
        n,
        eqs,
        threshold="v > v_thresh",
        reset="v = v_reset",
        refractory=_cuba.TAU_REFRAC * ms,
        method="exact",
        namespace=namespace,
    )
    cells.v = "v_reset + rand() * (v_thresh - v_reset)"
    exc = b2.Synapses(cells, cells, on_pre="ge += w_e", delay=args.delay * ms, namespace=namespace)
    inh = b2.Synapses(cells, cells, on_pre="gi += w_i", delay=args.delay * ms, namespace=namespace)
    exc.connect(condition=f"i < {n_exc}", p=p)
    inh.connect(condition=f"i >= {n_exc}", p=p)
    spikes = b2.SpikeMonitor(cells)
    net = b2.Network(cells, exc, inh, spikes)

    if standalone:
        net.run(args.t_sim * ms)
        details["describe_s"] = clock.lap()
        b2.device.build(directory=project, compile=True, run=False, with_output=False)
        details["codegen_compile_s"] = clock.lap()
        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        b2.device.run(directory=project, with_output=False)
        binary_s = clock.lap()
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        binary_cpu_s = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
        # Without OpenMP the binary times its main loop with std::clock(): CPU time. Its wall
        # time is apportioned by CPU share (exact on an idle machine).
        sim_cpu_s = float(b2.device._last_run_time)
        sim_wall_s = binary_s * min(sim_cpu_s / binary_cpu_s, 1.0) if binary_cpu_s else binary_s
        details["binary_total_s"] = binary_s
        details["binary_cpu_s"] = binary_cpu_s
        details["binary_setup_s"] = binary_s - sim_wall_s
        setup_s = details["describe_s"] + details["codegen_compile_s"] + details["binary_setup_s"]
    else:
        details["describe_s"] = clock.lap()
        marks: dict[float, float] = {}

        def progress(elapsed: object, completed: float, start: object, duration: object) -> None:
            # Brian2 calls this with completed == 0 just before its main loop, 1 at its end.
            marks.setdefault(completed, time.process_time())

        net.run(args.t_sim * ms, report=progress, report_period=1e9 * b2.second)
        run_s = clock.lap()
        sim_cpu_s = marks[1.0] - marks[0.0]
        sim_wall_s = float(b2.device._last_run_time)  # the main loop, as Brian2 times it
        details["run_total_s"] = run_s
        details["before_after_run_s"] = run_s - sim_wall_s
        setup_s = details["describe_s"] + details["before_after_run_s"]

    counts = np.asarray(spikes.count[:])
    out_degree = np.bincount(np.asarray(exc.i[:]), minlength=n) + np.bincount(
        np.asarray(inh.i[:]), minlength=n
    )
    _cuba.report(
        f"brian2_{args.target}",
        n,
        args.t_sim,
        setup_s=setup_s,
        sim_wall_s=sim_wall_s,
        total_spikes=int(counts.sum()),
        synaptic_events=int(counts @ out_degree),
        n_synapses=int(len(exc) + len(inh)),
        events_exact=True,
        details=details,
        versions={"brian2": b2.__version__, "numpy": np.__version__},
        delay_ms=args.delay,
        sim_cpu_s=sim_cpu_s,
    )
    shutil.rmtree(project, ignore_errors=True)


if __name__ == "__main__":
    main()
