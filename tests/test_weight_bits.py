"""16-bit static weights (``weight_bits=16``): the opt-in 4-byte synapse words (Q16 blocks).

A block that would store float32 weights beside 16-bit post|delay|receptor words (6 bytes a
synapse) stores, with ``weight_bits=16`` and weights finite and of one sign, one 32-bit word
a synapse instead: the same 16-bit half word below a 16-bit magnitude q, the weight being
q * scale with scale = (the block's largest |weight|) / 65535, signed as the block's weights
(docs/ENGINE.md, "Synaptic rows").  Checked here: the closed form with the quantised weights,
the choice of format, the bytes, bit-identical results whatever the threads and chunks, the
refusals, and that the default stays as it was.
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import spinstream
import spinstream.pyNN as sim
from spinstream.board import _engine as E
from spinstream.board._build import build_static_blocks
from spinstream.model import ParameterError
from tests.engine import require_engine
from tests.mpi_run import case_q16
from tests.reference import network, population, projection, trivial_plan

HostBoard = require_engine()

DT = 0.1
N_SRC = 600  # more distinct weights than a compact block's table holds (512)


def _two_spike_run(weight_bits: int) -> tuple[np.ndarray, np.ndarray, Any]:
    """Source 0 (w = 1.0) spikes at stamps 0 and 30, source 1 (w = 0.3) at 10 and 50; the
    other 598 sources (distinct weights in (0, 1)) never spike.  One IF_curr_exp target."""
    w = np.concatenate([[1.0, 0.3], np.linspace(0.001, 0.999, N_SRC - 2)])
    times: list[list[float]] = [[] for _ in range(N_SRC)]
    times[0] = [0.0, 3.0]
    times[1] = [1.0, 5.0]
    tau_s, d = 4.0, 3
    spec = network(
        DT,
        [
            population(0, "SpikeSourceArray", N_SRC, spike_times=times),
            population(1, "IF_curr_exp", 1, tau_syn_E=tau_s, v_thresh=1e9),
        ],
        [projection(0, 0, 1, np.arange(N_SRC), np.zeros(N_SRC, np.int64), w, d)],
    )
    board = HostBoard(weight_bits=weight_bits)
    board.load(spec, trivial_plan(spec))
    board.set_recording(1, "isyn_exc", np.arange(1))
    board.set_recording(1, "v", np.arange(1))
    res = board.run(120)
    stamps, isyn = res.samples[(1, "isyn_exc")]
    v = res.samples[(1, "v")][1]
    return stamps, np.column_stack([isyn[:, 0], v[:, 0]]), board


def _closed_form_isyn(stamps: np.ndarray, w0: float, w1: float) -> np.ndarray:
    """isyn at stamp k: each spike (stamp s, weight w) adds w exp(-(k - s - d) dt / tau)."""
    arrivals = np.array([0, 30, 10, 50]) + 3
    weights = np.array([w0, w0, w1, w1])
    age = stamps[:, None] - arrivals[None, :]
    return np.where(age >= 0, weights * np.exp(-np.maximum(age, 0) * DT / 4.0), 0.0).sum(axis=1)


def test_closed_form_with_the_quantised_weights() -> None:
    stamps, got16, board16 = _two_spike_run(16)
    _, got32, board32 = _two_spike_run(32)
    assert board16.weight_bits == 16
    assert board32.weight_bits == 32
    assert board16.synapses.fmt.tolist() == [E.Q16]
    assert board32.synapses.fmt.tolist() == [E.HALF]
    # the rounding rule: scale = largest |w| / 65535, q = |w| / scale to the nearest
    scale = 1.0 / 65535
    assert board16.synapses.wtab[board16.synapses.wtab_start[0]] == scale
    q0, q1 = np.rint(1.0 / scale), np.rint(0.3 / scale)
    assert (q0, q1) == (65535, 19660)
    expected16 = _closed_form_isyn(stamps, q0 * scale, q1 * scale)
    assert_allclose(got16[:, 0], expected16, rtol=1e-12, atol=1e-15)
    # 32 bits: float32 weights, exact to float32
    expected32 = _closed_form_isyn(stamps, float(np.float32(1.0)), float(np.float32(0.3)))
    assert_allclose(got32[:, 0], expected32, rtol=1e-12, atol=1e-15)
    # the option does something: 0.3 became 19660 / 65535 (0.29999237...), an error of
    # 7.6e-6, within half a step of the scale, far above float32's
    err = q1 * scale - 0.3
    assert 1e-7 < abs(err) <= scale / 2
    after = stamps >= 13  # the first 0.3 spike has arrived
    diff = got16[after, 0] - got32[after, 0]
    assert np.abs(diff).max() > 1e-7
    assert_allclose(diff, expected16[after] - expected32[after], rtol=1e-6, atol=1e-14)
    # and v follows its input: below threshold, the traces differ by the weight error alone
    assert np.abs(got16[:, 1] - got32[:, 1]).max() > 0
    assert np.abs(got16[:, 1] - got32[:, 1]).max() < 1e-4


def _chunk(w: np.ndarray, post: np.ndarray, rec: int = 0) -> Any:
    n = len(w)
    return (
        0,
        0,
        np.arange(n, dtype=np.int64) % 4,
        post.astype(np.int64),
        w.astype(np.float64),
        np.full(n, 2, np.int64),
        np.broadcast_to(np.int64(rec), (n,)),
    )


def _formats(w: np.ndarray, weight_bits: int, n_post: int = 200) -> Any:
    """One block: 4 source neurons (core 0) onto core 1 (n_post neurons)."""
    post = 4 + np.arange(len(w)) % n_post
    blocks = build_static_blocks(
        lambda: [_chunk(w, post)],
        np.array([0, 4]),
        np.array([4, n_post]),
        show=False,
        weight_bits=weight_bits,
    )
    return blocks


@pytest.mark.parametrize(
    ("weights", "fmt16"),
    [
        (np.linspace(0.01, 2.0, 800), E.Q16),  # many weights, one sign
        (-np.linspace(0.01, 2.0, 800), E.Q16),  # negative: a negative scale
        (np.concatenate([[0.0], np.linspace(0.01, 2.0, 799)]), E.Q16),  # zero has no sign
        (np.linspace(-1.0, 1.0, 800), E.HALF),  # both signs: stays float32
        (np.tile([0.1, 0.2, 0.3], 300), E.COMPACT),  # few weights: compact (exact) stays
    ],
)
def test_which_blocks_become_16_bit(weights: np.ndarray, fmt16: int) -> None:
    b16, b32 = _formats(weights, 16), _formats(weights, 32)
    assert b16.fmt.tolist() == [fmt16]
    assert b32.fmt.tolist() == [E.COMPACT if fmt16 == E.COMPACT else E.HALF]
    if fmt16 == E.Q16:
        scale = b16.wtab[b16.wtab_start[0]]
        biggest = np.abs(weights).max()
        assert scale == np.copysign(biggest / 65535, weights.sum())
        assert b16.n_q16 == len(weights)
        assert b16.n_half == 0
        assert b16.word_bytes == 4.0
        assert b32.word_bytes == 6.0
        # every weight within half a step of the scale, relative to the largest
        got = _decode(b16)
        assert np.abs(np.sort(got) - np.sort(weights)).max() <= biggest / 131070 * (1 + 1e-12)
    else:
        assert_array_equal(b16.stream, b32.stream)  # untouched: the same words


def _decode(b: Any) -> np.ndarray:
    """Every synapse's weight, q * scale, from a one-block table's rows."""
    scale = b.wtab[b.wtab_start[0]]
    words, pos, out = b.stream, 0, []
    while pos < len(words):
        count = int(words[pos]) & 0xFFFF
        out.append((words[pos + 1 : pos + 1 + count] >> 16).astype(np.float64) * scale)
        pos += 1 + count
    return np.concatenate(out)


def test_four_bytes_a_synapse_against_six() -> None:
    got16, got32 = case_q16(1, 10.0, 16), case_q16(1, 10.0, 32)
    n_q16, n_half, n_compact = got16["n_q16"]
    assert got32["n_q16"].tolist() == [0, n_q16, n_compact]  # the half blocks became Q16
    syn16, words16 = got16["held"]
    syn32, words32 = got32["held"]
    assert syn16 == syn32 == n_q16 + n_compact
    assert n_half == 0
    assert n_q16 > 0.8 * syn16
    # the words alone: 4 bytes a synapse (Q16 and compact), against 6 for the half ones
    assert got16["word_bytes"] == 4.0
    assert got32["word_bytes"] == pytest.approx((6 * n_q16 + 4 * n_compact) / syn32, rel=1e-12)
    # the rows, headers included: the same headers; a half segment of c synapses takes
    # c + ceil(c / 2) words after its header, a Q16 one c
    headers = words16 - syn16
    assert 0 < headers < syn16 / 4
    assert n_q16 // 2 <= words32 - words16 <= n_q16 // 2 + headers


def _spikes(r: dict[str, Any]) -> int:
    return sum(len(v) for k, v in r.items() if "spikes" in k)


def test_same_bits_for_threads_and_chunks() -> None:
    ref = case_q16(1, 10.0)
    assert ref["n_q16"][0] > 0
    assert _spikes(ref) > 500  # the network fires
    runs = [case_q16(2, 10.0), case_q16(3, 10.0), case_q16(1, 0.7), case_q16(2, 2.3)]
    for got in runs:
        assert got.keys() == ref.keys()
        for key in ref:
            assert_array_equal(got[key], ref[key], err_msg=key, strict=True)


@pytest.mark.parametrize("bad", [8, 0, 64, 16.0, True, "16", None])
def test_bad_weight_bits_refused(bad: Any) -> None:
    with pytest.raises(ParameterError, match=r"weight_bits.*" + repr(bad).replace(".", r"\.")):
        HostBoard(weight_bits=bad)
    if bad is None:  # Session and setup: None is the board's own (as threads=None)
        return
    with pytest.raises(ParameterError, match=r"weight_bits.*" + repr(bad).replace(".", r"\.")):
        spinstream.Session(weight_bits=bad)
    with pytest.raises(ParameterError, match="weight_bits"):
        sim.setup(timestep=0.1, weight_bits=bad)
    sim.end()


def test_a_board_of_ones_own_must_agree() -> None:
    with pytest.raises(ParameterError, match="weight_bits=16 was given with a board"):
        spinstream.Session(board=HostBoard(), weight_bits=16)
    s = spinstream.Session(board=HostBoard(weight_bits=16), weight_bits=16)
    assert s.runtime.board.weight_bits == 16


def test_plastic_network_with_16_bits_refused() -> None:
    sim.setup(timestep=0.1, weight_bits=16)
    try:
        a = sim.Population(20, sim.SpikeSourcePoisson(rate=50.0))
        b = sim.Population(20, sim.IF_curr_exp())
        sim.Projection(a, b, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.5))
        stdp = sim.STDPMechanism(
            timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0),
            weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=1.0),
            weight=0.5,
        )
        sim.Projection(a, b, sim.AllToAllConnector(), stdp, label="learner")
        with pytest.raises(ParameterError, match=r"weight_bits=16.*all static.*'learner'"):
            sim.run(10.0)
    finally:
        sim.end()
    # the same network at the default loads and runs
    sim.setup(timestep=0.1)
    try:
        a = sim.Population(20, sim.SpikeSourcePoisson(rate=50.0))
        b = sim.Population(20, sim.IF_curr_exp())
        sim.Projection(a, b, sim.AllToAllConnector(), stdp)
        sim.run(10.0)
    finally:
        sim.end()


def test_session_takes_weight_bits() -> None:
    async def go(bits: int) -> tuple[np.ndarray, Any]:
        async with spinstream.Session(timestep=0.1, seed=3, weight_bits=bits) as s:
            rng = s.NativeRNG()
            a = s.Population(200, s.SpikeSourcePoisson(rate=80.0))
            b = s.Population(100, s.IF_curr_exp(tau_refrac=2.0))
            w = s.RandomDistribution("uniform", (0.2, 1.2), rng=rng)
            s.Projection(
                a, b, s.FixedProbabilityConnector(0.5, rng=rng), s.StaticSynapse(weight=w)
            )
            b.record("v")
            await s.run(20.0)
            v = np.asarray(b.get_data().segments[-1].analogsignals[0].magnitude)
            return v, s.runtime.board

    v16, board16 = asyncio.run(go(16))
    v32, board32 = asyncio.run(go(32))
    assert board16.weight_bits == 16
    assert board16.synapses.n_q16 > 0
    assert board32.synapses.n_q16 == 0
    assert board32.synapses.n_half > 0
    assert not np.array_equal(v16, v32)  # quantised weights: other (close) traces
    assert np.abs(v16 - v32).max() < 0.05


def test_new_weights_are_quantised_again() -> None:
    """set_synapses rebuilds the rows: the new block scale, the new q, the closed form."""
    stamps, _, board = _two_spike_run(16)
    w = np.concatenate([[2.0, 0.7], np.linspace(0.001, 0.999, N_SRC - 2)])
    board.set_synapses(0, weight=w)
    b = board.synapses
    assert b.fmt.tolist() == [E.Q16]
    scale = 2.0 / 65535
    assert b.wtab[b.wtab_start[0]] == scale
    board.reset()
    res = board.run(120)
    isyn = res.samples[(1, "isyn_exc")][1][:, 0]
    expected = _closed_form_isyn(
        stamps, np.rint(2.0 / scale) * scale, np.rint(0.7 / scale) * scale
    )
    assert_allclose(isyn, expected, rtol=1e-12, atol=1e-15)


def test_a_16_bit_board_of_ones_own_needs_no_repeat() -> None:
    """Left out, weight_bits is the board's own (as threads is): not a refused 32."""
    s = spinstream.Session(board=HostBoard(weight_bits=16))
    assert s.runtime.weight_bits == 16
    sim.setup(timestep=0.1, board=HostBoard(weight_bits=16))
    try:
        assert sim.state.require_runtime().weight_bits == 16
    finally:
        sim.end()
    # given and different: still refused, naming what was given
    with pytest.raises(ParameterError, match="weight_bits=32 was given with a board"):
        spinstream.Session(board=HostBoard(weight_bits=16), weight_bits=32)
