"""Projections a bridge knows, and the weight topics of the plastic ones.

A plastic (STDP) projection's weights change as the network runs; the bridge publishes
them on the topic ``weights/<projection>/``: per chunk, the snapshots of one
:class:`~spinstream.streams.WeightBatch` (every ``interval_steps`` steps), one column per
synapse in the order of ``Projection.get(..., format="list")``.  Static projections (and
short-term plasticity, whose weights never change) have no weight topic; asking for one is
refused with a message that says why.

A projection may be stored as several specs (one per pair of populations, when its pre- or
postsynaptic side is an assembly); a :class:`WeightSource` says where each spec's synapses
go in the projection's list.  Front ends provide them (see ``_frontend``); without a front
end, specs of the same label form one projection, their synapses in spec order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from spinstream.client import weight_topic
from spinstream.model import NetworkSpec, STDPSpec, TsodyksMarkramSpec

__all__ = ["ProjectionInfo", "WeightCatalog", "WeightSource"]

IntArray = npt.NDArray[np.int64]

#: The variable name of weight topics (``Message.variable``, the header's ``variable``).
WEIGHT = "weight"


@dataclass(frozen=True)
class ProjectionInfo:
    """A projection as a front end knows it (the input to :class:`WeightCatalog`).

    Attributes
    ----------
    label
        The projection's label.
    parts
        ``(projection spec id, positions)``: where each spec's synapses go in the
        projection's list of connections.
    size
        Number of synapses.
    pre, post
        Labels of the pre- and postsynaptic populations (or views, assemblies).
    """

    label: str
    parts: Sequence[tuple[int, npt.ArrayLike]]
    size: int
    pre: str
    post: str


@dataclass(frozen=True)
class WeightSource:
    """One projection a bridge knows; ``plastic`` ones have a weight topic."""

    name: str
    label: str
    pre: str
    post: str
    parts: tuple[tuple[int, IntArray], ...]
    size: int
    rule: str  # "stdp", "tsodyks_markram" or "static"

    @property
    def plastic(self) -> bool:
        """Whether its weights change while the network runs (they are then served)."""
        return self.rule == "stdp"

    @property
    def topic(self) -> str:
        """The weight topic (also computed for static projections, to refuse it clearly)."""
        return weight_topic(self.name)

    def refusal(self) -> str:
        """Why a non-plastic projection has no weight topic."""
        why = (
            "short-term plasticity (TsodyksMarkramSynapse) changes the synapses' resources, "
            "never their weights"
            if self.rule == "tsodyks_markram"
            else "its synapses are static: the weights never change while it runs"
        )
        return (
            f"projection {self.name!r} has no weight topic: {why}.  Weight topics are served "
            "for plastic (STDPMechanism) projections; describe lists them under 'projections' "
            "(read static weights with Projection.get)"
        )

    def describe(self) -> dict[str, Any]:
        """As plain data, for ``describe``."""
        return {
            "name": self.name,
            "label": self.label,
            "pre": self.pre,
            "post": self.post,
            "n_synapses": self.size,
            "rule": self.rule,
            "topic": self.topic,
        }


def _rule(spec: NetworkSpec, spec_ids: Sequence[int]) -> str:
    rules = {type(spec.projections[i].plasticity) for i in spec_ids}
    if rules == {STDPSpec}:
        return "stdp"
    if rules == {TsodyksMarkramSpec}:
        return "tsodyks_markram"
    return "static"


def _from_specs(spec: NetworkSpec) -> list[ProjectionInfo]:
    """Specs of one label form one projection, synapses in spec order."""
    groups: dict[str, list[int]] = {}
    for p in spec.projections:
        groups.setdefault(p.label or f"projection{p.id}", []).append(p.id)
    pops = spec.populations

    def pop_name(pid: int) -> str:
        return pops[pid].label or f"population{pid}"

    out = []
    for label, ids in groups.items():
        parts, offset = [], 0
        for i in ids:
            n = len(spec.projections[i].weight)
            parts.append((i, np.arange(offset, offset + n, dtype=np.int64)))
            offset += n
        pre = "+".join(dict.fromkeys(pop_name(spec.projections[i].pre) for i in ids))
        post = "+".join(dict.fromkeys(pop_name(spec.projections[i].post) for i in ids))
        out.append(ProjectionInfo(label, parts, offset, pre, post))
    return out


class WeightCatalog:
    """The projections of a runtime's network, by name and by weight topic.

    Parameters
    ----------
    spec
        The runtime's network spec (read, never changed).
    provider
        Returns the projections as the front end knows them (read again whenever the
        network gained projections); ``None``: built from the specs.
    """

    def __init__(
        self, spec: NetworkSpec, provider: Callable[[], Sequence[ProjectionInfo]] | None = None
    ) -> None:
        self._spec = spec
        self._provider = provider
        self._key: tuple[int, int] = (-1, -1)
        self.sources: dict[str, WeightSource] = {}
        self.topics: dict[str, WeightSource] = {}
        self.refresh()

    def refresh(self) -> None:
        """Rebuild when the network gained projections."""
        given = None if self._provider is None else list(self._provider())
        key = (len(self._spec.projections), -1 if given is None else len(given))
        if key == self._key:
            return
        infos = _from_specs(self._spec) if given is None else given
        known = len(self._spec.projections)
        sources: dict[str, WeightSource] = {}
        for k, info in enumerate(infos):
            parts = tuple(
                (int(sid), np.asarray(pos, dtype=np.int64).reshape(-1)) for sid, pos in info.parts
            )
            if any(not 0 <= sid < known for sid, _ in parts):
                continue  # a projection still being added
            name = info.label or f"projection{k}"
            base, n = name, 2
            while name in sources:
                name, n = f"{base}#{n}", n + 1
            rule = _rule(self._spec, [sid for sid, _ in parts]) if parts else "static"
            sources[name] = WeightSource(
                name, info.label, info.pre, info.post, parts, int(info.size), rule
            )
        self.sources = sources
        self.topics = {s.topic: s for s in sources.values()}
        self._key = key

    def plastic(self) -> list[WeightSource]:
        """Return the projections that have a weight topic."""
        return [s for s in self.sources.values() if s.plastic]
