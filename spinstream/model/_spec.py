"""Plain-data description of a network, as handed from the front end to mapping and board.

Everything here is numbers and numpy arrays in PyNN units (ms, mV, nA, uS, nF, Hz);
no layer below the front end ever sees a PyNN object.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from spinstream.model._errors import ParameterError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Receptor indices used in :class:`ProjectionSpec.receptor`.
EXCITATORY = 0
INHIBITORY = 1
RECEPTORS = ("excitatory", "inhibitory")


@dataclass
class PopulationSpec:
    """One population: its size, model and per-neuron parameter arrays.

    Attributes
    ----------
    id
        Dense index of the population (0 .. n-1), its position in ``NetworkSpec.populations``.
    label
        The user's label.
    size
        Number of neurons.
    model
        Kernel model name: a PyNN standard cell type name (``"IF_curr_exp"``, ...) or
        ``"SpikeInjector"``.
    params
        Parameter name -> float64 array of length ``size`` (PyNN names and units).
    initial
        State variable name -> float64 array of length ``size``: initial values.
    spike_times
        Only for ``SpikeSourceArray``: one sorted float64 array of times (ms) per neuron.
    max_atoms_per_core
        Largest number of neurons that one core may hold.
    placement
        ``(x, y)`` or ``(x, y, p)`` constraint for the population's cores, or ``None``.
    seed
        Seed of the random generators of this population's cores (sPyNNaker's
        ``Population(..., seed=)``), or ``None``: derived from the network's seed.  With a
        seed, the population's draws (Poisson spikes, stochastic synapses onto it) depend
        only on that seed and on how it is split into cores, not on other populations.
    virtual_key
        Only for a ``SpikeInjector``: the base key of its atoms as live-I/O clients see them
        (sPyNNaker's ``virtual_key``): atom ``i`` is key ``virtual_key | i`` in the
        notification database and in incoming 32-bit-key packets, or ``None``: the keys
        the mapping gave its cores.
    splitter
        sPyNNaker's splitter of the population, by class name (``"SplitterOneToOneLegacy"``:
        all its neurons on one core; the names of ``spinstream.model._splitter.SPLITTERS``),
        or ``None``: slices of at most ``max_atoms_per_core`` neurons.
    receptors
        Only for a composed model (PyNN's ``PointNeuron``): its receptor types, in the order
        of their ring rows; parameters and state of receptor ``r`` are named ``"r.<name>"``.
    """

    id: int
    label: str
    size: int
    model: str
    params: dict[str, FloatArray] = field(default_factory=dict)
    initial: dict[str, FloatArray] = field(default_factory=dict)
    spike_times: list[FloatArray] | None = None
    max_atoms_per_core: int = 256
    placement: tuple[int, ...] | None = None
    seed: int | None = None
    receptors: tuple[str, ...] = ()
    virtual_key: int | None = None
    splitter: str | None = None


@dataclass(frozen=True)
class STDPSpec:
    """Spike-timing-dependent plasticity: PyNN's ``STDPMechanism`` with ``SpikePairRule``.

    All spike pairs count, through traces; the whole delay is dendritic (docs/ENGINE.md,
    "Plasticity").  A pair with ``dt = t_post + delay - t_pre > 0`` potentiates, ``dt < 0``
    depresses; the weight stays in ``[w_min, w_max]``.

    Attributes
    ----------
    tau_plus, tau_minus
        Time constants (ms) of the potentiation and depression windows.
    A_plus, A_minus
        Amplitudes (dimensionless).
    w_min, w_max
        Weight bounds (nA or uS, ``0 <= w_min <= w_max``).
    weight_dependence
        ``"additive"``: ``dw = +A_plus w_max K+`` / ``-A_minus w_max K-``;
        ``"multiplicative"``: ``dw = +A_plus (w_max - w) K+`` / ``-A_minus (w - w_min) K-``.
    timing
        ``"pair"``: every pair counts (PyNN's ``SpikePairRule``); ``"nearest"``: sPyNNaker's
        ``SpikeNearestPairRule`` (``K-`` of the latest postsynaptic spike alone; only the
        first postsynaptic spike after a presynaptic one potentiates, with ``K+`` of that
        presynaptic spike alone); ``"vogels"``: sPyNNaker's ``Vogels2011Rule`` (NEST's
        ``vogels_sprekeler_synapse``: every pair potentiates by ``A_plus K`` with
        ``tau_plus = tau_minus = tau``, each presynaptic spike depresses by ``alpha A_plus``;
        additive only, ``A_minus`` unused and 0).
    alpha
        Vogels 2011 only: depression per presynaptic spike in units of ``A_plus`` (``>= 0``;
        ``2 rho_0 tau`` for a target rate ``rho_0``).
    tau_x, tau_y, A3_plus, A3_minus
        ``timing = "triplet"`` only (sPyNNaker's ``PfisterSpikeTriplet`` with
        ``WeightDependenceAdditiveTriplet``, NEST's ``stdp_triplet_synapse``, all to all):
        time constants (ms, > 0) of the slow presynaptic trace ``r2`` and the slow
        postsynaptic trace ``o2`` (one ``tau_y`` per postsynaptic population), and the
        triplet amplitudes (>= 0): ``dw = +w_max (A_plus + A3_plus o2) r1`` at each
        postsynaptic spike, ``-w_max (A_minus + A3_minus r2) o1`` at each presynaptic one
        (``o2``, ``r2`` just before the spike); additive only.
    tau_c, tau_d, nm_w_min, nm_w_max
        Dopamine-modulated (``tau_c > 0``; sPyNNaker's ``Neuromodulation`` reaching the
        target, see :class:`NeuromodulationSpec`; pair timing, additive only): the pairs
        drive an eligibility ``c`` in ``[w_min, w_max]`` (``+A_plus K+``, ``-A_minus K-``,
        not scaled by ``w_max``) that decays with ``tau_c`` (ms); the weight follows
        ``dw/dt = c D`` (``D``: the target neuron's dopamine, decaying with ``tau_d``) and
        stays in ``[nm_w_min, nm_w_max]``.  0: plain STDP.
    accumulator_depression, accumulator_potentiation, dual_fsm
        ``timing = "recurrent"`` only (sPyNNaker's ``RecurrentRule``, docs/ENGINE.md): the
        accumulator's limits (integers, ``accumulator_depression <= 0 <=
        accumulator_potentiation`` in sPyNNaker's use) and whether each side keeps its own
        window (1) or each synapse has one state machine (0); ``tau_plus`` and ``tau_minus``
        are then the mean pre- and postsynaptic window lengths (ms).
    """

    tau_plus: float
    tau_minus: float
    A_plus: float
    A_minus: float
    w_min: float
    w_max: float
    weight_dependence: str = "additive"
    timing: str = "pair"
    alpha: float = 0.0
    tau_x: float = 0.0
    tau_y: float = 0.0
    A3_plus: float = 0.0
    A3_minus: float = 0.0
    tau_c: float = 0.0
    tau_d: float = 0.0
    nm_w_min: float = 0.0
    nm_w_max: float = 0.0
    accumulator_depression: float = 0.0
    accumulator_potentiation: float = 0.0
    dual_fsm: float = 1.0

    def check(self, where: str) -> None:
        """Raise :class:`ParameterError` naming the first parameter out of range."""
        _finite(
            where,
            self,
            ("tau_plus", "tau_minus", "A_plus", "A_minus", "w_min", "w_max", "alpha"),
        )
        _finite(where, self, ("tau_x", "tau_y", "A3_plus", "A3_minus"))
        _finite(where, self, ("tau_c", "tau_d", "nm_w_min", "nm_w_max"))
        if self.tau_c and (self.timing != "pair" or self.weight_dependence != "additive"):
            raise ParameterError(
                f"{where}: Neuromodulation modulates STDPMechanism(SpikePairRule, "
                f"AdditiveWeightDependence) only, got timing {self.timing!r} with a "
                f"{self.weight_dependence} weight dependence"
            )
        for name in ("tau_plus", "tau_minus"):
            if getattr(self, name) <= 0:
                raise ParameterError(f"{where}: {name} = {getattr(self, name)!r} ms must be > 0")
        for name in ("A_plus", "A_minus", "w_min"):
            if getattr(self, name) < 0:
                raise ParameterError(f"{where}: {name} = {getattr(self, name)!r} must be >= 0")
        if self.w_min > self.w_max:
            raise ParameterError(
                f"{where}: w_min = {self.w_min!r} is greater than w_max = {self.w_max!r}"
            )
        if self.weight_dependence not in ("additive", "multiplicative"):
            raise ParameterError(
                f"{where}: weight_dependence must be 'additive' or 'multiplicative', "
                f"got {self.weight_dependence!r}"
            )
        if self.timing not in ("pair", "nearest", "vogels", "triplet", "recurrent"):
            raise ParameterError(
                f"{where}: timing must be 'pair', 'nearest', 'vogels', 'triplet' or "
                f"'recurrent', got {self.timing!r}"
            )
        if self.timing == "recurrent":
            _check_recurrent(where, self)
        if self.timing == "triplet":
            if self.weight_dependence != "additive":
                raise ParameterError(
                    f"{where}: PfisterSpikeTriplet takes WeightDependenceAdditiveTriplet "
                    f"only, got {self.weight_dependence!r}"
                )
            for name in ("tau_x", "tau_y"):
                if getattr(self, name) <= 0:
                    raise ParameterError(
                        f"{where}: {name} = {getattr(self, name)!r} ms must be > 0"
                    )
            for name in ("A3_plus", "A3_minus"):
                if getattr(self, name) < 0:
                    raise ParameterError(f"{where}: {name} = {getattr(self, name)!r} must be >= 0")
        if self.timing == "vogels":
            if self.weight_dependence != "additive":
                raise ParameterError(
                    f"{where}: Vogels2011Rule takes AdditiveWeightDependence only, got "
                    f"{self.weight_dependence!r}"
                )
            if self.alpha < 0:
                raise ParameterError(f"{where}: alpha = {self.alpha!r} must be >= 0")
            if self.tau_plus != self.tau_minus:
                raise ParameterError(
                    f"{where}: Vogels2011Rule has one tau, got tau_plus = {self.tau_plus!r} "
                    f"and tau_minus = {self.tau_minus!r} ms"
                )

    def check_weights(self, where: str, weight: FloatArray) -> None:
        """Raise :class:`ParameterError` when a weight lies outside ``[w_min, w_max]``."""
        check_weight_bounds(where, weight, self.w_min, self.w_max)


#: Largest accumulator limit (magnitude) the engine keeps (kernels_c/recurrent.c).
ACCUMULATOR_LIMIT = (1 << 19) - 2


def _check_recurrent(where: str, rule: STDPSpec) -> None:
    """RecurrentRule's own conditions (the windows' means are tau_plus, tau_minus)."""
    _finite(where, rule, ("accumulator_depression", "accumulator_potentiation", "dual_fsm"))
    for name in ("accumulator_depression", "accumulator_potentiation"):
        v = getattr(rule, name)
        if v != int(v) or abs(v) > ACCUMULATOR_LIMIT:
            raise ParameterError(
                f"{where}: {name} = {v!r} must be a whole number of pairings, at most "
                f"{ACCUMULATOR_LIMIT} in magnitude"
            )
    if rule.dual_fsm not in (0.0, 1.0):
        raise ParameterError(f"{where}: dual_fsm = {rule.dual_fsm!r} must be True or False")


@dataclass(frozen=True)
class TsodyksMarkramSpec:
    """Short-term plasticity: PyNN's ``TsodyksMarkramSynapse`` (Tsodyks, Uziel, Markram 2000).

    Resources move from recovered (``x``) to active (``y``) at each spike (the fraction
    ``u``), decay from active to inactive with the target's synaptic time constant, and
    recover with ``tau_rec``; ``u`` facilitates with ``tau_facil`` (0: no facilitation).  A
    spike transmits ``weight * u * x``.

    Attributes
    ----------
    U
        Use parameter, in ``[0, 1]``.
    tau_rec, tau_facil
        Recovery (> 0) and facilitation (>= 0) time constants (ms).
    """

    U: float
    tau_rec: float
    tau_facil: float

    def check(self, where: str) -> None:
        """Raise :class:`ParameterError` naming the first parameter out of range."""
        _finite(where, self, ("U", "tau_rec", "tau_facil"))
        if not 0.0 <= self.U <= 1.0:
            raise ParameterError(f"{where}: U = {self.U!r} must lie in [0, 1]")
        if self.tau_rec <= 0:
            raise ParameterError(f"{where}: tau_rec = {self.tau_rec!r} ms must be > 0")
        if self.tau_facil < 0:
            raise ParameterError(f"{where}: tau_facil = {self.tau_facil!r} ms must be >= 0")


@dataclass(frozen=True)
class StochasticSpec:
    """Stochastic release: PyNN's ``SimpleStochasticSynapse``.

    Each presynaptic spike crosses each synapse with probability ``p``, independently of
    every other synapse and spike; otherwise nothing arrives.  The weight never changes.

    Attributes
    ----------
    p
        Release probability, in ``[0, 1]``.
    """

    p: float

    def check(self, where: str) -> None:
        """Raise :class:`ParameterError` when ``p`` is not a number in ``[0, 1]``."""
        _finite(where, self, ("p",))
        if not 0.0 <= self.p <= 1.0:
            raise ParameterError(f"{where}: p = {self.p!r} must lie in [0, 1]")


@dataclass(frozen=True)
class StructuralStaticSpec:
    """The rule of sPyNNaker's ``StructuralMechanismStatic`` synapses: fixed weights.

    The synapses are formed and removed by the projection's :class:`StructuralSpec`; a
    present synapse delivers its weight, an absent one nothing.  No parameters.
    """

    def check(self, where: str) -> None:
        """Nothing to check (the rewiring parameters live in :class:`StructuralSpec`)."""


@dataclass
class StructuralSpec:
    """Structural plasticity of one projection (sPyNNaker's synaptogenesis).

    The projection's synapses (``ProjectionSpec.pre_index`` ...) are every potential
    synapse: one per (pre, post) pair with ``initial_weight`` and ``initial_delay`` (the one
    a formation uses, listed pre-major: pair ``(j, i)`` is synapse ``j * n_post + i``), then
    one per connector synapse whose weight or delay differs from those.  ``count`` says how
    many synapses each stands for at the start (0: absent).  docs/ENGINE.md, "Structural
    plasticity", states the rules.

    Attributes
    ----------
    n_pre, n_post
        Neurons of the pre and post population (the projection joins whole populations).
    s_max
        Slots per post neuron: its largest fan-in.
    f_rew
        Rewiring attempts per second (Hz) per post population.
    initial_weight
        Weight of a formed synapse (nA or uS, >= 0).
    initial_delay_steps
        Delay of a formed synapse (steps).
    with_replacement
        Whether a formation may connect an already connected pair once more.
    seed
        Seed of the rewiring's generators.
    partner
        ``"random"`` (RandomSelection) or ``"last"`` (LastNeuronSelection).
    spike_buffer_size
        LastNeuronSelection: spikes of the last step kept per core.
    grid
        DistanceDependentFormation's (x, y) grid (whole numbers).
    p_form_forward, sigma_form_forward, p_form_lateral, sigma_form_lateral
        Peak probabilities (in [0, 1]) and spreads (grid units, >= 0).
    threshold, prob_elim_depressed, prob_elim_potentiated
        RandomByWeightElimination: weight threshold (the weights' unit) and probabilities.
    count
        int64 array: synapses each potential synapse stands for at the start.
    slots
        int64 array ``[n_post, s_max]``: potential synapse in each slot at the start, -1:
        empty.
    """

    n_pre: int
    n_post: int
    s_max: int
    f_rew: float
    initial_weight: float
    initial_delay_steps: int
    with_replacement: bool
    seed: int
    partner: str
    spike_buffer_size: int
    grid: tuple[int, int]
    p_form_forward: float
    sigma_form_forward: float
    p_form_lateral: float
    sigma_form_lateral: float
    threshold: float
    prob_elim_depressed: float
    prob_elim_potentiated: float
    count: IntArray
    slots: IntArray


@dataclass(frozen=True)
class NeuromodulationSpec:
    """Dopamine release: sPyNNaker's ``extra_models.Neuromodulation`` synapses.

    A spike through one adds ``+weight`` (reward) or ``-weight`` (punishment) to its
    target neuron's dopamine level ``D``; nothing reaches the neuron's inputs.  Every STDP
    projection into the target population becomes dopamine-modulated with these
    parameters (:attr:`STDPSpec.tau_c`; docs/ENGINE.md, "Plasticity").

    Attributes
    ----------
    tau_c, tau_d
        Eligibility and dopamine time constants (ms, > 0).
    w_min, w_max
        Bounds of the modulated weights (``0 <= w_min <= w_max``).
    reward
        True: reward (``D`` rises); False: punishment (``D`` falls).
    """

    tau_c: float
    tau_d: float
    w_min: float
    w_max: float
    reward: bool = True

    @property
    def da(self) -> float:
        """The sign of the dopamine a spike releases (+1 reward, -1 punishment)."""
        return 1.0 if self.reward else -1.0

    def check(self, where: str) -> None:
        """Raise :class:`ParameterError` naming the first parameter out of range."""
        _finite(where, self, ("tau_c", "tau_d", "w_min", "w_max"))
        for name in ("tau_c", "tau_d"):
            if getattr(self, name) <= 0:
                raise ParameterError(f"{where}: {name} = {getattr(self, name)!r} ms must be > 0")
        if self.w_min < 0 or self.w_max < 0:
            raise ParameterError(
                f"{where}: w_min = {self.w_min!r} and w_max = {self.w_max!r} must be >= 0"
            )
        if self.w_min > self.w_max:
            raise ParameterError(
                f"{where}: w_min = {self.w_min!r} is greater than w_max = {self.w_max!r}"
            )


@dataclass(frozen=True)
class WeightChangeableSpec:
    """sPyNNaker's ``WeightChangeable``: synapses whose weights a ``WeightChanger`` changes.

    They transmit their weight as static synapses do; the weight (a magnitude, nA or uS)
    stays in ``[w_min, w_max]`` (docs/ENGINE.md, "Plasticity").
    """

    w_min: float
    w_max: float

    def check(self, where: str) -> None:
        """Raise :class:`ParameterError` for bounds that are not ``0 <= w_min < w_max``."""
        _finite(where, self, ("w_min", "w_max"))
        if not 0.0 <= self.w_min < self.w_max:
            raise ParameterError(
                f"{where}: weight_min = {self.w_min!r} and weight_max = {self.w_max!r} must "
                "satisfy 0 <= weight_min < weight_max"
            )


@dataclass(frozen=True)
class WeightChangerSpec:
    """sPyNNaker's ``WeightChanger``: each spike changes the weights of another projection.

    A spike of presynaptic neuron ``k`` through a synapse ``k -> j`` of weight ``dw``
    (signed) adds ``dw`` to the weight of synapse ``k -> j`` of the changeable projection
    (``targets``: its spec projections), clipped to that projection's ``[w_min, w_max]``.
    """

    w_min: float
    w_max: float
    targets: tuple[int, ...]

    def check(self, where: str) -> None:
        """Raise :class:`ParameterError` for bad bounds or no target."""
        WeightChangeableSpec(self.w_min, self.w_max).check(where)
        if not self.targets:
            raise ParameterError(f"{where}: a WeightChanger needs the projection it changes")


PlasticitySpec = (
    STDPSpec
    | TsodyksMarkramSpec
    | StochasticSpec
    | StructuralStaticSpec
    | NeuromodulationSpec
    | WeightChangeableSpec
    | WeightChangerSpec
)

#: The rule parameters that may differ from synapse to synapse of one projection
#: (``ProjectionSpec.rule_params``).  ``tau_minus`` may not: the depression trace belongs
#: to the postsynaptic neuron.
VARIABLE_RULE_PARAMS: dict[type, tuple[str, ...]] = {
    STDPSpec: (
        "tau_plus",
        "A_plus",
        "A_minus",
        "w_min",
        "w_max",
        "alpha",
        "tau_x",
        "A3_plus",
        "A3_minus",
    ),
    TsodyksMarkramSpec: ("U", "tau_rec", "tau_facil"),
    StochasticSpec: ("p",),
    NeuromodulationSpec: (),
    WeightChangeableSpec: (),
    WeightChangerSpec: (),
}


#: Most distinct plasticity rules in one network (each distinct combination of a rule's
#: parameter values is a rule).  The engine keeps a synapse's rule in 15 bits, and each
#: rule costs blocks and row segments of its own (a segment holds one source neuron's
#: synapses of one rule on one target core) and, for STDP, an exponential table.
MAX_RULES = 1 << 14


def check_rule_param_names(where: str, rule: PlasticitySpec, names: list[str]) -> None:
    """Raise :class:`ParameterError` for a rule parameter that may not vary per synapse."""
    allowed = VARIABLE_RULE_PARAMS.get(type(rule), ())
    for name in names:
        if name not in allowed:
            why = (
                "tau_minus is one value per postsynaptic population (the depression "
                "trace belongs to the postsynaptic neuron)"
                if name == "tau_minus"
                else f"the {type(rule).__name__} parameters that may vary per synapse "
                f"are {', '.join(allowed)}"
            )
            raise ParameterError(f"{where}: {name} cannot vary per synapse: {why}")


def distinct_rules(
    where: str, rule: PlasticitySpec, params: dict[str, FloatArray], n: int
) -> tuple[list[PlasticitySpec], IntArray]:
    """Return the distinct rules that per-synapse values make of ``rule``, and each synapse's.

    ``params``: parameter name -> one value per synapse (``n`` synapses; names in
    ``VARIABLE_RULE_PARAMS``).  The rules are not checked (see their ``check``).
    """
    names = sorted(params)
    check_rule_param_names(where, rule, names)
    if not names:
        return [rule], np.zeros(n, np.int64)
    table = np.stack([np.asarray(params[k], dtype=np.float64) for k in names], axis=1)
    rows, inverse = np.unique(table, axis=0, return_inverse=True)
    # the constructor with keywords: dataclasses.replace costs several times more, and a
    # projection may have thousands of distinct rules
    base = {f.name: getattr(rule, f.name) for f in dataclasses.fields(rule)}
    make = type(rule)
    rules: list[PlasticitySpec] = [
        make(**{**base, **dict(zip(names, row, strict=True))}) for row in rows.tolist()
    ]
    return rules, np.asarray(inverse, dtype=np.int64).reshape(-1)


def check_weight_bounds(
    where: str, weight: FloatArray, w_min: float | FloatArray, w_max: float | FloatArray
) -> None:
    """Raise :class:`ParameterError` naming the first weight outside its ``[w_min, w_max]``.

    ``w_min`` and ``w_max`` are one value or one per synapse.
    """
    w = np.asarray(weight, dtype=np.float64)
    lo = np.broadcast_to(np.asarray(w_min, dtype=np.float64), w.shape)
    hi = np.broadcast_to(np.asarray(w_max, dtype=np.float64), w.shape)
    bad = (w < lo) | (w > hi) | ~np.isfinite(w)
    if np.any(bad):
        k = int(np.flatnonzero(bad)[0])
        raise ParameterError(
            f"{where}: weight {float(w[k])!r} of synapse {k} lies outside "
            f"[w_min, w_max] = [{float(lo[k])!r}, {float(hi[k])!r}]"
        )


def _finite(where: str, spec: object, names: tuple[str, ...]) -> None:
    for name in names:
        value = getattr(spec, name)
        if not isinstance(value, int | float) or not np.isfinite(value):
            raise ParameterError(f"{where}: {name} must be a finite number, got {value!r}")


@dataclass
class ProjectionSpec:
    """Static synapses between two populations, one entry per synapse.

    Attributes
    ----------
    pre, post
        Population ids.
    pre_index, post_index
        int64 arrays: neuron index within the pre and post population.
    weight
        float64 array: nA (current-based) or uS (conductance-based); never negative, the
        receptor decides the sign.
    delay_steps
        int64 array: delay in time steps, at least 1.
    receptor
        int64 array of receptor indices (``EXCITATORY`` or ``INHIBITORY``).
    plasticity
        ``None`` (static synapses), an :class:`STDPSpec`, a :class:`TsodyksMarkramSpec` or
        a :class:`StochasticSpec`: the projection's rule.
    rule_params
        ``None`` (every synapse follows ``plasticity``), or rule parameter name -> float64
        array, one value per synapse, for the parameters that differ between synapses
        (names in ``VARIABLE_RULE_PARAMS``); synapse ``k`` follows ``plasticity`` with
        these values.  The values that ``plasticity`` holds for such a parameter are a
        summary: ``w_min`` the smallest, ``w_max`` the largest (so a weight check against
        ``plasticity`` alone is a necessary condition), the others synapse 0's.
    """

    id: int
    pre: int
    post: int
    pre_index: IntArray
    post_index: IntArray
    weight: FloatArray
    delay_steps: IntArray
    receptor: IntArray
    label: str = ""
    plasticity: PlasticitySpec | None = None
    rule_params: dict[str, FloatArray] | None = None
    #: structural plasticity (sPyNNaker's StructuralMechanism*), or None
    structural: StructuralSpec | None = None

    def synapse_rules(self) -> tuple[list[PlasticitySpec], IntArray]:
        """Return the projection's distinct rules and each synapse's index into them.

        Raises :class:`ParameterError` for a ``rule_params`` that does not fit the rule
        (an unknown name, or one value per synapse missing).
        """
        n = len(self.pre_index)
        rule = self.plasticity
        if rule is None:
            return [], np.zeros(n, np.int64)
        params = self.rule_params or {}
        if not params:
            return [rule], np.zeros(n, np.int64)
        self.check_rule_params()
        return distinct_rules(f"projection {self.label or self.id!r}", rule, params, n)

    def check_rule_params(self) -> None:
        """Raise :class:`ParameterError` for ``rule_params`` that do not fit the rule.

        (A name that may not vary, or not one value per synapse.)  The values themselves
        are checked by the rules (``check``).
        """
        if not self.rule_params or self.plasticity is None:
            return
        n = len(self.pre_index)
        where = f"projection {self.label or self.id!r}"
        check_rule_param_names(where, self.plasticity, sorted(self.rule_params))
        for name, values in self.rule_params.items():
            if np.shape(values) != (n,):
                raise ParameterError(
                    f"{where}: rule_params[{name!r}] must hold one value per synapse ({n}), "
                    f"got shape {np.shape(values)}"
                )

    def rule_param(self, name: str) -> FloatArray:
        """Return one rule parameter per synapse (float64 array)."""
        if self.rule_params and name in self.rule_params:
            return np.asarray(self.rule_params[name], dtype=np.float64)
        return np.full(len(self.pre_index), float(getattr(self.plasticity, name)))

    def weight_bounds(self) -> tuple[FloatArray, FloatArray]:
        """Return each STDP synapse's weight bounds (two float64 arrays).

        A dopamine-modulated synapse's are the Neuromodulation's ``nm_w_min``, ``nm_w_max``
        (its ``w_min``, ``w_max`` bound the eligibility).
        """
        rule = self.plasticity
        if isinstance(rule, STDPSpec) and rule.tau_c:
            n = len(self.pre_index)
            return np.full(n, rule.nm_w_min), np.full(n, rule.nm_w_max)
        return self.rule_param("w_min"), self.rule_param("w_max")


def spike_stamps(times: npt.ArrayLike, dt: float) -> npt.NDArray[np.int64]:
    """Return the stamps of spike times (ms): ``floor(t/dt + 0.5)`` (docs/ENGINE.md).

    The one rule for every spike time given in ms (SpikeSourceArray times, injected
    spikes): a time halfway between two steps goes to the later one.  Times must be
    finite (checked by the callers, which name the object).
    """
    t = np.asarray(times, dtype=np.float64)
    return np.floor(t / dt + 0.5).astype(np.int64)


def first_step_at(t: float, dt: float) -> float:
    """Return the first step whose start time is at or after ``t`` ms (``inf`` stays ``inf``).

    docs/ENGINE.md's rule for a current source's times: ``m_T = ceil(T/dt - 1e-9)``.
    """
    return math.inf if math.isinf(t) else math.ceil(t / dt - 1e-9)


@dataclass
class CurrentSourceSpec:
    """A current source (PyNN's DCSource, ACSource, StepCurrentSource, NoisyCurrentSource).

    Attributes
    ----------
    kind
        ``"dc"``, ``"ac"``, ``"step"`` or ``"noisy"``.
    params
        dc: amplitude (nA), start, stop (ms); ac: amplitude, offset (nA), frequency (Hz),
        phase (deg), start, stop; step: times (ms, array), amplitudes (nA, array);
        noisy: mean, stdev (nA), dt (ms), start, stop.  ``stop`` may be ``inf``.
    targets
        ``(population id, int64 index array)`` pairs that receive the current.
    """

    id: int
    kind: str
    params: dict[str, float | FloatArray]
    targets: list[tuple[int, IntArray]] = field(default_factory=list)


@dataclass
class NetworkSpec:
    """A whole network plus the run-wide settings that shape it."""

    dt: float
    seed: int
    populations: list[PopulationSpec] = field(default_factory=list)
    projections: list[ProjectionSpec] = field(default_factory=list)
    current_sources: list[CurrentSourceSpec] = field(default_factory=list)
    #: ``None``: start with one board and grow by whole boards; an int: exactly that many.
    n_boards: int | None = None
