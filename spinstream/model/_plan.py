"""Plain-data result of mapping a network onto a machine (made by ``spinstream.mapping``).

Lives in ``model`` so that the board can read it without importing the mapping layer
(and so without PACMAN).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CoreSlice:
    """One placed core: which atoms of which population it holds, where, and its key."""

    pop: int
    lo: int
    hi: int  # exclusive
    x: int
    y: int
    p: int
    key: int
    mask: int

    @property
    def n_atoms(self) -> int:
        """Number of neurons on this core."""
        return self.hi - self.lo


@dataclass(frozen=True)
class RoutingEntry:
    """One multicast routing table entry of a chip: key/mask -> links and processors."""

    key: int
    mask: int
    links: tuple[int, ...]
    processors: tuple[int, ...]


@dataclass
class MappingPlan:
    """Placements, keys and routes for a network.

    Attributes
    ----------
    cores
        Every placed core; a core's index in this list is its id everywhere below.
    pop_cores
        Population id -> ids of its cores, in atom order.
    routes
        Core id -> ids of the cores that a spike of that core reaches, resolved once from the
        routing tables (sorted, no duplicates).
    tables
        ``(x, y)`` -> that chip's routing table entries.
    n_boards, width, height
        The machine that was used.
    labels
        Population id -> its label.
    splitters
        Population id -> the sPyNNaker splitter (class name) that split it, for the
        populations that were given one.
    """

    cores: list[CoreSlice]
    pop_cores: dict[int, list[int]]
    routes: dict[int, tuple[int, ...]]
    tables: dict[tuple[int, int], list[RoutingEntry]] = field(default_factory=dict)
    n_boards: int = 1
    width: int = 8
    height: int = 8
    labels: dict[int, str] = field(default_factory=dict)
    splitters: dict[int, str] = field(default_factory=dict)

    def report(self) -> str:
        """Readable report: per population its cores (x, y, p), atom slices, keys, masks.

        A population given a sPyNNaker splitter names it after its number of cores.
        """
        lines = [
            f"machine: {self.n_boards} board(s), {self.width}x{self.height} chips, "
            f"{len(self.cores)} cores used"
        ]
        for pop, ids in sorted(self.pop_cores.items()):
            label = self.labels.get(pop, f"population {pop}")
            splitter = self.splitters.get(pop)
            split = "" if splitter is None else f", {splitter}"
            lines.append(f"{label} ({len(ids)} cores{split})")
            for cid in ids:
                c = self.cores[cid]
                n_routed = len(self.routes.get(cid, ()))
                lines.append(
                    f"  core ({c.x}, {c.y}, {c.p:2d})  atoms [{c.lo}, {c.hi})  "
                    f"key 0x{c.key:08x}  mask 0x{c.mask:08x}  -> {n_routed} cores"
                )
        return "\n".join(lines)
