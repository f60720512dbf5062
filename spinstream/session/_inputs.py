"""The input queue: what the user changes while the network lives, checked and timed.

Every change (parameters, state, spike times, synapses, current sources, injected spikes)
is validated where it is given, then takes effect at a step: at once when the board is
idle, at the next chunk's first step while one is in flight (``pending``), or exactly at a
future step (``timed``, a heap ordered by step and arrival; the chunk pipeline splits the
chunk that contains the step there).  Each change is a pair of operations: one on the board
and one on the spec, so that a reload or :meth:`Runtime.reset` sees it too.

The queue also counts inputs (late ones, and answers to the chunk a task last received,
see ``Statistics.late_answers``).  It belongs to one :class:`Runtime`, whose public input
methods delegate here.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from spinstream._indices import has_repeats
from spinstream.board import Board
from spinstream.model import (
    LateInputError,
    ParameterError,
    STDPSpec,
    UnknownParameterError,
    WeightChangeableSpec,
    WeightChangerSpec,
    check_weight_bounds,
    check_weights,
)
from spinstream.session._checks import (
    check_indices,
    check_param_values,
    check_pop,
    check_values,
    copy_set,
    signed_weights,
)
from spinstream.session._stats import TimingRing

if TYPE_CHECKING:
    from spinstream.session._runtime import Runtime

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
#: A timed input: (step, arrival number, board operation, spec operation).
Timed = tuple[int, int, Callable[[], None], Callable[[], None]]

SPIKE_SOURCES = ("SpikeSourceArray", "SpikeInjector")


class InputQueue:
    """The inputs of one :class:`Runtime`: validation, pending and timed input, counters.

    Parameters
    ----------
    runtime
        The runtime whose spec and board the inputs change.
    """

    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime
        #: Board operations for the next chunk's first step (given while one was in flight).
        self.pending: list[Callable[[], None]] = []
        #: Inputs for future steps: a heap of :data:`Timed`.
        self.timed: list[Timed] = []
        self.seq = itertools.count()
        #: Spikes injected at step 0, replayed by a reload until the first chunk runs.
        self.spike_log: list[tuple[int, IntArray, IntArray]] = []
        #: ``(population, state variable)`` whose initial values changed since loading.
        self.initial_dirty: set[tuple[int, str]] = set()
        self.rec_currents: set[int] = set()  # current sources recorded
        # statistics
        self.count = 0  # inputs accepted
        self.late = 0  # inputs refused as late
        self.late_answers = 0
        self.answer = TimingRing()
        # chunk number -> (when it was handed out, its end step), for the last 64 chunks
        self.chunk_done_ns: dict[int, tuple[int, int]] = {}

    def chunk_done(self, chunk: int, end: int) -> None:
        """Note that chunk number ``chunk``, ending at step ``end``, was handed out."""
        done = self.chunk_done_ns
        done[chunk] = (time.perf_counter_ns(), end)
        done.pop(chunk - 64, None)
        if end > 0:
            self.spike_log.clear()

    def rearm(self, board: Board) -> None:
        """Give a freshly loaded board the input that outlives a load."""
        for pid, idx, st in self.spike_log:
            board.schedule_spikes(pid, idx, st)
        for source in sorted(self.rec_currents):
            board.set_current_recording(source, True)

    def clear(self) -> None:
        """Drop scheduled input (reset)."""
        self.timed.clear()
        self.pending.clear()
        self.spike_log.clear()

    def _check_step(self, at_step: int | None, what: str) -> int:
        self._rt.check_open(what)
        if at_step is None:
            at = self._rt._pipeline.pin_input_step()
            self._note_answer(at, timed=False)
            return at
        if not isinstance(at_step, int | np.integer):
            raise TypeError(f"at_step must be an integer step, got {at_step!r}")
        now = self._rt._pipeline.pin_input_step(int(at_step))
        if at_step < now:
            self.late += 1
            raise LateInputError(
                f"{what} for step {int(at_step)} (t = {at_step * self._rt.dt} ms) is late: the "
                f"earliest step input can take effect is {now} (t = {now * self._rt.dt} ms)"
            )
        self._note_answer(int(at_step), timed=True)
        return int(at_step)

    def _note_answer(self, at: int, *, timed: bool) -> None:
        """Count input given by a task that reads a stream as that task's answer.

        The answer is to the last batch the task received (of any stream it opened or
        reads); it is meant for the chunk after that batch.  Only the first input after
        each batch counts: its latency (from the chunk's hand-out to the input) goes into
        ``answer_us``, and, untimed input landing later than that chunk's first step, into
        ``late_answers``.
        """
        try:
            task = asyncio.current_task()
        except RuntimeError:
            return
        if task is None:
            return
        mine = [s for s in self._rt._subs if s.opener is task or task in s._consumers]
        seen = [s.last_batch for s in mine if s.last_batch is not None]
        if not seen:
            return
        b = max(seen, key=lambda batch: batch.sequence)
        if any(s.answered >= b.sequence for s in mine):
            return  # this batch was answered already (by an earlier input)
        for sub in mine:
            sub.answered = b.sequence
        self._count_answer(b.sequence, b.first_step + b.n_steps, at, timed)

    def note_answer(self, chunk: int, at: int, *, timed: bool) -> None:
        """See :meth:`Runtime.note_answer`."""
        done = self.chunk_done_ns.get(chunk)
        if done is not None:
            self._count_answer(chunk, done[1], at, timed)
        elif 0 < chunk <= self._rt._pipeline.chunks - 64 and not timed:
            self.late_answers += 1  # 64 chunks later: late, whatever its step

    def _count_answer(self, chunk: int, end: int, at: int, timed: bool) -> None:
        done = self.chunk_done_ns.get(chunk)
        if done is not None:
            self.answer.add(max(0, time.perf_counter_ns() - done[0]))
        if not timed and at > end:
            self.late_answers += 1

    def _submit(
        self,
        at: int,
        board_op: Callable[[], None],
        spec_op: Callable[[], None],
    ) -> int:
        self.count += 1
        if at > self._rt._pipeline.pin_input_step(at):
            heapq.heappush(self.timed, (at, next(self.seq), board_op, spec_op))
            return at
        if self._rt._board_idle():
            board_op()  # first: what the board refuses changes nothing
            spec_op()
            return at
        spec_op()
        if self._rt._loading or self._rt.loaded:
            self.pending.append(board_op)
        return at

    def set_parameters(
        self,
        pop: int,
        name: str,
        indices: npt.ArrayLike | None,
        values: npt.ArrayLike,
        *,
        at_step: int | None = None,
    ) -> int:
        """See :meth:`Runtime.set_parameters`."""
        p = check_pop(self._rt.spec, pop)
        if name not in p.params:
            raise UnknownParameterError(
                f"population {p.label!r} ({p.model}) has no parameter {name!r}; "
                f"it has {', '.join(sorted(p.params)) or 'none'}"
            )
        idx = check_indices(p, indices)
        vals = check_param_values(p, name, values, len(idx))
        at = self._check_step(at_step, f"setting {name}")
        pid = int(pop)

        def spec_op() -> None:
            p.params[name] = copy_set(p.params[name], idx, vals)

        def board_op() -> None:
            self._rt._live_board().set_parameters(pid, name, idx, vals)

        return self._submit(at, board_op, spec_op)

    def get_parameters(self, pop: int, name: str, indices: npt.ArrayLike | None) -> FloatArray:
        """See :meth:`Runtime.get_parameters`."""
        p = check_pop(self._rt.spec, pop)
        if name not in p.params:
            raise UnknownParameterError(
                f"population {p.label!r} ({p.model}) has no parameter {name!r}; "
                f"it has {', '.join(sorted(p.params)) or 'none'}"
            )
        idx = check_indices(p, indices)
        if self._rt._board_idle() and not self.pending:
            assert self._rt._board is not None
            return np.asarray(
                self._rt._board.get_parameters(int(pop), name, idx), dtype=np.float64
            )
        return np.array(p.params[name][idx], dtype=np.float64)

    def set_state(
        self,
        pop: int,
        name: str,
        indices: npt.ArrayLike | None,
        values: npt.ArrayLike,
        *,
        at_step: int | None = None,
    ) -> int:
        """See :meth:`Runtime.set_state`."""
        p = check_pop(self._rt.spec, pop)
        if p.initial and name not in p.initial:
            raise UnknownParameterError(
                f"population {p.label!r} ({p.model}) has no state variable {name!r}; "
                f"it has {', '.join(sorted(p.initial))}"
            )
        idx = check_indices(p, indices)
        vals = check_values(name, values, len(idx))
        at = self._check_step(at_step, f"setting {name}")
        pid = int(pop)

        def spec_op() -> None:
            base = p.initial.get(name)
            if base is None:
                base = np.zeros(p.size)
            p.initial[name] = copy_set(base, idx, vals)
            self.initial_dirty.add((pid, name))

        def board_op() -> None:
            self._rt._live_board().set_state(pid, name, idx, vals)

        return self._submit(at, board_op, spec_op)

    def get_state(self, pop: int, name: str, indices: npt.ArrayLike | None) -> FloatArray:
        """See :meth:`Runtime.get_state`."""
        p = check_pop(self._rt.spec, pop)
        idx = check_indices(p, indices)
        if not self._rt.loaded and not self._rt._loading:
            if name not in p.initial:
                raise ParameterError(
                    f"population {p.label!r} ({p.model}) has no initial value for {name!r}"
                )
            return np.array(p.initial[name][idx], dtype=np.float64)
        if not self._rt._board_idle() or self.pending:
            raise RuntimeError(
                f"cannot read {name!r} while a chunk is being computed; read it between "
                "runs, subscribe to it with subscribe_state(), or use lockstep mode"
            )
        assert self._rt._board is not None
        return np.asarray(self._rt._board.get_state(int(pop), name, idx), dtype=np.float64)

    def schedule_spikes(
        self,
        pop: int,
        indices: npt.ArrayLike,
        stamps: npt.ArrayLike | None = None,
    ) -> int:
        """See :meth:`Runtime.schedule_spikes`."""
        self._rt.check_open("injecting spikes")
        p = check_pop(self._rt.spec, pop)
        if p.model not in SPIKE_SOURCES:
            raise ParameterError(
                f"population {p.label!r} is a {p.model}; spikes can only be injected into "
                f"{' or '.join(SPIKE_SOURCES)} populations"
            )
        idx = check_indices(p, indices)
        if stamps is None:
            now = self._rt._pipeline.pin_input_step()
            st = np.full(len(idx), now, dtype=np.int64)
        else:
            raw = np.asarray(stamps)
            if raw.size and not np.issubdtype(raw.dtype, np.integer):
                raise TypeError(f"spike stamps must be integer steps, got dtype {raw.dtype}")
            try:
                st = np.broadcast_to(raw.astype(np.int64), (len(idx),)).copy()
            except ValueError:
                raise ValueError(
                    f"stamps: expected one stamp or {len(idx)} stamps, got shape {raw.shape}"
                ) from None
            now = self._rt._pipeline.pin_input_step(int(st.min()) if len(st) else None)
        if len(st) == 0:
            return now
        first = int(st.min())
        if first < now:
            self.late += 1
            raise LateInputError(
                f"spike stamped {first} (t = {first * self._rt.dt} ms) for population {p.label!r} "
                f"is late: the earliest step input can take effect is {now} "
                f"(t = {now * self._rt.dt} ms)"
            )
        self.count += 1
        self._note_answer(first, timed=stamps is not None)
        order = np.argsort(st, kind="stable")
        idx, st = idx[order], st[order]
        pid = int(pop)
        if self._rt._step == 0 and self._rt._pipeline.in_flight is None:
            # kept until the first chunk runs, so a reload (network changed at step 0)
            # re-arms them
            self.spike_log.append((pid, idx, st))
        if self._rt._board_idle():
            assert self._rt._board is not None
            self._rt._board.schedule_spikes(pid, idx, st)
        elif self._rt.loaded and not self._rt._loading:
            self.pending.append(lambda: self._rt._live_board().schedule_spikes(pid, idx, st))
        return first

    def set_spike_times(
        self,
        pop: int,
        indices: npt.ArrayLike | None,
        times: Sequence[npt.ArrayLike],
        *,
        at_step: int | None = None,
    ) -> int:
        """See :meth:`Runtime.set_spike_times`."""
        p = check_pop(self._rt.spec, pop)
        if p.model != "SpikeSourceArray":
            raise ParameterError(
                f"population {p.label!r} is a {p.model}; only SpikeSourceArray populations "
                "have spike times (inject spikes with schedule_spikes)"
            )
        idx = check_indices(p, indices)
        if has_repeats(idx):
            raise ValueError(f"indices of population {p.label!r} repeat a neuron")
        if isinstance(times, np.ndarray) and times.dtype != object and times.ndim < 2:
            raise ValueError(
                f"times: expected one array of spike times per neuron ({len(idx)} arrays), "
                "not a single array"
            )
        if len(times) != len(idx):
            raise ValueError(
                f"times: expected one array of spike times per neuron, {len(idx)} arrays; "
                f"got {len(times)}"
            )
        arrays: list[FloatArray] = []
        for i, t in zip(idx.tolist(), times, strict=True):
            try:
                arr = np.sort(np.array(t, dtype=np.float64).reshape(-1))
            except (TypeError, ValueError):
                raise ParameterError(
                    f"spike times of neuron {i} of {p.label!r} must be numbers, got {t!r:.60}"
                ) from None
            if not np.all(np.isfinite(arr)) or (arr.size and arr[0] < 0):
                raise ParameterError(
                    f"spike times of neuron {i} of {p.label!r} must be finite and >= 0 ms, "
                    f"got {arr.tolist()[:10]}"
                )
            arr.setflags(write=False)
            arrays.append(arr)
        at = self._check_step(at_step, "setting spike_times")
        pid = int(pop)

        def spec_op() -> None:
            old = p.spike_times or []
            new = [*old, *[np.zeros(0)] * (p.size - len(old))]
            for i, arr in zip(idx.tolist(), arrays, strict=True):
                new[i] = arr
            p.spike_times = new  # a new list: a board may hold the old one

        def board_op() -> None:
            self._rt._live_board().set_spike_times(pid, idx, arrays)

        return self._submit(at, board_op, spec_op)

    def set_synapses(
        self,
        projection: int,
        indices: npt.ArrayLike | None = None,
        *,
        weight: npt.ArrayLike | None = None,
        delay_steps: npt.ArrayLike | None = None,
        at_step: int | None = None,
    ) -> int:
        """See :meth:`Runtime.set_synapses`."""
        projs = self._rt.spec.projections
        if not isinstance(projection, int | np.integer) or not 0 <= projection < len(projs):
            raise IndexError(
                f"projection id {projection!r} does not exist (there are {len(projs)})"
            )
        proj = projs[int(projection)]
        where = f"projection {proj.label or int(projection)!r}"
        n = len(proj.pre_index)
        if indices is None:
            idx = np.arange(n, dtype=np.int64)
        else:
            raw = np.asarray(indices)
            if raw.size and not np.issubdtype(raw.dtype, np.integer):
                raise TypeError(f"synapse indices must be integers, got dtype {raw.dtype}")
            idx = raw.astype(np.int64).reshape(-1)
            if idx.size and (idx.min() < 0 or idx.max() >= n):
                bad = idx[(idx < 0) | (idx >= n)][0]
                raise IndexError(f"synapse index {bad} is out of range for {where} ({n} synapses)")
            if has_repeats(idx):
                raise ValueError(f"synapse indices of {where} repeat a synapse")
        w = d = None
        if weight is not None:
            w = check_values(f"{where}: weight", weight, len(idx))
            signed = signed_weights(self._rt.spec.populations[proj.post])
            check_weights(where, w, signed or isinstance(proj.plasticity, WeightChangerSpec))
            if isinstance(proj.plasticity, WeightChangeableSpec):
                check_weight_bounds(where, w, proj.plasticity.w_min, proj.plasticity.w_max)
            if isinstance(proj.plasticity, STDPSpec):  # each synapse's own bounds
                lo, hi = proj.weight_bounds()  # dopamine-modulated: Neuromodulation's
                check_weight_bounds(where, w, lo[idx], hi[idx])
        if delay_steps is not None:
            raw_d = np.asarray(delay_steps)
            if raw_d.size and not np.issubdtype(raw_d.dtype, np.integer):
                raise TypeError(f"delay_steps must be integer steps, got dtype {raw_d.dtype}")
            try:
                d = np.broadcast_to(raw_d.astype(np.int64), (len(idx),)).copy()
            except ValueError:
                raise ValueError(
                    f"delay_steps: expected one value or {len(idx)} values, got shape "
                    f"{raw_d.shape}"
                ) from None
            board = self._rt._board
            limit = None if board is None else board.max_delay_steps
            bad = (d < 1) | (d > (limit if limit is not None else np.iinfo(np.int64).max))
            if bad.any():
                upper = "" if limit is None else f", at most {limit} steps on this board"
                raise ParameterError(
                    f"{where}: a delay of {int(d[bad][0])} steps is not allowed: delays are "
                    f"at least 1 step{upper}"
                )
            old_d = np.asarray(proj.delay_steps)[idx]
            if (
                proj.plasticity is not None
                and (self._rt._loading or self._rt.loaded)
                and np.any(d != old_d)
            ):
                raise ParameterError(
                    f"{where}: the delays of plastic synapses are fixed once the network is "
                    "loaded on the board"
                )
        at = self._check_step(at_step, f"changing synapses of {where}")
        pid = int(projection)

        def spec_op() -> None:
            if w is not None:
                proj.weight = copy_set(proj.weight, idx, w)
            if d is not None:
                delays = np.array(proj.delay_steps, dtype=np.int64, copy=True)
                delays[idx] = d
                proj.delay_steps = delays

        def board_op() -> None:
            self._rt._live_board().set_synapses(pid, idx, w, d)

        return self._submit(at, board_op, spec_op)

    def set_current_source(
        self, source: int, params: dict[str, Any], *, at_step: int | None = None
    ) -> int:
        """See :meth:`Runtime.set_current_source`."""
        sources = self._rt.spec.current_sources
        if not isinstance(source, int | np.integer) or not 0 <= source < len(sources):
            raise IndexError(
                f"current source id {source!r} does not exist (there are {len(sources)})"
            )
        cs = sources[int(source)]
        unknown = set(params) - set(cs.params)
        if unknown:
            raise ParameterError(
                f"current source {source} ({cs.kind}) has no parameter "
                f"{', '.join(map(repr, sorted(unknown)))}; it has {', '.join(sorted(cs.params))}"
            )
        new = dict(params)
        at = self._check_step(at_step, "changing a current source")

        def spec_op() -> None:
            cs.params = {**cs.params, **new}

        def board_op() -> None:
            self._rt._live_board().set_current_source(int(source), new)

        return self._submit(at, board_op, spec_op)

    def set_current_recording(self, source: int, on: bool = True) -> int:
        """See :meth:`Runtime.set_current_recording`."""
        sources = self._rt.spec.current_sources
        if not isinstance(source, int | np.integer) or not 0 <= source < len(sources):
            raise IndexError(
                f"current source id {source!r} does not exist (there are {len(sources)})"
            )
        src, flag = int(source), bool(on)
        at = self._rt._pipeline.pin_input_step()
        if flag:
            self.rec_currents.add(src)
        else:
            self.rec_currents.discard(src)
        if self._rt._board_idle():
            self._rt._live_board().set_current_recording(src, flag)
        elif self._rt._loading or self._rt.loaded:
            self.pending.append(lambda: self._rt._live_board().set_current_recording(src, flag))
        return at
