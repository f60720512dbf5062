"""Follow multicast keys through routing tables, as a SpiNNaker router does.

A router compares a packet's key with its entries in order and uses the first entry whose
``key & mask`` matches: the packet is copied to every processor and link of that entry.  A
packet that matches nothing is sent on in the direction it was travelling ("default
routing"), or dropped if it came from a processor on this chip.

:func:`resolve_routes` does this once per core when a plan is made (with an index per chip);
:func:`walk_route` is the slow, obvious version that tests compare it with.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from spinstream.model import CoreSlice, MappingError, MappingPlan, RoutingEntry

#: Chip coordinate change along each link: 0 east, 1 north-east, 2 north, 3 west,
#: 4 south-west, 5 south.
LINK_DELTAS = ((1, 0), (1, 1), (0, 1), (-1, 0), (-1, -1), (0, -1))

_FULL = 0xFFFFFFFF

XY = tuple[int, int]
Processor = tuple[int, int, int]
#: (x, y, link) -> the chip at the other end of that link.
Links = dict[tuple[int, int, int], XY]
_Lookup = Callable[[int, int, int], RoutingEntry | None]
_Neighbour = Callable[[int, int, int], XY | None]
_Deliver = Callable[[int, int, RoutingEntry], None]


def _walk(
    key: int, x: int, y: int, lookup: _Lookup, neighbour: _Neighbour, deliver: _Deliver
) -> None:
    """Send a packet with ``key`` from a processor on chip (x, y) through the tables.

    ``deliver(x, y, entry)`` is called on every chip whose entry ``entry`` copies the packet
    to processors.

    Raises
    ------
    MappingError
        When the packet reaches a chip twice (a loop, or a processor served twice).
    """
    seen: set[XY] = set()
    # (chip, direction of travel on arrival; None when it comes from a local processor)
    stack: list[tuple[int, int, int | None]] = [(x, y, None)]
    while stack:
        cx, cy, heading = stack.pop()
        if (cx, cy) in seen:
            raise MappingError(
                f"routing tables send key 0x{key:08x} from chip ({x}, {y}) "
                f"through chip ({cx}, {cy}) twice"
            )
        seen.add((cx, cy))
        entry = lookup(cx, cy, key)
        if entry is None:
            if heading is None:
                continue
            out: Sequence[int] = (heading,)
        else:
            if entry.processors:
                deliver(cx, cy, entry)
            out = entry.links
        for link in out:
            nxt = neighbour(cx, cy, link)
            if nxt is not None:
                stack.append((nxt[0], nxt[1], link))


def walk_route(plan: MappingPlan, x: int, y: int, key: int) -> set[Processor]:
    """Processors (x, y, p) that the plan's tables deliver ``key`` to, sent from chip (x, y).

    Slow (every entry of every chip on the way is compared); meant for tests and debugging.
    Links leave the machine's edge by wrapping round, as on a torus; PACMAN never routes
    over an edge that has no link.

    Raises
    ------
    MappingError
        When the packet would reach a chip twice.
    """

    def lookup(cx: int, cy: int, k: int) -> RoutingEntry | None:
        for entry in plan.tables.get((cx, cy), ()):
            if k & entry.mask == entry.key:
                return entry
        return None

    def neighbour(cx: int, cy: int, link: int) -> XY:
        dx, dy = LINK_DELTAS[link]
        return ((cx + dx) % plan.width, (cy + dy) % plan.height)

    reached: set[Processor] = set()

    def deliver(cx: int, cy: int, entry: RoutingEntry) -> None:
        reached.update((cx, cy, p) for p in entry.processors)

    _walk(key, x, y, lookup, neighbour, deliver)
    return reached


class _ChipIndex:
    """First-match lookup in one chip's table: one dict per distinct mask."""

    def __init__(self, entries: Sequence[RoutingEntry]) -> None:
        self.entries = entries
        groups: dict[int, dict[int, int]] = {}
        for i, entry in enumerate(entries):
            groups.setdefault(entry.mask, {}).setdefault(entry.key, i)
        self.groups = list(groups.items())
        #: Fewest low-order bits that any entry ignores: a key block of at most this many bits
        #: is routed alike throughout.
        self.free_bits = min((_trailing_zeros(e.mask) for e in entries), default=32)

    def match(self, key: int) -> RoutingEntry | None:
        best = -1
        for mask, first in self.groups:
            i = first.get(key & mask, -1)
            if i >= 0 and (best < 0 or i < best):
                best = i
        return self.entries[best] if best >= 0 else None


def _trailing_zeros(mask: int) -> int:
    return (mask & -mask).bit_length() - 1 if mask else 32


def resolve_routes(
    cores: Sequence[CoreSlice], tables: dict[XY, list[RoutingEntry]], links: Links
) -> dict[int, tuple[int, ...]]:
    """For each core, the ids of the cores that the tables deliver its keys to.

    Parameters
    ----------
    cores
        The placed cores (index = core id) with their key blocks.
    tables
        Routing table entries per chip.
    links
        The machine's links: (x, y, link) -> neighbouring chip.

    Returns
    -------
    dict
        Core id -> sorted core ids.

    Raises
    ------
    MappingError
        When a key reaches a processor that holds no core, a chip twice, or when the keys of
        one core are not all routed alike.
    """
    index = {xy: _ChipIndex(entries) for xy, entries in tables.items()}
    core_at = {(c.x, c.y, c.p): i for i, c in enumerate(cores)}
    # Core ids that an entry delivers to, worked out once per (chip, entry).
    served: dict[tuple[int, int, int], tuple[int, ...]] = {}
    visited: list[XY] = []
    reached: list[tuple[int, ...]] = []

    def lookup(x: int, y: int, key: int) -> RoutingEntry | None:
        visited.append((x, y))
        chip = index.get((x, y))
        return chip.match(key) if chip is not None else None

    def neighbour(x: int, y: int, link: int) -> XY | None:
        return links.get((x, y, link))

    def deliver(x: int, y: int, entry: RoutingEntry) -> None:
        ids = served.get((x, y, id(entry)))
        if ids is None:
            ids = served[x, y, id(entry)] = tuple(_core_ids(core_at, x, y, entry))
        reached.append(ids)

    # Sorted core ids per combination of (chip, entry) deliveries: cores of one population
    # usually share their route, and then also one tuple.
    combined: dict[tuple[int, ...], tuple[int, ...]] = {}

    def targets(key: int, core: CoreSlice) -> tuple[int, ...]:
        reached.clear()
        _walk(key, core.x, core.y, lookup, neighbour, deliver)
        which = tuple(sorted(map(id, reached)))
        route = combined.get(which)
        if route is None:
            route = combined[which] = tuple(sorted({cid for ids in reached for cid in ids}))
        return route

    routes: dict[int, tuple[int, ...]] = {}
    for cid, core in enumerate(cores):
        visited.clear()
        route = targets(core.key, core)
        block_bits = _trailing_zeros(core.mask)
        if any(xy in index and index[xy].free_bits < block_bits for xy in visited):
            # Some entry on the way looks at atom bits: check every neuron's key.
            for atom in range(1, core.n_atoms):
                if targets(core.key | atom, core) != route:
                    raise MappingError(
                        f"routing tables send the neurons of core ({core.x}, {core.y}, "
                        f"{core.p}) to different cores; spinstream needs one route per core"
                    )
        routes[cid] = route
    return routes


def _core_ids(core_at: dict[Processor, int], x: int, y: int, entry: RoutingEntry) -> list[int]:
    ids = []
    for p in entry.processors:
        cid = core_at.get((x, y, p))
        if cid is None:
            raise MappingError(
                f"routing entry key 0x{entry.key:08x} mask 0x{entry.mask:08x} on chip "
                f"({x}, {y}) delivers to core ({x}, {y}, {p}), which holds no population"
            )
        ids.append(cid)
    return ids
