"""Recorded arrays -> neo objects shaped exactly as PyNN's reference backends shape them.

Plain data in (numpy arrays, labels, ids, times in ms), neo out; nothing here knows about
populations or the runtime.  The structure (names, annotations, array annotations, units)
follows what ``pyNN.nest`` produces, so that analysis code written for NEST or Brian2 runs
unchanged:

- a :class:`neo.Block` per population (``name`` = label, PyNN's metadata as annotations),
  one :class:`neo.Segment` per run between resets, named ``segment000``, ``segment001``, ...;
- spikes as a :class:`neo.spiketrainlist.SpikeTrainList`, one train per recorded neuron,
  annotated with ``source_population``, ``source_index`` and ``channel_id`` (the cell's ID);
- each state variable as one :class:`neo.AnalogSignal` of shape (samples, neurons), named
  after the variable, annotated with ``source_population`` and ``channel_ids``, and with the
  array annotation ``channel_index`` (index of each column's neuron in its population).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import neo
import numpy as np
import numpy.typing as npt
import quantities as pq

__all__ = ["analog_signal", "make_block", "make_segment", "merge_blocks", "spike_trains"]


def spike_trains(
    times: npt.NDArray[np.float64],
    indices: npt.NDArray[np.int64],
    channel_index: npt.NDArray[np.int64],
    first_id: int,
    t_start: float,
    t_stop: float,
    source_population: str,
) -> neo.spiketrainlist.SpikeTrainList:
    """One spike train per recorded neuron, from flat ``(times, indices)`` arrays.

    Parameters
    ----------
    times, indices
        Spike times (ms) and the index in the population of the neuron that fired each.
    channel_index
        Sorted indices of every recorded neuron, spiking or not.
    first_id
        ID of the population's neuron 0 (IDs are consecutive).
    t_start, t_stop
        Recording window (ms).
    source_population
        The population's label.
    """
    channel_index = np.asarray(channel_index, dtype=np.int64)
    ids = channel_index + first_id
    return neo.spiketrainlist.SpikeTrainList.from_spike_time_array(
        np.asarray(times, dtype=np.float64),
        np.asarray(indices, dtype=np.int64) + first_id,
        ids,
        t_stop=t_stop * pq.ms,
        units="ms",
        t_start=t_start * pq.ms,
        source_population=source_population,
        source_index=channel_index,
    )


def analog_signal(
    values: npt.NDArray[np.float64],
    name: str,
    units: str,
    t_start: float,
    sampling_period: float,
    channel_index: npt.NDArray[np.int64],
    first_id: int,
    source_population: str,
) -> neo.AnalogSignal:
    """Make a regularly sampled signal: ``values`` has shape (samples, neurons)."""
    channel_index = np.asarray(channel_index, dtype=np.int64)
    return neo.AnalogSignal(
        np.asarray(values, dtype=np.float64).reshape(-1, len(channel_index)),
        units=units if units not in ("", "unknown") else "dimensionless",
        t_start=t_start * pq.ms,
        sampling_period=sampling_period * pq.ms,
        name=name,
        channel_ids=channel_index + first_id,
        source_population=source_population,
        array_annotations={"channel_index": channel_index},
    )


def make_segment(
    name: str,
    description: str,
    spiketrains: neo.spiketrainlist.SpikeTrainList | None,
    signals: Sequence[neo.AnalogSignal],
    annotations: Mapping[str, Any] | None = None,
) -> neo.Segment:
    """Make a segment holding the given spike trains and signals, linked back to it."""
    segment = neo.Segment(name=name, description=description, rec_datetime=datetime.now())
    if spiketrains is not None:
        segment.spiketrains = spiketrains
        spiketrains.segment = segment
    for signal in signals:
        segment.analogsignals.append(signal)
        signal.segment = segment
    if annotations:
        segment.annotate(**annotations)
    return segment


def make_block(
    segments: Sequence[neo.Segment],
    name: str,
    description: str,
    annotations: Mapping[str, Any],
) -> neo.Block:
    """Make a block of segments, annotated with PyNN's population metadata."""
    block = neo.Block(name=name, description=description)
    block.segments = list(segments)
    for segment in block.segments:
        segment.block = block
    if block.segments:
        block.rec_datetime = block.segments[0].rec_datetime
    block.annotate(**annotations)
    return block


def merge_blocks(
    blocks: Sequence[neo.Block],
    offsets: Sequence[int],
    name: str,
    description: str,
    annotations: Mapping[str, Any] | None = None,
) -> neo.Block:
    """Merge the blocks of an Assembly's members with neo's own merge, as PyNN does.

    ``offsets[k]`` is the position of member ``k``'s first neuron in the Assembly: signal
    columns get their ``channel_index`` shifted by it.  Signals of the same variable become
    one signal whose columns follow the members' order; annotations that differ between
    members read ``"MERGE CONFLICT"`` (neo's convention, which PyNN's backends share).
    """
    for block, offset in zip(blocks, offsets, strict=True):
        for segment in block.segments:
            for signal in segment.analogsignals:
                signal.array_annotations["channel_index"] = (
                    np.asarray(signal.array_annotations["channel_index"]) + offset
                )
    merged = blocks[0]
    for block in blocks[1:]:
        # neo merges segment k with segment k; signals must point at the merged segments.
        for segment, target in zip(block.segments, merged.segments, strict=False):
            for signal in segment.analogsignals:
                signal.segment = target
        merged.merge(block)
    merged.name = name
    merged.description = description
    if annotations:
        merged.annotate(**annotations)
    return merged
