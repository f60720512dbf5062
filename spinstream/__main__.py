"""The ``spinstream`` command: ``spinstream COMMAND [options]``; ``--help`` lists commands."""

from __future__ import annotations

import importlib
import sys

#: command -> (module under spinstream.cli that has ``main(argv) -> int``, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("_demo", "closed-loop robot demo on the embedded board"),
    "tap": ("_tap", "print a live summary of a running session's ZeroMQ streams"),
    "dashboard": ("_dashboard", "serve a live web dashboard for a session's ZeroMQ streams"),
    "keys": ("_keys", "make CURVE key pairs for a secured ZeroMQ bridge"),
    "report": ("_report", "print the mapping report of a PyNN script's network"),
}


def _usage() -> str:
    lines = ["usage: spinstream COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<10} {text}" for name, (_, text) in COMMANDS.items()]
    lines.append("\n`spinstream COMMAND --help` describes a command's options.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Dispatch to a command; returns the exit status."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print(_usage())
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"spinstream: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module_name, _ = COMMANDS[name]
    try:
        module = importlib.import_module(f"spinstream.cli.{module_name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"spinstream.cli.{module_name}":
            print(f"spinstream: command {name!r} is not available in this build", file=sys.stderr)
            return 2
        raise
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
