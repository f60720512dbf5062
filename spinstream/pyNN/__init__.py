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
from spinstream.pyNN._backend import Backend, _bound
from spinstream.pyNN._cells import (
    EIF_cond_alpha_isfa_ista,
    EIF_cond_exp_isfa_ista,
    HH_cond_exp,
    IF_cond_alpha,
    IF_cond_exp,
    IF_curr_alpha,
    IF_curr_delta,
    IF_curr_exp,
    Izhikevich,
    SpikeInjector,
    SpikeSourceArray,
    SpikeSourceGamma,
    SpikeSourcePoisson,
    SpikeSourcePoissonRefractory,
)
from spinstream.pyNN._native import NativeRNG
from spinstream.pyNN._plasticity import (
    AdditiveWeightDependence,
    MultiplicativeWeightDependence,
    SpikePairRule,
)
from spinstream.pyNN._populations import ID
from spinstream.pyNN._projections import Connection
from spinstream.pyNN._sources import ACSource, DCSource, NoisyCurrentSource, StepCurrentSource
from spinstream.pyNN._state import StaleObjectError

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
    "EIF_cond_alpha_isfa_ista",
    "EIF_cond_exp_isfa_ista",
    "FixedNumberPostConnector",
    "FixedNumberPreConnector",
    "FixedProbabilityConnector",
    "FixedTotalNumberConnector",
    "FromFileConnector",
    "FromListConnector",
    "HH_cond_exp",
    "IF_cond_alpha",
    "IF_cond_exp",
    "IF_curr_alpha",
    "IF_curr_delta",
    "IF_curr_exp",
    "IndexBasedProbabilityConnector",
    "Izhikevich",
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
    "SpikeInjector",
    "SpikePairRule",
    "SpikeSourceArray",
    "SpikeSourceGamma",
    "SpikeSourcePoisson",
    "SpikeSourcePoissonRefractory",
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
]
