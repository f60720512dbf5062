"""Start-up cost of the ``pyNN.spiNNaker`` hook: ``python -c pass`` with and without it.

``pip install .`` puts ``spinstream-pynn-spinnaker.pth`` in site-packages, so every Python
process of that environment runs it.  This times ``python -c pass`` in such an environment
with the file in place and with it renamed away, alternating the two (the order flips every
round, so drift in the machine's load hits both alike), and prints median, quartiles and
range of each, and the difference of the medians.

    python benchmarks/bench_import_hook.py --python /path/to/venv/bin/python --runs 40

The environment must have spinstream installed with ``pip install .`` (not editable); the
file is renamed back at the end, also on errors or Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import statistics
import subprocess
import time

PTH = "spinstream-pynn-spinnaker.pth"


def site_packages(python: str) -> pathlib.Path:
    out = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    )
    return pathlib.Path(out.stdout.strip())


def once(python: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([python, "-c", "pass"], check=True)
    return (time.perf_counter() - t0) * 1e3


def summary(ms: list[float]) -> dict[str, float]:
    q = statistics.quantiles(ms, n=4)
    return {
        "median_ms": round(statistics.median(ms), 2),
        "q1_ms": round(q[0], 2),
        "q3_ms": round(q[2], 2),
        "min_ms": round(min(ms), 2),
        "max_ms": round(max(ms), 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--python", required=True, help="interpreter of an installed spinstream")
    ap.add_argument("--runs", type=int, default=40, help="runs of each kind (default 40)")
    args = ap.parse_args()
    pth = site_packages(args.python) / PTH
    off = pth.with_suffix(".pth.off")
    if not pth.exists():
        raise SystemExit(f"{pth} not found: install spinstream there with `pip install .`")
    times: dict[str, list[float]] = {"with": [], "without": []}
    try:
        for _ in range(3):  # warm the OS caches for both
            once(args.python)
        for i in range(args.runs):
            for kind in ("with", "without") if i % 2 == 0 else ("without", "with"):
                if kind == "without":
                    pth.rename(off)
                try:
                    times[kind].append(once(args.python))
                finally:
                    if kind == "without":
                        off.rename(pth)
    finally:
        if off.exists() and not pth.exists():
            off.rename(pth)
    result = {kind: summary(ms) for kind, ms in times.items()}
    result["difference_of_medians_ms"] = round(
        result["with"]["median_ms"] - result["without"]["median_ms"], 2
    )
    result["runs_each"] = args.runs
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
