"""``map_network``: check a network spec, then place and route it with PACMAN."""

from __future__ import annotations

import numbers

from spinstream.mapping._pacman import run_pacman
from spinstream.model import SPLITTERS, MappingError, MappingPlan, NetworkSpec


def map_network(
    spec: NetworkSpec, *, n_boards: int | None = None, progress: bool = False
) -> MappingPlan:
    """Place a network on a virtual SpiNN-5 machine and route its spikes.

    Each population becomes one PACMAN application vertex, split into cores of at most
    ``max_atoms_per_core`` neurons (or, with sPyNNaker's ``SplitterOneToOneLegacy`` as its
    ``splitter``, put on one core whole); each distinct (pre, post) pair of populations in
    ``spec.projections`` becomes one application edge.  Every core gets a block of
    multicast keys (neuron key = core key | offset of the neuron on the core), and the
    routing tables send each core's keys to every core of its post populations.

    Parameters
    ----------
    spec
        The network.  Its ``n_boards`` is used unless ``n_boards`` is given.
    n_boards
        ``None``: start with one 48-chip board and grow by whole boards (one board, then
        rectangles of three-board triads, as an allocation server hands them out) until the
        network's cores and every constrained chip fit.  An int: use the machine that this
        many boards give (2 boards give a 3-board triad).
    progress
        Show PACMAN's progress bars on stderr.

    Returns
    -------
    MappingPlan
        Plain data: cores, population -> cores, resolved routes, routing tables, machine
        size and labels.

    Raises
    ------
    MappingError
        When the spec is inconsistent, a placement constraint cannot be honoured, the
        machine is too small, or PACMAN fails; the message names what does not fit.
    """
    boards = spec.n_boards if n_boards is None else n_boards
    _check(spec, boards)
    return run_pacman(spec, n_boards=None if boards is None else int(boards), progress=progress)


def _check(spec: NetworkSpec, n_boards: int | None) -> None:
    """Reject specs that the mapping cannot make sense of (MappingError)."""
    if n_boards is not None and not _positive_int(n_boards):
        raise MappingError(f"n_boards must be a positive integer or None, got {n_boards!r}")
    for position, pop in enumerate(spec.populations):
        name = f"population {pop.label!r}"
        if pop.id != position:
            raise MappingError(f"{name} has id {pop.id} but is at position {position}")
        if not _positive_int(pop.size):
            raise MappingError(f"{name}: size must be a positive integer, got {pop.size!r}")
        if not _positive_int(pop.max_atoms_per_core):
            raise MappingError(
                f"{name}: max_atoms_per_core must be a positive integer, "
                f"got {pop.max_atoms_per_core!r}"
            )
        if pop.splitter is not None and pop.splitter not in SPLITTERS:
            raise MappingError(
                f"{name}: splitter {pop.splitter!r} is not one the mapping has; known: "
                f"{', '.join(sorted(SPLITTERS))} (or None)"
            )
    n_pops = len(spec.populations)
    for proj in spec.projections:
        for end, pop_id in (("pre", proj.pre), ("post", proj.post)):
            if not 0 <= pop_id < n_pops:
                raise MappingError(
                    f"projection {proj.label or proj.id!r}: {end} population {pop_id} "
                    f"does not exist (the network has {n_pops})"
                )


def _positive_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and int(value) >= 1
