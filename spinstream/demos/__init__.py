"""Closed-loop demos: a Braitenberg vehicle and a cart-pole, driven by spiking networks.

Both run in a :class:`spinstream.Session` with a controller task that reads the motor
populations' spike stream each chunk, steps a small pure-Python world, and feeds the
sensors back (Poisson rates for the vehicle, injected spikes for the cart-pole).
``spinstream demo`` and ``spinstream demo cartpole`` run them from the command line.
"""

from __future__ import annotations

from spinstream.demos._cartpole import (
    CartPole,
    CartPoleConfig,
    CartPoleController,
    CartPoleRun,
    SpikeEncoder,
    build_cartpole_network,
    motor_force,
    periodic_pushes,
    run_cartpole,
)
from spinstream.demos._figures import cartpole_figure, vehicle_figure
from spinstream.demos._figures import save as save_png
from spinstream.demos._vehicle import (
    DEFAULT_STARTS,
    Episode,
    Progress,
    VehicleConfig,
    VehicleController,
    VehicleRun,
    run_vehicle,
)
from spinstream.demos._world import Pose, World

__all__ = [
    "DEFAULT_STARTS",
    "CartPole",
    "CartPoleConfig",
    "CartPoleController",
    "CartPoleRun",
    "Episode",
    "Pose",
    "Progress",
    "SpikeEncoder",
    "VehicleConfig",
    "VehicleController",
    "VehicleRun",
    "World",
    "build_cartpole_network",
    "cartpole_figure",
    "motor_force",
    "periodic_pushes",
    "run_cartpole",
    "run_vehicle",
    "save_png",
    "vehicle_figure",
]
