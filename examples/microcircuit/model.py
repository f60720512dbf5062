"""The cortical microcircuit of Potjans & Diesmann (2014) as a plain PyNN network.

Eight populations (excitatory and inhibitory cells of layers 2/3, 4, 5 and 6) of
current-based leaky integrate-and-fire neurons with exponential synaptic currents
(``IF_curr_exp``, NEST's ``iaf_psc_exp``), connected with the published connection
probabilities, driven by Poisson or DC background input and optionally by a thalamic
population.  :func:`build` takes the PyNN backend module (``spinstream.pyNN`` or
``pyNN.nest``), so the same model runs on both.

Scaling follows the published model (and NEST's microcircuit example): ``scale`` multiplies
the number of neurons of every population and ``k_scale`` (default: ``scale``) the number
of synapses per neuron.  With ``k_scale < 1`` weights grow by ``1 / sqrt(k_scale)`` (so
the input's fluctuations keep their size) and a DC current per population gives back the
mean input that the missing synapses would have brought, computed from the full-scale
firing rates (``FULL_SCALE_RATES``).  Connection numbers are those of the published model:
``K = log(1 - C) / log(1 - 1 / (N_pre N_post))`` synapses per projection at full scale
(multapses allowed, no autapses excluded), drawn as a fixed total number.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

POPULATIONS = ("L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I")

#: Full-scale population sizes.
FULL_SIZES = np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948])

#: Connection probabilities, rows: target, columns: source (order of POPULATIONS).
CONN_PROBS = np.array(
    [
        [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
        [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
        [0.0077, 0.0059, 0.0497, 0.1350, 0.0067, 0.0003, 0.0453, 0.0],
        [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
        [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
        [0.0548, 0.0269, 0.0257, 0.0022, 0.0600, 0.3158, 0.0086, 0.0],
        [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
        [0.0364, 0.0010, 0.0034, 0.0005, 0.0277, 0.0080, 0.0658, 0.1443],
    ]
)

#: External (background) in-degrees at full scale, and the background rate (Hz).
K_EXT = np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100])
BG_RATE = 8.0

#: Thalamus: size at full scale, connection probabilities to each population.
N_THALAMUS = 902
THALAMUS_PROBS = np.array([0.0, 0.0, 0.0983, 0.0619, 0.0, 0.0, 0.0512, 0.0196])

#: Full-scale mean rates (Hz), used for the DC compensation of k_scale < 1: NEST 3.10 on
#: the full model (/work/shared/notes/anchors.md), which are the published rates.
FULL_SCALE_RATES = np.array([0.91, 2.99, 4.39, 5.89, 7.72, 8.64, 1.12, 7.85])

#: Neuron parameters (PyNN units: nF, ms, mV).
CELL = dict(
    cm=0.25,
    tau_m=10.0,
    tau_syn_E=0.5,
    tau_syn_I=0.5,
    tau_refrac=2.0,
    v_rest=-65.0,
    v_reset=-65.0,
    v_thresh=-50.0,
    i_offset=0.0,
)
PSP_MEAN = 0.15  # mV, peak of the mean excitatory PSP
W_REL_SD = 0.1  # relative standard deviation of the weights
G = -4.0  # inhibitory weight relative to excitatory
DELAY_E, DELAY_I = 1.5, 0.75  # ms, mean delays
DELAY_REL_SD = 0.5  # relative standard deviation of the delays
V0_MEAN, V0_SD = -58.0, 10.0  # mV, initial membrane potentials


def psc_from_psp(psp: float, cm: float, tau_m: float, tau_syn: float) -> float:
    """Peak current (nA) of an exponential PSC whose PSP peaks at ``psp`` (mV).

    Closed form of the PSP of ``iaf_psc_exp``: capacitance ``cm`` (nF), time constants ms.
    """
    t_peak = math.log(tau_m / tau_syn) * tau_m * tau_syn / (tau_m - tau_syn)
    unit = (
        tau_m
        * tau_syn
        / (cm * (tau_m - tau_syn))
        * (math.exp(-t_peak / tau_m) - math.exp(-t_peak / tau_syn))
    )
    return psp / unit


def total_synapses(probs: np.ndarray, n_pre: np.ndarray, n_post: np.ndarray) -> np.ndarray:
    """Synapses per projection (rows: target) for connection probabilities ``probs``."""
    pairs = np.outer(n_post, n_pre).astype(np.float64)
    return np.log(1.0 - probs) / np.log(1.0 - 1.0 / pairs)


@dataclass
class Microcircuit:
    """The built network: its populations, projections and what was derived."""

    populations: dict[str, Any]
    thalamus: Any | None
    sizes: dict[str, int]
    synapses: int  # recurrent + thalamic synapses (Poisson background excluded)
    background_synapses: int  # Poisson background synapses (0 with DC background)
    dc: dict[str, float]  # nA, constant current of each population
    projections: list[Any] = field(default_factory=list)

    def record_spikes(self) -> None:
        """Record the spikes of every population."""
        for pop in self.populations.values():
            pop.record("spikes")

    def rates(self, t_start: float, t_stop: float) -> dict[str, float]:
        """Mean firing rate (Hz) of each population over [t_start, t_stop) ms."""
        out = {}
        for name, pop in self.populations.items():
            seg = pop.get_data("spikes", clear=False).segments[0]
            n = sum(
                int(np.count_nonzero((np.asarray(st) >= t_start) & (np.asarray(st) < t_stop)))
                for st in seg.spiketrains
            )
            out[name] = n / (pop.size * (t_stop - t_start) * 1e-3)
        return out

    def spikes(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """(times ms, cell indices) of each population's spikes, sorted by time then cell."""
        out = {}
        for name, pop in self.populations.items():
            seg = pop.get_data("spikes", clear=False).segments[0]
            times = [np.asarray(st.magnitude, dtype=np.float64) for st in seg.spiketrains]
            cells = [np.full(len(t), i, np.int64) for i, t in enumerate(times)]
            t = np.concatenate(times) if times else np.zeros(0)
            c = np.concatenate(cells) if cells else np.zeros(0, np.int64)
            order = np.lexsort((c, t))
            out[name] = (t[order], c[order])
        return out


def build(
    sim: Any,
    scale: float = 0.1,
    k_scale: float | None = None,
    background: str = "poisson",
    thalamus: bool = False,
    thalamus_start: float = 700.0,
    thalamus_duration: float = 10.0,
    thalamus_rate: float = 120.0,
    seed: int = 55,
    native_rng: bool = True,
    frozen_duration: float | None = None,
) -> Microcircuit:
    """Build the microcircuit in the current simulation of ``sim`` (after ``sim.setup``).

    Parameters
    ----------
    sim
        The PyNN backend module (``spinstream.pyNN``, ``pyNN.nest``).
    scale
        Fraction of the neurons of each population (0 < scale <= 1).
    k_scale
        Fraction of the synapses per neuron (default ``scale``), with weight scaling and
        DC compensation as the published model does.
    background
        ``"poisson"`` (every neuron gets ``K_EXT`` independent 8 Hz Poisson inputs, as one
        Poisson source of ``K_EXT x 8`` Hz through one synapse), ``"dc"`` (their mean
        current) or ``"frozen"``: the same Poisson input drawn here in advance (numpy's
        RandomState of ``seed + 2``: a Poisson number of spikes in every step from the second to
        ``frozen_duration``) and played by a ``SpikeSourceArray``, so that every simulator
        gets the same background spikes.  Each spike lies a quarter step before the end
        of its step, where NEST's spike generator (pyNN.nest sets ``precise_times``) and
        spinstream (which rounds to the nearest step) both put it in that step; a time on
        the grid itself may land a rounding error after it in NEST, one step late.
    thalamus
        Add the thalamic population (Poisson cells firing at ``thalamus_rate`` Hz for
        ``thalamus_duration`` ms from ``thalamus_start`` ms).
    seed
        Seed of the connectivity, weights, delays and initial potentials.
    native_rng
        Draw connectivity with ``sim.NativeRNG`` (spinstream's fast generators; must be
        False on backends without it for FixedTotalNumberConnector, such as pyNN.nest).
        False: every projection draws its connections, its weights and its delays from a
        ``NumpyRNG`` of its own (seeded from ``seed``), so that spinstream and pyNN.nest
        build the same network synapse for synapse (PyNN 0.13 draws synapse parameters
        from a copy of their RNG, so one RNG shared by connectors and parameters gives
        each simulator a different network).
    frozen_duration
        Length (ms) of the frozen background trains (``background="frozen"`` only;
        None: 1000 ms).

    Returns
    -------
    Microcircuit
    """
    if not 0.0 < scale <= 1.0:
        raise ValueError(f"microcircuit: scale must be in (0, 1], got {scale!r}")
    k_scale = scale if k_scale is None else k_scale
    if not 0.0 < k_scale <= 1.0:
        raise ValueError(f"microcircuit: k_scale must be in (0, 1], got {k_scale!r}")
    if background not in ("poisson", "dc", "frozen"):
        raise ValueError(
            f"microcircuit: background must be 'poisson', 'dc' or 'frozen', got {background!r}"
        )
    if frozen_duration is not None and background != "frozen":
        raise ValueError(
            f"microcircuit: frozen_duration={frozen_duration!r} is the length of the frozen "
            f"background, and background={background!r}: give background='frozen' or no "
            "frozen_duration"
        )
    if frozen_duration is None:
        frozen_duration = 1000.0
    if not frozen_duration > 0.0:
        raise ValueError(f"microcircuit: frozen_duration must be > 0 ms, got {frozen_duration!r}")
    dt = sim.get_time_step()
    native = sim.NativeRNG(seed=seed) if native_rng else None
    streams = itertools.count(1)

    def new_rng() -> Any:
        """The shared native RNG, or a NumpyRNG of its own for each connector/parameter."""
        return native if native is not None else sim.NumpyRNG(seed=seed * 1000 + next(streams))

    init_rng = sim.NumpyRNG(seed=seed + 1)

    sizes = np.maximum(np.round(FULL_SIZES * scale).astype(np.int64), 1)
    full_k = total_synapses(CONN_PROBS, FULL_SIZES, FULL_SIZES)
    n_syn = np.round(full_k * scale * k_scale).astype(np.int64)

    w = psc_from_psp(PSP_MEAN, CELL["cm"], CELL["tau_m"], CELL["tau_syn_E"])  # nA
    w_matrix = np.tile(np.array([w, G * w] * 4), (8, 1))
    w_matrix[0, 2] *= 2.0  # L4E -> L23E: twice the mean weight, as published
    w_ext = w

    # Mean input lost by k_scale < 1 (recurrent and, with Poisson background, external),
    # given back as DC; the DC background itself is the external mean input (nA).
    tau = CELL["tau_syn_E"]
    in_degree = full_k / FULL_SIZES[:, None]
    root = math.sqrt(k_scale)
    dc = 1e-3 * tau * ((1.0 - root) * w_matrix * in_degree) @ FULL_SCALE_RATES
    if background != "dc":
        dc += 1e-3 * tau * BG_RATE * w_ext * K_EXT * (1.0 - root)
    else:
        dc += 1e-3 * tau * BG_RATE * w_ext * K_EXT
    w_matrix = w_matrix / root
    w_ext = w_ext / root
    k_ext = np.round(K_EXT * k_scale).astype(np.int64)

    pops: dict[str, Any] = {}
    for i, name in enumerate(POPULATIONS):
        cell = sim.IF_curr_exp(**{**CELL, "i_offset": float(dc[i])})
        pop = sim.Population(int(sizes[i]), cell, label=name)
        pop.initialize(v=sim.RandomDistribution("normal", (V0_MEAN, V0_SD), rng=init_rng))
        pops[name] = pop

    def weights(mean: float) -> Any:
        sd = abs(mean) * W_REL_SD
        low, high = (0.0, math.inf) if mean > 0 else (-math.inf, 0.0)
        return sim.RandomDistribution(
            "normal_clipped", mu=mean, sigma=sd, low=low, high=high, rng=new_rng()
        )

    def delays(mean: float) -> Any:
        return sim.RandomDistribution(
            "normal_clipped",
            mu=mean,
            sigma=mean * DELAY_REL_SD,
            low=dt,
            high=math.inf,
            rng=new_rng(),
        )

    projections = []
    for t, target in enumerate(POPULATIONS):
        for s, source in enumerate(POPULATIONS):
            if n_syn[t, s] == 0:
                continue
            exc = s % 2 == 0
            syn = sim.StaticSynapse(
                weight=weights(float(w_matrix[t, s])), delay=delays(DELAY_E if exc else DELAY_I)
            )
            conn = sim.FixedTotalNumberConnector(
                int(n_syn[t, s]), allow_self_connections=True, with_replacement=True, rng=new_rng()
            )
            projections.append(
                sim.Projection(
                    pops[source],
                    pops[target],
                    conn,
                    syn,
                    receptor_type="excitatory" if exc else "inhibitory",
                    label=f"{source}->{target}",
                )
            )

    background_synapses = 0
    if background == "frozen":
        frozen_rng = np.random.RandomState(seed + 2)  # legacy stream: the same in every numpy
        n_steps = round(frozen_duration / dt)
    if background != "dc":
        for i, name in enumerate(POPULATIONS):
            # K_ext independent Poisson inputs of equal weight sum to one Poisson process.
            rate = float(BG_RATE * k_ext[i])
            if background == "frozen":
                counts = frozen_rng.poisson(
                    rate * dt * 1e-3, size=(int(sizes[i]), max(n_steps - 1, 0))
                )
                steps = np.arange(2, n_steps + 1)
                trains = [np.repeat(steps, row) * dt - 0.25 * dt for row in counts]
                source = sim.SpikeSourceArray(spike_times=trains)
            else:
                source = sim.SpikeSourcePoisson(rate=rate)
            if background == "poisson" and getattr(source, "uses_parrot", False):
                # pyNN.nest relays each generator through a parrot neuron so that all its
                # targets see the same spikes; with one target each that changes nothing
                # but turns every background event into a relayed spike (as NEST's own
                # microcircuit does not), so connect the generators straight.
                source.uses_parrot = False
            drive = sim.Population(int(sizes[i]), source, label=f"bg_{name}")
            projections.append(
                sim.Projection(
                    drive,
                    pops[name],
                    sim.OneToOneConnector(),
                    sim.StaticSynapse(weight=float(w_ext), delay=DELAY_E),
                    receptor_type="excitatory",
                    label=f"bg->{name}",
                )
            )
            background_synapses += int(sizes[i])

    thal = None
    n_thal_syn = 0
    if thalamus:
        n_th = max(round(N_THALAMUS * scale), 1)
        thal = sim.Population(
            n_th,
            sim.SpikeSourcePoisson(
                rate=thalamus_rate, start=thalamus_start, duration=thalamus_duration
            ),
            label="thalamus",
        )
        k_th = total_synapses(THALAMUS_PROBS[:, None], np.array([N_THALAMUS]), FULL_SIZES)
        n_th_syn = np.round(k_th[:, 0] * scale * k_scale).astype(np.int64)
        for t, target in enumerate(POPULATIONS):
            if n_th_syn[t] == 0:
                continue
            conn = sim.FixedTotalNumberConnector(
                int(n_th_syn[t]), with_replacement=True, rng=new_rng()
            )
            syn = sim.StaticSynapse(weight=weights(float(w_ext)), delay=delays(DELAY_E))
            projections.append(
                sim.Projection(
                    thal,
                    pops[target],
                    conn,
                    syn,
                    receptor_type="excitatory",
                    label=f"thalamus->{target}",
                )
            )
        n_thal_syn = int(n_th_syn.sum())

    return Microcircuit(
        populations=pops,
        thalamus=thal,
        sizes={name: int(n) for name, n in zip(POPULATIONS, sizes, strict=True)},
        synapses=int(n_syn.sum()) + n_thal_syn,
        background_synapses=background_synapses,
        dc={name: float(v) for name, v in zip(POPULATIONS, dc, strict=True)},
        projections=projections,
    )
