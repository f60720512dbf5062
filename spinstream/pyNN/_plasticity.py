"""PyNN's synapse types with a rule: STDP, Tsodyks-Markram, stochastic release.

``STDPMechanism(timing_dependence=SpikePairRule(...), weight_dependence=...)`` with
``AdditiveWeightDependence`` or ``MultiplicativeWeightDependence`` runs spike-pair STDP in the
C engine (``kernels_c/plastic.c``), as NEST's ``stdp_synapse`` does under ``pyNN.nest``:
every spike pair counts, the whole delay is dendritic (PyNN's ``dendritic_delay_fraction=1``,
its default and NEST's only choice), and a weight changes when a presynaptic spike is
processed.  ``TsodyksMarkramSynapse`` is short-term depression and facilitation with the
target's synaptic time constant, as NEST's ``tsodyks_synapse``.  ``SimpleStochasticSynapse``
transmits each presynaptic spike through each synapse with probability ``p`` (independent
draws on the board, reproducible from the seed); its weights never change.  docs/ENGINE.md,
"Plasticity", gives the rules.

Rule parameters may differ from synapse to synapse, as PyNN allows (arrays, random
distributions, functions of distance, connection lists), except STDP's ``tau_minus``: the
depression trace belongs to the postsynaptic neuron, so it is one value per postsynaptic
population.  The projection keeps one value per connection (``get("U", ...)`` reads them);
the engine runs one rule per distinct combination of values (``ProjectionSpec.rule_params``).
``Projection.set(U=...)`` changes them while the network is at step 0 (before the first run,
or right after ``reset()``: the network is then loaded anew).  Values are checked when the
rule is made (plain numbers) and per connection when the projection is; each STDP weight
must lie in its own synapse's ``[w_min, w_max]``.  A plastic projection's weights are read
from the board (``proj.get("weight", format="array")``, at any time) and streamed with
``proj.stream("weight", every=...)``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
from pyNN import errors
from pyNN.standardmodels import build_translations, synapses

from spinstream.model import (
    MAX_RULES,
    NeuromodulationSpec,
    ParameterError,
    PlasticitySpec,
    STDPSpec,
    StochasticSpec,
    TsodyksMarkramSpec,
    check_weight_bounds,
    distinct_rules,
)
from spinstream.pyNN._weight_change import (
    WeightChangeable,
    WeightChanger,
    check_weight_change,
    weight_change_rule,
)

__all__ = [
    "AdditiveWeightDependence",
    "MultiplicativeWeightDependence",
    "STDPMechanism",
    "SimpleStochasticSynapse",
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
    #: The engine's timing (``STDPSpec.timing``); sPyNNaker's SpikeNearestPairRule (in
    #: ``spinstream.spinnaker.extra_models``) is this class with ``"nearest"``.
    engine_timing: ClassVar[str] = "pair"
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
    #: Whether it is sPyNNaker's WeightDependenceAdditiveTriplet (spinstream.spinnaker.
    #: extra_models), which goes with PfisterSpikeTriplet and no other timing dependence.
    engine_triplet: ClassVar[bool] = False
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
        if getattr(timing_dependence, "engine_timing", None) not in _TIMINGS:
            raise errors.NoModelAvailableError(
                "STDPMechanism: spinstream's timing dependences are SpikePairRule and "
                "sPyNNaker's extra_models.SpikeNearestPairRule, Vogels2011Rule, "
                "PfisterSpikeTriplet and RecurrentRule, got "
                f"{type(timing_dependence).__name__}"
            )
        if not isinstance(
            weight_dependence, AdditiveWeightDependence | MultiplicativeWeightDependence
        ):
            raise errors.NoModelAvailableError(
                "STDPMechanism: spinstream's weight dependences are AdditiveWeightDependence "
                f"and MultiplicativeWeightDependence, got {type(weight_dependence).__name__}"
            )
        triplet = timing_dependence.engine_timing == "triplet"
        if triplet != bool(getattr(weight_dependence, "engine_triplet", False)):
            raise errors.NoModelAvailableError(
                "STDPMechanism: PfisterSpikeTriplet and WeightDependenceAdditiveTriplet go "
                f"together, got {type(timing_dependence).__name__} with "
                f"{type(weight_dependence).__name__}"
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


class SimpleStochasticSynapse(synapses.SimpleStochasticSynapse):  # type: ignore[misc]
    __doc__ = synapses.SimpleStochasticSynapse.__doc__
    translations = build_translations(("weight", "weight"), ("delay", "delay"), ("p", "p"))
    parameter_checks: ClassVar[dict[str, Any]] = {}
    _simulator: Any

    def __init__(self, **parameters: Any) -> None:
        super().__init__(**parameters)
        try:
            p = _scalar(self, "p", "SimpleStochasticSynapse")
        except errors.InvalidParameterValueError:
            return
        _checked(StochasticSpec(p), "SimpleStochasticSynapse")

    def _get_minimum_delay(self) -> float:
        return float(self._simulator.state.min_delay)


_SS_PARAMS = ("p",)

#: The synapse types a Projection accepts besides StaticSynapse.
PLASTIC_TYPES = (
    STDPMechanism,
    TsodyksMarkramSynapse,
    SimpleStochasticSynapse,
    WeightChangeable,
    WeightChanger,
)


# ------------------------------------------------------------------ projections

_STDP_PARAMS = ("tau_plus", "tau_minus", "A_plus", "A_minus", "w_min", "w_max")
#: Vogels2011Rule's PyNN names (its one ``tau`` is the engine's tau_plus and tau_minus).
_VOGELS_PARAMS = ("alpha", "tau", "A_plus", "w_min", "w_max")
#: PfisterSpikeTriplet + WeightDependenceAdditiveTriplet's PyNN names.
_TRIPLET_PARAMS = (
    "tau_plus",
    "tau_minus",
    "tau_x",
    "tau_y",
    "A_plus",
    "A_minus",
    "w_min",
    "w_max",
    "A3_plus",
    "A3_minus",
)
#: sPyNNaker's RecurrentRule's PyNN names (its mean windows are the engine's tau_plus and
#: tau_minus).
_RECURRENT_PARAMS = (
    "accumulator_depression",
    "accumulator_potentiation",
    "mean_pre_window",
    "mean_post_window",
    "dual_fsm",
    "A_plus",
    "A_minus",
    "w_min",
    "w_max",
)
#: The timing dependences the engine runs (``STDPSpec.timing``).
_TIMINGS = ("pair", "nearest", "vogels", "triplet", "recurrent")
_NAMES_OF_TIMING = {
    "vogels": _VOGELS_PARAMS,
    "triplet": _TRIPLET_PARAMS,
    "recurrent": _RECURRENT_PARAMS,
}


def _timing(st: Any) -> str:
    """Return the engine timing of an STDPMechanism's timing dependence."""
    return str(st.timing_dependence.engine_timing)


def rule_names(synapse_type: Any) -> tuple[str, ...]:
    """Return the numeric rule parameters of a synapse type (none for StaticSynapse)."""
    if isinstance(synapse_type, STDPMechanism):
        return _NAMES_OF_TIMING.get(_timing(synapse_type), _STDP_PARAMS)
    if isinstance(synapse_type, TsodyksMarkramSynapse):
        return _TM_PARAMS
    if isinstance(synapse_type, SimpleStochasticSynapse):
        return _SS_PARAMS
    return ()


def is_neuromodulation(synapse_type: Any) -> bool:
    """Whether a synapse type releases dopamine.

    sPyNNaker's ``extra_models.Neuromodulation`` (``spinstream.spinnaker.extra_models``)
    marks itself so.
    """
    return bool(getattr(synapse_type, "engine_neuromodulation", False))


def neuromodulation_of(projection: Any) -> NeuromodulationSpec:
    """Return the dopamine release of a Neuromodulation projection (its receptor: the sign)."""
    st = projection.synapse_type
    return NeuromodulationSpec(
        st.tau_c, st.tau_d, st.w_min, st.w_max, reward=projection.receptor_type == "reward"
    )


def rule_parameter_names(rule: PlasticitySpec) -> tuple[str, ...]:
    """Return the PyNN parameter names of a rule that ``Projection.get`` can read."""
    if isinstance(rule, NeuromodulationSpec):
        return ()
    if isinstance(rule, STDPSpec):
        return _NAMES_OF_TIMING.get(rule.timing, _STDP_PARAMS)
    if isinstance(rule, StochasticSpec):
        return _SS_PARAMS
    if isinstance(rule, TsodyksMarkramSpec):
        return _TM_PARAMS
    return ()  # WeightChangeable / WeightChanger: bounds of the synapse type, not per synapse


def uniform_rule_values(projection: Any, n: int) -> dict[str, FloatArray]:
    """Rule values of ``n`` connections from the synapse type's one-number parameters.

    For connectors that pass only weights and delays; a rule parameter that is not one
    number then raises InvalidParameterValueError.
    """
    st = projection.synapse_type
    where = f"Projection {projection.label!r}"
    out: dict[str, FloatArray] = {}
    if isinstance(st, STDPMechanism):
        for component in (st.timing_dependence, st.weight_dependence):
            for name in component.default_parameters:
                out[name] = np.full(n, _scalar(component, name, where))
    elif isinstance(st, TsodyksMarkramSynapse | SimpleStochasticSynapse):
        for name in rule_names(st):
            out[name] = np.full(n, _scalar(st, name, where))
    return out


def _base_rule(
    st: Any, values: dict[str, FloatArray]
) -> tuple[PlasticitySpec, dict[str, FloatArray] | None]:
    """Return the rule and per-synapse overrides that ``values`` (per connection) make."""
    base: dict[str, Any] = {}
    varying: dict[str, FloatArray] = {}
    for name, v in values.items():
        if len(v) == 0:
            base[name] = float(_default(st, name))
        elif np.all(v == v[0]):
            base[name] = float(v[0])
        else:
            varying[name] = v
            # a summary that keeps checks against the rule alone necessary conditions
            pick = np.min if name == "w_min" else np.max if name == "w_max" else (lambda a: a[0])
            base[name] = float(pick(v))
    rule: PlasticitySpec
    if isinstance(st, STDPMechanism):
        kind = (
            "additive"
            if isinstance(st.weight_dependence, AdditiveWeightDependence)
            else "multiplicative"
        )
        timing = _timing(st)
        if timing == "vogels":  # one tau for both traces; no A_minus
            tau = base.pop("tau")
            base.update(tau_plus=tau, tau_minus=tau, A_minus=0.0)
            if "tau" in varying:  # pragma: no cover - check_rule_values refuses it first
                raise errors.InvalidParameterValueError("Vogels2011Rule: tau cannot vary")
        if timing == "recurrent":  # the mean windows are the engine's two time constants
            base.update(
                tau_plus=base.pop("mean_pre_window"), tau_minus=base.pop("mean_post_window")
            )
        rule = STDPSpec(weight_dependence=kind, timing=timing, **base)
    elif isinstance(st, SimpleStochasticSynapse):
        rule = StochasticSpec(**base)
    else:
        rule = TsodyksMarkramSpec(**base)
    return rule, varying or None


def _default(st: Any, name: str) -> float:
    """Return a parameter's value for a projection without connections."""
    components = (
        (st.timing_dependence, st.weight_dependence) if isinstance(st, STDPMechanism) else (st,)
    )
    for c in components:
        if name in c.default_parameters:
            lazy = c.parameter_space[name]
            if lazy.is_homogeneous and isinstance(lazy.base_value, int | float | np.number):
                return float(lazy.base_value)
            return float(c.default_parameters[name])
    raise KeyError(name)  # pragma: no cover - names come from rule_names


def check_rule_values(projection: Any, values: dict[str, FloatArray]) -> dict[str, FloatArray]:
    """Check rule values, one per connection; return them as float64 arrays.

    Raises InvalidParameterValueError naming the parameter, its value and the first
    connection that has it, for ``tau_minus`` that varies, and for more distinct rules
    than the engine takes.
    """
    if not values:
        return {}
    where = f"Projection {projection.label!r}"
    out = {k: np.array(v, dtype=np.float64).reshape(-1) for k, v in values.items()}
    tname = next((k for k in ("tau_minus", "mean_post_window") if k in out), "tau")
    tau = out.get(tname)
    if tau is not None and len(tau) and not np.all(tau == tau[0]):
        raise errors.InvalidParameterValueError(
            f"{where}: {tname} must be one value for the whole projection, got values "
            f"from {float(tau.min())!r} to {float(tau.max())!r} ms; the depression trace "
            "belongs to the postsynaptic neuron, so there is one tau_minus per "
            "postsynaptic population (tau_plus, A_plus, A_minus, w_min and w_max may vary "
            "per synapse)"
        )
    rule, varying = _base_rule(projection.synapse_type, out)
    if varying is None:
        _checked(rule, where)
        return out
    n = len(projection._pre)
    try:
        rules, which = distinct_rules(where, rule, varying, n)
    except ParameterError as err:  # pragma: no cover - names come from rule_names
        raise errors.InvalidParameterValueError(str(err)) from None
    if len(rules) > MAX_RULES:
        raise errors.InvalidParameterValueError(
            f"{where}: {len(rules)} distinct combinations of rule parameter values; the "
            f"engine runs at most {MAX_RULES} distinct rules per network (each one a rule "
            "of its own): use fewer distinct values, e.g. draw them from a short list"
        )
    first = np.full(len(rules), n, np.int64)
    np.minimum.at(first, which, np.arange(n))
    for r, k in zip(rules, first.tolist(), strict=True):
        i, j = int(projection._pre[k]), int(projection._post[k])
        _checked(r, f"{where}, connection {k} ({i} -> {j})")
    return out


def plasticity_of(projection: Any) -> PlasticitySpec | None:
    """Return the engine's rule for a projection's synapse type (None: static synapses).

    Where rule parameters vary per connection, the rule holds a summary of them (see
    ``ProjectionSpec.rule_params``); ``projection._rule`` holds every connection's values.
    """
    st = projection.synapse_type
    if is_neuromodulation(st):
        return neuromodulation_of(projection)
    if not isinstance(st, PLASTIC_TYPES):
        return None
    if isinstance(st, WeightChangeable | WeightChanger):
        return weight_change_rule(projection)
    return _base_rule(st, projection._rule)[0]


def rule_column(projection: Any, name: str) -> FloatArray:
    """Return one rule parameter's value per connection, in the projection's order."""
    return np.asarray(projection._rule[name], dtype=np.float64)


def check_weights(projection: Any, weight: FloatArray) -> None:
    """Raise PyNN's ConnectionError for an STDP weight outside its synapse's bounds."""
    if isinstance(projection.synapse_type, WeightChangeable | WeightChanger):
        check_weight_change(projection, weight)
        return
    if not isinstance(projection.synapse_type, STDPMechanism):
        return
    check_bounds(projection, weight, projection._rule)


def check_bounds(projection: Any, weight: FloatArray, rule: dict[str, FloatArray]) -> None:
    """Raise ConnectionError naming the first connection whose weight is out of its bounds.

    ``rule``: rule parameter name -> one value per connection.
    """
    w = np.asarray(weight, dtype=np.float64)
    where = f"Projection {projection.label!r}"
    try:
        check_weight_bounds(where, w, rule["w_min"], rule["w_max"])
    except ParameterError:
        lo, hi = rule["w_min"], rule["w_max"]
        k = int(np.flatnonzero((w < lo) | (w > hi) | ~np.isfinite(w))[0])
        i, j = int(projection._pre[k]), int(projection._post[k])
        raise errors.ConnectionError(
            f"{where}: weight {float(w[k])!r} of connection {k} ({i} -> {j}) lies outside "
            f"[w_min, w_max] = [{float(lo[k])!r}, {float(hi[k])!r}]"
        ) from None


def attach(projection: Any) -> None:
    """Give each of the projection's specs its rule and per-synapse values.

    Called once the specs exist, and again when ``set()`` changes rule parameters.
    """
    st = projection.synapse_type
    specs = projection._owner.spec.projections
    if is_neuromodulation(st):
        for spec_id, _ in projection._parts:
            specs[spec_id].plasticity = neuromodulation_of(projection)
        return
    if not isinstance(st, PLASTIC_TYPES):
        return
    if isinstance(st, WeightChangeable | WeightChanger):
        for spec_id, _ in projection._parts:
            specs[spec_id].plasticity = weight_change_rule(projection)
            specs[spec_id].rule_params = None
        return
    for spec_id, sel in projection._parts:
        part = {k: v[sel] for k, v in projection._rule.items()}
        rule, varying = _base_rule(st, part)
        specs[spec_id].plasticity = rule
        specs[spec_id].rule_params = varying


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
    if isinstance(projection.synapse_type, STDPMechanism | WeightChangeable):
        w = _board_weights(projection)
        if w is not None:
            return w
    return np.asarray(projection._weight)


def stream_weights(
    projection: Any, every: float | None = None, *, maxlen: int | None = None
) -> Any:
    """Subscribe to a projection's weights, sampled every ``every`` ms (see Projection.stream)."""
    from spinstream.session import subscribe_weights

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
        len(projection._pre),  # structural projections: every potential synapse
        interval_steps=steps,
        label=str(projection.label),
        scale=np.sign(np.asarray(projection._weight))
        if not isinstance(projection.synapse_type, STDPMechanism)
        else None,
        **kw,
    )
