"""Copy-paste checks: every command and code block of README.md runs as written.

The README's fenced blocks are parsed; every line of a ``bash`` block must match one of
the commands below (an unknown command fails the test, so the README cannot drift), and
every ``python`` block is run.  ``pip install`` lines are not re-run (the test runs in the
environment they made); their package and extras are checked against pyproject.toml.
Commands that bind an HTTP port get ``--port 0``; placeholders ``PORT`` are filled in
with a running session's endpoint.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import subprocess
import sys
import tomllib
import urllib.request
from pathlib import Path

import pytest

from tests.engine import require_engine

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)

HostBoard = require_engine()


def blocks(lang: str) -> list[str]:
    return [body for kind, body in FENCE.findall(README.read_text()) if kind == lang]


def commands() -> list[str]:
    out = []
    for body in blocks("bash"):
        for line in body.splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                out.append(line)
    return out


def python_block(marker: str) -> str:
    found = [b for b in blocks("python") if marker in b]
    assert len(found) == 1, f"expected one python block with {marker!r}"
    return found[0]


def spinstream_cmd(args: list[str]) -> list[str]:
    # the console script that pip installed beside this interpreter, else the module
    script = Path(sys.executable).with_name("spinstream")
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-m", "spinstream", *args]


def run(cmd: list[str], timeout: float, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    assert proc.returncode == 0, f"{shlex.join(cmd)}\n{proc.stdout}\n{proc.stderr}"
    return proc


def test_every_block_is_known() -> None:
    known = {
        "pip install . && spinstream demo",
        "pip install .[test] && python -m pytest -q",
        "spinstream demo cartpole",
        "spinstream demo --mode lockstep --headless --png vehicle.png",
        "python examples/closed_loop/cartpole_session.py --spawn-controller",
        "spinstream demo --dashboard --seconds 60",
        "spinstream dashboard tcp://127.0.0.1:PORT --port 8051",
        "python benchmarks/bench_engine.py --no-peers --sizes 4000 --seconds 1",
        "python -m benchmarks.peers --sizes 4000 --repeat 1",
        "python benchmarks/bench_vs_brian2.py --repeat 7",
    }
    assert set(commands()) == known, "README commands changed: update tests/test_readme.py"
    langs = [kind for kind, _ in FENCE.findall(README.read_text())]
    assert set(langs) <= {"bash", "python", "text"}
    assert len(blocks("python")) == 2


def test_pip_install_lines_name_real_extras() -> None:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    extras = meta["project"]["optional-dependencies"]
    for line in commands():
        for m in re.finditer(r"pip install (\S+)", line):
            target = m.group(1).strip("'\"")
            path, _, extra = target.partition("[")
            assert path == "."
            if extra:
                assert extra.rstrip("]") in extras
    assert meta["project"]["scripts"]["spinstream"] == "spinstream.__main__:main"
    # the README's test command is what CI runs
    assert "python -m pytest -q" in commands()[1]
    assert "-m pytest -q" in (ROOT / ".ci" / "run").read_text()


def test_readme_demo() -> None:
    proc = run(spinstream_cmd(["demo"]), timeout=60)
    assert "4/4 episodes reached the light" in proc.stdout
    assert "mode realtime" in proc.stdout
    assert re.search(r"^t=.*RTF.*spikes/s.*light", proc.stdout, re.M)


def test_readme_more_demos(tmp_path: Path) -> None:
    proc = run(spinstream_cmd(["demo", "cartpole"]), timeout=60)
    assert "balanced for all 12.00 s" in proc.stdout
    proc = run(
        spinstream_cmd(["demo", "--mode", "lockstep", "--headless", "--png", "vehicle.png"]),
        timeout=60,
        cwd=tmp_path,
    )
    assert "4/4 episodes reached the light" in proc.stdout
    assert (tmp_path / "vehicle.png").read_bytes()[:4] == b"\x89PNG"
    proc = run(
        [sys.executable, "examples/closed_loop/cartpole_session.py", "--spawn-controller"],
        timeout=120,
    )
    assert "balanced for 20.00 s over ZeroMQ" in proc.stdout


def test_readme_closed_loop_example(tmp_path: Path) -> None:
    code = python_block("async def controller")
    body = [line for line in code.splitlines() if line.strip()]
    assert len(body) <= 24  # "a closed loop in 20 lines", give or take the imports
    script = tmp_path / "closed_loop.py"
    script.write_text(code)
    proc = run([sys.executable, str(script)], timeout=60, cwd=tmp_path)
    assert "200 chunks," in proc.stdout  # the controller saw every chunk, the last one too
    m = re.search(r"cells fire at ([0-9.]+) Hz \(target 20 Hz\)", proc.stdout)
    assert m, proc.stdout
    assert abs(float(m.group(1)) - 20.0) < 2.0


def test_readme_zeromq_subscriber_and_dashboard(tmp_path: Path) -> None:
    subscriber = tmp_path / "subscriber.py"
    code = python_block("from spinstream.client import Client")
    assert len([line for line in code.splitlines() if line.strip()]) <= 10
    subscriber.write_text(code)
    demo = subprocess.Popen(
        spinstream_cmd(["demo", "--dashboard", "--seconds", "60", "--port", "0"]),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    dash = None
    try:
        assert demo.stdout is not None
        endpoint = page = None
        for line in demo.stdout:
            m = re.match(r"dashboard: (http://\S+)\s+\(ZeroMQ bridge: (tcp://\S+);", line)
            if m:
                page, endpoint = m.groups()
                break
        assert endpoint, "the demo printed no ZeroMQ endpoint"
        with urllib.request.urlopen(page, timeout=10) as r:
            assert "spinstreamDashboard" in r.read().decode()
        # the README's subscriber, as written, with the endpoint for PORT
        proc = run([sys.executable, str(subscriber), endpoint], timeout=60, cwd=tmp_path)
        lines = proc.stdout.splitlines()
        assert len(lines) == 200
        assert {line.split()[0] for line in lines} == {"motor_left", "motor_right"}
        # the README's second dashboard on the same session
        cmd = "spinstream dashboard tcp://127.0.0.1:PORT --port 8051"
        args = shlex.split(cmd.replace("tcp://127.0.0.1:PORT", endpoint))[1:]
        args[args.index("8051")] = "0"
        dash = subprocess.Popen(spinstream_cmd(args), stdout=subprocess.PIPE, text=True)
        assert dash.stdout is not None
        first = dash.stdout.readline()
        assert first.startswith("dashboard: http://127.0.0.1:"), first
        url = first.split()[1]
        with urllib.request.urlopen(url + "api/describe", timeout=10) as r:
            described = r.read().decode()
        assert '"motor_left"' in described
        assert '"sensor_right"' in described
    finally:
        for p in (dash, demo):
            if p is not None:
                p.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    p.wait(timeout=30)
                if p.poll() is None:
                    p.kill()
                    p.wait()
                if p.stdout is not None:
                    p.stdout.close()


def test_readme_benchmark_commands() -> None:
    args = ["--no-peers", "--sizes", "4000", "--seconds", "1"]
    proc = run([sys.executable, "benchmarks/bench_engine.py", *args], timeout=180)
    assert re.search(r"^\s+4000\s+1\.0\s", proc.stdout, re.M), proc.stdout
    refsim = ROOT / ".refsim" / "bin" / "python"
    if not refsim.exists():
        if os.environ.get("CI"):
            pytest.fail("the reference simulators (.refsim) are missing")
        pytest.skip("needs the reference simulators (scripts/refsim_setup)")
    # the README's peers command, shortened: NEST only, 200 ms (later options win)
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.peers",
        "--sizes",
        "4000",
        "--repeat",
        "1",
        "--peers",
        "nest",
        "--t-sim",
        "200",
    ]
    proc = run(cmd, timeout=300)
    assert "nest" in proc.stdout
    # the README's alternating comparison, shortened: one pair of 0.2 s
    cmd = [sys.executable, "benchmarks/bench_vs_brian2.py", "--repeat", "1", "--seconds", "0.2"]
    proc = run(cmd, timeout=600)
    assert re.search(r"^ratio\s+[0-9.]+", proc.stdout, re.M), proc.stdout
