"""Spike histories that fill while spikes are delivered: no step lost, every thread alike.

A history that fills (and must grow) stops the run before the next step, which must stay
undrawn (engine.h, "threads"), and every thread must find that it is full at the same point:
dopamine from neuron spikes reaches the histories only as the spikes are delivered, at a
window's end, which is where a fill would otherwise be seen by some threads and not others
(docs/ENGINE.md, "Threads", "Windows").
"""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_array_equal

from spinstream.model import PopulationSpec
from tests.engine import require_engine
from tests.fakes import trivial_plan
from tests.test_neuromodulation import recurrent_spec
from tests.test_plasticity import LIF_CELL, cells

HostBoard = require_engine()


def _dopamine_board(threads: int = 1) -> HostBoard:
    """tests/test_neuromodulation.py's recurrent network, its reward population made of
    neurons that fire regularly: their dopamine reaches the histories as neuron spikes are
    delivered, at a window's end, and fills (grows) a history there."""
    spec = recurrent_spec()
    reward = spec.populations[2]
    cell = dict(LIF_CELL, i_offset=3.0)
    spec.populations[2] = PopulationSpec(
        2,
        "reward",
        reward.size,
        "IF_curr_exp",
        cells(reward.size, cell),
        {"v": np.linspace(-65.0, -51.0, reward.size)},
    )
    board = HostBoard(threads=threads)
    board.load(spec, trivial_plan(spec, atoms_per_core=64))
    board.set_recording(0, "spikes", np.arange(40))  # the Poisson noise
    board.set_recording(1, "spikes", np.arange(30))
    return board


def test_a_history_filled_at_a_windows_end_loses_no_source_spike() -> None:
    """A run that stops for a full history must leave the next step undrawn (engine.h):
    one long run and runs of one step each give the same Poisson spikes and weights."""
    steps = 3000
    whole = _dopamine_board()
    ref = whole.run(steps)
    cut = _dopamine_board()
    parts = [cut.run(1) for _ in range(steps)]
    assert whole.plastic_statistics().ring_capacity > 32  # the histories grew
    for pop in (0, 1):
        got = np.concatenate([p.spikes[pop][0] for p in parts])
        assert len(got) > 100
        assert_array_equal(np.sort(ref.spikes[pop][0]), np.sort(got), err_msg=f"pop {pop}")
    for proj in (0, 1):
        assert_array_equal(whole.get_weights(proj), cut.get_weights(proj))


def test_a_history_filled_by_delivered_dopamine_stops_every_thread_alike() -> None:
    """Dopamine released by neuron spikes fills a history while one thread delivers; a
    thread that read ``full`` only then would decide otherwise whether the next step runs
    (so it was before windows, too).  2 threads must give 1 thread's bits, every time."""
    steps = 3000
    ref = _dopamine_board(1).run(steps)
    for _ in range(5):
        board = _dopamine_board(2)
        got = board.run(steps)
        for pop in (0, 1):
            assert_array_equal(np.sort(ref.spikes[pop][0]), np.sort(got.spikes[pop][0]))
