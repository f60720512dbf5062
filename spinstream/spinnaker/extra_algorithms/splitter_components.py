"""Stand-ins for sPyNNaker's splitter classes, where sPyNNaker is not installed.

``from spynnaker.pyNN.extra_algorithms.splitter_components import
SplitterPopulationVertexFixed`` resolves here when the ``spynnaker`` package is absent
(docs/PYNN.md, the start-up hook), so that scripts which give their populations splitters
run unchanged.  These objects only name a splitter; what each means on spinstream's board,
and which are refused, is :mod:`spinstream.pyNN._splitters` (the same for sPyNNaker's own
objects).  PACMAN's splitters (``pacman.model.partitioner_splitters``) need no stand-ins:
PACMAN is installed with spinstream.
"""

from __future__ import annotations

__all__ = [
    "SplitterDelayVertexSlice",
    "SplitterPoissonDelegate",
    "SplitterPopulationVertex",
    "SplitterPopulationVertexFixed",
    "SplitterPopulationVertexNeuronsSynapses",
]


class SplitterPopulationVertex:
    """Base of the splitters of neuron populations (abstract, as in sPyNNaker)."""

    def __init__(self) -> None:
        if type(self) is SplitterPopulationVertex:
            raise TypeError(
                "SplitterPopulationVertex is abstract: use SplitterPopulationVertexFixed"
            )

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class SplitterPopulationVertexFixed(SplitterPopulationVertex):
    """Fixed slices of at most ``neurons_per_core`` neurons, neurons and synapses together."""


class SplitterPopulationVertexNeuronsSynapses(SplitterPopulationVertex):
    """Neurons and synapse processing on separate cores: refused by spinstream's board."""


class SplitterPoissonDelegate:
    """Poisson sources in fixed slices (sPyNNaker's default splitter for them)."""

    def __repr__(self) -> str:
        return "SplitterPoissonDelegate()"


class SplitterDelayVertexSlice:
    """sPyNNaker's delay-extension vertices' splitter: refused (no delay extensions here)."""

    def __repr__(self) -> str:
        return "SplitterDelayVertexSlice()"
