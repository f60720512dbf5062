"""Shared helpers of the bridge tests (no tests here): a small network on the fake board.

Network (dt = 1 ms, FakeBoard dynamics, see tests/fakes.py):

* ``a`` (4 cells): driven by i_offset, fires on a fixed schedule;
* ``in`` (4 cells): a SpikeInjector, one-to-one (delay 1) onto ``out``;
* ``out`` (4 cells): fires 2 steps after each injected spike;
* ``noise`` (2 cells): has a ``rate`` like a Poisson source (the fake board ignores it);
* current source 0 (dc) onto ``out``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from spinstream.model import CurrentSourceSpec, PopulationSpec
from spinstream.session import Runtime
from tests.fakes import FakeBoard, injector, neurons, one_to_one, trivial_plan

__all__ = ["FakeBoard", "make_runtime", "wait_for"]


def make_runtime(mode: str = "lockstep", chunk_steps: int = 10, **kw: Any) -> Runtime:
    rt = Runtime(
        dt=1.0,
        chunk_steps=chunk_steps,
        board=kw.pop("board", None) or FakeBoard(),
        mapper=trivial_plan,
        seed=1,
        mode=mode,
        **kw,
    )
    a = neurons(0, 4, i_offset=1.0, v_thresh=3.0, label="a")
    a.params["i_offset"] = np.array([1.0, 0.5, 0.0, 3.0])
    rt.add_population(a)
    rt.add_population(injector(1, 4, label="in"))
    rt.add_population(neurons(2, 4, i_offset=0.0, v_thresh=1.0, label="out"))
    noise = PopulationSpec(
        id=3,
        label="noise",
        size=2,
        model="SpikeSourcePoisson",
        params={
            "rate": np.full(2, 10.0),
            "i_offset": np.zeros(2),
            "v_thresh": np.full(2, 1e9),
            "v_reset": np.zeros(2),
        },
        initial={"v": np.zeros(2)},
    )
    rt.add_population(noise)
    rt.add_projection(one_to_one(0, 1, 2, 4, 1.0, delay=1))
    rt.add_current_source(
        CurrentSourceSpec(
            id=0,
            kind="dc",
            params={"amplitude": 0.0, "start": 0.0, "stop": float("inf")},
            targets=[(2, np.arange(4, dtype=np.int64))],
        )
    )
    return rt


async def wait_for(condition: Callable[[], bool], within: float = 5.0) -> None:
    """Poll ``condition`` on the loop until it holds (a bounded wait, not a sleep)."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached in time")
        await asyncio.sleep(0.001)
