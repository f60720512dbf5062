"""Terse builders of NetworkSpec pieces for tests, with PyNN's defaults filled in."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from spinstream.model import (
    EXCITATORY,
    CurrentSourceSpec,
    NetworkSpec,
    PopulationSpec,
    ProjectionSpec,
)

from ._neurons import pynn_defaults


def population(
    pid: int,
    model: str,
    size: int,
    *,
    label: str | None = None,
    spike_times: Sequence[Iterable[float]] | None = None,
    initial: dict[str, float | np.ndarray] | None = None,
    **params: float | np.ndarray,
) -> PopulationSpec:
    """A population with every parameter and initial value spelled out (PyNN defaults)."""
    default_params, default_initial = pynn_defaults(model)
    full = {**default_params, **params}
    init = {**default_initial, **(initial or {})}
    return PopulationSpec(
        id=pid,
        label=label if label is not None else f"{model}{pid}",
        size=size,
        model=model,
        params={k: np.broadcast_to(np.asarray(v, float), (size,)).copy() for k, v in full.items()},
        initial={
            k: np.broadcast_to(np.asarray(v, float), (size,)).copy() for k, v in init.items()
        },
        spike_times=(
            None
            if spike_times is None
            else [np.sort(np.asarray(list(t), dtype=np.float64)) for t in spike_times]
        ),
    )


def projection(
    pid: int,
    pre: int,
    post: int,
    pre_index: Iterable[int],
    post_index: Iterable[int],
    weight: float | Iterable[float],
    delay_steps: int | Iterable[int] = 1,
    receptor: int | Iterable[int] = EXCITATORY,
) -> ProjectionSpec:
    """Static synapses ``pre_index[k] -> post_index[k]`` (scalars broadcast)."""
    pre_i = np.asarray(list(pre_index), dtype=np.int64)
    n = len(pre_i)

    def column(value: object, dtype: type) -> np.ndarray:
        arr = np.asarray(value if np.ndim(value) == 0 else list(value), dtype=dtype)  # type: ignore[call-overload]
        return np.broadcast_to(arr, (n,)).copy()

    return ProjectionSpec(
        id=pid,
        pre=pre,
        post=post,
        pre_index=pre_i,
        post_index=np.asarray(list(post_index), dtype=np.int64),
        weight=column(weight, np.float64),
        delay_steps=column(delay_steps, np.int64),
        receptor=column(receptor, np.int64),
    )


def current_source(
    sid: int, kind: str, targets: Iterable[tuple[int, Iterable[int]]], **params: object
) -> CurrentSourceSpec:
    """A current source of ``kind`` ("dc", "ac", "step", "noisy") into ``targets``."""
    return CurrentSourceSpec(
        id=sid,
        kind=kind,
        params=dict(params),  # type: ignore[arg-type]
        targets=[(p, np.asarray(list(i), dtype=np.int64)) for p, i in targets],
    )


def network(
    dt: float,
    populations: Sequence[PopulationSpec],
    projections: Sequence[ProjectionSpec] = (),
    current_sources: Sequence[CurrentSourceSpec] = (),
    seed: int = 1,
) -> NetworkSpec:
    """A NetworkSpec."""
    return NetworkSpec(
        dt=dt,
        seed=seed,
        populations=list(populations),
        projections=list(projections),
        current_sources=list(current_sources),
    )
