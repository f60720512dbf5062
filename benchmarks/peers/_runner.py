"""Run the peer CUBA scripts in the reference venv (``.refsim``) and collect their JSON records."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]

#: name -> (script in this folder, extra arguments)
PEERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "brian2_standalone": ("cuba_brian2.py", ("--target", "cpp_standalone")),
    "brian2_cython": ("cuba_brian2.py", ("--target", "cython")),
    "nest": ("cuba_nest.py", ()),
    "pynn_nest": ("cuba_pynn.py", ("--backend", "nest", "--precision", "on_grid")),
    "pynn_nest_off_grid": ("cuba_pynn.py", ("--backend", "nest", "--precision", "off_grid")),
    "pynn_brian2": ("cuba_pynn.py", ("--backend", "brian2")),
}


class PeerError(RuntimeError):
    """A peer run failed, timed out or printed no result."""


def refsim_python() -> Path:
    """The reference venv's interpreter: ``$SPINSTREAM_REFSIM/bin/python`` or ``.refsim``."""
    venv = Path(os.environ.get("SPINSTREAM_REFSIM", REPO_ROOT / ".refsim"))
    return venv / "bin" / "python"


def available() -> bool:
    """Return whether the reference venv exists (``scripts/refsim_setup`` makes it)."""
    return refsim_python().exists()


def _env() -> dict[str, str]:
    # Same environment as tests/refsim.py: one thread everywhere, NEST quiet, PyNN's NEST
    # module on the loader path, nothing of the caller's venv.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    modules = str(refsim_python().parents[1] / "nest-modules")
    old = env.get("LD_LIBRARY_PATH")
    env["LD_LIBRARY_PATH"] = modules if not old else f"{modules}:{old}"
    env.update(
        PYNEST_QUIET="1",
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def run_peer(
    name: str,
    n_neurons: int = 4000,
    t_sim_ms: float = 1000.0,
    *,
    seed: int = 1,
    delay_ms: float = 0.1,
    timeout: float = 1800.0,
) -> dict[str, Any]:
    """Run the CUBA network on a peer simulator, single-threaded, and return its record.

    Parameters
    ----------
    name : str
        One of ``PEERS``: "brian2_standalone", "brian2_cython", "nest", "pynn_nest",
        "pynn_nest_off_grid", "pynn_brian2".
    n_neurons : int
        Network size (80 % excitatory); the in-degree stays that of CUBA-4000 (about 80).
    t_sim_ms : float
        Biological time to simulate, ms.
    seed : int
        Seed for connectivity and initial v.
    delay_ms : float
        Synaptic delay, ms (default one step, 0.1 ms).
    timeout : float
        Seconds before the run is killed.

    Returns
    -------
    dict
        The script's JSON record: ``setup_s``, ``sim_wall_s``, ``sim_wall_per_bio_s``,
        ``realtime_factor``, ``total_spikes``, ``mean_rate_hz``, ``n_synapses``,
        ``synaptic_events``, ``synaptic_events_per_s``, ``details``, ``versions``, ...
        plus ``wall_total_s`` (the whole subprocess, imports included).

    Raises
    ------
    PeerError
        If the reference venv is missing or the run fails.
    """
    if name not in PEERS:
        raise ValueError(f"unknown peer {name!r}; expected one of {sorted(PEERS)}")
    exe = refsim_python()
    if not exe.exists():
        raise PeerError(f"no reference venv ({exe} missing): run scripts/refsim_setup")
    script, extra = PEERS[name]
    cmd = [
        str(exe),
        str(HERE / script),
        "--n",
        str(int(n_neurons)),
        "--t-sim",
        repr(float(t_sim_ms)),
        "--seed",
        str(int(seed)),
        "--delay",
        repr(float(delay_ms)),
        *extra,
    ]
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="peer-") as cwd:
        try:
            proc = subprocess.run(
                cmd,
                cwd=cwd,
                env=_env(),
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise PeerError(f"{name} n={n_neurons}: timed out after {timeout:g} s") from exc
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-20:])
        raise PeerError(f"{name} n={n_neurons} failed (exit {proc.returncode}):\n{tail}")
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            record: dict[str, Any] = json.loads(line)
            record["peer"] = name
            record["wall_total_s"] = wall
            return record
    raise PeerError(f"{name} n={n_neurons} printed no JSON record:\n{proc.stdout[-2000:]}")
