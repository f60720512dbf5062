"""sPyNNaker's local-only synapse types, as plain static synapses.

sPyNNaker runs ``ConvolutionConnector`` and ``PoolDenseConnector`` with dedicated
"local-only" synapse types that carry only a delay (the weights come from the connector).
Here those connectors expand to ordinary synapses (:mod:`spinstream.pyNN._connect_spinnaker`),
so their synapse type is a :class:`~spinstream.pyNN.StaticSynapse` with that one delay.
"""

from __future__ import annotations

from typing import Any

import spinstream.pyNN as _sim

__all__ = ["Convolution", "PoolDense"]


def Convolution(delay: float | None = None) -> Any:
    """Synapse type for ``ConvolutionConnector``: one delay (ms; None: the minimum delay)."""
    return _sim.StaticSynapse() if delay is None else _sim.StaticSynapse(delay=delay)


def PoolDense(delay: float | None = None) -> Any:
    """Synapse type for ``PoolDenseConnector``: one delay (ms; None: the minimum delay)."""
    return _sim.StaticSynapse() if delay is None else _sim.StaticSynapse(delay=delay)
