"""Population, PopulationView, Assembly and ID on top of PyNN's ``common`` classes.

Parameters, initial values and recording settings live in the runtime (its spec before the
network is loaded, the board after); these classes translate PyNN's calls into the
runtime's per-population, per-index calls.  They are not used directly: ``_backend`` makes
subclasses bound to one :class:`~spinstream.pyNN._state.State` (``_simulator``).
"""

from __future__ import annotations

import numbers
import weakref
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
from pyNN import common, errors
from pyNN import recording as pynn_recording
from pyNN.parameters import LazyArray, ParameterSpace, Sequence, simplify

from spinstream.model import (
    ParameterError,
    ParameterValueError,
    PopulationSpec,
    check_parameter,
    on_one_core,
    spike_stamps,
)
from spinstream.pyNN import _cells
from spinstream.pyNN._errors import (
    InvalidParameterValueError,
    NonExistentParameterError,
    RecordingError,
    about,
    removed,
)
from spinstream.pyNN._extras import apply_extras, atoms_per_core, atoms_shape, check_extras
from spinstream.pyNN._recording import Recorder
from spinstream.pyNN._splitters import n_neurons
from spinstream.pyNN._state import StaleObjectError, check_network
from spinstream.recording import neo as _neo

__all__ = ["ID", "Assembly", "Population", "PopulationView", "parent_indices"]

IntArray = npt.NDArray[np.int64]


class ID(int, common.IDMixin):  # type: ignore[misc]
    """A neuron: ``p[3].tau_m = 20.0``, ``p[3].record('v')``, ``p[3].initialize(v=-60)``."""

    def __init__(self, n: int) -> None:
        common.IDMixin.__init__(self)

    # The parent is held weakly: the Population holds its IDs in an object array, which
    # the garbage collector cannot look into, so a strong reference back would make a
    # cycle it never frees (and with it a closed network's runtime, board and data).  A
    # network's populations stay alive while it is open (its State lists them).
    @property
    def parent(self) -> Any:
        """The Population this neuron belongs to (``None`` once that is gone)."""
        ref = self.__dict__.get("_parent")
        return ref() if ref is not None else None

    @parent.setter
    def parent(self, population: Any) -> None:
        self.__dict__["_parent"] = weakref.ref(population)

    @property
    def id(self) -> int:
        """The neuron's ID as a plain ``int`` (sPyNNaker's ``IDMixin.id``)."""
        return int(self)

    def record(self, variables: Any, to_file: Any = None, sampling_interval: Any = None) -> None:
        """Record variables of this neuron."""
        self.as_view().record(variables, to_file=to_file, sampling_interval=sampling_interval)

    def initialize(self, **initial_values: Any) -> None:
        """Set initial values of this neuron's state variables."""
        self.as_view().initialize(**initial_values)


def _as_float_array(value: Any, size: int) -> npt.NDArray[np.float64]:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(size, float(arr))
    return arr


def _spike_time_list(values: Any, size: int, where: str) -> list[npt.NDArray[np.float64]]:
    """SpikeSourceArray's evaluated ``spike_times`` -> one sorted float array per neuron."""
    if isinstance(values, Sequence):
        items = [values] * size
    else:
        items = list(np.asarray(values, dtype=object).reshape(-1))
        if len(items) == 1 and size != 1:
            items = items * size
    out = []
    for i, item in enumerate(items):
        arr = np.asarray(item.value if isinstance(item, Sequence) else item, dtype=np.float64)
        arr = arr.reshape(-1)
        if arr.size and (not np.all(np.isfinite(arr)) or arr.min() < 0):
            raise errors.InvalidParameterValueError(
                f"{where}: spike_times of neuron {i} must be finite and >= 0 ms, "
                f"got {arr.tolist()}"
            )
        if arr.size > 1 and np.any(np.diff(arr) < 0):
            raise errors.InvalidParameterValueError(
                f"{where}: spike_times of neuron {i} must be sorted in increasing order, "
                f"got {arr.tolist()}"
            )
        out.append(arr)
    return out


def _check_values(
    celltype: Any, label: str | None, name: str, values: npt.NDArray[np.float64]
) -> None:
    """Check values with the engine model's own rule (``check_parameter``), as PyNN's error."""
    model = _cells.description_of(celltype)
    if model is None or name not in model.pynn_params:
        return  # not a parameter of the engine's model: the Runtime refuses it by name
    try:
        check_parameter(model, label, name, values)
    except ParameterValueError as err:
        raise InvalidParameterValueError(str(err)) from None


def _stream(
    obj: Any,
    members: list[Any],
    variable: str,
    sampling_interval: float | None,
    maxlen: int | None,
    lockstep: bool,
) -> Any:
    """Subscribe to ``variable`` of a population-like object (see ``stream``)."""
    for m in members:
        m._live_runtime  # noqa: B018 - raises for a stale member
    runtime = members[0]._runtime
    parts = [(m._spec_id, m._index_array()) for m in members]
    celltype_ok = all(m.celltype.can_record(variable) for m in members)
    if not celltype_ok:
        bad = next(m for m in members if not m.celltype.can_record(variable))
        raise RecordingError(variable, bad.celltype, bad._where)
    kw: dict[str, Any] = {"lockstep": lockstep}
    if maxlen is not None:
        kw["maxlen"] = maxlen
    if variable == "spikes":
        if sampling_interval is not None:
            raise ValueError(f"{obj.label!r}: spikes have no sampling interval")
        return runtime.subscribe_spikes(parts, **kw)
    steps = 1
    if sampling_interval is not None:
        dt = members[0]._simulator.state.dt
        steps = round(float(sampling_interval) / dt)
        if steps < 1 or abs(steps * dt - float(sampling_interval)) > 1e-9 * max(1.0, steps):
            raise ValueError(
                f"{obj.label!r}: sampling_interval {sampling_interval} ms must be a positive "
                f"whole multiple of the time step {dt} ms"
            )
    return runtime.subscribe_state(parts, variable, interval_steps=steps, **kw)


class _PopulationMixin:
    """What Population and PopulationView share: runtime access by grandparent indices."""

    celltype: Any
    size: int
    label: str
    _simulator: Any

    # -- where this object lives in the runtime -------------------------------------------

    # Population and PopulationView define these:
    _root: Population

    @property
    def _spec_id(self) -> int:
        return self._root._spec_id_value

    @property
    def _runtime(self) -> Any:
        root = self._root
        state = self._simulator.state
        if state.runtime is not root._owner:
            raise StaleObjectError(
                f"Population {root.label!r} belongs to a network that no longer exists "
                "(setup() was called again, or its session ended)"
            )
        return root._owner

    def __getitem__(self, index: Any) -> Any:
        """Return the neuron (ID) at an integer ``index``, or a view for other selectors."""
        if isinstance(index, (int, np.integer)) and not -self.size <= index < self.size:
            raise IndexError(
                f"{self._where}: neuron index {int(index)} is out of range for size {self.size}"
            )
        return super().__getitem__(index)  # type: ignore[misc]

    @property
    def _live_runtime(self) -> Any:
        """The runtime, to change or run something: refused once the network has ended."""
        runtime = self._runtime
        if runtime.closed:
            raise StaleObjectError(
                f"{self._where} belongs to a network that has ended (end() was called, or the "
                "session is closed): its recorded data can still be read, nothing else"
            )
        return runtime

    @property
    def _where(self) -> str:
        return f"Population {self.label!r}"

    # -- parameters --------------------------------------------------------------------

    def _index_array(self) -> IntArray:
        """Return the indices, in the root Population, of this object's neurons."""
        return self._root._all_indices()

    def _get_parameters(self, *names: str) -> ParameterSpace:
        valid = self.celltype.get_parameter_names()
        runtime = self._live_runtime
        idx = self._index_array()
        values: dict[str, Any] = {}
        for name in names:
            if name not in valid:
                raise NonExistentParameterError(name, self.celltype, valid, self._where)
            if name == "spike_times":
                times = self._root._spike_times
                arr = np.empty(len(idx), dtype=object)
                arr[:] = [Sequence(times[i]) for i in idx]
                values[name] = arr
            else:
                values[name] = simplify(
                    np.asarray(runtime.get_parameters(self._spec_id, name, idx), dtype=np.float64)
                )
        return ParameterSpace(values, shape=(self.size,))

    def _get_native_parameters(self, *names: str) -> ParameterSpace:
        return self._get_parameters(*names)

    def _set_parameters(self, parameter_space: ParameterSpace) -> None:
        where = self._where
        with about(where):
            parameter_space.evaluate(simplify=False)
        runtime = self._live_runtime
        idx = self._index_array()
        root = self._root
        for name, value in parameter_space.items():
            if name == "spike_times":
                times = _spike_time_list(value, self.size, where)
                root._set_spike_times(idx, times, where)
                continue
            values = _as_float_array(value, self.size)
            _check_values(self.celltype, self._root.label, name, values)
            runtime.set_parameters(self._spec_id, name, idx, values)

    def set(self, **parameters: Any) -> None:
        """Set parameters of every neuron (numbers, arrays, distributions, f(index)).

        Over several MPI processes a rank sets every cell's parameters, also where it
        updates none of the cells (every rank holds them all): PyNN's own ``set`` does
        nothing on a rank without local cells, which lost the input of a controller on rank
        0 (forwarded to every rank, docs/GUIDE.md) wherever rank 0 updated none of them.
        """
        with about(self._where):
            self._setting_all = True  # local_size: every cell, for PyNN's set
            try:
                super().set(**parameters)  # type: ignore[misc]
            finally:
                self._setting_all = False

    def set_by_selector(self, selector: Any, parameter: Any, value: Any = None) -> None:
        """SPyNNaker's ``set`` on a subset: ``selector`` is an index, slice, list or mask."""
        params = parameter if isinstance(parameter, Mapping) else {parameter: value}
        if isinstance(selector, (int, np.integer)):
            selector = [int(selector)]
        self[selector].set(**params)

    # -- initial values ------------------------------------------------------------------

    def initialize(self, **initial_values: Any) -> None:
        """Set the initial (and, mid-run, the current) values of state variables."""
        valid = list(self.celltype.default_initial_values)
        runtime = self._live_runtime
        idx = self._index_array()
        pending = []
        for name, value in initial_values.items():
            if name not in valid:
                raise NonExistentParameterError(name, self.celltype, valid, self._where)
            with about(self._where):
                try:
                    lazy = LazyArray(value, shape=(self.size,), dtype=float)
                except ValueError as err:  # a wrong shape: name what was given and where
                    raise errors.InvalidDimensionsError(
                        f"initial value of {name}: expected one value or {self.size}: {err}"
                    ) from None
                arr = lazy.evaluate(simplify=False)
            values = _as_float_array(arr, self.size)
            if not np.all(np.isfinite(values)):
                raise errors.InvalidParameterValueError(
                    f"{self._where}: initial value of {name} must be finite"
                )
            pending.append((name, values))
        for name, values in pending:
            runtime.set_state(self._spec_id, name, idx, values)

    def set_state(self, **values: Any) -> None:
        """SPyNNaker's name for :meth:`initialize`: set state variables now.

        As ``initialize``, it also sets the values that ``reset()`` restores.
        """
        self.initialize(**values)

    @property
    def current_values(self) -> dict[str, npt.NDArray[np.float64]]:
        """SPyNNaker's current values of every state variable (initial ones before a run)."""
        runtime = self._runtime
        idx = self._index_array()
        return {
            name: np.asarray(runtime.get_state(self._spec_id, name, idx), dtype=np.float64)
            for name in self.celltype.default_initial_values
        }

    @property
    def initial_values(self) -> dict[str, LazyArray]:
        """State variable -> initial values (as PyNN's lazy arrays)."""
        spec = self._root._spec
        idx = self._index_array()
        return {
            name: LazyArray(simplify(np.asarray(spec.initial[name])[idx]), shape=(self.size,))
            for name in self.celltype.default_initial_values
            if name in spec.initial
        }

    @initial_values.setter
    def initial_values(self, value: Mapping[str, Any]) -> None:
        # PyNN's Population.__init__ assigns {} before calling initialize(); the values
        # live in the runtime's spec.
        if value:
            self.initialize(**value)

    def _get_cell_initial_value(self, id: Any, variable: str) -> float:
        if variable not in self.celltype.default_initial_values:
            raise NonExistentParameterError(
                variable, self.celltype, list(self.celltype.default_initial_values), self._where
            )
        index = self._root.id_to_index(id)
        return float(self._root._spec.initial[variable][index])

    def _set_cell_initial_value(self, id: Any, variable: str, value: Any) -> None:
        index = int(self._root.id_to_index(id))
        self._root[index : index + 1].initialize(**{variable: value})

    def find_units(self, variable: Any) -> str:
        """Units of a parameter or recordable variable, as a string."""
        name = getattr(variable, "name", variable)
        try:
            return str(self.celltype.units[name])
        except KeyError:
            raise NonExistentParameterError(
                name, self.celltype, list(self.celltype.units), self._where
            ) from None

    # -- recording -----------------------------------------------------------------------

    def _record_filter_indices(self) -> IntArray | None:
        return None

    # -- MPI: which cells this process updates ----------------------------------------------

    def get(self, parameter_names: Any, gather: bool = False, simplify: bool = True) -> Any:
        """Return parameter values (PyNN's ``get``).

        Every MPI process holds every neuron's parameters (and reads state from the rank
        that updates it), so every rank gets all of them, whatever ``gather`` says (PyNN's
        own ``get`` shapes them to this rank's cells, ``local_size``).
        """
        single = isinstance(parameter_names, str)
        names = (parameter_names,) if single else tuple(parameter_names)
        space = self._get_parameters(*names)
        space.shape = (self.size,)
        space.evaluate(simplify=simplify)
        space.flatten()
        values = space.as_dict()
        try:
            out = [values[name] for name in names]
        except KeyError as err:
            raise errors.NonExistentParameterError(
                err.args[0],
                self.celltype,
                self.celltype.get_parameter_names(),
            ) from None
        return out[0] if single else out

    def _local_filter(self, gather: bool) -> IntArray | None:
        """Return the record filter (root indices), cut to this rank's cells unless ``gather``."""
        idx = self._record_filter_indices()
        if gather or self._simulator.state.num_processes == 1:
            return idx
        local = np.flatnonzero(self._root._local_root_mask()).astype(np.int64)
        return local if idx is None else idx[np.isin(idx, local)]

    def _local_root_mask(self) -> npt.NDArray[np.bool_]:
        """Per neuron of the root Population: whether this MPI rank updates it.

        The cores are shared among the ranks when the network is mapped: asking before the
        first run maps and loads it (every rank must ask, as every rank runs the script).
        """
        root = self._root
        runtime = self._runtime
        if self._simulator.state.num_processes == 1:
            return np.ones(root.size, dtype=bool)
        if not runtime.loaded:
            runtime.run_steps_blocking(0)  # maps and loads; runs nothing
        mask: npt.NDArray[np.bool_] = runtime.board.local_mask(root._spec_id)
        return mask

    @property
    def local_cells(self) -> Any:
        """The cells (IDs) this MPI process updates (every cell in one process)."""
        cells: Any = self.all_cells  # type: ignore[attr-defined]
        return cells[self._root._local_root_mask()[self._index_array()]]

    @local_cells.setter
    def local_cells(self, value: Any) -> None:
        # PyNN's PopulationView constructor assigns its parent's mask's cells; locality is
        # the board's, computed when asked
        pass

    @property
    def local_size(self) -> int:
        """Number of cells this MPI process updates."""
        if getattr(self, "_setting_all", False):  # within set(): see there
            return int(self.size)
        return len(self.local_cells)

    def is_local(self, id: Any) -> bool:
        """Whether this MPI process updates cell ``id`` (``ID.local``)."""
        index = int(self.id_to_index(id))  # type: ignore[attr-defined]
        return bool(self._root._local_root_mask()[self._index_array()[index]])

    def record(
        self,
        variables: Any,
        to_file: Any = None,
        sampling_interval: float | None = None,
        locations: Any = None,
        indexes: Any = None,
    ) -> None:
        """Record variables ("spikes", "v", ..., "all" or a list); ``None`` stops recording.

        ``to_file``: a file name or neo IO that :func:`end` writes the data to.
        ``sampling_interval``: ms, a multiple of the time step.  ``indexes`` (sPyNNaker):
        record only these positions of this population or view.
        """
        if locations is not None:
            raise ValueError(f"{self._where}: point neurons have no recording locations")
        recorder = self._root.recorder
        if variables is None:
            recorder.reset()
            return
        idx = self._index_array()
        if indexes is not None:
            idx = idx[np.asarray(indexes, dtype=np.int64)]
        recorder.record(variables, idx, sampling_interval)
        if to_file is not None and to_file is not False:
            if isinstance(to_file, str):
                recorder.file = to_file
            self._simulator.state.write_on_end.append((self, variables, to_file))

    def get_data(
        self,
        variables: Any = "all",
        gather: bool = True,
        clear: bool = False,
        locations: Any = None,
        annotations: Any = None,
    ) -> Any:
        """Return the recorded data as a neo Block (one Segment per reset).

        Over several MPI processes every rank holds every recorded spike and sample:
        ``gather=True`` gives the whole population on every rank (pyNN.nest: on rank 0),
        ``gather=False`` only the cells this rank updates (:attr:`local_cells`).
        """
        self._runtime  # noqa: B018 - raises for a stale population
        return self._root.recorder.get(variables, self._local_filter(gather), clear, annotations)

    def get_data_by_indexes(
        self, variables: Any, indexes: Any, clear: bool = False, annotations: Any = None
    ) -> Any:
        """SPyNNaker's ``get_data`` restricted to the given positions of this object."""
        return self[np.asarray(indexes, dtype=np.int64)].get_data(
            variables, clear=clear, annotations=annotations
        )

    def write_data(
        self,
        io: Any,
        variables: Any = "all",
        gather: bool = True,
        clear: bool = False,
        annotations: Any = None,
        locations: Any = None,
    ) -> None:
        """Write recorded data through a neo IO, or to a file name (format by extension).

        Over several MPI processes, as PyNN does: ``gather=True`` writes the whole
        population on rank 0 only; ``gather=False`` makes every rank write its own cells to
        the file name followed by ``.<rank>``.
        """
        self._runtime  # noqa: B018
        state = self._simulator.state
        if state.num_processes > 1:
            if gather and state.mpi_rank != 0:
                return
            if not gather:
                if isinstance(io, str):
                    io = f"{io}.{state.mpi_rank}"
                elif not io.filename.endswith(f".{state.mpi_rank}"):  # once per io object
                    io.filename += f".{state.mpi_rank}"
        self._root.recorder.write(variables, io, self._local_filter(gather), clear, annotations)

    def get_spike_counts(self, gather: bool = True) -> dict[int, int]:
        """Spikes per recorded neuron (ID -> count) in the current segment.

        ``gather=False`` over several MPI processes: this rank's cells only.
        """
        self._runtime  # noqa: B018
        counts: dict[int, int] = self._root.recorder.count(self._local_filter(gather))
        return counts

    def mean_spike_count(self, gather: bool = True) -> float:
        """Mean number of spikes per recorded neuron."""
        counts = self.get_spike_counts(gather)
        return float(sum(counts.values()) / len(counts)) if counts else 0.0

    def spinnaker_get_data(
        self, variable: str, as_matrix: bool = False, view_indexes: Any = None
    ) -> npt.NDArray[np.float64]:
        """SPyNNaker's plain-numpy data.

        Spikes: rows ``(index, time)``.  A state variable: rows ``(index, time, value)``, or
        with ``as_matrix`` an array of shape (samples, neurons).
        """
        if not isinstance(variable, str):
            raise TypeError(f"{self._where}: spinnaker_get_data takes one variable name")
        target = self if view_indexes is None else self[view_indexes]
        segment = target.get_data(variable).segments[-1]
        if variable == "spikes":
            rows = [
                np.column_stack([np.full(len(st), st.annotations["source_index"]), st.magnitude])
                for st in segment.spiketrains
            ]
            return np.vstack(rows) if rows else np.zeros((0, 2))
        signal = segment.filter(name=variable)[0]
        values = np.asarray(signal.magnitude)
        if as_matrix:
            return values
        index = np.asarray(signal.array_annotations["channel_index"])
        times = np.asarray(signal.times.rescale("ms").magnitude)
        n_t, n_c = values.shape
        return np.column_stack(
            [
                np.repeat(index[None, :], n_t, 0).T.reshape(-1),
                np.repeat(times[:, None], n_c, 1).T.reshape(-1),
                values.T.reshape(-1),
            ]
        )

    # -- live input and streams ----------------------------------------------------------

    def inject_spikes(self, indices: Any, times: Any = None) -> int:
        """Make neurons of a SpikeInjector (or SpikeSourceArray) population fire.

        ``indices`` are positions in this population or view.  ``times`` (ms) default to
        the first step of the next chunk; explicit times must lie in the future.  Returns
        the step at which the earliest spike is emitted.
        """
        if not isinstance(self.celltype, (_cells.SpikeInjector, _cells.SpikeSourceArray)):
            raise TypeError(
                f"{self._where}: inject_spikes needs a SpikeInjector or SpikeSourceArray "
                f"population, not {type(self.celltype).__name__}"
            )
        runtime = self._live_runtime
        pos = np.atleast_1d(np.asarray(indices, dtype=np.int64))
        if pos.size and (pos.min() < -self.size or pos.max() >= self.size):
            raise IndexError(f"{self._where}: neuron index out of range 0..{self.size - 1}")
        idx = self._index_array()[pos]
        stamps = None  # the runtime's next input step
        if times is not None:
            t = np.asarray(times, dtype=np.float64)
            if t.ndim > 1 or t.size not in (1, len(idx)):
                raise ValueError(
                    f"{self._where}: inject_spikes got {len(idx)} indices but {t.size} times "
                    "(give one time, or one per index)"
                )
            if not np.all(np.isfinite(t)):
                bad = t[~np.isfinite(t)][0]
                raise ValueError(
                    f"{self._where}: inject_spikes times must be finite (ms), got {bad!r}"
                )
            stamps = spike_stamps(np.broadcast_to(t, idx.shape), self._simulator.state.dt)
        return int(runtime.schedule_spikes(self._spec_id, idx, stamps))

    def stream(
        self,
        variable: str = "spikes",
        sampling_interval: float | None = None,
        *,
        maxlen: int | None = None,
        lockstep: bool = False,
    ) -> Any:
        """Stream ``variable`` of these neurons live: one batch per chunk.

        Use as ``async with pop.stream("spikes") as s: async for batch in s: ...``.  Spike
        batches give ``times`` (ms) and ``indices`` (positions in this population or
        view); state batches give ``times`` and ``values`` of shape (samples, neurons) in
        PyNN units, every ``sampling_interval`` ms (default: every step).  ``maxlen``
        bounds the subscriber's buffer (oldest batches are dropped and counted);
        ``lockstep=True`` (session mode "lockstep") holds the next chunk until this
        subscriber asks for its next batch.
        """
        return _stream(self, [self], variable, sampling_interval, maxlen, lockstep)

    # -- current injection ---------------------------------------------------------------

    def inject(self, current_source: Any) -> None:
        """Connect a current source to every neuron."""
        if not self.celltype.injectable:
            raise TypeError(
                f"{self._where}: cannot inject current into a spike source "
                f"({type(self.celltype).__name__})"
            )
        current_source.inject_into(self)

    # -- PyNN 0.7 names ------------------------------------------------------------------

    getSpikes = removed("get_data('spikes')")
    get_v = removed("get_data('v')")
    get_gsyn = removed("get_data(['gsyn_exc', 'gsyn_inh'])")
    printSpikes = removed("write_data(file, 'spikes')")
    print_v = removed("write_data(file, 'v')")
    print_gsyn = removed("write_data(file, ['gsyn_exc', 'gsyn_inh'])")
    record_v = removed("record('v')")
    record_gsyn = removed("record(['gsyn_exc', 'gsyn_inh'])")
    meanSpikeCount = removed("mean_spike_count()")
    rset = removed("set(name=random_distribution)")
    tset = removed("set(name=value_array)")
    get_initial_value = removed("initial_values[name] or population[i].get_initial_value(name)")
    set_initial_value = removed("initialize(name=value)")


class Population(_PopulationMixin, common.Population):  # type: ignore[misc]
    __doc__ = common.Population.__doc__
    _recorder_class = Recorder

    def __init__(
        self,
        size: Any,
        cellclass: Any,
        cellparams: Any = None,
        structure: Any = None,
        initial_values: Mapping[str, Any] | None = None,
        label: str | None = None,
        additional_parameters: Mapping[str, Any] | None = None,
    ) -> None:
        state = self._simulator.state
        self._owner = state.require_runtime()
        self._requires_mapping = True
        self.additional_parameters = dict(additional_parameters or {})
        if label is None:
            label = f"population{common.Population._nPop}"
        dims = size if isinstance(size, tuple) else (size,)
        if not all(isinstance(d, numbers.Integral) and not isinstance(d, bool) for d in dims):
            raise errors.InvalidDimensionsError(
                f"Population {label!r}: size must be a whole number of neurons (or a tuple of "
                f"them), got {size!r}"
            )
        if self.additional_parameters and not isinstance(cellclass, type):
            # before the population joins the network: a refused splitter leaves nothing
            check_extras(
                cellclass, n_neurons(size), f"Population {label!r}", self.additional_parameters
            )
        common.Population.__init__(
            self, size, cellclass, cellparams, structure, dict(initial_values or {}), label
        )
        if self.additional_parameters:
            try:
                apply_extras(self, self.additional_parameters)
            except Exception:
                self._withdraw()  # refused: the network stays as it was
                raise

    def _withdraw(self) -> None:
        """Take this population, refused while it was made, back out of the network."""
        state = self._simulator.state
        self._owner.withdraw_population(self._spec_id_value)
        state.populations.remove(self)
        state.id_counter -= self.size

    @property
    def _root(self) -> Population:  # type: ignore[override]
        return self

    def _all_indices(self) -> IntArray:
        return np.arange(self.size, dtype=np.int64)

    @property
    def _spec(self) -> PopulationSpec:
        spec: PopulationSpec = self._owner.spec.populations[self._spec_id_value]
        return spec

    def _create_cells(self) -> None:
        state = self._simulator.state
        runtime = self._owner
        if self.size < 1:
            raise errors.InvalidDimensionsError(
                f"Population {self.label!r}: size must be at least 1, got {self.size}"
            )
        first = state.id_counter
        cells = np.empty(self.size, dtype=object)
        ids = [ID(i) for i in range(first, first + self.size)]
        me = weakref.ref(self)
        for cell in ids:
            # what the parent setter does, minus its per-call overhead
            cell.__dict__["_parent"] = me
        cells[:] = ids
        self.all_cells = cells
        self._mask_local = np.ones(self.size, dtype=bool)
        state.id_counter += self.size

        with about(self._where):
            native = self.celltype.native_parameters
            native.shape = (self.size,)
            native.evaluate(simplify=False)
        params: dict[str, npt.NDArray[np.float64]] = {}
        self._spike_times: list[npt.NDArray[np.float64]] = []
        for name, value in native.items():
            if name == "spike_times":
                self._spike_times = _spike_time_list(value, self.size, self._where)
                continue
            values = _as_float_array(value, self.size)
            _check_values(self.celltype, self.label, name, values)
            params[name] = values
        initial = {
            name: np.full(self.size, float(value))
            for name, value in self.celltype.default_initial_values.items()
        }
        model, receptors = _cells.engine_model(self.celltype)
        spec = PopulationSpec(
            id=len(runtime.spec.populations),
            label=self.label,
            size=self.size,
            model=model,
            receptors=receptors,
            params=params,
            initial=initial,
            spike_times=list(self._spike_times)
            if isinstance(self.celltype, _cells.SpikeSourceArray)
            else None,
        )
        self._spec_id_value = int(runtime.add_population(spec))
        state.populations.append(self)

    def _set_spike_times(
        self, idx: IntArray, times: list[npt.NDArray[np.float64]], where: str
    ) -> None:
        """Give some neurons of a SpikeSourceArray new spike_times.

        Before the network is loaded they replace the spec's.  Once it is loaded the
        change takes effect at once between runs, or at the next chunk's first step while
        a session runs: as in PyNN's other backends only the future matters, so those
        neurons emit the new times that lie ahead instead of the spikes they had not
        emitted yet, and times in the past are history (spikes that happened stay
        recorded).  ``reset()`` replays the new lists.
        """
        runtime = self._live_runtime
        try:
            runtime.set_spike_times(self._spec_id_value, idx, times)
        except (ParameterError, ValueError) as err:
            raise errors.InvalidParameterValueError(f"{where}: {err}") from None
        for i, t in zip(idx, times, strict=True):
            self._spike_times[int(i)] = t

    def _get_view(self, selector: Any, label: str | None = None) -> Any:
        return self._view_class(self, selector, label)

    # -- sPyNNaker's extras --------------------------------------------------------------

    @classmethod
    def create(cls, cellclass: Any, cellparams: Any = None, n: int = 1) -> Population:
        """Make ``n`` cells of ``cellclass`` (a cell type instance, or class + params)."""
        if isinstance(cellclass, type):
            cellclass = cellclass(**(cellparams or {}))
        return cls(n, cellclass)

    def index_to_id(self, index: Any) -> Any:
        """Return the ID (or IDs) of the neuron(s) at ``index``."""
        return self.all_cells[index]

    def set_max_atoms_per_core(self, max_atoms_per_core: Any) -> None:
        """Largest number of this population's neurons that one core may hold.

        A positive int (or a float equal to one), or sPyNNaker's per-dimension tuple: one
        entry per dimension of the population's Grid2D/Grid3D structure, the product
        bounding the neurons of a core (``_extras.atoms_per_core``).
        """
        n = atoms_per_core(
            max_atoms_per_core, self._where, "max_atoms_per_core", atoms_shape(self)
        )
        if on_one_core(self._spec) and n < self.size:
            raise ValueError(
                f"{self._where}: max_atoms_per_core={max_atoms_per_core!r} would split it, but "
                f"its splitter {self._spec.splitter} puts all {self.size} neurons on one core"
            )
        self._change_mapping(max_atoms_per_core=n)

    def add_placement_constraint(self, x: int, y: int, p: int | None = None) -> None:
        """Place this population's cores on chip ``(x, y)`` (and core ``p``)."""
        placement = (int(x), int(y)) if p is None else (int(x), int(y), int(p))
        self._change_mapping(placement=placement)

    def set_mapping_constraint(self, constraint_dict: Mapping[str, int]) -> None:
        """SPyNNaker's dict form of :meth:`add_placement_constraint`: keys x, y, (p)."""
        try:
            self.add_placement_constraint(
                constraint_dict["x"], constraint_dict["y"], constraint_dict.get("p")
            )
        except KeyError as err:
            raise ValueError(
                f"{self._where}: a mapping constraint needs keys 'x' and 'y' "
                f"(and optionally 'p'), got {dict(constraint_dict)}"
            ) from err

    def set_constraint(self, constraint: Any) -> None:
        """SPyNNaker's old constraint call: a dict like :meth:`set_mapping_constraint`."""
        if isinstance(constraint, Mapping):
            self.set_mapping_constraint(constraint)
            return
        xyp = tuple(getattr(constraint, name, None) for name in ("x", "y", "p"))
        if xyp[0] is None or xyp[1] is None:
            raise TypeError(
                f"{self._where}: a constraint must give a chip x and y, got {constraint!r}"
            )
        self.add_placement_constraint(*xyp)  # type: ignore[arg-type]

    def _change_mapping(self, **fields: Any) -> None:
        runtime = self._live_runtime
        if runtime.loaded and runtime.step > 0:
            raise RuntimeError(
                f"{self._where}: mapping settings cannot change after the network ran; "
                "call reset() first"
            )
        for name, value in fields.items():
            setattr(self._spec, name, value)
        self._requires_mapping = True

    @property
    def requires_mapping(self) -> bool:
        """Whether the next run maps the network again (sPyNNaker)."""
        return bool(self._requires_mapping or not self._runtime.loaded)

    def mark_no_changes(self) -> None:
        """sPyNNaker: forget that this population changed since it was mapped."""
        self._requires_mapping = False

    def describe(
        self, template: str | None = "population_default.txt", engine: str = "default"
    ) -> Any:
        """Human-readable description (PyNN's templates)."""
        return common.Population.describe(self, template, engine)


class PopulationView(_PopulationMixin, common.PopulationView):  # type: ignore[misc]
    __doc__ = common.PopulationView.__doc__

    def __init__(self, parent: Any, selector: Any, label: str | None = None) -> None:
        if isinstance(selector, (int, np.integer)):
            selector = [int(selector)]
        if isinstance(selector, (list, tuple, np.ndarray)):
            sel = np.asarray(selector)
            if sel.dtype != bool and sel.size:
                if sel.min() < -parent.size or sel.max() >= parent.size:
                    raise IndexError(
                        f"Population {parent.label!r}: selector {sel.tolist()} is out of "
                        f"range for size {parent.size}"
                    )
                sel = np.where(sel < 0, sel + parent.size, sel)
            selector = sel
        common.PopulationView.__init__(self, parent, selector, label)
        self._gp_index = np.asarray(parent_indices(self.parent, self.mask), dtype=np.int64)

    @property
    def _root(self) -> Population:  # type: ignore[override]
        return self.grandparent  # type: ignore[no-any-return]

    def _index_array(self) -> IntArray:
        return self._gp_index

    def _record_filter_indices(self) -> IntArray | None:
        return self._gp_index

    @property
    def _where(self) -> str:
        return f"PopulationView {self.label!r} of Population {self._root.label!r}"

    def _get_view(self, selector: Any, label: str | None = None) -> Any:
        return type(self)(self, selector, label)

    def index_to_id(self, index: Any) -> Any:
        """Return the ID (or IDs) of the neuron(s) at ``index`` of this view."""
        return self.all_cells[index]

    def describe(
        self, template: str | None = "populationview_default.txt", engine: str = "default"
    ) -> Any:
        """Human-readable description (PyNN's templates)."""
        return common.PopulationView.describe(self, template, engine)


def parent_indices(parent: Any, mask: Any) -> IntArray:
    """Return root-Population indices of the cells that ``mask`` selects from ``parent``."""
    local = np.arange(parent.size, dtype=np.int64)[mask]
    if isinstance(parent, PopulationView):
        local = parent._gp_index[local]
    return np.asarray(local, dtype=np.int64)


class Assembly(common.Assembly):  # type: ignore[misc]
    __doc__ = common.Assembly.__doc__

    def _insert(self, element: Any) -> None:
        # PyNN's constructor, ``+`` and ``+=`` all add members here
        check_network(self._simulator, element, "Assembly")
        super()._insert(element)

    def _members(self) -> list[Any]:
        for p in self.populations:
            p._runtime  # noqa: B018 - raises for a stale member
        return list(self.populations)

    def get_data(
        self,
        variables: Any = "all",
        gather: bool = True,
        clear: bool = False,
        annotations: Any = None,
    ) -> Any:
        """Return the recorded data of every member, merged into one Block as PyNN does."""
        members = self._members()
        blocks = [p.get_data(variables, gather, clear) for p in members]
        offsets = np.cumsum([0] + [p.size for p in members[:-1]]).tolist()
        return _neo.merge_blocks(blocks, offsets, self.label, self.describe(), annotations)

    def write_data(
        self,
        io: Any,
        variables: Any = "all",
        gather: bool = True,
        clear: bool = False,
        annotations: Any = None,
    ) -> None:
        """Write the merged Block through a neo IO or to a file name."""
        if isinstance(io, str):
            io = pynn_recording.get_io(io)
        io.write_block(self.get_data(variables, gather, clear, annotations))

    def record(
        self,
        variables: Any,
        to_file: Any = None,
        sampling_interval: Any = None,
        locations: Any = None,
    ) -> None:
        """Record variables of every member; ``to_file`` gets the merged data on end()."""
        for p in self._members():
            p.record(variables, None, sampling_interval, locations)
        if to_file is not None and to_file is not False and variables is not None:
            self._simulator.state.write_on_end.append((self, variables, to_file))

    @property
    def receptor_types(self) -> list[str]:
        """Receptor types that every member has, in the first member's order.

        (PyNN intersects sets here, so the order, and with it the receptor that a
        Projection guesses from the weight's sign, would depend on string hashing.)
        """
        common_types = set.intersection(*(set(p.receptor_types) for p in self.populations))
        return [r for r in self.populations[0].receptor_types if r in common_types]

    def get_spike_counts(self, gather: bool = True) -> dict[int, int]:
        """Spikes per recorded neuron (ID -> count) of every member."""
        counts: dict[int, int] = {}
        for p in self._members():
            counts.update(p.get_spike_counts(gather))
        return counts

    def inject_spikes(self, indices: Any, times: Any = None) -> None:
        """Make neurons (positions in the Assembly) of SpikeInjector members fire."""
        pos = np.atleast_1d(np.asarray(indices, dtype=np.int64))
        bounds = np.cumsum([0] + [p.size for p in self.populations])
        where = f"Assembly {self.label!r}"
        if pos.size and (pos.min() < 0 or pos.max() >= bounds[-1]):
            bad = int(pos[(pos < 0) | (pos >= bounds[-1])][0])
            raise IndexError(f"{where}: neuron index {bad} is out of range 0..{bounds[-1] - 1}")
        t = None
        if times is not None:
            given = np.asarray(times, float)
            if given.ndim > 1 or given.size not in (1, len(pos)):
                raise ValueError(
                    f"{where}: inject_spikes got {len(pos)} indices but {given.size} times "
                    "(give one time, or one per index)"
                )
            t = np.broadcast_to(given, pos.shape)
        for k, p in enumerate(self.populations):
            sel = (pos >= bounds[k]) & (pos < bounds[k + 1])
            if np.any(sel):
                p.inject_spikes(pos[sel] - bounds[k], None if t is None else t[sel])

    def stream(
        self,
        variable: str = "spikes",
        sampling_interval: float | None = None,
        *,
        maxlen: int | None = None,
        lockstep: bool = False,
    ) -> Any:
        """Stream every member live; indices are positions in the Assembly."""
        return _stream(self, self._members(), variable, sampling_interval, maxlen, lockstep)

    getSpikes = removed("get_data('spikes')")
    get_v = removed("get_data('v')")
    get_gsyn = removed("get_data(['gsyn_exc', 'gsyn_inh'])")
    printSpikes = removed("write_data(file, 'spikes')")
    print_v = removed("write_data(file, 'v')")
    print_gsyn = removed("write_data(file, ['gsyn_exc', 'gsyn_inh'])")
    record_v = removed("record('v')")
    record_gsyn = removed("record(['gsyn_exc', 'gsyn_inh'])")
    meanSpikeCount = removed("mean_spike_count()")
    rset = removed("set(name=random_distribution)")
