"""sPyNNaker's ``WeightChangeable`` and ``WeightChanger`` synapse types (``sim.extra_models``).

A ``WeightChangeable`` projection A (``pre -> post``) has synapses that transmit their
weight as static ones do, kept in ``[weight_min, weight_max]``.  A ``WeightChanger``
projection B (``changer -> post``, into the same population, receptor type and with a
presynaptic population of A's size) names A: a spike of changer neuron ``k`` through B's
synapse ``k -> j`` (weight ``dw``, signed: the change) adds ``dw`` to the weight of A's
synapse ``k -> j``, clipped to the bounds.  The weights are magnitudes (an inhibitory
current-based weight of -0.5 nA is 0.5 here, and ``dw > 0`` strengthens it).  The change
happens when the changer's spike reaches the target core, at its stamp (B's delay has no
effect, as sPyNNaker's changer has a fixed one); A's spikes from then on transmit the new
weight.  ``Projection.get("weight")`` on A reads the current weights from the board.
docs/ENGINE.md, "Plasticity", and docs/PYNN.md give the details and where sPyNNaker differs.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from pyNN import errors
from pyNN.standardmodels import StandardSynapseType, build_translations

from spinstream.model import (
    ParameterError,
    PlasticitySpec,
    WeightChangeableSpec,
    WeightChangerSpec,
)

__all__ = ["WeightChangeable", "WeightChanger", "check_weight_change", "weight_change_rule"]


def _min_delay() -> float:
    import spinstream.pyNN as sim  # the package's default network (its min_delay)

    return float(sim.state.min_delay)


class WeightChangeable(StandardSynapseType):  # type: ignore[misc]
    """Synapses whose weights a :class:`WeightChanger` projection changes (sPyNNaker's).

    Parameters
    ----------
    weight_min, weight_max
        Bounds of the weights (nA or uS, magnitudes; ``0 <= weight_min < weight_max``).
    weight, delay
        As for ``StaticSynapse`` (each weight within the bounds).
    """

    default_parameters: ClassVar[dict[str, Any]] = {"weight": 0.0, "delay": None}
    translations = build_translations(("weight", "weight"), ("delay", "delay"))
    parameter_checks: ClassVar[dict[str, Any]] = {}

    def __init__(
        self, weight_min: float, weight_max: float, weight: Any = 0.0, delay: Any = None
    ) -> None:
        spec = WeightChangeableSpec(
            _number(weight_min, "weight_min"), _number(weight_max, "weight_max")
        )
        try:
            spec.check("WeightChangeable")
        except ParameterError as err:
            raise errors.InvalidParameterValueError(str(err)) from None
        self.rule = spec
        super().__init__(weight=weight, delay=delay)

    def _get_minimum_delay(self) -> float:
        return _min_delay()


class WeightChanger(StandardSynapseType):  # type: ignore[misc]
    """Synapses whose spikes change the weights of a :class:`WeightChangeable` projection.

    Parameters
    ----------
    weight_change
        The change (signed, nA or uS) each spike makes to the weight it targets; the
        projection's weight (a connector's per-connection weights override it).
    projection
        The ``WeightChangeable`` projection whose weights change.
    """

    default_parameters: ClassVar[dict[str, Any]] = {"weight": 0.0, "delay": None}
    translations = build_translations(("weight", "weight"), ("delay", "delay"))
    parameter_checks: ClassVar[dict[str, Any]] = {}

    def __init__(self, weight_change: float, projection: Any) -> None:
        if not isinstance(getattr(projection, "synapse_type", None), WeightChangeable):
            raise errors.ConnectionError(
                f"WeightChanger: projection must be a WeightChangeable projection, got "
                f"{projection!r}"
            )
        self.target = projection
        super().__init__(weight=weight_change, delay=None)

    def _get_minimum_delay(self) -> float:
        return _min_delay()


def _number(value: Any, name: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise errors.InvalidParameterValueError(
            f"WeightChangeable: {name} must be a number, got {value!r}"
        )
    return float(value)


def check_weight_change(projection: Any, weight: Any) -> None:
    """Check a WeightChangeable's weights against its bounds, a WeightChanger's target."""
    st = projection.synapse_type
    where = f"Projection {projection.label!r}"
    w = np.asarray(weight, dtype=np.float64)
    if isinstance(st, WeightChangeable):
        mag = np.abs(w)
        bad = (mag < st.rule.w_min) | (mag > st.rule.w_max)
        if np.any(bad):
            k = int(np.flatnonzero(bad)[0])
            raise errors.ConnectionError(
                f"{where}: weight {float(w[k])!r} of connection {k} lies outside "
                f"[weight_min, weight_max] = [{st.rule.w_min!r}, {st.rule.w_max!r}]"
            )
        return
    target = st.target
    if target.post is not projection.post:
        raise errors.ConnectionError(
            f"{where}: a WeightChanger must project onto the population of the projection it "
            f"changes ({target.label!r} onto {target.post.label!r})"
        )
    if target.pre.size != projection.pre.size:
        raise errors.ConnectionError(
            f"{where}: the WeightChanger's presynaptic population must have as many neurons "
            f"({projection.pre.size}) as that of {target.label!r} ({target.pre.size}): "
            "changer neuron k changes the synapses of neuron k"
        )
    if target.receptor_type != projection.receptor_type:
        raise errors.ConnectionError(
            f"{where}: receptor type {projection.receptor_type!r} differs from that of "
            f"{target.label!r} ({target.receptor_type!r})"
        )
    have = set(zip(target._pre.tolist(), target._post.tolist(), strict=True))
    for k, (i, j) in enumerate(
        zip(projection._pre.tolist(), projection._post.tolist(), strict=True)
    ):
        if (i, j) not in have:
            raise errors.ConnectionError(
                f"{where}: connection {k} ({i} -> {j}) has no synapse {i} -> {j} in "
                f"{target.label!r} to change"
            )


def weight_change_rule(projection: Any) -> PlasticitySpec:
    """Return the engine's rule for a WeightChangeable or WeightChanger projection."""
    st = projection.synapse_type
    if isinstance(st, WeightChangeable):
        return st.rule
    rule = st.target.synapse_type.rule
    targets = tuple(spec_id for spec_id, _ in st.target._parts)
    return WeightChangerSpec(rule.w_min, rule.w_max, targets)
