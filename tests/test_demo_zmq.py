"""The cart-pole closed over ZeroMQ: controller and plant in one process, network in another."""

from __future__ import annotations

import asyncio
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from spinstream.demos import CartPole, periodic_pushes, run_cartpole

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "closed_loop"


def test_external_controller_balances_the_pole_like_the_in_process_one() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(EXAMPLE / "cartpole_session.py"),
            "--spawn-controller",
            "--seconds",
            "10",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "session: ran 500 chunks of 20 ms; late inputs 0" in proc.stdout
    # the remote controller answered every chunk but the last, none of them late (lock-step)
    assert "answers 499, late 0" in proc.stdout
    m = re.search(r"balanced for 10\.00 s over ZeroMQ \(max \|theta\| ([0-9.]+) deg", proc.stdout)
    assert m, proc.stdout
    # lock-step over ZeroMQ is the same loop as in-process lock-step, spike for spike
    local = asyncio.run(
        run_cartpole(
            seconds=10.0,
            mode="lockstep",
            plant=CartPole(theta=0.1),
            pushes=periodic_pushes(10.0),
            record=False,
        )
    )
    assert local.failed_at is None
    worst = math.degrees(np.abs(local.log["theta"]).max())
    assert float(m.group(1)) == pytest.approx(worst, abs=0.006)
