"""Routing on the HostBoard as on the machine, and the synapse word format.

A spike of a neuron is a multicast packet with its core's key OR its index; it must reach
exactly the cores that the PACMAN routing tables route that key to (``walk_route``
follows the tables as a router would), once each, and no other core.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from spinstream.board import HostBoard
from spinstream.mapping import map_network, walk_route
from spinstream.model import MappingPlan, NetworkSpec
from tests.reference import ReferenceBoard, network, population, projection, trivial_plan

DT = 0.1


def spread_network(weight_scale: float, seed: int = 0) -> NetworkSpec:
    """Four populations over ~20 cores on three chips far apart (so on several boards).

    With ``weight_scale == 0`` nothing fires unless made to.
    """
    rng = np.random.default_rng(seed)
    active = weight_scale > 0
    pops = [
        population(
            0,
            "SpikeSourceArray",
            60,
            spike_times=[
                np.sort(rng.choice(np.arange(1, 400) * DT, 4 * active, replace=False))
                for _ in range(60)
            ],
        ),
        population(1, "IF_curr_exp", 90, i_offset=rng.uniform(0.0, 0.9, 90) * active),
        population(2, "IF_cond_exp", 50, i_offset=rng.uniform(0.0, 1.2, 50) * active),
        population(3, "Izhikevich", 40, i_offset=rng.uniform(0.0, 0.006, 40) * active),
    ]
    for pop, atoms in zip(pops, [16, 20, 8, 16], strict=True):
        pop.max_atoms_per_core = atoms
    pops[2].placement = (9, 9)
    pops[3].placement = (20, 5)

    def connect(pid: int, pre: int, post: int, count: int, w: float) -> object:
        return projection(
            pid,
            pre,
            post,
            rng.integers(0, pops[pre].size, count),
            rng.integers(0, pops[post].size, count),
            rng.uniform(0.2, 1.0, count) * w * weight_scale,
            rng.integers(1, 30, count),
            rng.integers(0, 2, count),
        )

    projections = [
        connect(0, 0, 1, 300, 1.0),
        connect(1, 0, 2, 150, 0.02),
        connect(2, 1, 2, 300, 0.01),
        connect(3, 2, 1, 300, 0.5),
        connect(4, 1, 1, 200, 0.5),
        connect(5, 2, 3, 200, 15.0),
        # population 3 projects nowhere: its keys must reach no core
    ]
    return network(DT, pops, projections)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def mapped() -> tuple[NetworkSpec, MappingPlan]:
    spec = spread_network(weight_scale=0.0)
    return spec, map_network(spec)


@pytest.fixture(scope="module")
def active() -> tuple[NetworkSpec, MappingPlan]:
    spec = spread_network(weight_scale=1.0, seed=3)
    return spec, map_network(spec)


def test_the_network_spans_several_boards_and_many_cores(
    mapped: tuple[NetworkSpec, MappingPlan],
) -> None:
    _, plan = mapped
    assert plan.n_boards > 1
    assert len(plan.cores) >= 15
    assert len({(c.x, c.y) for c in plan.cores}) >= 3


def test_every_spike_reaches_exactly_the_cores_its_key_is_routed_to(
    mapped: tuple[NetworkSpec, MappingPlan],
) -> None:
    spec, plan = mapped
    # weights 0: a spike changes nothing downstream, so each one is seen alone
    board = HostBoard()
    board.load(spec, plan)
    core_at = {(c.x, c.y, c.p): i for i, c in enumerate(plan.cores)}
    checked = 0
    for cid, core in enumerate(plan.cores):
        for atom in sorted({0, core.n_atoms // 2, core.n_atoms - 1}):
            index = core.lo + atom
            packets, emitted = board.packets_received(), board.spikes_emitted()
            if spec.populations[core.pop].model == "SpikeSourceArray":
                board.schedule_spikes(core.pop, np.array([index]), np.array([board.step + 1]))
            else:  # far above threshold: it fires in the next step
                board.set_state(core.pop, "v", np.array([index]), np.array([40.0]))
            board.run(1)
            emitted = board.spikes_emitted() - emitted
            received = board.packets_received() - packets
            assert_array_equal(np.flatnonzero(emitted), [cid])
            assert emitted[cid] == 1
            expected = {
                core_at[where] for where in walk_route(plan, core.x, core.y, core.key | atom)
            }
            assert set(np.flatnonzero(received).tolist()) == expected, (cid, atom)
            assert np.all(received[list(expected)] == 1), "one packet per routed core"
            checked += 1
    assert checked >= 3 * len(plan.cores) - 5
    # the silent population's keys go nowhere, and the rest did reach somewhere
    for cid in plan.pop_cores[3]:
        core = plan.cores[cid]
        assert walk_route(plan, core.x, core.y, core.key) == set()
    assert board.packets_received().sum() > 0


def test_all_spikes_of_a_run_reach_only_routed_cores(
    active: tuple[NetworkSpec, MappingPlan],
) -> None:
    """Counted over a whole run: packets per core == sum over routed sources of their spikes."""
    spec, plan = active
    board = HostBoard()
    board.load(spec, plan)
    board.run(500)
    emitted = board.spikes_emitted()
    expected = np.zeros(len(plan.cores), dtype=np.int64)
    core_at = {(c.x, c.y, c.p): i for i, c in enumerate(plan.cores)}
    for cid, core in enumerate(plan.cores):
        for target in {core_at[w] for w in walk_route(plan, core.x, core.y, core.key)}:
            expected[target] += emitted[cid]
    assert emitted.sum() > 100
    assert np.count_nonzero(emitted) >= len(plan.cores) - 2
    assert_array_equal(board.packets_received(), expected)


def test_mapped_network_runs_as_the_reference_does(
    active: tuple[NetworkSpec, MappingPlan],
) -> None:
    """With real weights, a PACMAN-mapped network over several boards behaves as if unsplit."""
    spec, plan = active
    assert plan.n_boards > 1
    host = HostBoard()
    host.load(spec, plan)
    ref = ReferenceBoard()
    ref.load(spec, trivial_plan(spec))
    for board in (host, ref):
        for pop in spec.populations:
            board.set_recording(pop.id, "spikes", np.arange(pop.size))
        board.set_recording(1, "v", np.arange(90))
    h, r = host.run(600), ref.run(600)
    total = 0
    for pop in spec.populations:
        assert_array_equal(h.spikes[pop.id][0], r.spikes[pop.id][0])
        assert_array_equal(h.spikes[pop.id][1], r.spikes[pop.id][1])
        total += len(h.spikes[pop.id][0])
    assert total > 200
    assert all(len(h.spikes[p][0]) > 0 for p in (1, 2, 3))
    assert_allclose(h.samples[(1, "v")][1], r.samples[(1, "v")][1], rtol=0, atol=1e-9)


# --- synapse words ------------------------------------------------------------------------------


def block_network(n_pairs: int, max_delay: int, seed: int = 0) -> NetworkSpec:
    """One block with ``n_pairs`` distinct (weight, receptor) pairs, one of them inhibitory."""
    rng = np.random.default_rng(seed)
    n_syn = 3000
    # float32-exact weights, so that 8-byte words (float32 weights) change nothing either
    values = rng.uniform(0.01, 0.3, n_pairs - 1).astype(np.float32).astype(np.float64)
    weights = np.concatenate([values, rng.choice(values, n_syn - len(values))])
    delays = rng.integers(1, max_delay + 1, n_syn)
    delays[0] = max_delay
    return network(
        DT,
        [
            population(
                0,
                "SpikeSourceArray",
                40,
                spike_times=[
                    np.sort(rng.choice(np.arange(0, 300) * DT, 5, replace=False))
                    for _ in range(40)
                ],
            ),
            population(1, "IF_curr_exp", 50),
        ],
        [
            projection(
                0, 0, 1, rng.integers(0, 40, n_syn), rng.integers(0, 50, n_syn), weights, delays, 0
            ),
            # the inhibitory pair
            projection(1, 0, 1, rng.integers(0, 40, 200), rng.integers(0, 50, 200), 0.125, 5, 1),
        ],
    )


def test_ordinary_networks_use_4_byte_synapses() -> None:
    # CUBA-like: two weights, delays of a few ms, over many cores
    rng = np.random.default_rng(5)
    n = 1000
    pre, post = np.nonzero(rng.random((n, n)) < 0.02)
    exc = pre < 800
    spec = network(
        DT,
        [population(0, "IF_curr_exp", n)],
        [
            projection(
                0,
                0,
                0,
                pre,
                post,
                np.where(exc, 0.27, 4.5),
                rng.integers(1, 80, len(pre)),
                np.where(exc, 0, 1),
            )
        ],
    )
    board = HostBoard()
    board.load(spec, trivial_plan(spec, atoms_per_core=256))
    assert board.synapses.n_synapses == len(pre)
    assert board.synapses.word_bytes == 4.0
    assert np.all(board.synapses.fmt == 0)


@pytest.mark.parametrize(
    ("n_pairs", "max_delay", "word"),
    [(512, 2047, 4.0), (513, 127, 6.0), (513, 128, 8.0), (40, 2048, 8.0)],
    ids=["512-weights-delay-2047", "513-weights", "513-weights-delay-128", "delay-2048"],
)
def test_synapse_word_format(n_pairs: int, max_delay: int, word: float) -> None:
    """4 bytes up to 512 distinct weights (per receptor) and 2047 steps; beyond either,
    6 bytes (half words) for delays up to 127 steps (and <= 256 neurons a core, 2
    receptors), else 8."""
    spec = block_network(n_pairs, max_delay)
    host = HostBoard()
    host.load(spec, trivial_plan(spec))
    blocks = host.synapses
    # both projections share one block (same source and target core)
    assert len(blocks.fmt) == 1
    assert blocks.word_bytes == word
    # and either way every spike arrives with its exact weight at its exact step
    ref = ReferenceBoard()
    ref.load(spec, trivial_plan(spec))
    for board in (host, ref):
        board.set_recording(1, "isyn_exc", np.arange(50))
        board.set_recording(1, "isyn_inh", np.arange(50))
    steps = max_delay + 320
    h, r = host.run(steps), ref.run(steps)
    for var in ("isyn_exc", "isyn_inh"):
        assert_allclose(h.samples[(1, var)][1], r.samples[(1, var)][1], rtol=1e-12, atol=1e-14)
    for var in ("isyn_exc", "isyn_inh"):
        assert np.count_nonzero(h.samples[(1, var)][1][max_delay:]) > 0


def test_wide_and_compact_blocks_side_by_side() -> None:
    """The format is chosen per block: a wide block does not widen its neighbours."""
    rng = np.random.default_rng(6)
    n_wide, n_compact = 2000, 1000
    many = rng.uniform(0.01, 0.3, n_wide).astype(np.float32).astype(np.float64)
    spec = network(
        DT,
        [
            population(0, "SpikeSourceArray", 10, spike_times=[[1.0 + i] for i in range(10)]),
            population(1, "IF_curr_exp", 50),
        ],
        [
            # onto the first target core: 2000 distinct weights; onto the second: one
            projection(0, 0, 1, rng.integers(0, 10, n_wide), rng.integers(0, 25, n_wide), many, 3),
            projection(
                1, 0, 1, rng.integers(0, 10, n_compact), rng.integers(25, 50, n_compact), 0.1, 3
            ),
        ],
    )
    host = HostBoard()
    host.load(spec, trivial_plan(spec, atoms_per_core=25))
    blocks = host.synapses
    assert list(blocks.fmt) == [3, 0]  # half (2000 distinct weights, short delays), compact
    assert blocks.word_bytes == (6 * n_wide + 4 * n_compact) / (n_wide + n_compact)
    ref = ReferenceBoard()
    ref.load(spec, trivial_plan(spec))
    for board in (host, ref):
        board.set_recording(1, "isyn_exc", np.arange(50))
    h, r = host.run(150), ref.run(150)
    assert_allclose(
        h.samples[(1, "isyn_exc")][1], r.samples[(1, "isyn_exc")][1], rtol=1e-12, atol=1e-14
    )
