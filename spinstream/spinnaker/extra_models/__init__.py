"""``sim.extra_models``: sPyNNaker's extra neuron models, plasticity rules and sources.

Every name is an engine model or rule of spinstream; docs/MODELS.md and docs/PYNN.md describe
them.
"""

from __future__ import annotations

from spinstream.spinnaker.extra_models._connectors import AllButMeConnector as AllButMeConnector
from spinstream.spinnaker.extra_models._connectors import (
    OneToOneOffsetConnector as OneToOneOffsetConnector,
)
from spinstream.spinnaker.extra_models._neurons import IF_curr_dual_exp as IF_curr_dual_exp
from spinstream.spinnaker.extra_models._neurons import IF_curr_exp_sEMD as IF_curr_exp_sEMD
from spinstream.spinnaker.extra_models._neurons import IFCurDelta as IFCurDelta
from spinstream.spinnaker.extra_models._neurons import (
    IFCurrDeltaCa2Adaptive as IFCurrDeltaCa2Adaptive,
)
from spinstream.spinnaker.extra_models._neurons import IFCurrExpCa2Adaptive as IFCurrExpCa2Adaptive
from spinstream.spinnaker.extra_models._neurons import Izhikevich_cond as Izhikevich_cond
from spinstream.spinnaker.extra_models._neurons import Izhikevich_cond_dual as Izhikevich_cond_dual
from spinstream.spinnaker.extra_models._plasticity import Neuromodulation as Neuromodulation
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
from spinstream.spinnaker.extra_models._recurrent import RecurrentRule as RecurrentRule
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
from spinstream.spinnaker.extra_models._trunc import IFTruncDelta as IFTruncDelta
from spinstream.spinnaker.extra_models._weight_change import (
    WeightChangeable as WeightChangeable,
)
from spinstream.spinnaker.extra_models._weight_change import WeightChanger as WeightChanger

__all__ = [
    "AllButMeConnector",
    "IFCondExpStoc",
    "IFCurDelta",
    "IFCurrDeltaCa2Adaptive",
    "IFCurrDeltaFixedProb",
    "IFCurrExpCa2Adaptive",
    "IFTruncDelta",
    "IF_curr_dual_exp",
    "IF_curr_exp_sEMD",
    "Izhikevich_cond",
    "Izhikevich_cond_dual",
    "Neuromodulation",
    "OneToOneOffsetConnector",
    "PfisterSpikeTriplet",
    "RecurrentRule",
    "SpikeNearestPairRule",
    "SpikeSourcePoissonVariable",
    "StocExp",
    "StocExpStable",
    "StocSigma",
    "Vogels2011Rule",
    "WeightChangeable",
    "WeightChanger",
    "WeightDependenceAdditiveTriplet",
]
