"""sPyNNaker's splitters as plain data: which class name splits a population how.

A splitter decides how a population's application vertex becomes machine vertices (cores).
A :class:`~spinstream.model.PopulationSpec` names the one its user gave (``splitter``, the
sPyNNaker class name) or ``None`` (spinstream's own split).  Only the splitters whose
meaning the virtual board has are listed; the front end refuses the others, with why.
Splitters change where neurons run, not the network; random streams are per core, so a
Poisson source put on other cores draws other numbers (as with ``max_atoms_per_core``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["FIXED", "ONE_CORE", "SPLITTERS", "core_atoms", "on_one_core"]

#: Slices of at most ``max_atoms_per_core`` neurons, one core each (spinstream's split).
FIXED = "fixed"
#: The whole population on one core, whatever ``max_atoms_per_core`` says.
ONE_CORE = "one core"

#: sPyNNaker / PACMAN splitter class name -> how it splits a population here.
#: ``SplitterPoissonDelegate`` hands a source to its target's cores only when that target
#: has separate synapse cores (``SplitterPopulationVertexNeuronsSynapses``), which
#: spinstream refuses: here it always keeps fixed slices of its own.
SPLITTERS: dict[str, str] = {
    "SplitterPopulationVertexFixed": FIXED,
    "SplitterFixedLegacy": FIXED,
    "SplitterPoissonDelegate": FIXED,
    "SplitterOneToOneLegacy": ONE_CORE,
}


def on_one_core(pop: Any) -> bool:
    """Whether the splitter of ``pop`` (a PopulationSpec) puts all its neurons on one core."""
    return SPLITTERS.get(pop.splitter or "") == ONE_CORE


def core_atoms(pop: Any) -> int:
    """Return the most neurons of ``pop`` (a PopulationSpec) that one of its cores holds."""
    if on_one_core(pop):
        return max(int(pop.size), 1)
    return int(pop.max_atoms_per_core)
