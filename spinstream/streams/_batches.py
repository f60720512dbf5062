"""What a subscription yields: one batch per chunk."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, eq=False)
class SpikeBatch:
    """The spikes of a streamed selection during one chunk.

    Attributes
    ----------
    t_start, t_stop
        The chunk's simulated time span (ms): ``[first_step, first_step + n_steps) * dt``.
    times
        Spike times (ms), float64, ordered.
    indices
        int64 positions of the spiking cells within the streamed selection (for a
        Population its neuron indices; for a view or assembly the position in it).
    dropped
        Chunks lost to this subscriber (its buffer was full) since the previous batch.
    first_step, n_steps
        The chunk in steps.
    stamps
        int64 spike stamps (``times = stamps * dt``), exact.
    sequence
        Number of the chunk since the runtime was created (counts every chunk run).
    """

    t_start: float
    t_stop: float
    times: npt.NDArray[np.float64]
    indices: npt.NDArray[np.int64]
    dropped: int
    first_step: int
    n_steps: int
    stamps: npt.NDArray[np.int64]
    sequence: int

    def __len__(self) -> int:
        return len(self.indices)


@dataclass(frozen=True, eq=False)
class StateBatch:
    """Samples of a state variable of a streamed selection during one chunk.

    Attributes
    ----------
    t_start, t_stop
        The chunk's simulated time span (ms).
    times
        Sample times (ms), float64, one per row of ``values``.
    values
        float64 array ``(n_samples, n_cells)`` in PyNN units (mV, nA, uS); column ``k`` is
        the cell at position ``k`` of the streamed selection.
    dropped
        Chunks lost to this subscriber since the previous batch.
    first_step, n_steps
        The chunk in steps.
    stamps
        int64 sample stamps (``times = stamps * dt``).
    sequence
        Number of the chunk since the runtime was created.
    variable
        The streamed state variable.
    """

    t_start: float
    t_stop: float
    times: npt.NDArray[np.float64]
    values: npt.NDArray[np.float64]
    dropped: int
    first_step: int
    n_steps: int
    stamps: npt.NDArray[np.int64]
    sequence: int
    variable: str

    def __len__(self) -> int:
        return len(self.times)


@dataclass(frozen=True, eq=False)
class WeightBatch:
    """Snapshots of a projection's synaptic weights taken during one chunk.

    Attributes
    ----------
    t_start, t_stop
        The chunk's simulated time span (ms).
    times
        Snapshot times (ms), float64, one per row of ``values``.
    values
        float64 array ``(n_snapshots, n_synapses)`` (nA or uS); column ``k`` is the
        projection's connection ``k``, in the order of ``projection.get(..., format="list")``.
    dropped
        Chunks lost to this subscriber since the previous batch.
    first_step, n_steps
        The chunk in steps.
    stamps
        int64 snapshot stamps (``times = stamps * dt``): the weights after that many steps.
    sequence
        Number of the chunk since the runtime was created.
    projection
        The projection's label.
    """

    t_start: float
    t_stop: float
    times: npt.NDArray[np.float64]
    values: npt.NDArray[np.float64]
    dropped: int
    first_step: int
    n_steps: int
    stamps: npt.NDArray[np.int64]
    sequence: int
    projection: str

    def __len__(self) -> int:
        return len(self.times)


Batch = SpikeBatch | StateBatch | WeightBatch
