"""Recording for one population: what to record, and the recorded data as neo Blocks.

The data itself stays in the runtime's recorder (one segment per reset); this object
remembers which neurons record which variable, which runtime segments make up PyNN's
segments, and where ``get_data(clear=True)`` last cleared (which frees the population's
data in the recorder), and builds neo objects on demand with :mod:`spinstream.recording._neo`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import neo
import numpy as np
import numpy.typing as npt
from pyNN import recording as pynn_recording

from spinstream.pyNN._errors import RecordingError
from spinstream.recording import neo as _neo

if TYPE_CHECKING:
    from spinstream.pyNN._populations import Population

__all__ = ["Recorder"]

IntArray = npt.NDArray[np.int64]


class _Segment:
    """A finished PyNN segment: a runtime segment and the window that PyNN shows of it."""

    def __init__(
        self,
        runtime_segment: int,
        first_step: int,
        stop_step: int,
        name: str,
        annotations: Any,
        recorded: dict[str, npt.NDArray[np.bool_]],
    ) -> None:
        self.runtime_segment = runtime_segment
        self.first_step = first_step
        self.stop_step = stop_step
        self.name = name
        self.annotations = dict(annotations or {})
        #: what was recorded in this segment (``record()`` may change between resets)
        self.recorded = dict(recorded)


class Recorder:
    """Recording state of one :class:`Population` (views and assemblies share it)."""

    def __init__(self, population: Population, file: Any = None) -> None:
        self.population = population
        self.file = file
        #: variable -> boolean mask over the population's neurons
        self.recorded: dict[str, npt.NDArray[np.bool_]] = {}
        self.interval_steps = 1
        self._finished: list[_Segment] = []
        #: runtime segment, step: data at or before it was handed out with clear=True
        self._cleared: tuple[int, int] | None = None
        population._simulator.state.recorders.add(self)

    # -- what is recorded ----------------------------------------------------------------

    @property
    def _state(self) -> Any:
        return self.population._simulator.state

    @property
    def sampling_interval(self) -> float:
        """Sampling interval of the state variables (ms)."""
        return float(self.interval_steps * self._state.dt)

    def _can_record(self, name: str) -> bool:
        """Whether the engine variable ``name`` may be recorded (a face may add names)."""
        return bool(self.population.celltype.can_record(name))

    def _units(self, name: str) -> str:
        """Units of the recorded variable ``name``."""
        return str(self.population.celltype.units.get(name, "dimensionless"))

    def _variables(self, variables: str | Iterable[str]) -> list[str]:
        celltype = self.population.celltype
        if variables == "all":
            return list(celltype.recordable)
        if isinstance(variables, str):
            return [variables]
        return list(variables)

    def record(
        self,
        variables: str | Iterable[str],
        indices: IntArray,
        sampling_interval: float | None = None,
    ) -> None:
        """Start recording ``variables`` of the neurons at ``indices`` (population indices)."""
        pop = self.population
        runtime = pop._live_runtime  # a closed network refuses before anything changes
        names = self._variables(variables)
        for name in names:
            if not self._can_record(name):
                raise RecordingError(name, pop.celltype, f"Population {pop.label!r}")
        steps = self.interval_steps
        if sampling_interval is not None:
            dt = self._state.dt
            ratio = float(sampling_interval) / dt
            steps = round(ratio)
            if steps < 1 or abs(ratio - steps) > 1e-6 * max(1.0, ratio):
                raise ValueError(
                    f"Population {pop.label!r}: sampling_interval {sampling_interval} ms must "
                    f"be a positive whole multiple of the time step {dt} ms"
                )
            state_vars = [v for v in self.recorded if v != "spikes"]
            if steps != self.interval_steps and state_vars:
                raise ValueError(
                    f"Population {pop.label!r}: all state variables are recorded with one "
                    f"sampling interval ({self.sampling_interval} ms so far for "
                    f"{', '.join(state_vars)}); got {sampling_interval} ms"
                )
        if steps != self.interval_steps:
            self.interval_steps = steps
        for name in names:
            mask = self.recorded.get(name)
            if mask is None:
                mask = np.zeros(pop.size, dtype=bool)
            mask = mask.copy()
            mask[indices] = True
            self.recorded[name] = mask
            runtime.set_recording(
                pop._spec_id, name, np.flatnonzero(mask).astype(np.int64), self.interval_steps
            )

    def reset(self) -> None:
        """Stop recording everything (``record(None)``)."""
        runtime = self.population._live_runtime
        for name in self.recorded:
            runtime.set_recording(self.population._spec_id, name, None, self.interval_steps)
        self.recorded = {}

    # -- segments ------------------------------------------------------------------------

    def _current_runtime_segment(self) -> int:
        return int(self.population._runtime.recorder.n_segments) - 1

    def _first_step(self, runtime_segment: int) -> int:
        if self._cleared is not None and self._cleared[0] == runtime_segment:
            return self._cleared[1]
        return 0

    def store_to_cache(self, annotations: Any = None) -> None:
        """Keep the segment that is ending (``reset()`` calls this)."""
        state = self._state
        runtime = self.population._runtime
        seg = self._current_runtime_segment()
        # Nothing is kept when nothing ran since the start (or since get_data(clear=True)).
        if runtime.step > self._first_step(seg):
            self._finished.append(
                _Segment(
                    seg,
                    self._first_step(seg),
                    runtime.step,
                    f"segment{state.segment_counter:03d}",
                    annotations,
                    self.recorded,
                )
            )

    def _segments(self) -> list[_Segment]:
        state = self._state
        segments = list(self._finished)
        if state.running or not segments:
            seg = self._current_runtime_segment()
            segments.append(
                _Segment(
                    seg,
                    self._first_step(seg),
                    self.population._runtime.step,
                    f"segment{state.segment_counter:03d}",
                    None,
                    self.recorded,
                )
            )
        return segments

    def clear(self) -> None:
        """Forget what was recorded so far (``get_data(clear=True)``).

        The runtime's recorder frees the population's data (every segment); what is
        recorded from now on starts a segment at the current time.
        """
        runtime = self.population._runtime
        runtime.recorder.clear(self.population._spec_id)
        self._finished = []
        self._cleared = (self._current_runtime_segment(), runtime.step)

    # -- data ----------------------------------------------------------------------------

    def _selected(
        self, name: str, filter_indices: IntArray | None, seg: _Segment | None = None
    ) -> IntArray:
        mask = (self.recorded if seg is None else seg.recorded).get(name)
        if mask is None:
            return np.zeros(0, dtype=np.int64)
        if filter_indices is not None:
            keep = np.zeros_like(mask)
            keep[filter_indices] = True
            mask = mask & keep
        return np.flatnonzero(mask).astype(np.int64)

    def _spikes(self, seg: _Segment, selected: IntArray) -> tuple[IntArray, IntArray]:
        runtime = self.population._runtime
        stamps, indices = runtime.recorder.spikes(
            self.population._spec_id, segment=seg.runtime_segment
        )
        stamps = np.asarray(stamps, dtype=np.int64)
        indices = np.asarray(indices, dtype=np.int64)
        keep = (stamps <= seg.stop_step) & np.isin(indices, selected)
        if seg.first_step > 0:
            keep &= stamps > seg.first_step
        return stamps[keep], indices[keep]

    def _samples(
        self, seg: _Segment, name: str, selected: IntArray
    ) -> tuple[IntArray, npt.NDArray[np.float64]]:
        runtime = self.population._runtime
        try:
            stamps, values, columns = runtime.recorder.samples(
                self.population._spec_id, name, segment=seg.runtime_segment
            )
        except KeyError:
            return np.zeros(0, dtype=np.int64), np.zeros((0, len(selected)))
        stamps = np.asarray(stamps, dtype=np.int64)
        if len(stamps) == 0:  # nothing sampled yet, or all of it cleared
            return stamps, np.zeros((0, len(selected)))
        values = np.asarray(values, dtype=np.float64).reshape(len(stamps), -1)
        columns = np.asarray(columns, dtype=np.int64)
        order = np.argsort(columns, kind="stable")
        pos = order[np.searchsorted(columns, selected, sorter=order)]
        rows = stamps <= seg.stop_step
        if seg.first_step > 0:
            rows &= stamps > seg.first_step
        return stamps[rows], values[rows][:, pos]

    def _segment(
        self, seg: _Segment, names: Sequence[str], filter_indices: IntArray | None
    ) -> neo.Segment:
        pop = self.population
        state = self._state
        dt = state.dt
        t_start = seg.first_step * dt
        t_stop = seg.stop_step * dt
        trains = None
        signals = []
        for name in names:
            selected = self._selected(name, filter_indices, seg)
            if name == "spikes":
                stamps, indices = self._spikes(seg, selected)
                trains = _neo.spike_trains(
                    stamps * dt, indices, selected, int(pop.first_id), t_start, t_stop, pop.label
                )
            elif len(selected):
                stamps, values = self._samples(seg, name, selected)
                start = stamps[0] * dt if len(stamps) else t_start
                signals.append(
                    _neo.analog_signal(
                        values,
                        name,
                        self._units(name),
                        start,
                        self.sampling_interval,
                        selected,
                        int(pop.first_id),
                        pop.label,
                    )
                )
        return _neo.make_segment(seg.name, pop.describe(), trains, signals, seg.annotations)

    def _names(self, variables: str | Iterable[str]) -> list[str]:
        if variables == "all":
            return [v for v in self.population.celltype.recordable if v in self.recorded]
        names = self._variables(variables)
        for name in names:
            if name not in self.recorded:
                pop = self.population
                if not self._can_record(name):
                    raise RecordingError(name, pop.celltype, f"Population {pop.label!r}")
                raise RecordingError(
                    name,
                    pop.celltype,
                    f"Population {pop.label!r}",
                    f"{name!r} was not recorded; call record({name!r}) before running",
                )
        return names

    def get(
        self,
        variables: str | Iterable[str] = "all",
        filter_indices: IntArray | None = None,
        clear: bool = False,
        annotations: Any = None,
    ) -> neo.Block:
        """Return the recorded data as a neo Block, one segment per run between resets."""
        names = self._names(variables)
        segments = [self._segment(seg, names, filter_indices) for seg in self._segments()]
        block = _neo.make_block(
            segments, self.population.label, self.population.describe(), self.metadata
        )
        if annotations:
            block.annotate(**annotations)
        if clear:
            self.clear()
        return block

    def write(
        self,
        variables: str | Iterable[str],
        file: Any = None,
        filter_indices: IntArray | None = None,
        clear: bool = False,
        annotations: Any = None,
    ) -> None:
        """Write the recorded data through a neo IO (or a file name, by its extension)."""
        io = file if file is not None else self.file
        if isinstance(io, str):
            io = pynn_recording.get_io(io)
        block = self.get(variables, filter_indices, clear, annotations)
        io.write_block(block)

    def count(self, filter_indices: IntArray | None = None) -> dict[int, int]:
        """Spikes per recorded neuron (ID -> count) in the current segment."""
        pop = self.population
        selected = self._selected("spikes", filter_indices)
        seg = self._current_runtime_segment()
        current = _Segment(seg, self._first_step(seg), pop._runtime.step, "", None, self.recorded)
        _, indices = self._spikes(current, selected)
        counts = np.bincount(indices, minlength=pop.size)[selected]
        first = int(pop.first_id)
        return {first + int(i): int(c) for i, c in zip(selected, counts, strict=True)}

    @property
    def metadata(self) -> dict[str, Any]:
        """PyNN's block annotations for this population."""
        pop = self.population
        state = self._state
        meta: dict[str, Any] = {
            "size": pop.size,
            "first_index": 0,
            "last_index": len(pop),
            "first_id": int(pop.first_id),
            "last_id": int(pop.last_id),
            "label": pop.label,
            "simulator": pop._simulator.name,
        }
        meta.update(pop.annotations)
        meta["dt"] = state.dt
        meta["mpi_processes"] = state.num_processes
        return meta
