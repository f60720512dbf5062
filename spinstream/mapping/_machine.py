"""Choose the virtual machine and check placement constraints against it.

Boards are handed out the way an allocation server hands them out (spinn_machine's
``virtual_machine_by_boards``): one 48-chip board, or a rectangle of triads of three boards.
Asking for 2 boards therefore gives a 3-board machine; plans report the boards they got.

Everything here runs inside :func:`spinstream.mapping._contain.pacman_session` (the machine
version comes from the cfg) but before any PACMAN algorithm, so that the errors a user can
fix are raised before work starts.
"""

from __future__ import annotations

import numbers
from collections import defaultdict
from collections.abc import Sequence

from spinn_machine import Machine
from spinn_machine.version.abstract_version import AbstractVersion
from spinn_machine.virtual_machine import virtual_machine_by_boards

from spinstream.model import MappingError, PopulationSpec

#: Automatic growth stops here (the size of the largest SpiNNaker machine ever built).
MAX_BOARDS = 1200

# Measured on SpiNN-5 triad layouts up to 127 boards: a chip that is absent from a machine
# that extends at least this far beyond it in x and in y is absent from every larger one.
_SETTLED_MARGIN = 13

Location = tuple[int, int, int]
#: Population id -> its placement constraint, (x, y) or (x, y, p).
Constraints = dict[int, tuple[int, ...]]


def _label(pop: PopulationSpec) -> str:
    return f"population {pop.label!r} (id {pop.id})"


def user_cores_per_board(version: AbstractVersion) -> int:
    """Cores per board that can hold a population (all but the monitor cores)."""
    total = sum(version.chip_core_map.values())
    return int(total - version.n_scamp_cores * version.n_chips_per_board)


def boards_in(version: AbstractVersion, size: tuple[int, int]) -> int:
    """Count the boards in a virtual machine of ``size`` (width, height) chips."""
    if tuple(size) == tuple(version.board_shape):
        return 1
    return len(version.get_potential_ethernet_chips(*size))


def max_cores_on_a_chip(version: AbstractVersion) -> int:
    """Largest number of population cores that any one chip offers."""
    return int(version.max_cores_per_chip - version.n_scamp_cores)


def _size(version: AbstractVersion, n_boards: int) -> tuple[int, int]:
    width, height = version.size_from_n_boards(n_boards)
    return int(width), int(height)


def _size_name(version: AbstractVersion, size: tuple[int, int]) -> str:
    return f"{boards_in(version, size)}-board machine ({size[0]}x{size[1]} chips)"


def check_constraint_shapes(
    pops: Sequence[PopulationSpec], n_cores: Sequence[int], version: AbstractVersion
) -> Constraints:
    """Reject placement constraints that no machine could honour.

    Parameters
    ----------
    pops
        The populations, in id order.
    n_cores
        Number of cores each population needs.
    version
        The board version (cores per chip).

    Returns
    -------
    dict
        Population id -> its constraint as a tuple of ints (constrained populations only).

    Raises
    ------
    MappingError
        Naming the population and its constraint.
    """
    most = max_cores_on_a_chip(version)
    per_chip: dict[tuple[int, int], list[int]] = defaultdict(list)
    taken: dict[Location, int] = {}
    constraints: Constraints = {}
    for pop in pops:
        if pop.placement is None:
            continue
        where = _as_location(pop)
        constraints[pop.id] = where
        x, y = where[0], where[1]
        n = n_cores[pop.id]
        if n > most:
            raise MappingError(
                f"{_label(pop)}: placement {where} puts all {n} of its cores on one "
                f"chip, but a chip has at most {most} cores; raise max_atoms_per_core "
                "or drop the constraint"
            )
        if len(where) == 3:
            first = where[2]
            if first < 1 or first + n - 1 > most:
                raise MappingError(
                    f"{_label(pop)}: placement {where} needs cores {first}..{first + n - 1}"
                    f" but cores 1..{most} hold populations (core 0 is the monitor)"
                )
            for p in range(first, first + n):
                other = taken.setdefault((x, y, p), pop.id)
                if other != pop.id:
                    raise MappingError(
                        f"{_label(pop)}: placement {where} wants core ({x}, {y}, {p}), "
                        f"which {_label(pops[other])} also wants"
                    )
        per_chip[x, y].append(pop.id)
    for (x, y), ids in per_chip.items():
        need = sum(n_cores[i] for i in ids)
        if need > most:
            names = ", ".join(f"{pops[i].label!r} ({n_cores[i]} cores)" for i in ids)
            raise MappingError(
                f"placement constraints put {need} cores on chip ({x}, {y}) "
                f"(populations {names}), but a chip has at most {most} cores"
            )
    return constraints


def _as_location(pop: PopulationSpec) -> tuple[int, ...]:
    where = pop.placement
    valid = isinstance(where, tuple | list) and len(where) in (2, 3)
    valid = valid and all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 0 for v in where or ()
    )
    if not valid:
        raise MappingError(
            f"{_label(pop)}: placement {where!r} is not (x, y) or (x, y, p) "
            "with non-negative integers"
        )
    return tuple(int(v) for v in where or ())


def choose_machine(
    pops: Sequence[PopulationSpec],
    n_cores: Sequence[int],
    constraints: Constraints,
    version: AbstractVersion,
    n_boards: int | None,
    at_least: int = 1,
) -> Machine:
    """Build the virtual machine the network is mapped onto.

    Parameters
    ----------
    pops, n_cores
        The populations and the number of cores each needs.
    constraints
        Placement constraints, from :func:`check_constraint_shapes`.
    version
        The board version.
    n_boards
        ``None``: the smallest machine, grown by whole boards, that has enough cores and
        every constrained chip; an int: the machine an allocation server gives for that
        many boards.
    at_least
        When growing, consider only machines of at least this many boards.

    Raises
    ------
    MappingError
        When a fixed machine is too small (naming cores needed and available and the
        largest population), or when no machine up to :data:`MAX_BOARDS` boards fits.
    """
    need = sum(n_cores)
    per_board = user_cores_per_board(version)
    chips = {(where[0], where[1]) for where in constraints.values()}
    if n_boards is not None:
        size = _size(version, n_boards)
        available = boards_in(version, size) * per_board
        if need > available:
            raise MappingError(_too_small(pops, n_cores, need, available, version, size))
        return virtual_machine_by_boards(n_boards)

    last_size = (0, 0)
    for n in range(at_least, MAX_BOARDS + 1):
        size = _size(version, n)
        if size == last_size:
            continue
        last_size = size
        width, height = size
        if boards_in(version, size) * per_board < need:
            continue
        if any(x >= width or y >= height for x, y in chips):
            continue
        machine = virtual_machine_by_boards(n)
        present = set(machine.chip_coordinates)
        missing = [xy for xy in chips if xy not in present]
        if not missing:
            return machine
        for x, y in missing:
            if width >= x + _SETTLED_MARGIN and height >= y + _SETTLED_MARGIN:
                pid = next(i for i, where in constraints.items() if where[:2] == (x, y))
                raise MappingError(
                    f"{_label(pops[pid])}: placement {constraints[pid]}: there is no chip "
                    f"({x}, {y}) on a SpiNN-5 machine of any size (it falls in a gap "
                    "between boards)"
                )
    size = _size(version, MAX_BOARDS)
    if boards_in(version, size) * per_board < need:
        raise MappingError(
            _too_small(pops, n_cores, need, boards_in(version, size) * per_board, version, size)
        )
    raise MappingError(
        f"placement constraints name chips {sorted(chips)}; not all of them exist on "
        f"machines of up to {MAX_BOARDS} boards"
    )


def _too_small(
    pops: Sequence[PopulationSpec],
    n_cores: Sequence[int],
    need: int,
    available: int,
    version: AbstractVersion,
    size: tuple[int, int],
) -> str:
    big = max(range(len(pops)), key=lambda i: n_cores[i])
    return (
        f"the network needs {need} cores but the {_size_name(version, size)} "
        f"has {available}; the largest is {_label(pops[big])} with {n_cores[big]} cores "
        f"({pops[big].size} neurons, max_atoms_per_core={pops[big].max_atoms_per_core}); "
        "use more boards or raise max_atoms_per_core"
    )


def resolve_placements(
    pops: Sequence[PopulationSpec],
    n_cores: Sequence[int],
    constraints: Constraints,
    machine: Machine,
) -> dict[int, list[Location]]:
    """Turn placement constraints into one fixed (x, y, p) per core.

    ``(x, y, p)`` puts a population's cores on p, p+1, ... of chip (x, y); ``(x, y)`` puts them
    on the lowest free cores of that chip, after the cores named explicitly.

    Returns
    -------
    dict
        Population id -> one location per core, in atom order (constrained populations only).

    Raises
    ------
    MappingError
        When a chip or core does not exist on ``machine`` or a chip has too few cores.
    """
    fixed: dict[int, list[Location]] = {}
    free: dict[tuple[int, int], list[int]] = {}
    constrained = [(pops[i], where) for i, where in sorted(constraints.items())]
    for pop, where in constrained:
        x, y = where[0], where[1]
        chip = machine.get_chip_at(x, y)
        if chip is None:
            raise MappingError(
                f"{_label(pop)}: placement {where}: no chip ({x}, {y}) on the "
                f"{len(machine.ethernet_connected_chips)}-board machine "
                f"({machine.width}x{machine.height} chips)"
            )
        free.setdefault((x, y), sorted(chip.placable_processors_ids))
    # Explicit cores first, so that (x, y) populations fill in around them.
    for pop, where in constrained:
        if len(where) != 3:
            continue
        x, y, first = where
        cores = free[x, y]
        wanted = list(range(first, first + n_cores[pop.id]))
        absent = [p for p in wanted if p not in cores]
        if absent:
            raise MappingError(
                f"{_label(pop)}: placement {where}: chip ({x}, {y}) has no free core "
                f"{absent[0]} (its free cores are {_ranges(cores)})"
            )
        for p in wanted:
            cores.remove(p)
        fixed[pop.id] = [(x, y, p) for p in wanted]
    for pop, where in constrained:
        if len(where) != 2:
            continue
        x, y = where
        cores = free[x, y]
        n = n_cores[pop.id]
        if n > len(cores):
            raise MappingError(
                f"{_label(pop)}: placement {where}: needs {n} cores but chip ({x}, {y}) "
                f"has only {len(cores)} left"
            )
        fixed[pop.id] = [(x, y, cores.pop(0)) for _ in range(n)]
    return fixed


def _ranges(values: Sequence[int]) -> str:
    if not values:
        return "none"
    if list(values) == list(range(values[0], values[-1] + 1)):
        return f"{values[0]}..{values[-1]}"
    return ", ".join(map(str, values))
