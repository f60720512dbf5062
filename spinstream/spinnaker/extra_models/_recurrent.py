"""sPyNNaker's ``RecurrentRule`` (``sim.extra_models``): STDP by counted, randomly timed pairings.

A timing dependence for ``sim.STDPMechanism`` with PyNN's ``AdditiveWeightDependence`` or
``MultiplicativeWeightDependence``, run by ``kernels_c/recurrent.c``; weights are read with
``Projection.get("weight")`` and streamed with ``Projection.stream("weight")`` like every
STDP rule's.  docs/ENGINE.md, "Plasticity", states the rule and where it differs from
sPyNNaker's fixed-point kernel.
"""

from __future__ import annotations

from typing import ClassVar

from pyNN import errors
from pyNN.standardmodels import build_translations, synapses

from spinstream.model import ParameterError, STDPSpec

__all__ = ["RecurrentRule"]


class RecurrentRule(synapses.STDPTimingDependence):  # type: ignore[misc]
    """sPyNNaker's recurrent STDP timing dependence (its ``TimingDependenceRecurrent``).

    Every presynaptic spike opens a window of random length (exponential, mean
    ``mean_pre_window``), every postsynaptic spike one with mean ``mean_post_window``.  A
    postsynaptic spike inside a pre window counts one potentiating pairing, a presynaptic
    spike inside a post window one depressing pairing; a synapse's accumulator counts them,
    and only when it reaches ``accumulator_potentiation`` (``accumulator_depression``) does
    the weight take one step of the weight dependence (``A_plus``, ``A_minus``) and the
    accumulator go back to 0.  ``dual_fsm=True`` pairs each spike with the other side's
    latest window; ``dual_fsm=False`` runs one state machine per synapse (idle, pre-open,
    post-open; sPyNNaker's "pre_stochastic" kernel).  The window draws come from the target
    core's generator: the same seed gives the same weights.

    Parameters
    ----------
    accumulator_depression
        Depressing pairings (as a negative count, whole number) that make one depression.
    accumulator_potentiation
        Potentiating pairings (whole number) that make one potentiation.
    mean_pre_window, mean_post_window
        Mean window lengths (ms, > 0); ``mean_post_window`` is one value per postsynaptic
        population.
    dual_fsm
        Two windows per synapse (True) or one state machine (False).
    A_plus, A_minus
        Step sizes (>= 0) of the weight dependence (scaled by ``w_max``, additive).
    """

    default_parameters: ClassVar[dict[str, float]] = {
        # floats, so that PyNN does not round a fractional count silently (checked below)
        "accumulator_depression": -6.0,
        "accumulator_potentiation": 6.0,
        "mean_pre_window": 35.0,
        "mean_post_window": 35.0,
        "dual_fsm": True,
        "A_plus": 0.01,
        "A_minus": 0.01,
    }
    translations = build_translations(*((name, name) for name in default_parameters))
    possible_models: ClassVar[set[str]] = {"spinstream_stdp"}
    engine_timing: ClassVar[str] = "recurrent"

    def __init__(
        self,
        accumulator_depression: int = -6,
        accumulator_potentiation: int = 6,
        mean_pre_window: float = 35.0,
        mean_post_window: float = 35.0,
        dual_fsm: bool = True,
        A_plus: float = 0.01,
        A_minus: float = 0.01,
    ) -> None:
        super().__init__(
            accumulator_depression=accumulator_depression,
            accumulator_potentiation=accumulator_potentiation,
            mean_pre_window=mean_pre_window,
            mean_post_window=mean_post_window,
            dual_fsm=dual_fsm,
            A_plus=A_plus,
            A_minus=A_minus,
        )
        values = {}
        for name in self.default_parameters:
            lazy = self.parameter_space[name]
            if not lazy.is_homogeneous or not isinstance(lazy.base_value, int | float):
                return  # per-synapse values: the projection checks each
            values[name] = float(lazy.base_value)
        rule = STDPSpec(
            values["mean_pre_window"],
            values["mean_post_window"],
            values["A_plus"],
            values["A_minus"],
            0.0,
            1.0,
            timing="recurrent",
            accumulator_depression=values["accumulator_depression"],
            accumulator_potentiation=values["accumulator_potentiation"],
            dual_fsm=values["dual_fsm"],
        )
        try:
            rule.check("RecurrentRule")
        except ParameterError as err:
            raise errors.InvalidParameterValueError(
                str(err)
                .replace("tau_plus", "mean_pre_window")
                .replace("tau_minus", "mean_post_window")
            ) from None
