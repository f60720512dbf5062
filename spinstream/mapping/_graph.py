"""The PACMAN application graph of a network: one vertex per population, one edge per pair."""

from __future__ import annotations

from collections.abc import Sequence

from pacman.data.pacman_data_writer import PacmanDataWriter
from pacman.model.graphs.application import ApplicationEdge, ApplicationVertex
from pacman.model.graphs.common import Slice
from pacman.model.graphs.machine import MachineVertex, SimpleMachineVertex
from pacman.model.partitioner_interfaces import LegacyPartitionerAPI
from pacman.model.partitioner_splitters import SplitterFixedLegacy, SplitterOneToOneLegacy
from pacman.model.resources import AbstractSDRAM, ConstantSDRAM

from spinstream.model import NetworkSpec, core_atoms, on_one_core

#: The one outgoing edge partition of every population: its spikes.
PARTITION = "spikes"

Location = tuple[int, int, int]


class PopulationVertex(ApplicationVertex[MachineVertex], LegacyPartitionerAPI):
    """A population as PACMAN sees it: ``size`` atoms, split into fixed-size slices.

    PACMAN's own splitters do the split: ``SplitterFixedLegacy`` (slices of at most
    ``max_atoms_per_core``), or ``SplitterOneToOneLegacy`` (one core for every atom) when
    ``one_core`` is set (sPyNNaker's splitter of that name on the population).

    Parameters
    ----------
    pop_id
        The population's id in the network spec.
    n_atoms
        Number of neurons.
    max_atoms_per_core
        Largest slice that one core holds.
    label
        Label for PACMAN's reports and errors.
    locations
        One fixed (x, y, p) per core in atom order, or empty for no constraint.
    one_core
        Put every atom on one core (``max_atoms_per_core`` must then be ``n_atoms``).
    """

    def __init__(
        self,
        pop_id: int,
        n_atoms: int,
        max_atoms_per_core: int,
        label: str,
        locations: Sequence[Location] = (),
        one_core: bool = False,
    ) -> None:
        # PACMAN's splitters may ask for n_atoms while the base class initialises.
        self.pop_id = pop_id
        self._n_atoms = n_atoms
        self._atoms_per_core = max_atoms_per_core
        self._locations = list(locations)
        splitter = SplitterOneToOneLegacy() if one_core else SplitterFixedLegacy()
        super().__init__(label=label, max_atoms_per_core=max_atoms_per_core, splitter=splitter)

    @property
    def n_atoms(self) -> int:
        """Number of neurons in the population."""
        return self._n_atoms

    def get_sdram_used_by_atoms(self, vertex_slice: Slice) -> AbstractSDRAM:
        """Claim no SDRAM: the board emulates cores on the host, so only cores are scarce."""
        return ConstantSDRAM(0)

    def create_machine_vertex(
        self, vertex_slice: Slice, sdram: AbstractSDRAM, label: str | None = None
    ) -> MachineVertex:
        """One core's worth of the population, pinned where its constraint says."""
        vertex = SimpleMachineVertex(sdram, label, app_vertex=self, vertex_slice=vertex_slice)
        if self._locations:
            x, y, p = self._locations[vertex_slice.lo_atom // self._atoms_per_core]
            vertex.set_fixed_location(x, y, p)
        return vertex


def add_network(
    writer: PacmanDataWriter, spec: NetworkSpec, locations: dict[int, list[Location]]
) -> list[PopulationVertex]:
    """Add fresh vertices and edges for ``spec`` to PACMAN's graph.

    Returns
    -------
    list of PopulationVertex
        The vertices, in population id order.
    """
    vertices = [
        PopulationVertex(
            pop.id,
            int(pop.size),
            core_atoms(pop),
            pop.label,
            locations.get(pop.id, ()),
            one_core=on_one_core(pop),
        )
        for pop in spec.populations
    ]
    for vertex in vertices:
        writer.add_vertex(vertex)
    pairs = dict.fromkeys((proj.pre, proj.post) for proj in spec.projections)
    for pre, post in pairs:
        writer.add_edge(ApplicationEdge(vertices[pre], vertices[post]), PARTITION)
    return vertices
