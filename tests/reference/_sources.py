"""Spike sources and current sources of the reference board, written from docs/ENGINE.md."""

from __future__ import annotations

import math

import numpy as np
import pyNN.standardmodels.electrodes as pynn_electrodes

from spinstream.model import CurrentSourceSpec, LateInputError, ParameterError

from ._neurons import pynn_defaults, round_half_up

#: Times are compared with this slack (in units of ``dt``), so that ``start = 1.0`` means
#: "from step 10" at ``dt = 0.1`` although ``10 * 0.1`` is not exactly ``1.0`` in binary.
TIME_SLACK = 1e-6


def _at_or_after(t: float, edge: float, dt: float) -> bool:
    """``t >= edge``, up to rounding."""
    return t >= edge - TIME_SLACK * dt


def _empty() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)


class PoissonSource:
    """SpikeSourcePoisson: one continuous-time Poisson process per neuron.

    The next event of neuron ``i`` is held as an absolute time ``next_time[i]`` (ms); an
    event at ``T`` gets stamp ``ceil(T/dt)`` and is emitted during step ``stamp - 1``.
    Draws happen lazily in time order, so how the run is chunked never changes them.
    """

    model = "SpikeSourcePoisson"
    param_names = ("rate", "start", "duration")

    def __init__(
        self, size: int, dt: float, params: dict[str, np.ndarray], rng: np.random.Generator
    ) -> None:
        self.size = size
        self.dt = dt
        self.rng = rng
        defaults, _ = pynn_defaults(self.model)
        for name in params:
            if name not in self.param_names:
                raise ParameterError(
                    f"{self.model} has no parameter {name!r}; expected one of {self.param_names}"
                )
        self.params = {}
        for name in self.param_names:
            arr = np.array(params.get(name, defaults[name]), dtype=np.float64)
            self.params[name] = np.full(size, float(arr)) if arr.ndim == 0 else arr.copy()
            if self.params[name].shape != (size,):
                raise ParameterError(
                    f"{self.model}.{name}: expected {size} values, got shape {arr.shape}"
                )
        self.check_parameters()
        self.next_time = np.full(size, np.inf)
        self.reset()

    def check_parameters(self) -> None:
        """Raise :class:`ParameterError` for a negative or infinite rate."""
        rate = self.params["rate"]
        if not np.all((rate >= 0) & np.isfinite(rate)):
            bad = rate[~((rate >= 0) & np.isfinite(rate))][0]
            raise ParameterError(f"{self.model}.rate = {bad} Hz: expected a finite value >= 0")

    def restart(self, indices: np.ndarray, step: int) -> None:
        """Restart the processes of ``indices`` at time ``step * dt``."""
        indices = np.asarray(indices, dtype=np.int64)
        self.next_time[indices] = step * self.dt + self.draw_intervals(indices)

    def draw_intervals(self, indices: np.ndarray) -> np.ndarray:
        """One exponential inter-event interval (ms) per neuron; ``inf`` at rate 0."""
        rate = self.params["rate"][indices]
        out = np.full(len(indices), np.inf)
        live = rate > 0
        out[live] = self.rng.exponential(1000.0 / rate[live])
        return out

    def reset(self) -> None:
        """Restart every process at time 0 (the generator continues, it is not reseeded)."""
        self.restart(np.arange(self.size), 0)

    def set_parameter(self, name: str, indices: np.ndarray, values: np.ndarray, step: int) -> None:
        """Change a parameter; a rate change restarts those processes at ``step``."""
        if name not in self.params:
            raise ParameterError(
                f"{self.model} has no parameter {name!r}; expected one of {self.param_names}"
            )
        old = self.params[name].copy()
        self.params[name][indices] = values
        try:
            self.check_parameters()
        except ParameterError:
            self.params[name] = old
            raise
        if name == "rate":
            self.restart(indices, step)

    def emit(self, m: int) -> tuple[np.ndarray, np.ndarray]:
        """Spikes emitted during step ``m``: every event with stamp ``<= m + 1``."""
        dt = self.dt
        stamps_out: list[np.ndarray] = []
        index_out: list[np.ndarray] = []
        while True:
            stamps = np.ceil(self.next_time / dt)
            due = np.flatnonzero(stamps <= m + 1)
            if len(due) == 0:
                break
            s = stamps[due].astype(np.int64)
            t = s * dt
            start = self.params["start"][due]
            end = start + self.params["duration"][due]
            keep = (t > start + TIME_SLACK * dt) & (t <= end + TIME_SLACK * dt)
            stamps_out.append(s[keep])
            index_out.append(due[keep])
            self.next_time[due] += self.draw_intervals(due)
        if not stamps_out:
            return _empty()
        return np.concatenate(stamps_out), np.concatenate(index_out)


class ArraySource:
    """SpikeSourceArray and SpikeInjector: emit scheduled stamps.

    During step ``m`` every pending spike with stamp ``<= m + 1`` is emitted.  Normally
    that is stamp ``m + 1`` (and stamp 0 at step 0); a spike scheduled between runs with
    stamp equal to the current step also goes out in the next step, into ring slot
    ``stamp + d - 1``, which is still ahead, so it keeps its exact timing.
    """

    def __init__(self, model: str, size: int, dt: float, spike_times: list[np.ndarray] | None):
        self.model = model
        self.size = size
        self.dt = dt
        stamps: list[np.ndarray] = []
        indices: list[np.ndarray] = []
        if spike_times is not None:
            if len(spike_times) != size:
                raise ParameterError(
                    f"{model}: expected {size} spike time arrays, got {len(spike_times)}"
                )
            for i, times in enumerate(spike_times):
                s = round_half_up(np.asarray(times, dtype=np.float64) / dt)
                s = s[s >= 0]
                stamps.append(s)
                indices.append(np.full(len(s), i, dtype=np.int64))
        self.array_stamps = np.concatenate(stamps) if stamps else np.zeros(0, np.int64)
        self.array_indices = np.concatenate(indices) if indices else np.zeros(0, np.int64)
        self.reset()

    def reset(self) -> None:
        """Forget injected spikes and re-arm the spike array."""
        self.pending_stamps = np.zeros(0, dtype=np.int64)
        self.pending_indices = np.zeros(0, dtype=np.int64)
        self.add(self.array_indices, self.array_stamps)

    def add(self, indices: np.ndarray, stamps: np.ndarray) -> None:
        """Add spikes to the pending ones, kept sorted by (stamp, index)."""
        s = np.concatenate([self.pending_stamps, np.asarray(stamps, dtype=np.int64)])
        i = np.concatenate([self.pending_indices, np.asarray(indices, dtype=np.int64)])
        order = np.lexsort((i, s))
        self.pending_stamps = s[order]
        self.pending_indices = i[order]

    def set_times(self, indices: np.ndarray, times: list[np.ndarray], step: int) -> None:
        """Replace the spike arrays of some neurons (``times`` in ms, one array per index).

        Their pending spikes go; the new ones that have not gone out yet come instead:
        during step ``m`` stamps ``<= m + 1`` go out, so at step ``step > 0`` a stamp
        ``<= step`` is past.  ``reset`` replays the new arrays.
        """
        indices = np.asarray(indices, dtype=np.int64)
        if len(times) != len(indices):
            raise ParameterError(f"{self.model}: {len(times)} arrays for {len(indices)} neurons")
        if len(indices) and (indices.min() < 0 or indices.max() >= self.size):
            raise ParameterError(f"{self.model}: index out of range [0, {self.size})")
        stamps = [round_half_up(np.asarray(t, dtype=np.float64) / self.dt) for t in times]
        first = step + 1 if step > 0 else 0
        gone = np.isin(self.pending_indices, indices)
        self.pending_stamps = self.pending_stamps[~gone]
        self.pending_indices = self.pending_indices[~gone]
        new_s = np.concatenate([np.zeros(0, np.int64), *stamps]).astype(np.int64)
        new_i = np.repeat(indices, [len(x) for x in stamps])
        self.add(new_i[new_s >= first], new_s[new_s >= first])
        keep = ~np.isin(self.array_indices, indices)
        all_s = np.concatenate([self.array_stamps[keep], new_s])
        all_i = np.concatenate([self.array_indices[keep], new_i])
        self.array_stamps = all_s[all_s >= 0]
        self.array_indices = all_i[all_s >= 0]

    def schedule(self, indices: np.ndarray, stamps: np.ndarray, step: int) -> None:
        """Inject spikes; every stamp must be ``>= step``."""
        indices = np.asarray(indices, dtype=np.int64)
        stamps = np.asarray(stamps, dtype=np.int64)
        if indices.shape != stamps.shape:
            raise ParameterError(
                f"schedule_spikes: {len(indices)} indices but {len(stamps)} stamps"
            )
        if len(indices) and (indices.min() < 0 or indices.max() >= self.size):
            raise ParameterError(
                f"schedule_spikes: index out of range [0, {self.size}) in {self.model}"
            )
        if len(stamps) and stamps.min() < step:
            raise LateInputError(
                f"schedule_spikes: stamp {stamps.min()} is before the current step {step}"
            )
        self.add(indices, stamps)

    def emit(self, m: int) -> tuple[np.ndarray, np.ndarray]:
        """Spikes emitted during step ``m``."""
        n = int(np.searchsorted(self.pending_stamps, m + 1, side="right"))
        out = self.pending_stamps[:n], self.pending_indices[:n]
        self.pending_stamps = self.pending_stamps[n:]
        self.pending_indices = self.pending_indices[n:]
        return out


_ARRAYS = ("times", "amplitudes")
_CURRENT_CLASSES = {
    "dc": pynn_electrodes.DCSource,
    "ac": pynn_electrodes.ACSource,
    "step": pynn_electrodes.StepCurrentSource,
    "noisy": pynn_electrodes.NoisyCurrentSource,
}


class CurrentSource:
    """DC, AC, step and noisy current sources, evaluated at ``t = m*dt``, held for step ``m``."""

    def __init__(self, spec: CurrentSourceSpec, dt: float, rng: np.random.Generator) -> None:
        if spec.kind not in _CURRENT_CLASSES:
            raise ParameterError(
                f"current source {spec.id}: kind {spec.kind!r}; expected one of "
                f"{sorted(_CURRENT_CLASSES)}"
            )
        self.id = spec.id
        self.kind = spec.kind
        self.dt = dt
        self.rng = rng
        self.targets = [(int(p), np.asarray(i, dtype=np.int64)) for p, i in spec.targets]
        defaults = _CURRENT_CLASSES[spec.kind].default_parameters
        #: Scalar parameters (nA, ms, Hz, deg).
        self.scalars = {k: float(v) for k, v in defaults.items() if k not in _ARRAYS}
        #: Step source only: ``times`` (ms) and ``amplitudes`` (nA).
        self.arrays = {k: np.zeros(0) for k in defaults if k in _ARRAYS}
        self.update(spec.params)
        self.reset()

    def update(self, params: dict[str, object]) -> None:
        """Change some parameters (same keys as ``CurrentSourceSpec.params``)."""
        scalars = dict(self.scalars)
        arrays = dict(self.arrays)
        for name, value in params.items():
            if name in scalars:
                scalars[name] = float(value)  # type: ignore[arg-type]
            elif name in arrays:
                arrays[name] = np.array(value, dtype=np.float64).reshape(-1)
            else:
                raise ParameterError(
                    f"{self.kind} current source {self.id} has no parameter {name!r}; "
                    f"expected one of {sorted([*scalars, *arrays])}"
                )
        if self.kind == "step":
            times, amps = arrays["times"], arrays["amplitudes"]
            if times.shape != amps.shape:
                raise ParameterError(
                    f"step current source {self.id}: {len(times)} times but {len(amps)} amplitudes"
                )
            if np.any(np.diff(times) < 0):
                raise ParameterError(f"step current source {self.id}: times must be sorted")
        if self.kind == "noisy" and not scalars["dt"] > 0:
            raise ParameterError(
                f"noisy current source {self.id}: dt = {scalars['dt']} ms; expected a value > 0"
            )
        self.scalars = scalars
        self.arrays = arrays

    def reset(self) -> None:
        """Forget the held noise values."""
        self.held: list[np.ndarray] | None = None

    def level(self, m: int) -> float | None:
        """The current (nA) of a dc, ac or step source during step ``m``."""
        t = m * self.dt
        p = self.scalars
        if self.kind == "step":
            times, amps = self.arrays["times"], self.arrays["amplitudes"]
            reached = [k for k in range(len(times)) if _at_or_after(t, times[k], self.dt)]
            return float(amps[reached[-1]]) if reached else 0.0
        active = _at_or_after(t, p["start"], self.dt) and not _at_or_after(t, p["stop"], self.dt)
        if not active:
            return 0.0
        if self.kind == "dc":
            return p["amplitude"]
        if self.kind == "ac":
            angle = 2 * math.pi * p["frequency"] * t / 1000.0 + p["phase"] * math.pi / 180.0
            return p["offset"] + p["amplitude"] * math.sin(angle)
        return None  # noisy

    def values(self, m: int) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """``(pop, indices, current in nA)`` for each target during step ``m``."""
        level = self.level(m)
        if level is not None:
            return [(pop, idx, np.full(len(idx), level)) for pop, idx in self.targets]
        # noisy: a new draw whenever t - start is a multiple of the noise dt
        p = self.scalars
        since = m * self.dt - p["start"]
        k = round(since / p["dt"])
        on_grid = abs(since - k * p["dt"]) <= TIME_SLACK * self.dt
        if on_grid or self.held is None:
            self.held = [
                p["mean"] + p["stdev"] * self.rng.standard_normal(len(idx))
                for _, idx in self.targets
            ]
        return [(pop, idx, vals) for (pop, idx), vals in zip(self.targets, self.held, strict=True)]
