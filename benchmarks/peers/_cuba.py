"""The Vogels & Abbott (2005) CUBA network: parameters and the result record, shared by the peers.

Parameters are those of Brian2's CUBA example (the self-driven variant: the leak reversal lies
above threshold, so no external input is needed):

    tau_m 20 ms, E_L (v_rest) -49 mV, V_th -50 mV, V_reset -60 mV, refractory 5 ms,
    exponential current synapses tau_syn 5 ms (exc) / 10 ms (inh),
    voltage jumps w_e = +1.62 mV (60 * 0.27 / 10) and w_i = -9 mV (-20 * 4.5 / 10),
    80 % excitatory, connection probability 0.02 (about 80 inputs per neuron),
    initial v uniform in [V_reset, V_th] = [-60, -50] mV, dt 0.1 ms.

In Brian2's equations the synaptic variables are voltages (dv/dt = (ge + gi - (v - E_L))/tau_m).
PyNN and NEST use currents, so with cm = 1 nF a jump of w mV is a current step of
w * cm / tau_m: 0.081 nA (81 pA) excitatory and 0.45 nA (450 pA) inhibitory.

Delay: one step (0.1 ms) everywhere. Brian2's example has no delay (the synapse acts in the
next step); NEST's minimum is one step. With a 0.1 ms delay the two schedule spikes identically
(CONVENTIONS.md: neuron-to-neuron delays).

The 40,000-neuron variant keeps the in-degree: p = 0.02 * 4000 / n.

This module is imported by the peer scripts inside the reference venv and by nothing else; it
needs only the standard library.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from typing import Any

DT = 0.1  # ms
TAU_M = 20.0  # ms
CM = 1.0  # nF
V_REST = -49.0  # mV (E_L)
V_THRESH = -50.0  # mV
V_RESET = -60.0  # mV
TAU_REFRAC = 5.0  # ms
TAU_SYN_E = 5.0  # ms
TAU_SYN_I = 10.0  # ms
JUMP_E = 60 * 0.27 / 10  # mV: 1.62
JUMP_I = -20 * 4.5 / 10  # mV: -9.0
W_EXC = JUMP_E * CM / TAU_M  # nA: 0.081
W_INH = -JUMP_I * CM / TAU_M  # nA, magnitude: 0.45 (a PyNN weight of -0.45, see CONVENTIONS.md)
DELAY = DT  # ms
EXC_FRACTION = 0.8
P_CONNECT_4000 = 0.02

PYNN_CELL = {
    "tau_m": TAU_M,
    "cm": CM,
    "v_rest": V_REST,
    "v_thresh": V_THRESH,
    "v_reset": V_RESET,
    "tau_refrac": TAU_REFRAC,
    "tau_syn_E": TAU_SYN_E,
    "tau_syn_I": TAU_SYN_I,
    "i_offset": 0.0,
}


def sizes(n: int) -> tuple[int, int, float]:
    """Return (n_exc, n_inh, p_connect) for ``n`` neurons with the in-degree of CUBA-4000."""
    n_exc = round(n * EXC_FRACTION)
    return n_exc, n - n_exc, P_CONNECT_4000 * 4000 / n


def parse_args(description: str, extra: dict[str, Any] | None = None) -> argparse.Namespace:
    """Command line shared by the peer scripts: --n, --t-sim, --seed (+ ``extra`` options)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--n", type=int, default=4000, help="number of neurons")
    ap.add_argument("--t-sim", type=float, default=1000.0, help="biological time, ms")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--delay", type=float, default=DELAY, help="synaptic delay, ms (default one step)"
    )
    for flag, kw in (extra or {}).items():
        ap.add_argument(flag, **kw)
    return ap.parse_args()


LOAD_AT_START = os.getloadavg()[0]


class Clock:
    """Wall-clock stopwatch; ``lap()`` returns seconds since the last lap."""

    def __init__(self) -> None:
        self.start = self._last = time.perf_counter()

    def lap(self) -> float:
        now = time.perf_counter()
        dt, self._last = now - self._last, now
        return dt


def report(
    peer: str,
    n: int,
    t_sim_ms: float,
    *,
    setup_s: float,
    sim_wall_s: float,
    total_spikes: int,
    synaptic_events: int,
    n_synapses: int,
    events_exact: bool,
    details: dict[str, Any],
    versions: dict[str, str],
    delay_ms: float = DELAY,
    sim_cpu_s: float | None = None,
) -> None:
    """Print the result record as one JSON line on stdout (the runner reads the last line).

    ``sim_cpu_s`` is the CPU time of the simulation loop where it can be measured: on a
    2-core machine shared with other work, wall time grows with the load and CPU time much
    less, so both are kept (with the 1-minute load average before and after).
    """
    n_exc, n_inh, p = sizes(n)
    bio_s = t_sim_ms / 1000.0
    rec = {
        "peer": peer,
        "n_neurons": n,
        "n_exc": n_exc,
        "n_inh": n_inh,
        "p_connect": p,
        "t_sim_ms": t_sim_ms,
        "dt_ms": DT,
        "delay_ms": delay_ms,
        "threads": 1,
        "setup_s": setup_s,
        "sim_wall_s": sim_wall_s,
        "sim_wall_per_bio_s": sim_wall_s / bio_s,
        "realtime_factor": bio_s / sim_wall_s,
        "total_spikes": int(total_spikes),
        "mean_rate_hz": total_spikes / n / bio_s,
        "n_synapses": int(n_synapses),
        "synaptic_events": int(synaptic_events),
        "synaptic_events_exact": events_exact,
        "synaptic_events_per_s": synaptic_events / sim_wall_s,
        "sim_cpu_s": sim_cpu_s,
        "sim_cpu_per_bio_s": None if sim_cpu_s is None else sim_cpu_s / bio_s,
        "load_1min": [LOAD_AT_START, os.getloadavg()[0]],
        "details": details,
        "versions": {"python": platform.python_version(), **versions},
    }
    sys.stdout.flush()
    print(json.dumps(rec))
