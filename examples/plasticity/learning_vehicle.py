"""A vehicle that learns, through STDP, which of its sensors warn it of a wall.

A two-wheeled vehicle drives at constant speed in a round arena.  Its spiking controller
has two motor populations, ``turn_left`` and ``turn_right``, whose firing rates set the
turn rate, and four sensor populations (Poisson sources whose rates the loop sets after
every chunk):

- ``prox_left``, ``prox_right``: range sensors looking 35 degrees to either side; they fire
  faster as a wall gets closer (within 0.45 m);
- ``noise_a``, ``noise_b``: sensors of something unrelated to walls, as busy as the range
  sensors on average but independent of where the vehicle is;
- ``bump_left``, ``bump_right``: touch sensors that fire only on contact with the wall.

A fixed reflex turns the vehicle away after a bump (``bump_left -> turn_right`` and
``bump_right -> turn_left``, static synapses).  Every other sensor reaches both motor
populations through plastic synapses (``STDPMechanism``: ``SpikePairRule``, additive
weights in [0, 0.4] nA) that start too weak to turn the vehicle.  The range sensor on the
side of a wall is busy just before the reflex makes the opposite motor fire, so STDP
strengthens most the synapses from it to the motor that turns away (``prox_right ->
turn_left`` for a wall on the right); the other range sensor, which also sees a wall that
the vehicle drives at, gains less; the unrelated sensors' spikes are not ordered with the
motors' spikes and, with depression a little stronger than potentiation, their synapses
weaken.  After a few bumps the range sensors turn the vehicle before it touches the wall
(it ends up following the wall): collisions stop, while a vehicle with the same, static,
synapses keeps bumping (``--static``, and the black line of ``--plot``).

The loop is closed every 10 ms chunk (spike counts in, wheel speeds and sensor rates out),
and the weights are streamed live with ``Projection.stream("weight", every=...)``::

    python examples/plasticity/learning_vehicle.py                 # 120 s, prints progress
    python examples/plasticity/learning_vehicle.py --plot out.png  # weights over time, PNG
    python examples/plasticity/learning_vehicle.py --static        # no learning: a baseline
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import spinstream

SENSORS = ("prox_left", "prox_right", "noise_a", "noise_b")
MOTORS = ("turn_left", "turn_right")


@dataclass(frozen=True)
class Config:
    """Constants of the arena, the vehicle and the network (SI units, rates in Hz)."""

    radius: float = 1.0  # arena radius (m)
    speed: float = 0.25  # forward speed (m/s)
    turn_gain: float = 0.08  # turn rate (rad/s) per Hz of motor-rate difference
    sensor_angle: float = math.radians(35.0)
    sensor_range: float = 0.45  # m
    contact: float = 0.04  # distance to the wall (m) that counts as touching it
    max_rate: float = 150.0  # sensor rate at the wall
    bump_rate: float = 250.0
    n_sensor: int = 20
    n_motor: int = 20
    chunk: float = 10.0  # ms: the control period
    timestep: float = 0.1  # ms
    w_start: float = 0.03  # nA: initial plastic weight (too weak to turn the vehicle)
    w_max: float = 0.4  # nA
    w_reflex: float = 1.0  # nA
    a_plus: float = 0.002
    a_minus: float = 0.0023
    tau: float = 20.0  # ms, both STDP windows


@dataclass
class Arena:
    """The vehicle in a round arena: position (m), heading (rad)."""

    cfg: Config
    x: float = 0.0
    y: float = 0.0
    heading: float = 0.3
    touching: int = 0  # -1 wall on the right, +1 on the left, 0 free

    def _range(self, angle: float) -> float:
        """Distance (m) to the wall along a ray at ``angle`` from the heading."""
        ux, uy = math.cos(self.heading + angle), math.sin(self.heading + angle)
        b = self.x * ux + self.y * uy
        c = self.x**2 + self.y**2 - self.cfg.radius**2
        return -b + math.sqrt(max(b * b - c, 0.0))

    def sense(self) -> dict[str, float]:
        """Proximity (0 far .. 1 at the wall) of each range sensor, and contact per side."""
        cfg = self.cfg
        prox = {
            name: min(max(1.0 - self._range(a) / cfg.sensor_range, 0.0), 1.0)
            for name, a in (("prox_left", cfg.sensor_angle), ("prox_right", -cfg.sensor_angle))
        }
        prox["bump_left"] = float(self.touching > 0)
        prox["bump_right"] = float(self.touching < 0)
        return prox

    def move(self, turn_rate: float, seconds: float) -> bool:
        """Drive for ``seconds``; returns whether the vehicle newly touched the wall."""
        cfg = self.cfg
        self.heading += turn_rate * seconds
        self.x += cfg.speed * math.cos(self.heading) * seconds
        self.y += cfg.speed * math.sin(self.heading) * seconds
        r = math.hypot(self.x, self.y)
        limit = cfg.radius - cfg.contact
        if r < limit - 0.04:
            self.touching = 0  # clear of the wall again
            return False
        if r > limit:  # slide along the wall
            self.x, self.y = self.x * limit / r, self.y * limit / r
        # which side the wall is on: the sign of heading x outward normal
        side = 1 if math.cos(self.heading) * self.y - math.sin(self.heading) * self.x > 0 else -1
        new = self.touching == 0 and r >= limit - 1e-12
        if new or self.touching:
            self.touching = side
        return new


@dataclass
class Result:
    """What a run did."""

    seconds: float
    collisions: list[float] = field(default_factory=list)  # times (s)
    weight_times: np.ndarray = field(default_factory=lambda: np.zeros(0))  # s
    weights: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)  # mean, nA
    path: list[tuple[float, float, float]] = field(default_factory=list)  # t, x, y
    wall_seconds: float = 0.0

    def collisions_per_window(self, window: float) -> np.ndarray:
        """Collisions in each ``window`` seconds of the run."""
        n = max(1, round(self.seconds / window))
        return np.histogram(self.collisions, bins=n, range=(0.0, n * window))[0]


def build(sim: Any, cfg: Config, learning: bool) -> tuple[dict[str, Any], dict[Any, Any]]:
    """The controller network; returns the populations and the plastic projections."""
    pops: dict[str, Any] = {}
    for name in (*SENSORS, "bump_left", "bump_right"):
        pops[name] = sim.Population(cfg.n_sensor, sim.SpikeSourcePoisson(rate=0.0), label=name)
    cell = sim.IF_curr_exp(
        tau_m=20.0, tau_refrac=2.0, tau_syn_E=5.0, tau_syn_I=5.0, v_thresh=-50.0
    )
    for name in MOTORS:
        pops[name] = sim.Population(cfg.n_motor, cell, label=name)
        pops[name].record("spikes")

    # Every projection draws its connections from a fresh NumpyRNG(seed=7): the network this
    # controller was tuned on (a shared RNG used to give every projection these same draws;
    # spinstream now continues a shared RNG from one projection to the next).
    def rng() -> Any:
        return sim.NumpyRNG(seed=7)

    reflex = sim.StaticSynapse(weight=cfg.w_reflex, delay=1.0)
    for bump, motor in (("bump_left", "turn_right"), ("bump_right", "turn_left")):
        sim.Projection(
            pops[bump], pops[motor], sim.FixedProbabilityConnector(0.5, rng=rng()), reflex
        )
    # the two motors inhibit each other a little: one turn at a time
    sim.Projection(
        pops["turn_left"],
        pops["turn_right"],
        sim.AllToAllConnector(),
        sim.StaticSynapse(weight=0.1, delay=1.0),
        receptor_type="inhibitory",
    )
    sim.Projection(
        pops["turn_right"],
        pops["turn_left"],
        sim.AllToAllConnector(),
        sim.StaticSynapse(weight=0.1, delay=1.0),
        receptor_type="inhibitory",
    )
    if learning:
        synapse = sim.STDPMechanism(
            timing_dependence=sim.SpikePairRule(
                tau_plus=cfg.tau, tau_minus=cfg.tau, A_plus=cfg.a_plus, A_minus=cfg.a_minus
            ),
            weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=cfg.w_max),
            weight=cfg.w_start,
            delay=1.0,
        )
    else:
        synapse = sim.StaticSynapse(weight=cfg.w_start, delay=1.0)
    plastic = {}
    for s in SENSORS:
        for m in MOTORS:
            plastic[(s, m)] = sim.Projection(
                pops[s],
                pops[m],
                sim.FixedProbabilityConnector(0.5, rng=rng()),
                synapse,
                label=f"{s}->{m}",
            )
    return pops, plastic


async def run(
    seconds: float = 120.0,
    *,
    seed: int = 1,
    learning: bool = True,
    config: Config | None = None,
    weight_every: float = 1000.0,
    progress: bool = False,
) -> Result:
    """Drive the vehicle for ``seconds`` of simulated time; record collisions and weights."""
    cfg = config if config is not None else Config()
    arena = Arena(cfg)
    rng = np.random.default_rng(seed)
    result = Result(seconds)
    async with spinstream.Session(
        timestep=cfg.timestep, chunk=cfg.chunk, mode="fast", seed=seed
    ) as sim:
        pops, plastic = build(sim, cfg, learning)
        streams = {
            key: proj.stream("weight", every=weight_every, maxlen=100_000)
            for key, proj in plastic.items()
        }
        motors = sim.Assembly(pops["turn_left"], pops["turn_right"])
        spikes = motors.stream("spikes", maxlen=100_000)
        noise = np.full(2, 0.3)  # the unrelated sensors' intensities (a slow random walk)
        n_chunks = round(seconds * 1000.0 / cfg.chunk)
        dt_s = cfg.chunk * 1e-3
        wall0 = time.perf_counter()
        rates: dict[str, float] = {}
        for k in range(n_chunks):
            reading = arena.sense()
            if k % 5 == 0:  # the unrelated signal changes every 50 ms
                noise = np.clip(noise + rng.normal(0.0, 0.18, 2) - 0.1 * (noise - 0.3), 0.0, 1.0)
            reading["noise_a"], reading["noise_b"] = noise
            for name in (*SENSORS, "bump_left", "bump_right"):
                top = cfg.bump_rate if name.startswith("bump") else cfg.max_rate
                rate = top * reading[name]
                if rates.get(name) != rate:  # live input: only what changed
                    pops[name].set(rate=rate)
                    rates[name] = rate
            await sim.run(cfg.chunk)
            batch = spikes.receive_nowait()
            left = np.count_nonzero(batch.indices < cfg.n_motor)
            right = len(batch.indices) - left
            rate_diff = (left - right) / (cfg.n_motor * dt_s)  # Hz
            t = (k + 1) * dt_s
            if arena.move(cfg.turn_gain * rate_diff, dt_s):
                result.collisions.append(t)
            result.path.append((t, arena.x, arena.y))
            if progress and (k + 1) % round(10.0 / dt_s) == 0:
                recent = sum(1 for c in result.collisions if c > t - 10.0)
                print(
                    f"t = {t:6.1f} s  collisions in the last 10 s: {recent:3d}  "
                    f"(wall clock {time.perf_counter() - wall0:5.1f} s)",
                    flush=True,
                )
        result.wall_seconds = time.perf_counter() - wall0
        for key, s in streams.items():
            batches = [s.receive_nowait() for _ in range(len(s))]
            values = np.concatenate([b.values for b in batches])
            result.weight_times = np.concatenate([b.times for b in batches]) * 1e-3
            result.weights[key] = values.mean(axis=1)
    return result


def save_plot(result: Result, path: str, baseline: Result | None = None) -> None:
    """Weights over time (mean per pathway) and collisions per 10 s, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_w, ax_c) = plt.subplots(2, 1, figsize=(8, 6.5), sharex=True)
    style = {
        ("prox_left", "turn_right"): ("tab:green", "-", "prox_left -> turn_right (away)"),
        ("prox_right", "turn_left"): ("tab:olive", "-", "prox_right -> turn_left (away)"),
        ("prox_left", "turn_left"): ("tab:red", "--", "prox_left -> turn_left (into)"),
        ("prox_right", "turn_right"): ("tab:orange", "--", "prox_right -> turn_right (into)"),
    }
    for key, w in result.weights.items():
        color, ls, label = style.get(key, ("tab:gray", ":", None))
        if label is None and key == ("noise_a", "turn_left"):
            label = "unrelated sensors -> motors"
        ax_w.plot(result.weight_times, w, color=color, ls=ls, label=label)
    ax_w.set_ylabel("mean weight (nA)")
    ax_w.set_title("STDP: which sensor warns of the wall")
    ax_w.legend(fontsize=8, loc="upper left")
    window = 10.0 if result.seconds <= 200 else 20.0
    counts = result.collisions_per_window(window)
    edges = np.arange(len(counts)) * window
    ax_c.bar(edges, counts, width=window * 0.9, align="edge", color="tab:blue", label="with STDP")
    if baseline is not None:
        base = baseline.collisions_per_window(window)
        ax_c.step(
            np.arange(len(base) + 1) * window,
            np.r_[base, base[-1:]],
            where="post",
            color="black",
            label="static synapses",
        )
    ax_c.set_ylabel(f"collisions per {window:g} s")
    ax_c.set_xlabel("simulated time (s)")
    ax_c.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=120.0, help="simulated seconds")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--static", action="store_true", help="static synapses: no learning")
    ap.add_argument("--plot", metavar="PNG", help="save the weights over time as a PNG")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    learn = asyncio.run(
        run(args.seconds, seed=args.seed, learning=not args.static, progress=not args.quiet)
    )
    window = args.seconds / 4
    counts = learn.collisions_per_window(window)
    print(
        f"{'static synapses' if args.static else 'STDP'}: {len(learn.collisions)} collisions "
        f"in {args.seconds:g} s; per quarter of the run: {counts.tolist()}  "
        f"({learn.wall_seconds:.1f} s wall clock)"
    )
    for key, w in learn.weights.items():
        print(f"  {key[0]:>10} -> {key[1]:<10} mean weight {w[0]:.3f} -> {w[-1]:.3f} nA")
    if args.plot:
        baseline = None
        if not args.static:
            baseline = asyncio.run(run(args.seconds, seed=args.seed, learning=False))
            print(
                f"static synapses: {len(baseline.collisions)} collisions; per quarter: "
                f"{baseline.collisions_per_window(window).tolist()}"
            )
        save_plot(learn, args.plot, baseline)
        print(f"saved {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
