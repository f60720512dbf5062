"""Standard cell types: PyNN's standard library, described once for the engine.

The kernel model name is the PyNN class name and the parameters keep PyNN's names and
units, so every translation is the identity: a cell type here is PyNN's description
plus the list of state variables the engine can record.  Adding a model means one class
here and one kernel in the engine.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pyNN.standardmodels import StandardCellType, build_translations, cells

__all__ = [
    "EIF_cond_alpha_isfa_ista",
    "EIF_cond_exp_isfa_ista",
    "HH_cond_exp",
    "IF_cond_alpha",
    "IF_cond_exp",
    "IF_curr_alpha",
    "IF_curr_delta",
    "IF_curr_exp",
    "Izhikevich",
    "SpikeInjector",
    "SpikeSourceArray",
    "SpikeSourceGamma",
    "SpikeSourcePoisson",
    "SpikeSourcePoissonRefractory",
]


def _identity(parameters: dict[str, Any]) -> dict[str, dict[str, Any]]:
    # Kernel parameters carry PyNN's names and units.
    return build_translations(*((name, name) for name in parameters))  # type: ignore[no-any-return]


class IF_curr_exp(cells.IF_curr_exp):  # type: ignore[misc]
    __doc__ = cells.IF_curr_exp.__doc__
    translations = _identity(cells.IF_curr_exp.default_parameters)
    recordable: ClassVar[list[str]] = ["spikes", "v", "isyn_exc", "isyn_inh"]


class IF_curr_alpha(cells.IF_curr_alpha):  # type: ignore[misc]
    __doc__ = cells.IF_curr_alpha.__doc__
    translations = _identity(cells.IF_curr_alpha.default_parameters)
    recordable: ClassVar[list[str]] = ["spikes", "v", "isyn_exc", "isyn_inh"]


class IF_curr_delta(cells.IF_curr_delta):  # type: ignore[misc]
    __doc__ = cells.IF_curr_delta.__doc__
    translations = _identity(cells.IF_curr_delta.default_parameters)


class IF_cond_exp(cells.IF_cond_exp):  # type: ignore[misc]
    __doc__ = cells.IF_cond_exp.__doc__
    translations = _identity(cells.IF_cond_exp.default_parameters)


class IF_cond_alpha(cells.IF_cond_alpha):  # type: ignore[misc]
    __doc__ = cells.IF_cond_alpha.__doc__
    translations = _identity(cells.IF_cond_alpha.default_parameters)


class EIF_cond_exp_isfa_ista(cells.EIF_cond_exp_isfa_ista):  # type: ignore[misc]
    __doc__ = cells.EIF_cond_exp_isfa_ista.__doc__
    translations = _identity(cells.EIF_cond_exp_isfa_ista.default_parameters)


class EIF_cond_alpha_isfa_ista(cells.EIF_cond_alpha_isfa_ista):  # type: ignore[misc]
    __doc__ = cells.EIF_cond_alpha_isfa_ista.__doc__
    translations = _identity(cells.EIF_cond_alpha_isfa_ista.default_parameters)


class HH_cond_exp(cells.HH_cond_exp):  # type: ignore[misc]
    __doc__ = cells.HH_cond_exp.__doc__
    translations = _identity(cells.HH_cond_exp.default_parameters)
    # Gap junctions are not modelled: only the two chemical receptors.
    receptor_types = ("excitatory", "inhibitory")


class Izhikevich(cells.Izhikevich):  # type: ignore[misc]
    __doc__ = cells.Izhikevich.__doc__
    translations = _identity(cells.Izhikevich.default_parameters)


class SpikeSourcePoisson(cells.SpikeSourcePoisson):  # type: ignore[misc]
    __doc__ = cells.SpikeSourcePoisson.__doc__
    translations = _identity(cells.SpikeSourcePoisson.default_parameters)


class SpikeSourcePoissonRefractory(cells.SpikeSourcePoissonRefractory):  # type: ignore[misc]
    __doc__ = cells.SpikeSourcePoissonRefractory.__doc__
    translations = _identity(cells.SpikeSourcePoissonRefractory.default_parameters)


class SpikeSourceGamma(cells.SpikeSourceGamma):  # type: ignore[misc]
    __doc__ = cells.SpikeSourceGamma.__doc__
    translations = _identity(cells.SpikeSourceGamma.default_parameters)


class SpikeSourceArray(cells.SpikeSourceArray):  # type: ignore[misc]
    __doc__ = cells.SpikeSourceArray.__doc__
    translations = _identity(cells.SpikeSourceArray.default_parameters)


class SpikeInjector(StandardCellType):  # type: ignore[misc]
    """Live spike input: emits the spikes given to ``Population.inject_spikes``.

    The name is sPyNNaker's.  It has no parameters; spikes are scheduled while the
    network runs (see :meth:`spinstream.pyNN.Population.inject_spikes`).
    """

    default_parameters: ClassVar[dict[str, Any]] = {}
    translations: ClassVar[dict[str, Any]] = {}
    recordable: ClassVar[list[str]] = ["spikes"]
    injectable = False
    receptor_types = ()
    units: ClassVar[dict[str, str]] = {}
