"""sPyNNaker's extra ``Population`` arguments: what each means here, checked by cell type.

sPyNNaker passes ``Population(..., additional_parameters={...}, **kwargs)`` to the cell
type's vertex.  Here each one either steers the mapping or the board (``seed``,
``neurons_per_core`` / ``max_atoms_per_core``, the ``splitter``: :mod:`._splitters`), or
only tunes SpiNNaker hardware and is checked and then has no effect (documented in
docs/PYNN.md), or would change the results in a way spinstream does not model and is
refused.  A name that the cell type does not take raises, naming the argument and the
population.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from typing import Any

from pyNN.space import Grid2D, Grid3D

from spinstream.model import ONE_CORE, SPLITTERS
from spinstream.pyNN._splitters import given_splitter, resolve_splitter

__all__ = ["apply_extras", "atoms_per_core", "atoms_shape", "check_extras", "per_dimension"]


def _int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _whole(v: Any) -> bool:
    return _number(v) and float(v) == int(v) and int(v) >= 1


def per_dimension(value: Any, where: str, name: str) -> int | tuple[int, ...]:
    """Check sPyNNaker's atoms per core: a positive whole number, or one per dimension."""
    if isinstance(value, tuple | list) and len(value) >= 1 and all(_whole(v) for v in value):
        return int(value[0]) if len(value) == 1 else tuple(int(v) for v in value)
    if _whole(value):
        return int(value)
    raise ValueError(
        f"{where}: {name} must be a positive whole number of neurons, or a tuple of them (one "
        f"per dimension of the population's grid), got {value!r}"
    )


def atoms_shape(pop: Any) -> tuple[int, ...]:
    """Return a population's shape as sPyNNaker sees it: its Grid2D/Grid3D size, or (size,)."""
    structure = getattr(pop, "structure", None)
    if isinstance(structure, Grid2D | Grid3D):
        return tuple(int(x) for x in structure.calculate_size(pop.size))
    return (int(pop.size),)


def atoms_per_core(
    value: Any, where: str, name: str = "neurons_per_core", shape: tuple[int, ...] | None = None
) -> int:
    """Return the most neurons one core holds: a positive whole number, or sPyNNaker's tuple.

    A tuple gives the most atoms per core in each dimension of the population's grid
    (``shape``, :func:`atoms_shape`): it must have as many entries as the grid has
    dimensions (as sPyNNaker requires), and the product bounds the neurons of one core.
    sPyNNaker puts a rectangle of the grid on each core (so 7.4.1 also wants each dimension
    a whole multiple of its entry); here a core holds a run of consecutive indices, which
    needs no such condition.  Results do not depend on which neurons share a core, except
    for the random streams, which are per core.
    """
    v = per_dimension(value, where, name)
    if isinstance(v, int):
        return v
    dims = shape if shape is not None else (0,)
    if len(v) != len(dims):
        raise ValueError(
            f"{where}: {name} = {tuple(v)!r} gives {len(v)} dimensions, but the population's "
            f"shape is {dims if shape is not None else 'one-dimensional'} (sPyNNaker: the "
            "maximum per core needs one entry per dimension; give the population a Grid2D "
            "or Grid3D structure, or a whole number)"
        )
    return int(math.prod(v))


def _optional(check: Callable[[Any], bool], rule: str) -> Callable[[Any, str, str], None]:
    def run(value: Any, where: str, name: str) -> None:
        if value is not None and not check(value):
            raise ValueError(f"{where}: {name} must be {rule} (or None), got {value!r}")

    return run


# Hardware tuning: checked, then without effect (no fixed-point ring buffers, no separate
# synapse or delay-extension cores, no colour bits, spikes never dropped as late).
_HARDWARE: dict[str, Callable[[Any, str, str], None]] = {
    "n_synapse_cores": _optional(lambda v: _int(v) and v >= 0, "an integer >= 0"),
    "allow_delay_extensions": _optional(lambda v: isinstance(v, bool), "True or False"),
    "n_colour_bits": _optional(lambda v: _int(v) and 0 <= v <= 32, "an integer in [0, 32]"),
    "spikes_per_second": _optional(lambda v: _number(v) and v > 0, "a number > 0"),
    "ring_buffer_sigma": _optional(lambda v: _number(v) and v > 0, "a number > 0"),
    "incoming_spike_buffer_size": _optional(lambda v: _int(v) and v > 0, "an integer > 0"),
    "drop_late_spikes": _optional(lambda v: isinstance(v, bool), "True or False"),
    "max_expected_summed_weight": _optional(
        lambda v: (
            isinstance(v, list | tuple) and all(_number(x) and x >= 0 for x in v) and len(v) > 0
        ),
        "a list of numbers >= 0 (one per receptor type)",
    ),
    "max_rate": _optional(lambda v: _number(v) and v >= 0, "a number of Hz >= 0"),
}

#: Which names each kind of cell type takes (sPyNNaker 7's vertex arguments).
_NEURON = frozenset(
    {
        "seed",
        "neurons_per_core",
        "max_atoms_per_core",
        "splitter",
        "splitter_object",
        "n_steps_per_timestep",
        "n_synapse_cores",
        "allow_delay_extensions",
        "n_colour_bits",
        "spikes_per_second",
        "ring_buffer_sigma",
        "incoming_spike_buffer_size",
        "drop_late_spikes",
        "max_expected_summed_weight",
    }
)
_SPLIT = frozenset({"neurons_per_core", "max_atoms_per_core", "splitter", "splitter_object"})
_POISSON = _SPLIT | {"seed", "n_colour_bits", "max_rate"}
_ARRAY = _SPLIT | {"n_colour_bits"}
_INJECTOR = _SPLIT | {"virtual_key"}


def _allowed(celltype: Any) -> frozenset[str]:
    name = type(celltype).__name__
    if name == "SpikeSourceArray":
        return _ARRAY
    if name == "SpikeInjector":
        return _INJECTOR
    if name.startswith("SpikeSource"):
        return _POISSON
    return _NEURON


def _virtual_key(value: Any, size: int, where: str) -> int:
    """Check a SpikeInjector's ``virtual_key``: 32 bits, its low bits free for the atoms."""
    if not (_int(value) and 0 <= value < 2**32):
        raise ValueError(f"{where}: virtual_key must be an integer in [0, 2**32), got {value!r}")
    bits = max(0, size - 1).bit_length()
    if int(value) & ((1 << bits) - 1):
        raise ValueError(
            f"{where}: virtual_key {int(value):#x} must have its low {bits} bits clear, so "
            f"that key | atom names each of the {size} atoms"
        )
    return int(value)


def check_extras(celltype: Any, size: int, where: str, extras: Mapping[str, Any]) -> str | None:
    """Check the names of ``extras`` and its splitter; return the splitter's class name.

    Runs before a population is made too (so that a refused splitter leaves no half-made
    population in the network).  A splitter that puts the population on one core refuses a
    ``neurons_per_core`` / ``max_atoms_per_core`` below its size, which it would override.

    Raises
    ------
    TypeError
        A name the cell type does not take.
    ValueError
        A splitter that cannot be honoured, or that contradicts ``neurons_per_core``.
    """
    allowed = _allowed(celltype)
    for name in extras:
        if name not in allowed:
            raise TypeError(
                f"{where}: {type(celltype).__name__} takes no argument {name!r} "
                f"(sPyNNaker's arguments for it: {', '.join(sorted(allowed))})"
            )
    given = given_splitter(extras, where)
    if given is None:
        return None
    arg, value = given
    splitter = resolve_splitter(value, celltype, size, where, arg)
    if splitter is not None and SPLITTERS[splitter] == ONE_CORE:
        for name in ("neurons_per_core", "max_atoms_per_core"):
            if extras.get(name) is None:
                continue
            per_core = per_dimension(extras[name], where, name)
            limit = per_core if isinstance(per_core, int) else math.prod(per_core)
            if limit < size:
                raise ValueError(
                    f"{where}: {arg}={splitter} puts all {size} neurons on one core, but "
                    f"{name}={extras[name]!r} asks for at most {limit} per core; give one "
                    "of them"
                )
    return splitter


def apply_extras(pop: Any, extras: Mapping[str, Any]) -> None:
    """Check sPyNNaker's extra arguments of ``pop`` and apply the ones that mean something.

    Raises
    ------
    TypeError
        A name the cell type does not take (naming it, the population and the valid names).
    ValueError
        A value out of range, a splitter spinstream cannot honour (or one that puts the
        population on one core beside a smaller ``neurons_per_core``), or
        ``n_steps_per_timestep != 1``.
    """
    where = f"Population {pop.label!r}"
    splitter = check_extras(pop.celltype, pop.size, where, extras)
    spec = pop._spec
    spec.splitter = splitter
    for name, value in extras.items():
        if name in ("neurons_per_core", "max_atoms_per_core"):
            if value is not None:
                spec.max_atoms_per_core = atoms_per_core(value, where, name, atoms_shape(pop))
        elif name == "seed":
            if value is not None:
                if not (_int(value) and 0 <= value < 2**64):
                    raise ValueError(f"{where}: seed must be an integer >= 0, got {value!r}")
                spec.seed = int(value)
        elif name == "virtual_key":
            if value is not None:
                spec.virtual_key = _virtual_key(value, spec.size, where)
        elif name in ("splitter", "splitter_object"):
            pass  # checked by check_extras, kept in spec.splitter
        elif name == "n_steps_per_timestep":
            if value != 1:
                raise ValueError(
                    f"{where}: n_steps_per_timestep={value!r}: spinstream integrates once "
                    "per time step; use a smaller timestep in setup() instead"
                )
        else:
            _HARDWARE[name](value, where, name)
