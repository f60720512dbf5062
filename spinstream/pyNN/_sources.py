"""Current sources (DC, AC, step, noisy) as runtime ``CurrentSourceSpec``s.

A source belongs to no network until it is injected; ``inject_into`` registers it with the
runtime of the cells it is injected into.  Changing a parameter later (``source.amplitude =
0.5`` or ``set_parameters``) goes to the runtime and takes effect at the next step run, so
sources can change between runs and while a session runs.  The waveform of DC, AC and step
sources is known exactly, so ``record()`` / ``get_data()`` rebuild it from the parameter
history rather than asking the engine; a noisy source's current is recorded by the board.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import neo
import numpy as np
import numpy.typing as npt
import quantities as pq
from pyNN import errors
from pyNN.parameters import ParameterSpace, Sequence
from pyNN.standardmodels import build_translations, electrodes

from spinstream.model import CurrentSourceSpec, first_step_at
from spinstream.pyNN._errors import RecordingError
from spinstream.pyNN._state import StaleObjectError

__all__ = ["ACSource", "DCSource", "NoisyCurrentSource", "StepCurrentSource"]


class _CurrentSource:
    """Behaviour shared by the four sources; mixed in before PyNN's classes."""

    kind: ClassVar[str]
    default_parameters: ClassVar[dict[str, Any]]
    _values: dict[str, Any]
    _owner: Any
    _state: Any
    _id: int | None
    _history: list[tuple[int, dict[str, Any]]]
    _recording: bool
    set_parameters: Any  # PyNN's StandardCurrentSource.set_parameters

    def __init__(self, **parameters: Any) -> None:
        object.__setattr__(self, "_values", {})
        object.__setattr__(self, "_owner", None)
        object.__setattr__(self, "_state", None)
        object.__setattr__(self, "_id", None)
        object.__setattr__(self, "_history", [])
        object.__setattr__(self, "_recording", False)
        super().__init__()  # PyNN's parameter_space with the defaults
        defaults = dict(self.default_parameters)
        defaults.update(parameters)
        self.set_parameters(**defaults)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={_plain(v)!r}" for k, v in self._values.items())
        return f"{type(self).__name__}({args})"

    # -- parameters (PyNN's StandardCurrentSource calls these) ------------------------------

    def set_native_parameters(self, parameters: ParameterSpace) -> None:
        parameters.shape = (1,)
        parameters.evaluate(simplify=True)
        values = dict(self._values)
        for name, value in parameters.items():
            if isinstance(value, Sequence):
                values[name] = np.asarray(value.value, dtype=np.float64)
            elif isinstance(value, np.ndarray) and value.dtype == object:
                values[name] = np.asarray(value[0].value, dtype=np.float64)
            else:
                values[name] = float(np.asarray(value).reshape(-1)[0])
        self._check(values)
        values = self._on_grid(values, self._dt())
        object.__setattr__(self, "_values", values)
        if self._id is not None:
            step = self._owner.set_current_source(self._id, self._spec_params())
            self._history.append((int(step), dict(values)))

    def get_native_parameters(self) -> ParameterSpace:
        # Arrays (step times, amplitudes) come back as plain arrays: source.times[0] is
        # a number, as in PyNN's other backends.
        return ParameterSpace(dict(self._values))

    def _dt(self) -> float:
        """Time step of the network this source is in (or of the global one)."""
        if self._state is not None:
            return float(self._state.dt)
        from spinstream.pyNN import state

        return float(state.dt)

    def _on_grid(self, values: dict[str, Any], dt: float) -> dict[str, Any]:
        """Round times to the time grid (a hook for sources with times)."""
        return values

    def _check(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            arr = np.asarray(value, dtype=np.float64)
            if not np.all(np.isfinite(arr)) and name != "stop":
                raise errors.InvalidParameterValueError(
                    f"{type(self).__name__}: {name} must be finite, got {_plain(value)}"
                )

    def _spec_params(self) -> dict[str, Any]:
        """Return the engine's parameters (ENGINE.md's current sources)."""
        return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in self._values.items()}

    # -- injection -----------------------------------------------------------------------

    def inject_into(self, cells: Any) -> None:
        """Inject this current into a Population, PopulationView, Assembly or list of IDs."""
        groups = _targets(cells)
        if not groups:
            return
        state = groups[0][0]._simulator.state
        runtime = groups[0][0]._runtime
        for pop, _ in groups:
            if pop._runtime is not runtime:
                raise StaleObjectError(
                    f"{type(self).__name__}: cannot inject into cells of two networks"
                )
            if not pop.celltype.injectable:
                raise TypeError(
                    f"{type(self).__name__}: cannot inject current into spike source "
                    f"population {pop.label!r}"
                )
        if self._owner is not None and self._owner is not runtime:
            raise StaleObjectError(
                f"{type(self).__name__} is already injected into another network"
            )
        self._check_timing(state.dt)
        if self._state is None:
            object.__setattr__(self, "_values", self._on_grid(self._values, state.dt))
        targets = [(pop._spec_id, idx) for pop, idx in groups]
        if self._id is None:
            spec = CurrentSourceSpec(
                id=len(runtime.spec.current_sources),
                kind=self.kind,
                params=self._spec_params(),
                targets=targets,
            )
            object.__setattr__(self, "_id", int(runtime.add_current_source(spec)))
            object.__setattr__(self, "_owner", runtime)
            object.__setattr__(self, "_state", state)
            self._history.append((0, dict(self._values)))
            if self._recording:
                self._start_recording()
        else:
            if runtime.loaded:
                raise RuntimeError(
                    f"{type(self).__name__}: new targets cannot be added once the network "
                    "is loaded; inject into all cells before the first run"
                )
            runtime.spec.current_sources[self._id].targets.extend(targets)

    def _check_timing(self, dt: float) -> None:
        """Check times against the time grid (a hook for sources with times)."""

    # -- recording (PyNN's StandardCurrentSource.get_data calls _get_data) ----------------

    def record(self) -> None:
        """Record the injected current (rebuilt from the parameters, per time step)."""
        object.__setattr__(self, "_recording", True)

    def _start_recording(self) -> None:
        """Ask the board to record (a hook for sources whose current only it knows)."""

    def _get_data(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        if not self._recording:
            raise RecordingError(
                "current", self, reason=f"{type(self).__name__}: call record() before running"
            )
        if self._state is None or self._owner is None:
            return np.zeros(1), np.zeros(1)
        dt = self._state.dt
        n = int(self._owner.step)
        steps = np.arange(n + 1)
        current = np.zeros(n + 1)
        stops = [start for start, _ in self._history[1:]] + [n + 1]
        for (start, values), stop in zip(self._history, stops, strict=True):
            sel = slice(min(start, n + 1), min(stop, n + 1))
            current[sel] = self._waveform(steps[sel] * dt, values, dt)
        return steps * dt, current

    def _waveform(
        self, t: npt.NDArray[np.float64], values: dict[str, Any], dt: float
    ) -> npt.NDArray[np.float64]:
        return np.zeros_like(t)

    def get_data(self) -> neo.AnalogSignal:
        """Return the injected current as a neo AnalogSignal (nA), one sample per step."""
        t, i = self._get_data()
        return neo.AnalogSignal(
            i, units="nA", t_start=t[0] * pq.ms, sampling_period=self._step_ms() * pq.ms
        )

    def _step_ms(self) -> float:
        return float(self._state.dt) if self._state is not None else 0.1


def _plain(value: Any) -> Any:
    return value.tolist() if isinstance(value, np.ndarray) else value


def _window(t: npt.NDArray[np.float64], values: dict[str, Any], dt: float) -> Any:
    eps = 1e-9 * dt
    return (t >= values["start"] - eps) & (t < values["stop"] - eps)


def _targets(cells: Any) -> list[tuple[Any, npt.NDArray[np.int64]]]:
    """(root Population, indices) groups for a population-like object or a list of IDs."""
    if hasattr(cells, "populations"):  # Assembly
        out = []
        for member in cells.populations:
            out.extend(_targets(member))
        return out
    if hasattr(cells, "_index_array"):
        return [(cells._root, cells._index_array())]
    groups: dict[int, tuple[Any, list[int]]] = {}
    for cell in cells:
        root = cell.parent
        groups.setdefault(id(root), (root, []))[1].append(int(root.id_to_index(cell)))
    return [(root, np.asarray(sorted(set(idx)), dtype=np.int64)) for root, idx in groups.values()]


class DCSource(_CurrentSource, electrodes.DCSource):  # type: ignore[misc]
    __doc__ = electrodes.DCSource.__doc__
    kind = "dc"
    translations = build_translations(
        ("amplitude", "amplitude"), ("start", "start"), ("stop", "stop")
    )

    def _waveform(self, t: Any, values: dict[str, Any], dt: float) -> Any:
        return np.where(_window(t, values, dt), values["amplitude"], 0.0)


class ACSource(_CurrentSource, electrodes.ACSource):  # type: ignore[misc]
    __doc__ = electrodes.ACSource.__doc__
    kind = "ac"
    translations = build_translations(
        *((n, n) for n in ("amplitude", "start", "stop", "frequency", "offset", "phase"))
    )

    def _spec_params(self) -> dict[str, Any]:
        # PyNN's phase holds at t = start; the engine's sine runs from t = 0.
        params = super()._spec_params()
        params["phase"] = float(
            (params["phase"] - 360.0 * params["frequency"] * params["start"] / 1000.0) % 360.0
        )
        return params

    def _waveform(self, t: Any, values: dict[str, Any], dt: float) -> Any:
        wave = values["offset"] + values["amplitude"] * np.sin(
            2 * np.pi * values["frequency"] * (t - values["start"]) / 1000.0
            + values["phase"] * np.pi / 180.0
        )
        return np.where(_window(t, values, dt), wave, 0.0)


class StepCurrentSource(_CurrentSource, electrodes.StepCurrentSource):  # type: ignore[misc]
    __doc__ = electrodes.StepCurrentSource.__doc__
    kind = "step"
    translations = build_translations(("amplitudes", "amplitudes"), ("times", "times"))

    def _check(self, values: dict[str, Any]) -> None:
        super()._check(values)
        times = np.asarray(values.get("times", []), dtype=np.float64)
        amps = np.asarray(values.get("amplitudes", []), dtype=np.float64)
        if times.shape != amps.shape:
            raise errors.InvalidParameterValueError(
                f"StepCurrentSource: times ({times.size}) and amplitudes ({amps.size}) "
                "must have the same length"
            )
        if times.size > 1 and np.any(np.diff(times) < 0):
            raise errors.InvalidParameterValueError(
                f"StepCurrentSource: times must be increasing, got {times.tolist()}"
            )
        if times.size and times.min() < 0:
            raise errors.InvalidParameterValueError(
                f"StepCurrentSource: times must be >= 0 ms, got {times.tolist()}"
            )

    def _on_grid(self, values: dict[str, Any], dt: float) -> dict[str, Any]:
        # Times go to the nearest step; of several times on one step the last one counts
        # (as PyNN's other backends do).
        times = np.asarray(values.get("times", []), dtype=np.float64)
        amps = np.asarray(values.get("amplitudes", []), dtype=np.float64)
        if times.size == 0:
            return values
        steps = np.rint(times / dt).astype(np.int64)
        last = np.append(steps[1:] != steps[:-1], True)
        return {**values, "times": steps[last] * dt, "amplitudes": amps[last]}

    def _waveform(self, t: Any, values: dict[str, Any], dt: float) -> Any:
        times = np.asarray(values["times"], dtype=np.float64)
        amps = np.asarray(values["amplitudes"], dtype=np.float64)
        k = np.searchsorted(times, t + 1e-9 * dt, side="right") - 1
        return np.where(k >= 0, amps[np.clip(k, 0, None)] if amps.size else 0.0, 0.0)


class NoisyCurrentSource(_CurrentSource, electrodes.NoisyCurrentSource):  # type: ignore[misc]
    __doc__ = electrodes.NoisyCurrentSource.__doc__
    kind = "noisy"
    translations = build_translations(*((n, n) for n in ("mean", "stdev", "start", "stop", "dt")))

    def _check(self, values: dict[str, Any]) -> None:
        super()._check(values)
        if values.get("stdev", 0.0) < 0 or values.get("dt", 1.0) <= 0:
            raise errors.InvalidParameterValueError(
                f"NoisyCurrentSource: stdev must be >= 0 and dt > 0, got "
                f"stdev={values.get('stdev')}, dt={values.get('dt')}"
            )

    def record(self) -> None:
        """Record the injected current: what the board applied, step by step.

        The noise is drawn on the board independently for each target neuron; the recorded
        value of a step is the mean over the targets (as NEST's ``noise_generator``
        records it), so with one target it is exactly that neuron's input.  Steps before
        ``record()`` took effect read NaN, as does the last sample (the step about to run)
        when a new draw is due there.
        """
        object.__setattr__(self, "_recording", True)
        if self._id is not None:
            self._start_recording()

    def _start_recording(self) -> None:
        assert self._owner is not None
        assert self._id is not None
        self._owner.set_current_recording(self._id, True)

    def _get_data(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        if not self._recording:
            raise RecordingError(
                "current", self, reason=f"{type(self).__name__}: call record() before running"
            )
        if self._state is None or self._owner is None or self._id is None:
            return np.zeros(1), np.zeros(1)
        dt = float(self._state.dt)
        n = int(self._owner.step)
        current = np.full(n + 1, np.nan)
        steps, values = self._owner.recorder.current(self._id)
        inside = steps <= n
        current[steps[inside]] = values[inside]
        current[n] = self._held(n, current, dt)
        return np.arange(n + 1, dtype=np.float64) * dt, current

    def _held(self, n: int, current: npt.NDArray[np.float64], dt: float) -> float:
        """Return the current of step ``n`` (not run yet) where it is known, else NaN."""
        v = self._values
        start, stop = first_step_at(v["start"], dt), first_step_at(v["stop"], dt)
        if not start <= n < stop:
            return 0.0
        interval = max(1, round(v["dt"] / dt))
        if (n - start) % interval and n >= 1:
            return float(current[n - 1])  # the values drawn before are held (or NaN)
        return math.nan

    def _check_timing(self, dt: float) -> None:
        ratio = self._values["dt"] / dt
        if abs(ratio - round(ratio)) > 1e-6 or round(ratio) < 1:
            raise errors.InvalidParameterValueError(
                f"NoisyCurrentSource: dt = {self._values['dt']} ms must be a whole multiple "
                f"of the time step {dt} ms"
            )
