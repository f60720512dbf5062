"""sPyNNaker's ``Projection``: PyNN's, plus its two hardware keywords."""

from __future__ import annotations

from typing import Any

import spinstream.pyNN as _sim

__all__ = ["Projection"]


class Projection(_sim.Projection):  # type: ignore[misc]
    """A PyNN Projection that also takes sPyNNaker's ``download_synapses`` and ``partition_id``.

    ``download_synapses`` (read the synapses back from the board after a run) has no effect:
    they are always readable here (``get()``, ``save()``); it must be True or False.
    ``partition_id`` (an outgoing routing partition of the presynaptic vertex) must be
    ``None``: spinstream's populations have one partition.
    """

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
        if not isinstance(download_synapses, bool):
            raise ValueError(
                f"Projection {label!r}: download_synapses must be True or False, "
                f"got {download_synapses!r}"
            )
        if partition_id is not None:
            raise ValueError(
                f"Projection {label!r}: partition_id={partition_id!r} is not supported "
                "(spinstream's populations have one outgoing partition)"
            )
        super().__init__(
            presynaptic_population,
            postsynaptic_population,
            connector,
            synapse_type,
            source,
            receptor_type,
            space,
            label,
        )
