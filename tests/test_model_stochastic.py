"""sPyNNaker's stochastic neuron models (sim.extra_models): firing probabilities per step
against each model's formula, over many neurons and steps; determinism whatever the chunking.

The formulas (docs/MODELS.md, "Stochastic models"):

* StocExp: ``v = bias + input``, ``p = min(1, 2**v / tau)``, then ``ceil(tau/dt)`` steps on.
* StocExpStable: ``v += bias + input``, ``p = min(1, tau * 2**v)``, reset to ``v_reset``.
* StocSigma: ``v = bias + input``, ``p = 2**(-2**(-alpha v))``.
* IFCurrDeltaFixedProb: at or above ``v_thresh``, a spike with probability ``p_thresh``.
* IFCondExpStoc: ``p = 0.8 (1 - exp(-dt/tau_th exp((v - v_thresh)/du_th)))``.

Counts are binomial; each is checked within 5 standard deviations (fixed seeds: never flaky,
yet a wrong base, sign or missing factor is off by far more).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats

from spinstream.board import describe_model
from spinstream.model import NetworkSpec, PopulationSpec
from tests.engine import require_engine
from tests.reference import ReferenceBoard, network, population, projection, trivial_plan
from tests.test_spinnaker_face import run_script

HostBoard = require_engine()

DT = 0.1
MODELS = ("StocExp", "StocExpStable", "StocSigma", "IFCurrDeltaFixedProb", "IFCondExpStoc")


def pop(
    pid: int, model: str, n: int, initial: dict[str, object] | None = None, **params: object
) -> PopulationSpec:
    """A population of an engine model, its defaults from the engine's description."""
    d = describe_model(model)
    full = {r.name: r.value for r in d.pynn_rows} | params
    init = dict(d.default_initial_values) | (initial or {})
    return PopulationSpec(
        id=pid,
        label=f"{model}{pid}",
        size=n,
        model=model,
        params={k: np.broadcast_to(np.asarray(v, float), (n,)).copy() for k, v in full.items()},
        initial={k: np.broadcast_to(np.asarray(v, float), (n,)).copy() for k, v in init.items()},
    )


def run(
    spec: NetworkSpec, steps: int | list[int], atoms: int = 64, record: tuple[str, ...] = ()
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Spike stamps and indices of population 0 (and recorded rows), over one or more runs."""
    board = HostBoard()
    board.load(spec, trivial_plan(spec, atoms_per_core=atoms))
    n = spec.populations[0].size
    board.set_recording(0, "spikes", np.arange(n))
    for var in record:
        board.set_recording(0, var, np.arange(n))
    stamps, index, samples = [], [], {v: [] for v in record}
    for k in [steps] if isinstance(steps, int) else steps:
        r = board.run(k)
        s, i = r.spikes.get(0, (np.zeros(0, np.int64), np.zeros(0, np.int64)))
        stamps.append(s)
        index.append(i)
        for v in record:
            samples[v].append(r.samples[(0, v)][1])
    return (
        np.concatenate(stamps),
        np.concatenate(index),
        {v: np.concatenate(x) for v, x in samples.items()},
    )


def assert_binomial(count: np.ndarray, trials: np.ndarray | float, p: np.ndarray) -> None:
    mean, sd = trials * p, np.sqrt(trials * p * (1 - p))
    assert np.all(np.abs(count - mean) <= 5 * sd + 1e-9), (count, mean, sd)


def test_stoc_sigma_fires_with_probability_two_to_minus_two_to_minus_alpha_v() -> None:
    n, steps = 40, 3000
    bias = np.linspace(-3.0, 3.0, n)
    alpha = np.where(np.arange(n) % 2 == 0, 1.0, 0.6)
    # tau_refrac = dt: no step after a spike is "on", every step is a fresh draw
    spec = network(DT, [pop(0, "StocSigma", n, bias=bias, alpha=alpha, tau_refrac=DT)], seed=4)
    _, idx, rec = run(spec, steps, record=("v",))
    p = 2.0 ** (-(2.0 ** (-alpha * bias)))
    assert_binomial(np.bincount(idx, minlength=n), steps, p)
    # the first sample is the initial value; then v = bias (no input)
    assert_allclose(rec["v"][1:], np.broadcast_to(bias, rec["v"][1:].shape))


def test_stoc_exp_onset_probability_and_on_period_of_tau() -> None:
    n, steps = 30, 6000
    bias = np.linspace(-9.0, -5.0, n)
    tau = 1.0  # ms: 10 steps on after each onset
    spec = network(DT, [pop(0, "StocExp", n, bias=bias, tau=tau)], seed=5)
    stamps, idx, _ = run(spec, steps)
    onsets, draws = np.zeros(n), np.zeros(n)
    for i in range(n):
        s = np.sort(stamps[idx == i])
        breaks = np.flatnonzero(np.diff(s) != 1) + 1
        runs = np.diff(np.concatenate([[0], breaks, [len(s)]]))
        # every onset is followed by exactly ceil(tau/dt) - 1 more spikes (the last may be cut)
        assert np.all(runs[:-1] % 10 == 0), runs
        onsets[i] = np.sum(np.ceil(runs / 10))
        draws[i] = steps - (len(s) - onsets[i])  # the steps that were not "on" draw
    assert_binomial(onsets, draws, np.minimum(1.0, 2.0**bias / tau))
    assert onsets.sum() > 1000


def test_stoc_exp_input_of_a_step_enters_its_probability() -> None:
    # a spike of weight w arriving at a step raises v to bias + w there only: p = 2**(b+w)/tau
    n, w, b = 400, 3.0, -7.0
    times = [np.arange(10, 500, 10) * DT] * 1
    spec = network(
        DT,
        [
            population(0, "SpikeSourceArray", 1, spike_times=times),
            pop(1, "StocExp", n, bias=b, tau=DT),
        ],
        [projection(0, 0, 1, np.zeros(n, int), np.arange(n), w, 1)],
        seed=6,
    )
    board = HostBoard()
    board.load(spec, trivial_plan(spec, atoms_per_core=100))
    board.set_recording(1, "spikes", np.arange(n))
    stamps, _ = board.run(500).spikes[1]
    hit = np.isin(stamps, np.arange(10, 500, 10) + 1)  # arrival one step after the source
    n_hit, n_off = 49 * n, (500 - 49) * n
    assert_binomial(np.array(hit.sum()), n_hit, np.array(2.0 ** (b + w) / DT))
    assert_binomial(np.array((~hit).sum()), n_off, np.array(2.0**b / DT))


def test_stoc_exp_stable_first_spike_times_follow_the_integrated_probability() -> None:
    n, steps, b = 2000, 60, 0.15
    spec = network(DT, [pop(0, "StocExpStable", n, bias=b, tau=0.05, tau_refrac=DT)], seed=7)
    stamps, idx, _ = run(spec, steps, atoms=500)
    first = np.full(n, steps + 1)
    np.minimum.at(first, idx, stamps)  # stamp j: the draw of step j (v = j * b)
    j = np.arange(1, steps + 1)
    p = np.minimum(1.0, 0.05 * 2.0 ** (j * b))
    pmf = p * np.concatenate([[1.0], np.cumprod(1 - p)[:-1]])
    observed = np.bincount(first, minlength=steps + 2)[1:]
    expected = np.append(pmf, 1 - pmf.sum()) * n
    keep = expected > 5  # pool the sparse tail: chi-square needs counts of a few at least
    obs = np.append(observed[keep], observed[~keep].sum())
    exp = np.append(expected[keep], expected[~keep].sum())
    assert stats.chisquare(obs, exp).pvalue > 1e-3
    # after a spike v restarts from v_reset = 0: the intervals have the same distribution
    # (a long run: intervals cut by its end would bias the mean of the complete ones)
    stamps, idx, _ = run(spec, 4000, atoms=500)
    isi = np.concatenate([np.diff(np.sort(stamps[idx == i])) for i in range(n)])
    assert abs(isi.mean() - (j * pmf).sum() / pmf.sum()) < 5 * isi.std() / np.sqrt(len(isi))


def test_stoc_exp_stable_never_falls_below_v_reset() -> None:
    spec = network(DT, [pop(0, "StocExpStable", 20, bias=-0.5, v_reset=-1.0, tau=0.01)], seed=8)
    _, _, rec = run(spec, 300, record=("v",))
    assert rec["v"].min() == pytest.approx(-1.0)
    assert np.all(rec["v"] >= -1.0)


def test_if_curr_delta_fixed_prob_fires_with_p_thresh_at_or_above_threshold() -> None:
    n, steps = 30, 4000
    p_thresh = np.linspace(0.02, 1.0, n)
    # sPyNNaker's defaults: tau_m = cm = 1e-4, so v = v_rest + i_offset * 1 MOhm each step
    above = network(
        DT, [pop(0, "IFCurrDeltaFixedProb", n, p_thresh=p_thresh, i_offset=1.5)], seed=9
    )
    _, idx, _ = run(above, steps)
    assert_binomial(np.bincount(idx, minlength=n), steps, p_thresh)
    below = network(DT, [pop(0, "IFCurrDeltaFixedProb", n, i_offset=0.99)], seed=9)
    assert len(run(below, steps)[0]) == 0


def test_if_curr_delta_fixed_prob_with_p_thresh_one_is_if_curr_delta() -> None:
    # the ReferenceBoard's IF_curr_delta (docs/ENGINE.md) is independent of the C kernels
    rng = np.random.default_rng(3)
    n = 12
    params = {
        "v_rest": -65.0,
        "cm": 1.0,
        "tau_m": rng.uniform(5, 30, n),
        "tau_refrac": 2.0,
        "i_offset": rng.uniform(0.5, 1.5, n),
        "v_reset": -70.0,
        "v_thresh": -52.0,
    }
    src = population(0, "SpikeSourceArray", 3, spike_times=[[5.0, 20.0], [11.0], [30.5]])
    edges = (rng.integers(0, 3, 30), rng.integers(0, n, 30), rng.uniform(0.5, 4.0, 30), 1)
    spec_ref = network(
        DT, [src, population(1, "IF_curr_delta", n, **params)], [projection(0, 0, 1, *edges)]
    )
    spec_fp = network(
        DT,
        [src, pop(1, "IFCurrDeltaFixedProb", n, {"v": -65.0}, **params)],
        [projection(0, 0, 1, *edges)],
    )
    ref, host = ReferenceBoard(), HostBoard()
    ref.load(spec_ref, trivial_plan(spec_ref))
    host.load(spec_fp, trivial_plan(spec_fp, atoms_per_core=5))
    for b in (ref, host):
        b.set_recording(1, "spikes", np.arange(n))
    r, h = ref.run(1000).spikes[1], host.run(1000).spikes[1]
    assert len(r[0]) > 20
    assert_array_equal(h[0], r[0])
    assert_array_equal(h[1], r[1])


def test_if_cond_exp_stoc_soft_threshold_probability() -> None:
    n, steps = 30, 3000
    v0 = np.linspace(-53.0, -47.0, n)
    du_th, tau_th = 1.5, 5.0
    # v held at v0: v_rest = v_reset = v0, no input, no refractory period
    spec = network(
        DT,
        [
            pop(
                0,
                "IFCondExpStoc",
                n,
                {"v": v0},
                v_rest=v0,
                v_reset=v0,
                tau_refrac=0.0,
                du_th=du_th,
                tau_th=tau_th,
            )
        ],
        seed=10,
    )
    _, idx, rec = run(spec, steps, record=("v",))
    assert_allclose(rec["v"], np.broadcast_to(v0, rec["v"].shape), atol=1e-12)
    p = 0.8 * (1 - np.exp(-DT / tau_th * np.exp((v0 - -50.0) / du_th)))
    assert_binomial(np.bincount(idx, minlength=n), steps, p)


def test_if_cond_exp_stoc_no_draw_while_refractory() -> None:
    # a neuron far above threshold fires with p = 0.8 each step it may, never while refractory
    spec = network(
        DT,
        [pop(0, "IFCondExpStoc", 200, {"v": -40.0}, v_rest=-40.0, v_reset=-40.0, tau_refrac=1.0)],
        seed=11,
    )
    stamps, idx, _ = run(spec, 2000)
    isi = np.concatenate([np.diff(np.sort(stamps[idx == i])) for i in range(200)])
    assert isi.min() == 11  # 10 refractory steps, then the first draw
    # then a geometric wait with p = 0.8: mean 10 + 1/0.8 steps
    assert abs(isi.mean() - (10 + 1 / 0.8)) < 5 * isi.std() / np.sqrt(len(isi))


@pytest.mark.parametrize("model", MODELS)
def test_same_seed_same_spikes_whatever_the_chunks(model: str) -> None:
    n = 50
    params = {
        "StocExp": {"bias": -4.0, "tau": 0.5},
        "StocExpStable": {"bias": 0.05},
        "StocSigma": {"bias": -1.0},
        "IFCurrDeltaFixedProb": {"p_thresh": 0.3, "i_offset": 1.5},
        "IFCondExpStoc": {"v_rest": -49.0, "v_reset": -49.0},
    }[model]
    initial = {"v": -49.0} if model == "IFCondExpStoc" else None
    spec = network(DT, [pop(0, model, n, initial, **params)], seed=12)
    whole = run(spec, 800)
    chunked = run(spec, [1, 99, 250, 7, 443])
    assert len(whole[0]) > 100
    assert_array_equal(whole[0], chunked[0])
    assert_array_equal(whole[1], chunked[1])
    other = run(network(DT, [pop(0, model, n, initial, **params)], seed=13), 800)
    assert not np.array_equal(whole[0], other[0])


def test_spinnaker_script_runs_the_stochastic_models(tmp_path: Path) -> None:
    out = run_script(
        tmp_path,
        """
        import json
        import pyNN.spiNNaker as sim
        sim.setup(timestep=0.1)
        cells = {
            "StocSigma": sim.extra_models.StocSigma(tau_refrac=0.1, bias=1.0),
            "StocExp": sim.extra_models.StocExp(tau=0.1, bias=-5.0),
            "StocExpStable": sim.extra_models.StocExpStable(),
            "IFCurrDeltaFixedProb": sim.extra_models.IFCurrDeltaFixedProb(
                p_thresh=0.5, i_offset=2.0),
            "IFCondExpStoc": sim.extra_models.IFCondExpStoc(v_rest=-45.0),
        }
        pops = {k: sim.Population(100, c, label=k, seed=3) for k, c in cells.items()}
        for p in pops.values():
            p.record("spikes")
        sim.run(100.0)
        counts = {
            k: sum(len(s) for s in p.get_data("spikes").segments[0].spiketrains)
            for k, p in pops.items()
        }
        sim.end()
        print(json.dumps(counts))
        """,
    )
    counts = json.loads(out.stdout.strip().splitlines()[-1])
    steps = 1000 * 100
    assert_binomial(np.array(counts["StocSigma"]), steps, np.array(2.0**-0.5))
    assert_binomial(np.array(counts["StocExp"]), steps, np.array(2.0**-5 / 0.1))
    assert_binomial(np.array(counts["IFCurrDeltaFixedProb"]), steps, np.array(0.5))
    assert counts["StocExpStable"] > 0
    assert counts["IFCondExpStoc"] > 0
