"""``spinstream report``: a script's network mapped, reported, and checked against its own run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from spinstream.cli import _capture
from spinstream.session import Runtime

ROOT = Path(__file__).resolve().parents[1]
SYNFIRE = ROOT / "examples" / "pynn" / "synfire.py"

# Run plainly (python small.py OUT), it runs 5 ms and writes its plan to OUT; under the
# report it must stop at its run(), so OUT is never written.  It imports the backend by
# another name than spinstream.pyNN, as sPyNNaker-style scripts do.
SMALL = """
import json
import sys

import spinstream  # installs the pyNN.spinstream name
import pyNN.spinstream as sim

sim.setup(timestep=0.1, seed=3)
a = sim.Population(300, sim.IF_curr_exp(), label="a")
a.set_max_atoms_per_core(100)
b = sim.Population(40, sim.IF_cond_exp(), label="b")
b.add_placement_constraint(1, 1)
src = sim.Population(20, sim.SpikeSourcePoisson(rate=10.0), label="src")
rng = sim.NumpyRNG(seed=1)
sim.Projection(src, a, sim.FixedProbabilityConnector(0.3, rng=rng),
               sim.StaticSynapse(weight=0.5, delay=1.0))
sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.01, delay=2.0),
               receptor_type="inhibitory")
sim.Projection(a, a, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.2, delay=1.5))
print("network built")
sim.run(5.0)
print("ran 5 ms")
runtime = sim.state.runtime
plan, spec = runtime.plan, runtime.spec
out = {
    "cores": [[c.pop, c.lo, c.hi, c.x, c.y, c.p, c.key, c.mask] for c in plan.cores],
    "pop_cores": {str(k): v for k, v in plan.pop_cores.items()},
    "routes": {str(k): list(v) for k, v in plan.routes.items()},
    "tables": sorted([x, y, len(t)] for (x, y), t in plan.tables.items() if t),
    "boards": plan.n_boards,
    "post": [[p.post, p.post_index.tolist()] for p in spec.projections],
}
with open(sys.argv[1], "w") as f:
    json.dump(out, f)
sim.end()
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _report(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _run(["-m", "spinstream", "report", *args], cwd)


def _write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text))
    return path


def test_small_script_report_matches_its_own_run(tmp_path):
    script = _write(tmp_path / "small.py", SMALL)
    plain = _run([str(script), str(tmp_path / "plan.json")], tmp_path)
    assert plain.returncode == 0, plain.stderr[-2000:]
    ref = json.loads((tmp_path / "plan.json").read_text())

    out = _report(tmp_path, "--json", str(script), str(tmp_path / "unused.json"))
    assert out.returncode == 0, out.stderr[-2000:]
    # stopped at its run(): nothing after it ran, and its printing is not in the report
    assert not (tmp_path / "unused.json").exists()
    assert "network built" in out.stderr
    assert "ran 5 ms" not in out.stdout + out.stderr
    data = json.loads(out.stdout)
    assert data["stopped_at"] == "run"

    assert data["machine"]["boards"] == ref["boards"]
    assert data["machine"]["cores_used"] == len(ref["cores"]) == 5
    by_core = {c["core"]: (p["id"], c) for p in data["populations"] for c in p["cores"]}
    assert sorted(by_core) == list(range(len(ref["cores"])))
    for cid, (pop, lo, hi, x, y, p, key, mask) in enumerate(ref["cores"]):
        got_pop, c = by_core[cid]
        assert (got_pop, c["lo"], c["hi"], c["x"], c["y"], c["p"]) == (pop, lo, hi, x, y, p)
        assert (c["key"], c["mask"]) == (key, mask)
        assert c["reaches"] == len(ref["routes"].get(str(cid), []))
    for pop in data["populations"]:
        assert [c["core"] for c in pop["cores"]] == ref["pop_cores"][str(pop["id"])]
    # what the script asked for: 100 atoms per core for a, b pinned to chip (1, 1)
    a, b, src = data["populations"]
    assert [(c["lo"], c["hi"]) for c in a["cores"]] == [(0, 100), (100, 200), (200, 300)]
    assert [(c["x"], c["y"]) for c in b["cores"]] == [(1, 1)]
    # a reaches its own 3 cores and b's; src reaches a's 3 cores; b projects nowhere
    assert (a["reaches"], b["reaches"], src["reaches"]) == (4, 0, 3)
    chips = sorted([c["x"], c["y"], c["entries"]] for c in data["routing"]["chips"])
    assert chips == ref["tables"]
    assert data["routing"]["limit"] == 1024
    assert data["routing"]["max_entries"] == max(e for _, _, e in ref["tables"])

    # synapses into each core, counted from the connections the run built
    sizes = {p["id"]: p["size"] for p in data["populations"]}
    counts = {pid: np.zeros(n, int) for pid, n in sizes.items()}
    for post, idx in ref["post"]:
        counts[post] += np.bincount(idx, minlength=sizes[post])
    for pop in data["populations"]:
        for c in pop["cores"]:
            assert c["synapses"] == counts[pop["id"]][c["lo"] : c["hi"]].sum()
    # b's core: 300 rows (one per neuron of a) of one header and 40 compact 4-byte words,
    # plus one weight-table entry (8-byte weight, 4-byte receptor) per source core of a
    assert b["cores"][0]["synapses"] == 300 * 40
    assert b["cores"][0]["synapse_bytes"] == 4 * (300 + 300 * 40) + 3 * 12
    total = sum(c["synapse_bytes"] + c["row_index_bytes"] for _, c in by_core.values())
    assert data["synapses"]["bytes"] == total
    assert data["synapses"]["count"] == sum(len(i) for _, i in ref["post"])


def test_synfire_report_text_and_json(tmp_path):
    args = [str(SYNFIRE), "--groups", "3", "--size", "300"]
    out = _report(tmp_path, "--json", *args)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "neurons fired" not in out.stdout + out.stderr  # no simulated time ran
    data = json.loads(out.stdout)
    pops = {p["label"]: p for p in data["populations"]}
    assert sorted(pops) == ["group0", "group1", "group2", "volley"]
    keys = []
    for pop in pops.values():
        # 300 neurons in slices of at most 256, contiguous, in atom order
        assert [(c["lo"], c["hi"]) for c in pop["cores"]] == [(0, 256), (256, 300)]
        for c in pop["cores"]:
            n = c["hi"] - c["lo"]
            free = (~c["mask"]) & 0xFFFFFFFF
            assert free + 1 >= n  # the mask leaves room for every neuron's offset
            assert c["key"] & free == 0
            keys.append((c["key"], c["mask"]))
    assert len(set(keys)) == len(keys)
    # the chain: volley -> group0 -> group1 -> group2, 2 cores each
    assert [pops[k]["reaches"] for k in ("volley", "group0", "group1", "group2")] == [2, 2, 2, 0]
    assert 0 < data["routing"]["max_entries"] <= 1024
    assert data["routing"]["over_limit"] == []
    assert data["machine"]["cores_used"] == 8

    text = _report(tmp_path, *args)
    assert text.returncode == 0, text.stderr[-2000:]
    lines = text.stdout.splitlines()
    assert lines[0].startswith("machine: 1 board(s)")
    assert any("atoms [256, 300)" in line and "mask 0xffffff00" in line for line in lines)
    assert "routing tables (entries per chip, limit 1024):" in lines
    assert lines[-1] == data["summary"]
    assert "4 populations, 1200 neurons on 8 cores" in lines[-1]


def test_script_without_run_is_mapped_at_end_or_exit(tmp_path):
    body = (
        "import spinstream.pyNN as sim\n"
        "sim.setup(timestep=0.1)\n"
        "sim.Population(5, sim.IF_curr_exp(), label='only')\n"
    )
    ended = _write(tmp_path / "ended.py", body + "sim.end()\nprint('after end')\n")
    out = _report(tmp_path, "--json", str(ended))
    assert out.returncode == 0, out.stderr[-2000:]
    data = json.loads(out.stdout)
    assert data["stopped_at"] == "end"
    assert "after end" not in out.stderr
    assert [p["label"] for p in data["populations"]] == ["only"]
    left = _write(tmp_path / "left.py", body)
    out = _report(tmp_path, "--json", str(left))
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout)["stopped_at"] == "exit"


@pytest.mark.parametrize(
    ("body", "expect"),
    [
        (None, "does not exist"),
        (
            "raise ValueError('tau_m must be positive')\n",
            "raised ValueError before its network was mapped: tau_m must be positive",
        ),
        (
            "import spinstream.pyNN as sim\nsim.setup()\nsim.run(10.0)\n",
            "called run() without building a network (no populations)",
        ),
        ("print('hello')\n", "finished without building a network"),
        ("import sys\nsys.exit(3)\n", "exited with status 3"),
        (
            "import spinstream.pyNN as sim\nsim.setup(n_boards=1)\n"
            "p = sim.Population(5, sim.IF_curr_exp())\np.add_placement_constraint(50, 50)\n"
            "sim.run(1.0)\n",
            "cannot be mapped",
        ),
    ],
)
def test_bad_scripts_exit_2_naming_the_script(tmp_path, body, expect):
    script = tmp_path / "bad.py"
    if body is not None:
        script.write_text(body)
    out = _report(tmp_path, str(script))
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert out.stdout == ""
    assert f"spinstream report: script {str(script)!r}" in out.stderr or (
        f"script {str(script)!r}" in out.stderr
    )
    assert expect in out.stderr
    assert "Traceback" not in out.stderr.split("\n")[0]


def test_a_raising_script_shows_its_own_traceback(tmp_path):
    script = _write(tmp_path / "bad.py", "def build():\n    raise KeyError('exc')\n\nbuild()\n")
    out = _report(tmp_path, str(script))
    assert out.returncode == 2
    assert 'bad.py", line 4' in out.stderr
    assert 'bad.py", line 2, in build' in out.stderr
    assert "runpy" not in out.stderr


def test_capture_maps_the_scripts_network_not_one_left_open_before(tmp_path):
    """A simulation an earlier caller left open (no end()) is ended by the script's setup();
    the capture mapped that earlier network then ("stopped at end") instead of the script's."""
    import spinstream.pyNN as sim

    sim.setup()
    sim.Population(7, sim.IF_curr_exp(), label="left_open")  # never run, never ended
    captured = _capture.capture(str(_three_cells(tmp_path)), [])
    assert captured.stopped_at == "run"
    assert [(p.label, p.size) for p in captured.spec.populations] == [("mine", 3)]


def _three_cells(tmp_path: Path) -> Path:
    """A script that builds one population of 3 cells, 'mine', and runs it."""
    return _write(
        tmp_path / "good.py",
        "import spinstream.pyNN as sim\nsim.setup(n_boards=1)\n"
        "sim.Population(3, sim.IF_curr_exp(), label='mine')\nsim.run(1.0)\n",
    )


def test_capture_restores_the_runtime_class(tmp_path):
    before = {n: Runtime.__dict__[n] for n in ("__init__", "run_until_step", "close")}
    script = _write(tmp_path / "bad.py", "raise RuntimeError('boom')\n")
    with pytest.raises(_capture.ScriptError, match="boom"):
        _capture.capture(str(script), [])
    good = _three_cells(tmp_path)
    captured = _capture.capture(str(good), [])
    assert captured.stopped_at == "run"
    assert len(captured.plan.cores) == 1
    assert {n: Runtime.__dict__[n] for n in before} == before
    assert sys.argv[0] != str(good)


def test_async_session_script_is_stopped_at_its_first_run(tmp_path):
    script = _write(
        tmp_path / "session.py",
        """
        import asyncio
        import sys

        import spinstream

        async def main():
            async with spinstream.Session(timestep=0.1) as sim:
                pop = sim.Population(30, sim.IF_curr_exp(), label="live")
                pop.set_max_atoms_per_core(16)
                sim.Projection(pop, pop, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1))
                try:
                    await sim.run(5.0)
                finally:
                    print("finally ran")
                print("after run")

        asyncio.run(main())
        sys.exit(0)
        """,
    )
    out = _report(tmp_path, "--json", str(script))
    assert out.returncode == 0, out.stderr[-2000:]
    assert "finally ran" in out.stderr
    assert "after run" not in out.stderr
    data = json.loads(out.stdout)
    assert data["stopped_at"] == "run"
    (live,) = data["populations"]
    assert [(c["lo"], c["hi"]) for c in live["cores"]] == [(0, 16), (16, 30)]
    # all-to-all onto itself: each core receives from all 30 neurons
    assert [c["synapses"] for c in live["cores"]] == [30 * 16, 30 * 14]
    assert live["reaches"] == 2


def test_exit_0_after_building_is_mapped(tmp_path):
    script = _write(
        tmp_path / "quits.py",
        "import sys\nimport spinstream.pyNN as sim\nsim.setup()\n"
        "sim.Population(7, sim.IF_curr_exp(), label='seven')\nsys.exit(0)\n",
    )
    out = _report(tmp_path, "--json", str(script))
    assert out.returncode == 0, out.stderr[-2000:]
    data = json.loads(out.stdout)
    assert data["stopped_at"] == "exit"
    assert data["populations"][0]["cores"][0]["hi"] == 7


def _sample(doc: Path) -> tuple[list[str], list[str]]:
    """The documented ``$ spinstream report ...`` command of ``doc`` and its output lines."""
    text = doc.read_text()
    start = text.index("```text\n$ spinstream report ")
    body = text[start + len("```text\n") : text.index("```", start + 8)].splitlines()
    return body[0].split()[3:], body[1:]


def test_documented_sample_output_is_what_the_command_prints(tmp_path):
    guide_args, guide = _sample(ROOT / "docs" / "GUIDE.md")
    readme_args, readme = _sample(ROOT / "README.md")
    assert guide_args == readme_args
    out = _report(ROOT, *guide_args)
    assert out.returncode == 0, out.stderr[-2000:]
    printed = out.stdout.splitlines()
    assert guide == printed
    # the README shortens it with "...": every other line is printed, in order
    shown = [line for line in readme if line != "..."]
    it = iter(printed)
    assert all(line in it for line in shown), shown


def test_a_chip_over_the_router_limit_is_flagged():
    from spinstream.cli._mapsummary import summarise
    from spinstream.cli._report import format_report
    from spinstream.model import CoreSlice, MappingPlan, NetworkSpec, PopulationSpec, RoutingEntry

    spec = NetworkSpec(dt=0.1, seed=1, populations=[PopulationSpec(0, "p", 4, "IF_curr_exp")])
    full = [RoutingEntry(k << 8, 0xFFFFFF00, (), (1,)) for k in range(1025)]
    plan = MappingPlan(
        cores=[CoreSlice(0, 0, 4, 0, 0, 1, 0, 0xFFFFFFFC)],
        pop_cores={0: [0]},
        routes={0: (0,)},
        tables={(0, 0): full[:1024], (1, 0): full, (2, 0): []},
    )
    data = summarise(spec, plan, script="s.py")
    assert data["routing"]["chips"] == [
        {"x": 0, "y": 0, "entries": 1024},
        {"x": 1, "y": 0, "entries": 1025},
    ]
    assert data["routing"]["over_limit"] == [{"x": 1, "y": 0, "entries": 1025}]
    assert data["routing"]["max_entries"] == 1025
    text = format_report(data)
    assert "(0, 0) 1024   (1, 0) 1025 OVER" in text
    assert text.splitlines()[-1].endswith(
        "busiest router (1, 0) 1025/1024 entries, 1 chip(s) OVER the 1024-entry limit"
    )


# One projection whose weights are drawn per synapse (a 6-byte half block at 32 bits), on a
# board asked for 16-bit weights (4-byte words) or not.
DRAWN_WEIGHTS = """
import sys
import spinstream.pyNN as sim

sim.setup(timestep=0.1, weight_bits=int(sys.argv[1]))
a = sim.Population(100, sim.IF_curr_exp())
b = sim.Population(50, sim.IF_curr_exp())
w = sim.RandomDistribution("uniform", (0.1, 0.5), rng=sim.NumpyRNG(seed=3))
sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(weight=w, delay=1.0))
sim.run(1.0)
"""


def test_the_report_counts_the_synapses_as_the_scripts_board_stores_them(tmp_path):
    script = _write(tmp_path / "drawn.py", DRAWN_WEIGHTS)
    sizes = {}
    for bits in (32, 16):
        out = _report(tmp_path, "--json", str(script), str(bits))
        assert out.returncode == 0, out.stderr[-2000:]
        data = json.loads(out.stdout)
        (core,) = data["populations"][1]["cores"]
        assert core["synapses"] == 100 * 50
        sizes[bits] = core["synapse_bytes"]
    # 100 rows of one header and 50 synapses: float32 weights and 16-bit words (6 bytes,
    # 50 + 25 words), or 4-byte words with 16-bit weights (50 words) and the block's scale
    assert sizes[32] == 4 * 100 * (1 + 50 + 25)
    assert sizes[16] == 4 * 100 * (1 + 50) + 12


PLASTIC_16 = """
import spinstream.pyNN as sim

sim.setup(timestep=0.1, weight_bits=16)
a = sim.Population(20, sim.SpikeSourcePoisson(rate=50.0))
b = sim.Population(20, sim.IF_curr_exp())
stdp = sim.STDPMechanism(
    timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0),
    weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=1.0),
    weight=0.5,
)
sim.Projection(a, b, sim.AllToAllConnector(), stdp, label="learner")
sim.run(10.0)
"""


def test_a_plastic_network_at_16_bits_is_reported_as_an_error_not_a_traceback(tmp_path):
    script = _write(tmp_path / "plastic16.py", PLASTIC_16)
    out = _report(tmp_path, str(script))
    assert out.returncode == 2, (out.stdout, out.stderr[-2000:])
    assert out.stdout == ""
    assert "Traceback" not in out.stderr
    assert "spinstream report:" in out.stderr
    assert "weight_bits=16" in out.stderr
    assert "'learner'" in out.stderr
