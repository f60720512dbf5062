"""A Braitenberg vehicle driven by a spiking network, closing the loop every chunk.

Two light sensors set the rates of two Poisson input populations; each drives the motor
population on the *other* side (Braitenberg's vehicle 2b, "aggression"), so the wheel away
from the light turns faster and the vehicle swings towards it and speeds up as it gets
closer.  After every chunk the controller counts each motor population's spikes, turns
the counts into wheel speeds, moves the vehicle for the chunk's simulated time and sets the
sensor rates for the next chunk.

The vehicle starts from each pose of ``starts`` in turn; an episode ends when it reaches the
light (or after ``episode_timeout`` s), and the run ends when every start has had its
episode, or after ``seconds`` of simulated time.

In lock-step mode the controller holds each chunk until it has answered, so a run is
deterministic for a given seed; in real-time and fast mode the network does not wait, and
an answer that comes late takes effect one chunk later.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from spinstream.demos._loop import drive
from spinstream.demos._world import Pose, World

#: Four starting poses around the light (which is at the origin): corners, facing away,
#: sideways or straight past it.
DEFAULT_STARTS: tuple[Pose, ...] = (
    Pose(-1.6, -1.5, 0.0),
    Pose(1.5, 1.6, math.pi / 2),
    Pose(1.7, -1.2, math.pi),
    Pose(-1.4, 1.7, -math.pi / 2),
)


@dataclass(frozen=True)
class VehicleConfig:
    """The vehicle's network and the conversion between spikes and the world.

    Attributes
    ----------
    n_sensor, n_motor
        Neurons per sensor population and per motor population.
    max_rate
        Sensor rate (Hz) at intensity 1.
    weight, p_connect, delay
        Sensor -> motor synapses: weight (nA), connection probability, delay (ms).
    gain
        Wheel speed per motor firing rate (m/s per Hz).
    base_speed
        Wheel speed (m/s) with silent motors.
    wheel_tau
        Time constant (s) of the wheels' response to the motor rate (their inertia).
    timestep, chunk
        Time step and control period (ms).
    episode_timeout
        Simulated seconds after which an episode that has not reached the light ends.
    noise
        Mean and standard deviation (nA) of a noisy current into every motor neuron: a
        background rate of about 15 Hz whose fluctuations let the vehicle turn round when
        the light is straight behind it (where both sensors read the same).
    crossed
        Each sensor drives the opposite motor (vehicle 2b: turns towards the light);
        ``False`` wires each sensor to its own side (vehicle 2a: turns away from it).
    """

    n_sensor: int = 20
    n_motor: int = 20
    max_rate: float = 200.0
    weight: float = 0.8
    p_connect: float = 0.5
    delay: float = 1.0
    gain: float = 0.011
    base_speed: float = 0.05
    wheel_tau: float = 0.05
    timestep: float = 1.0
    chunk: float = 10.0
    episode_timeout: float = 10.0
    crossed: bool = True
    noise: tuple[float, float] = (0.5, 2.0)


@dataclass
class Episode:
    """One drive from a start pose towards the light."""

    start: Pose
    t_start: float
    t_end: float | None = None
    reached: bool = False
    path_length: float = 0.0
    finished: bool = False  # reached the light or timed out (not cut short by the run's end)

    @property
    def duration(self) -> float | None:
        """Simulated seconds the episode took (``None`` while it runs)."""
        return None if self.t_end is None else self.t_end - self.t_start


@dataclass(frozen=True)
class Progress:
    """A snapshot for a progress line.

    Attributes
    ----------
    sim_time
        Simulated time (s).
    wall_time
        Wall-clock seconds since the run started.
    rtf
        Real-time factor over the last interval: simulated seconds per wall-clock second.
    spikes_per_s
        Spikes of the whole network per simulated second over the last interval.
    distance
        Distance (m) from the vehicle to the light.
    episode, n_episodes
        Number of the current episode (1-based) and how many there are (``None``: the
        starts repeat until the time is up).
    reached
        Episodes that reached the light so far.
    """

    sim_time: float
    wall_time: float
    rtf: float
    spikes_per_s: float
    distance: float
    episode: int
    n_episodes: int | None
    reached: int

    def line(self) -> str:
        """Format the progress line: ``t=  3.20 s  RTF  1.00  5120 spikes/s  light 0.84 m ...``."""
        of = "" if self.n_episodes is None else f"/{self.n_episodes}"
        return (
            f"t={self.sim_time:6.2f} s  RTF {self.rtf:5.2f}  {self.spikes_per_s:6.0f} spikes/s  "
            f"light {self.distance:4.2f} m  episode {self.episode}{of}  "
            f"reached {self.reached}"
        )


@dataclass
class VehicleRun:
    """What a run did: episodes, the vehicle's trail, the control log, recordings."""

    mode: str
    config: VehicleConfig
    episodes: list[Episode]
    world: World
    sim_seconds: float
    wall_seconds: float
    spikes: int
    late_chunks: int
    statistics: Any
    log: dict[str, np.ndarray] = field(default_factory=dict)
    blocks: dict[str, Any] = field(default_factory=dict)

    @property
    def reached(self) -> int:
        """Episodes that reached the light."""
        return sum(e.reached for e in self.episodes)

    def summary(self) -> str:
        """Describe the run in a few lines (the end of the demo)."""
        lines = [
            f"{self.reached}/{len(self.episodes)} episodes reached the light in "
            f"{self.sim_seconds:.2f} s of simulated time ({self.wall_seconds:.2f} s wall clock, "
            f"real-time factor {self.sim_seconds / max(self.wall_seconds, 1e-9):.2f}, "
            f"mode {self.mode})"
        ]
        for k, e in enumerate(self.episodes, 1):
            took = "-" if e.duration is None else f"{e.duration:5.2f} s"
            what = (
                "reached"
                if e.reached
                else "did not reach"
                if e.finished
                else "was cut short before reaching"
            )
            lines.append(
                f"  episode {k}: from ({e.start.x:+.1f}, {e.start.y:+.1f}) heading "
                f"{math.degrees(e.start.heading):+4.0f} deg: {what} the light, {took}, "
                f"path {e.path_length:.2f} m"
            )
        st = self.statistics
        drops = sum(st.drops.values())
        lines.append(
            f"  {self.spikes} spikes; {st.chunks} chunks; overruns {st.overruns}; "
            f"stream drops {drops}; late control answers {self.late_chunks}; "
            f"board time per chunk p50 {st.compute_us.p50:.0f} us"
        )
        return "\n".join(lines)


class VehicleController:
    """The closed loop: spikes of a chunk in, world step, sensor rates out.

    Parameters
    ----------
    sim
        An open :class:`spinstream.Session` with no network yet.
    starts
        Start poses, one episode each.
    config
        Network and conversion constants.
    record
        Record every population's spikes and two motor neurons' ``v`` (for plots).
    """

    def __init__(
        self,
        sim: Any,
        starts: Sequence[Pose] = DEFAULT_STARTS,
        config: VehicleConfig | None = None,
        *,
        record: bool = True,
        cycle: bool = False,
    ) -> None:
        if not starts:
            raise ValueError("starts must hold at least one start pose")
        self.sim = sim
        self.config = cfg = config if config is not None else VehicleConfig()
        self.starts = list(starts)
        self.cycle = cycle
        self.world = World(pose=Pose(starts[0].x, starts[0].y, starts[0].heading))
        self.episodes = [Episode(self.starts[0], 0.0)]
        self.done = asyncio.Event()
        self.spikes = 0
        self.late_chunks = 0
        self._wheels = [cfg.base_speed, cfg.base_speed]
        self._log: list[tuple[float, ...]] = []
        self.sensor_left = sim.Population(
            cfg.n_sensor, sim.SpikeSourcePoisson(rate=0.0), label="sensor_left"
        )
        self.sensor_right = sim.Population(
            cfg.n_sensor, sim.SpikeSourcePoisson(rate=0.0), label="sensor_right"
        )
        cell = sim.IF_curr_exp(tau_m=20.0, tau_refrac=2.0, tau_syn_E=5.0, tau_syn_I=5.0)
        self.motor_left = sim.Population(cfg.n_motor, cell, label="motor_left")
        self.motor_right = sim.Population(cfg.n_motor, cell, label="motor_right")
        rng = sim.NumpyRNG(seed=int(sim.runtime.spec.seed))
        syn = sim.StaticSynapse(weight=cfg.weight, delay=cfg.delay)
        pairs = [(self.sensor_left, self.motor_right), (self.sensor_right, self.motor_left)]
        if not cfg.crossed:
            pairs = [(self.sensor_left, self.motor_left), (self.sensor_right, self.motor_right)]
        for pre, post in pairs:
            sim.Projection(pre, post, sim.FixedProbabilityConnector(cfg.p_connect, rng=rng), syn)
        if cfg.noise[1] > 0 or cfg.noise[0] != 0:
            noise = sim.NoisyCurrentSource(mean=cfg.noise[0], stdev=cfg.noise[1], dt=cfg.timestep)
            for p in (self.motor_left, self.motor_right):
                p.inject(noise)
        self.populations = [self.sensor_left, self.sensor_right, self.motor_left, self.motor_right]
        self.network = sim.Assembly(*self.populations, label="vehicle")
        if record:
            for p in self.populations:
                p.record("spikes")
            self.motor_left[0:2].record("v")
            self.motor_right[0:2].record("v")
        self._bounds = np.cumsum([0] + [p.size for p in self.populations])
        self._set_sensors()

    # ------------------------------------------------------------------ one chunk
    def _set_sensors(self) -> tuple[float, float]:
        left, right = self.world.sense()
        self.sensor_left.set(rate=self.config.max_rate * left)
        self.sensor_right.set(rate=self.config.max_rate * right)
        return left, right

    def step(self, batch: Any) -> None:
        """Answer one chunk's spike batch of :attr:`network` (runs on the event loop)."""
        cfg = self.config
        counts = np.diff(np.searchsorted(np.sort(batch.indices), self._bounds))
        self.spikes += int(counts.sum())
        if batch.dropped:
            self.late_chunks += batch.dropped
        seconds = (batch.t_stop - batch.t_start) * 1e-3
        # chunks this controller never saw: the wheels kept their speed meanwhile
        lost = batch.dropped * cfg.chunk * 1e-3
        if lost:
            self.world.move(self._wheels[0], self._wheels[1], lost)
        alpha = 1.0 - math.exp(-seconds / cfg.wheel_tau)
        for side, n in ((0, counts[2]), (1, counts[3])):
            rate = n / (cfg.n_motor * seconds)
            target = cfg.base_speed + cfg.gain * rate
            self._wheels[side] += alpha * (target - self._wheels[side])
        before = self.world.odometer
        self.world.move(self._wheels[0], self._wheels[1], seconds)
        ep = self.episodes[-1]
        ep.path_length += self.world.odometer - before
        now = batch.t_stop * 1e-3
        if self.world.reached or now - ep.t_start >= cfg.episode_timeout - 1e-9:
            ep.t_end, ep.reached, ep.finished = now, self.world.reached, True
            if len(self.episodes) == len(self.starts) and not self.cycle:
                self.done.set()
            else:
                start = self.starts[len(self.episodes) % len(self.starts)]
                self.world.place(start)
                self.episodes.append(Episode(start, now))
                self._wheels = [cfg.base_speed, cfg.base_speed]
        left, right = self._set_sensors()
        self._log.append(
            (batch.t_stop, self._wheels[0], self._wheels[1], left, right, self.world.distance)
        )

    def log(self) -> dict[str, np.ndarray]:
        """Per chunk: ``t`` (ms), wheel speeds (m/s), sensor intensities, distance (m)."""
        a = np.array(self._log, dtype=np.float64).reshape(-1, 6)
        names = ("t", "v_left", "v_right", "light_left", "light_right", "distance")
        return {n: a[:, k] for k, n in enumerate(names)}


async def run_vehicle(
    *,
    seconds: float = 20.0,
    mode: str = "realtime",
    seed: int = 1,
    session_options: Mapping[str, Any] | None = None,
    starts: Sequence[Pose] = DEFAULT_STARTS,
    config: VehicleConfig | None = None,
    record: bool = True,
    cycle: bool = False,
    on_progress: Callable[[Progress], None] | None = None,
    progress_every: float = 0.5,
    on_session: Callable[[Any, VehicleController], Any] | None = None,
) -> VehicleRun:
    """Run the vehicle until every start has had its episode, or for ``seconds``.

    Parameters
    ----------
    seconds
        Upper bound on simulated time (s).
    mode
        Session mode: ``"realtime"``, ``"fast"`` or ``"lockstep"``.
    seed
        Seed of the network's connectivity and of the board's random generators.
    starts, config
        Start poses and the network's constants.
    cycle
        Start again from the first pose after the last one, until ``seconds``.
    record
        Record spikes and two motor voltages for :func:`spinstream.demos.save_vehicle_png`.
    on_progress
        Called every ``progress_every`` simulated seconds with a :class:`Progress`.
    on_session
        Called (and awaited if it returns an awaitable) with the session and the controller
        once the network is built and before it runs: a hook to serve it over ZeroMQ.
    """
    from spinstream._session_api import Session

    cfg = config if config is not None else VehicleConfig()
    if not (isinstance(seconds, int | float) and seconds > 0):
        raise ValueError(f"seconds must be a positive number, got {seconds!r}")
    async with Session(
        timestep=cfg.timestep, chunk=cfg.chunk, mode=mode, seed=seed, **dict(session_options or {})
    ) as sim:
        ctl = VehicleController(sim, starts, cfg, record=record, cycle=cycle)
        if on_session is not None:
            maybe = on_session(sim, ctl)
            if asyncio.iscoroutine(maybe):
                await maybe
        lockstep = mode == "lockstep"
        end = seconds * 1e3
        wall0 = time.perf_counter()
        mark = {"sim": 0.0, "wall": wall0, "spikes": 0}

        def report(now: float) -> None:
            if on_progress is None:
                return
            wall = time.perf_counter()
            dsim = now - mark["sim"]
            dwall = max(wall - mark["wall"], 1e-9)
            spikes = ctl.spikes - mark["spikes"]
            on_progress(
                Progress(
                    sim_time=now,
                    wall_time=wall - wall0,
                    rtf=dsim / dwall,
                    spikes_per_s=spikes / max(dsim, 1e-9),
                    distance=ctl.world.distance,
                    episode=len(ctl.episodes),
                    n_episodes=None if cycle else len(ctl.starts),
                    reached=sum(e.reached for e in ctl.episodes),
                )
            )
            mark.update(sim=now, wall=wall, spikes=ctl.spikes)

        async def control() -> None:
            async with ctl.network.stream("spikes", maxlen=256, lockstep=lockstep) as stream:
                async for batch in stream:
                    ctl.step(batch)
                    now = batch.t_stop * 1e-3
                    if now - mark["sim"] >= progress_every - 1e-9:
                        report(now)
                    if ctl.done.is_set() or batch.t_stop >= end - 1e-9:
                        return

        await drive(sim, seconds * 1e3, control())
        wall = time.perf_counter() - wall0
        ep = ctl.episodes[-1]
        if ep.t_end is None:
            ep.t_end = sim.time * 1e-3
        if mark["sim"] < sim.time * 1e-3 - 1e-9:
            report(sim.time * 1e-3)
        blocks = {p.label: p.get_data() for p in ctl.populations} if record else {}
        return VehicleRun(
            mode=mode,
            config=cfg,
            episodes=ctl.episodes,
            world=ctl.world,
            sim_seconds=sim.time * 1e-3,
            wall_seconds=wall,
            spikes=ctl.spikes,
            late_chunks=ctl.late_chunks,
            statistics=sim.statistics(),
            log=ctl.log(),
            blocks=blocks,
        )
