"""sPyNNaker's splitter objects (``Population(..., splitter=S)``): which ones mean what here.

A splitter decides how sPyNNaker cuts a population's application vertex into machine
vertices (cores).  Here a population is cut by PACMAN too (:mod:`spinstream.mapping`), so
the splitters whose cut the virtual board makes are honoured, and named in the mapping
report; the others are refused with the reason.  A splitter changes which core runs a
neuron, not the network; but random streams are per core, so a Poisson source that
``SplitterOneToOneLegacy`` moves onto one core draws other numbers (as another
``neurons_per_core`` would).

=======================================  ==================  ===============================
splitter (sPyNNaker 7 / PACMAN)          on                  here
=======================================  ==================  ===============================
``SplitterPopulationVertexFixed``        neuron populations  slices of ``neurons_per_core``
``SplitterFixedLegacy``                  spike sources       slices of ``neurons_per_core``
``SplitterPoissonDelegate``              Poisson sources     slices of ``neurons_per_core``
``SplitterOneToOneLegacy``               spike sources       the whole population, one core
``SplitterPopulationVertexNeuronsSynapses``, ``SplitterDelayVertexSlice``,
``SplitterExternalDevice``, ``SplitterOneAppOneMachine``, others: refused (see ``_REFUSED``)
=======================================  ==================  ===============================

As in sPyNNaker 7.4.1, a neuron population takes only ``SplitterPopulationVertex`` kinds
and a spike source only PACMAN's legacy ones (its vertices are ``LegacyPartitionerAPI``).
Objects are matched by class name and module (PACMAN's, sPyNNaker's, or the stand-ins of
:mod:`spinstream.spinnaker.extra_algorithms.splitter_components` where sPyNNaker is not
installed), never by importing sPyNNaker; a subclass of one of these, with a split of its
own, is refused.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from spinstream.board import MAX_ATOMS_PER_CORE
from spinstream.model import ONE_CORE, SPLITTERS

__all__ = [
    "SPLITTER_NAMES",
    "given_splitter",
    "n_neurons",
    "one_core_asked",
    "resolve_splitter",
]

#: The argument names that give a population its splitter: sPyNNaker 7's ``splitter``, and
#: ``splitter_object``, the spelling of sPyNNaker's example scripts (7.4.1 itself logs that
#: it ignores that name and uses its default splitter; here it means what ``splitter`` does).
SPLITTER_NAMES = ("splitter", "splitter_object")

#: Modules whose classes are matched by name: PACMAN's, sPyNNaker's, and this package's
#: stand-ins for sPyNNaker's (``spynnaker.pyNN`` resolves to spinstream.spinnaker when
#: sPyNNaker is not installed).
_MODULES = ("pacman.", "spynnaker.", "spinstream.spinnaker.extra_algorithms.")

_NEURON = frozenset({"SplitterPopulationVertexFixed"})
_SOURCE = frozenset({"SplitterFixedLegacy", "SplitterOneToOneLegacy", "SplitterPoissonDelegate"})
_POISSON = ("SpikeSourcePoisson", "SpikeSourcePoissonVariable")

#: Splitters of sPyNNaker's that spinstream cannot honour, and why.
_REFUSED = {
    "SplitterPopulationVertexNeuronsSynapses": (
        "it puts a population's synapse processing on cores of their own, apart from its "
        "neurons (n_synapse_vertices); a core of spinstream's board processes the synapses "
        "of its own neurons, so that split does not exist here (SplitterPopulationVertexFixed, "
        "or no splitter, runs the same network)"
    ),
    "SplitterDelayVertexSlice": (
        "it splits sPyNNaker's delay-extension vertices, not populations; spinstream has no "
        "delay extensions (each core's delay ring holds delays up to max_delay)"
    ),
    "SplitterExternalDevice": (
        "it splits sPyNNaker's SpiNNaker-link and FPGA device vertices (external_devices), "
        "not populations of cells"
    ),
    "SplitterOneAppOneMachine": (
        "it is for vertices that are one machine vertex by construction "
        "(AbstractOneAppOneMachineVertex), which no population of cells is"
    ),
    "SplitterPopulationVertex": "it is an abstract base class; give a concrete splitter",
    "AbstractSplitterCommon": "it is an abstract base class; give a concrete splitter",
}


def _is_source(celltype: Any) -> bool:
    name = type(celltype).__name__
    return name.startswith("SpikeSource") or name == "SpikeInjector"


def _class_name(value: Any) -> str | None:
    """Return the sPyNNaker/PACMAN class name of a splitter object, or ``None``."""
    cls = type(value)
    known = cls.__name__ in _NEURON | _SOURCE or cls.__name__ in _REFUSED
    if known and cls.__module__.startswith(_MODULES):
        return cls.__name__
    return None


def _unknown(value: Any, where: str, arg: str) -> ValueError:
    cls = type(value)
    bases = [
        b.__name__
        for b in cls.__mro__[1:]
        if b.__module__.startswith(_MODULES) and b.__name__ in _NEURON | _SOURCE
    ]
    if bases:
        why = (
            f"a subclass of {bases[0]} ({cls.__module__}.{cls.__qualname__}): its own "
            "split is code spinstream does not run; give the sPyNNaker class itself"
        )
    else:
        why = f"{cls.__module__}.{cls.__qualname__} is not a sPyNNaker splitter spinstream knows"
    honoured = ", ".join(sorted(SPLITTERS))
    return ValueError(f"{where}: {arg}={value!r}: {why} (honoured here: {honoured}, or None)")


def resolve_splitter(value: Any, celltype: Any, size: int, where: str, arg: str) -> str | None:
    """Check a population's splitter object; return its class name (``None``: no splitter).

    Parameters
    ----------
    value
        The object given as ``splitter`` (or ``splitter_object``), or ``None``.
    celltype
        The population's cell type instance.
    size
        Number of neurons of the population.
    where, arg
        How errors name the population and the argument.

    Raises
    ------
    ValueError
        A splitter spinstream cannot honour (naming the population, the class and why), one
        that does not fit the cell type (as in sPyNNaker), or ``SplitterOneToOneLegacy`` on
        more neurons than one core holds.
    """
    if value is None:
        return None
    name = _class_name(value)
    if name is None:
        raise _unknown(value, where, arg)
    cell = type(celltype).__name__
    if name in _REFUSED:
        raise ValueError(f"{where}: {arg}={name}: spinstream cannot honour it: {_REFUSED[name]}")
    if name in _NEURON and _is_source(celltype):
        raise ValueError(
            f"{where}: {arg}={name} splits neuron populations, and {cell} is a spike source "
            "(as in sPyNNaker, spike sources take SplitterFixedLegacy or SplitterOneToOneLegacy)"
        )
    if name in _SOURCE and not _is_source(celltype):
        raise ValueError(
            f"{where}: {arg}={name} splits sPyNNaker's legacy vertices (spike sources), and "
            f"{cell} is a neuron model (as in sPyNNaker, neuron populations take "
            "SplitterPopulationVertexFixed)"
        )
    if name == "SplitterPoissonDelegate" and cell not in _POISSON:
        raise ValueError(
            f"{where}: {arg}={name} splits Poisson sources only (sPyNNaker's "
            f"SpikeSourcePoissonVertex), and this population is a {cell}"
        )
    if SPLITTERS[name] == ONE_CORE and size > MAX_ATOMS_PER_CORE:
        raise ValueError(
            f"{where}: {arg}={name} puts all {size} neurons on one core, but a core of "
            f"spinstream's board holds at most {MAX_ATOMS_PER_CORE}; use SplitterFixedLegacy "
            "or no splitter"
        )
    return name


def given_splitter(extras: Mapping[str, Any], where: str) -> tuple[str, Any] | None:
    """Return the ``(argument name, object)`` of the splitter in ``extras``, or ``None``.

    Raises
    ------
    ValueError
        When both spellings are given, with different objects.
    """
    given = [(n, extras[n]) for n in SPLITTER_NAMES if extras.get(n) is not None]
    if len(given) == 2 and given[0][1] is not given[1][1]:
        raise ValueError(
            f"{where}: both splitter={given[0][1]!r} and splitter_object={given[1][1]!r} are "
            "given; give one"
        )
    return given[0] if given else None


def one_core_asked(extras: Mapping[str, Any]) -> bool:
    """Whether ``extras`` name a splitter that puts the population on one core (no checks)."""
    for n in SPLITTER_NAMES:
        name = _class_name(extras.get(n))
        if name is not None and SPLITTERS.get(name) == ONE_CORE:
            return True
    return False


def n_neurons(size: Any) -> int:
    """Return the number of neurons of a PyNN size (an int or a tuple of dimensions)."""
    if isinstance(size, tuple):
        return int(math.prod(int(d) for d in size))
    return int(size)
