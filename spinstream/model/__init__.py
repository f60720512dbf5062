"""Plain descriptions shared by every layer: network specs, models, mapping plans, errors."""

from __future__ import annotations

from spinstream.model._drawn import ColumnDigest, DrawnChunk, DrawnProjectionSpec
from spinstream.model._errors import (
    EngineError,
    LateInputError,
    LockstepTimeoutError,
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
    check_weights,
)
from spinstream.model._plan import CoreSlice, MappingPlan, RoutingEntry
from spinstream.model._spec import (
    EXCITATORY,
    INHIBITORY,
    RECEPTORS,
    CurrentSourceSpec,
    NetworkSpec,
    NeuromodulationSpec,
    PlasticitySpec,
    PopulationSpec,
    ProjectionSpec,
    STDPSpec,
    StochasticSpec,
    StructuralSpec,
    StructuralStaticSpec,
    TsodyksMarkramSpec,
    WeightChangeableSpec,
    WeightChangerSpec,
)

# Shared by the layers above (not part of the user-facing API).
from spinstream.model._spec import MAX_RULES as MAX_RULES
from spinstream.model._spec import VARIABLE_RULE_PARAMS as VARIABLE_RULE_PARAMS
from spinstream.model._spec import check_weight_bounds as check_weight_bounds
from spinstream.model._spec import distinct_rules as distinct_rules
from spinstream.model._spec import first_step_at as first_step_at
from spinstream.model._spec import spike_stamps as spike_stamps
from spinstream.model._splitter import ONE_CORE as ONE_CORE
from spinstream.model._splitter import SPLITTERS as SPLITTERS
from spinstream.model._splitter import core_atoms as core_atoms
from spinstream.model._splitter import on_one_core as on_one_core

__all__ = [
    "EXCITATORY",
    "INHIBITORY",
    "RECEPTORS",
    "ColumnDigest",
    "Constraint",
    "CoreSlice",
    "CurrentSourceSpec",
    "DrawnChunk",
    "DrawnProjectionSpec",
    "EngineError",
    "LateInputError",
    "LockstepTimeoutError",
    "MappingError",
    "MappingPlan",
    "ModelDescription",
    "NetworkSpec",
    "NeuromodulationSpec",
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
    "StructuralSpec",
    "StructuralStaticSpec",
    "TsodyksMarkramSpec",
    "UnknownParameterError",
    "WeightChangeableSpec",
    "WeightChangerSpec",
    "check_indices",
    "check_parameter",
    "check_parameters",
    "check_weights",
]
