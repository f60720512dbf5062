"""sPyNNaker's ``Projection``: PyNN's, plus its two hardware keywords."""

from __future__ import annotations

from typing import Any

import spinstream.pyNN as _sim

__all__ = ["Projection"]


class Projection(_sim.Projection):  # type: ignore[misc]
    """A PyNN Projection whose sPyNNaker keywords may also be given by position.

    ``download_synapses`` and ``partition_id`` mean what :class:`spinstream.pyNN.Projection`
    documents (synapses stay readable on the host; one outgoing partition, ``"SPIKE"``);
    ``partition_id=None`` is sPyNNaker's default, the same partition.  As in sPyNNaker,
    negative weights onto a conductance-based cell's inhibitory receptor are taken as their
    magnitude (PyNN's own Projection refuses them).
    """

    _inhibitory_conductance_magnitudes = True

    def __init__(
        self,
        presynaptic_population: Any,
        postsynaptic_population: Any,
        connector: Any,
        synapse_type: Any = None,
        source: Any = None,
        receptor_type: str | None = None,
        space: Any = None,
        label: str | None = None,
        download_synapses: bool = False,
        partition_id: str | None = None,
    ) -> None:
        super().__init__(
            presynaptic_population,
            postsynaptic_population,
            connector,
            synapse_type,
            source,
            receptor_type,
            space,
            label,
            download_synapses=download_synapses,
            partition_id="SPIKE" if partition_id is None else partition_id,
        )
