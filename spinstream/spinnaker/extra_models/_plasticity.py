"""sPyNNaker's extra plasticity rules (``sim.extra_models``), on spinstream's STDP engine.

``SpikeNearestPairRule`` and ``Vogels2011Rule`` are timing dependences for
``sim.STDPMechanism``, as in sPyNNaker 7.x; the engine runs them with the same machinery as
PyNN's ``SpikePairRule`` (``kernels_c/plastic.c``), so weights are read with
``Projection.get("weight")`` and streamed live with ``Projection.stream("weight")``.
docs/ENGINE.md, "Plasticity", gives the rules and where sPyNNaker's fixed-point kernel
differs.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pyNN import errors
from pyNN.standardmodels import build_translations, synapses

from spinstream.model import ParameterError, STDPSpec
from spinstream.pyNN import SpikePairRule

__all__ = ["SpikeNearestPairRule", "Vogels2011Rule"]


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
        values = {}
        for name in self.default_parameters:
            lazy = self.parameter_space[name]
            if not lazy.is_homogeneous or not isinstance(lazy.base_value, int | float):
                return  # per-synapse values: the projection checks each
            values[name] = float(lazy.base_value)
        try:
            STDPSpec(
                values["tau"],
                values["tau"],
                values["A_plus"],
                0.0,
                0.0,
                1.0,
                timing="vogels",
                alpha=values["alpha"],
            ).check("Vogels2011Rule")
        except ParameterError as err:
            raise errors.InvalidParameterValueError(str(err)) from None
