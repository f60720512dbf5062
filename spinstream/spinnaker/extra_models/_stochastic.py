"""sPyNNaker's stochastic extra models: engine models of spinstream (kernels_c/models).

Each is the PyNN cell type that :mod:`spinstream.pyNN` generates from the engine's own
description of the model (one C file each); docs/MODELS.md gives their definitions.  Their
random draws come from the generator of the core that runs them, seeded from the network's
seed or the population's ``seed=``: the same seed gives the same spikes whatever the chunking.
"""

from __future__ import annotations

from typing import Any

import spinstream.pyNN as _pynn

__all__ = ["IFCondExpStoc", "IFCurrDeltaFixedProb", "StocExp", "StocExpStable", "StocSigma"]

#: IF_cond_exp with Habenschuss, Jonke & Maass's soft stochastic threshold.
IFCondExpStoc: Any = _pynn.IFCondExpStoc
#: IF_curr_delta that fires with probability ``p_thresh`` each step at or above threshold.
IFCurrDeltaFixedProb: Any = _pynn.IFCurrDeltaFixedProb
#: Memoryless stochastic neuron, ``p = min(1, 2**v / tau)``, on for ``tau`` ms after a spike.
StocExp: Any = _pynn.StocExp
#: Integrating stochastic neuron, ``p = min(1, tau * 2**v)``, on for ``tau_refrac`` ms.
StocExpStable: Any = _pynn.StocExpStable
#: Memoryless stochastic neuron, ``p = 2**(-2**(-alpha v))``, on for ``tau_refrac`` ms.
StocSigma: Any = _pynn.StocSigma
