"""PyNN's plastic synapse types: ``STDPMechanism`` and ``TsodyksMarkramSynapse``.

``STDPMechanism(timing_dependence=SpikePairRule(...), weight_dependence=...)`` with
``AdditiveWeightDependence`` or ``MultiplicativeWeightDependence`` runs spike-pair STDP in the
C engine (``kernels_c/plastic.c``), as NEST's ``stdp_synapse`` does under ``pyNN.nest``:
every spike pair counts, the whole delay is dendritic (PyNN's ``dendritic_delay_fraction=1``,
its default and NEST's only choice), and a weight changes when a presynaptic spike is
processed.  ``TsodyksMarkramSynapse`` is short-term depression and facilitation with the
target's synaptic time constant, as NEST's ``tsodyks_synapse``.  docs/ENGINE.md,
"Plasticity", gives the rules.

Rule parameters are one value per projection (checked when the rule is made, and again when
the projection is); weights must lie in ``[w_min, w_max]``.  A plastic projection's weights
are read from the board (``proj.get("weight", format="array")``, at any time) and streamed
with ``proj.stream("weight", every=...)``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
from pyNN import errors
from pyNN.standardmodels import build_translations, synapses

from spinstream.model import ParameterError, PlasticitySpec, STDPSpec, TsodyksMarkramSpec

__all__ = [
    "AdditiveWeightDependence",
    "MultiplicativeWeightDependence",
    "STDPMechanism",
    "SpikePairRule",
    "TsodyksMarkramSynapse",
    "check_weights",
    "live_weights",
    "plasticity_of",
    "stream_weights",
]

FloatArray = npt.NDArray[np.float64]

#: The engine's single plasticity model family, as PyNN's ``possible_models`` expects.
_MODEL = {"spinstream_stdp"}


def _scalar(component: Any, name: str, where: str) -> float:
    """Return a rule parameter as one number (rule parameters are per projection)."""
    lazy = component.parameter_space[name]
    value = lazy.base_value
    if not lazy.is_homogeneous or not isinstance(value, int | float | np.number):
        raise errors.InvalidParameterValueError(
            f"{where}: {type(component).__name__} parameter {name} must be one number for "
            f"the whole projection, got {value!r}"
        )
    return float(value)


def _checked(spec: PlasticitySpec, where: str) -> PlasticitySpec:
    try:
        spec.check(where)
    except ParameterError as err:
        raise errors.InvalidParameterValueError(str(err)) from None
    return spec


def _check_component(component: Any) -> None:
    """Validate a rule component as soon as it is made (where the mistake is)."""
    name = type(component).__name__
    try:
        values = {k: _scalar(component, k, name) for k in component.default_parameters}
    except errors.InvalidParameterValueError:
        return  # not plain numbers: the projection reports it
    v: dict[str, Any] = values
    if isinstance(component, SpikePairRule):
        _checked(STDPSpec(w_min=0.0, w_max=1.0, **v), name)
    elif isinstance(component, AdditiveWeightDependence | MultiplicativeWeightDependence):
        _checked(STDPSpec(20.0, 20.0, 0.0, 0.0, **v), name)


class SpikePairRule(synapses.SpikePairRule):  # type: ignore[misc]
    __doc__ = synapses.SpikePairRule.__doc__
    translations = build_translations(
        ("tau_plus", "tau_plus"),
        ("tau_minus", "tau_minus"),
        ("A_plus", "A_plus"),
        ("A_minus", "A_minus"),
    )
    possible_models = _MODEL

    def __init__(
        self,
        tau_plus: float = 20.0,
        tau_minus: float = 20.0,
        A_plus: float = 0.01,
        A_minus: float = 0.01,
    ) -> None:
        super().__init__(tau_plus, tau_minus, A_plus, A_minus)
        _check_component(self)


class AdditiveWeightDependence(synapses.AdditiveWeightDependence):  # type: ignore[misc]
    __doc__ = synapses.AdditiveWeightDependence.__doc__
    translations = build_translations(("w_min", "w_min"), ("w_max", "w_max"))
    possible_models = _MODEL

    def __init__(self, w_min: float = 0.0, w_max: float = 1.0) -> None:
        super().__init__(w_min, w_max)
        _check_component(self)


class MultiplicativeWeightDependence(synapses.MultiplicativeWeightDependence):  # type: ignore[misc]
    __doc__ = synapses.MultiplicativeWeightDependence.__doc__
    translations = build_translations(("w_min", "w_min"), ("w_max", "w_max"))
    possible_models = _MODEL

    def __init__(self, w_min: float = 0.0, w_max: float = 1.0) -> None:
        super().__init__(w_min, w_max)
        _check_component(self)


class STDPMechanism(synapses.STDPMechanism):  # type: ignore[misc]
    __doc__ = synapses.STDPMechanism.__doc__
    base_translations = build_translations(
        ("weight", "weight"),
        ("delay", "delay"),
        ("dendritic_delay_fraction", "dendritic_delay_fraction"),
    )
    # weight signs and ranges are checked per projection (see check_weights)
    parameter_checks: ClassVar[dict[str, Any]] = {}
    _simulator: Any

    def __init__(
        self,
        timing_dependence: Any = None,
        weight_dependence: Any = None,
        voltage_dependence: Any = None,
        dendritic_delay_fraction: float = 1.0,
        weight: Any = 0.0,
        delay: Any = None,
    ) -> None:
        if not isinstance(timing_dependence, SpikePairRule):
            raise errors.NoModelAvailableError(
                "STDPMechanism: spinstream's timing dependence is SpikePairRule, got "
                f"{type(timing_dependence).__name__}"
            )
        if not isinstance(
            weight_dependence, AdditiveWeightDependence | MultiplicativeWeightDependence
        ):
            raise errors.NoModelAvailableError(
                "STDPMechanism: spinstream's weight dependences are AdditiveWeightDependence "
                f"and MultiplicativeWeightDependence, got {type(weight_dependence).__name__}"
            )
        if voltage_dependence is not None:
            raise errors.NoModelAvailableError("STDPMechanism: no voltage dependence")
        if dendritic_delay_fraction != 1:
            raise ValueError(
                f"STDPMechanism: dendritic_delay_fraction = {dendritic_delay_fraction!r} is "
                "not supported: the whole synaptic delay is dendritic (1, PyNN's default, as "
                "in NEST): the synapse sees a presynaptic spike at once and a postsynaptic "
                "one a delay later"
            )
        super().__init__(
            timing_dependence, weight_dependence, None, dendritic_delay_fraction, weight, delay
        )

    def _build_translations(self) -> None:
        # PyNN's own version merges the rule's names into the class's dictionary
        self.translations = dict(type(self).base_translations)
        for component in (self.timing_dependence, self.weight_dependence):
            self.translations.update(component.translations)

    def _get_minimum_delay(self) -> float:
        return float(self._simulator.state.min_delay)


class TsodyksMarkramSynapse(synapses.TsodyksMarkramSynapse):  # type: ignore[misc]
    __doc__ = synapses.TsodyksMarkramSynapse.__doc__
    translations = build_translations(
        ("weight", "weight"),
        ("delay", "delay"),
        ("U", "U"),
        ("tau_rec", "tau_rec"),
        ("tau_facil", "tau_facil"),
    )
    parameter_checks: ClassVar[dict[str, Any]] = {}
    _simulator: Any

    def __init__(self, **parameters: Any) -> None:
        super().__init__(**parameters)
        try:
            values = {k: _scalar(self, k, "TsodyksMarkramSynapse") for k in _TM_PARAMS}
        except errors.InvalidParameterValueError:
            return
        _checked(TsodyksMarkramSpec(**values), "TsodyksMarkramSynapse")

    def _get_minimum_delay(self) -> float:
        return float(self._simulator.state.min_delay)


_TM_PARAMS = ("U", "tau_rec", "tau_facil")

#: The synapse types a Projection accepts besides StaticSynapse.
PLASTIC_TYPES = (STDPMechanism, TsodyksMarkramSynapse)


# ------------------------------------------------------------------ projections


def plasticity_of(projection: Any) -> PlasticitySpec | None:
    """Return the engine's rule for a projection's synapse type (None: static synapses)."""
    st = projection.synapse_type
    where = f"Projection {projection.label!r}"
    if isinstance(st, STDPMechanism):
        td, wd = st.timing_dependence, st.weight_dependence
        values = {k: _scalar(td, k, where) for k in ("tau_plus", "tau_minus", "A_plus", "A_minus")}
        values.update({k: _scalar(wd, k, where) for k in ("w_min", "w_max")})
        kind = "additive" if isinstance(wd, AdditiveWeightDependence) else "multiplicative"
        return _checked(STDPSpec(weight_dependence=kind, **values), where)
    if isinstance(st, TsodyksMarkramSynapse):
        return _checked(
            TsodyksMarkramSpec(**{k: _scalar(st, k, where) for k in _TM_PARAMS}), where
        )
    return None


def rule_parameter_names(rule: PlasticitySpec) -> tuple[str, ...]:
    """Return the PyNN parameter names of a rule that ``Projection.get`` can read."""
    if isinstance(rule, STDPSpec):
        return ("tau_plus", "tau_minus", "A_plus", "A_minus", "w_min", "w_max")
    return _TM_PARAMS


def check_weights(projection: Any, weight: FloatArray) -> None:
    """Raise PyNN's ConnectionError for an STDP weight outside ``[w_min, w_max]``."""
    rule = plasticity_of(projection)
    if isinstance(rule, STDPSpec):
        try:
            rule.check_weights(f"Projection {projection.label!r}", weight)
        except ParameterError as err:
            raise errors.ConnectionError(str(err)) from None


def attach(projection: Any) -> None:
    """Give each of the projection's specs its rule (called once the specs exist)."""
    rule = plasticity_of(projection)
    if rule is None:
        return
    specs = projection._owner.spec.projections
    for spec_id, _ in projection._parts:
        specs[spec_id].plasticity = rule


def _board_weights(projection: Any) -> FloatArray | None:
    runtime = projection._owner
    board = runtime.board
    if board is None or not runtime.loaded or getattr(runtime, "_loading", False):
        return None
    out = np.array(projection._weight, dtype=np.float64, copy=True)
    for spec_id, sel in projection._parts:
        out[sel] = board.get_weights(spec_id)
    return out


def live_weights(projection: Any) -> FloatArray:
    """Return a projection's weights now: from the board for STDP, else as given (PyNN's signs).

    Between runs, and between chunks of a session's run, they are the exact weights at that
    time.  Read while a chunk is computing (a session running in another task), each weight
    is a value it held during that chunk; ``stream("weight")`` gives exact snapshots.
    """
    if isinstance(projection.synapse_type, STDPMechanism):
        w = _board_weights(projection)
        if w is not None:
            return w
    return np.asarray(projection._weight)


def stream_weights(
    projection: Any, every: float | None = None, *, maxlen: int | None = None
) -> Any:
    """Subscribe to a projection's weights, sampled every ``every`` ms (see Projection.stream)."""
    from spinstream.session._weights import subscribe_weights

    runtime = projection._owner
    state = projection._simulator.state
    if state.runtime is not runtime:
        raise errors.ConnectionError(
            f"Projection {projection.label!r} belongs to an earlier network"
        )
    steps = 1
    if every is not None:
        dt = state.dt
        steps = round(float(every) / dt)
        if steps < 1 or abs(steps * dt - float(every)) > 1e-9 * max(1.0, steps):
            raise ValueError(
                f"Projection {projection.label!r}: every = {every} ms must be a positive "
                f"whole multiple of the time step {dt} ms"
            )
    kw: dict[str, Any] = {} if maxlen is None else {"maxlen": maxlen}
    return subscribe_weights(
        runtime,
        [(spec_id, sel) for spec_id, sel in projection._parts],
        len(projection),
        interval_steps=steps,
        label=str(projection.label),
        scale=np.sign(np.asarray(projection._weight))
        if not isinstance(projection.synapse_type, STDPMechanism)
        else None,
        **kw,
    )
