"""Standard cell types, generated from the C engine's own description of its models.

Every model the engine has (``kernels_c/models``, one file each) becomes a PyNN cell type
here, with nothing written by hand: the engine's model name is the class name, its parameters
keep PyNN's names and units (every translation is the identity), its visible state rows are
what can be recorded and its receptor names are the receptor types.  A model PyNN knows
(``pyNN.standardmodels.cells``) subclasses PyNN's class, keeping its documentation and
defaults; any other (sPyNNaker's extra models) takes its defaults, initial values and units
from the engine's description.  ``SpikeInjector`` (sPyNNaker's live input) is the one class
written here: the engine runs it as a ``SpikeSourceArray`` whose spikes arrive while it runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pyNN.standardmodels import StandardCellType, build_translations, cells

from spinstream.board import engine_models
from spinstream.model import ModelDescription

__all__ = ["CELL_TYPES", "SpikeInjector", "cell_type"]


def _translations(names: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    # Kernel parameters carry PyNN's names and units.
    return build_translations(*((name, name) for name in names))  # type: ignore[no-any-return]


def cell_type(model: ModelDescription) -> type[StandardCellType]:
    """Make the PyNN cell type of an engine model."""
    pynn_class = getattr(cells, model.name, None)
    recordable = ["spikes", *model.recordable_state]
    namespace: dict[str, Any] = {
        "translations": _translations(model.pynn_params),
        "recordable": recordable,
        "receptor_types": model.receptors,
        "__module__": __name__,
    }
    if pynn_class is not None:
        namespace["__doc__"] = pynn_class.__doc__
        if model.name == "SpikeSourceArray":
            # spike_times is a schedule, not a row of the engine
            namespace["translations"] = _translations(("spike_times",))
        bases: tuple[type, ...] = (pynn_class,)
    else:
        rows = {r.name: r for r in model.param_rows[: model.n_pynn_params]}
        namespace.update(
            __doc__=f"{model.name}: a model of spinstream's engine (kernels_c/models).",
            default_parameters={name: r.value for name, r in rows.items()},
            default_initial_values=model.default_initial_values,
            units=model.units,
            injectable=not model.is_source,
            conductance_based=any(r.unit == "uS" for r in model.state_rows),
        )
        bases = (StandardCellType,)
    return type(model.name, bases, namespace)


class SpikeInjector(StandardCellType):  # type: ignore[misc]
    """Live spike input: emits the spikes given to ``Population.inject_spikes``.

    The name is sPyNNaker's.  It has no parameters; spikes are scheduled while the
    network runs (see :meth:`spinstream.pyNN.Population.inject_spikes`).
    """

    default_parameters: ClassVar[dict[str, Any]] = {}
    translations: ClassVar[dict[str, Any]] = {}
    recordable: ClassVar[list[str]] = ["spikes"]
    injectable = False
    receptor_types = ()
    units: ClassVar[dict[str, str]] = {}


def _generate() -> dict[str, type[StandardCellType]]:
    out: dict[str, type[StandardCellType]] = {}
    for name, model in engine_models().items():
        if name == model.name:
            out[name] = cell_type(model)
    out["SpikeInjector"] = SpikeInjector
    return dict(sorted(out.items()))


#: Every cell type by name, one per engine model (plus SpikeInjector).
CELL_TYPES: dict[str, type[StandardCellType]] = _generate()
globals().update(CELL_TYPES)

if TYPE_CHECKING:

    def __getattr__(name: str) -> Any: ...  # the generated classes
