"""sPyNNaker's ``WeightChangeable`` / ``WeightChanger`` (``sim.extra_models``).

The synapse types live with spinstream's PyNN projections (:mod:`spinstream.pyNN`); the
engine runs them in ``kernels_c/weight_change.c``.  docs/ENGINE.md, "Plasticity", gives the
rule and where it differs from sPyNNaker.
"""

from __future__ import annotations

import spinstream.pyNN as _pynn

WeightChangeable = _pynn.WeightChangeable
WeightChanger = _pynn.WeightChanger

__all__ = ["WeightChangeable", "WeightChanger"]
