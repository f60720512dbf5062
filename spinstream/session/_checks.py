"""Argument checks shared by the Runtime's methods: clear errors where the user erred."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from spinstream.board import describe_model
from spinstream.model import NetworkSpec, ParameterError, PopulationSpec, check_parameter
from spinstream.model import check_indices as check_neuron_indices

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def check_pop(spec: NetworkSpec, pop: int, role: str = "population") -> PopulationSpec:
    """Return the population with id ``pop``, or raise ``IndexError`` naming it."""
    pops = spec.populations
    if not isinstance(pop, int | np.integer) or not 0 <= pop < len(pops):
        raise IndexError(f"{role} id {pop!r} does not exist (there are {len(pops)})")
    return pops[int(pop)]


def check_indices(p: PopulationSpec, indices: npt.ArrayLike | None) -> IntArray:
    """Neuron indices (``None``: all; a boolean mask; integers) as an int64 array."""
    if indices is None:
        return np.arange(p.size, dtype=np.int64)
    raw = np.asarray(indices)
    if raw.dtype == bool:
        if raw.shape != (p.size,):
            raise IndexError(
                f"a boolean mask of population {p.label!r} needs {p.size} entries, "
                f"got shape {raw.shape}"
            )
        return np.flatnonzero(raw).astype(np.int64)
    if raw.size and not np.issubdtype(raw.dtype, np.integer):
        raise TypeError(f"neuron indices must be integers, got dtype {raw.dtype}")
    return check_neuron_indices(p.label, p.size, raw)


def check_values(name: str, values: npt.ArrayLike, n: int) -> FloatArray:
    """One number or ``n`` numbers (not NaN) as a float64 array of length ``n``."""
    try:
        v = np.asarray(values, dtype=np.float64)
        out = np.broadcast_to(v, (n,)).copy() if v.ndim <= 1 else None
    except (TypeError, ValueError):
        out = None
    if out is None:
        raise ParameterError(
            f"{name}: expected a number or {n} numbers, got {np.shape(values)} ({values!r:.60})"
        )
    if np.isnan(out).any():
        raise ParameterError(f"{name}: values must not be NaN")
    return out


def check_param_values(p: PopulationSpec, name: str, values: npt.ArrayLike, n: int) -> FloatArray:
    """:func:`check_values`, then the parameter's constraint from the model's description."""
    out = check_values(f"population {p.label!r}: {name}", values, n)
    model = describe_model(p.model)
    if model is not None and name in model.pynn_params:
        out = check_parameter(model, p.label, name, out, n)
    return out


def signed_weights(p: PopulationSpec) -> bool:
    """Tell whether synapses onto ``p`` carry signed weights (see ModelDescription)."""
    model = describe_model(p.model)
    return model is not None and model.is_composed and model.signed_weights


def check_interval(interval_steps: int) -> None:
    """Raise ``ValueError`` unless ``interval_steps`` is a positive integer."""
    if (
        not isinstance(interval_steps, int | np.integer)
        or isinstance(interval_steps, bool)
        or interval_steps < 1
    ):
        raise ValueError(
            f"interval_steps must be a positive integer number of steps, got {interval_steps!r}"
        )


def copy_set(a: FloatArray, idx: IntArray, values: FloatArray) -> FloatArray:
    """Return ``a`` with ``a[idx] = values`` as a new array.

    The spec is changed copy-on-write because a board may hold references to its arrays.
    """
    out = np.array(a, dtype=np.float64, copy=True)
    out[idx] = values
    return out
