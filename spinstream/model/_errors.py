"""Exceptions shared by every layer (the PyNN front end maps them onto PyNN's classes)."""

from __future__ import annotations


class SpinstreamError(Exception):
    """Base class of spinstream's own errors."""


class MappingError(SpinstreamError, ValueError):
    """The network cannot be placed or routed on the machine (names what does not fit)."""


class EngineError(SpinstreamError, RuntimeError):
    """The C engine refused an operation or reported an inconsistent state."""


class ParameterError(SpinstreamError, ValueError):
    """A parameter value is unknown or outside its allowed range (names both)."""


class LateInputError(SpinstreamError, ValueError):
    """Input was scheduled for a step that has already been simulated."""


class LockstepTimeoutError(SpinstreamError, TimeoutError):
    """A lock-step subscriber did not ask for its next batch in time (names it and the chunk)."""
