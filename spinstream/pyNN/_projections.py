"""Projection: PyNN connectors -> one ``ProjectionSpec`` per (pre, post) population pair.

The projection keeps its connections as flat arrays in PyNN's order (by postsynaptic
neuron), with weights as the user gave them, and hands the runtime the engine's form:
root-population indices, non-negative weights with a receptor, delays in whole steps.

Weight signs follow PyNN: excitatory and conductance-based weights are >= 0; for
current-based inhibitory synapses PyNN expects weights <= 0 and sPyNNaker scripts give
them >= 0, so either is accepted (not mixed) and the magnitude is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
from pyNN import common, errors
from pyNN.random import RandomDistribution
from pyNN.space import Space
from pyNN.standardmodels import StandardSynapseType, synapses

from spinstream._progress import Progress
from spinstream.board import describe_model, mpi_processes
from spinstream.model import ParameterError, PopulationSpec, ProjectionSpec
from spinstream.pyNN import _cells, _plasticity, _structural
from spinstream.pyNN._connect import _rngs_of, build_connections, drawn_in_sequence, evaluate_at
from spinstream.pyNN._drawn import DrawnColumn, Redraw, drawn_spec
from spinstream.pyNN._errors import removed
from spinstream.pyNN._state import StaleObjectError
from spinstream.pyNN._weight_change import WeightChanger

__all__ = ["Connection", "Projection", "StaticSynapse"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Receptor types of a model the engine does not describe (a test board's model).
_RECEPTORS = ("excitatory", "inhibitory")
#: sPyNNaker's Neuromodulation targets: the neuron's dopamine (rises, falls), no input.
_DOPAMINE_RECEPTORS = ("reward", "punishment")


class StaticSynapse(synapses.StaticSynapse):  # type: ignore[misc]
    __doc__ = synapses.StaticSynapse.__doc__
    translations: ClassVar[dict[str, Any]] = {
        "weight": {
            "translated_name": "weight",
            "forward_transform": "weight",
            "reverse_transform": "weight",
            "type": "simple",
        },
        "delay": {
            "translated_name": "delay",
            "forward_transform": "delay",
            "reverse_transform": "delay",
            "type": "simple",
        },
    }
    # Weight signs are checked once per projection (see module docstring), not per column.
    parameter_checks: ClassVar[dict[str, Any]] = {}
    _simulator: Any

    def _get_minimum_delay(self) -> float:
        return float(self._simulator.state.min_delay)


class Connection(common.Connection):  # type: ignore[misc]
    """One synapse of a projection: indices, ``weight`` and ``delay`` (settable)."""

    def __init__(self, projection: Projection, index: int) -> None:
        self.projection = projection
        self.index = index

    def _drawn(self, position: int) -> Any:
        """Return the connection's value of a drawn projection's column (None: arrays kept)."""
        redraw = self.projection.__dict__.get("_redraw")
        return None if redraw is None else redraw.at(position, self.index)

    @property
    def presynaptic_index(self) -> int:
        value = self._drawn(0)
        return int(self.projection._pre[self.index] if value is None else value)

    @property
    def postsynaptic_index(self) -> int:
        value = self._drawn(1)
        return int(self.projection._post[self.index] if value is None else value)

    @property
    def presynaptic_cell(self) -> Any:
        return self.projection.pre[self.presynaptic_index]

    @property
    def postsynaptic_cell(self) -> Any:
        return self.projection.post[self.postsynaptic_index]

    @property
    def weight(self) -> float:
        value = self._drawn(2)  # (a drawn projection is static)
        if value is not None:
            return float(value)
        # live when plastic (index: the projection's synapse, present or not)
        return float(self.projection._potential_column("weight")[self.index])

    @weight.setter
    def weight(self, value: float) -> None:
        self.projection._update(np.array([self.index]), weight=np.array([float(value)]))

    @property
    def delay(self) -> float:
        value = self._drawn(3)
        return float(self.projection._delay[self.index] if value is None else value)

    @delay.setter
    def delay(self, value: float) -> None:
        self.projection._update(np.array([self.index]), delay=np.array([float(value)]))

    def as_tuple(self, *attribute_names: str) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in attribute_names)

    def __repr__(self) -> str:
        return (
            f"Connection({self.presynaptic_index} -> {self.postsynaptic_index}, "
            f"weight={self.weight}, delay={self.delay})"
        )


def _lookup(obj: Any) -> tuple[IntArray, IntArray]:
    """For each index of a Population/View/Assembly: (root spec id, root index)."""
    members = obj.populations if hasattr(obj, "populations") else [obj]
    ids = [np.full(m.size, m._spec_id, dtype=np.int64) for m in members]
    idx = [m._index_array() for m in members]
    return np.concatenate(ids), np.concatenate(idx)


class Projection(common.Projection):  # type: ignore[misc]
    __doc__ = common.Projection.__doc__
    _static_synapse_class: type
    #: Accept negative weights onto a conductance-based cell's inhibitory receptor as their
    #: magnitude (sPyNNaker's convention, set by its face); PyNN's own refuses them.
    _inhibitory_conductance_magnitudes = False
    label: Any
    # the connections, in PyNN's order; a NativeRNG projection draws them when read
    # (spinstream.pyNN._drawn) until a weight or delay is changed
    _pre = DrawnColumn(0)
    _post = DrawnColumn(1)
    _weight = DrawnColumn(2)
    _delay = DrawnColumn(3)
    _steps = DrawnColumn(4)

    def __init__(
        self,
        presynaptic_neurons: Any,
        postsynaptic_neurons: Any,
        connector: Any,
        synapse_type: Any = None,
        source: Any = None,
        receptor_type: str | None = None,
        space: Space | None = None,
        label: str | None = None,
        *,
        download_synapses: bool = False,
        partition_id: str = "SPIKE",
    ) -> None:
        # sPyNNaker's extra arguments (SpiNNakerProjection): synapses always stay readable
        # here (they live on the host), and every population sends on one partition.
        where = "Projection" if label is None else f"Projection {label!r}"
        if not isinstance(download_synapses, (bool, np.bool_)):
            raise errors.ConnectionError(
                f"{where}: download_synapses must be True or False, got {download_synapses!r}"
            )
        if partition_id != "SPIKE":
            raise errors.ConnectionError(
                f"{where}: partition_id={partition_id!r} is not supported; spinstream's "
                "populations send spikes on one partition, 'SPIKE' (sPyNNaker's default)"
            )
        self.download_synapses = bool(download_synapses)
        # sPyNNaker's structural plasticity: the synapses are those of a StaticSynapse or
        # STDPMechanism, every potential one loaded and the rewiring deciding which exist
        self._mechanism: Any = None
        if isinstance(synapse_type, _structural.STRUCTURAL_TYPES):
            self._mechanism = synapse_type
            stdp_cls = type(
                "STDPMechanism", (_plasticity.STDPMechanism,), {"_simulator": self._simulator}
            )
            synapse_type = _structural.synapse_type_for(
                synapse_type, (self._static_synapse_class, stdp_cls)
            )
        split = getattr(connector, "receptors_by_sign", None)
        if split is not None and receptor_type not in (None, split[0]):
            raise errors.ConnectionError(
                f"{where}: {type(connector).__name__} chooses each synapse's receptor by "
                f"its weight's sign (positive: {split[0]!r}, negative: {split[1]!r}); "
                f"receptor_type={receptor_type!r} would be ignored, leave it unset"
            )
        if download_synapses and isinstance(synapse_type, _plasticity.STDPMechanism):
            raise errors.ConnectionError(
                f"{where}: download_synapses=True (weights readable after end()) is not "
                f"supported for plastic synapses ({type(synapse_type).__name__}): their "
                "learned weights live on the board and are gone after end(); read them "
                "before end()"
            )
        self._split: tuple[str, str] | None = split
        self._sign: FloatArray | None = None
        state = self._simulator.state
        runtime = state.require_runtime()
        for role, obj in (("pre", presynaptic_neurons), ("post", postsynaptic_neurons)):
            members = getattr(obj, "populations", [obj])
            for m in members:
                if getattr(m, "_simulator", None) is not self._simulator:
                    raise StaleObjectError(
                        f"Projection: {role}synaptic {getattr(m, 'label', m)!r} belongs to "
                        "another network (another session, or an earlier setup())"
                    )
                m._runtime  # noqa: B018 - raises for a stale population
        if source not in (None, "spike"):
            raise errors.ConnectionError(
                f"Projection {label!r}: source={source!r}: point neurons have one spike "
                "source (leave source=None)"
            )
        if synapse_type is not None and not isinstance(
            synapse_type, (synapses.StaticSynapse, *_plasticity.PLASTIC_TYPES)
        ):
            raise errors.NoModelAvailableError(
                "spinstream supports StaticSynapse, STDPMechanism, TsodyksMarkramSynapse and "
                f"SimpleStochasticSynapse, not {type(synapse_type).__name__}"
            )
        if isinstance(synapse_type, WeightChanger) and receptor_type is None:
            # not guessed from the sign of a weight change: the changed projection's receptor
            receptor_type = synapse_type.target.receptor_type
        dopamine = _plasticity.is_neuromodulation(synapse_type)
        if dopamine != (receptor_type in _DOPAMINE_RECEPTORS):
            raise errors.ConnectionError(
                f"{where}: sPyNNaker's Neuromodulation synapses go with "
                f"receptor_type='reward' or 'punishment' (and those with them alone), got "
                f"{type(synapse_type).__name__} with receptor_type={receptor_type!r}"
            )
        common.Projection.__init__(
            self,
            presynaptic_neurons,
            postsynaptic_neurons,
            connector,
            synapse_type,
            source,
            None if dopamine else receptor_type,  # not a receptor of the cell: its dopamine
            space if space is not None else Space(),
            label,
        )
        if dopamine:
            self.receptor_type = receptor_type
        if self.label is None:
            self.label = f"projection{common.Projection._nProj}"
        self._owner = runtime
        self._collector: Any = None
        conns = build_connections(self, connector)
        names = _plasticity.rule_names(self.synapse_type)
        redraw = self._redraw_of(conns, connector, names)
        # rule parameters, one value per connection (empty for static synapses)
        self._rule: dict[str, FloatArray] = {}
        if redraw is not None:  # keep the way to draw them, not the arrays
            self._check_drawn(redraw)
            self.__dict__["_redraw"] = redraw
            self._add_specs(np.zeros(0, np.int64), redraw)
            _plasticity.attach(self)
            state.projections.append(self)  # served by a ZeroMQ bridge (weight topics)
            return
        try:
            pre, post, values = conns.arrays(["weight", "delay", *names])
        except KeyError:  # a connector that passes only weights and delays
            pre, post, values = conns.arrays(["weight", "delay"])
            values.update(_plasticity.uniform_rule_values(self, len(pre)))
        if self._mechanism is not None:
            pre, post, values = self._potential_synapses(pre, post, values, names)
        self._pre = pre
        self._post = post
        self._rule = _plasticity.check_rule_values(self, {k: values[k] for k in names})
        if self._split is not None:  # each synapse's receptor follows its weight's sign
            self._sign = np.sign(np.asarray(values["weight"], dtype=np.float64))
        self._weight = self._checked_weights(values["weight"])
        self._delay = np.array(values["delay"], dtype=np.float64)
        steps = state.delay_steps(self._delay, f"Projection {self.label!r}")
        self._steps = steps
        self._add_specs(steps)
        _plasticity.attach(self)
        self._attach_structural()
        state.projections.append(self)  # served by a ZeroMQ bridge (weight topics)

    # -- building ------------------------------------------------------------------------

    def _potential_synapses(
        self, pre: IntArray, post: IntArray, values: dict[str, Any], names: tuple[str, ...]
    ) -> tuple[IntArray, IntArray, dict[str, Any]]:
        """Return a structural projection's potential synapses, from its connector's."""
        where = f"Projection {self.label!r}"
        for role, obj in (("pre", self.pre), ("post", self.post)):
            pops, idx = _lookup(obj)
            whole = len(pops) and self._owner.spec.populations[int(pops[0])].size == len(idx)
            if (
                len(set(pops.tolist())) > 1
                or not whole
                or not np.array_equal(idx, np.arange(len(idx)))
            ):
                raise errors.ConnectionError(
                    f"{where}: a structural projection joins whole populations (its grid "
                    f"positions are population indices); the {role}synaptic side is a view "
                    "or an assembly"
                )
        mech = self._mechanism
        state = self._simulator.state
        steps = np.asarray(state.delay_steps(values["delay"], where), dtype=np.int64)
        init_steps = int(state.delay_steps(np.array([mech.initial_delay]), where)[0])
        weight = np.asarray(values["weight"], dtype=np.float64)
        c_pre, c_post, c_w, c_steps, count, slots = _structural.candidates(
            mech,
            where,
            self.pre.size,
            self.post.size,
            np.asarray(pre, np.int64),
            np.asarray(post, np.int64),
            weight,
            steps,
            mech.initial_weight,
            init_steps,
        )
        self._structural_start = (count, slots, init_steps)
        out: dict[str, Any] = {"weight": c_w, "delay": c_steps * state.dt}
        out.update(_plasticity.uniform_rule_values(self, len(c_pre)) if names else {})
        return c_pre, c_post, out

    def _attach_structural(self) -> None:
        """Give the projection's spec its rewiring (and, for static synapses, their rule)."""
        if self._mechanism is None:
            return
        count, slots, init_steps = self._structural_start
        runtime = self._owner
        ((spec_id, _),) = self._parts
        spec = runtime.spec.projections[spec_id]
        mech = self._mechanism
        if not _structural.is_stdp(mech):
            spec.plasticity = _structural.static_rule()
        n_pairs = self.pre.size * self.post.size
        w_init = float(spec.weight[0]) if n_pairs else abs(mech.initial_weight)
        seed = mech.seed if mech.seed is not None else int(runtime.spec.seed)
        spec.structural = _structural.structural_spec(
            mech, self.pre.size, self.post.size, w_init, init_steps, seed, count, slots
        )

    def _live(self) -> IntArray | None:
        """Return a structural projection's present synapses (None for other projections).

        The potential synapse of each, repeated as often as it is present, in (pre, post)
        order.
        """
        if self._mechanism is None:
            return None
        runtime = self._owner
        counts = None
        board = runtime.board
        if board is not None and runtime.loaded and not getattr(runtime, "_loading", False):
            ((spec_id, _),) = self._parts
            counts = board.get_synapse_counts(spec_id)
        if counts is None:
            counts = self._structural_start[0]
        idx = np.repeat(np.arange(len(counts)), counts)
        order = np.lexsort((self._post[idx], self._pre[idx]))
        return np.asarray(idx[order], dtype=np.int64)

    def _redraw_of(self, conns: Any, connector: Any, rule_names: Sequence[str]) -> Redraw | None:
        """Return a :class:`Redraw` when this projection need not keep its arrays, else None.

        Static synapses from a NativeRNG connector whose values come from the blocks'
        generators alone, between one pair of root populations, receptor not by sign.
        """
        drawn = conns.drawn
        if self._mechanism is not None:  # structural: its synapses change while it runs
            return None
        if drawn is None or not drawn.redrawable or rule_names or self._split is not None:
            return None
        if isinstance(self.synapse_type, _plasticity.PLASTIC_TYPES):
            return None
        if len({int(m._spec_id) for m in getattr(self.pre, "populations", [self.pre])}) != 1:
            return None
        if len({int(m._spec_id) for m in getattr(self.post, "populations", [self.post])}) != 1:
            return None
        state = self._simulator.state
        return Redraw(drawn, conns.fixed, _rngs_of(self, connector), state.dt, 0)

    def _check_drawn(self, redraw: Redraw) -> None:
        """Check a drawn projection's weights and delays as a kept one's; count them.

        The blocks are drawn once here and dropped: the checks need only each column's
        smallest and largest value (and the delays' range is what the state records).
        """
        n = 0
        w_ends = [np.inf, -np.inf]
        d_ends = [np.inf, -np.inf]
        # over MPI processes, the digest the ranks compare at load (no drawing there)
        rank, size = mpi_processes()
        mpi = size > 1
        progress = Progress(
            f"drawing Projection {self.label!r}", unit="synapses", show=rank == 0, brief=True
        )
        for src, _tgt, w, d, _steps in redraw.count(digest=mpi):
            n += len(src)
            progress.advance(len(src))
            for ends, x in ((w_ends, w), (d_ends, d)):
                if len(x) and not np.isnan(ends[0]):  # a NaN stays: both ends NaN
                    lo, hi = float(np.min(x)), float(np.max(x))
                    ends[:] = (
                        [np.nan] * 2 if np.isnan(lo + hi) else [min(ends[0], lo), max(ends[1], hi)]
                    )
        progress.done()
        self._checked_weights(np.array(w_ends if n else []))
        state = self._simulator.state
        state.delay_steps(np.array(d_ends if n else []), f"Projection {self.label!r}")

    def _convergent_connect(
        self,
        presynaptic_indices: Any,
        postsynaptic_index: Any,
        location_selector: Any = None,
        **connection_parameters: Any,
    ) -> None:
        """Connectors that make synapses one target at a time (CSA, user-written) call this."""
        if location_selector is not None:
            raise errors.ConnectionError(
                f"Projection {self.label!r}: point neurons have no synapse locations"
            )
        pre = np.atleast_1d(np.asarray(presynaptic_indices))
        if pre.dtype == object:  # IDs
            pre = np.asarray(self.pre.id_to_index(pre), dtype=np.int64)
        post = postsynaptic_index
        if not isinstance(post, (int, np.integer)):
            post = int(self.post.id_to_index(post))
        self._collector.add(pre, post, connection_parameters)

    @property
    def _changer(self) -> bool:
        """True for sPyNNaker's WeightChanger: its weights are signed weight changes."""
        return isinstance(self.synapse_type, WeightChanger)

    @property
    def _signed(self) -> bool:
        """True when the target's weights carry their sign (PointNeuron, current-based)."""
        celltypes = [p.celltype for p in getattr(self.post, "populations", [self.post])]
        return all(
            (d := _cells.description_of(c)) is not None and d.signed_weights for c in celltypes
        )

    def _checked_weights(self, weight: FloatArray) -> FloatArray:
        weight = np.asarray(weight, dtype=np.float64).copy()
        where = f"Projection {self.label!r}"
        if not np.all(np.isfinite(weight)):
            raise errors.ConnectionError(f"{where}: weights must be finite numbers")
        _plasticity.check_weights(self, weight)  # rule parameters, STDP bounds
        if weight.size == 0 or self._changer:
            return weight  # a WeightChanger's weights are signed changes
        conductance = bool(self.post.conductance_based)
        if self._sign is not None:
            flipped = weight * self._sign < 0
            if np.any(flipped):
                k = int(np.flatnonzero(flipped)[0])
                raise errors.ConnectionError(
                    f"{where}: weight {weight[k]} of connection {k} has the other sign than "
                    "the one it was built with; its receptor is chosen by that sign"
                )
            return weight
        inhibitory_magnitudes = self.receptor_type == "inhibitory" and (
            not conductance or self._inhibitory_conductance_magnitudes
        )
        if self._signed:
            pass  # a composed current-based target: the weight's sign is the effect's
        elif not inhibitory_magnitudes:
            if weight.min() < 0:
                kind = "conductance-based" if conductance else str(self.receptor_type)
                raise errors.ConnectionError(
                    f"{where}: weight {weight.min()} is negative; {kind} weights must be "
                    ">= 0 (uS for conductance, nA for current)"
                )
        elif weight.min() < 0 < weight.max():
            raise errors.ConnectionError(
                f"{where}: inhibitory weights must be all <= 0 (PyNN's convention for "
                f"current-based cells) or all >= 0, got values from {weight.min()} to "
                f"{weight.max()}"
            )
        return weight

    def _receptor_index(self, target: PopulationSpec, name: str | None = None) -> int:
        """Return the ring row of receptor ``name`` on a ``target`` population.

        ``name`` defaults to the projection's receptor type.
        """
        name = self.receptor_type if name is None else name
        if name in _DOPAMINE_RECEPTORS:  # dopamine reaches no input of the neuron
            return 0
        model = target.model
        described = describe_model(model)
        receptors = described.receptors if described is not None else _RECEPTORS
        if target.receptors:  # a composed model (PointNeuron): the population's own
            receptors = target.receptors
        if name not in receptors:
            raise errors.ConnectionError(
                f"Projection {self.label!r}: receptor type {name!r} is not "
                f"one of {list(receptors)} ({model})"
            )
        return list(receptors).index(name)

    @property
    def _parts(self) -> list[tuple[int, IntArray]]:
        """(spec id, positions of its connections in this projection) per part."""
        part = self.__dict__.get("_drawn_part")
        if part is not None:  # one part: every connection
            return [(part, np.arange(len(self), dtype=np.int64))]
        parts: list[tuple[int, IntArray]] = self.__dict__["_part_list"]
        return parts

    @_parts.setter
    def _parts(self, value: list[tuple[int, IntArray]]) -> None:
        self.__dict__["_part_list"] = value

    def _add_specs(self, steps: IntArray, redraw: Redraw | None = None) -> None:
        runtime = self._owner
        pre_pop, pre_idx = _lookup(self.pre)
        post_pop, post_idx = _lookup(self.post)
        if redraw is not None:  # one pair of root populations, drawn when read
            a, b = int(pre_pop[0]), int(post_pop[0])
            spec_id = len(runtime.spec.projections)
            drawn = drawn_spec(
                redraw,
                spec_id=spec_id,
                pre=a,
                post=b,
                pre_index=pre_idx,
                post_index=post_idx,
                receptor=self._receptor_index(runtime.spec.populations[b]),
                signed=self._signed,
                label=self.label,
            )
            self.__dict__["_drawn_part"] = int(runtime.add_projection(drawn))
            return
        src_pop = pre_pop[self._pre]
        dst_pop = post_pop[self._post]
        self._parts: list[tuple[int, IntArray]] = []
        pairs = sorted(set(zip(src_pop.tolist(), dst_pop.tolist(), strict=True)))
        if not pairs and len(pre_pop) and len(post_pop):
            pairs = [(int(pre_pop[0]), int(post_pop[0]))]
        for a, b in pairs:
            target = runtime.spec.populations[b]
            sel = np.flatnonzero((src_pop == a) & (dst_pop == b))
            if self._split is not None and self._sign is not None:  # receptor by sign
                pos, neg = (self._receptor_index(target, name) for name in self._split)
                receptor = np.where(self._sign[sel] < 0, neg, pos).astype(np.int64)
            else:
                receptor = np.full(len(sel), self._receptor_index(target), dtype=np.int64)
            spec = ProjectionSpec(
                id=len(runtime.spec.projections),
                pre=a,
                post=b,
                pre_index=pre_idx[self._pre[sel]],
                post_index=post_idx[self._post[sel]],
                weight=self._weight[sel]
                if self._signed or self._changer
                else np.abs(self._weight[sel]),
                delay_steps=steps[sel],
                receptor=receptor,
                label=self.label,
            )
            self._parts.append((int(runtime.add_projection(spec)), sel))

    # -- changing weights and delays -----------------------------------------------------

    def _update(self, which: IntArray, weight: Any = None, delay: Any = None) -> None:
        """Give the connections at ``which`` new weights and/or delays (PyNN's units).

        Before the first run this only changes the network's description.  Once it is
        loaded the runtime changes the synapses on the board: at once between runs, at the
        next chunk's first step while a session runs; spikes already on their way keep
        their weight and delay.  Every part of the projection changes at the same step.
        Plastic synapses take new weights (replacing the learned ones, and restored by
        ``reset()``), but their delays are fixed once loaded.
        """
        runtime = self._owner
        state = self._simulator.state
        if state.runtime is not runtime or runtime.closed:
            raise StaleObjectError(f"Projection {self.label!r} belongs to an earlier network")
        where = f"Projection {self.label!r}"
        if self._mechanism is not None:
            raise errors.ConnectionError(
                f"{where}: the synapses of a structural projection are formed and removed "
                "by its rewiring; their weights and delays cannot be set"
            )
        new_w = self._weight.copy()
        new_d = self._delay.copy()
        if weight is not None:
            new_w[which] = weight
            new_w = self._checked_weights(new_w)
        if delay is not None:
            new_d[which] = delay
        steps = state.delay_steps(new_d, where)
        board = runtime.board
        limit = None if board is None else board.max_delay_steps
        if delay is not None and limit is not None and steps.size and steps.max() > limit:
            raise errors.ConnectionError(
                f"{where}: delay {float(new_d.max())} ms is longer than the board's longest "
                f"delay, {limit * state.dt} ms"
            )
        plastic = _plasticity.plasticity_of(self) is not None
        moved = delay is not None and np.any(steps[which] != self._steps[which])
        if moved and plastic and runtime.loaded:
            raise errors.ConnectionError(
                f"{where}: the delays of plastic synapses are fixed once the network is "
                "loaded on the board (set them before the first run)"
            )
        chosen = np.zeros(len(self._pre), dtype=bool)
        chosen[which] = True
        magnitude = new_w if self._changer else np.abs(new_w)
        for spec_id, sel in self._parts:
            pos = np.flatnonzero(chosen[sel])
            if not len(pos):
                continue
            try:
                runtime.set_synapses(
                    spec_id,
                    pos,
                    weight=None if weight is None else magnitude[sel[pos]],
                    delay_steps=None if delay is None else steps[sel[pos]],
                )
            except (ParameterError, ValueError) as err:  # checked above: not expected
                raise errors.ConnectionError(f"{where}: {err}") from None
        self._weight, self._delay, self._steps = new_w, new_d, steps

    def _set_attributes(self, parameter_space: Any) -> None:
        """``Projection.set(...)``: values per existing connection.

        Weights and delays change as :meth:`_update` says.  Rule parameters (``U``,
        ``A_plus``, ...) change only while the network is at step 0 (before the first run,
        or right after ``reset()``); the network is then loaded anew at the next run.
        """
        rule_names = _plasticity.rule_names(self.synapse_type)
        changes: dict[str, FloatArray] = {}
        rule_changes: dict[str, FloatArray] = {}
        for name, lazy in parameter_space.items():
            if name not in ("weight", "delay", *rule_names):
                kind = type(self.synapse_type).__name__
                valid = sorted(["weight", "delay", *rule_names])
                raise errors.NonExistentParameterError(name, kind, valid)
            lazy.shape = self.shape
            if callable(lazy.base_value):  # a function of distance or of (i, j)
                full = np.asarray(lazy.evaluate(simplify=False), dtype=np.float64)
                values = np.broadcast_to(full, self.shape)[self._pre, self._post]
            else:
                values = np.array(evaluate_at(lazy, self._pre, self._post), dtype=np.float64)
            values = np.broadcast_to(values, self._pre.shape).copy()
            if np.any(np.isnan(values)):
                raise errors.InvalidParameterValueError(
                    f"Projection {self.label!r}: {name} is NaN for an existing connection"
                )
            (rule_changes if name in rule_names else changes)[name] = values
        if not rule_changes:
            self._update(np.arange(len(self._pre)), **changes)
            return
        old_rule = self._rule
        new_rule = self._checked_rule_change(rule_changes)
        if isinstance(self.synapse_type, _plasticity.STDPMechanism):
            w = changes.get("weight", self._weight)
            _plasticity.check_bounds(self, w, new_rule)
        self._rule = new_rule
        try:
            if changes:
                self._update(np.arange(len(self._pre)), **changes)
        except Exception:
            self._rule = old_rule
            raise
        _plasticity.attach(self)
        # the engine's rules are fixed once loaded: load the network anew at the next run
        self._owner._check_can_change_network("plasticity rule")

    def _checked_rule_change(self, rule_changes: dict[str, FloatArray]) -> dict[str, FloatArray]:
        """Return the rule values after ``rule_changes``, checked; refuse after a run."""
        runtime = self._owner
        where = f"Projection {self.label!r}"
        if self._simulator.state.runtime is not runtime or runtime.closed:
            raise StaleObjectError(f"{where} belongs to an earlier network")
        if runtime.running or runtime.step > 0:
            names = ", ".join(sorted(rule_changes))
            raise errors.InvalidParameterValueError(
                f"{where}: {names} can be changed only while the network is at step 0 (before "
                f"the first run, or right after reset()); it has run to t = {runtime.time} ms"
            )
        return _plasticity.check_rule_values(self, {**self._rule, **rule_changes})

    # -- reading -------------------------------------------------------------------------

    def __len__(self) -> int:
        redraw = self.__dict__.get("_redraw")
        if redraw is not None:
            return int(redraw.n)
        live = self._live()
        return len(self._pre) if live is None else len(live)

    def __getitem__(self, i: int) -> Connection:
        live = self._live()
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"Projection {self.label!r} has {n} connections, no index {i}")
        return Connection(self, int(i % n if live is None else live[i % n]))

    @property
    def connections(self) -> list[Connection]:
        """Every connection, in order (structural projections: those present now)."""
        live = self._live()
        which = range(len(self)) if live is None else live.tolist()
        return [Connection(self, int(i)) for i in which]

    def _column(self, name: str) -> npt.NDArray[Any]:
        live = self._live()
        column = self._potential_column(name)
        return column if live is None else column[live]

    def _potential_column(self, name: str) -> npt.NDArray[Any]:
        if name == "presynaptic_index":
            return self._pre
        if name == "postsynaptic_index":
            return self._post
        if name in ("weight", "weights"):
            return _plasticity.live_weights(self)  # plastic weights come from the board
        if name in ("delay", "delays"):
            return self._delay
        rule = _plasticity.plasticity_of(self)
        if rule is not None and name in _plasticity.rule_parameter_names(rule):
            return _plasticity.rule_column(self, name)
        kind = type(self.synapse_type).__name__
        valid = ["weight", "delay"]
        if rule is not None:
            valid += list(_plasticity.rule_parameter_names(rule))
        raise errors.NonExistentParameterError(name, kind, sorted(valid))

    def _get_attributes_as_list(self, names: list[str]) -> list[tuple[Any, ...]]:
        columns = [self._column(name).tolist() for name in names]
        return list(zip(*columns, strict=True))

    def _get_attributes_as_arrays(
        self, names: list[str], multiple_synapses: str = "sum"
    ) -> list[FloatArray]:
        out = []
        shape = (self.pre.size, self.post.size)
        flat = self._column("presynaptic_index") * shape[1] + self._column("postsynaptic_index")
        for name in names:
            values = self._column(name).astype(np.float64)
            result = np.full(shape[0] * shape[1], np.nan)
            if multiple_synapses == "last":
                result[flat] = values
            elif multiple_synapses == "first":
                result[flat[::-1]] = values[::-1]
            elif multiple_synapses == "sum":
                total = np.zeros_like(result)
                np.add.at(total, flat, values)
                seen = np.zeros(result.shape, dtype=bool)
                seen[flat] = True
                result[seen] = total[seen]
            elif multiple_synapses in ("min", "max"):
                fill = np.inf if multiple_synapses == "min" else -np.inf
                acc = np.full_like(result, fill)
                (np.minimum if multiple_synapses == "min" else np.maximum).at(acc, flat, values)
                seen = np.zeros(result.shape, dtype=bool)
                seen[flat] = True
                result[seen] = acc[seen]
            out.append(result.reshape(shape))
        return out

    def get(self, attribute_names: Any, format: str, *args: Any, **kwargs: Any) -> Any:
        names = [attribute_names] if isinstance(attribute_names, str) else list(attribute_names)
        known = {"weight", "delay", "weights", "delays", "presynaptic_index"}
        known |= {"postsynaptic_index"}
        rule = _plasticity.plasticity_of(self)
        if rule is not None:
            known.update(_plasticity.rule_parameter_names(rule))
        for name in names:
            if name not in known:  # PyNN itself would fail with a bare KeyError
                valid = ["weight", "delay"]
                if rule is not None:
                    valid += list(_plasticity.rule_parameter_names(rule))
                kind = type(self.synapse_type).__name__
                raise errors.NonExistentParameterError(name, kind, sorted(valid))
        # every MPI process holds every synapse (and reads plastic weights from their owners):
        # PyNN's own gather would pickle and repeat them; every rank gets them all instead
        if args:
            args = (False, *args[1:])
        else:
            kwargs["gather"] = False
        return super().get(attribute_names, format, *args, **kwargs)

    get.__doc__ = common.Projection.get.__doc__

    def set(self, **attributes: Any) -> None:
        if self._mechanism is not None:
            raise errors.ConnectionError(
                f"Projection {self.label!r}: the synapses of a structural projection "
                f"({type(self._mechanism).__name__}) are formed and removed by its rewiring; "
                "set() cannot change them"
            )
        if isinstance(self.synapse_type, StandardSynapseType):
            kind = type(self.synapse_type).__name__
            settable = ["weight", "delay", *_plasticity.rule_names(self.synapse_type)]
            for name in attributes:
                if name in settable:
                    continue
                if name in self.synapse_type.get_parameter_names():
                    raise errors.InvalidParameterValueError(
                        f"Projection {self.label!r}: {name} is a {kind} parameter of the "
                        "whole projection and is fixed once it is built; set() changes "
                        f"{', '.join(settable)}"
                    )
                raise errors.NonExistentParameterError(name, kind, sorted(settable))
        # a distribution's RNG is drawn from in sequence, not copied (see _connect)
        rngs = [v.rng for v in attributes.values() if isinstance(v, RandomDistribution)]
        with drawn_in_sequence(rngs):
            super().set(**attributes)

    set.__doc__ = common.Projection.set.__doc__

    def _value_list_to_array(self, attributes: dict[str, Any]) -> dict[str, Any]:
        """PyNN's rule for a list given to set(): the existing (pre, post) pairs, row-major.

        As PyNN's own: value ``k`` goes to the ``k``-th connected pair in (pre, post)
        order (NEST's list order), so a list needs one value per connected pair.
        """
        flat = self._pre * self.post.size + self._post
        pairs = np.unique(flat)
        out = dict(attributes)
        for name, value in attributes.items():
            if isinstance(value, list) or (isinstance(value, np.ndarray) and value.ndim == 1):
                v = np.asarray(value, dtype=np.float64)
                if len(v) != len(pairs):
                    extra = (
                        f" ({len(self._pre)} connections; pairs connected more than once "
                        "share one value)"
                        if len(pairs) != len(self._pre)
                        else ""
                    )
                    raise errors.InvalidParameterValueError(
                        f"Projection {self.label!r}: {name} has {len(v)} values, but a list "
                        f"needs one per connected (pre, post) pair, {len(pairs)}{extra}, in "
                        "(pre, post) order"
                    )
                array = np.full(self.shape[0] * self.shape[1], np.nan)
                array[pairs] = v
                out[name] = array.reshape(self.shape)
        return out

    def stream(
        self, variable: str = "weight", every: float | None = None, *, maxlen: int | None = None
    ) -> Any:
        """Stream this projection's weights live: one batch per chunk.

        Use as ``async with proj.stream("weight", every=10.0) as s: async for batch in s``;
        a batch's ``values`` has one row per snapshot (every ``every`` ms, default every
        step) and one column per connection, in ``get(..., format="list")`` order.
        """
        if variable not in ("weight", "weights"):
            raise ValueError(f"Projection {self.label!r}: only 'weight' can be streamed")
        return _plasticity.stream_weights(self, every, maxlen=maxlen)

    # PyNN 0.7 names
    setWeights = removed("set(weight=w)")
    randomizeWeights = removed("set(weight=random_distribution)")
    setDelays = removed("set(delay=d)")
    randomizeDelays = removed("set(delay=random_distribution)")
    getWeights = removed("get('weight', format='list')")
    getDelays = removed("get('delay', format='list')")
    saveConnections = removed("save('all', file)")
    printWeights = removed("save('weight', file)")
    printDelays = removed("save('delay', file)")
    weightHistogram = removed("numpy.histogram(projection.get('weight', 'list'))")
