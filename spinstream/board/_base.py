"""The Board interface: what the session needs from anything that runs a mapped network.

Time is counted in steps.  A spike carries a *stamp*: the step number at whose end it was
emitted counts as ``stamp = step + 1`` (so a spike stamped ``s`` happened at ``s * dt`` ms),
as NEST stamps spikes.  See ``docs/ENGINE.md`` for the full step semantics.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from spinstream.model import EngineError, MappingPlan, NetworkSpec


@dataclass
class ChunkResult:
    """What a board recorded during one call of :meth:`Board.run`.

    Attributes
    ----------
    first_step
        The step at which the call started (time ``first_step * dt``).
    n_steps
        Steps run.
    spikes
        Population id -> ``(stamps, indices)``: int64 stamps (spike time = stamp * dt) and
        int64 neuron indices, ordered by stamp.  Every population whose spikes are recorded
        (:meth:`Board.set_recording`) appears, with empty arrays if it did not spike.
    samples
        ``(population id, variable)`` -> ``(stamps, values)``: int64 sample stamps (sample
        time = stamp * dt) and float64 values of shape ``(len(stamps), n_recorded)`` in the
        order of the indices given to :meth:`Board.set_recording`.
    currents
        Current source id -> float64 current (nA) of each step run, ``n_steps`` values
        (step ``first_step + k`` at position ``k``), averaged over the source's targets,
        for every source recorded (:meth:`Board.set_current_recording`).
    """

    first_step: int
    n_steps: int
    spikes: dict[int, tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]] = field(
        default_factory=dict
    )
    samples: dict[tuple[int, str], tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]] = field(
        default_factory=dict
    )
    currents: dict[int, npt.NDArray[np.float64]] = field(default_factory=dict)


class Board(abc.ABC):
    """A machine that runs a mapped network in chunks of steps.

    Every method other than :meth:`run` is called between runs; changes take effect at the
    first step of the next run.  :meth:`run` may be called from a worker thread.
    """

    @abc.abstractmethod
    def load(self, spec: NetworkSpec, plan: MappingPlan) -> None:
        """Load a network; the board's step counter starts at 0."""

    @property
    @abc.abstractmethod
    def step(self) -> int:
        """Number of steps run since load or the last :meth:`reset`."""

    @abc.abstractmethod
    def run(self, n_steps: int) -> ChunkResult:
        """Run ``n_steps`` steps of all cores and return what was recorded meanwhile."""

    @abc.abstractmethod
    def set_recording(
        self,
        pop: int,
        variable: str,
        indices: npt.NDArray[np.int64] | None,
        interval_steps: int = 1,
    ) -> None:
        """Record ``variable`` ("spikes" or a state variable) of the given neurons.

        ``indices=None`` turns recording of that variable off.  State is sampled at every
        stamp that is a multiple of ``interval_steps``.
        """

    @abc.abstractmethod
    def get_parameters(
        self, pop: int, name: str, indices: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float64]:
        """Return the current values of a parameter (PyNN units)."""

    @abc.abstractmethod
    def set_parameters(
        self,
        pop: int,
        name: str,
        indices: npt.NDArray[np.int64],
        values: npt.NDArray[np.float64],
    ) -> None:
        """Change a parameter of some neurons."""

    @abc.abstractmethod
    def get_state(
        self, pop: int, name: str, indices: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float64]:
        """Return the current values of a state variable (PyNN units)."""

    @abc.abstractmethod
    def set_state(
        self,
        pop: int,
        name: str,
        indices: npt.NDArray[np.int64],
        values: npt.NDArray[np.float64],
    ) -> None:
        """Overwrite a state variable of some neurons."""

    @abc.abstractmethod
    def schedule_spikes(
        self,
        pop: int,
        indices: npt.NDArray[np.int64],
        stamps: npt.NDArray[np.int64],
    ) -> None:
        """Make neurons of a spike-source population emit spikes stamped ``stamps``.

        Valid for ``SpikeSourceArray`` and ``SpikeInjector`` populations.  Every stamp must
        be ``>= step``; a spike stamped ``s`` reaches its targets ``delay`` steps later.
        """

    def set_spike_times(
        self,
        pop: int,
        indices: npt.NDArray[np.int64],
        times: Sequence[npt.ArrayLike],
    ) -> None:
        """Give neurons of a ``SpikeSourceArray`` new spike times (ms), one array per index.

        What those neurons have not emitted yet (their scheduled and injected spikes) is
        replaced by the new times whose stamp ``round(t/dt)`` lies ahead: ``> step``, or
        ``>= 0`` at step 0 (a spike stamped ``<= step`` went out during an earlier step).
        :meth:`reset` replays the new lists.  Bad input changes nothing.
        """
        raise EngineError(f"{type(self).__name__} cannot change spike times once loaded")

    @abc.abstractmethod
    def set_current_source(self, source: int, params: dict[str, object]) -> None:
        """Change parameters of a current source (same keys as ``CurrentSourceSpec``)."""

    def set_current_recording(self, source: int, on: bool) -> None:
        """Record (or stop recording) the current a source gives, step by step.

        The value of a step is the current applied during it, averaged over the source's
        targets (a noisy source draws per target).  It is kept across :meth:`load`.
        """
        raise EngineError(f"{type(self).__name__} cannot record current sources")

    #: Longest synaptic delay (steps) the board can hold (``None``: no bound of its own).
    max_delay_steps: int | None = None

    def set_synapses(
        self,
        projection: int,
        indices: npt.NDArray[np.int64] | None = None,
        weight: npt.ArrayLike | None = None,
        delay_steps: npt.ArrayLike | None = None,
    ) -> None:
        """Change the weights and/or delays of some synapses of a projection.

        ``indices`` are positions in the projection's spec order (``None``: all);
        ``weight`` (nA or uS, finite and ``>= 0``: the receptor gives the sign) and
        ``delay_steps`` (whole steps in ``[1, max_delay_steps]``) are one value or one per
        index.  Spikes emitted from the next step on use the new values; spikes already
        on their way (in the delay rings) keep the weight and delay they were sent with.
        Neuron state is untouched, and :meth:`reset` keeps the new values.  Plastic
        synapses: new weights replace the current ones and become what :meth:`reset`
        restores; their delays may not change once loaded.  Bad values change nothing.
        """
        raise EngineError(f"{type(self).__name__} cannot change synapses once loaded")

    def get_weights(self, projection: int) -> npt.NDArray[np.float64]:
        """Return the current weights (nA or uS) of a projection's synapses, in spec order.

        Boards that run plastic synapses override this; the default serves static ones.
        """
        raise EngineError(f"{type(self).__name__} cannot read synaptic weights")

    def get_synapse_counts(self, projection: int) -> npt.NDArray[np.int64] | None:
        """Return how many synapses each potential synapse of a structural projection is now.

        None for other projections, and on boards without structural plasticity.
        """
        return None

    @abc.abstractmethod
    def reset(self) -> None:
        """Back to step 0: state to the initial values, scheduled spikes re-armed."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Free what the board holds."""
