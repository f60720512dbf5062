"""sPyNNaker's ``Population``: its extra arguments, and its recording names.

* ``size`` may be a float equal to a whole number; ``cellclass`` may be a class given
  without parameters (its defaults).
* ``additional_parameters={...}`` and extra keywords (``seed=``, ``neurons_per_core=``,
  ``n_synapse_cores=``, ...) go to :func:`spinstream.pyNN._extras.apply_extras`.
* Populations made after ``set_number_of_neurons_per_core(type, n)`` get ``n`` neurons per
  core unless they say otherwise (``neurons_per_core=``, or a splitter that puts them on
  one core: sPyNNaker's ``SplitterOneToOneLegacy``).
* ``gsyn_exc`` / ``gsyn_inh`` on current-based cells: on ``IF_curr_exp`` and
  ``IF_curr_alpha`` the synaptic current (the data of ``isyn_exc`` / ``isyn_inh``, nA); on
  ``IF_curr_delta`` the summed weight of the spikes that arrived in each step (mV, the jump
  they gave ``v``), recorded from the engine's hidden ``_input_exc`` / ``_input_inh`` rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import neo
from pyNN.standardmodels import StandardCellType

import spinstream.pyNN as _sim
from spinstream.board import describe_model
from spinstream.pyNN import Recorder, RecordingError, one_core_asked
from spinstream.spinnaker._control import neurons_per_core_for

__all__ = ["Population", "SpiNNakerRecorder"]

#: sPyNNaker's recording name -> the variable that holds it on current-based cells
GSYN_AS_ISYN = {"gsyn_exc": "isyn_exc", "gsyn_inh": "isyn_inh"}
#: ... on delta cells: engine rows that are not PyNN recordables, and their units
GSYN_AS_INPUT = {"gsyn_exc": "_input_exc", "gsyn_inh": "_input_inh"}
_INPUT_UNITS = "mV"


def _keeps_input_rows(celltype: Any) -> bool:
    """Whether the cell's engine model keeps each step's delta input (``_input_exc``)."""
    described = describe_model(type(celltype).__name__)
    return described is not None and GSYN_AS_INPUT["gsyn_exc"] in described.state


class SpiNNakerRecorder(Recorder):
    """A :class:`Recorder` that also takes ``gsyn_exc``/``gsyn_inh`` on current-based cells."""

    def __init__(self, population: Any, file: Any = None) -> None:
        super().__init__(population, file)
        #: engine variable -> the names the user recorded it under (isyn_exc, gsyn_exc)
        self.user_names: dict[str, set[str]] = {}

    def _aliases(self) -> dict[str, str]:
        celltype = self.population.celltype
        rec = celltype.recordable
        if "gsyn_exc" not in rec and _keeps_input_rows(celltype):
            return dict(GSYN_AS_INPUT)
        return {g: i for g, i in GSYN_AS_ISYN.items() if g not in rec and i in rec}

    def _can_record(self, name: str) -> bool:
        return name in self._aliases().values() or super()._can_record(name)

    def _units(self, name: str) -> str:
        if name in GSYN_AS_INPUT.values():
            return _INPUT_UNITS
        return super()._units(name)

    def _all_names(self) -> list[str]:
        """Return what ``"all"`` means on sPyNNaker: its names (gsyn), not the isyn ones."""
        aliases = self._aliases()
        engine_to_gsyn = {e: g for g, e in aliases.items()}
        names = [engine_to_gsyn.get(n, n) for n in self.population.celltype.recordable]
        return list(dict.fromkeys([*names, *aliases]))

    def _variables(self, variables: str | Iterable[str]) -> list[str]:
        names = self._all_names() if variables == "all" else super()._variables(variables)
        aliases = self._aliases()
        celltype = self.population.celltype
        for name in names:
            if name in GSYN_AS_ISYN and name not in celltype.recordable and not aliases:
                raise RecordingError(
                    name,
                    celltype,
                    f"Population {self.population.label!r}",
                    f"cannot record {name!r} from {type(celltype).__name__}: it has no "
                    "synaptic conductance or current state (a delta synapse moves v "
                    f"directly); recordable: {', '.join(celltype.recordable)}",
                )
        return list(dict.fromkeys(aliases.get(n, n) for n in names))

    def _user_names(self, variables: Any) -> list[str]:
        if variables == "all":
            return self._all_names()
        return [variables] if isinstance(variables, str) else list(variables)

    def record(self, variables: Any, indices: Any, sampling_interval: float | None = None) -> None:
        """As :meth:`Recorder.record`; gsyn names on current-based cells record isyn."""
        super().record(variables, indices, sampling_interval)
        aliases = self._aliases()
        for name in self._user_names(variables):
            self.user_names.setdefault(aliases.get(name, name), set()).add(name)

    def reset(self) -> None:
        """Stop recording everything."""
        super().reset()
        self.user_names = {}

    def get(
        self,
        variables: str | Iterable[str] = "all",
        filter_indices: Any = None,
        clear: bool = False,
        annotations: Any = None,
    ) -> neo.Block:
        """Return the data as a neo Block; each signal under the name(s) it was asked for.

        A current recorded as ``gsyn_exc`` is named ``gsyn_exc``; recorded under both
        names, it appears under both (with the neurons of both ``record()`` calls).
        """
        aliases = self._aliases()
        if variables == "all":
            order = [*self.population.celltype.recordable, *aliases.values()]
            user = [
                name
                for var in dict.fromkeys(order)
                if var in self.recorded
                for name in sorted(self.user_names.get(var, {var}))
            ]
        else:
            user = self._user_names(variables)
        engine = list(dict.fromkeys(aliases.get(n, n) for n in user))
        block = super().get(engine, filter_indices, clear, annotations)
        for segment in block.segments:
            by_name = {s.name: s for s in segment.analogsignals}
            signals = []
            for name in dict.fromkeys(user):
                signal = by_name.get(aliases.get(name, name))
                if signal is None:
                    continue
                if signal.name != name:
                    signal = signal.copy()
                    signal.name = name
                    signal.segment = segment
                signals.append(signal)
            segment.analogsignals = signals
        return block


def _size(size: Any, label: str | None) -> Any:
    """SPyNNaker takes sizes given as floats equal to whole numbers."""
    if isinstance(size, float):
        if not size.is_integer():
            raise ValueError(
                f"Population {label!r}: size must be a whole number of neurons, got {size!r}"
            )
        return int(size)
    return size


class Population(_sim.Population):  # type: ignore[misc]
    """A PyNN Population with sPyNNaker's extra arguments and recording names.

    Parameters
    ----------
    size
        Number of neurons (an int, or a float equal to one).
    cellclass
        A cell type instance, or a cell type class (with ``cellparams``, or its defaults).
    additional_parameters, additional_kwargs
        sPyNNaker's extra arguments, merged (see docs/PYNN.md): ``seed`` seeds this
        population's board generators, ``neurons_per_core`` / ``max_atoms_per_core`` bound
        its cores, ``splitter`` (or ``splitter_object``) takes sPyNNaker's splitter objects
        whose split the board makes (:mod:`spinstream.pyNN._splitters`); hardware tuning
        (``n_synapse_cores``, ``spikes_per_second``, ...) is checked and has no effect;
        unknown names raise.
    """

    _recorder_class = SpiNNakerRecorder

    def __init__(
        self,
        size: Any,
        cellclass: Any,
        cellparams: Mapping[str, Any] | None = None,
        structure: Any = None,
        initial_values: Mapping[str, Any] | None = None,
        label: str | None = None,
        additional_parameters: Mapping[str, Any] | None = None,
        **additional_kwargs: Any,
    ) -> None:
        size = _size(size, label)
        if isinstance(cellclass, type):
            if not issubclass(cellclass, StandardCellType):
                raise TypeError(
                    f"Population {label!r}: cellclass must be a cell type, got {cellclass!r}"
                )
            cellclass = cellclass(**dict(cellparams or {}))
            cellparams = None
        # initial values given to a cell type's constructor (sPyNNaker's Izhikevich takes v
        # and u there); Population(initial_values=...) overrides them
        given = getattr(cellclass, "spinnaker_initial_values", None)
        if given:
            initial_values = {**given, **(initial_values or {})}
        extras = dict(additional_parameters or {})
        extras.update(additional_kwargs)
        # A splitter that puts the population on one core overrides the class's setting
        # (sPyNNaker's SplitterOneToOneLegacy ignores it), as neurons_per_core= does.
        explicit = "neurons_per_core" in extras or "max_atoms_per_core" in extras
        if not explicit and not one_core_asked(extras):
            per_type = neurons_per_core_for(cellclass)
            if per_type is not None:
                extras["neurons_per_core"] = per_type
        super().__init__(
            size, cellclass, cellparams, structure, initial_values, label, extras or None
        )
