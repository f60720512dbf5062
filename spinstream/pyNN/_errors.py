"""PyNN's error classes, with messages that say which object the mistake was made on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pyNN import errors

from spinstream.model import ParameterValueError, UnknownParameterError

__all__ = [
    "InvalidParameterValueError",
    "NonExistentParameterError",
    "RecordingError",
    "about",
    "removed",
]


class InvalidParameterValueError(errors.InvalidParameterValueError, ParameterValueError):  # type: ignore[misc]
    """PyNN's error for a value a parameter does not allow; also spinstream's own kind."""


class NonExistentParameterError(errors.NonExistentParameterError, UnknownParameterError):  # type: ignore[misc]
    """PyNN's error, naming the population (or other object) it was raised for."""

    def __init__(
        self,
        parameter_name: str,
        model_name: Any,
        valid_parameter_names: Any = ("unknown",),
        where: str = "",
    ) -> None:
        if not isinstance(model_name, str):
            model_name = type(model_name).__name__
        super().__init__(parameter_name, model_name, list(valid_parameter_names))
        self.where = where

    def __str__(self) -> str:
        base = (
            f"{self.model_name} has no parameter or state variable {self.parameter_name!r} "
            f"(valid names: {', '.join(self.valid_parameter_names)})"
        )
        return f"{self.where}: {base}" if self.where else base


class RecordingError(errors.RecordingError):  # type: ignore[misc]
    """PyNN's error for a variable that cannot be recorded (or was not recorded)."""

    def __init__(self, variable: str, cell_type: Any, where: str = "", reason: str = "") -> None:
        super().__init__(variable, cell_type)
        self.where = where
        self.reason = reason

    def __str__(self) -> str:
        name = type(self.cell_type).__name__
        text = self.reason or (
            f"cannot record {self.variable!r} from cell type {name}; "
            f"recordable variables are {', '.join(self.cell_type.recordable)}"
        )
        return f"{self.where}: {text}" if self.where else text


@contextmanager
def about(where: str) -> Iterator[None]:
    """Re-raise PyNN's parameter errors raised inside with ``where`` in the message."""
    try:
        yield
    except NonExistentParameterError:
        raise
    except errors.NonExistentParameterError as err:
        raise NonExistentParameterError(
            err.parameter_name, err.model_name, err.valid_parameter_names, where
        ) from None
    except (errors.InvalidParameterValueError, errors.InvalidDimensionsError) as err:
        if str(err).lower().startswith(where.lower()):  # named already (the model layer)
            raise
        raise type(err)(f"{where}: {err}") from None


class removed:
    """A PyNN 0.7 name: looking it up raises an error that says what to call instead.

    It raises :class:`AttributeError`, Python's "no such attribute", so ``hasattr`` is
    False, as it is for any name the class does not have.
    """

    def __init__(self, replacement: str) -> None:
        self.replacement = replacement
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        cls = owner.__name__ if owner is not None else type(obj).__name__
        raise AttributeError(
            f"{cls}.{self.name}() is a PyNN 0.7 name that PyNN 0.8 removed; "
            f"call {self.replacement} instead"
        )
