"""Every command that ``spinstream --help`` lists answers ``--help`` (exit 0)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _spinstream(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return subprocess.run(
        [sys.executable, "-m", "spinstream", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _listed_commands() -> list[str]:
    out = _spinstream("--help")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    start = lines.index("commands:") + 1
    names = []
    for line in lines[start:]:
        if not line.startswith("  "):
            break
        names.append(line.split()[0])
    return names


def test_every_listed_command_answers_help():
    names = _listed_commands()
    assert "report" in names
    assert "demo" in names
    failed = {}
    for name in names:
        out = _spinstream(name, "--help")
        if out.returncode != 0 or f"spinstream {name}" not in out.stdout:
            failed[name] = (out.returncode, out.stderr[-500:])
    assert not failed, failed


def test_an_unknown_command_exits_2():
    out = _spinstream("no-such-command")
    assert out.returncode == 2
    assert "unknown command 'no-such-command'" in out.stderr
