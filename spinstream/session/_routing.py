"""From what the board records to what the recorder and each subscriber get.

The board records one selection per (population, variable): the union of what the user
asked to record and what the open subscriptions stream, sampled at the greatest common
divisor of their intervals.  After each chunk the board's output is split again: the
recorder keeps exactly what the user asked for, each subscription gets its own cells at
its own interval.  A :class:`Routing` is an immutable snapshot of that arrangement; the
runtime builds a new one (between chunks) whenever recording or subscriptions change.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from spinstream._indices import union_sorted
from spinstream.board import ChunkResult
from spinstream.recording import Recorder
from spinstream.streams import Selection, SpikeBatch, StateBatch, Subscription

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Key = tuple[int, str]
AnySubscription = Subscription[Any]

_EMPTY_I = np.zeros(0, dtype=np.int64)
_EMPTY_I.setflags(write=False)


@dataclass(frozen=True)
class BoardSelection:
    """What the board records of one (population, variable)."""

    indices: IntArray  # sorted, unique
    interval: int

    def same(self, other: BoardSelection | None) -> bool:
        """Whether ``other`` records exactly the same."""
        return (
            other is not None
            and self.interval == other.interval
            and np.array_equal(self.indices, other.indices)
        )


@dataclass(frozen=True)
class _SpikeFilter:
    keep: npt.NDArray[np.bool_] | None  # neuron index -> kept; None: keep all


@dataclass(frozen=True)
class _SampleFilter:
    cols: IntArray | None  # board column of each recorded neuron; None: all, same order
    interval: int | None  # keep stamps % interval == 0; None: keep every row
    indices: IntArray


@dataclass(frozen=True)
class _StatePart:
    key: Key
    cols: IntArray
    n: int


@dataclass(frozen=True)
class _StateGroup:
    parts: list[_StatePart]
    variable: str
    interval: int


class Routing:
    """Snapshot of the recording arrangement, and the per-chunk fan-out that uses it.

    Parameters
    ----------
    recording
        ``(pop, variable)`` -> ``(indices, interval_steps)`` that the user records.
    subscriptions
        The open subscriptions.
    """

    def __init__(
        self,
        recording: Mapping[Key, tuple[IntArray, int]],
        subscriptions: Iterable[AnySubscription],
    ) -> None:
        wanted: dict[Key, list[IntArray]] = {}
        intervals: dict[Key, list[int]] = {}
        for key, (idx, interval) in recording.items():
            wanted.setdefault(key, []).append(idx)
            intervals.setdefault(key, []).append(interval)
        subs = [s for s in subscriptions if not s.closed]
        for sub in subs:
            for pop, idx in sub.selection.parts:
                key = (pop, sub.variable)
                wanted.setdefault(key, []).append(idx)
                intervals.setdefault(key, []).append(sub.interval_steps)

        self.board: dict[Key, BoardSelection] = {}
        for key, lists in wanted.items():
            union = union_sorted(*lists)
            interval = 1 if key[1] == "spikes" else math.gcd(*intervals[key])
            union.setflags(write=False)
            self.board[key] = BoardSelection(union, interval)

        self._rec_spikes: dict[int, _SpikeFilter] = {}
        self._rec_samples: dict[Key, _SampleFilter] = {}
        for key, (idx, interval) in recording.items():
            bsel = self.board[key]
            pop, var = key
            if var == "spikes":
                keep = None
                if not np.array_equal(idx, bsel.indices):
                    n = int(bsel.indices.max()) + 1 if len(bsel.indices) else 0
                    keep = np.zeros(n, dtype=bool)
                    keep[idx] = True
                self._rec_spikes[pop] = _SpikeFilter(keep)
            else:
                cols = None if np.array_equal(idx, bsel.indices) else _columns(bsel, idx)
                rows = None if interval == bsel.interval else interval
                self._rec_samples[key] = _SampleFilter(cols, rows, idx)

        # Subscribers of the same cells (and variable and interval) share one batch:
        # batches are immutable, so it is computed once per chunk for the whole group.
        spike_groups: dict[object, tuple[Selection, list[AnySubscription]]] = {}
        state_groups: dict[object, tuple[_StateGroup, list[AnySubscription]]] = {}
        for sub in subs:
            sel = sub.selection
            if sub.kind == "spikes":
                spike_groups.setdefault(sel.key, (sel, []))[1].append(sub)
                continue
            gkey = (sel.key, sub.variable, sub.interval_steps)
            if gkey not in state_groups:
                parts = [
                    _StatePart(
                        (pop, sub.variable), _columns(self.board[(pop, sub.variable)], i), len(i)
                    )
                    for pop, i in sel.parts
                ]
                state_groups[gkey] = (_StateGroup(parts, sub.variable, sub.interval_steps), [])
            state_groups[gkey][1].append(sub)
        self._spike_groups = list(spike_groups.values())
        self._state_groups = list(state_groups.values())
        self._subs = subs

    @property
    def subscriptions(self) -> list[AnySubscription]:
        """The subscriptions fed by this routing."""
        return list(self._subs)

    # ------------------------------------------------------------------ per chunk
    def distribute(
        self,
        results: list[ChunkResult],
        recorder: Recorder,
        first_step: int,
        n_steps: int,
        dt: float,
        sequence: int,
    ) -> None:
        """Hand one chunk (one or more board runs) to the recorder and the subscribers."""
        spikes, samples = _merge(results)
        recorder.advance(first_step, n_steps)
        for r in results:
            for source, values in r.currents.items():
                recorder.append_current(source, r.first_step, values)
        for pop, sf in self._rec_spikes.items():
            got = spikes.get(pop)
            if got is None or len(got[0]) == 0:
                continue
            st, ix = got
            if sf.keep is not None:
                inside = ix < len(sf.keep)
                m = np.zeros(len(ix), dtype=bool)
                m[inside] = sf.keep[ix[inside]]
                st, ix = st[m], ix[m]
            recorder.append_spikes(pop, st, ix)
        for key, smf in self._rec_samples.items():
            got_s = samples.get(key)
            if got_s is None or len(got_s[0]) == 0:
                continue
            st, vals = got_s
            if smf.interval is not None:
                rows = st % smf.interval == 0
                st, vals = st[rows], vals[rows]
            if smf.cols is not None:
                vals = vals[:, smf.cols]
            recorder.append_samples(key[0], key[1], st, vals, smf.indices)

        t_start = first_step * dt
        t_stop = (first_step + n_steps) * dt
        for sel, group in self._spike_groups:
            st, pos = _spike_tap(sel, spikes)
            batch = SpikeBatch(
                t_start, t_stop, _times(st, dt), pos, 0, first_step, n_steps, st, sequence
            )
            for sub in group:
                sub._push(batch)
        for sg, group in self._state_groups:
            st, vals = _state_tap(sg.parts, samples, sg.interval)
            state = StateBatch(
                t_start,
                t_stop,
                _times(st, dt),
                vals,
                0,
                first_step,
                n_steps,
                st,
                sequence,
                sg.variable,
            )
            for sub in group:
                sub._push(state)


def _times(stamps: IntArray, dt: float) -> FloatArray:
    return np.multiply(stamps, dt, dtype=np.float64)


def _columns(bsel: BoardSelection, idx: IntArray) -> IntArray:
    return np.searchsorted(bsel.indices, idx).astype(np.int64)


def _merge(
    results: list[ChunkResult],
) -> tuple[dict[int, tuple[IntArray, IntArray]], dict[Key, tuple[IntArray, FloatArray]]]:
    if len(results) == 1:
        return results[0].spikes, results[0].samples
    spikes: dict[int, tuple[IntArray, IntArray]] = {}
    samples: dict[Key, tuple[IntArray, FloatArray]] = {}
    for pop in {p for r in results for p in r.spikes}:
        got = [r.spikes[pop] for r in results if pop in r.spikes]
        spikes[pop] = (
            np.concatenate([g[0] for g in got]),
            np.concatenate([g[1] for g in got]),
        )
    for key in {k for r in results for k in r.samples}:
        got_s = [r.samples[key] for r in results if key in r.samples]
        samples[key] = (
            np.concatenate([g[0] for g in got_s]),
            np.concatenate([g[1] for g in got_s], axis=0),
        )
    return spikes, samples


def _spike_tap(
    sel: Selection,
    spikes: Mapping[int, tuple[IntArray, IntArray]],
) -> tuple[IntArray, IntArray]:
    out: list[tuple[IntArray, IntArray]] = []
    for k, (pop, _) in enumerate(sel.parts):
        got = spikes.get(pop)
        if got is None or len(got[0]) == 0:
            continue
        out.append(sel.spike_positions(k, got[0], got[1]))
    if not out:
        return _EMPTY_I, _EMPTY_I
    if len(out) == 1:
        return out[0]
    st = np.concatenate([o[0] for o in out])
    pos = np.concatenate([o[1] for o in out])
    order = np.argsort(st, kind="stable")
    return st[order], pos[order]


def _state_tap(
    parts: list[_StatePart],
    samples: Mapping[Key, tuple[IntArray, FloatArray]],
    interval: int,
) -> tuple[IntArray, FloatArray]:
    got: list[tuple[IntArray, FloatArray]] = []
    for part in parts:
        s = samples.get(part.key)
        if s is None:
            got.append((_EMPTY_I, np.zeros((0, part.n))))
            continue
        st, vals = s
        if interval != 1:
            rows = st % interval == 0
            st, vals = st[rows], vals[rows]
        got.append((st, vals[:, part.cols]))
    if len(got) == 1:
        return got[0]
    first = got[0][0]
    if all(np.array_equal(g[0], first) for g in got):
        return first, np.concatenate([g[1] for g in got], axis=1)
    # the parts were sampled at different stamps (recording started at different times)
    stamps = np.unique(np.concatenate([g[0] for g in got]))
    values = np.full((len(stamps), sum(p.n for p in parts)), np.nan)
    col = 0
    for part, (st, vals) in zip(parts, got, strict=True):
        values[np.searchsorted(stamps, st), col : col + part.n] = vals
        col += part.n
    return stamps, values
