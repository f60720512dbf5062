"""sPyNNaker's control calls: ``setup()``, ``name()``, ``get_machine()``, per-type settings.

``setup()`` takes sPyNNaker's arguments; ``set_number_of_neurons_per_core`` and friends
set per-cell-type values.

Per-type settings live here, as sPyNNaker keeps them on the cell class: they outlast
``setup()`` and apply to the populations made after the call.
"""

from __future__ import annotations

import logging
import numbers
from typing import Any

from pyNN.common import control
from pyNN.standardmodels import StandardCellType

import spinstream.pyNN as _sim
from spinstream.pyNN import per_dimension

__all__ = [
    "get_machine",
    "name",
    "neurons_per_core_for",
    "set_allow_delay_extensions",
    "set_number_of_neurons_per_core",
    "set_number_of_synapse_cores",
    "setup",
]

logger = logging.getLogger("spinstream.spinnaker")

#: sPyNNaker's ``timestep="auto"`` (ms).
AUTO_TIMESTEP = 1.0

#: cell class -> neurons per core for populations made from now on
_neurons_per_core: dict[type, int | tuple[int, ...]] = {}
#: cell class -> n_synapse_cores / allow_delay_extensions (checked; no effect here)
_synapse_cores: dict[type, int | None] = {}
_delay_extensions: dict[type, bool] = {}


def setup(
    timestep: float | str | None = None,
    min_delay: float | str = control.DEFAULT_MIN_DELAY,
    max_delay: float | str | None = None,
    database_socket_addresses: Any = None,
    time_scale_factor: float | None = None,
    n_chips_required: int | None = None,
    n_boards_required: int | None = None,
    **extra_params: Any,
) -> int:
    """Start a network, with sPyNNaker's arguments.

    Parameters
    ----------
    timestep
        Time step (ms); ``None``: PyNN's default (0.1 ms); ``"auto"``: 1 ms (sPyNNaker's).
    min_delay, max_delay
        As in :func:`spinstream.pyNN.setup` (``max_delay`` is honoured: sPyNNaker ignores it).
    database_socket_addresses
        Live I/O notification addresses: only ``None`` or empty here.
    time_scale_factor
        Slows the run down against the wall clock (the runtime's pacing).
    n_chips_required, n_boards_required
        Size of the virtual machine (``n_boards_required``: boards, as ``n_boards``).
    extra_params
        Those of :func:`spinstream.pyNN.setup` (``seed``, ``chunk``, ...); others raise.

    Returns
    -------
    int
        The MPI rank, 0.
    """
    if timestep is None:
        timestep = control.DEFAULT_TIMESTEP
    elif timestep == "auto":
        timestep = AUTO_TIMESTEP
    if min_delay == "auto":
        min_delay = timestep
    if database_socket_addresses:
        raise ValueError(
            "setup(): database_socket_addresses (sPyNNaker's live I/O notification) are not "
            f"supported here, got {database_socket_addresses!r}"
        )
    if max_delay is not None:
        extra_params["max_delay"] = max_delay
    if time_scale_factor is not None:
        extra_params["time_scale_factor"] = time_scale_factor
    if n_chips_required is not None:
        extra_params["n_chips_required"] = n_chips_required
    if n_boards_required is not None:
        extra_params["n_boards_required"] = n_boards_required
    step: Any = timestep  # a bad value is named by spinstream.pyNN.setup
    return int(_sim.setup(step, min_delay, **extra_params))


def name() -> str:
    """Return the simulator's name: ``"spinstream"``."""
    return str(_sim.simulator.name)


def get_machine() -> Any:
    """Return the virtual SpiNNaker machine, as a :class:`spinn_machine.Machine`.

    After a run: the machine the network is mapped onto.  Before: the machine of the
    ``n_boards`` given to ``setup()``, or one board (the machine grows at the first run
    when the network needs more).
    """
    from spinn_machine.virtual_machine import virtual_machine_by_boards

    from spinstream.mapping import pacman_session

    state = _sim.state
    runtime = state.require_runtime()
    plan = runtime.plan
    n_boards = plan.n_boards if plan is not None else (runtime.spec.n_boards or 1)
    with pacman_session():
        return virtual_machine_by_boards(int(n_boards))


def _ours(cls: type) -> Any:
    """Return our cell type class of the same name as a class of sPyNNaker's own package.

    Scripts import some classes from ``spynnaker.pyNN.models...`` to name them in control
    calls (``set_number_of_neurons_per_core(SpikeInjector, ...)``); the populations they make
    through ``sim`` are ours.  None where we have no cell type of that name.
    """
    import spinstream.spinnaker as face

    name = cls.__name__
    for where in (face, face.extra_models, _sim):
        found = getattr(where, name, None)
        if isinstance(found, type) and issubclass(found, StandardCellType):
            return found
    return None


def _cell_class(neuron_type: Any, call: str) -> type:
    if isinstance(neuron_type, StandardCellType):
        neuron_type = type(neuron_type)
    if isinstance(neuron_type, type) and neuron_type.__module__.split(".")[0] == "spynnaker":
        neuron_type = _ours(neuron_type) or neuron_type
    if not (isinstance(neuron_type, type) and issubclass(neuron_type, StandardCellType)):
        raise TypeError(
            f"{call}: neuron_type must be a cell type class such as sim.IF_curr_exp, "
            f"got {neuron_type!r}"
        )
    return neuron_type


def _warn_if_populations(call: str) -> None:
    if _sim.state.runtime is not None and _sim.state.populations:
        logger.warning("%s only affects Populations made after the call", call)


def set_number_of_neurons_per_core(neuron_type: Any, max_permitted: Any) -> None:
    """Most neurons of ``neuron_type`` that one core holds, for populations made from now on.

    ``max_permitted``: a positive int (or a float equal to one), or ``None`` for the default
    (256), or sPyNNaker's tuple of one maximum per dimension (``(16, 16)``): the populations
    of this type must then have a grid structure (Grid2D, Grid3D) of that many dimensions,
    and the product bounds the neurons of a core (checked when each population is made).
    ``Population(..., neurons_per_core=)`` and
    ``Population.set_max_atoms_per_core`` override it per population.
    """
    call = "set_number_of_neurons_per_core"
    cls = _cell_class(neuron_type, call)
    if max_permitted is None:
        _neurons_per_core.pop(cls, None)
    else:
        _neurons_per_core[cls] = per_dimension(max_permitted, call, "max_permitted")
    _warn_if_populations(call)


def set_model_max_atoms_per_dimension_per_core(cls: type, n_atoms: Any = None) -> None:
    """Set the maximum per dimension for ``cls``: :func:`set_number_of_neurons_per_core`."""
    set_number_of_neurons_per_core(cls, n_atoms)


def get_model_max_atoms_per_dimension_per_core(cls: type) -> tuple[int, ...]:
    """Return the maximum per dimension set for ``cls`` (default ``(256,)``)."""
    value = _setting_for(_cell_class(cls, "get_model_max_atoms_per_dimension_per_core"))
    if value is None:
        return (256,)
    return value if isinstance(value, tuple) else (value,)


def _setting_for(cell_class: type) -> int | tuple[int, ...] | None:
    for cls in cell_class.__mro__:
        if cls in _neurons_per_core:
            return _neurons_per_core[cls]
    return None


def neurons_per_core_for(celltype: Any) -> int | tuple[int, ...] | None:
    """Return the per-type setting for ``celltype`` (its class or the nearest base class)."""
    return _setting_for(type(celltype))


def attach_model_methods(namespace: dict[str, Any]) -> None:
    """Give the cell type classes in ``namespace`` sPyNNaker's two class methods.

    ``set_model_max_atoms_per_dimension_per_core`` / ``get_...``: sPyNNaker's models have
    them, PyNN's classes do not.
    """
    for obj in list(namespace.values()):
        if isinstance(obj, type) and issubclass(obj, StandardCellType):
            for name, func in (
                (
                    "set_model_max_atoms_per_dimension_per_core",
                    set_model_max_atoms_per_dimension_per_core,
                ),
                (
                    "get_model_max_atoms_per_dimension_per_core",
                    get_model_max_atoms_per_dimension_per_core,
                ),
            ):
                if not hasattr(obj, name):
                    setattr(obj, name, classmethod(func))


def set_number_of_synapse_cores(neuron_type: Any, n_synapse_cores: int | None) -> None:
    """Set sPyNNaker's split of synapse processing onto extra cores: checked, no effect here.

    spinstream's cores process their own synapses; there are no synapse cores to add.
    """
    call = "set_number_of_synapse_cores"
    cls = _cell_class(neuron_type, call)
    ok = n_synapse_cores is None or (
        isinstance(n_synapse_cores, numbers.Integral)
        and not isinstance(n_synapse_cores, bool)
        and n_synapse_cores >= 0
    )
    if not ok:
        raise ValueError(
            f"{call}: n_synapse_cores must be an integer >= 0 or None, got {n_synapse_cores!r}"
        )
    _synapse_cores[cls] = None if n_synapse_cores is None else int(n_synapse_cores)
    _warn_if_populations(call)


def set_allow_delay_extensions(neuron_type: Any, allow_delay_extensions: bool) -> None:
    """Set sPyNNaker's extra cores for long delays: checked, no effect here.

    spinstream's delay rings hold any delay up to ``max_delay``; no extension is needed.
    """
    call = "set_allow_delay_extensions"
    cls = _cell_class(neuron_type, call)
    if not isinstance(allow_delay_extensions, bool):
        raise ValueError(
            f"{call}: allow_delay_extensions must be True or False, got {allow_delay_extensions!r}"
        )
    _delay_extensions[cls] = allow_delay_extensions
    _warn_if_populations(call)
