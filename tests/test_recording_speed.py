"""Index checks and unions without np.unique's hash path; set_recording on a million neurons."""

from __future__ import annotations

import time

import numpy as np
import pytest

from spinstream._indices import has_repeats, union_sorted, unique_sorted
from spinstream.board import HostBoard
from spinstream.session import Runtime
from spinstream.streams import Selection
from tests.reference.build import population


@pytest.mark.parametrize("seed", range(20))
def test_index_helpers_match_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 50))
    span = int(rng.choice([5, 100, 10**9]))  # dense (mask) and sparse (sort) paths
    idx = rng.integers(0, span, n).astype(np.int64)
    if seed % 3 == 0:
        idx = np.unique(idx)  # sorted, no repeats: the fast path
    assert has_repeats(idx) == (len(np.unique(idx)) != len(idx))
    np.testing.assert_array_equal(unique_sorted(idx), np.unique(idx))
    other = rng.integers(0, span, 7).astype(np.int64)
    np.testing.assert_array_equal(union_sorted(idx, other), np.union1d(idx, other))
    assert unique_sorted(idx).dtype == np.int64


def test_repeats_still_refused() -> None:
    rt = Runtime(dt=0.1, seed=1)
    rt.add_population(population(0, "IF_curr_exp", 10))
    with pytest.raises(ValueError, match="repeat"):
        rt.set_recording(0, "spikes", [3, 1, 3])
    with pytest.raises(ValueError, match="repeat"):
        Selection([(0, [5, 2, 5])])


def test_set_recording_a_million_neurons_is_fast() -> None:
    n = 1_000_000
    rt = Runtime(dt=0.1, seed=1, board=HostBoard())
    rt.add_population(population(0, "IF_curr_exp", n, i_offset=2.0))
    rt.run_steps_blocking(1)  # loaded: the board checks and applies the selections too
    t0 = time.perf_counter()
    rt.set_recording(0, "spikes", np.arange(n))
    rt.set_recording(0, "v", np.arange(n)[::-1].copy(), 10)  # unsorted: the slow path
    elapsed = time.perf_counter() - t0
    # np.unique (numpy 2 hashing) and one scan of all indices per core took ~4.7 s here
    assert elapsed < 1.5, f"set_recording of 1M neurons took {elapsed:.2f} s"
    rt.run_steps_blocking(9)  # to step 10: one sample, of the state now
    stamps, values, idx = rt.recorder.samples(0, "v")
    assert values.shape == (1, n)
    assert stamps.tolist() == [10]
    np.testing.assert_array_equal(values[0], rt.get_state(0, "v", idx))
    rt.close()
