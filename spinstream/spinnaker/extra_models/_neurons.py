"""sPyNNaker's extra neuron models (``sim.extra_models.<name>``): the engine's own cell types.

Each is an engine model (``kernels_c/models/``) whose generated PyNN class in
:mod:`spinstream.pyNN` carries sPyNNaker's class name (or is the PyNN model sPyNNaker
renames: ``IFCurDelta`` is ``IF_curr_delta``), parameters, units and defaults; equations and
checks in docs/ENGINE.md and docs/MODELS.md.
"""

from __future__ import annotations

import spinstream.pyNN as _pynn

IFCurDelta = _pynn.IF_curr_delta
IFCurrDeltaCa2Adaptive = _pynn.IFCurrDeltaCa2Adaptive
IFCurrExpCa2Adaptive = _pynn.IFCurrExpCa2Adaptive
IF_curr_dual_exp = _pynn.IF_curr_dual_exp
IF_curr_exp_sEMD = _pynn.IF_curr_exp_sEMD
Izhikevich_cond = _pynn.Izhikevich_cond
Izhikevich_cond_dual = _pynn.Izhikevich_cond_dual

__all__ = [
    "IFCurDelta",
    "IFCurrDeltaCa2Adaptive",
    "IFCurrExpCa2Adaptive",
    "IF_curr_dual_exp",
    "IF_curr_exp_sEMD",
    "Izhikevich_cond",
    "Izhikevich_cond_dual",
]
