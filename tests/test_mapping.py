"""Tests of the mapping layer: spec -> PACMAN -> plain-data plan."""

from __future__ import annotations

import dataclasses
import io
import itertools
import logging
import math
import os
import time
from collections.abc import Sequence

import numpy as np
import pytest
import spinn_utilities.config_holder as config_holder
from pacman.data import PacmanDataView
from pacman.model.routing_tables import MulticastRoutingTables, UnCompressedMulticastRoutingTable
from spinn_machine.virtual_machine import virtual_machine_by_boards
from spinn_utilities.log import FormatAdapter

import spinstream.mapping
from spinstream.mapping import _pacman, map_network, walk_route
from spinstream.mapping._contain import pacman_session
from spinstream.mapping._machine import boards_in, user_cores_per_board
from spinstream.mapping._routes import resolve_routes
from spinstream.model import (
    CoreSlice,
    MappingError,
    MappingPlan,
    NetworkSpec,
    PopulationSpec,
    ProjectionSpec,
    RoutingEntry,
)

FULL = 0xFFFFFFFF


# --- helpers ---------------------------------------------------------------------------------


def _projection(pid: int, pre: int, post: int) -> ProjectionSpec:
    # The mapping looks only at pre and post; one synapse keeps the spec realistic.
    one = np.zeros(1, dtype=np.int64)
    return ProjectionSpec(pid, pre, post, one, one, np.ones(1), one + 1, one.copy())


def network(
    sizes: Sequence[int],
    pairs: Sequence[tuple[int, int]] = (),
    *,
    max_atoms: int | Sequence[int] = 256,
    placements: dict[int, tuple[int, ...]] | None = None,
    n_boards: int | None = None,
) -> NetworkSpec:
    per_pop = [max_atoms] * len(sizes) if isinstance(max_atoms, int) else list(max_atoms)
    pops = [
        PopulationSpec(i, f"pop{i}", n, "IF_curr_exp", max_atoms_per_core=per_pop[i])
        for i, n in enumerate(sizes)
    ]
    for i, where in (placements or {}).items():
        pops[i].placement = where
    projections = [_projection(k, pre, post) for k, (pre, post) in enumerate(pairs)]
    return NetworkSpec(0.1, 1, pops, projections, n_boards=n_boards)


def stored_messages() -> list[object]:
    """spinn_utilities' class-level list of log messages, printed at interpreter exit."""
    messages: list[object] = vars(FormatAdapter)["_FormatAdapter__not_stored_messages"]
    return messages


def key_block(core: CoreSlice) -> range:
    return range(core.key, core.key + ((~core.mask) & FULL) + 1)


def core_ids_at(plan: MappingPlan) -> dict[tuple[int, int, int], int]:
    return {(c.x, c.y, c.p): i for i, c in enumerate(plan.cores)}


def expected_targets(spec: NetworkSpec, plan: MappingPlan, pop: int) -> set[int]:
    posts = {proj.post for proj in spec.projections if proj.pre == pop}
    return {cid for post in posts for cid in plan.pop_cores[post]}


def check_routes(spec: NetworkSpec, plan: MappingPlan) -> None:
    """Every key of every core reaches exactly the cores of its post populations."""
    at = core_ids_at(plan)
    for cid, core in enumerate(plan.cores):
        expected = expected_targets(spec, plan, core.pop)
        assert set(plan.routes[cid]) == expected, (cid, core)
        assert list(plan.routes[cid]) == sorted(expected)
        for atom in range(core.n_atoms):
            reached = walk_route(plan, core.x, core.y, core.key | atom)
            assert {at[where] for where in reached} == expected, (cid, atom)
            assert len(reached) == len(expected)


NETWORKS = {
    "cuba-4000": network([3200, 800], [(0, 0), (0, 1), (1, 0), (1, 1)]),
    "chain-odd-slices": network([1000, 77, 513], [(0, 1), (1, 2)], max_atoms=[100, 10, 64]),
    "silent-source": network([300, 300, 50], [(2, 0), (2, 1)]),
    "two-boards-apart": network(
        [40, 40, 40],
        [(0, 1), (1, 2), (2, 0), (1, 1)],
        max_atoms=8,
        placements={0: (0, 0), 1: (9, 9), 2: (20, 5)},
    ),
}


# --- exports ---------------------------------------------------------------------------------


def test_exports() -> None:
    assert spinstream.mapping.__all__ == ["map_network", "walk_route"]


# --- splitting and keys ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "max_atoms"),
    [(1, 256), (255, 256), (256, 256), (257, 256), (1000, 7), (64, 1), (3000, 1000)],
)
def test_split_by_max_atoms_per_core(size: int, max_atoms: int) -> None:
    spec = network([5, size, 3], [(1, 1)], max_atoms=[256, max_atoms, 2])
    plan = map_network(spec)
    ids = plan.pop_cores[1]
    assert len(ids) == math.ceil(size / max_atoms)
    slices = [(plan.cores[i].lo, plan.cores[i].hi) for i in ids]
    assert slices[0][0] == 0
    assert slices[-1][1] == size
    assert all(a[1] == b[0] for a, b in itertools.pairwise(slices))
    assert all(0 < hi - lo <= max_atoms for lo, hi in slices)
    assert all(plan.cores[i].pop == 1 for i in ids)
    # each population is covered exactly once, and core ids run in population order
    assert [c.pop for c in plan.cores] == sorted(c.pop for c in plan.cores)
    assert sum(len(v) for v in plan.pop_cores.values()) == len(plan.cores)


def test_cores_and_key_blocks_are_distinct() -> None:
    spec = NETWORKS["chain-odd-slices"]
    plan = map_network(spec)
    assert len({(c.x, c.y, c.p) for c in plan.cores}) == len(plan.cores)
    assert all(c.p >= 1 for c in plan.cores)  # core 0 is the monitor
    blocks = sorted((key_block(c)[0], key_block(c)[-1]) for c in plan.cores)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(blocks))
    for core in plan.cores:
        assert core.key & ~core.mask & FULL == 0
        assert core.n_atoms <= len(key_block(core))
    # a population that sends nothing still gets keys (for recording and live output)
    silent = map_network(NETWORKS["silent-source"])
    assert all(silent.routes[c] == () for c in silent.pop_cores[0])
    assert len({c.key for c in silent.cores}) == len(silent.cores)


def test_plan_is_plain_data_and_reports() -> None:
    spec = NETWORKS["cuba-4000"]
    plan = map_network(spec)
    assert plan.labels == {0: "pop0", 1: "pop1"}
    assert (plan.n_boards, plan.width, plan.height) == (1, 8, 8)
    for core in plan.cores:
        assert all(type(getattr(core, f.name)) is int for f in dataclasses.fields(core))
    for xy, entries in plan.tables.items():
        assert all(type(v) is int for v in xy)
        for entry in entries:
            assert isinstance(entry, RoutingEntry)
            assert all(type(v) is int for v in (entry.key, entry.mask, *entry.links))
            assert all(type(v) is int for v in entry.processors)
    text = plan.report()
    assert "pop0 (13 cores)" in text
    assert "pop1 (4 cores)" in text
    assert "-> 17 cores" in text


# --- routes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(NETWORKS))
def test_routes_equal_table_walk_for_every_key(name: str) -> None:
    spec = NETWORKS[name]
    plan = map_network(spec)
    check_routes(spec, plan)


@pytest.mark.parametrize("name", list(NETWORKS))
def test_pacman_validate_routes_passes(name: str) -> None:
    plan = _pacman.run_pacman(NETWORKS[name], n_boards=None, progress=False, validate=True)
    assert plan == map_network(NETWORKS[name])


def test_pacman_validate_routes_catches_a_missing_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    generate = _pacman.merged_routing_table_generator

    def drop_first_delivery() -> MulticastRoutingTables:
        broken = MulticastRoutingTables()
        dropped = False
        for table in generate().routing_tables:
            copy = UnCompressedMulticastRoutingTable(table.x, table.y)
            for entry in table.multicast_routing_entries:
                if entry.processor_ids and not dropped:
                    dropped = True
                    continue
                copy.add_multicast_routing_entry(entry)
            broken.add_routing_table(copy)
        return broken

    monkeypatch.setattr(_pacman, "merged_routing_table_generator", drop_first_delivery)
    spec = NETWORKS["chain-odd-slices"]
    with pytest.raises(MappingError, match="PACMAN could not map"):
        _pacman.run_pacman(spec, n_boards=None, progress=False, validate=True)


def test_route_walk_follows_default_routing_and_stops_loops() -> None:
    # Core (0, 0, 1) sends east with no entry on (1, 0): the router passes it on east.
    core = CoreSlice(pop=0, lo=0, hi=4, x=0, y=0, p=1, key=0x100, mask=0xFFFFFFFC)
    target = CoreSlice(pop=1, lo=0, hi=4, x=2, y=0, p=3, key=0x200, mask=0xFFFFFFFC)
    tables = {
        (0, 0): [RoutingEntry(0x100, 0xFFFFFFFC, (0,), ())],
        (2, 0): [RoutingEntry(0x100, 0xFFFFFFFC, (), (3,))],
    }
    plan = MappingPlan([core, target], {0: [0], 1: [1]}, {}, tables, 1, 8, 8)
    assert walk_route(plan, 0, 0, 0x102) == {(2, 0, 3)}
    links = {(x, y, 0): (x + 1, y) for x in range(7) for y in range(8)}
    assert resolve_routes(plan.cores, tables, links) == {0: (1,), 1: ()}
    # the first matching entry wins, as in a router's TCAM
    tables[2, 0].insert(0, RoutingEntry(0x100, 0xFFFFFF00, (), ()))
    assert walk_route(plan, 0, 0, 0x102) == set()
    # a table that sends a key round in a circle is an error, not a hang
    loop = {(0, 0): [RoutingEntry(0x100, 0xFFFFFFFC, (0,), ())]}
    loop.update({(x, 0): [RoutingEntry(0x100, 0xFFFFFFFC, (0,), ())] for x in range(1, 8)})
    plan = MappingPlan([core], {0: [0]}, {}, loop, 1, 8, 8)
    with pytest.raises(MappingError, match="twice"):
        walk_route(plan, 0, 0, 0x100)


def test_routes_split_within_a_core_are_refused() -> None:
    core = CoreSlice(pop=0, lo=0, hi=4, x=0, y=0, p=1, key=0x100, mask=0xFFFFFFFC)
    a = CoreSlice(pop=1, lo=0, hi=1, x=0, y=0, p=2, key=0x200, mask=0xFFFFFFFF)
    b = CoreSlice(pop=1, lo=1, hi=2, x=0, y=0, p=3, key=0x201, mask=0xFFFFFFFF)
    tables = {
        (0, 0): [
            RoutingEntry(0x100, 0xFFFFFFFE, (), (2,)),
            RoutingEntry(0x102, 0xFFFFFFFE, (), (3,)),
        ]
    }
    with pytest.raises(MappingError, match="different cores"):
        resolve_routes([core, a, b], tables, {})
    tables[0, 0][1] = RoutingEntry(0x102, 0xFFFFFFFE, (), (2,))
    assert resolve_routes([core, a, b], tables, {})[0] == (1,)


# --- placement constraints -------------------------------------------------------------------


def test_placement_constraints_are_honoured() -> None:
    spec = network(
        [30, 20, 10, 5],
        [(0, 1), (1, 2), (2, 3), (3, 0)],
        max_atoms=5,
        placements={0: (2, 3), 1: (2, 3, 9), 2: (5, 5, 1), 3: (4, 1)},
    )
    plan = map_network(spec)
    where = {pop: [plan.cores[c] for c in ids] for pop, ids in plan.pop_cores.items()}
    assert {(c.x, c.y) for c in where[0]} == {(2, 3)}
    assert [(c.x, c.y, c.p) for c in where[1]] == [(2, 3, p) for p in range(9, 13)]
    assert [(c.x, c.y, c.p) for c in where[2]] == [(5, 5, 1), (5, 5, 2)]
    assert {(c.x, c.y) for c in where[3]} == {(4, 1)}
    assert {c.p for c in where[0]}.isdisjoint(range(9, 13))
    check_routes(spec, plan)


def _mapping_must_not_start(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail() -> int:
        raise AssertionError("PACMAN ran although the network cannot be mapped")

    monkeypatch.setattr(_pacman, "splitter_partitioner", fail)


@pytest.mark.parametrize(
    ("placements", "n_boards", "expect"),
    [
        ({1: (8, 2)}, 1, r"'pop1'.*\(8, 2\).*no chip \(8, 2\)"),
        ({1: (7, 0)}, 1, r"'pop1'.*\(7, 0\).*no chip \(7, 0\)"),
        ({1: (0, 7)}, None, r"'pop1'.*\(0, 7\).*any size"),
        ({1: (0, 0, 0)}, None, r"'pop1'.*\(0, 0, 0\).*cores 0\.\.1"),
        ({1: (0, 0, 17)}, None, r"'pop1'.*\(0, 0, 17\).*cores 17\.\.18"),
        ({1: (1, 1, 16)}, None, r"'pop1'.*\(1, 1, 16\).*no free core 17"),
        ({0: (3, 3, 2), 1: (3, 3, 1)}, None, r"'pop1'.*\(3, 3, 1\).*\(3, 3, 2\).*'pop0'"),
        ({0: (2, 2), 3: (2, 2)}, None, r"18 cores on chip \(2, 2\).*'pop0'.*'pop3'"),
        ({1: (1, 1), 3: (1, 1)}, None, r"'pop3'.*\(1, 1\).*needs 15 cores.*only 14 left"),
        ({2: (2, 2)}, None, r"'pop2'.*\(2, 2\).*all 18 of its cores"),
        ({1: (0, 0, 1, 4)}, None, r"'pop1'.*placement"),
        ({1: (-1, 0)}, None, r"'pop1'.*placement"),
        ({1: (0, 0)}, None, None),  # fits
        ({1: (np.int64(0), np.int64(0))}, None, None),  # fits, numpy ints from a front end
    ],
)
def test_impossible_constraints_fail_before_mapping(
    monkeypatch: pytest.MonkeyPatch,
    placements: dict[int, tuple[int, ...]],
    n_boards: int | None,
    expect: str | None,
) -> None:
    spec = network([3, 2, 18, 15], max_atoms=1, placements=placements, n_boards=n_boards)
    if expect is None:
        plan = map_network(spec)
        assert {(plan.cores[c].x, plan.cores[c].y) for c in plan.pop_cores[1]} == {(0, 0)}
        return
    _mapping_must_not_start(monkeypatch)
    with pytest.raises(MappingError, match=expect):
        map_network(spec)


# --- machine size ----------------------------------------------------------------------------


def test_fixed_machine_too_small(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = network([100, 700 * 256 + 1, 8], max_atoms=[1, 256, 1], n_boards=1)
    _mapping_must_not_start(monkeypatch)
    with pytest.raises(MappingError) as info:
        map_network(spec)
    text = str(info.value)
    assert "809 cores" in text
    assert "has 808" in text
    assert "'pop1'" in text
    assert "701 cores" in text
    # n_boards overrides the spec
    monkeypatch.undo()
    assert map_network(spec, n_boards=3).n_boards == 3
    # 2 boards give a 3-board triad, which is still too small here
    with pytest.raises(MappingError, match=r"needs 2509 cores but the 3-board machine"):
        map_network(network([2509], max_atoms=1), n_boards=2)


def test_grows_by_whole_boards() -> None:
    for n_cores, boards, size in [(808, 1, (8, 8)), (809, 3, (16, 16)), (2425, 6, (28, 16))]:
        plan = map_network(network([n_cores], max_atoms=1))
        assert (plan.n_boards, plan.width, plan.height) == (boards, *size)
        assert len({(c.x, c.y, c.p) for c in plan.cores}) == n_cores
    # a fixed n_boards is honoured even where fewer would do
    plan = map_network(network([10], max_atoms=1, n_boards=4))
    assert (plan.n_boards, plan.width, plan.height) == (6, 28, 16)


def test_grows_to_reach_a_constrained_chip() -> None:
    spec = NETWORKS["two-boards-apart"]
    plan = map_network(spec)
    assert (plan.n_boards, plan.width, plan.height) == (6, 28, 16)
    assert {(plan.cores[c].x, plan.cores[c].y) for c in plan.pop_cores[2]} == {(20, 5)}
    with pytest.raises(MappingError, match=r"'pop2'.*no chip \(20, 5\) on the 3-board"):
        map_network(spec, n_boards=3)


def island_network() -> NetworkSpec:
    """Fill every chip of a board but two far-apart ones, then ask for 20 cores more."""
    with pacman_session():
        machine = virtual_machine_by_boards(1)
        free_cores = {(c.x, c.y): c.n_placable_processors for c in machine.chips}
    islands = [(0, 0), (7, 7)]
    sizes, placements = [], {}
    for xy, n in sorted(free_cores.items()):
        if xy not in islands:
            placements[len(sizes)] = xy
            sizes.append(n)
    sizes.append(20)
    return network(sizes, max_atoms=1, placements=placements)


def test_grows_when_the_placer_finds_only_islands() -> None:
    spec = island_network()
    with pytest.raises(MappingError, match="could not place the network on the 1-board"):
        map_network(spec, n_boards=1)
    plan = map_network(spec)
    assert plan.n_boards == 3
    assert len(plan.pop_cores[len(spec.populations) - 1]) == 20


def test_board_arithmetic_matches_built_machines() -> None:
    with pacman_session():
        version = PacmanDataView.get_machine_version()
        for n in (1, 2, 4, 7):
            machine = virtual_machine_by_boards(n)
            size = (machine.width, machine.height)
            assert boards_in(version, size) == len(machine.ethernet_connected_chips)
            user = sum(chip.n_placable_processors for chip in machine.chips)
            assert boards_in(version, size) * user_cores_per_board(version) == user


@pytest.mark.parametrize(
    ("spec", "expect"),
    [
        (network([0]), r"'pop0'.*size"),
        (network([4], max_atoms=0), r"'pop0'.*max_atoms_per_core"),
        (network([4], [(0, 1)]), r"post population 1 does not exist"),
        (network([4], n_boards=0), r"n_boards"),
    ],
)
def test_bad_specs(spec: NetworkSpec, expect: str) -> None:
    with pytest.raises(MappingError, match=expect):
        map_network(spec)


def test_bad_population_id() -> None:
    spec = network([4, 4])
    spec.populations[1].id = 5
    with pytest.raises(MappingError, match=r"'pop1' has id 5 but is at position 1"):
        map_network(spec)


def test_empty_network() -> None:
    plan = map_network(NetworkSpec(0.1, 1))
    assert (plan.cores, plan.routes, plan.n_boards) == ([], {}, 1)


# --- containment of PACMAN's global state ----------------------------------------------------


def test_no_files_in_the_working_directory(
    tmp_path: os.PathLike[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    map_network(NETWORKS["cuba-4000"])
    map_network(NETWORKS["two-boards-apart"])
    with pytest.raises(MappingError):
        map_network(network([3000], max_atoms=1, n_boards=1))
    with pytest.raises(MappingError, match="could not place"):  # PACMAN writes a report here
        map_network(island_network(), n_boards=1)
    assert os.listdir(tmp_path) == []


def test_root_logging_untouched_and_nothing_printed(capfd: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    formatter = logging.Formatter("%(name)s %(message)s")
    handler.setFormatter(formatter)
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    handlers = list(root.handlers)
    root_filters = list(root.filters)
    filters = [(h, list(h.filters), h.formatter) for h in handlers]
    stored = stored_messages()
    n_stored = len(stored)
    defaults = config_holder.get_default_cfgs()
    try:
        for _ in range(3):
            map_network(NETWORKS["cuba-4000"])
        assert root.level == logging.DEBUG
        assert root.handlers == handlers
        assert root.filters == root_filters
        for h, h_filters, h_formatter in filters:
            assert h.filters == h_filters
            assert h.formatter is h_formatter
        # PACMAN logs at INFO when it builds a machine: none of it reaches the user's handlers
        assert stream.getvalue() == ""
        # spinn_utilities keeps every message it lets through in a class-level list
        assert len(stored_messages()) == n_stored
        assert config_holder.get_default_cfgs() == defaults
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_toolchain_warnings_stay_off_the_users_handlers(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    partition = _pacman.splitter_partitioner

    def noisy() -> int:
        FormatAdapter(logging.getLogger("pacman.operations.noisy")).warning("noisy {}", 1)
        # a few tool-chain modules log to logging.getLogger(__file__), under the root logger
        logging.getLogger(config_holder.__file__).error("path-named logger speaks")
        return partition()

    monkeypatch.setattr(_pacman, "splitter_partitioner", noisy)
    stored = stored_messages()
    n_stored = len(stored)
    with caplog.at_level(logging.DEBUG):
        map_network(NETWORKS["cuba-4000"])
    seen = [(r.name, r.levelno, r.getMessage()) for r in caplog.records]
    assert seen == [
        ("spinstream.mapping", logging.DEBUG, "PACMAN WARNING: noisy 1"),
        ("spinstream.mapping", logging.DEBUG, "PACMAN ERROR: path-named logger speaks"),
    ]
    assert len(stored_messages()) == n_stored
    assert capfd.readouterr() == ("", "")


def test_progress_bars_only_when_asked(capfd: pytest.CaptureFixture[str]) -> None:
    map_network(NETWORKS["cuba-4000"])
    assert capfd.readouterr() == ("", "")
    map_network(NETWORKS["cuba-4000"], progress=True)
    out, err = capfd.readouterr()
    assert out == ""
    assert "Placing Vertices" in err
    map_network(NETWORKS["cuba-4000"])
    assert capfd.readouterr() == ("", "")


def test_repeated_mappings_are_identical_and_leave_no_graph() -> None:
    spec = NETWORKS["chain-odd-slices"]
    plans = [map_network(spec) for _ in range(3)]
    assert plans[0] == plans[1] == plans[2]
    assert PacmanDataView.get_n_vertices() == 0
    assert PacmanDataView.get_n_machine_vertices() == 0


# --- cost (printed, not asserted) ------------------------------------------------------------


def test_mapping_time(capsys: pytest.CaptureFixture[str]) -> None:
    cases = {
        "4000 neurons, 2 populations, 4 projections": NETWORKS["cuba-4000"],
        "100k atoms, 10 populations, ring of 10 projections": network(
            [10_000] * 10, [(i, (i + 1) % 10) for i in range(10)]
        ),
    }
    lines = []
    for name, spec in cases.items():
        times = []
        for _ in range(3):
            start = time.perf_counter()
            plan = map_network(spec)
            times.append(time.perf_counter() - start)
        lines.append(
            f"map_network {name}: best {min(times) * 1e3:.1f} ms of 3 "
            f"({len(plan.cores)} cores, {sum(map(len, plan.tables.values()))} table entries)"
        )
    with capsys.disabled():
        print("\n" + "\n".join(lines))
