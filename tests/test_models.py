"""The engine describes its models and its layout; everything in Python is derived from that.

- The ctypes mirrors must match the compiled structs field by field: a binding whose layout
  differs is refused (here: a mirror with one field changed).
- Every model of the engine is held to the suite: it has a PyNN cell type, a consistent
  description (PyNN's defaults and units where PyNN knows the model) and at least one test that
  compares it with something independent (tests/reference/models.py names them).
- One validation: the PyNN front end, the Runtime, HostBoard and the ReferenceBoard refuse the
  same bad value with the same kind of exception, naming population, parameter and value.
"""

from __future__ import annotations

import ctypes
import importlib
from typing import Any

import numpy as np
import pytest
from pyNN.standardmodels import cells as pynn_cells
from pyNN.standardmodels import receptors as pynn_receptors

from spinstream.model import (
    Constraint,
    NeuronIndexError,
    ParameterShapeError,
    ParameterValueError,
    UnknownParameterError,
    check_parameter,
)
from tests.engine import require_engine
from tests.reference import ReferenceBoard, network, population, trivial_plan
from tests.reference.models import COMPARISONS

HostBoard = require_engine()

from spinstream.board import _engine as E  # noqa: E402 - needs the engine

MODELS = E.model_names()
NEURONS = [m for m in MODELS if not E.layout(m).is_source]


# -- layout --------------------------------------------------------------------------------


def test_every_shared_struct_is_checked_and_matches() -> None:
    dll = E.lib()
    assert set(E.engine_layout(dll)) == set(E.SHARED_STRUCTS)
    E.check_layout(dll)  # what lib() did on load
    size, offsets = E.engine_layout(dll)["ss_core"]
    assert size == ctypes.sizeof(E.Core)
    assert offsets["params"] == E.Core.params.offset


def _core_with(fields: list[tuple[str, Any]]) -> type[ctypes.Structure]:
    return type("ChangedCore", (ctypes.Structure,), {"_fields_": fields})


def test_a_binding_with_a_changed_field_is_refused() -> None:
    fields = list(E.Core._fields_)
    # n as a 64-bit integer: every later offset moves
    wider = [(name, ctypes.c_int64 if name == "n" else t) for name, t in fields]
    with pytest.raises(E.EngineLayoutError, match=r"ss_core\.n: offset 4 in the C engine, 8 in"):
        E.check_layout(E.lib(), {"ss_core": _core_with(wider)})
    # two fields swapped: same size, different order
    swapped = list(fields)
    swapped[0], swapped[1] = swapped[1], swapped[0]
    with pytest.raises(E.EngineLayoutError, match="ss_core: the C engine's fields are"):
        E.check_layout(E.lib(), {"ss_core": _core_with(swapped)})
    # a field added at the end: the size differs
    with pytest.raises(E.EngineLayoutError, match="ss_core: the C engine's fields"):
        E.check_layout(E.lib(), {"ss_core": _core_with([*fields, ("extra", ctypes.c_int64)])})


# -- every model is described, reachable from PyNN and compared ------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_model_is_compared_with_something_independent(model: str) -> None:
    assert model in COMPARISONS, (
        f"{model} has no comparison with the ReferenceBoard, NEST or a closed form: add its "
        "tests to tests/reference/models.py"
    )
    for entry in COMPARISONS[model]:
        module_name, function = entry.split("::")
        module = importlib.import_module(f"tests.{module_name}")
        test = getattr(module, function, None)
        assert callable(test), f"{entry} does not exist"
        for mark in getattr(test, "pytestmark", []):
            if mark.name == "parametrize" and mark.args[0] == "model":
                assert model in list(mark.args[1]), f"{entry} is not run for {model}"


@pytest.mark.parametrize("model", MODELS)
def test_model_description_is_consistent(model: str) -> None:
    d = E.models()[model]
    if d.is_composed:  # described with two receptors, as a population would have them
        assert d.receptors == ()
        assert d.receptor_param_rows[: d.n_receptor_pynn_params]
        visible = [r.name for r in d.receptor_state_rows if not r.name.startswith("_")]
        settable = d.receptor_param_rows[: d.n_receptor_pynn_params]
        psr = getattr(pynn_receptors, d.composition.split("+")[1])  # PyNN's names, defaults
        assert {r.name: r.value for r in settable} == pytest.approx(
            {k: v for k, v in psr.default_parameters.items() if k != "locations"}
        )
        assert visible == list(psr.default_initial_values)
        d = E.layout(model, ("AMPA", "GABA"))
        assert d.receptors == ("AMPA", "GABA")
        assert all(f"AMPA.{r.name}" in d.pynn_params for r in settable)
        assert [f"GABA.{name}" for name in visible] == [
            s for s in d.recordable_state if s.startswith("GABA.")
        ]
    assert d.params[: d.n_pynn_params] == d.pynn_params[: d.n_pynn_params]
    assert all(name.startswith("_") for name in d.params[d.n_pynn_params :] if "." not in name)
    assert len(set(d.params)) == len(d.params)
    assert len(set(d.state)) == len(d.state)
    hidden = [name.startswith("_") for name in d.state if "." not in name]
    assert hidden == sorted(hidden), "hidden state rows come last"
    assert d.is_source == (d.n_receptors == 0)
    for row in d.pynn_rows:
        assert row.constraint.allows(np.array([row.value])).all(), f"default of {row.name}"
    pynn = getattr(pynn_cells, model, None)
    if pynn is None:
        return
    defaults = {k: v for k, v in pynn.default_parameters.items() if k != "spike_times"}
    assert d.default_parameters == pytest.approx(defaults)
    assert d.default_initial_values == pytest.approx(
        dict(getattr(pynn, "default_initial_values", {}))
    )
    for name, unit in d.units.items():
        assert pynn.units.get(name, unit) == unit, name


@pytest.mark.parametrize("model", MODELS)
def test_pynn_cell_type_is_generated_from_the_description(model: str) -> None:
    import spinstream.pyNN as sim

    d = E.models()[model]
    if d.is_composed:  # a PointNeuron: tests/test_pynn_composed.py
        composition = d.composition.split("+")
        assert all(hasattr(sim, part) for part in composition)
        return
    cls = getattr(sim, model)
    assert model in sim.list_standard_models()
    assert cls.recordable == ["spikes", *d.recordable_state]
    assert tuple(cls.receptor_types) == d.receptors
    params = set(cls.default_parameters) - {"spike_times"}
    assert params == set(d.pynn_params)


# -- one validation ------------------------------------------------------------------------


def _bad_value(model: str) -> tuple[str, float] | None:
    for row in E.layout(model).pynn_rows:
        if row.constraint is Constraint.POSITIVE:
            return row.name, 0.0
        if row.constraint is Constraint.NON_NEGATIVE:
            return row.name, -1.0
    return None


# every model with a constrained parameter (Izhikevich and SpikeSourceArray have none)
@pytest.mark.parametrize("model", [m for m in MODELS if _bad_value(m) is not None])
def test_check_parameter_names_population_parameter_and_value(model: str) -> None:
    d = E.layout(model)
    bad = _bad_value(model)
    assert bad is not None
    name, value = bad
    with pytest.raises(ParameterValueError, match=rf"population 'p'.*'{name}'.*{value}"):
        check_parameter(d, "p", name, [1.0, value], size=2)
    with pytest.raises(ParameterValueError, match="nan"):
        check_parameter(d, "p", name, np.nan)
    with pytest.raises(ParameterShapeError, match="3 values"):
        check_parameter(d, "p", name, [1.0, 1.0], size=3)
    with pytest.raises(UnknownParameterError, match="no parameter 'nonsense'"):
        check_parameter(d, "p", "nonsense", 1.0)


def _spec(value: float) -> Any:
    return network(0.1, [population(0, "IF_curr_exp", 3, label="cells", tau_m=value)], [])


@pytest.mark.parametrize("board_class", [HostBoard, ReferenceBoard], ids=["host", "reference"])
def test_both_boards_refuse_a_bad_value_alike(board_class: type) -> None:
    board = board_class()
    spec = _spec(-2.0)
    with pytest.raises(ParameterValueError, match=r"population 'cells'.*'tau_m'.*-2\.0"):
        board.load(spec, trivial_plan(spec))
    good = _spec(10.0)
    board.load(good, trivial_plan(good))
    with pytest.raises(ParameterValueError, match=r"population 'cells'.*'tau_m'.*-3\.0"):
        board.set_parameters(0, "tau_m", np.array([1]), np.array([-3.0]))
    with pytest.raises(NeuronIndexError, match=r"population 'cells'.*index 5"):
        board.set_parameters(0, "tau_m", np.array([5]), np.array([3.0]))
    with pytest.raises(UnknownParameterError, match="'nonsense'"):
        board.set_parameters(0, "nonsense", np.array([1]), np.array([3.0]))
    board.run(5)  # still usable


def test_runtime_and_pynn_refuse_a_bad_value_alike() -> None:
    from pyNN import errors

    import spinstream.pyNN as sim

    sim.setup(timestep=0.1)
    try:
        with pytest.raises(errors.InvalidParameterValueError) as pynn_err:
            sim.Population(3, sim.SpikeSourceGamma(alpha=0.0), label="gamma")
        assert isinstance(pynn_err.value, ParameterValueError)
        assert "population 'gamma'" in str(pynn_err.value)
        assert "'alpha'" in str(pynn_err.value)
        assert "0.0" in str(pynn_err.value)
        pop = sim.Population(3, sim.SpikeSourceGamma(alpha=2.0), label="gamma")
        runtime = pop._runtime
        with pytest.raises(ParameterValueError, match=r"population 'gamma'.*'alpha'.*0\.0"):
            runtime.set_parameters(pop._spec_id, "alpha", None, 0.0)
        with pytest.raises(NeuronIndexError, match=r"population 'gamma'.*index 7"):
            runtime.set_parameters(pop._spec_id, "alpha", [7], 1.0)
        assert isinstance(NeuronIndexError("x"), IndexError)  # what Runtime raised before
    finally:
        sim.end()
