"""Plain numpy views of neo data, as sPyNNaker's ``spynnaker.pyNN.utilities.neo_convertor``.

The shapes are sPyNNaker's ("sPyNNaker 7 format"):

* spikes: an array of shape ``(n_spikes, 2)``, rows ``(neuron index, time in ms)``, neuron
  by neuron (each neuron's spikes in time order);
* a state variable: shape ``(n_neurons * n_samples, 3)``, rows ``(neuron index, time in ms,
  value)``, all samples of the first recorded neuron first;
* ``convert_gsyn``: shape ``(n_neurons * n_samples, 4)``, rows ``(index, time, gsyn_exc,
  gsyn_inh)``.

Neuron indices are positions in the recorded population (neo's ``source_index`` of a spike
train, the ``channel_index`` array annotation of a signal).  ``run`` is the zero-based
segment (one per ``reset()``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import quantities as pq
from neo import AnalogSignal, Block, Segment, SpikeTrain

__all__ = [
    "convert_analog_signal",
    "convert_data",
    "convert_data_list",
    "convert_gsyn",
    "convert_gsyn_exc_list",
    "convert_gsyn_inh_list",
    "convert_spikes",
    "convert_spiketrains",
    "convert_v_list",
    "count_spikes",
    "count_spiketrains",
]

FloatArray = npt.NDArray[np.float64]


def _indices(signal: AnalogSignal) -> FloatArray:
    if "channel_index" in signal.array_annotations:
        return np.asarray(signal.array_annotations["channel_index"], dtype=np.float64)
    if "channel_names" in signal.annotations:  # sPyNNaker's own blocks
        return np.asarray(signal.annotations["channel_names"], dtype=np.float64)
    return np.arange(signal.shape[1], dtype=np.float64)


def _segment(block: Block, run: int) -> Segment:
    if not 0 <= run < len(block.segments):
        raise ValueError(
            f"run {run} does not exist: the data has {len(block.segments)} segment(s) "
            "(run is a zero-based segment index)"
        )
    return block.segments[run]


def convert_analog_signal(signal_array: AnalogSignal, time_unit: Any = pq.ms) -> FloatArray:
    """Rows ``(neuron index, time, value)``, neuron by neuron; times in ``time_unit``."""
    ids = _indices(signal_array)
    times = np.asarray(signal_array.times.rescale(time_unit).magnitude, dtype=np.float64)
    values = np.asarray(signal_array.magnitude, dtype=np.float64)
    return np.column_stack(
        (np.repeat(ids, len(times)), np.tile(times, len(ids)), values.T.reshape(-1))
    )


def convert_data(data: Block, name: str, run: int = 0) -> FloatArray:
    """One variable of one run (segment): spikes as ``convert_spikes``, else 3 columns."""
    segment = _segment(data, run)
    if name == "all":
        raise ValueError(
            "convert_data converts one variable at a time: name a variable, not 'all'"
        )
    if name == "spikes":
        return convert_spiketrains(list(segment.spiketrains))
    signals = segment.filter(name=name, objects=AnalogSignal)
    if not signals:
        found = sorted({s.name for s in segment.analogsignals})
        raise ValueError(f"no {name!r} in segment {run} (recorded: {[*found, 'spikes']})")
    return convert_analog_signal(signals[0])


def convert_data_list(
    data: Block, name: str, runs: Sequence[int] | None = None
) -> list[FloatArray]:
    """``convert_data`` for each run in ``runs`` (default: every segment)."""
    if runs is None:
        runs = range(len(data.segments))
    return [convert_data(data, name, run=run) for run in runs]


def convert_v_list(data: Block, runs: Sequence[int] | None = None) -> list[FloatArray]:
    """``convert_data_list(data, "v", runs)``."""
    return convert_data_list(data, "v", runs=runs)


def convert_gsyn_exc_list(data: Block, runs: Sequence[int] | None = None) -> list[FloatArray]:
    """``convert_data_list(data, "gsyn_exc", runs)``."""
    return convert_data_list(data, "gsyn_exc", runs=runs)


def convert_gsyn_inh_list(data: Block, runs: Sequence[int] | None = None) -> list[FloatArray]:
    """``convert_data_list(data, "gsyn_inh", runs)``."""
    return convert_data_list(data, "gsyn_inh", runs=runs)


def convert_gsyn(gsyn_exc: Block, gsyn_inh: Block) -> FloatArray:
    """Rows ``(index, time, gsyn_exc, gsyn_inh)`` from the first segment of each Block.

    Both may be the same Block.  Raises ``ValueError`` when the neurons or times differ.
    """
    exc = convert_data(gsyn_exc, "gsyn_exc")
    inh = convert_data(gsyn_inh, "gsyn_inh")
    if exc.shape != inh.shape or not np.array_equal(exc[:, 0], inh[:, 0]):
        raise ValueError("gsyn_exc and gsyn_inh were not recorded from the same neurons")
    if not np.allclose(exc[:, 1], inh[:, 1]):
        raise ValueError("gsyn_exc and gsyn_inh were not sampled at the same times")
    return np.column_stack((exc[:, :3], inh[:, 2]))


def convert_spiketrains(spiketrains: Sequence[SpikeTrain]) -> FloatArray:
    """Rows ``(neuron index, time in ms)``; shape ``(0, 2)`` without spikes."""
    if len(spiketrains) == 0:
        return np.empty((0, 2))
    index = np.concatenate(
        [np.full(len(st), st.annotations["source_index"], dtype=np.float64) for st in spiketrains]
    )
    times = np.concatenate([st.rescale(pq.ms).magnitude for st in spiketrains])
    return np.column_stack((index, times.astype(np.float64)))


def convert_spikes(neo: Block, run: int = 0) -> FloatArray:
    """Return the spikes of one run (segment): rows ``(neuron index, time in ms)``."""
    return convert_spiketrains(list(_segment(neo, run).spiketrains))


def count_spiketrains(spiketrains: Sequence[SpikeTrain]) -> int:
    """Total number of spikes in ``spiketrains``."""
    return int(sum(len(st) for st in spiketrains))


def count_spikes(neo: Block) -> int:
    """Count the spikes in the first segment."""
    return count_spiketrains(list(neo.segments[0].spiketrains))
