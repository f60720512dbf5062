"""``spinstream keys``: CURVE key pairs for a secured ZeroMQ bridge.

``spinstream keys generate DIR [NAME ...]`` writes ``DIR/NAME.key`` (public) and
``DIR/NAME.key_secret`` (secret, mode 0600) for each name (default: ``server`` and
``client``); ``spinstream keys show FILE`` prints the public key of a key file.  The
server takes its ``.key_secret`` and the clients' ``.key`` files; each client takes its
own ``.key_secret`` and the server's ``.key``.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="spinstream keys", description="Make and show CURVE keys for the ZeroMQ bridge."
    )
    sub = p.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="make key pairs NAME.key / NAME.key_secret in DIR")
    gen.add_argument("directory")
    gen.add_argument(
        "names", nargs="*", default=["server", "client"], help="default: server client"
    )
    gen.add_argument("--force", action="store_true", help="overwrite existing key files")
    show = sub.add_parser("show", help="print the public key of a key file")
    show.add_argument("file")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run ``spinstream keys``; returns the exit status."""
    args = _parser().parse_args(argv)
    from spinstream.client import generate_key_pair, load_public_key

    if args.command == "show":
        try:
            print(load_public_key(args.file).decode("ascii"))
        except (OSError, ValueError) as exc:
            print(f"spinstream keys: {exc}", file=sys.stderr)
            return 1
        return 0
    if len(set(args.names)) != len(args.names):
        print("spinstream keys: a name is given twice", file=sys.stderr)
        return 2
    for name in args.names:
        try:
            public, secret = generate_key_pair(args.directory, name, force=args.force)
        except (OSError, ValueError) as exc:
            print(f"spinstream keys: {exc}", file=sys.stderr)
            return 1
        print(f"{name}: public {public}  secret {secret}  key {load_public_key(public).decode()}")
    print(
        "give the server its .key_secret and the clients' .key files (client_keys=DIR or "
        "a list); give each client its own .key_secret and the server's .key"
    )
    return 0
