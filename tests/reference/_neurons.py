"""Neuron models of the reference board, written from docs/ENGINE.md, one class per family.

Every class holds one population as numpy arrays (parameters, state, refractory counters)
and advances it by one step with :meth:`update`.  Obviousness beats speed: propagators
come from ``scipy.linalg.expm`` of each neuron's own linear system matrix.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import pyNN.standardmodels.cells as pynn_cells
from scipy.linalg import expm

from spinstream.model import ParameterError

FloatArray = np.ndarray


def round_half_up(x: float | np.ndarray) -> np.ndarray:
    """``round`` as C's ``round`` does it for non-negative values (halves go up)."""
    return np.floor(np.asarray(x, dtype=np.float64) + 0.5).astype(np.int64)


def pynn_defaults(model: str) -> tuple[dict[str, float], dict[str, float]]:
    """Default parameters and initial values: PyNN's, or the reference class's own for a model
    PyNN does not have (sPyNNaker's extra models)."""
    if model == "SpikeInjector":
        return {}, {}
    cls = getattr(pynn_cells, model, None)
    if cls is None:
        return NEURON_MODELS[model].defaults(model)
    params = {k: float(v) for k, v in cls.default_parameters.items() if k != "spike_times"}
    initial = {k: float(v) for k, v in getattr(cls, "default_initial_values", {}).items()}
    return params, initial


class NeuronPopulation:
    """Parameters, state and refractory counters of one population of neurons."""

    #: PyNN parameter names of the model.
    param_names: ClassVar[tuple[str, ...]] = ()
    #: State variables that can be read, written and recorded.
    state_names: ClassVar[tuple[str, ...]] = ()
    #: Receptor types (rows of the input that arrives each step): excitatory, inhibitory, ...
    n_receptors: ClassVar[int] = 2

    def __init__(
        self,
        model: str,
        size: int,
        dt: float,
        params: dict[str, np.ndarray],
        initial: dict[str, np.ndarray],
    ) -> None:
        self.model = model
        self.size = size
        self.dt = dt
        default_params, default_initial = self.defaults(model)
        for name in params:
            if name not in self.param_names:
                raise ParameterError(
                    f"{model} has no parameter {name!r}; expected one of {self.param_names}"
                )
        for name in initial:
            if name not in self.state_names:
                raise ParameterError(
                    f"{model} has no state variable {name!r}; expected one of {self.state_names}"
                )
        self.params = {
            name: self._column(name, params.get(name, default_params[name]))
            for name in self.param_names
        }
        self.initial = {
            name: self._column(name, initial.get(name, default_initial.get(name, 0.0)))
            for name in self.state_names
        }
        self.check_parameters()
        self.parameters_changed()
        self.reset()

    @classmethod
    def defaults(cls, model: str) -> tuple[dict[str, float], dict[str, float]]:
        """Default parameters and initial values (PyNN's; a model PyNN lacks overrides this)."""
        return pynn_defaults(model)

    def _column(self, name: str, value: object) -> np.ndarray:
        arr = np.array(value, dtype=np.float64)
        if arr.ndim == 0:
            arr = np.full(self.size, float(arr))
        if arr.shape != (self.size,):
            raise ParameterError(
                f"{self.model}.{name}: expected {self.size} values, got shape {arr.shape}"
            )
        return arr

    # -- parameters and state ----------------------------------------------------------------

    def check_parameters(self) -> None:
        """Raise :class:`ParameterError` when a parameter is outside its allowed range."""
        positive = ("cm", "tau_m", "tau_syn_E", "tau_syn_I")
        for name in positive:
            if name in self.params and not np.all(self.params[name] > 0):
                bad = self.params[name][~(self.params[name] > 0)][0]
                raise ParameterError(f"{self.model}.{name} = {bad}: expected a value > 0")
        if "tau_refrac" in self.params and not np.all(self.params["tau_refrac"] >= 0):
            bad = self.params["tau_refrac"][~(self.params["tau_refrac"] >= 0)][0]
            raise ParameterError(f"{self.model}.tau_refrac = {bad}: expected a value >= 0")
        for name, arr in self.params.items():
            if not np.all(np.isfinite(arr)):
                raise ParameterError(f"{self.model}.{name}: expected finite values")

    def parameters_changed(self) -> None:
        """Recompute whatever is derived from the parameters (propagators)."""

    def set_parameter(self, name: str, indices: np.ndarray, values: np.ndarray) -> None:
        """Change one parameter of some neurons; takes effect at the next step."""
        if name not in self.params:
            raise ParameterError(
                f"{self.model} has no parameter {name!r}; expected one of {self.param_names}"
            )
        old = self.params[name].copy()
        self.params[name][indices] = values
        try:
            self.check_parameters()
        except ParameterError:
            self.params[name] = old
            raise
        self.parameters_changed()

    def get_state(self, name: str) -> np.ndarray:
        """The state variable ``name`` of every neuron (a view)."""
        if name not in self.state_names:
            raise ParameterError(
                f"{self.model} has no state variable {name!r}; expected one of {self.state_names}"
            )
        return self.state[name]

    def reset(self) -> None:
        """State to the initial values, refractory counters to 0."""
        self.state = {name: self.initial[name].copy() for name in self.state_names}
        self.r = np.zeros(self.size, dtype=np.int64)

    # -- the step ----------------------------------------------------------------------------

    def update(self, i_ext: np.ndarray, arrived: np.ndarray | None) -> np.ndarray:
        """Advance one step (ENGINE.md "Order within a step", 2.2 to 2.4).

        Parameters
        ----------
        i_ext
            Injected current of each neuron for this step (nA).
        arrived
            ``(n_receptors, size)`` sums of the weights in ring slot ``m`` (excitatory,
            inhibitory, then any further receptor), or ``None`` when nothing arrived.

        Returns
        -------
        Indices of the neurons that spiked (stamp ``m + 1``).
        """
        if arrived is None:
            arrived = np.zeros((self.n_receptors, self.size))
        refractory = self.r > 0
        self.advance(i_ext, arrived, refractory)
        v = self.state["v"]
        spiking = v >= self.threshold()
        self.fire(spiking)
        return np.flatnonzero(spiking)

    def threshold(self) -> np.ndarray:
        """Threshold (mV) of every neuron."""
        return self.params["v_thresh"]

    def advance(self, i_ext: np.ndarray, arrived: np.ndarray, refractory: np.ndarray) -> None:
        """Steps 2.2 and 2.3 of ENGINE.md."""
        raise NotImplementedError

    def fire(self, spiking: np.ndarray) -> None:
        """Step 2.4 of ENGINE.md for the neurons that crossed threshold."""
        self.state["v"][spiking] = self.params["v_reset"][spiking]
        self.r[spiking] = round_half_up(self.params["tau_refrac"][spiking] / self.dt)

    def clamp_refractory(self, refractory: np.ndarray) -> None:
        """Step 2.2, refractory branch: count down and hold ``v`` at ``v_reset``."""
        self.r[refractory] -= 1
        self.state["v"][refractory] = self.params["v_reset"][refractory]


class LinearCurrentPopulation(NeuronPopulation):
    """IF_curr_exp, IF_curr_alpha and IF_curr_delta: linear, so propagated exactly.

    Each neuron's state is the column vector ``x = [v, <synaptic variables>, u]`` where
    ``u = v_rest/tau_m + I_ext/cm`` is constant over a step (``du/dt = 0``), so that
    ``dx/dt = A x`` is a homogeneous linear system and ``x(m+1) = expm(A dt) x(m)``.
    Nothing in the synaptic rows depends on ``v``, so the same matrix propagates the
    synaptic variables of refractory neurons too.
    """

    #: ``"exp"``, ``"alpha"`` or ``"delta"``.
    synapse: ClassVar[str] = "exp"

    def parameters_changed(self) -> None:
        cache: dict[tuple[float, ...], np.ndarray] = {}
        k = len(self.columns())
        self.propagator = np.empty((self.size, k, k))
        for i in range(self.size):
            key = tuple(float(self.params[n][i]) for n in ("tau_m", "cm", *self.tau_names()))
            if key not in cache:
                cache[key] = expm(self.system_matrix(i) * self.dt)
            self.propagator[i] = cache[key]

    def tau_names(self) -> tuple[str, ...]:
        """Synaptic time constants that enter the system matrix."""
        return () if self.synapse == "delta" else ("tau_syn_E", "tau_syn_I")

    def columns(self) -> tuple[str, ...]:
        """Names of the entries of ``x``."""
        if self.synapse == "exp":
            return ("v", "isyn_exc", "isyn_inh", "u")
        if self.synapse == "alpha":
            return ("v", "isyn_exc", "disyn_exc", "isyn_inh", "disyn_inh", "u")
        return ("v", "u")

    def system_matrix(self, i: int) -> np.ndarray:
        """``A`` of neuron ``i``: ``dx/dt = A x`` over one step."""
        cols = self.columns()
        pos = {name: j for j, name in enumerate(cols)}
        a = np.zeros((len(cols), len(cols)))
        tau_m = self.params["tau_m"][i]
        cm = self.params["cm"][i]
        a[0, 0] = -1.0 / tau_m
        a[0, pos["u"]] = 1.0
        if self.synapse != "delta":
            a[0, pos["isyn_exc"]] = 1.0 / cm
            a[0, pos["isyn_inh"]] = -1.0 / cm  # isyn_inh is stored positive
            for rec, tau_name in (("exc", "tau_syn_E"), ("inh", "tau_syn_I")):
                tau = self.params[tau_name][i]
                a[pos[f"isyn_{rec}"], pos[f"isyn_{rec}"]] = -1.0 / tau
                if self.synapse == "alpha":
                    a[pos[f"isyn_{rec}"], pos[f"disyn_{rec}"]] = 1.0
                    a[pos[f"disyn_{rec}"], pos[f"disyn_{rec}"]] = -1.0 / tau
        return a

    def reset(self) -> None:
        super().reset()
        if self.synapse == "alpha":
            self.hidden = {
                "disyn_exc": np.zeros(self.size),
                "disyn_inh": np.zeros(self.size),
            }

    def advance(self, i_ext: np.ndarray, arrived: np.ndarray, refractory: np.ndarray) -> None:
        p = self.params
        x = np.empty((self.size, len(self.columns())))
        for j, name in enumerate(self.columns()):
            if name == "u":
                x[:, j] = p["v_rest"] / p["tau_m"] + i_ext / p["cm"]
            elif name.startswith("disyn"):
                x[:, j] = self.hidden[name]
            else:
                x[:, j] = self.state[name]
        new = np.einsum("nij,nj->ni", self.propagator, x)
        for j, name in enumerate(self.columns()):
            if name in ("u", "v"):
                continue
            if name.startswith("disyn"):
                self.hidden[name] = new[:, j].copy()
            else:
                self.state[name] = new[:, j].copy()
        # 2.2: v over the step (free neurons) or held at v_reset (refractory ones).
        self.state["v"] = new[:, 0].copy()
        self.clamp_refractory(refractory)
        # 2.3: the synaptic variables have decayed above; now add ring slot m.
        if self.synapse == "exp":
            self.state["isyn_exc"] += arrived[0]
            self.state["isyn_inh"] += arrived[1]
        elif self.synapse == "alpha":
            self.hidden["disyn_exc"] += arrived[0] * math.e / p["tau_syn_E"]
            self.hidden["disyn_inh"] += arrived[1] * math.e / p["tau_syn_I"]
        else:
            # Delta synapses jump v in the step they arrive; dropped while refractory.
            jump = arrived[0] - arrived[1]
            self.state["v"] += np.where(refractory, 0.0, jump)


class IFCurrExp(LinearCurrentPopulation):
    """IF_curr_exp: exponential current synapses."""

    synapse = "exp"
    param_names = (
        "v_rest",
        "cm",
        "tau_m",
        "tau_refrac",
        "tau_syn_E",
        "tau_syn_I",
        "i_offset",
        "v_reset",
        "v_thresh",
    )
    state_names = ("v", "isyn_exc", "isyn_inh")


class IFCurrAlpha(IFCurrExp):
    """IF_curr_alpha: alpha-shaped current synapses (the derivative is hidden)."""

    synapse = "alpha"


class IFCurrDelta(LinearCurrentPopulation):
    """IF_curr_delta: a spike jumps ``v`` by its weight (mV)."""

    synapse = "delta"
    param_names = (
        "v_rest",
        "cm",
        "tau_m",
        "tau_refrac",
        "i_offset",
        "v_reset",
        "v_thresh",
    )
    state_names = ("v",)


class IFCondExp(NeuronPopulation):
    """IF_cond_exp: exact exponential conductances, ``v`` by one RK4 step over ``dt``."""

    param_names = (
        "v_rest",
        "cm",
        "tau_m",
        "tau_refrac",
        "tau_syn_E",
        "tau_syn_I",
        "e_rev_E",
        "e_rev_I",
        "v_thresh",
        "v_reset",
        "i_offset",
    )
    state_names = ("v", "gsyn_exc", "gsyn_inh")

    def dvdt(self, t: float, v: np.ndarray, i_ext: np.ndarray) -> np.ndarray:
        """``dv/dt`` at time ``t`` (ms) after the start of the step."""
        p = self.params
        g_exc = self.state["gsyn_exc"] * np.exp(-t / p["tau_syn_E"])
        g_inh = self.state["gsyn_inh"] * np.exp(-t / p["tau_syn_I"])
        current = (
            p["cm"] / p["tau_m"] * (p["v_rest"] - v)
            + g_exc * (p["e_rev_E"] - v)
            + g_inh * (p["e_rev_I"] - v)
            + i_ext
        )
        return current / p["cm"]

    def advance(self, i_ext: np.ndarray, arrived: np.ndarray, refractory: np.ndarray) -> None:
        h = self.dt
        v = self.state["v"]
        k1 = self.dvdt(0.0, v, i_ext)
        k2 = self.dvdt(h / 2, v + h / 2 * k1, i_ext)
        k3 = self.dvdt(h / 2, v + h / 2 * k2, i_ext)
        k4 = self.dvdt(h, v + h * k3, i_ext)
        self.state["v"] = v + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        self.clamp_refractory(refractory)
        p = self.params
        self.state["gsyn_exc"] = self.state["gsyn_exc"] * np.exp(-h / p["tau_syn_E"]) + arrived[0]
        self.state["gsyn_inh"] = self.state["gsyn_inh"] * np.exp(-h / p["tau_syn_I"]) + arrived[1]


class Izhikevich(NeuronPopulation):
    """Izhikevich: forward Euler on ``v`` and ``u`` from the old values (NEST izhikevich)."""

    param_names = ("a", "b", "c", "d", "i_offset")
    state_names = ("v", "u")
    V_PEAK = 30.0

    def threshold(self) -> np.ndarray:
        return np.full(self.size, self.V_PEAK)

    def advance(self, i_ext: np.ndarray, arrived: np.ndarray, refractory: np.ndarray) -> None:
        p = self.params
        h = self.dt
        v = self.state["v"]
        u = self.state["u"]
        current = 1000.0 * i_ext  # pA, as NEST's I_e
        v_new = v + h * (0.04 * v * v + 5.0 * v + 140.0 - u + current)
        u_new = u + h * p["a"] * (p["b"] * v - u)
        self.state["v"] = v_new + arrived[0] - arrived[1]
        self.state["u"] = u_new

    def fire(self, spiking: np.ndarray) -> None:
        self.state["v"][spiking] = self.params["c"][spiking]
        self.state["u"][spiking] += self.params["d"][spiking]


class IFCurrDualExp(LinearCurrentPopulation):
    """IF_curr_dual_exp (sPyNNaker): IF_curr_exp with a second excitatory current.

    Receptor 2 ("excitatory2") feeds ``isyn_exc2``, which decays with ``tau_syn_E2`` and adds
    to ``v`` as ``isyn_exc`` does; the system matrix grows by that one column.
    """

    synapse = "exp"
    n_receptors = 3
    param_names = (
        "v_rest",
        "cm",
        "tau_m",
        "tau_refrac",
        "tau_syn_E",
        "tau_syn_E2",
        "tau_syn_I",
        "i_offset",
        "v_reset",
        "v_thresh",
    )
    state_names = ("v", "isyn_exc", "isyn_exc2", "isyn_inh")

    @classmethod
    def defaults(cls, model: str) -> tuple[dict[str, float], dict[str, float]]:
        # sPyNNaker's defaults (PyNN has no such model)
        params, initial = pynn_defaults("IF_curr_exp")
        params["tau_syn_E2"] = 5.0
        initial["isyn_exc2"] = 0.0
        return params, initial

    def tau_names(self) -> tuple[str, ...]:
        return ("tau_syn_E", "tau_syn_E2", "tau_syn_I")

    def columns(self) -> tuple[str, ...]:
        return ("v", "isyn_exc", "isyn_exc2", "isyn_inh", "u")

    def system_matrix(self, i: int) -> np.ndarray:
        a = super().system_matrix(i)
        cm, tau = self.params["cm"][i], self.params["tau_syn_E2"][i]
        a[0, 2] = 1.0 / cm
        a[2, 2] = -1.0 / tau
        return a

    def advance(self, i_ext: np.ndarray, arrived: np.ndarray, refractory: np.ndarray) -> None:
        super().advance(i_ext, arrived, refractory)  # isyn_exc, isyn_inh get rows 0 and 1
        self.state["isyn_exc2"] += arrived[2]


class IFCurrExpCa2Adaptive(LinearCurrentPopulation):
    """IFCurrExpCa2Adaptive (sPyNNaker): IF_curr_exp with a spike-triggered calcium current.

    ``i_ca2`` decays with ``tau_ca2``, enters ``v`` as ``-i_ca2 / cm`` (one more column of the
    linear system) and jumps by ``i_alpha`` when the neuron fires (Liu & Wang 2001).
    """

    synapse = "exp"
    param_names = (
        "tau_m",
        "cm",
        "v_rest",
        "v_reset",
        "v_thresh",
        "tau_syn_E",
        "tau_syn_I",
        "tau_refrac",
        "i_offset",
        "tau_ca2",
        "i_alpha",
    )
    state_names = ("v", "isyn_exc", "isyn_inh", "i_ca2")

    @classmethod
    def defaults(cls, model: str) -> tuple[dict[str, float], dict[str, float]]:
        # sPyNNaker's defaults (PyNN has no such model)
        params, initial = pynn_defaults("IF_curr_exp")
        params.update(tau_ca2=50.0, i_alpha=0.1)
        initial["i_ca2"] = 0.0
        return params, initial

    def tau_names(self) -> tuple[str, ...]:
        return ("tau_syn_E", "tau_syn_I", "tau_ca2")

    def columns(self) -> tuple[str, ...]:
        return ("v", "isyn_exc", "isyn_inh", "i_ca2", "u")

    def system_matrix(self, i: int) -> np.ndarray:
        a = super().system_matrix(i)
        cm, tau = self.params["cm"][i], self.params["tau_ca2"][i]
        a[0, 3] = -1.0 / cm
        a[3, 3] = -1.0 / tau
        return a

    def fire(self, spiking: np.ndarray) -> None:
        super().fire(spiking)
        self.state["i_ca2"][spiking] += self.params["i_alpha"][spiking]


class IFCurrDeltaCa2Adaptive(LinearCurrentPopulation):
    """IFCurrDeltaCa2Adaptive (sPyNNaker): IF_curr_delta with IFCurrExpCa2Adaptive's calcium
    current (one more column of the linear system, a jump of ``i_alpha`` at each spike)."""

    synapse = "delta"
    param_names = (
        "tau_m",
        "cm",
        "v_rest",
        "v_reset",
        "v_thresh",
        "tau_refrac",
        "tau_ca2",
        "i_alpha",
        "i_offset",
    )
    state_names = ("v", "i_ca2")

    @classmethod
    def defaults(cls, model: str) -> tuple[dict[str, float], dict[str, float]]:
        # sPyNNaker's defaults (PyNN has no such model)
        params, initial = pynn_defaults("IF_curr_delta")
        params.update(tau_ca2=50.0, i_alpha=0.1)
        initial["i_ca2"] = 0.0
        return params, initial

    def tau_names(self) -> tuple[str, ...]:
        return ("tau_ca2",)

    def columns(self) -> tuple[str, ...]:
        return ("v", "i_ca2", "u")

    def system_matrix(self, i: int) -> np.ndarray:
        a = super().system_matrix(i)
        a[0, 1] = -1.0 / self.params["cm"][i]
        a[1, 1] = -1.0 / self.params["tau_ca2"][i]
        return a

    def fire(self, spiking: np.ndarray) -> None:
        super().fire(spiking)
        self.state["i_ca2"][spiking] += self.params["i_alpha"][spiking]


class IzhikevichCond(NeuronPopulation):
    """Izhikevich_cond (sPyNNaker): Izhikevich with exponential conductances (uS).

    ``v' = 0.04 v^2 + 5 v + 140 - u + I``, ``u' = a (b v - u)`` with
    ``I = i_ext + sum_k g_k(t) (e_k - v)`` in nA taken as a number (sPyNNaker's units); one
    RK4 step of ``(v, u)`` with the exact conductance course; spike at ``v >= 30``.
    """

    param_names = ("a", "b", "c", "d", "i_offset", "tau_syn_E", "tau_syn_I", "e_rev_E", "e_rev_I")
    state_names = ("v", "u", "gsyn_exc", "gsyn_inh")
    V_PEAK = 30.0

    @classmethod
    def defaults(cls, model: str) -> tuple[dict[str, float], dict[str, float]]:
        # sPyNNaker's defaults (PyNN has no such model)
        params = {"a": 0.02, "b": 0.2, "c": -65.0, "d": 2.0, "i_offset": 0.0}
        params.update(tau_syn_E=5.0, tau_syn_I=5.0, e_rev_E=0.0, e_rev_I=-70.0)
        initial = {"v": -70.0, "u": -14.0, "gsyn_exc": 0.0, "gsyn_inh": 0.0}
        return params, initial

    def threshold(self) -> np.ndarray:
        return np.full(self.size, self.V_PEAK)

    def conductances(self, t: float) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(g_k(t), e_k)`` of each synaptic conductance, ``t`` ms after the step's start."""
        p = self.params
        return [
            (self.state["gsyn_exc"] * np.exp(-t / p["tau_syn_E"]), p["e_rev_E"]),
            (self.state["gsyn_inh"] * np.exp(-t / p["tau_syn_I"]), p["e_rev_I"]),
        ]

    def derivatives(
        self, t: float, v: np.ndarray, u: np.ndarray, i_ext: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        current = i_ext + sum(g * (e - v) for g, e in self.conductances(t))
        p = self.params
        return 0.04 * v * v + 5.0 * v + 140.0 - u + current, p["a"] * (p["b"] * v - u)

    def advance(self, i_ext: np.ndarray, arrived: np.ndarray, refractory: np.ndarray) -> None:
        h = self.dt
        v, u = self.state["v"], self.state["u"]
        k1 = self.derivatives(0.0, v, u, i_ext)
        k2 = self.derivatives(h / 2, v + h / 2 * k1[0], u + h / 2 * k1[1], i_ext)
        k3 = self.derivatives(h / 2, v + h / 2 * k2[0], u + h / 2 * k2[1], i_ext)
        k4 = self.derivatives(h, v + h * k3[0], u + h * k3[1], i_ext)
        self.state["v"] = v + h / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
        self.state["u"] = u + h / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
        self.decay_and_add(arrived)

    def decay_and_add(self, arrived: np.ndarray) -> None:
        p, h = self.params, self.dt
        self.state["gsyn_exc"] = self.state["gsyn_exc"] * np.exp(-h / p["tau_syn_E"]) + arrived[0]
        self.state["gsyn_inh"] = self.state["gsyn_inh"] * np.exp(-h / p["tau_syn_I"]) + arrived[1]

    def fire(self, spiking: np.ndarray) -> None:
        self.state["v"][spiking] = self.params["c"][spiking]
        self.state["u"][spiking] += self.params["d"][spiking]


class IzhikevichCondDual(IzhikevichCond):
    """Izhikevich_cond_dual (sPyNNaker): a second excitatory conductance ``gsyn_exc2``
    (receptor 2, ``tau_syn_E2``, reversal ``e_rev_E``)."""

    n_receptors = 3
    param_names = (
        "a",
        "b",
        "c",
        "d",
        "i_offset",
        "tau_syn_E",
        "tau_syn_E2",
        "tau_syn_I",
        "e_rev_E",
        "e_rev_I",
    )
    state_names = ("v", "u", "gsyn_exc", "gsyn_exc2", "gsyn_inh")

    @classmethod
    def defaults(cls, model: str) -> tuple[dict[str, float], dict[str, float]]:
        params, initial = IzhikevichCond.defaults(model)
        params["tau_syn_E2"] = 5.0
        initial["gsyn_exc2"] = 0.0
        return params, initial

    def conductances(self, t: float) -> list[tuple[np.ndarray, np.ndarray]]:
        g2 = self.state["gsyn_exc2"] * np.exp(-t / self.params["tau_syn_E2"])
        return [*super().conductances(t), (g2, self.params["e_rev_E"])]

    def decay_and_add(self, arrived: np.ndarray) -> None:
        g2 = self.state["gsyn_exc2"] * np.exp(-self.dt / self.params["tau_syn_E2"])
        super().decay_and_add(arrived)
        self.state["gsyn_exc2"] = g2 + arrived[2]


class IFCurrExpSEMD(NeuronPopulation):
    """IF_curr_exp_sEMD (sPyNNaker): the trigger current ``isyn_exc2`` times the facilitation
    current sampled at the trigger's onset (``multiplicator``) times ``scaling_factor`` drives
    ``v``; the facilitation ``isyn_exc`` does not reach ``v`` itself.

    The gate is read at the start of each step (active: ``isyn_exc2 >= 0.001`` nA; onset:
    ``exc2_old``, the previous step's value, below that); the step is then ``expm`` of the
    linear system with that multiplicator.
    """

    n_receptors = 3
    ACTIVE = 0.001
    param_names = (
        "tau_m",
        "cm",
        "v_rest",
        "v_reset",
        "v_thresh",
        "tau_syn_E",
        "tau_syn_E2",
        "tau_syn_I",
        "tau_refrac",
        "i_offset",
        "scaling_factor",
    )
    state_names = ("v", "isyn_exc", "isyn_exc2", "isyn_inh", "multiplicator", "exc2_old")

    @classmethod
    def defaults(cls, model: str) -> tuple[dict[str, float], dict[str, float]]:
        # sPyNNaker's defaults (PyNN has no such model)
        params, initial = pynn_defaults("IF_curr_exp")
        params.update(tau_syn_E2=5.0, scaling_factor=1.0)
        initial.update(isyn_exc2=0.0, multiplicator=0.0, exc2_old=0.0)
        return params, initial

    def parameters_changed(self) -> None:
        # propagators by system matrix: the multiplicator takes few values
        self._expm: dict[tuple[float, ...], np.ndarray] = {}

    def advance(self, i_ext: np.ndarray, arrived: np.ndarray, refractory: np.ndarray) -> None:
        p, st, h = self.params, self.state, self.dt
        active = st["isyn_exc2"] >= self.ACTIVE
        onset = active & (st["exc2_old"] < self.ACTIVE)
        st["multiplicator"] = np.where(
            active, np.where(onset, st["isyn_exc"], st["multiplicator"]), 0.0
        )
        st["exc2_old"] = st["isyn_exc2"].copy()
        for i in range(self.size):
            cm = p["cm"][i]
            a = np.zeros((4, 4))  # v, isyn_exc2, isyn_inh, u
            a[0, 0] = -1.0 / p["tau_m"][i]
            a[0, 1] = p["scaling_factor"][i] * st["multiplicator"][i] / cm
            a[0, 2] = -1.0 / cm
            a[0, 3] = 1.0
            a[1, 1] = -1.0 / p["tau_syn_E2"][i]
            a[2, 2] = -1.0 / p["tau_syn_I"][i]
            x = np.array(
                [
                    st["v"][i],
                    st["isyn_exc2"][i],
                    st["isyn_inh"][i],
                    p["v_rest"][i] / p["tau_m"][i] + i_ext[i] / cm,
                ]
            )
            key = tuple(a.ravel())
            if key not in self._expm:
                self._expm[key] = expm(a * h)
            new = self._expm[key] @ x
            st["v"][i], st["isyn_exc2"][i], st["isyn_inh"][i] = new[0], new[1], new[2]
        st["isyn_exc"] = st["isyn_exc"] * np.exp(-h / p["tau_syn_E"])
        self.clamp_refractory(refractory)
        st["isyn_exc"] += arrived[0]
        st["isyn_inh"] += arrived[1]
        st["isyn_exc2"] += arrived[2]


NEURON_MODELS: dict[str, type[NeuronPopulation]] = {
    "IF_curr_exp": IFCurrExp,
    "IF_curr_alpha": IFCurrAlpha,
    "IF_curr_delta": IFCurrDelta,
    "IF_cond_exp": IFCondExp,
    "Izhikevich": Izhikevich,
    "IF_curr_dual_exp": IFCurrDualExp,
    "IFCurrExpCa2Adaptive": IFCurrExpCa2Adaptive,
    "IFCurrDeltaCa2Adaptive": IFCurrDeltaCa2Adaptive,
    "Izhikevich_cond": IzhikevichCond,
    "Izhikevich_cond_dual": IzhikevichCondDual,
    "IF_curr_exp_sEMD": IFCurrExpSEMD,
}
