"""The PyNN examples run as scripts (small sizes) and say what they found."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "pynn"


@pytest.mark.parametrize(
    ("script", "args", "expect"),
    [
        ("va_benchmark.py", ["CUBA", "--n", "800", "--tstop", "200"], "mean rates"),
        ("va_benchmark.py", ["COBA", "--n", "800", "--tstop", "100", "--plot"], "plot written"),
        ("synfire.py", ["--groups", "4", "--size", "40"], "group3:  40/40 neurons fired"),
        ("current_injection.py", ["--plot"], "AC:"),
        ("changing_parameters.py", [], "2 segments"),
    ],
)
def test_example_runs(tmp_path, script, args, expect):
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert expect in out.stdout
    if "--plot" in args:
        assert list(tmp_path.glob("*.png"))
