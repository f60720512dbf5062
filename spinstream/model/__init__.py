"""Plain descriptions shared by every layer: network specs, mapping plans, errors."""

from __future__ import annotations

from spinstream.model._errors import (
    EngineError,
    LateInputError,
    LockstepTimeoutError,
    MappingError,
    ParameterError,
    SpinstreamError,
)
from spinstream.model._plan import CoreSlice, MappingPlan, RoutingEntry
from spinstream.model._spec import (
    EXCITATORY,
    INHIBITORY,
    RECEPTORS,
    CurrentSourceSpec,
    NetworkSpec,
    PlasticitySpec,
    PopulationSpec,
    ProjectionSpec,
    STDPSpec,
    StochasticSpec,
    TsodyksMarkramSpec,
)

__all__ = [
    "EXCITATORY",
    "INHIBITORY",
    "RECEPTORS",
    "CoreSlice",
    "CurrentSourceSpec",
    "EngineError",
    "LateInputError",
    "LockstepTimeoutError",
    "MappingError",
    "MappingPlan",
    "NetworkSpec",
    "ParameterError",
    "PlasticitySpec",
    "PopulationSpec",
    "ProjectionSpec",
    "RoutingEntry",
    "STDPSpec",
    "SpinstreamError",
    "StochasticSpec",
    "TsodyksMarkramSpec",
]
