"""ReferenceBoard: a slow, obvious, pure-numpy Board that follows docs/ENGINE.md literally.

It is the yardstick for the C engine, so it was written from the contract alone (never from
``kernels_c/``).  It simulates per population and ignores placement: a spike always reaches
every synapse of its projections, whatever the plan's routes say, so a routing mistake in
the plan shows up as a difference from this board.

Randomness: one generator per Poisson population and per noisy current source, seeded from
``spec.seed``; it does not follow the plan's per-core split, so Poisson and noise draws differ
from the C engine's and are compared statistically.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from spinstream.board import Board, ChunkResult, describe_model
from spinstream.model import (
    MappingPlan,
    NetworkSpec,
    ParameterError,
    ProjectionSpec,
    UnknownParameterError,
    check_indices,
    check_parameter,
    check_parameters,
)

from ._neurons import NEURON_MODELS, NeuronPopulation
from ._sources import ArraySource, CurrentSource, PoissonSource

SOURCE_MODELS = ("SpikeSourcePoisson", "SpikeSourceArray", "SpikeInjector")

Population = NeuronPopulation | PoissonSource | ArraySource


@dataclass
class _Outgoing:
    """A projection's synapses grouped by presynaptic neuron (CSR)."""

    post: int
    order: np.ndarray  # synapse ids sorted by pre index
    starts: np.ndarray  # starts[i]:starts[i+1] are the synapses of pre neuron i
    post_index: np.ndarray
    weight: np.ndarray
    delay: np.ndarray
    receptor: np.ndarray

    @classmethod
    def build(cls, proj: ProjectionSpec, pre_size: int) -> _Outgoing:
        order = np.argsort(proj.pre_index, kind="stable")
        counts = np.bincount(proj.pre_index, minlength=pre_size)
        starts = np.concatenate([[0], np.cumsum(counts)])
        return cls(
            post=proj.post,
            order=order,
            starts=starts,
            post_index=np.asarray(proj.post_index, dtype=np.int64),
            weight=np.asarray(proj.weight, dtype=np.float64),
            delay=np.asarray(proj.delay_steps, dtype=np.int64),
            receptor=np.asarray(proj.receptor, dtype=np.int64),
        )


@dataclass
class _StateRecording:
    indices: np.ndarray
    interval: int


class ReferenceBoard(Board):
    """A :class:`~spinstream.board.Board` in plain numpy, one step at a time."""

    def __init__(self) -> None:
        self._spec: NetworkSpec | None = None
        self._rec_currents: set[int] = set()  # kept across loads

    # -- loading -----------------------------------------------------------------------------

    def load(self, spec: NetworkSpec, plan: MappingPlan) -> None:
        """Load a network; the step counter starts at 0.

        The plan is checked to cover every population but otherwise not used.
        """
        if not spec.dt > 0:
            raise ParameterError(f"dt = {spec.dt} ms: expected a value > 0")
        for pop in spec.populations:
            if pop.id not in plan.pop_cores:
                raise ParameterError(f"population {pop.id} ({pop.label!r}) is not in the plan")
        self._spec = spec
        self._plan = plan
        self._dt = float(spec.dt)
        seeds = np.random.SeedSequence(spec.seed)
        pop_seeds = seeds.spawn(len(spec.populations))
        cs_seeds = seeds.spawn(len(spec.current_sources))
        self._pops: list[Population] = []
        for i, ps in enumerate(spec.populations):
            if ps.id != i:
                raise ParameterError(f"population {i} has id {ps.id}; expected dense ids")
            # the one validation every board shares (the model's constraints, from the engine's
            # description); the numerics below follow docs/ENGINE.md alone
            described = describe_model(ps.model)
            if described is not None:
                check_parameters(described, ps.label, ps.params, ps.size)
            params = {k: np.asarray(v, dtype=np.float64) for k, v in ps.params.items()}
            initial = {k: np.asarray(v, dtype=np.float64) for k, v in ps.initial.items()}
            if ps.model in NEURON_MODELS:
                self._pops.append(
                    NEURON_MODELS[ps.model](ps.model, ps.size, self._dt, params, initial)
                )
            elif ps.model == "SpikeSourcePoisson":
                rng = np.random.default_rng(pop_seeds[i])
                self._pops.append(PoissonSource(ps.size, self._dt, params, rng))
            elif ps.model in ("SpikeSourceArray", "SpikeInjector"):
                self._pops.append(ArraySource(ps.model, ps.size, self._dt, ps.spike_times))
            else:
                raise ParameterError(
                    f"population {ps.id} ({ps.label!r}): unknown model {ps.model!r}; expected "
                    f"one of {sorted([*NEURON_MODELS, *SOURCE_MODELS])}"
                )
        self._outgoing: list[list[_Outgoing]] = [[] for _ in self._pops]
        self._by_projection: list[_Outgoing] = []
        for proj in spec.projections:
            self._check_projection(proj)
            pre_size = spec.populations[proj.pre].size
            out = _Outgoing.build(proj, pre_size)
            self._outgoing[proj.pre].append(out)
            self._by_projection.append(out)
        self._currents = []
        for j, cs in enumerate(spec.current_sources):
            for pop, idx in cs.targets:
                if not isinstance(self._pops[pop], NeuronPopulation):
                    raise ParameterError(
                        f"current source {cs.id} targets population {pop}, which is a spike "
                        "source; expected a population of neurons"
                    )
                self._check_indices(pop, np.asarray(idx))
            self._currents.append(CurrentSource(cs, self._dt, np.random.default_rng(cs_seeds[j])))
        self._spike_recording: dict[int, np.ndarray] = {}
        self._state_recording: dict[tuple[int, str], _StateRecording] = {}
        self._restart()

    def _check_projection(self, proj: ProjectionSpec) -> None:
        n = len(proj.pre_index)
        arrays = (proj.post_index, proj.weight, proj.delay_steps, proj.receptor)
        if any(len(a) != n for a in arrays):
            raise ParameterError(f"projection {proj.id}: synapse arrays differ in length")
        if not isinstance(self._pops[proj.post], NeuronPopulation):
            raise ParameterError(
                f"projection {proj.id} targets population {proj.post}, a spike source"
            )
        self._check_indices(proj.pre, np.asarray(proj.pre_index))
        self._check_indices(proj.post, np.asarray(proj.post_index))
        if n and np.min(proj.delay_steps) < 1:
            raise ParameterError(
                f"projection {proj.id}: delay of {np.min(proj.delay_steps)} steps; expected >= 1"
            )
        if n and np.min(proj.weight) < 0:
            raise ParameterError(
                f"projection {proj.id}: weight {np.min(proj.weight)}; expected >= 0 "
                "(the receptor gives the sign)"
            )
        post = self._pops[proj.post]
        rows = post.n_receptors if isinstance(post, NeuronPopulation) else 2
        if n and not np.all(np.isin(proj.receptor, np.arange(rows))):
            raise ParameterError(f"projection {proj.id}: receptor must be in [0, {rows})")

    def _check_indices(self, pop: int, indices: np.ndarray) -> None:
        size = self._pop(pop).size
        if len(indices) and (np.min(indices) < 0 or np.max(indices) >= size):
            raise ParameterError(
                f"population {pop}: index out of range [0, {size}) in {indices.tolist()[:10]}"
            )

    def _restart(self) -> None:
        """Step 0: what load and reset share (besides the state of each population)."""
        self._step = 0
        self._initial_sampled = False
        #: Population -> ring slot (step) -> (n_receptors, size) summed weights (excitatory,
        #: inhibitory, then any further receptor of the model).
        self._pending: list[dict[int, np.ndarray]] = [{} for _ in self._pops]

    def _pop(self, pop: int) -> Population:
        if self._spec is None:
            raise ParameterError("no network is loaded")
        if not 0 <= pop < len(self._pops):
            raise ParameterError(f"population {pop}: expected 0 <= id < {len(self._pops)}")
        return self._pops[pop]

    @property
    def step(self) -> int:
        """Number of steps run since load or the last reset."""
        return self._step

    # -- running -----------------------------------------------------------------------------

    def run(self, n_steps: int) -> ChunkResult:
        """Run ``n_steps`` steps, exactly in the order of docs/ENGINE.md."""
        if self._spec is None:
            raise ParameterError("no network is loaded")
        if n_steps < 0:
            raise ParameterError(f"n_steps = {n_steps}: expected >= 0")
        first = self._step
        spikes: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {
            p: [] for p in self._spike_recording
        }
        samples: dict[tuple[int, str], list[tuple[int, np.ndarray]]] = {
            k: [] for k in self._state_recording
        }
        currents: dict[int, list[float]] = {cs: [] for cs in self._rec_currents}
        if not self._initial_sampled:
            self._sample(0, samples)
            self._initial_sampled = True
        for m in range(first, first + n_steps):
            # 1. Spike sources emit stamp m+1 (and stamp 0 at step 0).
            for p, pop in enumerate(self._pops):
                if isinstance(pop, NeuronPopulation):
                    continue
                stamps, idx = pop.emit(m)
                self._deliver(p, stamps, idx, m, spikes)
            # 2. Neuron cores (each current source evaluated once per step).
            applied = [cs.values(m) for cs in self._currents]
            for cs, got in zip(self._currents, applied, strict=True):
                if cs.id in self._rec_currents:
                    every = [v for _, _, v in got]
                    level = float(np.concatenate(every).mean()) if every else 0.0
                    currents.setdefault(cs.id, []).append(level)
            for p, pop in enumerate(self._pops):
                if not isinstance(pop, NeuronPopulation):
                    continue
                i_ext = pop.params["i_offset"] + self._injected(p, applied)
                arrived = self._pending[p].pop(m, None)
                fired = pop.update(i_ext, arrived)
                self._deliver(p, np.full(len(fired), m + 1, dtype=np.int64), fired, m, spikes)
            self._step = m + 1
            # 3. Samples after the step, stamped m+1.
            self._sample(m + 1, samples)
        result = self._result(first, n_steps, spikes, samples)
        for cs_id, levels in currents.items():
            result.currents[cs_id] = np.array(levels, dtype=np.float64)
        return result

    def _injected(
        self, pop: int, applied: list[list[tuple[int, np.ndarray, np.ndarray]]]
    ) -> np.ndarray:
        """Sum of the current sources into ``pop`` (``applied``: each source's values)."""
        total = np.zeros(self._pops[pop].size)
        for got in applied:
            for target, idx, values in got:
                if target == pop:
                    np.add.at(total, idx, values)
        return total

    def _deliver(
        self,
        pre: int,
        stamps: np.ndarray,
        indices: np.ndarray,
        m: int,
        spikes: dict[int, list[tuple[np.ndarray, np.ndarray]]],
    ) -> None:
        """Record spikes of ``pre`` and put them into the targets' ring slots."""
        if len(stamps) == 0:
            return
        if pre in spikes:
            keep = self._spike_recording[pre][indices]
            spikes[pre].append((stamps[keep], indices[keep]))
        for out in self._outgoing[pre]:
            counts = out.starts[indices + 1] - out.starts[indices]
            syn = np.concatenate(
                [out.order[out.starts[i] : out.starts[i + 1]] for i in indices]
            ).astype(np.int64)
            if len(syn) == 0:
                continue
            slots = np.repeat(stamps, counts) + out.delay[syn] - 1
            assert slots.min() >= m, "a spike would arrive in the past"
            size = self._pops[out.post].size
            ring = self._pending[out.post]
            for slot in np.unique(slots):
                sel = syn[slots == slot]
                target = self._pops[out.post]
                rows = target.n_receptors if isinstance(target, NeuronPopulation) else 2
                buf = ring.setdefault(int(slot), np.zeros((rows, size)))
                np.add.at(buf, (out.receptor[sel], out.post_index[sel]), out.weight[sel])

    def _sample(
        self, stamp: int, samples: dict[tuple[int, str], list[tuple[int, np.ndarray]]]
    ) -> None:
        for (p, name), rec in self._state_recording.items():
            if stamp % rec.interval == 0:
                pop = self._pops[p]
                assert isinstance(pop, NeuronPopulation)
                samples[(p, name)].append((stamp, pop.get_state(name)[rec.indices].copy()))

    def _result(
        self,
        first: int,
        n_steps: int,
        spikes: dict[int, list[tuple[np.ndarray, np.ndarray]]],
        samples: dict[tuple[int, str], list[tuple[int, np.ndarray]]],
    ) -> ChunkResult:
        result = ChunkResult(first_step=first, n_steps=n_steps)
        for p, parts in spikes.items():
            stamps = np.concatenate([s for s, _ in parts]) if parts else np.zeros(0, np.int64)
            idx = np.concatenate([i for _, i in parts]) if parts else np.zeros(0, np.int64)
            order = np.lexsort((idx, stamps))
            result.spikes[p] = (stamps[order].astype(np.int64), idx[order].astype(np.int64))
        for key, rows in samples.items():
            n = len(self._state_recording[key].indices)
            stamps = np.array([s for s, _ in rows], dtype=np.int64)
            values = np.array([v for _, v in rows], dtype=np.float64).reshape(len(rows), n)
            result.samples[key] = (stamps, values)
        return result

    # -- between runs ------------------------------------------------------------------------

    def set_recording(
        self,
        pop: int,
        variable: str,
        indices: npt.NDArray[np.int64] | None,
        interval_steps: int = 1,
    ) -> None:
        """Record spikes or a state variable of some neurons (``None``: stop)."""
        population = self._pop(pop)
        if variable == "spikes":
            if indices is None:
                self._spike_recording.pop(pop, None)
                return
            idx = np.asarray(indices, dtype=np.int64)
            self._check_indices(pop, idx)
            mask = np.zeros(population.size, dtype=bool)
            mask[idx] = True
            self._spike_recording[pop] = mask
            return
        if not isinstance(population, NeuronPopulation) or variable not in population.state_names:
            names = population.state_names if isinstance(population, NeuronPopulation) else ()
            raise ParameterError(
                f"population {pop} cannot record {variable!r}; expected 'spikes' or one of {names}"
            )
        if indices is None:
            self._state_recording.pop((pop, variable), None)
            return
        if interval_steps < 1:
            raise ParameterError(f"interval_steps = {interval_steps}: expected >= 1")
        idx = np.asarray(indices, dtype=np.int64)
        self._check_indices(pop, idx)
        self._state_recording[(pop, variable)] = _StateRecording(idx.copy(), int(interval_steps))

    def get_parameters(
        self, pop: int, name: str, indices: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float64]:
        """Current values of a parameter (PyNN units)."""
        population = self._pop(pop)
        if isinstance(population, ArraySource) or name not in population.params:
            names = () if isinstance(population, ArraySource) else tuple(population.params)
            raise UnknownParameterError(
                f"population {pop} has no parameter {name!r}; expected one of {names}"
            )
        idx = np.asarray(indices, dtype=np.int64)
        self._check_indices(pop, idx)
        return population.params[name][idx].copy()

    def set_parameters(
        self,
        pop: int,
        name: str,
        indices: npt.NDArray[np.int64],
        values: npt.NDArray[np.float64],
    ) -> None:
        """Change a parameter of some neurons; a Poisson rate restarts at the current step."""
        population = self._pop(pop)
        assert self._spec is not None
        ps = self._spec.populations[pop]
        idx = check_indices(ps.label, ps.size, indices)
        vals = np.broadcast_to(np.asarray(values, dtype=np.float64), idx.shape)
        described = describe_model(ps.model)
        if described is not None:
            vals = check_parameter(described, ps.label, name, vals, len(idx))
        if isinstance(population, ArraySource):
            raise ParameterError(
                f"population {pop} ({population.model}) has no settable parameter {name!r}; "
                "use schedule_spikes"
            )
        if isinstance(population, PoissonSource):
            population.set_parameter(name, idx, vals, self._step)
        else:
            population.set_parameter(name, idx, vals)

    def get_state(
        self, pop: int, name: str, indices: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float64]:
        """Current values of a state variable (PyNN units)."""
        population = self._neurons(pop, name)
        idx = np.asarray(indices, dtype=np.int64)
        self._check_indices(pop, idx)
        return population.get_state(name)[idx].copy()

    def set_state(
        self,
        pop: int,
        name: str,
        indices: npt.NDArray[np.int64],
        values: npt.NDArray[np.float64],
    ) -> None:
        """Overwrite the current value of a state variable (not its reset value)."""
        population = self._neurons(pop, name)
        idx = np.asarray(indices, dtype=np.int64)
        self._check_indices(pop, idx)
        population.get_state(name)[idx] = values

    def _neurons(self, pop: int, name: str) -> NeuronPopulation:
        population = self._pop(pop)
        if not isinstance(population, NeuronPopulation):
            raise ParameterError(
                f"population {pop} is a spike source and has no state variable {name!r}"
            )
        return population

    def schedule_spikes(
        self,
        pop: int,
        indices: npt.NDArray[np.int64],
        stamps: npt.NDArray[np.int64],
    ) -> None:
        """Make a SpikeSourceArray / SpikeInjector emit spikes stamped ``stamps`` (>= step)."""
        population = self._pop(pop)
        if not isinstance(population, ArraySource):
            raise ParameterError(
                f"schedule_spikes: population {pop} is not a SpikeSourceArray or SpikeInjector"
            )
        population.schedule(np.asarray(indices), np.asarray(stamps), self._step)

    def set_spike_times(
        self,
        pop: int,
        indices: npt.NDArray[np.int64],
        times: Sequence[npt.ArrayLike],
    ) -> None:
        """New spike arrays for some neurons of a SpikeSourceArray (see ``Board``)."""
        population = self._pop(pop)
        if not isinstance(population, ArraySource) or population.model != "SpikeSourceArray":
            raise ParameterError(f"set_spike_times: population {pop} is not a SpikeSourceArray")
        population.set_times(np.asarray(indices), [np.asarray(t) for t in times], self._step)

    def set_synapses(
        self,
        projection: int,
        indices: npt.NDArray[np.int64] | None = None,
        weight: npt.ArrayLike | None = None,
        delay_steps: npt.ArrayLike | None = None,
    ) -> None:
        """New weights / delays for some synapses: spikes sent from now on use them.

        Spikes already sent sit in ``_pending`` by the step they arrive, so they keep the
        weight and delay they were sent with, whatever the delay.
        """
        if self._spec is None:
            raise ParameterError("no network is loaded")
        if not 0 <= projection < len(self._by_projection):
            raise ParameterError(f"projection {projection}: there is no such projection")
        out = self._by_projection[projection]
        n = len(out.weight)
        idx = np.arange(n) if indices is None else np.asarray(indices, dtype=np.int64)
        if len(idx) and (idx.min() < 0 or idx.max() >= n):
            raise ParameterError(f"projection {projection}: synapse index out of [0, {n})")
        new_w, new_d = out.weight, out.delay
        if weight is not None:
            w = np.broadcast_to(np.asarray(weight, dtype=np.float64), idx.shape)
            if not np.all(np.isfinite(w) & (w >= 0)):
                raise ParameterError(f"projection {projection}: weights must be finite, >= 0")
            new_w = out.weight.copy()
            new_w[idx] = w
        if delay_steps is not None:
            d = np.broadcast_to(np.asarray(delay_steps), idx.shape)
            if np.any(d != np.rint(d)) or np.any(d < 1):
                raise ParameterError(f"projection {projection}: delays must be whole steps >= 1")
            new_d = out.delay.copy()
            new_d[idx] = d.astype(np.int64)
        out.weight, out.delay = new_w, new_d

    def set_current_source(self, source: int, params: dict[str, object]) -> None:
        """Change parameters of a current source from the next step on."""
        if self._spec is None:
            raise ParameterError("no network is loaded")
        for cs in self._currents:
            if cs.id == source:
                cs.update(params)
                return
        raise ParameterError(
            f"current source {source}: expected one of {[cs.id for cs in self._currents]}"
        )

    def set_current_recording(self, source: int, on: bool) -> None:
        """Record the mean current over a source's targets, step by step."""
        if self._spec is not None and not 0 <= source < len(self._spec.current_sources):
            raise ParameterError(f"there is no current source {source}")
        if on:
            self._rec_currents.add(int(source))
        else:
            self._rec_currents.discard(int(source))

    def reset(self) -> None:
        """Back to step 0: initial state, empty rings, spike arrays replayed, Poisson restarted.

        Parameters (and current-source parameters) keep their current values; random
        generators continue where they were.
        """
        if self._spec is None:
            raise ParameterError("no network is loaded")
        for pop in self._pops:
            pop.reset()
        for cs in self._currents:
            cs.reset()
        self._restart()

    def close(self) -> None:
        """Forget the network."""
        self._spec = None
