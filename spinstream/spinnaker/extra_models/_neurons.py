"""sPyNNaker's extra neuron models (``sim.extra_models.<name>``): the engine's own cell types.

Each is an engine model (``kernels_c/models/``) whose generated PyNN class in
:mod:`spinstream.pyNN` carries sPyNNaker's class name, parameters, units and defaults; the
names sPyNNaker gives under other spellings are the same classes.
"""

from __future__ import annotations

import spinstream.pyNN as _pynn

#: sPyNNaker's ``IFCurDelta`` is PyNN's IF_curr_delta.
IFCurDelta = _pynn.IF_curr_delta
IF_curr_dual_exp = _pynn.IF_curr_dual_exp
IFCurrExpCa2Adaptive = _pynn.IFCurrExpCa2Adaptive

__all__ = ["IFCurDelta", "IFCurrExpCa2Adaptive", "IF_curr_dual_exp"]
