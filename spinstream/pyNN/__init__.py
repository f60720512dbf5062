"""PyNN backend: ``import spinstream.pyNN as sim`` runs PyNN scripts on spinstream.

Everything a PyNN script reaches for is here under PyNN's names: ``setup``, ``run``,
``run_until``, ``run_for``, ``reset``, ``end``, the state queries, ``Population``,
``PopulationView``, ``Assembly``, ``Projection``, the standard cell types (plus
``SpikeInjector`` for live input), PyNN's connectors, the synapse types (``StaticSynapse``,
``STDPMechanism``, ``TsodyksMarkramSynapse``, ``SimpleStochasticSynapse``), the current
sources, ``NumpyRNG``/``RandomDistribution``, ``space`` and ``errors``.

Importing this module also makes it importable as ``pyNN.spinstream`` (see
:mod:`spinstream._pynn_alias`), so tools that do ``import_module("pyNN." + name)`` find it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyNN import errors, random, space
from pyNN.connectors import (
    AllToAllConnector,
    ArrayConnector,
    CloneConnector,
    CSAConnector,
    DisplacementDependentProbabilityConnector,
    DistanceDependentProbabilityConnector,
    FixedNumberPostConnector,
    FixedNumberPreConnector,
    FixedProbabilityConnector,
    FixedTotalNumberConnector,
    FromFileConnector,
    FromListConnector,
    IndexBasedProbabilityConnector,
    OneToOneConnector,
    SmallWorldConnector,
)
from pyNN.network import Network
from pyNN.random import GSLRNG, NumpyRNG, RandomDistribution
from pyNN.space import Space

from spinstream.pyNN import _plasticity
from spinstream.pyNN._backend import Backend as Backend
from spinstream.pyNN._backend import _bound
from spinstream.pyNN._cells import CELL_TYPES, COMPOSED_TYPES

# Shared with the layers above, sPyNNaker's face and the Session (not in __all__: not PyNN's).
from spinstream.pyNN._connect_spinnaker import AllButMeConnector as AllButMeConnector
from spinstream.pyNN._connect_spinnaker import ConvolutionConnector as ConvolutionConnector
from spinstream.pyNN._connect_spinnaker import OneToOneOffsetConnector as OneToOneOffsetConnector
from spinstream.pyNN._connect_spinnaker import PoolDenseConnector as PoolDenseConnector
from spinstream.pyNN._errors import RecordingError as RecordingError
from spinstream.pyNN._extras import atoms_per_core as atoms_per_core
from spinstream.pyNN._extras import per_dimension as per_dimension
from spinstream.pyNN._native import NativeRNG
from spinstream.pyNN._plasticity import (
    AdditiveWeightDependence,
    MultiplicativeWeightDependence,
    SpikePairRule,
)
from spinstream.pyNN._populations import ID
from spinstream.pyNN._projections import Connection
from spinstream.pyNN._recording import Recorder as Recorder
from spinstream.pyNN._sources import ACSource, DCSource, NoisyCurrentSource, StepCurrentSource
from spinstream.pyNN._splitters import one_core_asked as one_core_asked
from spinstream.pyNN._state import StaleObjectError
from spinstream.pyNN._state import check_delay_bounds as check_delay_bounds
from spinstream.pyNN._state import check_views as check_views

# sPyNNaker's structural plasticity and weight changers (its names; not part of PyNN's API,
# so not in __all__)
from spinstream.pyNN._structural import DistanceDependentFormation as DistanceDependentFormation
from spinstream.pyNN._structural import LastNeuronSelection as LastNeuronSelection
from spinstream.pyNN._structural import RandomByWeightElimination as RandomByWeightElimination
from spinstream.pyNN._structural import RandomSelection as RandomSelection
from spinstream.pyNN._structural import StructuralMechanismStatic as StructuralMechanismStatic
from spinstream.pyNN._structural import StructuralMechanismSTDP as StructuralMechanismSTDP
from spinstream.pyNN._weight_change import WeightChangeable as WeightChangeable
from spinstream.pyNN._weight_change import WeightChanger as WeightChanger

# One cell type per model of the engine (generated from its description: _cells.py).
globals().update(CELL_TYPES)
globals().update(COMPOSED_TYPES)  # PointNeuron and its parts (AdExp, CondAlpha...Response)

_backend = Backend()
state = _backend.state
simulator = _backend.simulator

Population = _backend.Population
PopulationView = _backend.PopulationView
Assembly = _backend.Assembly
Projection = _backend.Projection
StaticSynapse = _backend.StaticSynapse
STDPMechanism = _backend.STDPMechanism
TsodyksMarkramSynapse = _backend.TsodyksMarkramSynapse
SimpleStochasticSynapse = _bound(_plasticity.SimpleStochasticSynapse, simulator)

setup = _backend.setup
end = _backend.end
run = _backend.run
run_until = _backend.run_until
run_for = _backend.run_for
reset = _backend.reset
get_current_time = _backend.get_current_time
get_time_step = _backend.get_time_step
get_min_delay = _backend.get_min_delay
get_max_delay = _backend.get_max_delay
num_processes = _backend.num_processes
rank = _backend.rank
list_standard_models = _backend.list_standard_models
create = _backend.create
connect = _backend.connect
record = _backend.record
initialize = _backend.initialize
serve = _backend.serve
wait_for = _backend.wait_for
set = _backend.set

__all__ = [
    "GSLRNG",
    "ID",
    "ACSource",
    "AdditiveWeightDependence",
    "AllToAllConnector",
    "ArrayConnector",
    "Assembly",
    "CSAConnector",
    "CloneConnector",
    "Connection",
    "DCSource",
    "DisplacementDependentProbabilityConnector",
    "DistanceDependentProbabilityConnector",
    "FixedNumberPostConnector",
    "FixedNumberPreConnector",
    "FixedProbabilityConnector",
    "FixedTotalNumberConnector",
    "FromFileConnector",
    "FromListConnector",
    "IndexBasedProbabilityConnector",
    "MultiplicativeWeightDependence",
    "NativeRNG",
    "Network",
    "NoisyCurrentSource",
    "NumpyRNG",
    "OneToOneConnector",
    "Population",
    "PopulationView",
    "Projection",
    "RandomDistribution",
    "STDPMechanism",
    "SimpleStochasticSynapse",
    "SmallWorldConnector",
    "Space",
    "SpikePairRule",
    "StaleObjectError",
    "StaticSynapse",
    "StepCurrentSource",
    "TsodyksMarkramSynapse",
    "connect",
    "create",
    "end",
    "errors",
    "get_current_time",
    "get_max_delay",
    "get_min_delay",
    "get_time_step",
    "initialize",
    "list_standard_models",
    "num_processes",
    "random",
    "rank",
    "record",
    "reset",
    "run",
    "run_for",
    "run_until",
    "serve",
    "set",
    "setup",
    "simulator",
    "space",
    "state",
    "wait_for",
    *CELL_TYPES,
    *COMPOSED_TYPES,
]


if TYPE_CHECKING:

    def __getattr__(name: str) -> Any: ...  # the generated cell types
