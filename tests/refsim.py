"""Run PyNN scripts on the reference simulators (NEST 3, Brian2) from spinstream's tests.

The reference simulators live in their own virtual environment (``<repo>/.refsim``, made by
``scripts/refsim_setup``; ``SPINSTREAM_REFSIM`` points elsewhere), because Brian2 2.9 needs
``numpy<2.4``. Each call runs the script in a fresh subprocess of that environment, so NEST's
and Brian2's global state never leak between tests and never touch the test process.

Usage in a test::

    from tests import refsim   # or: import refsim, with tests/ on sys.path

    def test_psc_matches_nest():
        refsim.require("nest")   # skip locally without .refsim; fail on CI (CI=true)
        out = refsim.run_pynn("nest", '''
    sim.setup(timestep=dt, spike_precision="on_grid")   # NEST's default is off-grid
    p = sim.Population(1, sim.IF_curr_exp())
    p.record(["v", "spikes"])
    sim.run(t_stop)
    seg = p.get_data().segments[0]
    v = seg.filter(name="v")[0]
    save(t=v.times, v=v.magnitude[:, 0], spikes=seg.spiketrains[0])
    ''', dt=0.1, t_stop=50.0)
        out["v"]  # numpy array, mV (units are stripped; PyNN records ms, mV, nA, uS)

The script sees ``sim`` (the imported ``pyNN.nest`` or ``pyNN.brian2``), ``np`` (numpy),
``save(**arrays)`` and every keyword input as a variable. Inputs must be numpy-convertible
without pickling (numbers, strings, arrays, lists of numbers); 0-d inputs arrive as Python
scalars. Whatever the script passes to ``save`` comes back as numpy arrays (quantities lose
their units; a neo AnalogSignal keeps its 2-D shape, hence ``magnitude[:, 0]``). The driver
calls ``sim.end()`` after the script. See benchmarks/peers/CONVENTIONS.md for how NEST and
Brian2 stamp spikes, start currents and count delays.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "SIMULATORS",
    "RefsimError",
    "available",
    "python_executable",
    "require",
    "run_pynn",
    "run_python",
    "subprocess_env",
    "venv_dir",
]

SIMULATORS = ("nest", "brian2")

_REPO_ROOT = Path(__file__).resolve().parents[1]

# Executed by the reference venv's interpreter: argv = sim, script file, inputs, outputs.
_DRIVER = r"""
import importlib
import sys
import warnings

# NEST and PyNN print deprecation chatter as UserWarnings; keep stderr for real errors.
warnings.simplefilter("ignore")

import numpy as np

sim_name, script_path, inputs_path, out_path, brian2_target = sys.argv[1:6]
if sim_name == "brian2":
    import brian2
    brian2.prefs.codegen.target = brian2_target
    brian2.prefs.logging.console_log_level = "WARNING"
sim = importlib.import_module("pyNN." + sim_name)
if sim_name == "nest":
    import nest
    nest.set_verbosity("M_ERROR")

saved = {}

def save(**arrays):
    for key, value in arrays.items():
        arr = np.asarray(getattr(value, "magnitude", value))
        if arr.dtype == object:
            raise TypeError(f"save({key}=...): cannot store an object array")
        saved[key] = arr

with np.load(inputs_path, allow_pickle=False) as data:
    inputs = {k: (data[k].item() if data[k].ndim == 0 else data[k]) for k in data.files}

namespace = {"__name__": "__refsim__", "sim": sim, "np": np, "save": save, **inputs}
with open(script_path, encoding="utf-8") as f:
    code = compile(f.read(), "<refsim script>", "exec")
exec(code, namespace)
try:
    sim.end()
except Exception:
    pass
np.savez(out_path, **saved)
"""


class RefsimError(RuntimeError):
    """A reference-simulator subprocess failed (its stderr tail is in the message)."""


def venv_dir() -> Path:
    """Return the reference-simulator venv: ``$SPINSTREAM_REFSIM`` or ``<repo>/.refsim``."""
    return Path(os.environ.get("SPINSTREAM_REFSIM", _REPO_ROOT / ".refsim"))


def python_executable() -> Path:
    """Return the interpreter of the reference venv (which may not exist)."""
    return venv_dir() / "bin" / "python"


def subprocess_env() -> dict[str, str]:
    """Environment for reference-simulator subprocesses.

    Single-threaded numerics, NEST's banner off, PyNN's compiled NEST module on the loader's
    path, and nothing of the calling venv (``PYTHONPATH``, ``VIRTUAL_ENV``) leaking in.
    """
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    }
    modules = str(venv_dir() / "nest-modules")
    old = env.get("LD_LIBRARY_PATH")
    env["LD_LIBRARY_PATH"] = modules if not old else f"{modules}:{old}"
    env["PYNEST_QUIET"] = "1"
    env["OMP_NUM_THREADS"] = "1"
    env["OPENBLAS_NUM_THREADS"] = "1"
    env["MKL_NUM_THREADS"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _check_sim(sim: str) -> None:
    if sim not in SIMULATORS:
        raise ValueError(f"sim must be one of {SIMULATORS}, got {sim!r}")


def _probe(sim: str) -> str | None:
    """Import ``pyNN.<sim>`` in the reference venv; None if it works, else why not."""
    return _probe_in(sim, str(venv_dir()))


@functools.cache
def _probe_in(sim: str, venv: str) -> str | None:
    exe = python_executable()
    if not exe.exists():
        return f"no reference venv at {venv} (run scripts/refsim_setup)"
    code = f"import warnings; warnings.simplefilter('ignore'); import pyNN.{sim}"
    try:
        proc = subprocess.run(
            [str(exe), "-c", code],
            env=subprocess_env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot start {exe}: {exc}"
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        return f"pyNN.{sim} does not import in {venv_dir()}:\n{tail}"
    return None


def available(sim: str) -> bool:
    """Return whether ``pyNN.<sim>`` imports in the reference venv (cached per process)."""
    _check_sim(sim)
    return _probe(sim) is None


def require(sim: str) -> None:
    """Skip the calling test when ``sim`` is unavailable; fail instead when ``CI=true``.

    CI installs the reference venv (``.ci/run`` runs ``scripts/refsim_setup``), so a missing
    simulator there is a broken build, never a silent skip.
    """
    import pytest

    _check_sim(sim)
    why = _probe(sim)
    if why is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"reference simulator {sim!r} unavailable on CI: {why}", pytrace=False)
    pytest.skip(f"reference simulator {sim!r} unavailable: {why}")


def _save_inputs(path: Path, inputs: dict[str, Any]) -> None:
    arrays: dict[str, np.ndarray] = {}
    for key, value in inputs.items():
        if not key.isidentifier():
            raise ValueError(f"input name {key!r} is not a Python identifier")
        arr = np.asarray(value)
        if arr.dtype == object:
            raise TypeError(
                f"input {key}={value!r}: expected numbers, strings or arrays of them"
                " (inputs cross a process boundary without pickling)"
            )
        arrays[key] = arr
    np.savez(path, **arrays)  # type: ignore[arg-type]


def run_python(
    args: list[str], *, timeout: float = 600.0, cwd: str | Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the reference venv's interpreter with ``args``; raise RefsimError on failure."""
    exe = python_executable()
    if not exe.exists():
        raise RefsimError(f"no reference venv at {venv_dir()} (run scripts/refsim_setup)")
    try:
        proc = subprocess.run(
            [str(exe), *args],
            env=subprocess_env(),
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise RefsimError(f"reference run timed out after {timeout:g} s: {args}") from exc
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-30:])
        raise RefsimError(f"reference run failed (exit {proc.returncode}):\n{tail}")
    return proc


def run_pynn(
    sim: str,
    script: str,
    *,
    timeout: float = 600.0,
    brian2_target: str = "numpy",
    **inputs: Any,
) -> dict[str, np.ndarray]:
    """Run a PyNN script on ``pyNN.<sim>`` in the reference venv and return what it saved.

    Parameters
    ----------
    sim : {"nest", "brian2"}
        The PyNN backend, imported as ``sim`` in the script.
    script : str
        Python source (dedented here). It calls ``sim.setup`` itself and hands results back
        with ``save(name=array, ...)``; every keyword in ``inputs`` is a variable in it.
    timeout : float
        Seconds before the subprocess is killed.
    brian2_target : str
        Brian2 code-generation target: "numpy" (default; no compiler, starts in about 3 s)
        or "cython" (compiles on first use, cached in ~/.cython). Results agree to rounding.
    **inputs
        Numbers, strings or arrays passed to the script by name.

    Returns
    -------
    dict of str to numpy.ndarray
        The arrays given to ``save``; quantities arrive as plain magnitudes.

    Raises
    ------
    RefsimError
        When the subprocess fails or times out; the message carries its stderr.
    """
    _check_sim(sim)
    if brian2_target not in ("numpy", "cython"):
        raise ValueError(f"brian2_target must be 'numpy' or 'cython', got {brian2_target!r}")
    with tempfile.TemporaryDirectory(prefix="refsim-") as tmp:
        work = Path(tmp)
        (work / "driver.py").write_text(_DRIVER, encoding="utf-8")
        (work / "script.py").write_text(textwrap.dedent(script), encoding="utf-8")
        _save_inputs(work / "inputs.npz", inputs)
        out = work / "out.npz"
        # cwd=work: Brian2 and PyNN may write build or output folders into the cwd.
        run_python(
            [
                str(work / "driver.py"),
                sim,
                str(work / "script.py"),
                str(work / "inputs.npz"),
                str(out),
                brian2_target,
            ],
            timeout=timeout,
            cwd=work,
        )
        with np.load(out, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}


if __name__ == "__main__":  # pragma: no cover - a quick manual check
    for name in SIMULATORS:
        print(name, "ok" if available(name) else _probe(name), file=sys.stderr)
