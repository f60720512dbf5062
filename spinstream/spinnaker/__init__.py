"""sPyNNaker's face: ``import pyNN.spiNNaker as sim`` runs sPyNNaker scripts on spinstream.

This is :mod:`spinstream.pyNN` (the same network, the same classes and results) plus
sPyNNaker's conventions: its ``setup()`` arguments, ``name()``, ``get_machine()``, the
per-cell-type settings (``set_number_of_neurons_per_core``, ``set_number_of_synapse_cores``,
``set_allow_delay_extensions``), a ``Population`` that takes its extra arguments and
records ``gsyn_exc``/``gsyn_inh`` on current-based cells, and
:mod:`spinstream.spinnaker.utilities.neo_convertor`.

Installed with ``pip install .``, a hook at interpreter start (``_spinstream_hook``) makes
``pyNN.spiNNaker``, ``spynnaker.pyNN`` and ``spynnaker8`` (and their submodules) resolve
here; see docs/PYNN.md.  ``external_devices`` and ``extra_models`` are imported on first
use.
"""

from __future__ import annotations

from typing import Any

from pyNN.common import build_create
from pyNN.space import Cuboid as Cuboid
from pyNN.space import Grid2D as Grid2D
from pyNN.space import Grid3D as Grid3D
from pyNN.space import Line as Line
from pyNN.space import RandomStructure as RandomStructure
from pyNN.space import Sphere as Sphere
from pyNN.space import distance as distance

import spinstream.pyNN as _pynn
from spinstream.pyNN import *  # noqa: F403 - the whole PyNN API, as sPyNNaker re-exports it
from spinstream.pyNN import AllButMeConnector as AllButMeConnector
from spinstream.pyNN import ConvolutionConnector as ConvolutionConnector
from spinstream.pyNN import DistanceDependentFormation as DistanceDependentFormation
from spinstream.pyNN import LastNeuronSelection as LastNeuronSelection
from spinstream.pyNN import OneToOneOffsetConnector as OneToOneOffsetConnector
from spinstream.pyNN import PoolDenseConnector as PoolDenseConnector
from spinstream.pyNN import RandomByWeightElimination as RandomByWeightElimination
from spinstream.pyNN import RandomSelection as RandomSelection
from spinstream.pyNN import StructuralMechanismStatic as StructuralMechanismStatic
from spinstream.pyNN import StructuralMechanismSTDP as StructuralMechanismSTDP
from spinstream.spinnaker._control import attach_model_methods
from spinstream.spinnaker._control import get_machine as get_machine
from spinstream.spinnaker._control import name as name
from spinstream.spinnaker._control import set_allow_delay_extensions as set_allow_delay_extensions
from spinstream.spinnaker._control import (
    set_number_of_neurons_per_core as set_number_of_neurons_per_core,
)
from spinstream.spinnaker._control import (
    set_number_of_synapse_cores as set_number_of_synapse_cores,
)
from spinstream.spinnaker._control import setup as setup
from spinstream.spinnaker._izhikevich import Izhikevich as Izhikevich
from spinstream.spinnaker._local_only import Convolution as Convolution
from spinstream.spinnaker._local_only import PoolDense as PoolDense
from spinstream.spinnaker._population import Population as Population
from spinstream.spinnaker._projection import Projection as Projection

create = build_create(Population)
attach_model_methods(globals())  # sPyNNaker's class methods on every cell type class

#: Submodules imported on first use (other faces of sPyNNaker, owned elsewhere).
_LAZY = ("external_devices", "extra_models")

#: sPyNNaker's own name for its Projection class.
SpiNNakerProjection = Projection

#: sPyNNaker names that spinstream does not have (yet), and what they belong to.
_NOT_HERE = {
    "KernelConnector": "sPyNNaker's kernel connector",
}


class MissingFeatureError(AttributeError):
    """A sPyNNaker name that spinstream does not provide (an ``AttributeError``: ``hasattr``)."""


_OWN = [
    "AllButMeConnector",
    "Convolution",
    "ConvolutionConnector",
    "DistanceDependentFormation",
    "LastNeuronSelection",
    "RandomByWeightElimination",
    "RandomSelection",
    "StructuralMechanismSTDP",
    "StructuralMechanismStatic",
    "OneToOneOffsetConnector",
    "PoolDense",
    "PoolDenseConnector",
    "Cuboid",
    "Grid2D",
    "Grid3D",
    "Izhikevich",
    "Line",
    "Population",
    "Projection",
    "SpiNNakerProjection",
    "RandomStructure",
    "Sphere",
    "create",
    "distance",
    "get_machine",
    "name",
    "set_allow_delay_extensions",
    "set_number_of_neurons_per_core",
    "set_number_of_synapse_cores",
    "setup",
]
__all__ = sorted({*_pynn.__all__, *_OWN})


def __getattr__(attr: str) -> Any:
    if attr in _LAZY:
        import importlib

        target = f"{__name__}.{attr}"
        try:
            return importlib.import_module(target)
        except ModuleNotFoundError as err:
            if err.name != target:
                raise
            raise MissingFeatureError(
                f"pyNN.spiNNaker.{attr} (sPyNNaker's {attr.replace('_', ' ')}) is not "
                "available on this spinstream"
            ) from None
    if attr in _NOT_HERE:
        raise MissingFeatureError(
            f"pyNN.spiNNaker.{attr} ({_NOT_HERE[attr]}) is not available on spinstream; "
            "see docs/PYNN.md"
        )
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")
