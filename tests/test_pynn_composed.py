"""PyNN's composed models: ``PointNeuron(AdExp(...), AMPA=CondAlphaPostSynapticResponse(...),
...)`` with any number of receptors, run by the engine's composed model (one block of rows
per receptor, docs/MODELS.md), compared with NEST's ``aeif_cond_alpha_multisynapse`` through
the same PyNN script on ``pyNN.nest``: subthreshold traces to the solvers' accuracy, spikes
to one step.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import spinstream.pyNN as sim
from tests.engine import require_engine
from tests.test_pynn_reference import DT, both, run_here

require_engine()

pytestmark = pytest.mark.reference

COMPOSED = """
sim.setup(timestep=dt, min_delay=dt, spike_precision="on_grid")
if beta:  # rise and decay: tau and 3 tau
    receptors = {name: sim.CondBetaPostSynapticResponse(tau_rise=tau, tau_decay=3 * tau, e_syn=e)
                 for name, (tau, e) in kinds.items()}
else:
    receptors = {name: sim.CondAlphaPostSynapticResponse(tau_syn=tau, e_syn=e)
                 for name, (tau, e) in kinds.items()}
cells = sim.PointNeuron(sim.AdExp(**neuron), **receptors)
quiet = sim.Population(1, cells, label="quiet")
driven = sim.Population(1, cells, label="driven")
driven.inject(sim.DCSource(amplitude=dc_supra, start=5.0, stop=200.0))
for k, name in enumerate(sorted(kinds)):
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0 + 13.0 * k, 60.0 + 7.0 * k]))
    for target in (quiet, driven):
        sim.Projection(src, target, sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=weights[name], delay=1.0), receptor_type=name)
quiet.record("v")
driven.record(["v", "spikes"])
sim.run(t_stop)
v = quiet.get_data().segments[0].filter(name="v")[0]
s = driven.get_data().segments[0].spiketrains[0]
save(t=v.times.rescale("ms"), v=v.rescale("mV")[:, 0], spikes=s.rescale("ms"))
"""

KINDS = {  # receptor -> (tau_syn ms, e_syn mV)
    "AMPA": (1.0, 0.0),
    "NMDA": (20.0, 0.0),
    "GABA_A": (2.0, -70.0),
    "GABA_B": (15.0, -90.0),
}
WEIGHTS = {"AMPA": 0.01, "NMDA": 0.002, "GABA_A": 0.02, "GABA_B": 0.004}  # uS


# dt = 0.01 ms: both converged, spike for spike; dt = 0.1 ms: traces still agree to 1e-6 mV,
# but one-receptor runs then drift by up to two steps after a few spikes (RK4 on the AdEx
# upswing against NEST's adaptive solver; EIF_cond_alpha_isfa_ista drifts by one step too)
@pytest.mark.parametrize(("dt", "n_receptors"), [(0.01, 1), (0.01, 4), (0.1, 4)])
def test_adexp_cond_alpha_point_neuron_matches_nest(dt: float, n_receptors: int) -> None:
    _compare_adexp(dt, n_receptors, beta=False)


@pytest.mark.parametrize(("dt", "n_receptors"), [(0.01, 1), (0.01, 4), (0.1, 4)])
def test_adexp_cond_beta_point_neuron_matches_nest(dt: float, n_receptors: int) -> None:
    _compare_adexp(dt, n_receptors, beta=True)


def _compare_adexp(dt: float, n_receptors: int, beta: bool) -> None:
    kinds = dict(list(KINDS.items())[:n_receptors])
    # dicts cannot cross to the reference process as inputs: they go into the script
    header = (
        f"kinds = {kinds!r}\nweights = {WEIGHTS!r}\nneuron = {{'tau_refrac': 2.0}}\n"
        f"beta = {beta!r}\n"
    )
    ours, nest = both(
        header + COMPOSED,
        dt=dt,
        t_stop=150.0,
        dc_supra=1.0,
    )
    assert_allclose(ours["t"], nest["t"], atol=1e-9)
    assert_allclose(ours["v"], nest["v"], rtol=0, atol=1e-6)  # measured <= 4e-7 mV
    assert np.ptp(ours["v"]) > 4.0  # the receptors moved v
    assert len(nest["spikes"]) > 5, "the driven neuron should fire in NEST"
    assert len(ours["spikes"]) == len(nest["spikes"])
    assert_allclose(ours["spikes"], nest["spikes"], rtol=0, atol=dt + 1e-9)


def test_receptor_conductances_are_recorded_and_follow_the_alpha_shape() -> None:
    out = run_here(
        """
sim.setup(timestep=dt, min_delay=dt)
cell = sim.PointNeuron(sim.AdExp(), AMPA=sim.CondAlphaPostSynapticResponse(tau_syn=3.0),
                       GABA=sim.CondAlphaPostSynapticResponse(tau_syn=7.0, e_syn=-80.0))
p = sim.Population(1, cell)
src = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0]))
sim.Projection(src, p, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.02, delay=1.0),
               receptor_type="GABA")
p.record(["AMPA.gsyn", "GABA.gsyn"])
sim.run(60.0)
seg = p.get_data().segments[0]
save(ampa=seg.filter(name="AMPA.gsyn")[0][:, 0], gaba=seg.filter(name="GABA.gsyn")[0][:, 0])
""",
        dt=DT,
    )
    ampa, gaba = out["ampa"].ravel(), out["gaba"].ravel()
    assert not ampa.any()  # nothing reached AMPA
    t = np.arange(len(gaba)) * DT - 6.0  # the conductance starts at 5 + 1 ms
    expected = np.where(t > 0, 0.02 * t / 7.0 * np.exp(1.0 - t / 7.0), 0.0)
    assert_allclose(gaba, expected, rtol=0, atol=1e-12)
    assert gaba.max() == pytest.approx(0.02, abs=1e-4)  # peaks at the weight


def test_point_neuron_without_an_engine_model_is_refused() -> None:
    from pyNN import errors
    from pyNN.standardmodels import cells

    sim.setup(timestep=DT)
    try:
        with pytest.raises(errors.InvalidModelError, match="no engine model for LIF"):
            sim.Population(  # a mix of receptor kinds has none
                2,
                sim.PointNeuron(
                    cells.LIF(),
                    AMPA=sim.CondExpPostSynapticResponse(),
                    NMDA=sim.CondBetaPostSynapticResponse(),
                ),
                label="lif",
            )
    finally:
        sim.end()


def test_receptor_parameters_are_checked_by_name() -> None:
    from pyNN import errors

    from spinstream.model import ParameterValueError

    sim.setup(timestep=DT)
    try:
        bad = sim.PointNeuron(sim.AdExp(), AMPA=sim.CondAlphaPostSynapticResponse(tau_syn=-1.0))
        with pytest.raises(errors.InvalidParameterValueError, match=r"'AMPA\.tau_syn'.*-1\.0"):
            sim.Population(2, bad, label="bad")
        cells = sim.Population(
            2,
            sim.PointNeuron(
                sim.AdExp(),
                AMPA=sim.CondAlphaPostSynapticResponse(),
                NMDA=sim.CondAlphaPostSynapticResponse(tau_syn=30.0),
            ),
            label="good",
        )
        sim.run(1.0)  # loaded: HostBoard's own check
        runtime = cells._runtime
        with pytest.raises(ParameterValueError, match=r"population 'good'.*'NMDA\.tau_syn'.*0\.0"):
            runtime.set_parameters(cells._spec_id, "NMDA.tau_syn", None, 0.0)
        runtime.set_parameters(cells._spec_id, "NMDA.tau_syn", None, 25.0)
        assert runtime.get_parameters(cells._spec_id, "NMDA.tau_syn", None).tolist() == [
            25.0,
            25.0,
        ]
        sim.run(1.0)
    finally:
        sim.end()


CURRENT = """
sim.setup(timestep=dt, min_delay=dt, spike_precision="on_grid")
cells = sim.PointNeuron(
    sim.LIF(tau_m=10.0, v_rest=-60.0, tau_refrac=2.0),
    **{name: sim.CurrExpPostSynapticResponse(tau_syn=tau) for name, tau in taus.items()},
)
quiet = sim.Population(1, cells, initial_values={"v": -60.0}, label="quiet")
driven = sim.Population(1, cells, initial_values={"v": -60.0}, label="driven")
driven.inject(sim.DCSource(amplitude=2.0, start=5.0, stop=200.0))
for k, name in enumerate(sorted(taus)):
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0 + 13.0 * k, 60.0 + 7.0 * k]))
    for target in (quiet, driven):
        sim.Projection(src, target, sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=weights[name], delay=1.5), receptor_type=name)
quiet.record("v")
driven.record(["v", "spikes"])
sim.run(t_stop)
v = quiet.get_data().segments[0].filter(name="v")[0]
s = driven.get_data().segments[0].spiketrains[0]
save(t=v.times.rescale("ms"), v=v.rescale("mV")[:, 0], spikes=s.rescale("ms"))
"""


def test_lif_curr_exp_point_neuron_with_signed_weights_matches_nest() -> None:
    # PyNN's scenario: AMPA, NMDA and an inhibitory GABAA whose weight is negative
    taus = {"AMPA": 1.0, "NMDA": 20.0, "GABAA": 1.5}
    weights = {"AMPA": 0.5, "NMDA": 0.1, "GABAA": -1.0}  # nA
    ours, nest = both(f"taus = {taus!r}\nweights = {weights!r}\n" + CURRENT, dt=DT, t_stop=150.0)
    assert_allclose(ours["t"], nest["t"], atol=1e-9)
    assert_allclose(ours["v"], nest["v"], rtol=0, atol=1e-9)  # exact propagators, both
    assert ours["v"].min() < -60.5  # the negative weight hyperpolarised
    assert ours["v"].max() > -59.5  # and the positive ones depolarised
    assert len(nest["spikes"]) > 3
    assert len(ours["spikes"]) == len(nest["spikes"])
    assert_allclose(ours["spikes"], nest["spikes"], rtol=0, atol=DT + 1e-9)


COND_TWO = """
sim.setup(timestep=dt, min_delay=dt, spike_precision="on_grid")
vname = "v"
if sim.__name__.startswith("pyNN.nest") and shape in ("beta", "curr"):
    # no PyNN standard type for NEST's two-receptor iaf_cond_beta / aeif_psc_exp: the native
    # models in NEST's units (pF, nS, pA), GABA on the inhibitory port; the synapse scales
    # weights uS -> nS and nA -> pA, NEST normalises a beta conductance to peak at its weight
    full = {**getattr(sim, neuron_kind).default_parameters, **neuron}
    native = dict(C_m=1000.0 * full["cm"], g_L=1000.0 * full["cm"] / full["tau_m"],
                  E_L=full["v_rest"], V_reset=full["v_reset"], V_th=full["v_thresh"],
                  t_ref=full["tau_refrac"], I_e=1000.0 * full["i_offset"])
    if neuron_kind == "AdExp":
        native.update(V_peak=full["v_spike"], Delta_T=full["delta_T"], a=full["a"],
                      b=1000.0 * full["b"], tau_w=full["tau_w"])
    if shape == "beta":
        native.update(E_ex=erevs["AMPA"], E_in=erevs["GABA"], tau_rise_ex=rises["AMPA"],
                      tau_decay_ex=taus["AMPA"], tau_rise_in=rises["GABA"],
                      tau_decay_in=taus["GABA"])
    else:
        native.update(tau_syn_ex=taus["AMPA"], tau_syn_in=taus["GABA"])
    nest_model = {"LIF": "iaf_{}", "AdExp": "aeif_{}"}[neuron_kind].format(
        {"beta": "cond_beta", "curr": "psc_exp"}[shape])
    native_type = sim.native_cell_type(nest_model)
    vname = "V_m"
    ports = {name: "inhibitory" if name == "GABA" else "excitatory" for name in taus}
elif sim.__name__.startswith("pyNN.nest"):
    # NEST has no multisynapse model for these compositions: its two-receptor model (iaf_cond_*
    # or aeif_cond_*) with the same parameters, GABA on the inhibitory port, AMPA (and AMPA2,
    # AMPA's twin) on the excitatory one
    native = {"LIF": "IF_cond_{}", "AdExp": "EIF_cond_{}_isfa_ista"}[neuron_kind].format(shape)
    cells = getattr(sim, native)(
        tau_syn_E=taus["AMPA"], e_rev_E=erevs["AMPA"], tau_syn_I=taus["GABA"],
        e_rev_I=erevs["GABA"], **neuron)
    ports = {name: "inhibitory" if name == "GABA" else "excitatory" for name in taus}
else:
    if shape == "beta":
        psrs = {name: sim.CondBetaPostSynapticResponse(tau_rise=rises[name],
                                                        tau_decay=taus[name], e_syn=erevs[name])
                for name in taus}
    elif shape == "curr":  # weights carry their sign
        psrs = {name: sim.CurrExpPostSynapticResponse(tau_syn=taus[name]) for name in taus}
    else:
        psr = getattr(sim, f"Cond{shape.capitalize()}PostSynapticResponse")
        psrs = {name: psr(tau_syn=taus[name], e_syn=erevs[name]) for name in taus}
    cells = sim.PointNeuron(getattr(sim, neuron_kind)(**neuron), **psrs)
    ports = {name: name for name in taus}
if vname == "V_m":  # pyNN.nest's native cell types: one instance per population
    quiet, driven = (sim.Population(1, native_type(**native),
                                    initial_values={vname: neuron["v_rest"]}, label=label)
                     for label in ("quiet", "driven"))
else:
    quiet = sim.Population(1, cells, initial_values={vname: neuron["v_rest"]}, label="quiet")
    driven = sim.Population(1, cells, initial_values={vname: neuron["v_rest"]}, label="driven")
driven.inject(sim.DCSource(amplitude=dc_supra, start=5.0, stop=200.0))
for k, name in enumerate(sorted(taus)):
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0 + 13.0 * k, 60.0 + 7.0 * k]))
    for target in (quiet, driven):
        sim.Projection(src, target, sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=weights[name], delay=1.0),
                       receptor_type=ports[name])
quiet.record(vname)
driven.record([vname, "spikes"])
sim.run(t_stop)
v = quiet.get_data().segments[0].filter(name=vname)[0]
s = driven.get_data().segments[0].spiketrains[0]
save(t=v.times.rescale("ms"), v=v.rescale("mV")[:, 0], spikes=s.rescale("ms"))
"""

LIF_PARAMS = {
    "cm": 1.0,
    "tau_m": 10.0,
    "v_rest": -60.0,
    "v_reset": -65.0,
    "v_thresh": -50.0,
    "tau_refrac": 2.0,
    "i_offset": 0.0,
}
ADEXP_PARAMS = {"v_rest": -70.6, "tau_refrac": 2.0}


@pytest.mark.parametrize(
    ("neuron_kind", "shape", "dt", "atol", "n_receptors"),
    [
        # measured: 1.5e-9, 1.6e-13, 3.0e-8, 3.5e-12, 1.8e-13, 1.7e-9 mV; every spike on
        # NEST's step except AdExp at dt = 0.1 ms (one step late on the RK4 upswing, as
        # EIF_cond_exp_isfa_ista)
        ("LIF", "exp", 0.1, 1e-7, 2),
        ("LIF", "exp", 0.01, 1e-10, 2),
        ("LIF", "alpha", 0.1, 1e-7, 2),
        ("LIF", "alpha", 0.01, 1e-10, 2),
        ("AdExp", "exp", 0.01, 1e-10, 2),
        ("AdExp", "exp", 0.1, 1e-7, 2),
        # a third receptor block here, AMPA2 (AMPA's twin), summed on NEST's excitatory port
        ("LIF", "exp", 0.1, 1e-7, 3),
        ("LIF", "alpha", 0.1, 1e-7, 3),
        ("AdExp", "exp", 0.1, 1e-7, 3),
        # NEST's native iaf_cond_beta (rise 0.5 / 1.0 ms) and aeif_psc_exp (signed nA weights);
        # measured: 1.0e-6, 1.1e-10, 1.4e-6 mV (RK4's own error on the fast rise, falling as
        # dt^4) and 1.3e-9, 1.4e-13, 1.5e-9 mV; every spike on NEST's step, AdExp's included
        ("LIF", "beta", 0.1, 2e-6, 2),
        ("LIF", "beta", 0.01, 2e-10, 2),
        ("LIF", "beta", 0.1, 2e-6, 3),
        ("AdExp", "curr", 0.1, 1e-8, 2),
        ("AdExp", "curr", 0.01, 1e-12, 2),
        ("AdExp", "curr", 0.1, 1e-8, 3),
    ],
)
def test_cond_point_neuron_matches_nest_two_receptor_model(
    neuron_kind: str, shape: str, dt: float, atol: float, n_receptors: int
) -> None:
    taus = {"AMPA": 2.0, "GABA": 8.0}
    rises = {"AMPA": 0.5, "GABA": 1.0}  # beta only
    erevs = {"AMPA": 0.0, "GABA": -80.0}
    if shape == "curr":  # nA, signed: GABA's negative
        weights = {"AMPA": 0.5, "GABA": -0.5}
    elif neuron_kind == "LIF":
        weights = {"AMPA": 0.05, "GABA": 0.03}
    else:
        weights = {"AMPA": 0.01, "GABA": 0.02}
    if n_receptors == 3:
        taus["AMPA2"], erevs["AMPA2"], weights["AMPA2"] = taus["AMPA"], 0.0, weights["AMPA"]
        rises["AMPA2"] = rises["AMPA"]
    neuron = LIF_PARAMS if neuron_kind == "LIF" else ADEXP_PARAMS
    header = (
        f"taus = {taus!r}\nrises = {rises!r}\nerevs = {erevs!r}\nweights = {weights!r}\n"
        f"neuron = {neuron!r}\nneuron_kind = {neuron_kind!r}\nshape = {shape!r}\n"
    )
    dc = 2.0 if neuron_kind == "LIF" else 1.0
    ours, nest = both(header + COND_TWO, dt=dt, t_stop=150.0, dc_supra=dc)
    assert_allclose(ours["t"], nest["t"], atol=1e-9)
    assert_allclose(ours["v"], nest["v"], rtol=0, atol=atol)
    assert ours["v"].min() < neuron["v_rest"] - 0.5  # GABA hyperpolarised
    assert ours["v"].max() > neuron["v_rest"] + 0.5  # AMPA depolarised
    assert len(nest["spikes"]) > 5, "the driven neuron should fire in NEST"
    assert len(ours["spikes"]) == len(nest["spikes"])
    assert_allclose(ours["spikes"], nest["spikes"], rtol=0, atol=dt + 1e-9)
