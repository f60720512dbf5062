"""Model descriptions and the one validation of parameter values every layer uses.

A :class:`ModelDescription` is what the C engine declares about one of its models (each model
file in ``kernels_c/models`` declares its rows once; ``spinstream.board`` reads them back).
This module holds only the plain description and the checks, so the PyNN front end, the
session's Runtime, the boards and the tests' ReferenceBoard refuse the same values with the
same exception and the same message.

Exceptions, one per kind of mistake (all are :class:`ParameterError`, so older ``except``
clauses keep working):

- :class:`UnknownParameterError`: the model has no parameter (or state variable) of that name;
- :class:`ParameterValueError`: a value is not a number or breaks the parameter's constraint;
- :class:`ParameterShapeError`: not one value and not one value per neuron;
- :class:`NeuronIndexError`: a neuron index outside the population (also an ``IndexError``).

Every message names the population, the parameter and the value.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from spinstream.model._errors import ParameterError

__all__ = [
    "Constraint",
    "ModelDescription",
    "NeuronIndexError",
    "ParameterShapeError",
    "ParameterValueError",
    "Row",
    "UnknownParameterError",
    "check_indices",
    "check_parameter",
    "check_parameters",
    "check_weights",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class UnknownParameterError(ParameterError, KeyError):
    """The model has no parameter or state variable of that name (names the valid ones)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ParameterValueError(ParameterError):
    """A value is not a number, or breaks its parameter's constraint."""


class ParameterShapeError(ParameterError):
    """Neither one value nor one value per neuron."""


class NeuronIndexError(ParameterError, IndexError):
    """A neuron index outside its population."""


class Constraint(enum.IntEnum):
    """What a parameter may be (the C engine's ``enum ss_constraint``)."""

    ANY = 0
    POSITIVE = 1
    NON_NEGATIVE = 2
    NON_NEGATIVE_OR_INF = 3

    def allows(self, values: FloatArray) -> npt.NDArray[np.bool_]:
        """Mask of the values this constraint allows (NaN never is)."""
        finite = np.isfinite(values)
        if self is Constraint.POSITIVE:
            return finite & (values > 0)
        if self is Constraint.NON_NEGATIVE:
            return finite & (values >= 0)
        if self is Constraint.NON_NEGATIVE_OR_INF:
            return values >= 0
        return finite

    @property
    def text(self) -> str:
        """The rule in words, for messages."""
        return {
            Constraint.ANY: "a finite number",
            Constraint.POSITIVE: "a finite number > 0",
            Constraint.NON_NEGATIVE: "a finite number >= 0",
            Constraint.NON_NEGATIVE_OR_INF: "a number >= 0 (inf: without end)",
        }[self]


@dataclass(frozen=True)
class Row:
    """One row of a model's parameter or state block.

    ``value`` is PyNN's default (parameters) or initial value (state); ``unit`` PyNN's unit.
    Derived parameter rows and hidden state rows have names that start with ``_``.
    """

    name: str
    unit: str
    constraint: Constraint
    value: float


@dataclass(frozen=True)
class ModelDescription:
    """Everything the engine declares about one model (see ``kernels_c/model.h``)."""

    model_id: int
    name: str
    aliases: tuple[str, ...]
    param_rows: tuple[Row, ...]
    n_pynn_params: int
    state_rows: tuple[Row, ...]
    receptors: tuple[str, ...]
    is_source: bool
    #: Composed models (PyNN's PointNeuron): ``"<neuron>+<post-synaptic response>"``, and the
    #: rows of one receptor's block (PyNN parameters first); empty for the other models.
    composition: str = ""
    receptor_param_rows: tuple[Row, ...] = ()
    n_receptor_pynn_params: int = 0
    receptor_state_rows: tuple[Row, ...] = ()

    @property
    def is_composed(self) -> bool:
        """True for a model whose receptors are chosen per population (PointNeuron)."""
        return bool(self.composition)

    @property
    def signed_weights(self) -> bool:
        """True when weights carry their sign (composed current-based models).

        As in NEST's multisynapse models; otherwise weights are >= 0 and the receptor gives
        the sign.
        """
        rows = (*self.state_rows, *self.receptor_state_rows)
        return self.is_composed and not any(r.unit == "uS" for r in rows)

    def with_receptors(self, receptors: tuple[str, ...]) -> ModelDescription:
        """Describe a composed model with these receptors, rows in memory order.

        Receptor ``name``'s rows are called ``"<name>.<row>"`` (PyNN's names for the
        parameters and state of a PointNeuron's receptors), one block per receptor after the
        fixed rows; the model's own receptor list is replaced by ``receptors``.
        """
        if not self.receptor_param_rows:
            raise ValueError(f"{self.name} is not a composed model (or its rows are expanded)")

        def block(rows: tuple[Row, ...]) -> tuple[Row, ...]:
            return tuple(
                Row(f"{name}.{r.name}", r.unit, r.constraint, r.value)
                for name in receptors
                for r in rows
            )

        return dataclasses.replace(
            self,
            param_rows=self.param_rows + block(self.receptor_param_rows),
            state_rows=self.state_rows + block(self.receptor_state_rows),
            receptors=tuple(receptors),
            receptor_param_rows=(),
            n_receptor_pynn_params=0,
            receptor_state_rows=(),
        )

    @property
    def params(self) -> tuple[str, ...]:
        """Names of every parameter row: PyNN parameters, then derived rows."""
        return tuple(r.name for r in self.param_rows)

    @property
    def state(self) -> tuple[str, ...]:
        """Names of every state row (hidden rows last)."""
        return tuple(r.name for r in self.state_rows)

    @property
    def pynn_rows(self) -> tuple[Row, ...]:
        """The parameter rows a user may set (derived rows' names start with ``_``)."""
        return tuple(r for r in self.param_rows if not _hidden(r.name))

    @property
    def pynn_params(self) -> tuple[str, ...]:
        """The parameters a user may set (PyNN names)."""
        return tuple(r.name for r in self.pynn_rows)

    @property
    def recordable_state(self) -> tuple[str, ...]:
        """State rows visible to users (hidden rows start with an underscore)."""
        return tuple(s for s in self.state if not _hidden(s))

    @property
    def n_receptors(self) -> int:
        """Rows of the synaptic input ring per step (receptor types)."""
        return len(self.receptors)

    @property
    def default_parameters(self) -> dict[str, float]:
        """PyNN's default value of each parameter."""
        return {r.name: r.value for r in self.pynn_rows}

    @property
    def default_initial_values(self) -> dict[str, float]:
        """Initial value of each visible state variable."""
        return {r.name: r.value for r in self.state_rows if not _hidden(r.name)}

    @property
    def units(self) -> dict[str, str]:
        """PyNN's unit of each parameter and visible state variable."""
        rows = [*self.pynn_rows, *self.state_rows]
        return {r.name: r.unit for r in rows if not _hidden(r.name)}

    def row(self, name: str) -> Row:
        """Return the PyNN parameter row called ``name`` (``UnknownParameterError`` otherwise)."""
        for r in self.pynn_rows:
            if r.name == name:
                return r
        raise UnknownParameterError(
            f"{self.name} has no parameter {name!r}; it has {list(self.pynn_params)}"
        )


def _hidden(name: str) -> bool:
    # derived parameter rows and hidden state rows: "_x", or "<receptor>._x"
    return name.rsplit(".", 1)[-1].startswith("_")


def _label(population: object) -> str:
    return f"population {population!r}" if population is not None else "a population"


def check_parameter(
    model: ModelDescription,
    population: object,
    name: str,
    values: npt.ArrayLike,
    size: int | None = None,
) -> FloatArray:
    """Check values of one parameter of a population; return them as a float64 array.

    Parameters
    ----------
    model
        The population's model.
    population
        Its label (named in messages).
    name
        A PyNN parameter of ``model``.
    values
        One value, or one per neuron (``size`` of them when ``size`` is given).
    size
        Number of values expected; a single value is then broadcast to it.

    Raises
    ------
    UnknownParameterError
        ``model`` has no parameter ``name``.
    ParameterShapeError
        Not one value nor ``size`` values.
    ParameterValueError
        A value is not a number or breaks the parameter's constraint (the message names the
        first such value).
    """
    where = _label(population)
    try:
        row = model.row(name)
    except UnknownParameterError as err:
        raise UnknownParameterError(f"{where}: {err}") from None
    try:
        raw = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterValueError(
            f"{where}: parameter {name!r} of {model.name} must be {row.constraint.text}, "
            f"got {values!r:.60}"
        ) from None
    if size is not None:
        if raw.ndim > 1 or (raw.ndim == 1 and raw.shape[0] != size):
            raise ParameterShapeError(
                f"{where}: parameter {name!r} of {model.name} has shape {raw.shape}; expected "
                f"one value or {size} values, one per neuron"
            )
        raw = np.broadcast_to(raw, (size,))
    out = np.array(raw, dtype=np.float64, copy=True).reshape(-1) if raw.ndim else raw.copy()
    ok = row.constraint.allows(np.atleast_1d(out))
    if not ok.all():
        bad = np.atleast_1d(out)[np.flatnonzero(~ok)[0]]
        raise ParameterValueError(
            f"{where}: parameter {name!r} of {model.name} must be {row.constraint.text}, "
            f"got {float(bad)!r}"
        )
    return out


def check_parameters(
    model: ModelDescription, population: object, params: Mapping[str, npt.ArrayLike], size: int
) -> None:
    """:func:`check_parameter` for each entry of ``params``."""
    for name, values in params.items():
        check_parameter(model, population, name, values, size)


def check_weights(where: str, weights: npt.ArrayLike, signed: bool = False) -> FloatArray:
    """Check synaptic weights: finite, and >= 0 unless the target's model takes signed ones.

    Returns them as float64; raises :class:`ParameterValueError` naming ``where`` and the first
    bad weight (see :attr:`ModelDescription.signed_weights`).
    """
    w = np.asarray(weights, dtype=np.float64)
    bad = ~np.isfinite(w) if signed else ~(np.isfinite(w) & (w >= 0))
    if bad.any():
        rule = "finite" if signed else "finite and >= 0 (the receptor gives the sign)"
        raise ParameterValueError(
            f"{where}: weight {w[bad][0]} is not allowed: weights must be {rule}"
        )
    return w


def check_indices(population: object, size: int, indices: npt.ArrayLike) -> IntArray:
    """Neuron indices as an int64 array; :class:`NeuronIndexError` for one outside [0, size)."""
    idx = np.asarray(indices).astype(np.int64).reshape(-1)
    bad = (idx < 0) | (idx >= size)
    if bad.any():
        raise NeuronIndexError(
            f"{_label(population)}: neuron index {int(idx[bad][0])} is out of range (outside "
            f"[0, {size}), its {size} neurons)"
        )
    return idx
