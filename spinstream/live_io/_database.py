"""The notification database: an SQLite file that tells live clients how to reach the network.

sPyNNaker's clients read a few views of it by name (their columns are what they select):

``configuration_parameters``
    ``parameter_id`` -> ``value``: ``runtime`` (ms of the run, -1 for a run without an
    end) and ``machine_time_step`` (µs), plus ``time_scale_factor``.
``label_event_atom_view``
    ``label``, ``atom``, ``event``: each atom's multicast key (the key PACMAN gave it, or a
    SpikeInjector's ``virtual_key | atom``).
``application_vertex_placements``
    ``vertex_label``, ``x``, ``y``, ``p``: the cores of each vertex, first core first.
``app_output_tag_view``
    live output: ``pre_vertex_label`` (the population), ``post_vertex_label`` (the receiver,
    ``LiveSpikeReceiver...``), ``ip_address``, ``port``, ``strip_sdp``, ``board_address``,
    ``tag``, ``chip_x``, ``chip_y``.
``chip_eth_info``
    ``x``, ``y``, ``eth_x``, ``eth_y``, ``eth_ip_address``: where to send to reach a chip.
``proxy_configuration``
    empty: no spalloc proxy, clients talk to the board's address directly.

The schema here is spinstream's own (tables ``vertex``, ``core``, ``event``, ``chip``,
``live_output``) with those views over it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from spinstream.model import MappingPlan, PopulationSpec

__all__ = ["OutputTag", "VertexRows", "write_database"]

_SCHEMA = """
CREATE TABLE configuration_parameters(
    parameter_id TEXT PRIMARY KEY,
    value REAL);
CREATE TABLE proxy_configuration(
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL);
CREATE TABLE vertex(
    vertex_id INTEGER PRIMARY KEY,
    label TEXT NOT NULL,
    population INTEGER NOT NULL,
    kind TEXT NOT NULL);
CREATE TABLE core(
    vertex_id INTEGER NOT NULL REFERENCES vertex(vertex_id),
    x INTEGER, y INTEGER, p INTEGER,
    lo INTEGER, hi INTEGER,
    key INTEGER, mask INTEGER);
CREATE TABLE event(
    vertex_id INTEGER NOT NULL REFERENCES vertex(vertex_id),
    atom INTEGER NOT NULL,
    key INTEGER NOT NULL);
CREATE TABLE chip(
    x INTEGER, y INTEGER, eth_x INTEGER, eth_y INTEGER,
    eth_ip_address TEXT,
    PRIMARY KEY (x, y));
CREATE TABLE live_output(
    vertex_id INTEGER NOT NULL REFERENCES vertex(vertex_id),
    receiver_label TEXT NOT NULL,
    tag INTEGER NOT NULL,
    board_address TEXT NOT NULL,
    ip_address TEXT,
    port INTEGER,
    strip_sdp INTEGER NOT NULL,
    chip_x INTEGER NOT NULL,
    chip_y INTEGER NOT NULL);
CREATE VIEW label_event_atom_view AS
    SELECT event.atom AS atom, event.key AS event, vertex.label AS label
    FROM event JOIN vertex ON event.vertex_id = vertex.vertex_id;
CREATE VIEW application_vertex_placements AS
    SELECT core.x AS x, core.y AS y, core.p AS p, vertex.label AS vertex_label
    FROM core JOIN vertex ON core.vertex_id = vertex.vertex_id
    ORDER BY core.rowid;
CREATE VIEW app_output_tag_view AS
    SELECT o.ip_address AS ip_address, o.port AS port, o.strip_sdp AS strip_sdp,
           o.board_address AS board_address, o.tag AS tag,
           vertex.label AS pre_vertex_label, o.receiver_label AS post_vertex_label,
           o.chip_x AS chip_x, o.chip_y AS chip_y
    FROM live_output AS o JOIN vertex ON o.vertex_id = vertex.vertex_id;
CREATE VIEW chip_eth_info AS
    SELECT x, y, eth_x, eth_y, eth_ip_address FROM chip;
"""


@dataclass(frozen=True)
class VertexRows:
    """A vertex the clients may name: a population, or a population's rate control."""

    label: str
    pop: int
    kind: str  # "population" or "control"
    with_events: bool


@dataclass(frozen=True)
class OutputTag:
    """A live output: population ``pop`` sends its spikes through IP tag ``tag``."""

    pop: int
    receiver_label: str
    tag: int
    host: str | None
    port: int | None


def live_keys(pop: PopulationSpec, plan: MappingPlan) -> npt.NDArray[np.uint32]:
    """Each atom's key as live-I/O clients see it, in atom order.

    The key the mapping gave the atom (its core's key | offset), or ``virtual_key | atom``
    for a SpikeInjector given sPyNNaker's ``virtual_key``.
    """
    if pop.virtual_key is not None:
        return (pop.virtual_key | np.arange(pop.size, dtype=np.uint64)).astype(np.uint32)
    keys = np.zeros(pop.size, dtype=np.uint32)
    for cid in plan.pop_cores[pop.id]:
        c = plan.cores[cid]
        keys[c.lo : c.hi] = c.key | np.arange(c.hi - c.lo, dtype=np.uint32)
    return keys


def write_database(
    path: str,
    plan: MappingPlan,
    populations: Sequence[PopulationSpec],
    vertices: Sequence[VertexRows],
    outputs: Iterable[OutputTag],
    *,
    board_address: str,
    runtime_ms: float | None,
    dt_ms: float,
    time_scale_factor: float,
) -> None:
    """Write a fresh database at ``path`` (which must not exist yet)."""
    db = sqlite3.connect(path)
    try:
        db.executescript(_SCHEMA)
        db.executemany(
            "INSERT INTO configuration_parameters VALUES (?, ?)",
            [
                ("runtime", -1.0 if runtime_ms is None else float(runtime_ms)),
                ("machine_time_step", dt_ms * 1000.0),
                ("time_scale_factor", float(time_scale_factor)),
            ],
        )
        chips = {(0, 0)}
        vertex_of_pop: dict[int, int] = {}
        for vid, v in enumerate(vertices):
            db.execute("INSERT INTO vertex VALUES (?, ?, ?, ?)", (vid, v.label, v.pop, v.kind))
            if v.kind == "population":
                vertex_of_pop.setdefault(v.pop, vid)
            cores = [plan.cores[c] for c in plan.pop_cores.get(v.pop, [])]
            keys = live_keys(populations[v.pop], plan)
            db.executemany(
                "INSERT INTO core VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(vid, c.x, c.y, c.p, c.lo, c.hi, int(keys[c.lo]), c.mask) for c in cores],
            )
            chips.update((c.x, c.y) for c in cores)
            if v.with_events:
                db.executemany(
                    "INSERT INTO event VALUES (?, ?, ?)",
                    ((vid, atom, int(keys[atom])) for atom in range(len(keys))),
                )
        # one board: every chip reaches the host through chip (0, 0), the board's address
        db.executemany(
            "INSERT INTO chip VALUES (?, ?, 0, 0, ?)",
            [(x, y, board_address) for x, y in sorted(chips)],
        )
        for out in outputs:
            db.execute(
                "INSERT INTO live_output VALUES (?, ?, ?, ?, ?, ?, 1, 0, 0)",
                (
                    vertex_of_pop[out.pop],
                    out.receiver_label,
                    out.tag,
                    board_address,
                    out.host,
                    out.port,
                ),
            )
        db.commit()
    finally:
        db.close()
