"""Plain descriptions shared by every layer: network specs, models, mapping plans, errors."""

from __future__ import annotations

from spinstream.model._errors import (
    EngineError,
    LateInputError,
    MappingError,
    ParameterError,
    SpinstreamError,
)
from spinstream.model._models import (
    Constraint,
    ModelDescription,
    NeuronIndexError,
    ParameterShapeError,
    ParameterValueError,
    Row,
    UnknownParameterError,
    check_indices,
    check_parameter,
    check_parameters,
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
    "Constraint",
    "CoreSlice",
    "CurrentSourceSpec",
    "EngineError",
    "LateInputError",
    "MappingError",
    "MappingPlan",
    "ModelDescription",
    "NetworkSpec",
    "NeuronIndexError",
    "ParameterError",
    "ParameterShapeError",
    "ParameterValueError",
    "PlasticitySpec",
    "PopulationSpec",
    "ProjectionSpec",
    "RoutingEntry",
    "Row",
    "STDPSpec",
    "SpinstreamError",
    "StochasticSpec",
    "TsodyksMarkramSpec",
    "UnknownParameterError",
    "check_indices",
    "check_parameter",
    "check_parameters",
]
