"""NativeRNG projections keep no per-synapse arrays, and nothing else changes.

Each network is built twice from the same script and seed: as spinstream does it now (the
projections drawn again when read) and with every projection keeping its arrays (the way
before, forced by turning the redraw off); spikes, ``get`` and the engine's rows must be the
same, bit for bit, for 1 and 2 threads.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.engine import require_engine

require_engine()

import spinstream.pyNN as sim  # noqa: E402
from benchmarks.cuba_spec import CELL  # noqa: E402  (Vogels & Abbott's CUBA cell)
from spinstream.model import DrawnProjectionSpec  # noqa: E402
from spinstream.pyNN._drawn import COLUMNS  # noqa: E402
from spinstream.pyNN._projections import Projection  # noqa: E402


def _network(threads: int, change: bool = False) -> dict[str, Any]:
    sim.setup(timestep=0.1, min_delay=0.1, max_delay=10.0, threads=threads, seed=11)
    rng = sim.NativeRNG()
    pop = sim.Population(900, sim.IF_curr_exp(**CELL), label="net")
    pop.initialize(v=sim.RandomDistribution("uniform", (-60.0, -50.0), rng=sim.NumpyRNG(3)))
    exc, inh = pop[:700], pop[700:]
    delay = sim.RandomDistribution("uniform", (0.1, 2.0), rng=rng)
    e = sim.Projection(
        exc,
        pop,
        sim.FixedProbabilityConnector(0.05, rng=rng),
        sim.StaticSynapse(weight=0.08, delay=delay),
        receptor_type="excitatory",
    )
    w_inh = sim.RandomDistribution("normal_clipped", (-0.4, 0.05, -np.inf, 0.0), rng=rng)
    i = sim.Projection(
        inh,
        pop,
        sim.FixedTotalNumberConnector(9000, with_replacement=True, rng=rng),
        sim.StaticSynapse(weight=w_inh, delay=0.2),
        receptor_type="inhibitory",
    )
    pop.record("spikes")
    sim.run(50.0)
    if change:  # a weight change keeps the arrays from then on
        i.set(weight=0.5 * i.get("weight", format="array"))
        sim.run(50.0)
    st = pop.get_data("spikes").segments[0].spiketrains
    board = sim.state.runtime.board
    out = {
        "spikes": [np.asarray(s.magnitude) for s in st],
        "e": np.array(e.get(["weight", "delay"], format="list")),
        "i": i.get("weight", format="array"),
        "len": (len(e), len(i)),
        # one connection at a time (a drawn projection draws only that connection's block)
        "conns": [
            (c.presynaptic_index, c.postsynaptic_index, c.weight, c.delay)
            for c in [*e.connections[::97], i[-1], i[0], e[len(e) // 2]]
        ],
        # (with 2 threads the rows live in the threads' copies only)
        "stream": board.synapses.stream.copy(),
        "words": len(board.synapses.stream) + board.synapses.released_words,
        "drawn": [
            [name in p.__dict__ for name in COLUMNS] + [p.__dict__.get("_redraw") is None]
            for p in (e, i)
        ],
        "specs": [
            isinstance(s, DrawnProjectionSpec) and s.is_drawn
            for s in sim.state.runtime.spec.projections
        ],
    }
    sim.end()
    return out


@pytest.fixture
def kept(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Build the way before: every projection keeps its arrays."""

    def build(threads: int, change: bool = False) -> dict[str, Any]:
        with monkeypatch.context() as m:
            m.setattr(Projection, "_redraw_of", lambda self, *a: None)
            return _network(threads, change)

    return build


def _same(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert len(a["spikes"]) == len(b["spikes"])
    for x, y in zip(a["spikes"], b["spikes"], strict=True):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a["e"], b["e"])
    np.testing.assert_array_equal(a["i"], b["i"])
    np.testing.assert_array_equal(a["stream"], b["stream"])
    assert a["words"] == b["words"] > 0
    assert a["len"] == b["len"]
    assert a["conns"] == b["conns"]


@pytest.mark.parametrize("threads", [1, 2])
def test_drawn_projections_keep_nothing_and_change_nothing(threads: int, kept: Any) -> None:
    new = _network(threads)
    old = kept(threads)
    _same(new, old)
    assert sum(len(s) for s in new["spikes"]) > 100  # the network is active
    # the new build keeps no per-synapse array, in the projections or the runtime's spec
    assert new["drawn"] == [[False] * 5 + [False]] * 2
    assert new["specs"] == [True, True]
    assert old["specs"] == [False, False]
    assert new["len"][1] == 9000
    # with 2 threads the threads' copies are the only rows: the board's are dropped
    assert (len(new["stream"]) == 0) == (threads == 2)


@pytest.mark.parametrize("threads", [1, 2])
def test_a_changed_projection_keeps_its_arrays(threads: int, kept: Any) -> None:
    new = _network(threads, change=True)
    old = kept(threads, change=True)
    _same(new, old)
    # the changed projection keeps its arrays; the other is still drawn
    assert new["drawn"][0] == [False] * 5 + [False]
    assert new["drawn"][1] == [True] * 5 + [True]
    np.testing.assert_array_equal(
        np.nan_to_num(new["i"]) <= 0, np.ones_like(new["i"], bool)
    )  # halved inhibitory weights, still <= 0


def _refused(weight: Any, delay: Any) -> str:
    sim.setup(timestep=0.1, min_delay=0.1, max_delay=10.0, seed=5)
    try:
        pop = sim.Population(3000, sim.IF_curr_exp(**CELL), label="net")
        rng = sim.NativeRNG()
        w = sim.RandomDistribution(*weight, rng=rng) if isinstance(weight, tuple) else weight
        d = sim.RandomDistribution(*delay, rng=rng) if isinstance(delay, tuple) else delay
        with pytest.raises(sim.errors.ConnectionError) as err:
            sim.Projection(
                pop,
                pop,
                sim.FixedProbabilityConnector(0.01, rng=rng),
                sim.StaticSynapse(weight=w, delay=d),
                receptor_type="excitatory",
            )
        return str(err.value)
    finally:
        sim.end()


@pytest.mark.parametrize(
    ("weight", "delay", "match"),
    [
        (("normal", (0.0, 1.0)), 1.0, "is negative"),  # some excitatory weights < 0
        (0.1, ("uniform", (0.0, 1.0)), "outside the allowed range"),  # delays below dt
        (0.1, ("uniform", (1.0, 20.0)), "outside the allowed range"),  # above max_delay
    ],
)
def test_drawn_projections_refuse_what_kept_ones_refuse(
    weight: Any, delay: Any, match: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checked block by block, the same error, naming the same value, as the whole arrays."""
    new = _refused(weight, delay)
    with monkeypatch.context() as m:
        m.setattr(Projection, "_redraw_of", lambda self, *a: None)
        old = _refused(weight, delay)
    assert match in new
    assert new == old


def _saved(tmp_path: Any, name: str) -> str:
    sim.setup(timestep=0.1, min_delay=0.1, max_delay=10.0, seed=13)
    try:
        pop = sim.Population(2000, sim.IF_curr_exp(**CELL), label="net")
        rng = sim.NativeRNG()
        proj = sim.Projection(
            pop[:1500],
            pop[500:],
            sim.FixedNumberPreConnector(20, rng=rng),
            sim.StaticSynapse(
                weight=sim.RandomDistribution("uniform", (0.1, 0.2), rng=rng),
                delay=sim.RandomDistribution("normal_clipped", (1.0, 0.5, 0.1, 5.0), rng=rng),
            ),
        )
        sim.run(1.0)
        path = tmp_path / name
        proj.save("all", str(path))
        return path.read_text()
    finally:
        sim.end()


def test_save_of_a_drawn_projection(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """``save`` writes what a projection that kept its arrays writes (views, both ends)."""
    new = _saved(tmp_path, "new.txt")
    with monkeypatch.context() as m:
        m.setattr(Projection, "_redraw_of", lambda self, *a: None)
        old = _saved(tmp_path, "old.txt")
    assert new == old
    assert len(new.splitlines()) > 1500 * 20 // 2  # one line per connection (+ header)


def test_loading_draws_each_drawn_projection_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rows' first pass takes each source's synapses from the build's own draw."""
    from spinstream.pyNN._drawn import Redraw

    drawn: list[Any] = []
    blocks = Redraw.blocks

    def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        drawn.append(self)
        return blocks(self, *args, **kwargs)

    monkeypatch.setattr(Redraw, "blocks", spy)
    sim.setup(timestep=0.1, min_delay=0.1, max_delay=10.0, seed=3)
    rng = sim.NativeRNG()
    pop = sim.Population(1500, sim.IF_curr_exp(**CELL))
    projections = [
        sim.Projection(pop[:1200], pop, sim.FixedProbabilityConnector(0.02, rng=rng)),
        sim.Projection(pop[1200:], pop[::2], sim.FixedNumberPreConnector(5, rng=rng)),
    ]
    drawn.clear()  # (the build drew each once, to check it and count it)
    sim.run(1.0)
    assert len(drawn) == 2  # the rows: one draw each; the counts came from the build's draw
    assert {id(r) for r in drawn} == {id(p.__dict__["_redraw"]) for p in projections}
    sim.end()
