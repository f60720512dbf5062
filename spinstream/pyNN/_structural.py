"""sPyNNaker's structural plasticity: synapses formed and removed while the network runs.

``StructuralMechanismStatic`` (fixed weights) and ``StructuralMechanismSTDP`` (weights that
also learn by STDP), with a partner selection (``RandomSelection``, ``LastNeuronSelection``),
a formation rule (``DistanceDependentFormation``) and an elimination rule
(``RandomByWeightElimination``): sPyNNaker 7's names, parameters, units and defaults.  The
connector makes the initial synapses; the engine then rewires ``f_rew`` times per second
per post population, each post neuron keeping at most ``s_max`` synapses
(``kernels_c/structural.c``; docs/ENGINE.md, "Structural plasticity", gives the rules).

A structural projection joins whole populations.  Its connections are the synapses present
now: ``len(proj)``, ``proj.get(...)`` and ``proj.connections`` read them from the board (a
pair connected twice, which ``with_replacement`` allows, appears twice, as in sPyNNaker);
``proj.stream("weight")`` has one column per potential synapse (every (pre, post) pair,
pre-major, then the connector's synapses whose weight or delay differ from the initial
ones), NaN where the synapse is absent.  ``proj.set(...)`` is refused: the rewiring owns
the synapses.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
from pyNN import errors

from spinstream.model import StructuralSpec, StructuralStaticSpec

__all__ = [
    "DistanceDependentFormation",
    "LastNeuronSelection",
    "RandomByWeightElimination",
    "RandomSelection",
    "StructuralMechanismSTDP",
    "StructuralMechanismStatic",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: sPyNNaker's defaults (synapse_dynamics_structural_common).
DEFAULT_F_REW = 10**4.0
DEFAULT_INITIAL_WEIGHT = 0.0
DEFAULT_INITIAL_DELAY = 1.0
DEFAULT_S_MAX = 32


def _number(owner: str, name: str, value: Any, lo: float, hi: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise errors.InvalidParameterValueError(f"{owner}: {name} must be a number, got {value!r}")
    v = float(value)
    if not (lo <= v <= hi) or not math.isfinite(v):
        span = f"[{lo}, {hi}]" if math.isfinite(hi) else f">= {lo}"
        raise errors.InvalidParameterValueError(f"{owner}: {name} = {value!r} must be {span}")
    return v


class RandomSelection:
    """Partner selection: a presynaptic neuron drawn uniformly from the whole population."""

    def __repr__(self) -> str:
        return "RandomSelection()"


class LastNeuronSelection:
    """Partner selection: one of the presynaptic neurons that spiked in the last step.

    One of the first ``spike_buffer_size`` presynaptic neurons whose spikes reached the
    target core in the previous time step; when there were none, no formation.
    """

    def __init__(self, spike_buffer_size: int = 64) -> None:
        if (
            isinstance(spike_buffer_size, bool)
            or not isinstance(spike_buffer_size, int | np.integer)
            or not 1 <= spike_buffer_size <= 1 << 20
        ):
            raise errors.InvalidParameterValueError(
                "LastNeuronSelection: spike_buffer_size must be a whole number in "
                f"[1, {1 << 20}], got {spike_buffer_size!r}"
            )
        self.spike_buffer_size = int(spike_buffer_size)

    def __repr__(self) -> str:
        return f"LastNeuronSelection(spike_buffer_size={self.spike_buffer_size})"


class DistanceDependentFormation:
    """Formation with probability ``p exp(-d^2 / (2 sigma^2))`` by the distance ``d``.

    Neuron ``k`` of a population sits at ``(k // grid[0], k % grid[1])`` on a periodic grid
    (a dimension of size 1 counts as 0); ``d`` is the Euclidean distance, in grid units,
    between the pre and the post neuron.  The forward parameters apply between two
    populations, the lateral ones within one (pre = post population).  ``grid``'s entries
    are truncated to whole numbers, as in sPyNNaker.
    """

    def __init__(
        self,
        grid: Any = (16, 16),
        p_form_forward: float = 0.16,
        sigma_form_forward: float = 2.5,
        p_form_lateral: float = 1.0,
        sigma_form_lateral: float = 1.0,
    ) -> None:
        owner = "DistanceDependentFormation"
        try:
            g = np.asarray(grid, dtype=np.float64).astype(int)
        except (TypeError, ValueError):
            g = np.zeros(0, int)
        if g.shape != (2,) or np.any(g < 1):
            raise errors.InvalidParameterValueError(
                f"{owner}: grid must be two whole numbers >= 1 (x, y), got {grid!r}"
            )
        self.grid = (int(g[0]), int(g[1]))
        self.p_form_forward = _number(owner, "p_form_forward", p_form_forward, 0.0, 1.0)
        self.sigma_form_forward = _number(owner, "sigma_form_forward", sigma_form_forward, 0.0)
        self.p_form_lateral = _number(owner, "p_form_lateral", p_form_lateral, 0.0, 1.0)
        self.sigma_form_lateral = _number(owner, "sigma_form_lateral", sigma_form_lateral, 0.0)

    def probability(self, pre: IntArray, post: IntArray, lateral: bool) -> FloatArray:
        """Return the formation probability of each (pre, post) pair of population indices."""
        gx, gy = self.grid
        pre = np.asarray(pre, np.int64)
        post = np.asarray(post, np.int64)
        dx = np.abs(pre // gx - post // gx) if gx > 1 else np.zeros_like(pre)
        dy = np.abs(pre % gy - post % gy) if gy > 1 else np.zeros_like(pre)
        dx = np.where(dx > gx // 2, gx - dx, dx)
        dy = np.where(dy > gy // 2, gy - dy, dy)
        d2 = (dx * dx + dy * dy).astype(np.float64)
        p = self.p_form_lateral if lateral else self.p_form_forward
        sigma = self.sigma_form_lateral if lateral else self.sigma_form_forward
        if sigma == 0:
            return np.where(d2 == 0, p, 0.0)
        return np.asarray(p * np.exp(-d2 / (2.0 * sigma * sigma)), dtype=np.float64)


class RandomByWeightElimination:
    """Elimination with a probability that depends on the synapse's weight.

    ``prob_elim_depressed`` for a synapse whose weight is below ``threshold``, else
    ``prob_elim_potentiated`` (static synapses: their fixed weight).
    """

    def __init__(
        self,
        threshold: float,
        prob_elim_depressed: float = 0.0245,
        prob_elim_potentiated: float = 1.36e-4,
    ) -> None:
        owner = "RandomByWeightElimination"
        self.threshold = _number(owner, "threshold", threshold, -math.inf)
        self.prob_elim_depressed = _number(
            owner, "prob_elim_depressed", prob_elim_depressed, 0.0, 1.0
        )
        self.prob_elim_potentiated = _number(
            owner, "prob_elim_potentiated", prob_elim_potentiated, 0.0, 1.0
        )


class _Structural:
    """The rewiring parameters both mechanisms share (sPyNNaker's structural common)."""

    partner_selection: Any
    formation: DistanceDependentFormation
    elimination: RandomByWeightElimination
    f_rew: float
    initial_weight: float
    initial_delay: float
    s_max: int
    with_replacement: bool
    seed: int | None

    def _set_structural(
        self,
        partner_selection: Any,
        formation: Any,
        elimination: Any,
        f_rew: Any,
        initial_weight: Any,
        initial_delay: Any,
        s_max: Any,
        with_replacement: Any,
        seed: Any,
    ) -> None:
        owner = type(self).__name__
        if not isinstance(partner_selection, RandomSelection | LastNeuronSelection):
            raise errors.InvalidParameterValueError(
                f"{owner}: partner_selection must be RandomSelection() or "
                f"LastNeuronSelection(), got {partner_selection!r}"
            )
        if not isinstance(formation, DistanceDependentFormation):
            raise errors.InvalidParameterValueError(
                f"{owner}: formation must be DistanceDependentFormation(...), got {formation!r}"
            )
        if not isinstance(elimination, RandomByWeightElimination):
            raise errors.InvalidParameterValueError(
                f"{owner}: elimination must be RandomByWeightElimination(...), got {elimination!r}"
            )
        if isinstance(initial_delay, tuple | list):
            raise errors.InvalidParameterValueError(
                f"{owner}: initial_delay = {initial_delay!r}: a range of delays for formed "
                "synapses is not supported on spinstream (each potential synapse has one "
                "delay); give one delay in ms"
            )
        if (
            isinstance(s_max, bool)
            or not isinstance(s_max, int | np.integer)
            or not 1 <= s_max <= 65535
        ):
            raise errors.InvalidParameterValueError(
                f"{owner}: s_max must be a whole number in [1, 65535], got {s_max!r}"
            )
        if not isinstance(with_replacement, bool | np.bool_):
            raise errors.InvalidParameterValueError(
                f"{owner}: with_replacement must be True or False, got {with_replacement!r}"
            )
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0
        ):
            raise errors.InvalidParameterValueError(
                f"{owner}: seed must be None or a whole number >= 0, got {seed!r}"
            )
        self.partner_selection = partner_selection
        self.formation = formation
        self.elimination = elimination
        self.f_rew = _number(owner, "f_rew", f_rew, 1e-300)
        self.initial_weight = _number(owner, "initial_weight", initial_weight, -math.inf)
        self.initial_delay = _number(owner, "initial_delay", initial_delay, 0.0)
        self.s_max = int(s_max)
        self.with_replacement = bool(with_replacement)
        self.seed = None if seed is None else int(seed)

    @property
    def p_rew(self) -> float:
        """Return the rewiring period (s), ``1 / f_rew``."""
        return 1.0 / self.f_rew


class StructuralMechanismStatic(_Structural):
    """Structural plasticity with fixed weights (sPyNNaker's ``StructuralMechanismStatic``).

    Parameters
    ----------
    partner_selection, formation, elimination
        The rules (``RandomSelection()`` or ``LastNeuronSelection()``,
        ``DistanceDependentFormation(...)``, ``RandomByWeightElimination(...)``).
    f_rew
        Rewiring attempts per second (Hz) per post population.
    initial_weight, initial_delay
        Weight (nA or uS) and delay (ms) of a formed synapse.
    s_max
        Largest fan-in of a post neuron (its slots).
    with_replacement
        True: a formation may connect an already connected pair once more.
    seed
        Seed of the rewiring (None: the network's seed).
    weight, delay
        Weight and delay of the connector's synapses (delay None: the minimum delay).
    """

    def __init__(
        self,
        partner_selection: Any,
        formation: Any,
        elimination: Any,
        f_rew: float = DEFAULT_F_REW,
        initial_weight: float = DEFAULT_INITIAL_WEIGHT,
        initial_delay: float = DEFAULT_INITIAL_DELAY,
        s_max: int = DEFAULT_S_MAX,
        with_replacement: bool = True,
        seed: int | None = None,
        weight: Any = 0.0,
        delay: Any = None,
    ) -> None:
        self._set_structural(
            partner_selection,
            formation,
            elimination,
            f_rew,
            initial_weight,
            initial_delay,
            s_max,
            with_replacement,
            seed,
        )
        self.weight = weight
        self.delay = delay


class StructuralMechanismSTDP(_Structural):
    """Structural plasticity whose synapses learn by STDP (``StructuralMechanismSTDP``).

    The rewiring parameters as :class:`StructuralMechanismStatic`'s; ``timing_dependence``,
    ``weight_dependence`` (and ``voltage_dependence=None``, ``dendritic_delay_fraction=1``)
    as ``STDPMechanism``'s.  ``backprop_delay=True`` (sPyNNaker's default) is the only
    choice: the whole delay is dendritic, so postsynaptic spikes reach the synapse at once.
    A formed synapse starts at ``initial_weight``, which must lie in ``[w_min, w_max]``.
    """

    def __init__(
        self,
        partner_selection: Any,
        formation: Any,
        elimination: Any,
        timing_dependence: Any,
        weight_dependence: Any,
        voltage_dependence: Any = None,
        dendritic_delay_fraction: float = 1.0,
        f_rew: float = DEFAULT_F_REW,
        initial_weight: float = DEFAULT_INITIAL_WEIGHT,
        initial_delay: float = DEFAULT_INITIAL_DELAY,
        s_max: int = DEFAULT_S_MAX,
        with_replacement: bool = True,
        seed: int | None = None,
        weight: Any = 0.0,
        delay: Any = None,
        backprop_delay: bool = True,
    ) -> None:
        self._set_structural(
            partner_selection,
            formation,
            elimination,
            f_rew,
            initial_weight,
            initial_delay,
            s_max,
            with_replacement,
            seed,
        )
        if backprop_delay is not True:
            raise errors.InvalidParameterValueError(
                f"StructuralMechanismSTDP: backprop_delay = {backprop_delay!r} is not "
                "supported: spinstream's STDP takes the whole delay as dendritic "
                "(backprop_delay=True, sPyNNaker's default)"
            )
        self.timing_dependence = timing_dependence
        self.weight_dependence = weight_dependence
        self.voltage_dependence = voltage_dependence
        self.dendritic_delay_fraction = dendritic_delay_fraction
        self.weight = weight
        self.delay = delay


STRUCTURAL_TYPES = (StructuralMechanismStatic, StructuralMechanismSTDP)


def synapse_type_for(mechanism: Any, simulator_types: Any) -> Any:
    """Return the PyNN synapse type a structural mechanism builds its synapses with.

    ``simulator_types``: the network's (StaticSynapse, STDPMechanism) classes.
    """
    static_cls, stdp_cls = simulator_types
    if isinstance(mechanism, StructuralMechanismSTDP):
        return stdp_cls(
            timing_dependence=mechanism.timing_dependence,
            weight_dependence=mechanism.weight_dependence,
            voltage_dependence=mechanism.voltage_dependence,
            dendritic_delay_fraction=mechanism.dendritic_delay_fraction,
            weight=mechanism.weight,
            delay=mechanism.delay,
        )
    return static_cls(weight=mechanism.weight, delay=mechanism.delay)


def candidates(
    mechanism: _Structural,
    where: str,
    n_pre: int,
    n_post: int,
    pre: IntArray,
    post: IntArray,
    weight: FloatArray,
    steps: IntArray,
    initial_weight: float,
    initial_steps: int,
) -> tuple[IntArray, IntArray, FloatArray, IntArray, IntArray, IntArray]:
    """Return every potential synapse of a structural projection, from the connector's.

    Returns ``(pre, post, weight, steps, count, slots)``: one potential synapse per pair
    (pre-major, ``initial_weight``, ``initial_steps``), then one per connector synapse whose
    weight or delay differs from those; ``count`` the synapses each stands for at the start,
    ``slots`` ``[n_post, s_max]`` each post neuron's initial synapses (-1: empty).  Raises
    ConnectionError when a post neuron gets more than ``s_max`` synapses from the connector.
    """
    n_pairs = n_pre * n_post
    fp = np.repeat(np.arange(n_pre, dtype=np.int64), n_post)
    fq = np.tile(np.arange(n_post, dtype=np.int64), n_pre)
    same = (weight == initial_weight) & (steps == initial_steps)
    extra = np.flatnonzero(~same)
    c_pre = np.concatenate([fp, pre[extra]])
    c_post = np.concatenate([fq, post[extra]])
    c_w = np.concatenate([np.full(n_pairs, initial_weight), weight[extra]])
    c_steps = np.concatenate([np.full(n_pairs, initial_steps, np.int64), steps[extra]])
    # each connector synapse: its potential synapse
    cand = np.empty(len(pre), np.int64)
    cand[same] = pre[same] * n_post + post[same]
    cand[extra] = n_pairs + np.arange(len(extra))
    count = np.bincount(cand, minlength=len(c_pre)).astype(np.int64)
    fan_in = np.bincount(post, minlength=n_post)
    s_max = mechanism.s_max
    if len(post) and fan_in.max() > s_max:
        i = int(np.argmax(fan_in))
        raise errors.ConnectionError(
            f"{where}: the connector gives post neuron {i} {int(fan_in[i])} synapses, more "
            f"than s_max = {s_max} (the largest fan-in of a structural projection)"
        )
    slots = np.full((n_post, s_max), -1, np.int64)
    order = np.argsort(post, kind="stable")
    sp = post[order]
    first = np.searchsorted(sp, sp, side="left")
    rank = np.arange(len(sp)) - first
    slots[sp, rank] = cand[order]
    return c_pre, c_post, c_w, c_steps, count, slots


def structural_spec(
    mechanism: _Structural,
    n_pre: int,
    n_post: int,
    initial_weight: float,
    initial_steps: int,
    seed: int,
    count: IntArray,
    slots: IntArray,
) -> StructuralSpec:
    """Return the engine's description of a structural projection's rewiring."""
    ps = mechanism.partner_selection
    f = mechanism.formation
    e = mechanism.elimination
    return StructuralSpec(
        n_pre=n_pre,
        n_post=n_post,
        s_max=mechanism.s_max,
        f_rew=mechanism.f_rew,
        initial_weight=initial_weight,
        initial_delay_steps=initial_steps,
        with_replacement=mechanism.with_replacement,
        seed=seed,
        partner="last" if isinstance(ps, LastNeuronSelection) else "random",
        spike_buffer_size=ps.spike_buffer_size if isinstance(ps, LastNeuronSelection) else 0,
        grid=f.grid,
        p_form_forward=f.p_form_forward,
        sigma_form_forward=f.sigma_form_forward,
        p_form_lateral=f.p_form_lateral,
        sigma_form_lateral=f.sigma_form_lateral,
        threshold=e.threshold,
        prob_elim_depressed=e.prob_elim_depressed,
        prob_elim_potentiated=e.prob_elim_potentiated,
        count=count,
        slots=slots,
    )


def static_rule() -> StructuralStaticSpec:
    """Return the engine's rule for StructuralMechanismStatic synapses."""
    return StructuralStaticSpec()


def is_stdp(mechanism: Any) -> bool:
    """Return whether a structural mechanism's synapses learn (StructuralMechanismSTDP)."""
    return isinstance(mechanism, StructuralMechanismSTDP)
