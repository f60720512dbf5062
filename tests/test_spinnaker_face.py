"""sPyNNaker scripts on spinstream: ``import pyNN.spiNNaker as sim`` from a fresh interpreter.

The import path is the feature, so every script here runs as ``python script.py`` in a new
process that has not imported spinstream: either with the repository's ``.pth`` hook added
as a site directory (as ``pip install .`` adds it to site-packages), or, in CI where the
package is installed, with nothing added at all.
"""

from __future__ import annotations

import importlib.machinery
import json
import os
import pathlib
import site
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tests.engine import require_engine

require_engine()

ROOT = pathlib.Path(__file__).resolve().parents[1]
PTH = ROOT / "spinstream-pynn-spinnaker.pth"
#: Whether the real sPyNNaker is installed in this environment (CI installs it).
#: (asked of the path finder: spinstream's own finder answers for the name when it is not)
REAL_SPYNNAKER = importlib.machinery.PathFinder.find_spec("spynnaker") is not None


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    env.pop("SPINSTREAM_PYNN_SPINNAKER", None)
    env.update(extra)
    return env


def run_script(
    tmp_path: pathlib.Path,
    body: str,
    *,
    hook: str = "sitedir",
    env: dict[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``body`` as ``python script.py`` (cwd ``tmp_path``); the last stdout line is JSON.

    ``hook``: ``"sitedir"`` processes the repository's .pth file first (as Python does for
    site-packages at start-up), ``"installed"`` relies on the installed hook, ``"none"``
    runs without any.
    """
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(body))
    if hook == "sitedir":
        sitedir = tmp_path / "site"
        sitedir.mkdir(exist_ok=True)
        (sitedir / PTH.name).write_text(PTH.read_text())
        cmd = [
            sys.executable,
            "-c",
            "import site, sys, runpy; site.addsitedir(sys.argv[1]); "
            "sys.argv = sys.argv[2:]; runpy.run_path(sys.argv[0], run_name='__main__')",
            str(sitedir),
            str(script),
        ]
    else:
        cmd = [sys.executable, str(script)]
    out = subprocess.run(
        cmd,
        cwd=tmp_path,
        env=env if env is not None else _env(),
        capture_output=True,
        text=True,
        timeout=240,
    )
    if check and out.returncode != 0:
        raise AssertionError(f"script failed ({out.returncode}):\n{out.stderr[-4000:]}")
    return out


def result(out: subprocess.CompletedProcess[str]) -> dict:  # type: ignore[type-arg]
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


NAMES = """
    import importlib, json, sys
    assert "spinstream" not in sys.modules  # nothing imported spinstream before the script
    import pyNN.spiNNaker as sim
    import spinstream.spinnaker as face
    names = ["spynnaker.pyNN", "spynnaker8", "spynnaker.pyNN.utilities.neo_convertor",
             "spynnaker8.utilities.neo_convertor"]
    same = {}
    for n in names:
        m = importlib.import_module(n)
        tail = n.split("spynnaker8", 1)[-1].split("spynnaker.pyNN", 1)[-1]
        target = "spinstream.spinnaker" + tail
        same[n] = m is importlib.import_module(target)
    import pyNN.spiNNaker.utilities.neo_convertor as nc
    same["pyNN.spiNNaker.utilities.neo_convertor"] = (
        nc is importlib.import_module("spinstream.spinnaker.utilities.neo_convertor"))
    try:
        import spynnaker8.no_such_module
    except ImportError as e:
        missing = str(e)
    print(json.dumps({"face": sim is face, "same": same, "name": sim.name(), "missing": missing}))
"""


def test_pynn_spinnaker_and_old_names_resolve_to_spinstream(tmp_path):
    res = result(run_script(tmp_path, NAMES))
    assert res["face"] is True
    assert res["name"] == "spinstream"
    # spynnaker8 is always ours; spynnaker.pyNN only while sPyNNaker is not installed
    assert res["same"]["spynnaker8"] is True
    assert res["same"]["spynnaker8.utilities.neo_convertor"] is True
    assert res["same"]["pyNN.spiNNaker.utilities.neo_convertor"] is True
    assert res["same"]["spynnaker.pyNN"] is (not REAL_SPYNNAKER)
    assert res["same"]["spynnaker.pyNN.utilities.neo_convertor"] is (not REAL_SPYNNAKER)
    # a sPyNNaker module that spinstream does not have: both names in the message
    assert "'spynnaker8.no_such_module'" in res["missing"]
    assert "'spinstream.spinnaker.no_such_module'" in res["missing"]


def test_without_the_hook_pynn_spinnaker_is_pynns_own_file(tmp_path):
    # What the hook changes: PyNN's pyNN/spiNNaker.py needs sPyNNaker.
    out = run_script(tmp_path, "import pyNN.spiNNaker\n", hook="none", check=False)
    if REAL_SPYNNAKER or _hook_installed():
        pytest.skip("a hook or sPyNNaker is installed here: the bare name cannot fail")
    assert out.returncode != 0
    assert "No module named 'spynnaker'" in out.stderr


def _hook_installed() -> bool:
    dirs = [*site.getsitepackages(), site.getusersitepackages()]
    return any((pathlib.Path(d) / PTH.name).exists() for d in dirs)


def test_installed_hook_runs_a_plain_script(tmp_path):
    """``pip install .`` puts the hook in site-packages: ``python script.py`` just works."""
    if not _hook_installed():
        if os.environ.get("CI") == "true":
            raise AssertionError(f"{PTH.name} is not in site-packages: the install lost it")
        pytest.skip("spinstream is not installed in this environment (PYTHONPATH only)")
    res = result(run_script(tmp_path, NAMES, hook="installed"))
    assert res["face"] is True
    assert res["same"]["spynnaker8"] is True


def test_both_installed_spinstream_serves_pyNN_spiNNaker_and_says_so(tmp_path):
    # A stand-in for an installed sPyNNaker, ahead of any real one on sys.path.
    fake = tmp_path / "fake"
    (fake / "spynnaker" / "pyNN").mkdir(parents=True)
    (fake / "spynnaker" / "__init__.py").write_text("")
    (fake / "spynnaker" / "pyNN" / "__init__.py").write_text("MARK = 'sPyNNaker'\n")
    env = _env(PYTHONPATH=f"{fake}{os.pathsep}{ROOT}")
    body = """
        import json, importlib
        import pyNN.spiNNaker as sim
        import pyNN.spiNNaker
        import spynnaker.pyNN as real
        print(json.dumps({"mod": getattr(sim, "__name__", ""), "real": real.MARK,
                          "mark": getattr(sim, "MARK", None)}))
    """
    out = run_script(tmp_path, body, env=env)
    res = result(out)
    assert res == {"mod": "spinstream.spinnaker", "real": "sPyNNaker", "mark": None}
    assert out.stderr.count("running on spinstream (sPyNNaker is installed too") == 1
    # The variable hands the name back to sPyNNaker: PyNN's own file imports it.
    env["SPINSTREAM_PYNN_SPINNAKER"] = "spynnaker"
    res = result(run_script(tmp_path, body, env=env))
    assert res["mark"] == "sPyNNaker"
    assert res["mod"] == "pyNN.spiNNaker"
    env["SPINSTREAM_PYNN_SPINNAKER"] = "spinstream"
    out = run_script(tmp_path, body, env=env)
    assert result(out)["mod"] == "spinstream.spinnaker"
    assert "running on spinstream" not in out.stderr
    env["SPINSTREAM_PYNN_SPINNAKER"] = "nest"
    out = run_script(tmp_path, body, env=env, check=False)
    assert out.returncode != 0
    assert "SPINSTREAM_PYNN_SPINNAKER='nest'" in out.stderr


# -- results: the same network written both ways ---------------------------------------

SPYNNAKER_STYLE = """
    import json
    import pyNN.spiNNaker as p
    p.setup(timestep=1.0, min_delay=1.0, seed=7)
    p.set_number_of_neurons_per_core(p.IF_curr_exp, 8)
    p.set_number_of_neurons_per_core(p.SpikeSourcePoisson, 16.0)
    src = p.Population(20.0, p.SpikeSourcePoisson, {"rate": 80.0}, label="src", seed=3,
                       max_rate=100.0)
    exc = p.Population(30, p.IF_curr_exp, label="exc",
                       additional_parameters={"seed": 4, "spikes_per_second": 50})
    p.Projection(src, exc, p.FixedProbabilityConnector(0.3, rng=p.NumpyRNG(seed=5)),
                 p.StaticSynapse(weight=1.5, delay=2.0))
    p.Projection(exc, exc, p.FixedProbabilityConnector(0.1, rng=p.NumpyRNG(seed=6)),
                 p.StaticSynapse(weight=0.5, delay=1.0), receptor_type="inhibitory")
    exc.record(["spikes", "gsyn_exc"])
    p.run(200)
    d = exc.get_data()
    sp = [[float(t) for t in st] for st in d.segments[0].spiketrains]
    g = d.segments[0].filter(name="gsyn_exc")[0]
    plan = p.state.runtime.plan
    cores = {pop.label: len(plan.pop_cores[pop._spec_id]) for pop in (src, exc)}
    print(json.dumps({"spikes": sp, "gsyn": g.magnitude[::7, ::3].tolist(),
                      "units": str(g.units.dimensionality), "cores": cores}))
    p.end()
"""

PYNN_STYLE = """
    import json
    import spinstream.pyNN as p
    p.setup(timestep=1.0, min_delay=1.0, seed=7)
    src = p.Population(20, p.SpikeSourcePoisson(rate=80.0), label="src",
                       additional_parameters={"seed": 3, "neurons_per_core": 16})
    exc = p.Population(30, p.IF_curr_exp(), label="exc",
                       additional_parameters={"seed": 4, "neurons_per_core": 8})
    p.Projection(src, exc, p.FixedProbabilityConnector(0.3, rng=p.NumpyRNG(seed=5)),
                 p.StaticSynapse(weight=1.5, delay=2.0))
    p.Projection(exc, exc, p.FixedProbabilityConnector(0.1, rng=p.NumpyRNG(seed=6)),
                 p.StaticSynapse(weight=0.5, delay=1.0), receptor_type="inhibitory")
    exc.record(["spikes", "isyn_exc"])
    p.run(200)
    d = exc.get_data()
    sp = [[float(t) for t in st] for st in d.segments[0].spiketrains]
    g = d.segments[0].filter(name="isyn_exc")[0]
    print(json.dumps({"spikes": sp, "gsyn": g.magnitude[::7, ::3].tolist(),
                      "units": str(g.units.dimensionality)}))
    p.end()
"""


def test_spynnaker_script_equals_the_same_network_on_spinstream_pynn(tmp_path):
    a = result(run_script(tmp_path, SPYNNAKER_STYLE))
    b = result(run_script(tmp_path, PYNN_STYLE))
    assert sum(map(len, a["spikes"])) > 20  # the network is active
    assert a["spikes"] == b["spikes"]
    # gsyn_exc on a current-based cell is its excitatory synaptic current, in nA
    assert a["gsyn"] == b["gsyn"]
    assert a["units"] == b["units"] == "nA"
    assert max(map(max, a["gsyn"])) > 0
    # set_number_of_neurons_per_core steered the mapping: ceil(20/16), ceil(30/8) cores
    assert a["cores"] == {"src": 2, "exc": 4}


def test_population_seed_makes_its_spikes_independent_of_other_populations(tmp_path):
    body = """
        import json, sys
        import pyNN.spiNNaker as p
        out = []
        for extra, seed in ((0, 3), (1, 3), (0, 4)):
            p.setup(timestep=1.0, seed=11)
            if extra:  # another random population first shifts the network's streams
                p.Population(7, p.SpikeSourcePoisson(rate=30.0), label="other")
            s = p.Population(12, p.SpikeSourcePoisson(rate=60.0), label="s", seed=seed)
            s.record("spikes")
            p.run(100)
            st = s.get_data().segments[0].spiketrains
            out.append([[float(t) for t in x] for x in st])
            p.end()
        print(json.dumps(out))
    """
    same_seed, other_pop, other_seed = result(run_script(tmp_path, body))
    assert sum(map(len, same_seed)) > 30
    assert same_seed == other_pop
    assert same_seed != other_seed


# -- control calls, arguments and bad input ------------------------------------------------

CONTROL = """
    import json, math
    import pyNN.spiNNaker as sim
    from spinn_machine import Machine
    res = {}
    def err(f, *a, **k):
        try:
            f(*a, **k)
        except Exception as e:
            return type(e).__name__ + ": " + str(e)
        return None

    sim.setup()  # timestep None: PyNN's 0.1 ms
    res["default_dt"] = sim.get_time_step()
    sim.setup(timestep="auto")
    res["auto_dt"] = sim.get_time_step()
    res["off_grid"] = err(sim.setup, timestep=1.0, spike_precision="off_grid")
    res["unknown_setup"] = err(sim.setup, timestep=1.0, frobnicate=3)
    res["db"] = err(sim.setup, timestep=1.0, database_socket_addresses=[("localhost", 1)])
    res["chips"] = err(sim.setup, timestep=1.0, n_chips_required=0)
    sim.setup(timestep=1.0, n_boards_required=3, time_scale_factor=None, n_chips_required=4,
              spike_precision="on_grid")
    m = sim.get_machine()
    res["machine"] = [isinstance(m, Machine), m.n_chips]
    # per-type settings: checked
    res["npc_zero"] = err(sim.set_number_of_neurons_per_core, sim.IF_curr_exp, 0)
    res["npc_neg"] = err(sim.set_number_of_neurons_per_core, sim.IF_curr_exp, -4)
    res["npc_frac"] = err(sim.set_number_of_neurons_per_core, sim.IF_curr_exp, 2.5)
    res["npc_type"] = err(sim.set_number_of_neurons_per_core, "IF_curr_exp", 10)
    res["npc_obj"] = err(sim.set_number_of_neurons_per_core, 3, 10)
    res["syn_cores"] = err(sim.set_number_of_synapse_cores, sim.IF_curr_exp, -1)
    res["delay_ext"] = err(sim.set_allow_delay_extensions, sim.IF_curr_exp, "yes")
    sim.set_number_of_synapse_cores(sim.IF_curr_exp, 1)
    sim.set_allow_delay_extensions(sim.IF_curr_exp, False)
    sim.set_number_of_neurons_per_core(sim.IF_curr_exp, (5,))
    a = sim.Population(12, sim.IF_curr_exp, label="a")
    b = sim.Population(12, sim.IF_curr_exp, label="b", neurons_per_core=4)
    c = sim.Population(12, sim.IF_curr_exp(), label="c")
    c.set_max_atoms_per_core((3,))
    sim.set_number_of_neurons_per_core(sim.IF_curr_exp, None)
    d = sim.Population(12, sim.IF_curr_exp, label="d")
    # Population arguments
    res["float_size"] = err(sim.Population, 2.5, sim.IF_curr_exp, label="half")
    res["unknown_arg"] = err(sim.Population, 3, sim.IF_curr_exp, label="u", colour="red")
    res["poisson_arg"] = err(sim.Population, 3, sim.SpikeSourcePoisson, label="q",
                             n_synapse_cores=1)
    res["steps"] = err(sim.Population, 3, sim.IF_curr_exp, label="s", n_steps_per_timestep=2)
    res["splitter"] = err(sim.Population, 3, sim.IF_curr_exp, label="sp", splitter=object())
    res["seed_bad"] = err(sim.Population, 3, sim.IF_curr_exp, label="sd", seed=-1)
    res["npc_bad"] = err(sim.Population, 3, sim.IF_curr_exp, label="nb", neurons_per_core=0)
    res["hw_bad"] = err(sim.Population, 3, sim.IF_curr_exp, label="hw", n_synapse_cores=-2)
    res["not_a_cell"] = err(sim.Population, 3, dict, label="nc")
    hw = sim.Population(3, sim.IF_curr_exp, label="hw_ok", n_synapse_cores=2,
                        allow_delay_extensions=True, spikes_per_second=30.0,
                        ring_buffer_sigma=5, incoming_spike_buffer_size=256,
                        drop_late_spikes=False, max_expected_summed_weight=[1.0, 1.0],
                        n_colour_bits=3, n_steps_per_timestep=1, splitter=None)
    res["params_default"] = float(hw.get("tau_m"))
    src = sim.Population(4, sim.SpikeSourceArray, {"spike_times": [1.0, 5.0]}, label="arr")
    i3 = a[3]
    res["id"] = [sim.Population.__name__, i3.id, type(i3.id).__name__, i3.id == int(i3)]
    conn = sim.OneToOneConnector()
    sim.Projection(src, a, sim.AllToAllConnector(), download_synapses=True)
    res["partition"] = err(sim.Projection, src, a, conn, partition_id="x", label="pj")
    res["download"] = err(sim.Projection, src, a, conn, download_synapses="yes", label="pd")
    res["source"] = err(sim.Projection, src, a, conn, source="soma.spike", label="ps")
    made = sim.create(sim.IF_curr_exp, {"tau_m": 12.0}, n=2)
    res["create"] = [type(made).__name__, type(made).__module__, float(made.get("tau_m"))]
    res["spinnaker_projection"] = sim.SpiNNakerProjection is sim.Projection
    res["not_here"] = err(getattr, sim, "KernelConnector")
    res["missing"] = err(getattr, sim, "no_such_thing")
    sim.run(5)
    plan = sim.state.runtime.plan
    res["cores"] = [len(plan.pop_cores[p._spec_id]) for p in (a, b, c, d)]
    res["after_run"] = err(a.set_max_atoms_per_core, 2)
    a[1:3].set_state(v=-60.0)  # sPyNNaker's name for setting the current state
    res["current"] = a.current_values["v"][:4].tolist()
    print(json.dumps(res))
    sim.end()
"""


def test_control_calls_and_population_arguments(tmp_path):
    res = result(run_script(tmp_path, CONTROL))
    assert res["default_dt"] == pytest.approx(0.1)
    assert res["auto_dt"] == 1.0
    assert res["off_grid"].startswith("ValueError")
    assert "off_grid" in res["off_grid"]
    assert res["unknown_setup"].startswith("TypeError")
    assert "frobnicate=3" in res["unknown_setup"]
    assert "database_socket_addresses" in res["db"]
    assert "n_chips_required" in res["chips"]
    assert "0" in res["chips"]
    assert res["machine"] == [True, 144]  # three boards (a triad)
    assert "got 0" in res["npc_zero"]
    assert "got -4" in res["npc_neg"]
    assert "got 2.5" in res["npc_frac"]
    assert res["npc_type"].startswith("TypeError")
    assert "'IF_curr_exp'" in res["npc_type"]
    assert "got 3" in res["npc_obj"]
    assert "got -1" in res["syn_cores"]
    assert "got 'yes'" in res["delay_ext"]
    # per type (5), per population (4), set_max_atoms_per_core (3), back to default (256)
    assert res["cores"] == [3, 3, 4, 1]
    assert "'half'" in res["float_size"]
    assert "2.5" in res["float_size"]
    assert res["unknown_arg"].startswith("TypeError")
    assert "'u'" in res["unknown_arg"]
    assert "'colour'" in res["unknown_arg"]
    assert "'q'" in res["poisson_arg"]
    assert "'n_synapse_cores'" in res["poisson_arg"]
    assert "n_steps_per_timestep=2" in res["steps"]
    assert "splitter" in res["splitter"]
    assert "'sp'" in res["splitter"]
    assert "seed" in res["seed_bad"]
    assert "-1" in res["seed_bad"]
    assert "neurons_per_core" in res["npc_bad"]
    assert "got 0" in res["npc_bad"]
    assert "n_synapse_cores" in res["hw_bad"]
    assert "-2" in res["hw_bad"]
    assert res["not_a_cell"].startswith("TypeError")
    assert "'nc'" in res["not_a_cell"]
    assert res["params_default"] == 20.0  # a cell class without parameters: its defaults
    assert res["id"][1:] == [3, "int", True]
    assert "'pj'" in res["partition"]
    assert "partition_id='x'" in res["partition"]
    assert "got 'yes'" in res["download"]
    assert "'ps'" in res["source"]
    assert "source='soma.spike'" in res["source"]
    assert res["spinnaker_projection"] is True
    assert res["create"] == ["Population", "spinstream.spinnaker._population", 12.0]
    assert res["not_here"].startswith("MissingFeatureError")
    assert "KernelConnector (sPyNNaker's kernel connector" in res["not_here"]
    assert res["missing"].startswith("AttributeError")
    assert "after the network ran" in res["after_run"]
    assert res["current"] == [-65.0, -60.0, -60.0, -65.0]


# -- recording conventions and neo_convertor --------------------------------------------

RECORDING = """
    import json
    import numpy as np
    import pyNN.spiNNaker as sim
    from spynnaker8.utilities import neo_convertor as nc
    res = {}
    sim.setup(timestep=1.0)
    stim = sim.Population(2, sim.SpikeSourceArray(spike_times=[[2.0, 9.0], [4.0]]), label="in")
    cur = sim.Population(3, sim.IF_curr_exp(tau_syn_E=2.0), label="cur")
    cur.initialize(v=[-65.0, -60.0, -55.0])  # tells the neurons apart in converted rows
    cond = sim.Population(2, sim.IF_cond_exp(), label="cond")
    delta = sim.Population(2, sim.IF_curr_delta(), label="delta")
    sim.Projection(stim, cur, sim.AllToAllConnector(), sim.StaticSynapse(weight=5.0, delay=1.0))
    sim.Projection(stim, cur, sim.AllToAllConnector(), sim.StaticSynapse(weight=1.0, delay=1.0),
                   receptor_type="inhibitory")
    sim.Projection(stim, cond, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1, delay=1.0))
    sim.Projection(stim, delta, sim.AllToAllConnector(), sim.StaticSynapse(weight=2.0, delay=1.0))
    sim.Projection(stim, delta, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.5, delay=3.0),
                   receptor_type="inhibitory")
    delta.record(["v", "gsyn_exc", "gsyn_inh"])
    exp_all = sim.Population(1, sim.IF_curr_exp(), label="exp_all")
    exp_all.record("all")  # sPyNNaker's "all": spikes, v, gsyn_exc, gsyn_inh
    # PyNN's Izhikevich (spinstream.pyNN's; sim.Izhikevich is sPyNNaker's, with currents)
    import spinstream.pyNN
    izh = sim.Population(1, spinstream.pyNN.Izhikevich(), label="izh")
    try:
        izh.record("gsyn_exc")
    except Exception as e:
        res["izh"] = type(e).__name__ + ": " + str(e)
    cur.record(["spikes", "v", "gsyn_exc", "gsyn_inh"], sampling_interval=2.0)
    cur[1:3].record("isyn_exc")
    cond.record("gsyn_exc")
    stim.record("spikes")
    sim.run(20)
    d = cur.get_data()
    seg = d.segments[0]
    ge = seg.filter(name="gsyn_exc")[0]
    gi = seg.filter(name="gsyn_inh")[0]
    res["names"] = sorted(s.name for s in seg.analogsignals)
    res["ge_units"] = str(ge.units.dimensionality)
    res["ge_period"] = float(ge.sampling_period)
    res["ge_times"] = ge.times.magnitude.tolist()
    res["ge"] = ge.magnitude[:, 0].tolist()
    res["gi"] = gi.magnitude[:, 0].tolist()
    iso = cur.get_data("isyn_exc").segments[0].filter(name="isyn_exc")[0]
    # one variable under two names: the neurons of both record() calls, the same data
    res["isyn_equal"] = np.array_equal(iso.magnitude, ge.magnitude)
    csig = cond.get_data("gsyn_exc").segments[0].analogsignals[0]
    res["cond_units"] = str(csig.units.dimensionality)
    # neo_convertor, against the Block it converts
    sd = stim.get_data("spikes")
    res["spikes"] = nc.convert_spikes(sd).tolist()
    res["count"] = [nc.count_spikes(sd), nc.count_spiketrains(sd.segments[0].spiketrains)]
    v = nc.convert_data(d, "v")
    vsig = seg.filter(name="v")[0]
    res["v_shape"] = list(v.shape)
    res["v_rows"] = v[[0, 1, 11, 12], :].tolist()
    res["v_expect"] = [[0, t, vsig.magnitude[k, 0]] for k, t in ((0, 0.0), (1, 2.0))] + [
        [1, t, vsig.magnitude[k, 1]] for k, t in ((0, 0.0), (1, 2.0))]
    g = nc.convert_gsyn(d, d)
    res["gsyn_shape"] = list(g.shape)
    res["gsyn_row"] = g[3].tolist()
    res["gsyn_row_expect"] = [0, 6.0, ge.magnitude[3, 0], gi.magnitude[3, 0]]
    res["lists"] = [len(nc.convert_v_list(d)), len(nc.convert_gsyn_exc_list(d)),
                    len(nc.convert_gsyn_inh_list(d)), len(nc.convert_data_list(d, "spikes"))]
    res["sig"] = nc.convert_analog_signal(gi).shape[1]
    try:
        nc.convert_data(d, "all")
    except ValueError as e:
        res["all"] = str(e)
    try:
        nc.convert_spikes(d, run=3)
    except ValueError as e:
        res["run"] = str(e)
    res["empty"] = list(nc.convert_spiketrains([]).shape)
    counts = stim.get_spike_counts()
    res["counts"] = [[int(k) - int(stim.first_id), v] for k, v in sorted(counts.items())]
    res["sgd_spikes"] = stim.spinnaker_get_data("spikes").tolist()
    sim.reset()
    sim.run(10)
    d2 = cur.get_data(["spikes", "v"])
    res["runs"] = [len(d2.segments), [x.shape[0] for x in nc.convert_v_list(d2)]]
    res["get_data_gsyn"] = cur.spinnaker_get_data("gsyn_exc").shape[1]
    dd = delta.get_data().segments[0]
    for name in ("v", "gsyn_exc", "gsyn_inh"):
        sig = dd.filter(name=name)[0]
        res["delta_" + name] = sig.magnitude[:, 0].tolist()
        res["delta_units_" + name] = str(sig.units.dimensionality)
    res["delta_names"] = sorted(s.name for s in dd.analogsignals)
    res["exp_all"] = sorted(s.name for s in exp_all.get_data().segments[0].analogsignals)
    print(json.dumps(res))
    sim.end()
"""


def test_recording_conventions_and_neo_convertor(tmp_path):
    res = result(run_script(tmp_path, RECORDING))
    assert "Izhikevich" in res["izh"]
    assert "'izh'" in res["izh"]
    assert res["names"] == ["gsyn_exc", "gsyn_inh", "isyn_exc", "v"]
    assert res["ge_units"] == "nA"
    assert res["cond_units"] == "uS"  # conductance cells: their conductance, as PyNN
    assert res["ge_period"] == 2.0
    assert res["ge_times"] == [float(t) for t in range(0, 21, 2)]
    # spikes at 2 and 4 ms (both sources), delay 1 ms: input arrives from step 3 on;
    # exponential decay tau 2 ms between samples: a closed form of the recorded current
    ge = np.asarray(res["ge"])
    assert np.all(ge[:2] == 0)
    assert ge[2] > 0
    expect = ge[2] * np.exp(-2.0 / 2.0) + 5.0 * np.exp(-1.0 / 2.0)
    assert ge[3] == pytest.approx(expect, rel=1e-9)
    # one 1 nA inhibitory input, 1 ms old at t = 4 ms, tau_syn_I 5 ms (the default)
    assert np.asarray(res["gi"])[2] == pytest.approx(np.exp(-1.0 / 5.0), rel=1e-9)
    assert res["isyn_equal"] is True
    assert res["spikes"] == [[0, 2.0], [0, 9.0], [1, 4.0]]
    assert res["count"] == [3, 3]
    assert res["v_shape"] == [3 * 11, 3]
    # rows run neuron by neuron: row 11 is neuron 1's first sample
    assert np.allclose(res["v_rows"], res["v_expect"])
    assert np.asarray(res["v_rows"])[[0, 2], 2].tolist() == [-65.0, -60.0]
    assert res["gsyn_shape"] == [3 * 11, 4]
    assert np.allclose(res["gsyn_row"], res["gsyn_row_expect"])
    assert res["lists"] == [1, 1, 1, 1]
    assert res["sig"] == 3
    assert "'all'" in res["all"]
    assert "run 3" in res["run"]
    assert res["empty"] == [0, 2]
    assert res["counts"] == [[0, 2], [1, 1]]  # keyed by ID, as sPyNNaker's
    assert res["sgd_spikes"] == [[0, 2.0], [0, 9.0], [1, 4.0]]
    assert res["runs"][0] == 2
    assert res["runs"][1] == [3 * 11, 3 * 6]
    assert res["get_data_gsyn"] == 3
    # IF_curr_delta: gsyn_* is the summed weight that arrived in each step (mV): three
    # excitatory arrivals of 2 mV (spikes at 2, 4, 9 ms), one inhibitory of 0.5 mV
    # (neuron 0 gets source 0's spikes 3 ms later) ...
    assert res["delta_units_gsyn_exc"] == "mV"
    assert res["delta_units_gsyn_inh"] == "mV"
    assert res["delta_names"] == ["gsyn_exc", "gsyn_inh", "v"]
    assert res["exp_all"] == ["gsyn_exc", "gsyn_inh", "v"]
    ge, gi, v = (np.asarray(res["delta_" + n]) for n in ("gsyn_exc", "gsyn_inh", "v"))
    assert sorted(ge[ge != 0].tolist()) == [2.0, 2.0, 2.0]
    assert gi[gi != 0].tolist() == [0.5, 0.5]
    assert np.flatnonzero(ge).tolist() == [3, 5, 10]
    assert np.flatnonzero(gi).tolist() == [5, 12]
    # ... and exactly the jump it gave v over the leak (v_rest -65 mV, tau_m 20 ms, 1 ms)
    leak = -65.0 + (v[:-1] + 65.0) * np.exp(-1.0 / 20.0)
    assert np.allclose(v[1:] - leak, ge[1:] - gi[1:], atol=1e-9)


def test_the_face_exports_spynnakers_connectors_and_local_only_synapses(
    tmp_path: pathlib.Path,
) -> None:
    """A sPyNNaker convolution script's names resolve, and wire the same synapses."""
    script = """
import numpy as np
import pyNN.spiNNaker as sim
sim.setup(timestep=1.0)
src = sim.Population(25, sim.SpikeSourceArray(spike_times=[[2.0]] * 25),
                     structure=sim.Grid2D(1.0))
dst = sim.Population(9, sim.IF_curr_exp(), structure=sim.Grid2D(1.0))
k = np.arange(9, dtype=float).reshape(3, 3) - 4.0
proj = sim.Projection(src, dst, sim.ConvolutionConnector(k), sim.Convolution(delay=2.0))
w = proj.get("weight", format="list")
d = proj.get("delay", format="array")
print("n", len(w), "neg", sum(1 for *_, x in w if x < 0), "delay", np.nanmax(d))
print("all_but_me", len(sim.Projection(dst, dst, sim.AllButMeConnector(),
                                       sim.StaticSynapse(weight=1.0)).get("weight", "list")))
sim.end()
print("{}")
"""
    out = run_script(tmp_path, script).stdout
    # 5x5 -> 3x3 "valid" convolution: 9 outputs x 9 kernel taps, minus the zero tap (k=0)
    assert "n 72 neg 36 delay 2.0" in out
    assert "all_but_me 72" in out  # 9 x 8


def test_virtual_key_is_checked_against_the_injectors_size() -> None:
    """sPyNNaker's virtual_key: 32 bits, low bits free for every atom; else a clear error."""
    import spinstream.pyNN as sim
    from spinstream.spinnaker import external_devices as ed

    sim.setup(timestep=1.0)
    try:
        ok = sim.Population(
            16, ed.SpikeInjector(notify=False), additional_parameters={"virtual_key": 0x70000}
        )
        assert ok._spec.virtual_key == 0x70000
        with pytest.raises(ValueError, match=r"'bad'.*virtual_key 0x70008 .* low 5 bits"):
            sim.Population(
                17,
                ed.SpikeInjector(notify=False),
                label="bad",
                additional_parameters={"virtual_key": 0x70008},
            )
        with pytest.raises(ValueError, match=r"virtual_key must be an integer in \[0, 2\*\*32\)"):
            sim.Population(
                4, ed.SpikeInjector(notify=False), additional_parameters={"virtual_key": -1}
            )
        with pytest.raises(TypeError, match="takes no argument 'virtual_key'"):
            sim.Population(4, sim.IF_curr_exp(), additional_parameters={"virtual_key": 0x70000})
    finally:
        sim.end()


def test_negative_inhibitory_conductance_weights_are_magnitudes_as_in_spynnaker(
    tmp_path: pathlib.Path,
) -> None:
    """sPyNNaker takes w = -0.15 onto IF_cond_exp's inhibitory receptor as 0.15; PyNN refuses."""
    script = """
import json
import numpy as np
import pyNN.spiNNaker as sim
import spinstream.pyNN as pynn

def run(weight, module):
    module.setup(timestep=0.1, seed=3)
    src = module.Population(5, module.SpikeSourceArray(spike_times=[[1.0, 4.0]] * 5))
    dst = module.Population(2, module.IF_cond_exp())
    module.Projection(src, dst, module.AllToAllConnector(),
                      module.StaticSynapse(weight=weight), receptor_type="inhibitory")
    dst.record("gsyn_inh")
    module.run(10.0)
    g = np.asarray(dst.get_data().segments[0].filter(name="gsyn_inh")[0]).tolist()
    module.end()
    return g

refused = ""
try:
    run(-0.15, pynn)
except Exception as exc:
    refused = str(exc)
print(json.dumps({"neg": run(-0.15, sim), "pos": run(0.15, sim), "refused": refused}))
"""
    out = json.loads(run_script(tmp_path, script).stdout.splitlines()[-1])
    assert out["neg"] == out["pos"]
    assert max(max(row) for row in out["pos"]) > 0.5  # ten 0.15 uS inputs arrived
    assert "is negative; conductance-based weights must be >= 0" in out["refused"]


def test_extra_models_lists_spynnakers_names() -> None:
    """Every name of sPyNNaker 7's extra_models is there."""
    from spinstream.spinnaker import extra_models

    spynnaker_names = {
        "IFCurDelta", "IFCurrExpCa2Adaptive", "IFCondExpStoc", "Izhikevich_cond",
        "IF_curr_dual_exp", "IF_curr_exp_sEMD", "Izhikevich_cond_dual",
        "IFCurrDeltaCa2Adaptive", "Neuromodulation", "WeightDependenceAdditiveTriplet",
        "PfisterSpikeTriplet", "SpikeNearestPairRule", "RecurrentRule", "Vogels2011Rule",
        "SpikeSourcePoissonVariable", "StocExp", "StocExpStable", "StocSigma",
        "IFCurrDeltaFixedProb", "IFTruncDelta", "AllButMeConnector",
        "OneToOneOffsetConnector", "WeightChangeable", "WeightChanger",
    }  # fmt: skip
    assert set(extra_models.__all__) == spynnaker_names
    for name in sorted(spynnaker_names):
        assert isinstance(getattr(extra_models, name), type)  # a class, not a placeholder
    assert not hasattr(extra_models, "NoSuchModel")


def test_control_calls_take_spynnakers_own_classes(tmp_path: pathlib.Path) -> None:
    """A class imported from sPyNNaker's package names our cell type of the same name."""
    body = """
        import json
        import pyNN.spiNNaker as p
        from spynnaker.pyNN.models.utility_models.spike_injector import SpikeInjector
        p.setup(timestep=1.0)
        p.set_number_of_neurons_per_core(SpikeInjector, (4, 4))
        inj = p.Population(64, p.external_devices.SpikeInjector(), label="inj",
                           structure=p.Grid2D(1.0))
        out = p.Population(8, p.IF_curr_exp(), label="out")
        p.Projection(inj, out, p.AllToAllConnector(), p.StaticSynapse(weight=1.0))
        p.run(1.0)
        plan = p.state.runtime.plan
        print(json.dumps({"cores": len(plan.pop_cores[inj._spec_id])}))
        p.end()
    """
    assert result(run_script(tmp_path, body))["cores"] == 4  # 8 x 8 in squares of 4 x 4
