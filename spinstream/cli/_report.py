"""``spinstream report SCRIPT [args...]``: the mapping report of a PyNN script's network.

The script runs in this process (as ``__main__``, with ``args`` as its arguments) until its
first ``run()``; there its network is mapped with the runtime's own mapper and the script is
stopped, before the board is loaded and before any step is simulated (mapping needs no
simulated time).  A script that never runs is stopped at ``end()``, or mapped after it
returns.  What the script prints goes to standard error; the report alone goes to standard
output (``--json``: one JSON object).  See :mod:`spinstream.cli._capture` for how the
script is stopped and :mod:`spinstream.cli._mapsummary` for what the numbers mean.

Exit status: 0, or 2 when the script does not exist, raises or exits before its network is
mapped, builds no network, or its network cannot be mapped.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["format_report", "main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="spinstream report",
        description=(
            "Run a PyNN script up to its first run() (no simulated time), map its network "
            "as that run would, and print the mapping report: machine and boards, each "
            "population's cores (x, y, p), atom slices, keys and masks, how many cores its "
            "spikes reach, synapse memory per core, routing table entries per chip against "
            "the 1024-entry SpiNNaker router limit, and a one-line summary."
        ),
    )
    p.add_argument("script", help="the PyNN script (a Python file)")
    p.add_argument(
        "args", nargs=argparse.REMAINDER, help="the script's own arguments (after SCRIPT)"
    )
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    return p


def _hex(n: int) -> str:
    return f"0x{n:08x}"


def format_report(data: dict[str, Any]) -> str:
    """Format the readable report of :func:`spinstream.cli._mapsummary.summarise`'s data."""
    m, r = data["machine"], data["routing"]
    lines = [
        f"machine: {m['boards']} board(s), {m['width']}x{m['height']} chips; "
        f"{m['cores_used']} cores used on {m['chips_used']} chip(s)",
        "",
    ]
    for pop in data["populations"]:
        cores = pop["cores"]
        split = f", {pop['splitter']}" if pop.get("splitter") else ""
        lines.append(
            f"{pop['label']} ({pop['model']}, {pop['size']} neurons, {len(cores)} cores"
            f"{split}; spikes reach {pop['reaches']} cores)"
        )
        for c in cores:
            lines.append(
                f"  core ({c['x']}, {c['y']}, {c['p']:2d})  atoms [{c['lo']}, {c['hi']})  "
                f"key {_hex(c['key'])}  mask {_hex(c['mask'])}  -> {c['reaches']} cores  "
                f"synapses in {c['synapses']} ({c['synapse_bytes']} B)"
            )
    lines += ["", f"routing tables (entries per chip, limit {r['limit']}):"]
    if not r["chips"]:
        lines.append("  none (no projections)")
    row: list[str] = []
    for chip in r["chips"]:
        flag = " OVER" if chip["entries"] > r["limit"] else ""
        row.append(f"({chip['x']}, {chip['y']}) {chip['entries']}{flag}")
        if len(row) == 6:
            lines.append("  " + "   ".join(row))
            row = []
    if row:
        lines.append("  " + "   ".join(row))
    s = data["synapses"]
    lines += [
        f"synapses: {s['count']} in {s['projections']} projections, {s['bytes']} B "
        "(rows, weight tables and row index)",
        "",
        data["summary"],
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run ``spinstream report``; returns the exit status."""
    args = _parser().parse_args(argv)
    from spinstream.cli._capture import ScriptError, capture
    from spinstream.cli._mapsummary import summarise
    from spinstream.model import ParameterError

    try:
        captured = capture(args.script, list(args.args))
        data = summarise(
            captured.spec, captured.plan, script=args.script, weight_bits=captured.weight_bits
        )
    except ScriptError as exc:
        print(f"spinstream report: {exc}", file=sys.stderr)
        return 2
    except ParameterError as exc:  # a network its board refuses (e.g. weight_bits=16, plastic)
        print(f"spinstream report: script {args.script!r}: {exc}", file=sys.stderr)
        return 2
    data["args"] = list(args.args)
    data["stopped_at"] = captured.stopped_at
    if args.json:
        print(json.dumps(data, indent=1))
    else:
        print(format_report(data))
    return 0
