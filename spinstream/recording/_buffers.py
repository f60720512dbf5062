"""Lossless per-chunk recording buffers, organised in segments.

The session appends what each chunk recorded (cheap: a list append, no copy); reading
concatenates on demand and keeps the concatenation, so reading repeatedly while a run goes
on costs only the chunks added since the last read.  What is returned is read-only: it is
shared with the buffer.

A *segment* is one stretch of simulated time from step 0 (PyNN's ``reset()`` starts a new
one).  Within a segment the recorded neurons of a variable may change between runs
(PyNN's ``record()`` called again); samples are then returned over the union of the
recorded neurons, with NaN where a neuron was not recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from spinstream._indices import union_sorted

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_EMPTY_INT: IntArray = np.zeros(0, dtype=np.int64)
_EMPTY_INT.setflags(write=False)


A = TypeVar("A", bound=np.ndarray)


def _frozen(a: A) -> A:
    a.setflags(write=False)
    return a


@dataclass
class _Spikes:
    stamps: list[IntArray] = field(default_factory=list)
    indices: list[IntArray] = field(default_factory=list)

    def compact(self) -> tuple[IntArray, IntArray]:
        if not self.stamps:
            return _EMPTY_INT, _EMPTY_INT
        if len(self.stamps) > 1:
            self.stamps = [_frozen(np.concatenate(self.stamps))]
            self.indices = [_frozen(np.concatenate(self.indices))]
        return self.stamps[0], self.indices[0]


@dataclass
class _Samples:
    # one entry per chunk: (stamps, values [n, k], indices [k])
    chunks: list[tuple[IntArray, FloatArray, IntArray]] = field(default_factory=list)

    def compact(self) -> tuple[IntArray, FloatArray, IntArray]:
        if len(self.chunks) > 1:
            first_idx = self.chunks[0][2]
            same = all(c[2] is first_idx or np.array_equal(c[2], first_idx) for c in self.chunks)
            if same:
                stamps = np.concatenate([c[0] for c in self.chunks])
                values = np.concatenate([c[1] for c in self.chunks], axis=0)
                idx = first_idx
            else:
                idx = np.unique(np.concatenate([c[2] for c in self.chunks]))
                stamps = np.concatenate([c[0] for c in self.chunks])
                values = np.full((len(stamps), len(idx)), np.nan)
                row = 0
                for s, v, i in self.chunks:
                    cols = np.searchsorted(idx, i)
                    values[row : row + len(s), cols] = v
                    row += len(s)
            self.chunks = [(_frozen(stamps), _frozen(values), _frozen(np.asarray(idx)))]
        return self.chunks[0]


@dataclass
class _Selection:
    indices: IntArray
    interval: int


@dataclass
class _Segment:
    first_step: int
    last_step: int
    spikes: dict[int, _Spikes] = field(default_factory=dict)
    samples: dict[tuple[int, str], _Samples] = field(default_factory=dict)
    selections: dict[tuple[int, str], _Selection] = field(default_factory=dict)
    #: current source id -> [(first step, current of each step from there)]
    currents: dict[int, list[tuple[int, FloatArray]]] = field(default_factory=dict)


class Recorder:
    """Everything recorded, per segment and per (population, variable).

    Stamps are step numbers: the time of a spike or sample is ``stamp * dt`` ms (see
    ``docs/ENGINE.md``).  Population ids are the runtime's dense ids.
    """

    def __init__(self) -> None:
        self._segments: list[_Segment] = [_Segment(0, 0)]

    # ------------------------------------------------------------------ structure
    @property
    def n_segments(self) -> int:
        """Number of segments (at least 1)."""
        return len(self._segments)

    def new_segment(self, first_step: int = 0) -> int:
        """Start a new segment at ``first_step``; returns its number.

        The recorded selections carry over: what was being recorded still is.
        """
        previous = self._segments[-1]
        seg = _Segment(first_step, first_step)
        seg.selections = {
            k: _Selection(s.indices, s.interval) for k, s in previous.selections.items()
        }
        self._segments.append(seg)
        return len(self._segments) - 1

    def clear(self, pop: int | None = None) -> None:
        """Forget recorded data: of one population, or everything (``pop=None``).

        Clearing everything leaves a single empty segment that continues at the current
        step; the recorded selections are kept.
        """
        if pop is None:
            last = self._segments[-1]
            seg = _Segment(last.last_step, last.last_step, selections=dict(last.selections))
            self._segments = [seg]
            return
        for seg in self._segments:
            seg.spikes.pop(pop, None)
            for key in [k for k in seg.samples if k[0] == pop]:
                del seg.samples[key]

    def _segment(self, segment: int) -> _Segment:
        try:
            return self._segments[segment]
        except IndexError:
            raise IndexError(
                f"segment {segment} does not exist (there are {len(self._segments)})"
            ) from None

    # ------------------------------------------------------------------ writing
    def note_selection(
        self, pop: int, variable: str, indices: IntArray, interval_steps: int = 1
    ) -> None:
        """Record which neurons of ``variable`` are being recorded (for empty results).

        Within a segment the selection only grows: neurons recorded earlier in the segment
        stay listed.
        """
        key = (pop, variable)
        seg = self._segments[-1]
        old = seg.selections.get(key)
        idx = np.asarray(indices, dtype=np.int64)
        if old is not None and not np.array_equal(old.indices, idx):
            idx = union_sorted(old.indices, idx)
        seg.selections[key] = _Selection(_frozen(idx.copy()), int(interval_steps))

    def advance(self, first_step: int, n_steps: int) -> None:
        """Note that steps ``[first_step, first_step + n_steps)`` were simulated."""
        seg = self._segments[-1]
        seg.last_step = max(seg.last_step, first_step + n_steps)

    def append_spikes(self, pop: int, stamps: IntArray, indices: IntArray) -> None:
        """Add one chunk of spikes (``stamps`` ordered) of a population."""
        if len(stamps) == 0:
            return
        seg = self._segments[-1]
        buf = seg.spikes.get(pop)
        if buf is None:
            buf = seg.spikes[pop] = _Spikes()
        buf.stamps.append(stamps)
        buf.indices.append(indices)

    def append_samples(
        self, pop: int, variable: str, stamps: IntArray, values: FloatArray, indices: IntArray
    ) -> None:
        """Add one chunk of samples: ``values[n, k]`` at ``stamps[n]`` of ``indices[k]``."""
        if len(stamps) == 0:
            return
        seg = self._segments[-1]
        key = (pop, variable)
        buf = seg.samples.get(key)
        if buf is None:
            buf = seg.samples[key] = _Samples()
        buf.chunks.append((stamps, values, indices))

    def append_current(self, source: int, first_step: int, values: FloatArray) -> None:
        """Add the current (nA) a source gave during steps ``first_step, first_step + 1...``."""
        if len(values) == 0:
            return
        seg = self._segments[-1]
        seg.currents.setdefault(source, []).append((int(first_step), values))

    # ------------------------------------------------------------------ reading
    def current(self, source: int, segment: int = -1) -> tuple[IntArray, FloatArray]:
        """Return the recorded current of a source in a segment: ``(steps, nA)``, ascending."""
        parts = self._segment(segment).currents.get(source)
        if not parts:
            return _EMPTY_INT, _frozen(np.zeros(0))
        steps = np.concatenate([np.arange(f, f + len(v), dtype=np.int64) for f, v in parts])
        return _frozen(steps), _frozen(np.concatenate([v for _, v in parts]))

    def spikes(self, pop: int, segment: int = -1) -> tuple[IntArray, IntArray]:
        """All recorded spikes of a population in a segment: ``(stamps, indices)``, int64."""
        buf = self._segment(segment).spikes.get(pop)
        if buf is None:
            return _EMPTY_INT, _EMPTY_INT
        return buf.compact()

    def samples(
        self, pop: int, variable: str, segment: int = -1
    ) -> tuple[IntArray, FloatArray, IntArray]:
        """All samples of a variable: ``(stamps [n], values [n, k], indices [k])``."""
        seg = self._segment(segment)
        buf = seg.samples.get((pop, variable))
        if buf is None:
            sel = seg.selections.get((pop, variable))
            idx = sel.indices if sel is not None else _EMPTY_INT
            return _EMPTY_INT, _frozen(np.zeros((0, len(idx)))), idx
        return buf.compact()

    def variables(self, pop: int, segment: int = -1) -> list[str]:
        """Variables of a population recorded in a segment (``"spikes"`` first)."""
        seg = self._segment(segment)
        names = {v for (p, v) in seg.selections if p == pop}
        names.update(v for (p, v) in seg.samples if p == pop)
        if pop in seg.spikes:
            names.add("spikes")
        return sorted(names, key=lambda v: (v != "spikes", v))

    def recorded_indices(self, pop: int, variable: str, segment: int = -1) -> IntArray:
        """Neurons for which ``variable`` was recorded in a segment (sorted or as given)."""
        sel = self._segment(segment).selections.get((pop, variable))
        return sel.indices if sel is not None else _EMPTY_INT

    def sampling_interval(self, pop: int, variable: str, segment: int = -1) -> int:
        """Return the sampling interval of a state variable in steps (1 if never recorded)."""
        sel = self._segment(segment).selections.get((pop, variable))
        return sel.interval if sel is not None else 1

    def segment_steps(self, segment: int = -1) -> tuple[int, int]:
        """``(first_step, last_step)`` simulated in a segment (``last_step`` exclusive)."""
        seg = self._segment(segment)
        return seg.first_step, seg.last_step
