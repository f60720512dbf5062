"""sPyNNaker's extra plasticity rules (``sim.extra_models``), on spinstream's STDP engine.

``Neuromodulation`` is the synapse type of reward and punishment projections: it makes the
STDP synapses into its target population dopamine-modulated (``kernels_c/dopamine.c``).

``SpikeNearestPairRule``, ``Vogels2011Rule`` and ``PfisterSpikeTriplet`` (with
``WeightDependenceAdditiveTriplet``) are timing dependences for ``sim.STDPMechanism``, as in
sPyNNaker 7.x; the engine runs them with the same machinery as
PyNN's ``SpikePairRule`` (``kernels_c/plastic.c``), so weights are read with
``Projection.get("weight")`` and streamed live with ``Projection.stream("weight")``.
docs/ENGINE.md, "Plasticity", gives the rules and where sPyNNaker's fixed-point kernel
differs.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pyNN import errors
from pyNN.standardmodels import build_translations, synapses

from spinstream.model import NeuromodulationSpec, ParameterError, STDPSpec
from spinstream.pyNN import AdditiveWeightDependence, SpikePairRule, StaticSynapse

__all__ = [
    "Neuromodulation",
    "PfisterSpikeTriplet",
    "SpikeNearestPairRule",
    "Vogels2011Rule",
    "WeightDependenceAdditiveTriplet",
]


def _plain(component: Any) -> dict[str, float] | None:
    """Return the component's parameters as numbers (None: some vary per synapse)."""
    values = {}
    for name in component.default_parameters:
        lazy = component.parameter_space[name]
        if not lazy.is_homogeneous or not isinstance(lazy.base_value, int | float):
            return None  # per-synapse values: the projection checks each
        values[name] = float(lazy.base_value)
    return values


def _check(spec: STDPSpec, where: str) -> None:
    try:
        spec.check(where)
    except ParameterError as err:
        raise errors.InvalidParameterValueError(str(err)) from None


class SpikeNearestPairRule(SpikePairRule):
    """sPyNNaker's nearest-pair STDP timing dependence.

    Each presynaptic spike depresses by ``A_minus exp(-dt/tau_minus)`` against the latest
    postsynaptic spike alone; only the first postsynaptic spike after a presynaptic spike
    potentiates, by ``A_plus exp(-dt/tau_plus)`` against that presynaptic spike alone
    (times as seen at the synapse: the whole delay is dendritic).  With at most one
    postsynaptic spike between presynaptic spikes this is NEST's ``stdp_nn_symm_synapse``.

    Parameters
    ----------
    tau_plus, tau_minus
        Time constants (ms) of potentiation and depression (> 0).
    A_plus, A_minus
        Amplitudes (>= 0, dimensionless; scaled by the weight dependence).
    """

    engine_timing: ClassVar[str] = "nearest"

    def __init__(
        self,
        tau_plus: float = 20.0,
        tau_minus: float = 20.0,
        A_plus: float = 0.01,
        A_minus: float = 0.01,
    ) -> None:
        super().__init__(tau_plus, tau_minus, A_plus, A_minus)


class Vogels2011Rule(synapses.STDPTimingDependence):  # type: ignore[misc]
    """Inhibitory plasticity of Vogels et al. (2011, Science 334:1569), as sPyNNaker's.

    With ``eta = A_plus`` and one trace time constant ``tau``: every pre/post pair
    potentiates by ``eta exp(-|dt|/tau)`` whatever its order, and each presynaptic spike
    depresses by ``alpha eta``; the weight stays in ``[w_min, w_max]`` of the
    ``AdditiveWeightDependence`` (the only weight dependence it takes).  This is NEST's
    ``vogels_sprekeler_synapse`` (``Wmax = w_max``; NEST's lower bound is 0).

    Parameters
    ----------
    alpha
        Depression per presynaptic spike in units of ``eta`` (>= 0; ``2 rho_0 tau`` for a
        target rate ``rho_0``).
    tau
        Time constant (ms) of both traces (> 0).
    A_plus
        The learning rate ``eta`` (>= 0, in weight units: not scaled by ``w_max``).
    A_minus
        Not part of the rule (sPyNNaker accepts it and never uses it): giving it raises.
    """

    default_parameters: ClassVar[dict[str, float]] = {"alpha": 0.0, "tau": 20.0, "A_plus": 0.01}
    translations = build_translations(("alpha", "alpha"), ("tau", "tau"), ("A_plus", "A_plus"))
    possible_models: ClassVar[set[str]] = {"spinstream_stdp"}
    engine_timing: ClassVar[str] = "vogels"

    def __init__(
        self, alpha: float, tau: float = 20.0, A_plus: float = 0.01, A_minus: Any = None
    ) -> None:
        if A_minus is not None:
            raise errors.InvalidParameterValueError(
                f"Vogels2011Rule: A_minus = {A_minus!r} has no effect in this rule (its one "
                "learning rate is A_plus; sPyNNaker ignores A_minus too): leave it out"
            )
        super().__init__(alpha=alpha, tau=tau, A_plus=A_plus)
        v = _plain(self)
        if v is not None:
            tau = v["tau"]
            rule = STDPSpec(
                tau, tau, v["A_plus"], 0.0, 0.0, 1.0, timing="vogels", alpha=v["alpha"]
            )
            _check(rule, "Vogels2011Rule")


class PfisterSpikeTriplet(synapses.STDPTimingDependence):  # type: ignore[misc]
    """The all-to-all triplet rule of Pfister & Gerstner (2006, J Neurosci 26:9673).

    Goes with :class:`WeightDependenceAdditiveTriplet` (and it with this alone).  Traces:
    presynaptic ``r1`` (``tau_plus``) and ``r2`` (``tau_x``), postsynaptic ``o1``
    (``tau_minus``) and ``o2`` (``tau_y``), each jumping by 1 at its neuron's spikes.  A
    postsynaptic spike adds ``w_max (A_plus + A3_plus o2) r1``, a presynaptic spike
    subtracts ``w_max (A_minus + A3_minus r2) o1`` (``o2``, ``r2`` just before the spike;
    times as seen at the synapse, the whole delay dendritic); the weight stays in
    ``[w_min, w_max]``.  This is NEST's ``stdp_triplet_synapse`` (``Aplus = A_plus w_max``,
    ...; ``tau_plus_triplet = tau_x``, the neuron's ``tau_minus_triplet = tau_y``).

    Parameters
    ----------
    tau_plus, tau_minus, tau_x, tau_y
        Time constants (ms, > 0) of ``r1``, ``o1``, ``r2``, ``o2``; ``tau_minus`` and
        ``tau_y`` belong to the postsynaptic population (one value each).
    A_plus, A_minus
        Pair amplitudes (>= 0, scaled by ``w_max``).
    """

    default_parameters: ClassVar[dict[str, float]] = {
        "tau_plus": 16.8,
        "tau_minus": 33.7,
        "tau_x": 101.0,
        "tau_y": 125.0,
        "A_plus": 5e-10,
        "A_minus": 7e-3,
    }
    translations = build_translations(*((name, name) for name in default_parameters))
    possible_models: ClassVar[set[str]] = {"spinstream_stdp"}
    engine_timing: ClassVar[str] = "triplet"

    def __init__(
        self,
        tau_plus: float,
        tau_minus: float,
        tau_x: float,
        tau_y: float,
        A_plus: float,
        A_minus: float,
    ) -> None:
        super().__init__(
            tau_plus=tau_plus,
            tau_minus=tau_minus,
            tau_x=tau_x,
            tau_y=tau_y,
            A_plus=A_plus,
            A_minus=A_minus,
        )
        v = _plain(self)
        if v is not None:
            rule = STDPSpec(
                v["tau_plus"],
                v["tau_minus"],
                v["A_plus"],
                v["A_minus"],
                0.0,
                1.0,
                timing="triplet",
                tau_x=v["tau_x"],
                tau_y=v["tau_y"],
            )
            _check(rule, "PfisterSpikeTriplet")


class WeightDependenceAdditiveTriplet(AdditiveWeightDependence):
    """sPyNNaker's additive weight dependence for :class:`PfisterSpikeTriplet`.

    Parameters
    ----------
    w_min, w_max
        Weight bounds (nA or uS, ``0 <= w_min <= w_max``).
    A3_plus, A3_minus
        Triplet amplitudes (>= 0, scaled by ``w_max``).
    """

    default_parameters: ClassVar[dict[str, float]] = {
        "w_min": 0.0,
        "w_max": 1.0,
        "A3_plus": 0.01,
        "A3_minus": 0.01,
    }
    translations = build_translations(
        ("w_min", "w_min"), ("w_max", "w_max"), ("A3_plus", "A3_plus"), ("A3_minus", "A3_minus")
    )
    engine_triplet: ClassVar[bool] = True

    def __init__(
        self, w_min: float = 0.0, w_max: float = 1.0, A3_plus: float = 0.01, A3_minus: float = 0.01
    ) -> None:
        # PyNN's base class takes w_min and w_max alone
        synapses.STDPWeightDependence.__init__(
            self, w_min=w_min, w_max=w_max, A3_plus=A3_plus, A3_minus=A3_minus
        )
        v = _plain(self)
        if v is not None:
            rule = STDPSpec(
                20.0,
                20.0,
                0.0,
                0.0,
                v["w_min"],
                v["w_max"],
                timing="triplet",
                tau_x=1.0,
                tau_y=1.0,
                A3_plus=v["A3_plus"],
                A3_minus=v["A3_minus"],
            )
            _check(rule, "WeightDependenceAdditiveTriplet")


class Neuromodulation(StaticSynapse):  # type: ignore[misc]
    """Dopamine synapses (Izhikevich 2007), as sPyNNaker's ``extra_models.Neuromodulation``.

    A projection with this synapse type and ``receptor_type="reward"`` (or
    ``"punishment"``) makes every STDP projection into its target population
    (``STDPMechanism`` with ``SpikePairRule`` and ``AdditiveWeightDependence``)
    dopamine-modulated: the spike pairs drive an eligibility trace ``c`` per synapse
    (``+A_plus K+`` at a postsynaptic spike, ``-A_minus K-`` at a presynaptic one, kept in the
    weight dependence's ``[w_min, w_max]``, decaying with ``tau_c``); each spike of this
    projection adds ``+weight`` (reward) or ``-weight`` (punishment) to its target neuron's
    dopamine ``D``, decaying with ``tau_d``; the weight follows ``dw/dt = c D`` and stays in
    this synapse type's ``[w_min, w_max]``.  Nothing reaches the neuron's inputs.  The
    Neuromodulation projections into one population must share ``tau_c``, ``tau_d``,
    ``w_min`` and ``w_max`` (as in sPyNNaker).  docs/ENGINE.md, "Plasticity".

    Parameters
    ----------
    weight
        Dopamine released per spike (>= 0, per connection).
    tau_c, tau_d
        Eligibility and dopamine time constants (ms, > 0).
    w_min, w_max
        Bounds of the modulated STDP weights (nA or uS, ``0 <= w_min <= w_max``).
    """

    engine_neuromodulation: ClassVar[bool] = True

    def __init__(
        self,
        weight: Any = 0.0,
        tau_c: float = 1000.0,
        tau_d: float = 200.0,
        w_min: float = 0.0,
        w_max: float = 1.0,
    ) -> None:
        super().__init__(weight=weight)
        spec = NeuromodulationSpec(float(tau_c), float(tau_d), float(w_min), float(w_max))
        try:
            spec.check("Neuromodulation")
        except ParameterError as err:
            raise errors.InvalidParameterValueError(str(err)) from None
        self.tau_c, self.tau_d = spec.tau_c, spec.tau_d
        self.w_min, self.w_max = spec.w_min, spec.w_max
