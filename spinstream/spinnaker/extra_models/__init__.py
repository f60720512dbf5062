"""``sim.extra_models``: sPyNNaker's extra neuron models, plasticity rules and sources.

Every name is an engine model or rule of spinstream; docs/MODELS.md and docs/PYNN.md describe
them.
"""

from __future__ import annotations

from spinstream.spinnaker.extra_models._plasticity import (
    PfisterSpikeTriplet as PfisterSpikeTriplet,
)
from spinstream.spinnaker.extra_models._plasticity import (
    SpikeNearestPairRule as SpikeNearestPairRule,
)
from spinstream.spinnaker.extra_models._plasticity import Vogels2011Rule as Vogels2011Rule
from spinstream.spinnaker.extra_models._plasticity import (
    WeightDependenceAdditiveTriplet as WeightDependenceAdditiveTriplet,
)
from spinstream.spinnaker.extra_models._stochastic import IFCondExpStoc as IFCondExpStoc
from spinstream.spinnaker.extra_models._stochastic import (
    IFCurrDeltaFixedProb as IFCurrDeltaFixedProb,
)
from spinstream.spinnaker.extra_models._stochastic import (
    SpikeSourcePoissonVariable as SpikeSourcePoissonVariable,
)
from spinstream.spinnaker.extra_models._stochastic import StocExp as StocExp
from spinstream.spinnaker.extra_models._stochastic import StocExpStable as StocExpStable
from spinstream.spinnaker.extra_models._stochastic import StocSigma as StocSigma

__all__ = [
    "IFCondExpStoc",
    "IFCurrDeltaFixedProb",
    "PfisterSpikeTriplet",
    "SpikeNearestPairRule",
    "SpikeSourcePoissonVariable",
    "StocExp",
    "StocExpStable",
    "StocSigma",
    "Vogels2011Rule",
    "WeightDependenceAdditiveTriplet",
]
