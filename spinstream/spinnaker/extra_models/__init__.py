"""sPyNNaker's ``extra_models``: the models and rules that are not part of PyNN."""

from __future__ import annotations

from spinstream.spinnaker.extra_models._neurons import IF_curr_dual_exp as IF_curr_dual_exp
from spinstream.spinnaker.extra_models._neurons import IF_curr_exp_sEMD as IF_curr_exp_sEMD
from spinstream.spinnaker.extra_models._neurons import IFCurDelta as IFCurDelta
from spinstream.spinnaker.extra_models._neurons import (
    IFCurrDeltaCa2Adaptive as IFCurrDeltaCa2Adaptive,
)
from spinstream.spinnaker.extra_models._neurons import IFCurrExpCa2Adaptive as IFCurrExpCa2Adaptive
from spinstream.spinnaker.extra_models._neurons import Izhikevich_cond as Izhikevich_cond
from spinstream.spinnaker.extra_models._neurons import Izhikevich_cond_dual as Izhikevich_cond_dual

__all__ = [
    "IFCurDelta",
    "IFCurrDeltaCa2Adaptive",
    "IFCurrExpCa2Adaptive",
    "IF_curr_dual_exp",
    "IF_curr_exp_sEMD",
    "Izhikevich_cond",
    "Izhikevich_cond_dual",
]
