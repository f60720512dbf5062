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

from pyNN import errors
from pyNN.parameters import ParameterSpace
from pyNN.standardmodels import (
    StandardCellType,
    StandardPostSynapticResponse,
    build_translations,
    cells,
    receptors,
)

from spinstream.board import describe_model, engine_models
from spinstream.model import ModelDescription

__all__ = [
    "CELL_TYPES",
    "COMPOSED_TYPES",
    "PointNeuron",
    "SpikeInjector",
    "cell_type",
    "description_of",
    "engine_model",
]


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
        rows = {r.name: r for r in model.pynn_rows}
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


class PointNeuron(cells.PointNeuron):  # type: ignore[misc]
    __doc__ = cells.PointNeuron.__doc__

    @property
    def native_parameters(self) -> ParameterSpace:
        """Flat parameters: the neuron's, then ``"<receptor>.<name>"`` for each receptor."""
        engine_model(self)  # refuse a composition the engine cannot run, before translating
        flat = dict(self.neuron.native_parameters.items())
        for name in self.receptor_types:
            psr = self.post_synaptic_receptors[name]
            for key, value in psr.native_parameters.items():
                if key != "locations":  # point neurons: no synapse locations
                    flat[f"{name}.{key}"] = value
        return ParameterSpace(flat)

    def get_parameter_names(self) -> list[str]:
        """Return the neuron's parameter names, then ``"<receptor>.<name>"`` for each one."""
        return list(self.native_parameters.keys())


def engine_model(celltype: Any) -> tuple[str, tuple[str, ...]]:
    """Return the engine model that runs a cell type, and its receptors (composed models).

    A ``PointNeuron`` runs on the engine's composed model of its neuron and post-synaptic
    response classes (every receptor of one class); ``InvalidModelError`` when there is none.
    """
    if not isinstance(celltype, PointNeuron):
        return type(celltype).__name__, ()
    kinds = sorted({type(p).__name__ for p in celltype.post_synaptic_receptors.values()})
    composition = f"{type(celltype.neuron).__name__}+{'/'.join(kinds)}"
    for model in engine_models().values():
        if model.composition == composition:
            return model.name, tuple(celltype.receptor_types)
    known = sorted({m.composition for m in engine_models().values() if m.is_composed})
    raise errors.InvalidModelError(
        f"PointNeuron: no engine model for {composition} (every receptor of one kind); the "
        f"engine has {known}"
    )


def description_of(celltype: Any) -> ModelDescription | None:
    """Return the engine's description of the model that runs ``celltype`` (with receptors)."""
    try:
        name, receptor_names = engine_model(celltype)
    except errors.InvalidModelError:
        return None
    model = describe_model(name)
    if model is not None and model.is_composed:
        model = model.with_receptors(receptor_names)
    return model


def _part_type(name: str, model: Any) -> type:
    """Make the class of a part (neuron or post-synaptic response) of a composed model."""
    pynn_class = getattr(cells, name, None) or getattr(receptors, name)
    if issubclass(pynn_class, StandardPostSynapticResponse):
        rows = model.receptor_param_rows[: model.n_receptor_pynn_params]
        names = ["locations", *(r.name for r in rows)]
        recordable = [r.name for r in model.receptor_state_rows if not r.name.startswith("_")]
        units = {r.name: r.unit for r in (*rows, *model.receptor_state_rows) if r.name[0] != "_"}
    else:
        names = [r.name for r in model.pynn_rows]
        recordable = ["spikes", *model.recordable_state]
        units = {r.name: r.unit for r in (*model.pynn_rows, *model.state_rows) if r.name[0] != "_"}
    namespace = {
        "__doc__": pynn_class.__doc__,
        "__module__": __name__,
        "translations": _translations(tuple(names)),
        "recordable": recordable,
        "units": units,
    }
    return type(name, (pynn_class,), namespace)


def _generate() -> dict[str, type[StandardCellType]]:
    out: dict[str, type[StandardCellType]] = {}
    for name, model in engine_models().items():
        if name == model.name and not model.is_composed:  # composed: PointNeuron
            out[name] = cell_type(model)
    out["SpikeInjector"] = SpikeInjector
    return dict(sorted(out.items()))


_SHORT_NAMES = {
    "CondAlphaPostSynapticResponse": "AlphaPSR",
    "CondBetaPostSynapticResponse": "BetaPSR",
    "CondExpPostSynapticResponse": "ExpPSR",
}


def _generate_parts() -> dict[str, type]:
    """Make the classes of the parts of the engine's composed models (PointNeuron's)."""
    out: dict[str, type] = {}
    for model in engine_models().values():
        if model.is_composed:
            for part in model.composition.replace("/", "+").split("+"):
                out.setdefault(part, _part_type(part, model))
    out["PointNeuron"] = PointNeuron
    for long, short in _SHORT_NAMES.items():  # the short names other backends give them
        if long in out:
            out[short] = out[long]
    return dict(sorted(out.items()))


#: Every cell type by name, one per engine model (plus SpikeInjector).
CELL_TYPES: dict[str, type[StandardCellType]] = _generate()
globals().update(CELL_TYPES)
#: PyNN's composed cell type and the parts of the engine's composed models (AdExp, ...).
COMPOSED_TYPES: dict[str, type] = _generate_parts()
globals().update(COMPOSED_TYPES)

if TYPE_CHECKING:

    def __getattr__(name: str) -> Any: ...  # the generated classes
