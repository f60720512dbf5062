"""sPyNNaker's RecurrentRule (``sim.extra_models.RecurrentRule``; kernels_c/recurrent.c).

Checks independent of the engine's code: a reference state machine written from the rule's
statement (docs/ENGINE.md, "Plasticity") with windows that never close (means of 1e12 ms:
a window shorter than the spike intervals here has probability below 1e-9), hand-computed
weights, and the statistics of the random windows: a pairing n steps after a window opened
counts with probability exp(-n dt / mean), so over many independent synapses the share that
changed is binomial around that value.  And the same seed gives the same weights whatever
the chunking and the number of threads.
"""

from __future__ import annotations

import math
import pathlib

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from pyNN import errors

from spinstream.model import (
    EXCITATORY,
    NetworkSpec,
    ParameterError,
    PopulationSpec,
    ProjectionSpec,
    STDPSpec,
)
from tests.engine import require_engine
from tests.fakes import trivial_plan
from tests.test_plasticity import DELTA_CELL, DT, LIF_CELL, cells, load
from tests.test_spinnaker_face import result, run_script

HostBoard = require_engine()

NEVER = 1e12  # ms: a window mean under which every window stays open here


def rule(
    pot: int = 2,
    dep: int = -2,
    dual: bool = True,
    mul: bool = False,
    a_plus: float = 0.1,
    a_minus: float = 0.05,
    mean_pre: float = NEVER,
    mean_post: float = NEVER,
) -> STDPSpec:
    return STDPSpec(
        mean_pre,
        mean_post,
        a_plus,
        a_minus,
        0.1 if mul else 0.0,
        1.0,
        "multiplicative" if mul else "additive",
        timing="recurrent",
        accumulator_depression=dep,
        accumulator_potentiation=pot,
        dual_fsm=1.0 if dual else 0.0,
    )


def pairs_spec(
    r: STDPSpec, w0: float, pre_ms: list[float], teacher_ms: list[float], d: int, n: int = 1
) -> NetworkSpec:
    """n independent copies of: source -> (rule) -> delta neuron, a teacher making the neuron
    fire one step after each teacher time."""
    spec = NetworkSpec(dt=DT, seed=3)
    spec.populations += [
        PopulationSpec(0, "pre", n, "SpikeSourceArray", spike_times=[np.array(pre_ms)] * n),
        PopulationSpec(
            1, "teacher", n, "SpikeSourceArray", spike_times=[np.array(teacher_ms)] * n
        ),
        PopulationSpec(
            2, "post", n, "IF_curr_delta", cells(n, DELTA_CELL), {"v": np.full(n, -65.0)}
        ),
    ]
    one = np.arange(n)
    spec.projections += [
        ProjectionSpec(
            0, 0, 2, one, one, np.full(n, w0), np.full(n, d), np.full(n, EXCITATORY), "rec", r
        ),
        ProjectionSpec(
            1, 1, 2, one, one, np.full(n, 100.0), np.ones(n, np.int64), np.full(n, EXCITATORY), "t"
        ),
    ]
    return spec


def run_pairs(
    r: STDPSpec, w0: float, pre_ms: list[float], teacher_ms: list[float], d: int, n: int = 1
) -> tuple[np.ndarray, list[int], list[int]]:
    board = load(pairs_spec(r, w0, pre_ms, teacher_ms, d, n))
    board.set_recording(2, "spikes", np.array([0]))
    res = board.run(round((max(pre_ms + teacher_ms) + d * DT + 5.0) / DT))
    post = [int(x) for x in res.spikes[2][0]]
    return board.get_weights(0), [round(t / DT) for t in pre_ms], post


def reference(r: STDPSpec, w: float, pre: list[int], post: list[int], d: int) -> float:
    """The rule with windows that never close, from its statement (stamps in steps)."""
    add = r.weight_dependence == "additive"
    pot, dep = int(r.accumulator_potentiation), int(r.accumulator_depression)
    acc, state = 0, "idle"
    seen = sorted(t + d for t in post)

    def up() -> None:
        nonlocal acc, w
        if acc < pot - 1:
            acc += 1
        else:
            acc = 0
            w = min(w + r.A_plus * (r.w_max if add else r.w_max - w), r.w_max)

    def down() -> None:
        nonlocal acc, w
        if acc > dep + 1:
            acc -= 1
        else:
            acc = 0
            w = max(w - r.A_minus * (r.w_max if add else w - r.w_min), r.w_min)

    prev: int | None = None
    for s in pre:
        for a in seen:
            if (prev if prev is not None else -1) < a <= s:
                if r.dual_fsm:
                    if prev is not None:  # inside the latest presynaptic spike's window
                        up()
                elif state == "idle":
                    state = "post"
                elif state == "post":
                    state = "idle"  # a second postsynaptic spike inside the window closes it
                elif a == prev:
                    state = "idle"
                else:
                    up()
                    state = "idle"
        if any(a <= s for a in seen):  # the neuron has fired: the presynaptic spike counts
            if r.dual_fsm:
                down()
            elif state == "idle":
                state = "pre"
            elif state == "pre":
                state = "idle"
            else:
                down()
                state = "idle"
        prev = s
    return w


def test_accumulator_counts_pairings_by_hand() -> None:
    # dual: pre 10 ms; posts seen at 12.1, 14.1, 16.1 ms (three potentiating pairings:
    # acc 1, then the second reaches accumulator_potentiation = 2: w + 0.1, acc 0; then 1);
    # pre 30 ms falls in the post window of 16.1: one depressing pairing (acc 1 -> 0)
    r = rule(pot=2, dep=-2)
    w, _, post = run_pairs(r, 0.5, [10.0, 30.0], [12.0, 14.0, 16.0], 1)
    assert post == [121, 141, 161]
    assert w[0] == pytest.approx(0.6, abs=1e-12)
    # pre 50, 70 ms: each depresses against 16.1 (acc -1, then -2 reaches the limit? no:
    # -1 > dep + 1 = -1 is false at -1, so the second one depresses: w - 0.05)
    w, _, _ = run_pairs(r, 0.5, [10.0, 30.0, 50.0, 70.0, 90.0], [12.0, 14.0, 16.0], 1)
    # acc after pre 30: 0; pre 50: 0 > -1 -> acc -1; pre 70: -1 > -1 no -> w - 0.05, acc 0;
    # pre 90: acc -1
    assert w[0] == pytest.approx(0.55, abs=1e-12)
    # one state machine: pre 10 is ignored (the neuron never fired); post 12.1 opens a post
    # window, 14.1 closes it, 16.1 opens it again; pre 30 inside it: one depressing pairing
    one = rule(pot=1, dep=-1, dual=False)
    w, _, _ = run_pairs(one, 0.5, [10.0, 30.0], [12.0, 14.0, 16.0], 1)
    assert w[0] == pytest.approx(0.45, abs=1e-12)


@pytest.mark.parametrize("dual", [True, False], ids=["dual_fsm", "one_fsm"])
@pytest.mark.parametrize("mul", [False, True], ids=["additive", "multiplicative"])
@pytest.mark.parametrize("seed", [1, 2])
def test_random_trains_match_the_reference(dual: bool, mul: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    pre_ms = sorted({round(float(x), 1) for x in rng.uniform(5, 400, 40)})
    teacher_ms = sorted({round(float(x), 1) for x in rng.uniform(5, 400, 40)})
    r = rule(pot=3, dep=-2, dual=dual, mul=mul, a_plus=0.07, a_minus=0.06)
    d = int(rng.integers(1, 30))
    w, pre, post = run_pairs(r, 0.5, pre_ms, teacher_ms, d)
    expected = reference(r, 0.5, pre, post, d)
    assert w[0] == pytest.approx(expected, abs=1e-12)
    assert abs(expected - 0.5) > 1e-3  # the trains make the rule do something


def binomial_ok(k: int, n: int, p: float) -> bool:
    return abs(k - n * p) <= 4.5 * math.sqrt(n * p * (1 - p))


@pytest.mark.parametrize("dual", [True, False], ids=["dual_fsm", "one_fsm"])
def test_window_lengths_are_exponential_with_the_mean_given(dual: bool) -> None:
    n = 3000
    mean = 10.0
    # potentiation: a presynaptic spike (after a postsynaptic one long before, so that the
    # one state machine does not ignore it and its post window has closed: exp(-20)), then
    # a postsynaptic spike lag ms later (seen at the synapse), then a presynaptic spike to
    # apply it; accumulator limits of 1 act at once, A_minus = 0 keeps depression out
    r = rule(pot=1, dep=-1, dual=dual, a_plus=0.1, a_minus=0.0, mean_pre=mean, mean_post=mean)
    for lag_steps in (20, 61):
        teacher = 210.0 + (lag_steps - 2) * DT  # fires one step later, seen one more later
        w, _, post = run_pairs(r, 0.5, [210.0, 400.0], [5.0, teacher], 1, n)
        assert post == [51, 2100 + lag_steps - 1]
        k = int(np.count_nonzero(w > 0.5))
        p = math.exp(-lag_steps * DT / mean)
        assert binomial_ok(k, n, p), (lag_steps, k / n, p)
    # depression: a postsynaptic spike, then a presynaptic one lag ms after it is seen
    r = rule(pot=1, dep=-1, dual=dual, a_plus=0.0, a_minus=0.1, mean_pre=mean, mean_post=mean)
    for lag_steps in (0, 35):
        pre_ms = 100.0 + (lag_steps + 2) * DT  # post at 100.1 ms, seen at 100.2 ms
        w, _, _ = run_pairs(r, 0.5, [pre_ms], [100.0], 1, n)
        k = int(np.count_nonzero(w < 0.5))
        p = math.exp(-lag_steps * DT / mean)
        if lag_steps == 0:
            assert k == n  # a window of 0 steps has probability 0
        else:
            assert binomial_ok(k, n, p), (lag_steps, k / n, p)


def random_recurrent_spec(dual: bool, seed: int = 7) -> NetworkSpec:
    rng = np.random.default_rng(seed)
    n_src, n = 60, 40
    spec = NetworkSpec(dt=DT, seed=seed)
    spec.populations += [
        PopulationSpec(
            0,
            "noise",
            n_src,
            "SpikeSourcePoisson",
            params={
                "rate": np.full(n_src, 40.0),
                "start": np.zeros(n_src),
                "duration": np.full(n_src, np.inf),
            },
        ),
        PopulationSpec(
            1, "exc", n, "IF_curr_exp", cells(n, LIF_CELL), {"v": rng.uniform(-65, -55, n)}
        ),
    ]
    r = rule(pot=3, dep=-3, dual=dual, a_plus=0.05, a_minus=0.05, mean_pre=15.0, mean_post=12.0)
    for pid, (src, size, p_conn, hi) in enumerate(((0, n_src, 0.3, 1.0), (1, n, 0.2, 0.3))):
        k = rng.random((size, n)) < p_conn
        pre, post = np.nonzero(k)
        spec.projections.append(
            ProjectionSpec(
                pid,
                src,
                1,
                pre,
                post,
                rng.uniform(0.1, hi, len(pre)),
                rng.integers(1, 25, len(pre)),
                np.zeros(len(pre), np.int64),
                f"p{pid}",
                r,
            )
        )
    return spec


@pytest.mark.parametrize("dual", [True, False], ids=["dual_fsm", "one_fsm"])
def test_same_seed_same_weights_any_chunking_and_threads(dual: bool) -> None:
    spec = random_recurrent_spec(dual)
    ref = load(spec, atoms_per_core=16)  # 3 neuron cores: 2 threads share them
    ref.run(4000)
    w_ref = [ref.get_weights(p) for p in (0, 1)]
    assert np.abs(w_ref[0] - spec.projections[0].weight).max() > 0.01  # it learns
    rng = np.random.default_rng(1)
    for threads in (1, 2):
        board = HostBoard(threads=threads)
        board.load(random_recurrent_spec(dual), trivial_plan(spec, atoms_per_core=16))
        done = 0
        while done < 4000:
            k = int(min(rng.integers(1, 300), 4000 - done))
            board.run(k)
            done += k
        for p in (0, 1):
            assert_array_equal(board.get_weights(p), w_ref[p])
    # another seed draws other windows
    other = random_recurrent_spec(dual)
    other.seed = 8
    b = load(other, atoms_per_core=16)
    b.run(4000)
    assert not np.array_equal(b.get_weights(0), w_ref[0])


def test_bad_rules_and_mixed_histories_are_refused() -> None:
    with pytest.raises(ParameterError, match=r"accumulator_potentiation = 2\.5"):
        rule(pot=2.5).check("r")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="dual_fsm"):
        STDPSpec(10, 10, 0.1, 0.1, 0, 1, timing="recurrent", dual_fsm=0.5).check("r")
    spec = pairs_spec(rule(), 0.5, [10.0], [12.0], 1)
    spec.projections.append(
        ProjectionSpec(
            2,
            0,
            2,
            np.array([0]),
            np.array([0]),
            np.array([0.5]),
            np.array([1]),
            np.array([EXCITATORY]),
            "pair",
            STDPSpec(20.0, NEVER, 0.01, 0.01, 0.0, 1.0),
        )
    )
    with pytest.raises(ParameterError, match="takes no other STDP rule"):
        load(spec)
    from spinstream.spinnaker.extra_models import RecurrentRule

    with pytest.raises(errors.InvalidParameterValueError, match="mean_pre_window"):
        RecurrentRule(mean_pre_window=0.0)
    with pytest.raises(errors.InvalidParameterValueError, match="accumulator_depression"):
        RecurrentRule(accumulator_depression=1.5)


def test_spynnaker_script_learns(tmp_path: pathlib.Path) -> None:
    script = """
import json
import numpy as np
import pyNN.spiNNaker as sim
sim.setup(timestep=1.0)
pre = sim.Population(20, sim.SpikeSourcePoisson(rate=30.0), label="pre")
post = sim.Population(10, sim.IF_curr_exp(), label="post")
stdp = sim.STDPMechanism(
    timing_dependence=sim.extra_models.RecurrentRule(
        accumulator_depression=-6, accumulator_potentiation=3, mean_pre_window=10.0,
        mean_post_window=10.0, dual_fsm=True, A_plus=0.2, A_minus=0.2),
    weight_dependence=sim.MultiplicativeWeightDependence(w_min=0.0, w_max=4.0),
    weight=2.0, delay=1)
proj = sim.Projection(pre, post, sim.AllToAllConnector(), synapse_type=stdp)
sim.run(2000)
w = proj.get("weight", format="array")
acc = proj.get("accumulator_potentiation", format="list")
print(json.dumps({"changed": int(np.sum(np.abs(w - 2.0) > 1e-9)), "n": int(w.size),
                 "lo": float(w.min()), "hi": float(w.max()), "acc": float(acc[0][2])}))
sim.end()
"""
    out = result(run_script(tmp_path, script))
    assert out["n"] == 200
    assert out["changed"] > 20
    assert out["lo"] >= 0.0
    assert out["hi"] <= 4.0
    assert out["acc"] == 3.0
