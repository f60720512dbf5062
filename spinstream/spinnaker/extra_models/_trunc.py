"""sPyNNaker's ``IFTruncDelta`` (``sim.extra_models.IFTruncDelta``): the engine's cell type.

The model file is ``kernels_c/models/if_trunc_delta.c``; its rule, and where it differs from
sPyNNaker's per-step kernel, are in docs/MODELS.md.
"""

from __future__ import annotations

import spinstream.pyNN as _pynn

IFTruncDelta = _pynn.IFTruncDelta

__all__ = ["IFTruncDelta"]
