"""Determinism: the same seed gives the same run, however it is split into chunks.

The network mixes everything random the engine has (Poisson and gamma sources, a noisy
current source) with a recurrent excitatory/inhibitory network spread over several cores.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from spinstream.board import ChunkResult, HostBoard
from spinstream.model import NetworkSpec
from tests.reference import current_source, network, population, projection, trivial_plan

DT = 0.1
STEPS = 1000


def random_network(seed: int) -> NetworkSpec:
    rng = np.random.default_rng(0)  # the structure is fixed; ``seed`` seeds the engine only
    n_exc, n_inh = 160, 40
    n = n_exc + n_inh
    pre, post = np.nonzero(rng.random((n, n)) < 0.1)
    inh = pre >= n_exc
    pois_pre, pois_post = np.nonzero(rng.random((40, n)) < 0.1)
    return network(
        DT,
        [
            population(0, "SpikeSourcePoisson", 40, rate=rng.uniform(20.0, 400.0, 40)),
            population(1, "SpikeSourceGamma", 10, alpha=3.0, beta=300.0),
            population(2, "IF_curr_exp", n, tau_refrac=2.0, i_offset=rng.uniform(0.0, 0.4, n)),
        ],
        [
            projection(
                0,
                2,
                2,
                pre,
                post,
                np.where(inh, 1.5, 0.4),
                rng.integers(1, 30, len(pre)),
                inh.astype(np.int64),
            ),
            projection(1, 0, 2, pois_pre, pois_post, 0.8, rng.integers(1, 15, len(pois_pre))),
            projection(2, 1, 2, np.arange(10), np.arange(10) * 7, 2.0, 3),
        ],
        [
            current_source(
                0,
                "noisy",
                [(2, range(0, n, 2))],
                mean=0.3,
                stdev=0.5,
                dt=0.5,
                start=3.0,
                stop=80.0,
            ),
            current_source(1, "dc", [(2, range(50))], amplitude=0.2, start=20.0),
        ],
        seed=seed,
    )


def load(seed: int, spike_buffer: int = 1 << 16) -> HostBoard:
    spec = random_network(seed)
    board = HostBoard(spike_buffer=spike_buffer)
    board.load(spec, trivial_plan(spec, atoms_per_core=48))
    for pop in spec.populations:
        board.set_recording(pop.id, "spikes", np.arange(pop.size))
    board.set_recording(2, "v", np.arange(0, 200, 9), interval_steps=3)
    return board


def run_in_chunks(board: HostBoard, chunks: list[int]) -> dict[str, np.ndarray]:
    assert sum(chunks) == STEPS
    results = [board.run(k) for k in chunks]
    out: dict[str, np.ndarray] = {}
    for pop in range(3):
        stamps = np.concatenate([r.spikes[pop][0] for r in results])
        idx = np.concatenate([r.spikes[pop][1] for r in results])
        order = np.lexsort((idx, stamps))
        out[f"stamps{pop}"], out[f"idx{pop}"] = stamps[order], idx[order]
    out["v_stamps"] = np.concatenate([r.samples[(2, "v")][0] for r in results])
    out["v"] = np.concatenate([r.samples[(2, "v")][1] for r in results])
    return out


CHUNKINGS = {
    "one": [STEPS],
    "ten": [100] * 10,
    "irregular": [1, 0, 7, 250, 3, 1, 500, 238],
    "single-steps-then-rest": [1] * 20 + [980],
}


@pytest.fixture(scope="module")
def whole() -> dict[str, np.ndarray]:
    return run_in_chunks(load(seed=42), [STEPS])


@pytest.mark.parametrize("chunks", list(CHUNKINGS.values()), ids=list(CHUNKINGS))
def test_same_seed_same_run_for_any_chunking(
    whole: dict[str, np.ndarray], chunks: list[int]
) -> None:
    got = run_in_chunks(load(seed=42), chunks)
    assert got.keys() == whole.keys()
    for key in whole:
        assert_array_equal(got[key], whole[key], err_msg=key)
    # the run is busy enough for this to mean something
    assert len(whole["stamps0"]) > 500
    assert len(whole["stamps1"]) > 50
    assert len(whole["stamps2"]) > 500
    assert_array_equal(np.unique(whole["v_stamps"]), np.arange(0, STEPS + 1, 3))


def test_a_small_output_buffer_splits_runs_internally_without_changing_them(
    whole: dict[str, np.ndarray],
) -> None:
    got = run_in_chunks(load(seed=42, spike_buffer=8), [STEPS])
    for key in whole:
        assert_array_equal(got[key], whole[key], err_msg=key)


def test_different_seed_different_run(whole: dict[str, np.ndarray]) -> None:
    other = run_in_chunks(load(seed=43), [STEPS])
    for pop in range(3):
        a, b = whole[f"stamps{pop}"], other[f"stamps{pop}"]
        assert not (len(a) == len(b) and np.array_equal(a, b)), pop
    assert not np.array_equal(whole["v"], other["v"])


# --- the GIL ------------------------------------------------------------------------------------


def test_run_releases_the_gil() -> None:
    """While one thread runs the engine, another keeps executing Python code.

    Python code of this thread sees the engine's step counter between the run's first and
    last step, which only a run that released the GIL allows (timing figures:
    benchmarks/bench_responsiveness.py, ``--part gil``).
    """
    n = 256
    spec = network(DT, [population(0, "HH_cond_exp", n, i_offset=0.5)])
    board = HostBoard()
    board.load(spec, trivial_plan(spec))
    t0 = time.perf_counter()
    board.run(50)
    per_step = (time.perf_counter() - t0) / 50
    steps = max(int(0.4 / per_step), 100)  # about 0.4 s of engine time
    first = board.step

    done = threading.Event()
    results: list[ChunkResult] = []

    def engine() -> None:
        try:
            results.append(board.run(steps))
        finally:
            done.set()

    worker = threading.Thread(target=engine)
    seen: set[int] = set()  # steps the engine was at while this thread ran Python code
    worker.start()
    while not done.is_set():
        seen.add(board.step)
    worker.join()
    assert results[0].n_steps == steps
    during = {s for s in seen if first < s < first + steps}
    assert len(during) >= 2, sorted(seen)[:10]
