"""SpikeSourcePoissonVariable (sPyNNaker's extra source): Poisson processes whose rate changes
at given times.

Checked against its definition (each window's count is Poisson with mean rate x length, its
intervals exponential), against NEST's ``inhomogeneous_poisson_generator`` where the two agree
(windows without end, each cut by the next start), for determinism whatever the chunking, and
through a sPyNNaker-style script (``sim.extra_models.SpikeSourcePoissonVariable``).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from scipy import stats

from spinstream.board import describe_model
from spinstream.model import NetworkSpec, PopulationSpec
from tests import refsim
from tests.engine import require_engine
from tests.reference import network, trivial_plan
from tests.test_spinnaker_face import run_script

HostBoard = require_engine()

DT = 0.1
MODEL = "SpikeSourcePoissonVariable"


def source(n: int, windows: list[tuple[float, float, float]], seed: int = 1) -> NetworkSpec:
    """``n`` neurons with the same windows ``(rate Hz, start ms, duration ms)``."""
    d = describe_model(MODEL)
    params = {r.name: r.value for r in d.pynn_rows}
    for k, (rate, start, duration) in enumerate(windows):
        params |= {f"rate_{k}": rate, f"start_{k}": start, f"duration_{k}": duration}
    pop = PopulationSpec(
        id=0,
        label="variable",
        size=n,
        model=MODEL,
        params={k: np.full(n, float(v)) for k, v in params.items()},
        initial={},
    )
    return network(DT, [pop], seed=seed)


def spikes(spec: NetworkSpec, chunks: list[int], atoms: int = 64) -> tuple[np.ndarray, ...]:
    board = HostBoard()
    board.load(spec, trivial_plan(spec, atoms_per_core=atoms))
    board.set_recording(0, "spikes", np.arange(spec.populations[0].size))
    out = [board.run(k).spikes.get(0, (np.zeros(0, np.int64),) * 2) for k in chunks]
    return np.concatenate([o[0] for o in out]), np.concatenate([o[1] for o in out])


def count(times_ms: np.ndarray, lo: float, hi: float) -> int:
    """Spikes stamped in (lo, hi] ms: events of (lo, hi] get the stamps of that interval."""
    return int(((times_ms > lo + 1e-9) & (times_ms <= hi + 1e-9)).sum())


def assert_poisson(c: int, mean: float) -> None:
    assert abs(c - mean) <= 5 * np.sqrt(max(mean, 1.0)), (c, mean)


def test_count_per_window_is_rate_times_length() -> None:
    n = 300
    # 10 Hz, 50 Hz cut short by the next start, silence, 120 Hz for 300 ms then silence
    windows = [
        (10.0, 0.0, np.inf),
        (50.0, 200.0, 150.0),
        (0.0, 400.0, 100.0),
        (120.0, 500.0, 300.0),
    ]
    stamps, _ = spikes(source(n, windows), [10_000])
    t = stamps * DT
    for lo, hi, rate in [
        (0, 200, 10),
        (200, 350, 50),
        (350, 400, 0),
        (400, 500, 0),
        (500, 800, 120),
        (800, 1000, 0),
    ]:
        assert_poisson(count(t, lo, hi), n * rate * (hi - lo) / 1000)


def test_intervals_within_a_window_are_exponential() -> None:
    n, rate = 200, 80.0
    windows = [(5.0, 0.0, np.inf), (rate, 300.0, 700.0)]
    stamps, idx = spikes(source(n, windows, seed=3), [10_000])
    isi = []
    for i in range(n):
        s = np.sort(stamps[idx == i]) * DT
        s = s[(s > 300) & (s <= 1000)]
        isi.append(np.diff(s))
    pooled = np.concatenate(isi)
    assert len(pooled) > 5000
    # stamps put the events on the 0.1 ms grid, small against the 12.5 ms mean: a KS distance
    # of 0.02 allows for that (a wrong rate, 10 % off, gives about 0.05)
    assert stats.kstest(pooled, "expon", args=(0, 1000 / rate)).statistic < 0.02


def test_same_seed_same_spikes_whatever_the_chunks_and_reset_rearms() -> None:
    windows = [(30.0, 0.0, 100.0), (90.0, 100.0, np.inf), (15.0, 250.0, 1e9)]
    spec = source(40, windows, seed=7)
    whole = spikes(spec, [4000])
    chunked = spikes(spec, [1, 999, 1, 1500, 1499], atoms=64)
    assert len(whole[0]) > 500  # 750 expected
    assert_array_equal(whole[0], chunked[0])
    assert_array_equal(whole[1], chunked[1])
    # reset does not reseed (docs/ENGINE.md) but re-arms the windows from t = 0
    board = HostBoard()
    board.load(spec, trivial_plan(spec, atoms_per_core=64))
    board.set_recording(0, "spikes", np.arange(40))
    board.run(4000)
    board.reset()
    again = board.run(4000).spikes[0][0] * DT
    for lo, hi, rate in [(0, 100, 30), (100, 250, 90), (250, 400, 15)]:
        assert_poisson(count(again, lo, hi), 40 * rate * (hi - lo) / 1000)
    other = spikes(source(40, windows, seed=8), [4000])
    assert not np.array_equal(whole[0], other[0])


def test_matches_nest_inhomogeneous_poisson_generator() -> None:
    refsim.require("nest")
    n, t_stop = 300, 1000.0
    times, rates = [100.0, 300.0, 450.0, 700.0], [20.0, 80.0, 0.0, 40.0]
    nest_out = refsim.run_pynn(
        "nest",
        """
        sim.setup(timestep=dt, spike_precision="on_grid")
        import nest
        gen = nest.Create("inhomogeneous_poisson_generator", n,
                          params={"rate_times": list(times), "rate_values": list(rates)})
        rec = nest.Create("spike_recorder")
        nest.Connect(gen, rec)
        sim.run(t_stop)
        save(t=rec.get("events")["times"])
        """.replace("\\n        ", "\\n"),
        dt=DT,
        n=n,
        t_stop=t_stop,
        times=times,
        rates=rates,
    )
    windows = [(r, t, np.inf) for r, t in zip(rates, times, strict=True)]
    ours = spikes(source(n, windows, seed=11), [int(t_stop / DT)])[0] * DT
    theirs = np.asarray(nest_out["t"])
    edges = [0.0, *times, t_stop]
    for k, (lo, hi) in enumerate(itertools.pairwise(edges)):
        rate = 0.0 if k == 0 else rates[k - 1]
        mean = n * rate * (hi - lo) / 1000
        a, b = count(ours, lo, hi), count(theirs, lo, hi)
        assert_poisson(a, mean)
        assert_poisson(b, mean)
        assert abs(a - b) <= 5 * np.sqrt(max(a + b, 1)), (lo, hi, a, b)


def test_spinnaker_script_with_per_neuron_windows(tmp_path: Path) -> None:
    out = run_script(
        tmp_path,
        """
        import json
        import numpy as np
        import pyNN.spiNNaker as sim
        sim.setup(timestep=0.1)
        same = sim.Population(200, sim.extra_models.SpikeSourcePoissonVariable(
            rates=[10, 100, 0], starts=[0, 300, 600], durations=[300, 200, 400]), seed=1)
        per = sim.Population(2, sim.extra_models.SpikeSourcePoissonVariable(
            rates=[[200], [20, 300]], starts=[[0], [0, 500]]))
        same.record("spikes")
        per.record("spikes")
        sim.run(500.0)
        sim.run(500.0)
        t = np.concatenate([np.asarray(s) for s in
                            same.get_data("spikes").segments[0].spiketrains])
        counts = [int(((t > lo) & (t <= hi)).sum())
                  for lo, hi in [(0, 300), (300, 500), (500, 1000)]]
        each = [len(s) for s in per.get_data("spikes").segments[0].spiketrains]
        sim.end()
        print(json.dumps({"counts": counts, "each": each}))
        """,
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    for c, mean in zip(got["counts"], [200 * 10 * 0.3, 200 * 100 * 0.2, 0.0], strict=True):
        assert_poisson(c, mean)
    assert_poisson(got["each"][0], 200.0)
    assert_poisson(got["each"][1], 20 * 0.5 + 300 * 0.5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rates": [1.0, 2.0], "starts": [5.0, 1.0]}, "increasing order"),
        ({"rates": [1.0, 2.0]}, "starts must be given"),
        ({"rates": [1.0, 2.0], "starts": [0.0]}, "one value per window"),
        ({"rates": [-1.0], "starts": [0.0]}, "rates must be finite and >= 0"),
        ({"rates": [1.0] * 33, "starts": list(range(33))}, "at most 32 rate windows"),
        ({"rates": [[1.0], [2.0]], "starts": [[0.0], [0.0], [0.0]]}, "same number of neurons"),
    ],
)
def test_bad_windows_raise_naming_the_parameter(kwargs: dict[str, object], message: str) -> None:
    from pyNN import errors

    from spinstream.spinnaker.extra_models import SpikeSourcePoissonVariable

    with pytest.raises(errors.InvalidParameterValueError, match=message) as info:
        SpikeSourcePoissonVariable(**kwargs)
    assert "SpikeSourcePoissonVariable" in str(info.value)
