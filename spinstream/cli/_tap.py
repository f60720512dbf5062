"""``spinstream tap ENDPOINT [TOPIC ...]``: a live summary of a session's ZeroMQ streams.

Connects to a bridge's control endpoint, subscribes to the topics (default: the spikes
of every population; ``--weights`` adds the weight topic of every plastic projection) and
prints, every ``--interval`` seconds, one line per topic: spikes per second, messages, the
last step seen, how many messages were lost on the way (gaps in ``seq``) or dropped by the
bridge, and for a weight topic the latest snapshot's mean, minimum and maximum weight.
``--json`` prints one JSON object per report instead, for machines.  Uses only
:mod:`spinstream.client`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from spinstream.client import Message

__all__ = ["main"]


@dataclass
class _Tally:
    messages: int = 0
    spikes: int = 0
    samples: int = 0
    lost: int = 0
    dropped: int = 0
    last_step: int = -1
    chunk: int = -1
    window_spikes: int = 0
    window_messages: int = 0
    weights: dict[str, Any] | None = None  # the latest weight snapshot's summary

    def add(self, msg: Message) -> None:
        self.messages += 1
        self.window_messages += 1
        self.lost += msg.lost
        self.dropped += msg.dropped
        self.last_step = msg.last_step
        self.chunk = msg.chunk
        if msg.kind == "spikes":
            self.spikes += len(msg)
            self.window_spikes += len(msg)
            return
        self.samples += len(msg)
        if msg.kind == "weights" and len(msg):
            w = msg.values[-1]
            self.weights = {
                "stamp": int(msg.stamps[-1]),
                "n_synapses": int(w.size),
                "mean": float(w.mean()) if w.size else None,
                "min": float(w.min()) if w.size else None,
                "max": float(w.max()) if w.size else None,
            }

    def latest(self) -> str:
        w = self.weights
        if w is None or w["mean"] is None:
            return ""
        return (
            f"w = {w['mean']:.4g} [{w['min']:.4g}, {w['max']:.4g}] over {w['n_synapses']} "
            f"synapses at step {w['stamp']}"
        )

    def as_dict(self, seconds: float) -> dict[str, Any]:
        out: dict[str, Any] = {
            "spikes_per_s": self.window_spikes / seconds if seconds > 0 else 0.0,
            "messages": self.messages,
            "spikes": self.spikes,
            "samples": self.samples,
            "last_step": self.last_step,
            "chunk": self.chunk,
            "gaps": self.lost,
            "dropped": self.dropped,
        }
        if self.weights is not None:
            out["weights"] = self.weights
        return out


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="spinstream tap",
        description="Print a live summary of a running session's ZeroMQ streams.",
    )
    p.add_argument("endpoint", help="the bridge's control endpoint, e.g. tcp://127.0.0.1:5555")
    p.add_argument(
        "topics",
        nargs="*",
        help="topics to tap (see `describe`); default: the spikes of every population",
    )
    p.add_argument(
        "--weights",
        action="store_true",
        help="also tap the weights of every plastic projection (weights/<label>/)",
    )
    p.add_argument(
        "--every",
        type=float,
        default=None,
        help="sample state and weight topics every this many ms (default: every step)",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument(
        "--interval", type=float, default=1.0, help="seconds between reports (default 1)"
    )
    p.add_argument("--count", type=int, default=None, help="stop after this many messages")
    p.add_argument(
        "--until-step",
        type=int,
        default=None,
        help="stop once every topic has delivered the chunk that contains this step",
    )
    p.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    p.add_argument(
        "--lockstep",
        action="store_true",
        help="hold each chunk until it is tapped (lossless; session mode 'lockstep')",
    )
    p.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the bridge")
    p.add_argument("--server-key", help="the bridge's public key file (CURVE)")
    p.add_argument("--client-key", help="this client's secret key file (CURVE)")
    return p


def _print_report(
    out: TextIO, as_json: bool, tallies: dict[str, _Tally], seconds: float, event: str
) -> None:
    if as_json:
        rec = {
            "event": event,
            "seconds": round(seconds, 6),
            "topics": {t: v.as_dict(seconds) for t, v in tallies.items()},
        }
        out.write(json.dumps(rec) + "\n")
    else:
        width = max(len(t) for t in tallies)
        out.write(
            f"{'topic':<{width}}  {'spikes/s':>10}  {'msgs':>7}  {'last step':>10}  "
            f"{'gaps':>5}  {'dropped':>7}\n"
        )
        for topic, v in tallies.items():
            rate = f"{v.window_spikes / seconds if seconds > 0 else 0.0:.1f}"
            if not topic.startswith("spikes/"):
                rate = "-"
            line = (
                f"{topic:<{width}}  {rate:>10}  {v.messages:>7}  {v.last_step:>10}  "
                f"{v.lost:>5}  {v.dropped:>7}  {v.latest()}"
            )
            out.write(line.rstrip() + "\n")
        out.write("\n")
    out.flush()
    for v in tallies.values():
        v.window_spikes = 0
        v.window_messages = 0


def main(argv: list[str] | None = None) -> int:
    """Run ``spinstream tap``; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.interval < 0:
        print("spinstream tap: --interval must be >= 0", file=sys.stderr)
        return 2
    from spinstream.client import Client, RemoteError, StreamEnded

    out = sys.stdout
    try:
        client = Client(
            args.endpoint,
            timeout=args.timeout,
            server_key=args.server_key,
            client_key=args.client_key,
        )
    except (OSError, ValueError) as exc:
        print(f"spinstream tap: {exc}", file=sys.stderr)
        return 2
    with client:
        try:
            desc = client.describe()
            topics = list(args.topics)
            if not topics:
                topics = [
                    s["topics"]["spikes"]
                    for s in desc["sources"]
                    if s["kind"] == "population" and "spikes" in s["topics"]
                ]
            if args.weights:
                topics += [p["topic"] for p in desc.get("projections", [])]
            if not topics:
                print("spinstream tap: nothing to tap (no topics)", file=sys.stderr)
                return 1
            stream = client.subscribe(topics, lockstep=args.lockstep, every=args.every)
        except (TimeoutError, RemoteError, ValueError) as exc:
            print(f"spinstream tap: {exc}", file=sys.stderr)
            return 1
        tallies = {t: _Tally() for t in stream.topics}
        if args.json:
            out.write(
                json.dumps(
                    {
                        "event": "subscribed",
                        "topics": stream.topics,
                        "step": desc["step"],
                        "dt": desc["dt"],
                        "lockstep": args.lockstep,
                    }
                )
                + "\n"
            )
            out.flush()
        else:
            out.write(f"tapping {', '.join(stream.topics)} on {args.endpoint}\n")
        start = last = time.monotonic()
        n = 0
        try:
            with stream:
                while True:
                    now = time.monotonic()
                    if args.duration is not None and now - start >= args.duration:
                        break
                    wait = max(0.0, last + args.interval - now) if args.interval else None
                    if args.duration is not None:
                        left = start + args.duration - now
                        wait = left if wait is None else min(wait, left)
                    try:
                        msg = stream.receive(wait)
                    except TimeoutError:
                        msg = None
                    except StreamEnded:  # the session closed: report what came
                        break
                    if msg is not None:
                        n += 1
                        tallies[msg.topic].add(msg)
                    now = time.monotonic()
                    done = (args.count is not None and n >= args.count) or (
                        args.until_step is not None
                        and all(t.last_step >= args.until_step for t in tallies.values())
                    )
                    if args.interval == 0 or now - last >= args.interval:
                        _print_report(out, args.json, tallies, now - last, "report")
                        last = now
                    if done:
                        break
        except KeyboardInterrupt:
            pass
        _print_report(out, args.json, tallies, max(time.monotonic() - last, 1e-9), "end")
    return 0
