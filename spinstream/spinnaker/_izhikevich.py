"""sPyNNaker's ``Izhikevich``: current-based exponential synapses, ``v``/``u`` given as values.

On ``pyNN.spiNNaker``, ``sim.Izhikevich`` is sPyNNaker's ``IzkCurrExpBase`` (model name
``IZK_curr_exp``), not PyNN's: it has ``tau_syn_E``/``tau_syn_I`` (exponentially decaying
synaptic currents, weights in nA), its input current enters the equation as a number (PyNN
and NEST multiply nA by 1000), and the constructor takes the initial values ``v``, ``u``,
``isyn_exc``, ``isyn_inh`` beside the parameters (``Population(initial_values=...)`` still
overrides them).  The engine model is ``kernels_c/models/izk_curr_exp.c``; docs/ENGINE.md
gives its equations, docs/PYNN.md the difference from ``spinstream.pyNN.Izhikevich``.
"""

from __future__ import annotations

import numbers
from typing import Any, ClassVar

from pyNN import errors

import spinstream.pyNN as _pynn

__all__ = ["IZK_curr_exp", "Izhikevich"]


class IZK_curr_exp(_pynn.IZK_curr_exp):  # type: ignore[misc]
    """sPyNNaker's Izhikevich neuron with current-based exponential synapses.

    Parameters
    ----------
    a, b, c, d
        Izhikevich's parameters (1/ms, 1/ms, mV, mV/ms).
    i_offset
        Offset current (nA, entering ``v'`` as a number, as in sPyNNaker).
    tau_syn_E, tau_syn_I
        Decay time constants (ms) of the synaptic currents.
    v, u, isyn_exc, isyn_inh
        Initial values (mV, mV/ms, nA, nA); numbers, as sPyNNaker's defaults are.
    """

    _STATE: ClassVar[tuple[str, ...]] = ("v", "u", "isyn_exc", "isyn_inh")

    def __init__(self, **parameters: Any) -> None:
        initial = {k: parameters.pop(k) for k in self._STATE if k in parameters}
        super().__init__(**parameters)
        for name, value in initial.items():
            if not isinstance(value, numbers.Real) or isinstance(value, bool):
                raise errors.InvalidParameterValueError(
                    f"Izhikevich: initial value {name} = {value!r} must be a number here; "
                    "give per-neuron values with Population(initial_values=...) or "
                    "Population.initialize()"
                )
        #: initial values given to the constructor (the face's Population applies them)
        self.spinnaker_initial_values = {k: float(v) for k, v in initial.items()}


Izhikevich = IZK_curr_exp
