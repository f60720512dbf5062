"""A tiny deterministic Board for session tests (no C, no PACMAN).

Dynamics per step ``m`` (all integer-exact in float64, independent of how runs are cut):

* spike sources (``SpikeInjector``, ``SpikeSourceArray``) emit every scheduled stamp
  ``s <= m + 1`` not emitted yet, with stamp ``s``;
* other populations: ``v += i_offset + input``, where ``input`` is the summed weight of
  spikes that arrived for step ``m``; when ``v >= v_thresh``: spike stamped ``m + 1``,
  ``v = v_reset``;
* a spike stamped ``s`` through a projection of delay ``d`` is input of step ``s + d``.

Every input is logged with the board step at which it was applied (``board.log``), and
every ``run`` call's length is kept (``board.runs``).
"""

from __future__ import annotations

import dataclasses
import threading
from collections import defaultdict
from typing import Any

import numpy as np
import numpy.typing as npt

from spinstream.board import Board, ChunkResult
from spinstream.model import (
    CoreSlice,
    MappingPlan,
    NetworkSpec,
    ParameterError,
    PopulationSpec,
    ProjectionSpec,
)

IntArray = npt.NDArray[np.int64]


def trivial_plan(spec: NetworkSpec, atoms_per_core: int = 256) -> MappingPlan:
    """Slices of at most ``atoms_per_core`` neurons, 16 cores per chip, routes resolved.

    Enough for boards that take the resolved ``routes`` (the fake and HostBoard), without
    PACMAN: core ``c`` routes to every core holding a target of one of its neurons.
    """
    cores: list[CoreSlice] = []
    pop_cores: dict[int, list[int]] = {}
    bits = max(1, (atoms_per_core - 1).bit_length())
    mask = (0xFFFFFFFF << bits) & 0xFFFFFFFF
    for p in spec.populations:
        pop_cores[p.id] = []
        for lo in range(0, p.size, atoms_per_core):
            cid = len(cores)
            chip, proc = divmod(cid, 16)
            cores.append(
                CoreSlice(
                    p.id,
                    lo,
                    min(lo + atoms_per_core, p.size),
                    chip % 8,
                    chip // 8,
                    proc + 1,
                    cid << bits,
                    mask,
                )
            )
            pop_cores[p.id].append(cid)
    targets: dict[int, set[int]] = {cid: set() for cid in range(len(cores))}
    for proj in spec.projections:
        pre = np.asarray(pop_cores[proj.pre])[proj.pre_index // atoms_per_core]
        post = np.asarray(pop_cores[proj.post])[proj.post_index // atoms_per_core]
        for a, b in set(zip(pre.tolist(), post.tolist(), strict=True)):
            targets[a].add(b)
    return MappingPlan(
        cores=cores,
        pop_cores=pop_cores,
        routes={cid: tuple(sorted(t)) for cid, t in targets.items()},
        labels={p.id: p.label for p in spec.populations},
    )


def neurons(
    pid: int, size: int, *, i_offset: float = 0.0, v_thresh: float = 10.0, label: str = ""
) -> PopulationSpec:
    """A population of fake integrate-and-fire neurons."""
    return PopulationSpec(
        id=pid,
        label=label or f"pop{pid}",
        size=size,
        model="IF_curr_exp",
        params={
            "i_offset": np.full(size, float(i_offset)),
            "v_thresh": np.full(size, float(v_thresh)),
            "v_reset": np.zeros(size),
        },
        initial={"v": np.zeros(size)},
    )


def injector(pid: int, size: int, label: str = "") -> PopulationSpec:
    """A SpikeInjector population."""
    return PopulationSpec(id=pid, label=label or f"inj{pid}", size=size, model="SpikeInjector")


def one_to_one(
    pid: int,
    pre: int,
    post: int,
    n: int,
    weight: float,
    delay: int = 1,
) -> ProjectionSpec:
    """One synapse i -> i for i < n."""
    idx = np.arange(n, dtype=np.int64)
    return ProjectionSpec(
        id=pid,
        pre=pre,
        post=post,
        pre_index=idx,
        post_index=idx.copy(),
        weight=np.full(n, float(weight)),
        delay_steps=np.full(n, delay, dtype=np.int64),
        receptor=np.zeros(n, dtype=np.int64),
    )


class FakeBoard(Board):
    """See the module docstring.

    Parameters
    ----------
    clock
        Optional ``VirtualClock``: each ``run`` advances it by ``seconds_per_step * n``,
        plus ``extra_seconds[first_step]`` for a run that starts at that step.
    gate
        Optional ``threading.Event``: ``run`` waits for it (to hold a chunk "computing").
    """

    def __init__(
        self,
        *,
        clock: Any = None,
        seconds_per_step: float = 0.0,
        extra_seconds: dict[int, float] | None = None,
        gate: threading.Event | None = None,
    ) -> None:
        self.clock = clock
        self.seconds_per_step = seconds_per_step
        self.extra_seconds = extra_seconds or {}
        self.gate = gate
        self.started = threading.Event()
        self.runs: list[int] = []
        self.log: list[tuple[Any, ...]] = []
        self.loads = 0
        self._step = 0
        self.closed = False

    # ------------------------------------------------------------------ loading
    def load(self, spec: NetworkSpec, plan: MappingPlan) -> None:
        self.spec = spec
        self.loads += 1
        self.params = {p.id: {k: v.copy() for k, v in p.params.items()} for p in spec.populations}
        self.initial = {
            p.id: {k: v.copy() for k, v in p.initial.items()} for p in spec.populations
        }
        self.recording: dict[tuple[int, str], tuple[IntArray, int]] = {}
        # the board's own synapses (set_synapses changes them, not the caller's spec)
        self.projections = [dataclasses.replace(p) for p in spec.projections]
        self.spike_times = {
            p.id: [np.asarray(t, dtype=np.float64) for t in p.spike_times]
            for p in spec.populations
            if p.spike_times is not None
        }
        self._reset_state()

    def _reset_state(self) -> None:
        self._step = 0
        self.state = {pid: {k: v.copy() for k, v in d.items()} for pid, d in self.initial.items()}
        self.scheduled: dict[int, list[tuple[int, int]]] = defaultdict(list)  # pop -> (stamp, i)
        self.arrivals: dict[int, dict[int, npt.NDArray[np.float64]]] = defaultdict(dict)
        self._sampled0 = False
        for pid, times in self.spike_times.items():  # spike arrays (re)play from step 0
            for i, t in enumerate(times):
                stamps = np.floor(t / self.spec.dt + 0.5).astype(np.int64)
                self.scheduled[pid].extend((int(s), i) for s in stamps if s >= 0)

    @property
    def step(self) -> int:
        return self._step

    # ------------------------------------------------------------------ running
    def run(self, n_steps: int) -> ChunkResult:
        self.started.set()
        if self.gate is not None:
            self.gate.wait()
        self.runs.append(n_steps)
        first = self._step
        spikes: dict[int, list[tuple[int, int]]] = defaultdict(list)
        samples: dict[tuple[int, str], list[tuple[int, npt.NDArray[np.float64]]]] = defaultdict(
            list
        )
        pops = self.spec.populations
        if not self._sampled0:
            self._sample(0, samples)
            self._sampled0 = True
        for m in range(first, first + n_steps):
            emitted: dict[int, list[tuple[int, int]]] = {}
            for p in pops:
                if p.model in ("SpikeInjector", "SpikeSourceArray"):
                    due = sorted(x for x in self.scheduled[p.id] if x[0] <= m + 1)
                    self.scheduled[p.id] = [x for x in self.scheduled[p.id] if x[0] > m + 1]
                    emitted[p.id] = due
                else:
                    st = self.state[p.id]
                    prm = self.params[p.id]
                    inp = self.arrivals[p.id].pop(m, 0.0)
                    st["v"] = st["v"] + prm["i_offset"] + inp
                    fired = np.flatnonzero(st["v"] >= prm["v_thresh"])
                    st["v"][fired] = prm["v_reset"][fired]
                    emitted[p.id] = [(m + 1, int(i)) for i in fired]
            for pid, sp in emitted.items():
                if (pid, "spikes") in self.recording:
                    rec = set(self.recording[(pid, "spikes")][0].tolist())
                    spikes[pid].extend(x for x in sp if x[1] in rec)
                for proj in self.projections:
                    if proj.pre != pid:
                        continue
                    size = self.spec.populations[proj.post].size
                    for s, i in sp:
                        hit = proj.pre_index == i
                        for post, w, d in zip(
                            proj.post_index[hit],
                            proj.weight[hit],
                            proj.delay_steps[hit],
                            strict=True,
                        ):
                            slot = self.arrivals[proj.post].setdefault(int(s + d), np.zeros(size))
                            slot[post] += w
            self._sample(m + 1, samples)
        self._step = first + n_steps
        if self.clock is not None:
            self.clock.advance(self.seconds_per_step * n_steps + self.extra_seconds.get(first, 0))
        result = ChunkResult(first_step=first, n_steps=n_steps)
        for pid, sp in spikes.items():
            arr = np.array(sorted(sp), dtype=np.int64).reshape(-1, 2)
            result.spikes[pid] = (arr[:, 0].copy(), arr[:, 1].copy())
        for pid, var in self.recording:
            if var == "spikes" and pid not in result.spikes:
                result.spikes[pid] = (np.zeros(0, np.int64), np.zeros(0, np.int64))
        for key, rows in samples.items():
            result.samples[key] = (
                np.array([r[0] for r in rows], dtype=np.int64),
                np.array([r[1] for r in rows], dtype=np.float64).reshape(len(rows), -1),
            )
        return result

    def _sample(self, stamp: int, samples: dict[tuple[int, str], list[Any]]) -> None:
        for (pid, var), (idx, interval) in self.recording.items():
            if var == "spikes" or stamp % interval:
                continue
            samples[(pid, var)].append((stamp, self.state[pid][var][idx].copy()))

    # ------------------------------------------------------------------ inputs
    def set_recording(
        self, pop: int, variable: str, indices: IntArray | None, interval_steps: int = 1
    ) -> None:
        if variable != "spikes" and variable not in self.state[pop]:
            raise ParameterError(f"population {pop} cannot record {variable!r}")
        self.log.append(
            (self._step, "record", pop, variable, None if indices is None else len(indices))
        )
        if indices is None:
            self.recording.pop((pop, variable), None)
        else:
            self.recording[(pop, variable)] = (np.array(indices, dtype=np.int64), interval_steps)

    def get_parameters(self, pop: int, name: str, indices: IntArray) -> npt.NDArray[np.float64]:
        return self.params[pop][name][indices].copy()

    def set_parameters(
        self, pop: int, name: str, indices: IntArray, values: npt.NDArray[np.float64]
    ) -> None:
        self.log.append(
            (self._step, "param", pop, name, tuple(indices.tolist()), tuple(values.tolist()))
        )
        self.params[pop][name][indices] = values

    def get_state(self, pop: int, name: str, indices: IntArray) -> npt.NDArray[np.float64]:
        return self.state[pop][name][indices].copy()

    def set_state(
        self, pop: int, name: str, indices: IntArray, values: npt.NDArray[np.float64]
    ) -> None:
        self.log.append(
            (self._step, "state", pop, name, tuple(indices.tolist()), tuple(values.tolist()))
        )
        self.state[pop][name][indices] = values

    def schedule_spikes(self, pop: int, indices: IntArray, stamps: IntArray) -> None:
        if len(stamps) and stamps.min() < self._step:
            raise ValueError(f"stamp {stamps.min()} < board step {self._step}")
        self.log.append(
            (self._step, "spikes", pop, tuple(indices.tolist()), tuple(stamps.tolist()))
        )
        self.scheduled[pop].extend(zip(stamps.tolist(), indices.tolist(), strict=True))

    def set_spike_times(self, pop: int, indices: IntArray, times: Any) -> None:
        idx = [int(i) for i in indices]
        if len(times) != len(idx):
            raise ValueError(f"{len(times)} spike time arrays for {len(idx)} neurons")
        self.log.append((self._step, "spike_times", pop, tuple(idx)))
        first = self._step + 1 if self._step > 0 else 0  # stamps <= step have gone out
        kept = [x for x in self.scheduled[pop] if x[1] not in idx]
        arrays = self.spike_times.setdefault(pop, [np.zeros(0)] * self.spec.populations[pop].size)
        for i, t in zip(idx, times, strict=True):
            arrays[i] = np.asarray(t, dtype=np.float64)
            stamps = np.floor(arrays[i] / self.spec.dt + 0.5).astype(np.int64)
            kept.extend((int(s), i) for s in stamps if s >= first)
        self.scheduled[pop] = kept

    def set_synapses(
        self,
        projection: int,
        indices: IntArray | None = None,
        weight: Any = None,
        delay_steps: Any = None,
    ) -> None:
        proj = self.projections[projection]
        idx = np.arange(len(proj.weight)) if indices is None else np.asarray(indices)
        self.log.append((self._step, "synapses", projection, tuple(idx.tolist())))
        w, d = proj.weight.copy(), proj.delay_steps.copy()
        if weight is not None:
            w[idx] = weight
        if delay_steps is not None:
            d[idx] = delay_steps
        if np.any(w < 0) or np.any(d < 1):
            raise ParameterError("weights must be >= 0 and delays >= 1 step")
        self.projections[projection] = dataclasses.replace(proj, weight=w, delay_steps=d)

    def set_current_source(self, source: int, params: dict[str, object]) -> None:
        self.log.append((self._step, "current", source, tuple(sorted(params.items()))))

    def reset(self) -> None:
        self.log.append((self._step, "reset"))
        self._reset_state()

    def close(self) -> None:
        self.closed = True
