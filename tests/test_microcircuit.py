"""The cortical microcircuit example: plausible rates, the same spikes on 1 and 2 threads."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.engine import require_engine

require_engine()

MODEL = Path(__file__).resolve().parents[1] / "examples" / "microcircuit" / "model.py"


def _model() -> Any:
    spec = importlib.util.spec_from_file_location("microcircuit_model", MODEL)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _run(threads: int) -> tuple[dict[str, float], dict[str, Any], Any]:
    import spinstream.pyNN as sim

    model = _model()
    sim.setup(timestep=0.1, min_delay=0.1, threads=threads, seed=7)
    try:
        # 1,543 neurons with a tenth of the published in-degrees (~0.6 M synapses): the
        # smallest size whose rates stay near the published ones (fewer inputs per
        # neuron lower them, as in NEST).
        net = model.build(sim, scale=0.02, k_scale=0.1, seed=7)
        net.record_spikes()
        sim.run(250.0)
        return net.rates(50.0, 250.0), net.spikes(), model
    finally:
        sim.end()


def test_microcircuit_rates_and_threads() -> None:
    rates1, spikes1, model = _run(threads=1)
    rates2, spikes2, _ = _run(threads=2)

    # Every population fires near its published full-scale rate (NEST 3.10 on this model
    # at this size gives the same band); 200 ms of a few hundred cells: wide bounds.
    for name, full in zip(model.POPULATIONS, model.FULL_SCALE_RATES, strict=True):
        assert 0.4 * full < rates1[name] < 2.0 * full, (name, rates1[name], full)

    for name in model.POPULATIONS:
        t1, c1 = spikes1[name]
        t2, c2 = spikes2[name]
        assert len(t1) > 0
        np.testing.assert_array_equal(t1, t2, err_msg=name)
        np.testing.assert_array_equal(c1, c2, err_msg=name)
    assert rates1 == rates2


def test_microcircuit_derived_quantities() -> None:
    model = _model()
    # The published mean PSC for a 0.15 mV PSP with these cells: 87.8 pA.
    assert model.psc_from_psp(0.15, 0.25, 10.0, 0.5) == pytest.approx(0.0878, abs=1e-4)
    # Published full-scale size: about 0.3 billion recurrent synapses.
    k = model.total_synapses(model.CONN_PROBS, model.FULL_SIZES, model.FULL_SIZES)
    assert 2.9e8 < k.sum() < 3.05e8
    assert math.isclose(k[0, 0], np.log(1 - 0.1009) / np.log(1 - 1 / 20683**2), rel_tol=1e-12)


def test_microcircuit_rejects_bad_scale() -> None:
    import spinstream.pyNN as sim

    model = _model()
    sim.setup(timestep=0.1)
    try:
        with pytest.raises(ValueError, match="scale must be in"):
            model.build(sim, scale=0.0)
        with pytest.raises(ValueError, match="background must be"):
            model.build(sim, scale=0.01, background="noise")
        # the frozen background's length means nothing to another background
        with pytest.raises(ValueError, match=r"frozen_duration=500.0 .* background='poisson'"):
            model.build(sim, scale=0.01, background="poisson", frozen_duration=500.0)
        with pytest.raises(ValueError, match=r"frozen_duration must be > 0 ms, got -1\.0"):
            model.build(sim, scale=0.01, background="frozen", frozen_duration=-1.0)
    finally:
        sim.end()
