"""sPyNNaker's stochastic extra models: engine models of spinstream (kernels_c/models).

Each is the PyNN cell type that :mod:`spinstream.pyNN` generates from the engine's own
description of the model (one C file each); docs/MODELS.md gives their definitions.  Their
random draws come from the generator of the core that runs them, seeded from the network's
seed or the population's ``seed=``: the same seed gives the same spikes whatever the chunking.
``SpikeSourcePoissonVariable`` takes sPyNNaker's ``rates``/``starts``/``durations`` lists and
fills the engine model's window rows (``rate_k``, ``start_k``, ``duration_k``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from pyNN import errors

import spinstream.pyNN as _pynn

__all__ = [
    "IFCondExpStoc",
    "IFCurrDeltaFixedProb",
    "SpikeSourcePoissonVariable",
    "StocExp",
    "StocExpStable",
    "StocSigma",
]

#: Windows per neuron of the engine's SpikeSourcePoissonVariable (its rows rate_0, start_0, ...).
MAX_WINDOWS = sum(
    1 for name in _pynn.SpikeSourcePoissonVariable.default_parameters if name.startswith("rate_")
)

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


_CLASS = "SpikeSourcePoissonVariable"


def _per_neuron(value: Any) -> bool:
    """Whether ``value`` is a list of lists (one list per neuron), not one list for all."""
    return isinstance(value, Sequence | np.ndarray) and any(
        isinstance(v, Sequence | np.ndarray) for v in value
    )


def _floats(value: Any, name: str, where: str) -> list[float]:
    try:
        out = [float(v) for v in value]
    except (TypeError, ValueError):
        raise errors.InvalidParameterValueError(
            f"{where}: {name} must be numbers, got {value!r}"
        ) from None
    return out


def _windows(
    rates: Any, starts: Any, durations: Any, i: int | None
) -> tuple[list[float], list[float], list[float]]:
    """One neuron's (or every neuron's) windows, checked; ``i`` names the neuron."""
    where = _CLASS if i is None else f"{_CLASS} neuron {i}"
    r = _floats(rates[i] if i is not None and _per_neuron(rates) else rates, "rates", where)
    if starts is None:
        if len(r) > 1:
            raise errors.InvalidParameterValueError(
                f"{where}: starts must be given when there are several rates, got rates={r}"
            )
        s = [0.0] * len(r)
    else:
        s = _floats(
            starts[i] if i is not None and _per_neuron(starts) else starts, "starts", where
        )
    if durations is None:
        d = [math.inf] * len(r)
    else:
        d = _floats(
            durations[i] if i is not None and _per_neuron(durations) else durations,
            "durations",
            where,
        )
    if not len(r) == len(s) == len(d):
        raise errors.InvalidParameterValueError(
            f"{where}: rates, starts and durations must have one value per window, got "
            f"{len(r)} rates, {len(s)} starts and {len(d)} durations"
        )
    if len(r) > MAX_WINDOWS:
        raise errors.InvalidParameterValueError(
            f"{where}: at most {MAX_WINDOWS} rate windows per neuron, got {len(r)}"
        )
    for name, vals, inf_ok in (("rates", r, False), ("starts", s, False), ("durations", d, True)):
        bad = [v for v in vals if not (v >= 0 and (inf_ok or math.isfinite(v)))]
        if bad:
            kind = ">= 0 (inf allowed)" if inf_ok else "finite and >= 0"
            raise errors.InvalidParameterValueError(
                f"{where}: {name} must be {kind}, got {bad[0]!r}"
            )
    if any(b < a for a, b in itertools.pairwise(s)):
        raise errors.InvalidParameterValueError(
            f"{where}: starts must be in increasing order, got {s}"
        )
    return r, s, d


class SpikeSourcePoissonVariable(_pynn.SpikeSourcePoissonVariable):  # type: ignore[misc]
    """Poisson spike sources whose rate changes at given times (sPyNNaker's extra model).

    Window ``k`` of a neuron fires at ``rates[k]`` Hz from ``starts[k]`` ms for
    ``durations[k]`` ms (default: without end), or until the next window starts, whichever
    comes first; after a window ends the neuron is silent until the next one starts.

    Parameters
    ----------
    rates
        Hz: one list for every neuron, or one list per neuron.
    starts
        ms, in increasing order, as ``rates`` (may be left out for a single rate: 0 ms).
    durations
        ms, as ``rates``, or ``None``: every window lasts until the next one starts (the last
        one without end).
    """

    def __init__(self, rates: Any, starts: Any = None, durations: Any = None) -> None:
        sizes = {len(v) for v in (rates, starts, durations) if v is not None and _per_neuron(v)}
        if len(sizes) > 1:
            raise errors.InvalidParameterValueError(
                f"{_CLASS}: rates, starts and durations given per neuron must list the same "
                f"number of neurons, got {sorted(sizes)}"
            )
        if not sizes:
            per = [_windows(rates, starts, durations, None)]
        else:
            per = [_windows(rates, starts, durations, i) for i in range(sizes.pop())]
        flat: dict[str, Any] = {}
        for k in range(max(len(r) for r, _, _ in per)):
            # a neuron with fewer windows: unused ones (duration 0) at its last start
            rate = [r[k] if k < len(r) else 0.0 for r, _, _ in per]
            start = [s[k] if k < len(s) else (s[-1] if s else 0.0) for _, s, _ in per]
            dur = [d[k] if k < len(d) else 0.0 for _, _, d in per]
            for name, vals in (("rate", rate), ("start", start), ("duration", dur)):
                flat[f"{name}_{k}"] = vals[0] if len(per) == 1 else vals
        super().__init__(**flat)
