"""What a bridge serves: sources (populations, views, assemblies), their topics and inputs.

A *source* is a named, ordered selection of cells: every population of the runtime (named
by its label), plus the views and assemblies given to the bridge.  Streams and input
address cells by their position in a source, as in-process streams do.  The catalog is
plain data built from the runtime's network spec; it is rebuilt when populations are
added.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from spinstream.board import engine_models
from spinstream.client import spike_topic, state_topic
from spinstream.model import Constraint, NetworkSpec, PopulationSpec
from spinstream.streams import Selection

__all__ = ["Catalog", "Source", "View", "check_parameter_values", "parameter_rules"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Models whose neurons fire the spikes they are given (``schedule_spikes``).
SPIKE_INPUT_MODELS = frozenset({"SpikeInjector", "SpikeSourceArray"})

_RULE_OF = {
    Constraint.ANY: "finite",
    Constraint.POSITIVE: ">0",
    Constraint.NON_NEGATIVE: ">=0",
    Constraint.NON_NEGATIVE_OR_INF: ">=0",  # duration: check_parameter_values allows +inf
}


@functools.cache
def parameter_rules() -> dict[str, str]:
    """Parameters a remote client may change, and the rule their values must follow.

    Every PyNN parameter of the engine's models, with the constraint the engine declares for
    it (the one spinstream.model.check_parameter applies); anything else is refused, so a
    remote client cannot set what no rule covers.
    """
    rules: dict[str, str] = {}
    for model in engine_models().values():
        for row in model.pynn_rows:
            rules[row.name] = _RULE_OF[row.constraint]
    return rules


#: No remote value may exceed this magnitude (a hostile value must not overflow the kernels).
MAX_ABS_VALUE = 1e9

#: Current-source parameters a remote client may change: name -> rule.
CURRENT_RULES: dict[str, str] = {
    "amplitude": "finite",
    "offset": "finite",
    "phase": "finite",
    "mean": "finite",
    "frequency": ">=0",
    "stdev": ">=0",
    "amplitudes": "finite",
}


def check_parameter_values(
    name: str, values: FloatArray, rule: str, max_rate: float
) -> str | None:
    """Check values against a rule; returns an error message or ``None``."""
    allow_inf = name == "duration"
    vals = values[~np.isinf(values)] if allow_inf else values
    if allow_inf and np.any(values == -np.inf):
        return f"{name} must not be -inf"
    if not np.all(np.isfinite(vals)):
        return f"{name} must be finite, got {values[~np.isfinite(values)][0]!r}"
    if vals.size and np.max(np.abs(vals)) > MAX_ABS_VALUE:
        worst = vals[np.argmax(np.abs(vals))]
        return f"{name} values must lie within +-{MAX_ABS_VALUE:g}, got {worst!r}"
    if rule == ">0" and np.any(vals <= 0):
        return f"{name} must be > 0, got {vals[vals <= 0][0]!r}"
    if rule == ">=0" and np.any(vals < 0):
        return f"{name} must be >= 0, got {vals[vals < 0][0]!r}"
    if name == "rate" and vals.size and float(vals.max()) > max_rate:
        return f"rate must be <= {max_rate:g} Hz (the bridge's limit), got {float(vals.max())!r}"
    return None


@dataclass(frozen=True)
class View:
    """A named selection served as a source of its own (a PyNN view or assembly).

    Parameters
    ----------
    label
        The source's name in topics and input messages.
    parts
        ``(population id, neuron indices)`` pairs; positions number the cells part after
        part, as in :class:`~spinstream.streams.Selection`.
    kind
        ``"view"`` or ``"assembly"`` (only reported by ``describe``).
    by_client
        Defined by a client's ``view`` request: its name grants no input permission
        (permissions are judged by the cells input reaches, see :meth:`Catalog.permits`).
    takes_input
        Whether input may be addressed to it; ``False`` for a view a read-only client
        defined (it serves streams only, so read-only clients create nothing that affects
        input).
    """

    label: str
    parts: Sequence[tuple[int, npt.ArrayLike]]
    kind: str = "view"
    by_client: bool = False
    takes_input: bool = True


@dataclass(frozen=True)
class Source:
    """One named source: its cells and what may be streamed from it and sent to it."""

    name: str
    label: str
    kind: str
    selection: Selection
    models: tuple[str, ...]
    population_labels: tuple[str, ...]
    recordables: tuple[str, ...]
    parameters: tuple[str, ...]
    spike_input: bool
    by_client: bool = False
    takes_input: bool = True

    @property
    def size(self) -> int:
        """Number of cells."""
        return len(self.selection)

    @property
    def pops(self) -> tuple[int, ...]:
        """Population ids of the parts."""
        return self.selection.pops

    def topic(self, variable: str) -> str:
        """Return the topic of ``variable`` ("spikes" or a state variable)."""
        return spike_topic(self.name) if variable == "spikes" else state_topic(self.name, variable)

    def locate(self, positions: IntArray) -> list[tuple[int, IntArray, IntArray]]:
        """Positions in this source -> ``(population id, neuron indices, which)`` per part.

        ``which`` selects the entries of ``positions`` that fall in that part.  Positions
        must already be checked to lie in ``[0, size)``.
        """
        sel = self.selection
        if len(sel.parts) == 1:
            pop, idx = sel.parts[0]
            return [(pop, idx[positions], np.arange(len(positions)))]
        offsets = np.asarray(sel.offsets, dtype=np.int64)
        part = np.searchsorted(offsets, positions, side="right") - 1
        out = []
        for k, (pop, idx) in enumerate(sel.parts):
            which = np.flatnonzero(part == k)
            if len(which):
                out.append((pop, idx[positions[which] - offsets[k]], which))
        return out

    def describe(self) -> dict[str, Any]:
        """As plain data, for ``describe``."""
        models = sorted(set(self.models))
        return {
            "name": self.name,
            "label": self.label,
            "kind": self.kind,
            "size": self.size,
            "celltype": models[0] if len(models) == 1 else models,
            "populations": [
                {"label": lab, "size": len(idx)}
                for lab, (_, idx) in zip(self.population_labels, self.selection.parts, strict=True)
            ],
            "recordables": list(self.recordables),
            "parameters": list(self.parameters),
            "spike_input": self.spike_input,
            "topics": {v: self.topic(v) for v in self.recordables},
        }


def _recordables(p: PopulationSpec, given: Mapping[int, Sequence[str]] | None) -> tuple[str, ...]:
    if given is not None and p.id in given:
        names = [str(v) for v in given[p.id]]
    else:
        names = ["spikes", *(n for n in p.initial if not n.startswith("_"))]
    if "spikes" in names:  # spikes first, then the state variables in their order
        names.remove("spikes")
        names.insert(0, "spikes")
    return tuple(dict.fromkeys(names))


def _settable(p: PopulationSpec) -> tuple[str, ...]:
    return tuple(n for n in p.params if n in parameter_rules())


def _intersect(lists: Iterable[Sequence[str]]) -> tuple[str, ...]:
    lists = list(lists)
    first = lists[0]
    rest = [set(x) for x in lists[1:]]
    return tuple(n for n in first if all(n in r for r in rest))


class Catalog:
    """Sources and topics of a runtime's network.

    Parameters
    ----------
    spec
        The runtime's network spec (read, never changed).
    views
        Extra sources.
    recordables
        Population id -> recordable variables (``"spikes"`` and state variables), as the
        front end knows them; by default ``"spikes"`` and the spec's state variables.
    """

    def __init__(
        self,
        spec: NetworkSpec,
        views: Sequence[View] = (),
        recordables: Mapping[int, Sequence[str]] | None = None,
    ) -> None:
        self._spec = spec
        self._views = list(views)
        self._recordables = recordables
        self._n_pops = -1
        self.sources: dict[str, Source] = {}
        self.topics: dict[str, tuple[Source, str]] = {}
        self._granted: dict[frozenset[str], dict[int, npt.NDArray[np.bool_]]] = {}
        self.refresh()

    def refresh(self) -> None:
        """Rebuild when the network gained populations."""
        pops = self._spec.populations
        if len(pops) == self._n_pops:
            return
        sources: dict[str, Source] = {}
        sizes = [p.size for p in pops]

        def unique(label: str, fallback: str) -> str:
            name = label or fallback
            if name in sources:
                name = f"{name}#{fallback}"
            k = 2
            base = name
            while name in sources:
                name, k = f"{base}{k}", k + 1
            return name

        for p in pops:
            name = unique(p.label, f"population{p.id}")
            sources[name] = Source(
                name=name,
                label=p.label,
                kind="population",
                selection=Selection([(p.id, np.arange(p.size, dtype=np.int64))], sizes),
                models=(p.model,),
                population_labels=(p.label,),
                recordables=_recordables(p, self._recordables),
                parameters=_settable(p),
                spike_input=p.model in SPIKE_INPUT_MODELS,
            )
        for k, v in enumerate(self._views):
            parts = [
                (int(pid), np.asarray(idx, dtype=np.int64).reshape(-1)) for pid, idx in v.parts
            ]
            for pid, idx in parts:
                if not 0 <= pid < len(pops):
                    raise IndexError(f"view {v.label!r}: population id {pid} does not exist")
                if len(idx) and (idx.min() < 0 or idx.max() >= pops[pid].size):
                    raise IndexError(
                        f"view {v.label!r}: indices out of range for population "
                        f"{pops[pid].label!r} of size {pops[pid].size}"
                    )
            members = [pops[pid] for pid, _ in parts]
            name = unique(v.label, f"view{k}")
            sources[name] = Source(
                name=name,
                label=v.label,
                kind=v.kind,
                selection=Selection(parts, sizes),
                models=tuple(m.model for m in members),
                population_labels=tuple(m.label for m in members),
                recordables=_intersect(_recordables(m, self._recordables) for m in members),
                parameters=_intersect(_settable(m) for m in members) if v.takes_input else (),
                spike_input=v.takes_input and all(m.model in SPIKE_INPUT_MODELS for m in members),
                by_client=v.by_client,
                takes_input=v.takes_input,
            )
        topics: dict[str, tuple[Source, str]] = {}
        for src in sources.values():
            for var in src.recordables:
                topics[src.topic(var)] = (src, var)
        self.sources, self.topics = sources, topics
        self._n_pops = len(pops)
        self._granted.clear()

    def add_views(self, views: Iterable[View]) -> None:
        """Serve more views (rebuilds the catalog)."""
        self._views.extend(views)
        self._n_pops = -1
        self.refresh()

    def open_to_input(self, name: str) -> None:
        """Let input reach a client's view that served streams only (a writer defined it too)."""
        self._views = [
            replace(v, takes_input=True) if v.by_client and v.label == name else v
            for v in self._views
        ]
        self._n_pops = -1
        self.refresh()

    def permits(self, names: frozenset[str], cells: Iterable[tuple[int, IntArray]]) -> bool:
        """Whether every cell in ``cells`` belongs to a server-defined source in ``names``.

        ``cells`` holds ``(population id, neuron indices)`` pairs.  Only populations and
        the views and assemblies the server gave count: a view a client defined grants
        nothing, whatever its name, so no client can widen its permissions by naming cells.
        """
        granted = self._granted.get(names)
        if granted is None:
            granted = {}
            for src in self.sources.values():
                if src.name not in names or src.by_client:
                    continue
                for pid, idx in src.selection.parts:
                    mask = granted.get(pid)
                    if mask is None:
                        mask = granted[pid] = np.zeros(self._spec.populations[pid].size, bool)
                    mask[idx] = True
            self._granted[names] = granted
        for pid, idx in cells:
            mask = granted.get(int(pid))
            if len(idx) and (mask is None or not bool(mask[idx].all())):
                return False
        return True

    def current_sources(self) -> list[dict[str, Any]]:
        """Describe the current sources as plain data, for ``describe``."""
        out = []
        pops = self._spec.populations
        for cs in self._spec.current_sources:
            settable = [
                n
                for n, v in cs.params.items()
                if n in CURRENT_RULES and (n == "amplitudes" or np.ndim(v) == 0)
            ]
            out.append(
                {
                    "id": cs.id,
                    "kind": cs.kind,
                    "parameters": settable,
                    "targets": [
                        {"population": pops[pid].label, "size": len(idx)}
                        for pid, idx in cs.targets
                    ],
                }
            )
        return out

    def current_source_pops(self, source: int) -> list[str]:
        """Names of the population sources a current source targets."""
        by_pop = {s.pops[0]: s.name for s in self.sources.values() if s.kind == "population"}
        cs = self._spec.current_sources[source]
        return [by_pop[pid] for pid, _ in cs.targets if pid in by_pop]


def finite_or_none(x: float) -> float | None:
    """``x``, or ``None`` for infinities and NaN (msgpack peers may not expect them)."""
    return x if math.isfinite(x) else None
