"""Run PACMAN on a network spec and read its results back as plain data.

The pipeline: application graph -> ``splitter_partitioner`` -> virtual machine ->
``place_application_graph`` -> ``route_application_graph`` -> ``flexible_allocate`` (one key
block per core) -> ``merged_routing_table_generator``.  Nothing PACMAN made survives
:func:`run_pacman`: the plan holds ints, tuples and the model's dataclasses only.
"""

from __future__ import annotations

import os
from typing import NamedTuple

from pacman.data import PacmanDataView
from pacman.exceptions import PacmanException, PacmanPlaceException
from pacman.model.placements import Placements
from pacman.model.routing_tables import AbstractMulticastRoutingTable, MulticastRoutingTables
from pacman.operations.multi_cast_router_check_functionality import valid_routes_checker
from pacman.operations.partition_algorithms import splitter_partitioner
from pacman.operations.placer_algorithms import place_application_graph
from pacman.operations.router_algorithms import route_application_graph
from pacman.operations.routing_info_allocator_algorithms.zoned_routing_info_allocator import (
    flexible_allocate,
)
from pacman.operations.routing_table_generators import merged_routing_table_generator
from spinn_machine import Machine, MulticastRoutingEntry

from spinstream.mapping._contain import pacman_session
from spinstream.mapping._graph import PARTITION, PopulationVertex, add_network
from spinstream.mapping._machine import (
    MAX_BOARDS,
    check_constraint_shapes,
    choose_machine,
    resolve_placements,
)
from spinstream.mapping._routes import Links, resolve_routes
from spinstream.model import (
    CoreSlice,
    MappingError,
    MappingPlan,
    NetworkSpec,
    RoutingEntry,
    core_atoms,
)


def cores_needed(spec: NetworkSpec) -> list[int]:
    """Count the cores each population needs, in id order (its splitter's split)."""
    return [-(-int(p.size) // core_atoms(p)) for p in spec.populations]


def run_pacman(
    spec: NetworkSpec, *, n_boards: int | None, progress: bool, validate: bool = False
) -> MappingPlan:
    """Map a checked spec with PACMAN.

    Parameters
    ----------
    spec
        The network; populations must have dense ids and valid sizes.
    n_boards
        Fixed number of boards, or ``None`` to grow from one board.  When growing, a machine
        on which PACMAN's placer fails (free cores split into islands too small for a
        population) is replaced by the next larger one.
    progress
        Show PACMAN's progress bars.
    validate
        Also run PACMAN's own route checker (``validate_routes``) on the tables.

    Raises
    ------
    MappingError
        When constraints cannot be honoured, the machine is too small, or PACMAN fails.
    """
    n_cores = cores_needed(spec)
    at_least = 1
    while True:
        try:
            mapped = _run_once(spec, n_cores, n_boards, at_least, progress, validate)
            break
        except _PlacementFailed as failed:
            if n_boards is not None or failed.n_boards >= MAX_BOARDS:
                raise MappingError(
                    f"PACMAN could not place the network on the {failed.n_boards}-board "
                    "machine (its free cores are split into groups too small for a "
                    f"population): {failed.args[0]}"
                ) from failed
            at_least = failed.n_boards + 1
    pop_cores: dict[int, list[int]] = {p.id: [] for p in spec.populations}
    for cid, core in enumerate(mapped.cores):
        pop_cores[core.pop].append(cid)
    return MappingPlan(
        cores=mapped.cores,
        pop_cores=pop_cores,
        routes=resolve_routes(mapped.cores, mapped.tables, mapped.links),
        tables=mapped.tables,
        n_boards=mapped.n_boards,
        width=mapped.width,
        height=mapped.height,
        labels={p.id: p.label for p in spec.populations},
        splitters={p.id: p.splitter for p in spec.populations if p.splitter is not None},
    )


class _PlacementFailed(Exception):
    """PACMAN's placer gave up on a machine with enough cores in total."""

    def __init__(self, message: str, n_boards: int) -> None:
        super().__init__(message)
        self.n_boards = n_boards


class _Mapped(NamedTuple):
    """What one PACMAN run leaves behind, as plain data."""

    cores: list[CoreSlice]
    tables: dict[tuple[int, int], list[RoutingEntry]]
    links: Links
    n_boards: int
    width: int
    height: int


def _run_once(
    spec: NetworkSpec,
    n_cores: list[int],
    n_boards: int | None,
    at_least: int,
    progress: bool,
    validate: bool,
) -> _Mapped:
    with pacman_session(progress=progress) as writer:
        version = PacmanDataView.get_machine_version()
        pops = spec.populations
        constraints = check_constraint_shapes(pops, n_cores, version)
        machine = choose_machine(pops, n_cores, constraints, version, n_boards, at_least)
        locations = resolve_placements(pops, n_cores, constraints, machine)
        vertices = add_network(writer, spec, locations)
        n_boards_used = len(machine.ethernet_connected_chips)
        try:
            splitter_partitioner()
            writer.set_machine(machine)
            try:
                writer.set_placements(place_application_graph(Placements()))
            except PacmanPlaceException as exc:
                # The report it mentions went to os.devnull (see _contain).
                text = str(exc).replace(f"Report written to {os.devnull}.", "").strip()
                raise _PlacementFailed(text, n_boards_used) from exc
            writer.set_routing_table_by_partition(route_application_graph())
            senders = {e.pre for e in spec.projections}
            silent = [(v, PARTITION) for v in vertices if v.pop_id not in senders]
            writer.set_routing_infos(flexible_allocate(silent))
            pacman_tables = merged_routing_table_generator()
            if validate:
                _validate_routes(pacman_tables)
        except PacmanException as exc:
            raise MappingError(f"PACMAN could not map the network: {exc}") from exc
        return _Mapped(
            cores=_cores(vertices),
            tables=_tables(pacman_tables),
            links=_links(machine),
            n_boards=n_boards_used,
            width=machine.width,
            height=machine.height,
        )


def _validate_routes(tables: MulticastRoutingTables) -> None:
    """PACMAN's ``validate_routes``, less one off-by-one.

    When 1!7.4.1 looks at an entry that does not match a core's key, it takes the core's keys
    to run from ``key`` to ``key + n_atoms`` inclusive, one too many: a core whose atoms fill
    its key block (256 atoms, 8 bits) then "overlaps" the entry of the next core's block on
    the same chip and the check fails on correct tables.  Entry lookups here see one atom
    fewer; the check that every key of a core hits the entry still uses all of them.
    """
    checker = valid_routes_checker
    locate = checker._locate_routing_entry

    def locate_fixed(
        current_router: AbstractMulticastRoutingTable, key: int, n_atoms: int
    ) -> MulticastRoutingEntry:
        return locate(current_router, key, max(n_atoms - 1, 1))

    checker._locate_routing_entry = locate_fixed
    try:
        checker.validate_routes(tables)
    finally:
        checker._locate_routing_entry = locate


def _cores(vertices: list[PopulationVertex]) -> list[CoreSlice]:
    infos = PacmanDataView.get_routing_infos()
    cores = []
    for vertex in vertices:
        for m_vertex in sorted(vertex.machine_vertices, key=lambda m: m.vertex_slice.lo_atom):
            place = PacmanDataView.get_placement_of_vertex(m_vertex)
            info = infos.get_info_from(m_vertex, PARTITION)
            atoms = m_vertex.vertex_slice
            core = CoreSlice(
                pop=vertex.pop_id,
                lo=atoms.lo_atom,
                hi=atoms.hi_atom + 1,
                x=place.x,
                y=place.y,
                p=place.p,
                key=info.key,
                mask=info.mask,
            )
            if core.n_atoms > (~core.mask & 0xFFFFFFFF) + 1 or core.key & ~core.mask:
                raise MappingError(f"PACMAN gave core {core} a key block too small for its atoms")
            cores.append(core)
    return cores


def _tables(tables: MulticastRoutingTables) -> dict[tuple[int, int], list[RoutingEntry]]:
    return {
        (table.x, table.y): [
            RoutingEntry(
                key=e.key,
                mask=e.mask,
                links=tuple(sorted(e.link_ids)),
                processors=tuple(sorted(e.processor_ids)),
            )
            for e in table.multicast_routing_entries
        ]
        for table in sorted(tables.routing_tables, key=lambda t: (t.x, t.y))
    }


def _links(machine: Machine) -> Links:
    return {
        (chip.x, chip.y, link.source_link_id): (link.destination_x, link.destination_y)
        for chip in machine.chips
        for link in chip.router.links
    }
