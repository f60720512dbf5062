"""A small pure-Python 2-D world: a light and a two-wheeled vehicle with two light sensors.

Units: metres, radians, seconds.  The vehicle is a differential drive: wheel speeds
``v_left``, ``v_right`` (m/s) give a forward speed ``(v_left + v_right) / 2`` and a turn
rate ``(v_right - v_left) / wheel_base``.  Its sensors sit at the front, ``sensor_angle``
to either side of the heading, and read the light's intensity through a cardioid
directivity: full towards the light, half sideways, zero straight away from it.  So a
sensor on the side of the light always reads more than the other one, even when the light
is behind the vehicle, which is what lets a Braitenberg vehicle turn towards it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class Pose:
    """Where the vehicle is: position (m) and heading (rad, 0 = +x, counter-clockwise)."""

    x: float
    y: float
    heading: float


@dataclass
class World:
    """A square arena with a light at ``light`` and one vehicle.

    Parameters
    ----------
    pose
        The vehicle's starting pose.
    light
        Position of the light (m).
    half_size
        The arena spans ``[-half_size, half_size]`` on both axes (m); the vehicle slides
        along the walls.
    reach
        The vehicle has reached the light when its centre is this close (m).
    falloff
        Distance (m) at which the light's intensity has dropped to a half.
    wheel_base, sensor_offset, sensor_angle
        Geometry of the vehicle: distance between the wheels (m), distance of the sensors
        from the centre (m), angle of each sensor from the heading (rad).
    """

    pose: Pose
    light: tuple[float, float] = (0.0, 0.0)
    half_size: float = 2.0
    reach: float = 0.12
    falloff: float = 1.0
    wheel_base: float = 0.2
    sensor_offset: float = 0.1
    sensor_angle: float = math.radians(40.0)
    time: float = 0.0
    odometer: float = 0.0
    trail: list[tuple[float, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.trail.append((self.pose.x, self.pose.y))

    # ------------------------------------------------------------------ sensing
    @property
    def distance(self) -> float:
        """Distance (m) from the vehicle's centre to the light."""
        return math.hypot(self.light[0] - self.pose.x, self.light[1] - self.pose.y)

    @property
    def reached(self) -> bool:
        """Whether the vehicle is within ``reach`` of the light."""
        return self.distance <= self.reach

    def sensor_positions(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """Positions (m) of the left and right sensors."""
        p = self.pose
        out = []
        for side in (+1.0, -1.0):  # left is counter-clockwise from the heading
            a = p.heading + side * self.sensor_angle
            out.append(
                (p.x + self.sensor_offset * math.cos(a), p.y + self.sensor_offset * math.sin(a))
            )
        return out[0], out[1]

    def sense(self) -> tuple[float, float]:
        """Light intensity at the left and right sensors, each in ``[0, 1]``."""
        p = self.pose
        readings = []
        for side, (sx, sy) in zip((+1.0, -1.0), self.sensor_positions(), strict=True):
            dx, dy = self.light[0] - sx, self.light[1] - sy
            d = math.hypot(dx, dy)
            facing = p.heading + side * self.sensor_angle
            cos_off = 1.0 if d == 0.0 else (dx * math.cos(facing) + dy * math.sin(facing)) / d
            directivity = 0.5 * (1.0 + cos_off)
            readings.append(directivity / (1.0 + (d / self.falloff) ** 2))
        return readings[0], readings[1]

    # ------------------------------------------------------------------ moving
    def move(self, v_left: float, v_right: float, seconds: float) -> None:
        """Drive with constant wheel speeds (m/s) for ``seconds``, exactly along the arc."""
        if seconds < 0:
            raise ValueError(f"seconds must be >= 0, got {seconds!r}")
        p = self.pose
        v = 0.5 * (v_left + v_right)
        w = (v_right - v_left) / self.wheel_base
        if abs(w) < 1e-9:
            nx = p.x + v * seconds * math.cos(p.heading)
            ny = p.y + v * seconds * math.sin(p.heading)
        else:
            r = v / w
            h1 = p.heading + w * seconds
            nx = p.x + r * (math.sin(h1) - math.sin(p.heading))
            ny = p.y - r * (math.cos(h1) - math.cos(p.heading))
        lim = self.half_size
        nx, ny = min(max(nx, -lim), lim), min(max(ny, -lim), lim)
        self.odometer += math.hypot(nx - p.x, ny - p.y)
        p.x, p.y = nx, ny
        p.heading = math.remainder(p.heading + w * seconds, math.tau)
        self.time += seconds
        self.trail.append((p.x, p.y))

    def place(self, pose: Pose) -> None:
        """Put the vehicle at ``pose`` (a new episode); the trail gets a break (NaN point)."""
        self.pose = Pose(pose.x, pose.y, pose.heading)
        self.trail.append((math.nan, math.nan))
        self.trail.append((pose.x, pose.y))
