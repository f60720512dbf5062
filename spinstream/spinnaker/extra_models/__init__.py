"""sPyNNaker's ``extra_models``: ``sim.extra_models.X`` (docs/PYNN.md)."""

from __future__ import annotations

from spinstream.spinnaker.extra_models._plasticity import (
    PfisterSpikeTriplet as PfisterSpikeTriplet,
)
from spinstream.spinnaker.extra_models._plasticity import (
    SpikeNearestPairRule as SpikeNearestPairRule,
)
from spinstream.spinnaker.extra_models._plasticity import Vogels2011Rule as Vogels2011Rule
from spinstream.spinnaker.extra_models._plasticity import (
    WeightDependenceAdditiveTriplet as WeightDependenceAdditiveTriplet,
)

__all__ = [
    "PfisterSpikeTriplet",
    "SpikeNearestPairRule",
    "Vogels2011Rule",
    "WeightDependenceAdditiveTriplet",
]
