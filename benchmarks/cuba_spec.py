"""The Vogels & Abbott (2005) CUBA network as a plain NetworkSpec (no PyNN in the way).

Parameters follow Brian2's CUBA example: tau_m 20 ms, El -49 mV (above threshold, so the network
is self-driven), threshold -50 mV, reset -60 mV, refractory 5 ms, exponential currents with
tau 5 ms (exc) and 10 ms (inh), voltage jumps we = 1.62 mV and wi = -9 mV, expressed as PyNN
currents (w = jump * cm / tau_m), delay one step, initial v uniform in [-60, -50] mV.
"""

from __future__ import annotations

import numpy as np

from spinstream.model import EXCITATORY, INHIBITORY, NetworkSpec, PopulationSpec, ProjectionSpec

CELL = dict(
    v_rest=-49.0,
    cm=1.0,
    tau_m=20.0,
    tau_refrac=5.0,
    tau_syn_E=5.0,
    tau_syn_I=10.0,
    i_offset=0.0,
    v_reset=-60.0,
    v_thresh=-50.0,
)
W_EXC = 1.62 * CELL["cm"] / CELL["tau_m"]  # nA
W_INH = 9.0 * CELL["cm"] / CELL["tau_m"]  # nA (inhibitory receptor)


def cuba_spec(
    n: int = 4000,
    p_connect: float = 0.02,
    in_degree: int | None = None,
    seed: int = 42,
    dt: float = 0.1,
    max_atoms_per_core: int = 256,
    delay_steps: int = 1,
) -> NetworkSpec:
    """CUBA with ``n`` neurons (80 % excitatory); ``in_degree`` fixes inputs per neuron;
    every synapse delays by ``delay_steps`` steps."""
    rng = np.random.default_rng(seed)
    n_exc = int(n * 0.8)
    k_total = in_degree if in_degree is not None else None
    params = {k: np.full(n, v) for k, v in CELL.items()}
    initial = {
        "v": rng.uniform(-60.0, -50.0, n),
        "isyn_exc": np.zeros(n),
        "isyn_inh": np.zeros(n),
    }
    pop = PopulationSpec(
        0, "cuba", n, "IF_curr_exp", params, initial, max_atoms_per_core=max_atoms_per_core
    )
    projections = []
    for pid, (lo, hi, w, rec) in enumerate(
        [(0, n_exc, W_EXC, EXCITATORY), (n_exc, n, W_INH, INHIBITORY)]
    ):
        n_pre = hi - lo
        if k_total is None:
            mask_count = rng.binomial(n_pre, p_connect, size=n)  # inputs per post neuron
        else:
            mask_count = np.full(n, round(k_total * n_pre / n))
        post = np.repeat(np.arange(n, dtype=np.int64), mask_count)
        pre = lo + rng.integers(0, n_pre, size=len(post))
        projections.append(
            ProjectionSpec(
                id=pid,
                pre=0,
                post=0,
                pre_index=pre.astype(np.int64),
                post_index=post,
                weight=np.full(len(post), w),
                delay_steps=np.full(len(post), delay_steps, np.int64),
                receptor=np.full(len(post), rec, np.int64),
                label=["exc", "inh"][pid],
            )
        )
    return NetworkSpec(dt=dt, seed=seed, populations=[pop], projections=projections)
