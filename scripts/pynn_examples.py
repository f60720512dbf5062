"""Run sPyNNaker's example scripts (SpiNNakerManchester/PyNNExamples) on this checkout.

Each script runs unchanged, as ``python script.py`` from its own directory in a fresh
interpreter that processes this checkout's ``.pth`` hook first (as an installed spinstream
does at start-up), with ``MPLBACKEND=Agg`` so that ``plt.show()`` returns, and a timeout.
Prints one line per script (status, seconds, the last line of its error) and a summary.

    git clone https://github.com/SpiNNakerManchester/PyNNExamples /tmp/PyNNExamples
    python scripts/pynn_examples.py /tmp/PyNNExamples --timeout 150

The examples repository is not part of spinstream: never commit it.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
PTH = ROOT / "spinstream-pynn-spinnaker.pth"
SKIP_DIRS = ("integration_tests", "unittests")

RUNNER = (
    "import site, sys, runpy; site.addsitedir(sys.argv[1]); sys.argv = sys.argv[2:]; "
    "runpy.run_path(sys.argv[0], run_name='__main__')"
)


def scripts(checkout: pathlib.Path) -> list[pathlib.Path]:
    found = []
    for path in sorted(checkout.rglob("*.py")):
        rel = path.relative_to(checkout)
        if path.name == "__init__.py" or rel.parts[0] in SKIP_DIRS or rel.parts[0] == ".git":
            continue
        found.append(path)
    return found


def last_error(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.strip().splitlines() if ln.strip()]
    return lines[-1][:160] if lines else ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkout", type=pathlib.Path, help="a PyNNExamples checkout")
    ap.add_argument("--timeout", type=float, default=150.0, help="seconds per script")
    ap.add_argument("--only", nargs="*", default=None, help="relative paths to run")
    args = ap.parse_args()
    checkout = args.checkout.resolve()
    todo = scripts(checkout)
    if args.only:
        todo = [p for p in todo if str(p.relative_to(checkout)) in args.only]
    env = dict(os.environ)
    env["MPLBACKEND"] = "Agg"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(checkout)])
    ok = 0
    with tempfile.TemporaryDirectory() as sitedir:
        (pathlib.Path(sitedir) / PTH.name).write_text(PTH.read_text())
        for path in todo:
            t0 = time.perf_counter()
            try:
                out = subprocess.run(
                    [sys.executable, "-c", RUNNER, sitedir, path.name],
                    cwd=path.parent,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=args.timeout,
                    stdin=subprocess.DEVNULL,
                )
                status = "ok" if out.returncode == 0 else f"rc={out.returncode}"
                why = "" if out.returncode == 0 else last_error(out.stderr)
            except subprocess.TimeoutExpired:
                status, why = "timeout", f"still running after {args.timeout:g} s"
            ok += status == "ok"
            rel = path.relative_to(checkout)
            print(f"{status:8s} {time.perf_counter() - t0:6.1f}s  {rel}  {why}", flush=True)
    print(f"{ok} of {len(todo)} scripts ran to the end")


if __name__ == "__main__":
    main()
