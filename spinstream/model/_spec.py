"""Plain-data description of a network, as handed from the front end to mapping and board.

Everything here is numbers and numpy arrays in PyNN units (ms, mV, nA, uS, nF, Hz);
no layer below the front end ever sees a PyNN object.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

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
