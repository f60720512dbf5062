"""The numbers of a mapping report: a network spec and its plan -> plain, JSON-ready data.

Synapse memory is what the host board would store for the network
(:func:`spinstream.board.synapse_memory`).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import numpy.typing as npt

from spinstream.board import synapse_memory
from spinstream.model import MappingPlan, NetworkSpec

__all__ = ["ROUTER_ENTRIES", "summarise"]

#: Multicast routing table entries of one SpiNNaker router (SpiNNaker datasheet, 1024).
ROUTER_ENTRIES = 1024

IntArray = npt.NDArray[np.int64]


def summarise(
    spec: NetworkSpec, plan: MappingPlan, script: str = "", weight_bits: int = 32
) -> dict[str, Any]:
    """Gather the report's data: machine, populations and cores, routing tables, synapses.

    Parameters
    ----------
    spec
        The network that was mapped.
    plan
        Its mapping.
    script
        Name of the script, for the summary line.
    weight_bits
        Bits of each stored static weight, as the script's board has them (16: 4-byte
        words where a 32-bit board stores 6).

    Returns
    -------
    dict
        JSON-ready: ``machine``, ``populations`` (each with ``splitter``, the sPyNNaker
        splitter class name it was given or ``None``, and its ``cores``: ``x``, ``y``,
        ``p``, atom slice ``lo``/``hi``, ``key``, ``mask``, ``reaches`` (cores its spikes
        reach), ``synapses`` (into the core), ``synapse_bytes``, ``row_index_bytes``),
        ``routing`` (entries per chip against ``limit``), ``synapses`` and ``summary``.
        Keys and masks are integers; memory is in bytes.
    """
    synapses, row_bytes, index_bytes, total_bytes = synapse_memory(spec, plan, weight_bits)
    pops = []
    for pop in spec.populations:
        ids = plan.pop_cores.get(pop.id, [])
        cores = []
        reached: set[int] = set()
        for cid in ids:
            c = plan.cores[cid]
            targets = plan.routes.get(cid, ())
            reached.update(targets)
            cores.append(
                {
                    "core": cid,
                    "x": c.x,
                    "y": c.y,
                    "p": c.p,
                    "lo": c.lo,
                    "hi": c.hi,
                    "key": c.key,
                    "mask": c.mask,
                    "reaches": len(targets),
                    "synapses": int(synapses[cid]),
                    "synapse_bytes": int(row_bytes[cid]),
                    "row_index_bytes": int(index_bytes[cid]),
                }
            )
        pops.append(
            {
                "id": pop.id,
                "label": plan.labels.get(pop.id, pop.label),
                "model": pop.model,
                "size": int(pop.size),
                "splitter": pop.splitter,
                "reaches": len(reached),
                "cores": cores,
            }
        )
    chips = sorted(
        ({"x": x, "y": y, "entries": len(t)} for (x, y), t in plan.tables.items() if t),
        key=lambda c: (c["x"], c["y"]),
    )
    busiest = max(chips, key=lambda c: c["entries"], default=None)
    over = [c for c in chips if c["entries"] > ROUTER_ENTRIES]
    chips_used = sorted(Counter((c.x, c.y) for c in plan.cores))
    n_syn = int(sum(len(p.pre_index) for p in spec.projections))
    data: dict[str, Any] = {
        "script": script,
        "machine": {
            "boards": plan.n_boards,
            "width": plan.width,
            "height": plan.height,
            "chips_used": len(chips_used),
            "cores_used": len(plan.cores),
        },
        "populations": pops,
        "routing": {
            "limit": ROUTER_ENTRIES,
            "chips": chips,
            "total_entries": sum(c["entries"] for c in chips),
            "max_entries": 0 if busiest is None else busiest["entries"],
            "over_limit": over,
        },
        "synapses": {
            "projections": len(spec.projections),
            "count": n_syn,
            "bytes": int(total_bytes),
        },
    }
    data["summary"] = _summary_line(spec, data)
    return data


def _summary_line(spec: NetworkSpec, data: dict[str, Any]) -> str:
    m, r, s = data["machine"], data["routing"], data["synapses"]
    name = f"{data['script']}: " if data["script"] else ""
    n_neurons = sum(int(p.size) for p in spec.populations)
    if r["chips"]:
        busy = max(r["chips"], key=lambda c: c["entries"])
        routing = (
            f"busiest router ({busy['x']}, {busy['y']}) {busy['entries']}/{r['limit']} entries"
        )
    else:
        routing = "no routing entries"
    if r["over_limit"]:
        routing += f", {len(r['over_limit'])} chip(s) OVER the {r['limit']}-entry limit"
    return (
        f"{name}{len(spec.populations)} populations, {n_neurons} neurons on {m['cores_used']} "
        f"cores of {m['chips_used']} chip(s), {m['boards']} board(s); "
        f"{s['count']} synapses in {s['projections']} projections, {_size(s['bytes'])}; "
        f"{routing}"
    )


def _size(n: int) -> str:
    """Bytes in B, KiB or MiB."""
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n / (1024 * 1024):.1f} MiB"
