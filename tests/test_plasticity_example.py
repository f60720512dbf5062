"""examples/plasticity/learning_vehicle.py: the vehicle learns, through STDP, to avoid walls."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.engine import require_engine

HostBoard = require_engine()

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "plasticity" / "learning_vehicle.py"


@pytest.fixture(scope="module")
def lv() -> object:
    spec = importlib.util.spec_from_file_location("learning_vehicle", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["learning_vehicle"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_the_vehicle_stops_bumping_into_walls_as_it_learns(lv: object) -> None:
    seconds = 90.0
    learned = asyncio.run(lv.run(seconds, seed=1))  # type: ignore[attr-defined]
    static = asyncio.run(lv.run(seconds, seed=1, learning=False))  # type: ignore[attr-defined]
    first, _, last = learned.collisions_per_window(seconds / 3)
    s_last = static.collisions_per_window(seconds / 3)[-1]
    assert first >= 3  # it bumps while it learns ...
    assert last == 0  # ... and not any more once it has
    assert s_last >= 3  # without plasticity it keeps bumping
    w = learned.weights
    away = w[("prox_right", "turn_left")][-1] + w[("prox_left", "turn_right")][-1]
    into = w[("prox_right", "turn_right")][-1] + w[("prox_left", "turn_left")][-1]
    assert away > into
    assert w[("prox_right", "turn_left")][-1] > 3 * w[("prox_right", "turn_left")][0]
    for s in ("noise_a", "noise_b"):  # the unrelated sensors lose their grip
        for m in ("turn_left", "turn_right"):
            assert w[(s, m)][-1] < w[(s, m)][0]
    # the weights were streamed once a second, from t = 0
    np.testing.assert_allclose(learned.weight_times, np.arange(0.0, seconds + 0.5, 1.0))
    assert all(np.allclose(v, 0.03, rtol=1e-12) for v in static.weights.values())


@pytest.mark.slow
def test_plot_option_saves_a_png(
    lv: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "weights.png"
    assert lv.main(["--seconds", "5", "--quiet", "--plot", str(out)]) == 0  # type: ignore[attr-defined]
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = capsys.readouterr().out
    assert "prox_right -> turn_left" in text
    assert f"saved {out}" in text
