"""Cart-pole balanced by a spiking controller, one control period (20 ms) per chunk.

The plant is the classic cart-pole of Barto, Sutton & Anderson (1983), as in most RL
benchmarks: a 1 kg cart on a track, a 0.1 kg pole of half-length 0.5 m, gravity 9.8 m/s^2,
a horizontal force of at most 10 N, failure when the pole leans more than 12 degrees or the
cart leaves ``|x| <= 2.4`` m.  The force is held for one control period of 20 ms; the
equations are integrated with Euler sub-steps of one network time step.

The controller is a hand-wired spiking network that computes a linear state feedback
``F = k_x x + k_v v + k_theta theta + k_omega omega`` (gains from an LQR design):

- ``state``: a ``SpikeInjector`` of 8 channels of ``n_input`` neurons, the positive and
  the negative part of each state variable, rate-coded (0 to ``max_rate`` Hz over the
  variable's range) by spikes that the controller injects at exact times over the next
  control period;
- ``push_left``, ``push_right``: LIF populations with a bias current (so they fire
  tonically), each excited by the channels that ask for a push to its side and inhibited
  by those that ask for the other side, with weights proportional to the gains;
- the force is ``force_gain`` times the difference of the two populations' firing rates
  in the control period.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from spinstream.demos._loop import drive

#: Order of the state variables (cart position m, cart velocity m/s, pole angle rad,
#: pole angular velocity rad/s) in the state vector and in the input channels.
STATE_NAMES = ("x", "v", "theta", "omega")


def periodic_pushes(
    seconds: float, every: float = 5.0, force: float = 5.0, duration: float = 0.2
) -> list[tuple[float, float, float]]:
    """Pushes of ``force`` N for ``duration`` s every ``every`` s, alternating in sign."""
    n = int(seconds // every)
    return [
        (every * k, duration, force * (-1) ** k) for k in range(1, n + 1) if every * k < seconds
    ]


@dataclass
class CartPole:
    """The classic cart-pole (Barto, Sutton & Anderson 1983).

    ``theta`` is the pole's angle from upright (rad), positive leaning towards ``+x``; a
    positive force pushes the cart towards ``+x``.
    """

    x: float = 0.0
    v: float = 0.0
    theta: float = 0.05
    omega: float = 0.0
    gravity: float = 9.8
    mass_cart: float = 1.0
    mass_pole: float = 0.1
    half_length: float = 0.5
    max_force: float = 10.0
    theta_limit: float = math.radians(12.0)
    x_limit: float = 2.4

    @property
    def state(self) -> tuple[float, float, float, float]:
        """``(x, v, theta, omega)``."""
        return (self.x, self.v, self.theta, self.omega)

    @property
    def failed(self) -> bool:
        """Whether the pole fell (``|theta| > 12`` deg) or the cart left the track."""
        return abs(self.theta) > self.theta_limit or abs(self.x) > self.x_limit

    def step(
        self, force: float, seconds: float, substep: float = 0.001, disturbance: float = 0.0
    ) -> None:
        """Apply ``force`` (N, clipped to ``max_force``) for ``seconds``, Euler sub-steps.

        ``disturbance`` (N) is an external push added to the clipped force.
        """
        f = min(max(force, -self.max_force), self.max_force) + disturbance
        n = max(1, round(seconds / substep))
        h = seconds / n
        total = self.mass_cart + self.mass_pole
        ml = self.mass_pole * self.half_length
        for _ in range(n):
            c, s = math.cos(self.theta), math.sin(self.theta)
            temp = (f + ml * self.omega * self.omega * s) / total
            alpha = (self.gravity * s - c * temp) / (
                self.half_length * (4.0 / 3.0 - self.mass_pole * c * c / total)
            )
            acc = temp - ml * alpha * c / total
            self.x += h * self.v
            self.v += h * acc
            self.theta += h * self.omega
            self.omega += h * alpha


@dataclass(frozen=True)
class CartPoleConfig:
    """The controller's network and its calibration.

    Attributes
    ----------
    gains
        Feedback gains (N per unit of ``x``, ``v``, ``theta``, ``omega``).
    ranges
        The value of each variable that is coded by ``max_rate`` (larger values saturate).
    n_input, n_motor
        Neurons per input channel and per motor population.
    max_rate
        Input rate (Hz per neuron) at the end of a variable's range.
    current_per_newton
        Mean synaptic current (nA) that the network turns into one newton of force.
    force_gain
        Newtons per Hz of firing-rate difference between ``push_right`` and ``push_left``.
    bias
        Range of the motor neurons' bias currents (nA), spread over the population.
    timestep, period
        Network time step and control period (ms).
    """

    gains: tuple[float, float, float, float] = (3.16, 5.9, 49.5, 12.8)
    ranges: tuple[float, float, float, float] = (2.4, 2.0, 0.21, 2.0)
    n_input: int = 10
    n_motor: int = 50
    max_rate: float = 200.0
    current_per_newton: float = 0.05
    force_gain: float = 0.2
    bias: tuple[float, float] = (1.3, 1.7)
    tau_syn: float = 5.0
    timestep: float = 1.0
    period: float = 20.0


def build_cartpole_network(sim: Any, cfg: CartPoleConfig) -> tuple[Any, Any, Any]:
    """Create the controller's populations and projections in ``sim``.

    Returns ``(state, push_left, push_right)``: the ``SpikeInjector`` of 8 input channels
    and the two motor populations.
    """
    n_in, n_m = cfg.n_input, cfg.n_motor
    state = sim.Population(8 * n_in, sim.SpikeInjector(), label="state")
    bias = np.linspace(cfg.bias[0], cfg.bias[1], n_m)
    cell = sim.IF_curr_exp(
        tau_m=20.0,
        tau_refrac=2.0,
        tau_syn_E=cfg.tau_syn,
        tau_syn_I=cfg.tau_syn,
        v_thresh=-50.0,
        i_offset=bias,
    )
    push_left = sim.Population(n_m, cell, label="push_left")
    push_right = sim.Population(n_m, cell, label="push_right")
    # current = w * tau_syn * (rate into one motor neuron): pick w so that a channel at
    # full rate brings current_per_newton * gain * range nA, i.e. that many newtons.
    total_rate = n_in * cfg.max_rate * cfg.tau_syn * 1e-3
    lists: dict[tuple[str, str], list[tuple[int, int, float, float]]] = {
        (side, kind): [] for side in ("left", "right") for kind in ("excitatory", "inhibitory")
    }
    for var in range(4):
        w = cfg.current_per_newton * abs(cfg.gains[var]) * cfg.ranges[var] / total_rate
        for sign in (+1, -1):
            channel = 2 * var + (0 if sign > 0 else 1)
            wants_right = sign * cfg.gains[var] > 0
            near, far = ("right", "left") if wants_right else ("left", "right")
            for i in range(channel * n_in, (channel + 1) * n_in):
                for j in range(n_m):
                    lists[(near, "excitatory")].append((i, j, w, 1.0))
                    lists[(far, "inhibitory")].append((i, j, w, 1.0))
    for (side, kind), conns in lists.items():
        post = push_right if side == "right" else push_left
        sim.Projection(
            state,
            post,
            sim.FromListConnector(conns),
            sim.StaticSynapse(),
            receptor_type=kind,
        )
    return state, push_left, push_right


class SpikeEncoder:
    """Rate-codes the plant's state as input spikes, spread evenly over a control period.

    Each of the 8 channels (positive and negative part of ``x``, ``v``, ``theta``,
    ``omega``) fires at up to ``max_rate`` Hz per neuron; the spikes of a period are spread
    evenly over its steps and over the channel's neurons in turn, and the fraction of a
    spike left over is carried to the next period, so the mean rate is exact.  Pure numpy:
    an external controller process can use it too.
    """

    def __init__(self, config: CartPoleConfig | None = None) -> None:
        self.config = config if config is not None else CartPoleConfig()
        self._phase = np.zeros(8)
        self._next_neuron = np.zeros(8, dtype=np.int64)

    def channel_rates(self, state: Sequence[float]) -> np.ndarray:
        """Rate (Hz per neuron) of each of the 8 input channels for ``state``."""
        cfg = self.config
        rates = np.zeros(8)
        for var, value in enumerate(state):
            level = min(abs(value) / cfg.ranges[var], 1.0) * cfg.max_rate
            rates[2 * var + (0 if value >= 0 else 1)] = level
        return rates

    def encode(self, state: Sequence[float], first_step: int) -> tuple[np.ndarray, np.ndarray]:
        """Neuron indices and stamps (steps) of the period that starts at ``first_step``."""
        cfg = self.config
        steps = round(cfg.period / cfg.timestep)
        self._phase += self.channel_rates(state) * cfg.n_input * cfg.period * 1e-3
        counts = np.floor(self._phase).astype(np.int64)
        self._phase -= counts
        indices: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
        stamps: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
        for ch in np.flatnonzero(counts):
            k = int(counts[ch])
            slots = np.floor((np.arange(k) + 0.5) * steps / k).astype(np.int64)
            neurons = (self._next_neuron[ch] + np.arange(k)) % cfg.n_input
            self._next_neuron[ch] = (self._next_neuron[ch] + k) % cfg.n_input
            indices.append(ch * cfg.n_input + neurons)
            stamps.append(first_step + slots)
        return np.concatenate(indices), np.concatenate(stamps)


def motor_force(config: CartPoleConfig, left: int, right: int, seconds: float) -> float:
    """Force (N, within +-10) from the motor populations' spike counts over ``seconds``."""
    diff = (right - left) / (config.n_motor * seconds)
    return min(max(config.force_gain * diff, -10.0), 10.0)


class CartPoleController:
    """Builds the controller network in a session and closes the loop each period.

    Parameters
    ----------
    sim
        An open :class:`spinstream.Session` with no network yet.
    plant
        The cart-pole to balance.
    config
        The network's constants.
    record
        Record every population's spikes and two motor neurons' ``v``.
    """

    def __init__(
        self,
        sim: Any,
        plant: CartPole | None = None,
        config: CartPoleConfig | None = None,
        *,
        record: bool = True,
        pushes: Sequence[tuple[float, float, float]] = (),
    ) -> None:
        self.sim = sim
        self.pushes = sorted((float(t), float(d), float(f)) for t, d, f in pushes)
        self.plant = plant if plant is not None else CartPole()
        self.config = cfg = config if config is not None else CartPoleConfig()
        self.state, self.push_left, self.push_right = build_cartpole_network(sim, cfg)
        self.populations = [self.state, self.push_left, self.push_right]
        self.motors = sim.Assembly(self.push_left, self.push_right, label="motors")
        if record:
            for p in self.populations:
                p.record("spikes")
            self.push_left[0:2].record("v")
            self.push_right[0:2].record("v")
        self.encoder = SpikeEncoder(cfg)
        self._log: list[tuple[float, ...]] = []
        self.failed_at: float | None = None
        self.spikes = 0

    def encode(self) -> None:
        """Inject the next control period's input spikes, evenly spread over it."""
        first = self.sim.runtime.input_step
        indices, stamps = self.encoder.encode(self.plant.state, first)
        if len(indices):
            self.state.inject_spikes(indices, stamps * self.config.timestep)

    def force(self, left: int, right: int, seconds: float) -> float:
        """Force (N) from the two motor populations' spike counts over ``seconds``."""
        return motor_force(self.config, left, right, seconds)

    def push_at(self, t: float) -> float:
        """Return the external push (N) acting in the control period that starts at ``t`` s."""
        return sum(f for start, d, f in self.pushes if start - 1e-9 <= t < start + d - 1e-9)

    def step(self, batch: Any) -> None:
        """Answer one period's spike batch of :attr:`motors`: move the plant, encode."""
        seconds = (batch.t_stop - batch.t_start) * 1e-3
        n_left = int(np.count_nonzero(batch.indices < self.config.n_motor))
        n_right = len(batch.indices) - n_left
        self.spikes += len(batch.indices)
        f = self.force(n_left, n_right, seconds)
        push = self.push_at(batch.t_start * 1e-3)
        self.plant.step(f, seconds, self.config.timestep * 1e-3, disturbance=push)
        self._log.append((batch.t_stop, *self.plant.state, f, push))
        if self.plant.failed and self.failed_at is None:
            self.failed_at = batch.t_stop * 1e-3
        self.encode()

    def log(self) -> dict[str, np.ndarray]:
        """Per period: ``t`` (ms), ``x``, ``v``, ``theta``, ``omega``, ``force``, ``push`` (N)."""
        a = np.array(self._log, dtype=np.float64).reshape(-1, 7)
        names = ("t", *STATE_NAMES, "force", "push")
        return {n: a[:, k] for k, n in enumerate(names)}


@dataclass
class CartPoleRun:
    """What a cart-pole run did."""

    mode: str
    config: CartPoleConfig
    seconds: float
    balanced: float
    failed_at: float | None
    wall_seconds: float
    spikes: int
    statistics: Any
    log: dict[str, np.ndarray] = field(default_factory=dict)
    blocks: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """Describe the run in a few lines (the end of the demo)."""
        log = self.log
        outcome = (
            f"the pole fell after {self.failed_at:.2f} s"
            if self.failed_at is not None
            else f"balanced for all {self.balanced:.2f} s"
        )
        lines = [
            f"cart-pole: {outcome} ({self.wall_seconds:.2f} s wall clock, mode {self.mode})",
        ]
        if len(log.get("t", ())):
            lines.append(
                f"  max |theta| {math.degrees(np.abs(log['theta']).max()):.2f} deg, "
                f"max |x| {np.abs(log['x']).max():.3f} m, "
                f"mean |force| {np.abs(log['force']).mean():.2f} N, {self.spikes} motor spikes"
            )
        st = self.statistics
        lines.append(
            f"  {st.chunks} control periods; overruns {st.overruns}; "
            f"stream drops {sum(st.drops.values())}; late inputs {st.late_inputs}"
        )
        return "\n".join(lines)


async def run_cartpole(
    *,
    seconds: float = 30.0,
    mode: str = "lockstep",
    plant: CartPole | None = None,
    config: CartPoleConfig | None = None,
    record: bool = True,
    seed: int = 1,
    session_options: Mapping[str, Any] | None = None,
    pushes: Sequence[tuple[float, float, float]] = (),
    on_progress: Callable[[float, CartPole], None] | None = None,
    progress_every: float = 0.5,
) -> CartPoleRun:
    """Balance the pole for ``seconds`` of simulated time (stops early if it falls).

    ``pushes`` are external pushes ``(start s, duration s, force N)`` on the cart.
    """
    from spinstream._session_api import Session

    cfg = config if config is not None else CartPoleConfig()
    if not (isinstance(seconds, int | float) and seconds > 0):
        raise ValueError(f"seconds must be a positive number, got {seconds!r}")
    async with Session(
        timestep=cfg.timestep,
        chunk=cfg.period,
        mode=mode,
        seed=seed,
        **dict(session_options or {}),
    ) as sim:
        ctl = CartPoleController(sim, plant, cfg, record=record, pushes=pushes)
        ctl.encode()
        lockstep = mode == "lockstep"
        wall0 = time.perf_counter()
        last = [0.0]
        end = seconds * 1e3

        async def control() -> None:
            async with ctl.motors.stream("spikes", maxlen=256, lockstep=lockstep) as stream:
                async for batch in stream:
                    ctl.step(batch)
                    now = batch.t_stop * 1e-3
                    if on_progress is not None and now - last[0] >= progress_every - 1e-9:
                        last[0] = now
                        on_progress(now, ctl.plant)
                    if ctl.failed_at is not None or batch.t_stop >= end - 1e-9:
                        return

        await drive(sim, seconds * 1e3, control())
        log = ctl.log()
        balanced = (
            ctl.failed_at
            if ctl.failed_at is not None
            else (float(log["t"][-1]) * 1e-3 if len(log["t"]) else 0.0)
        )
        return CartPoleRun(
            mode=mode,
            config=cfg,
            seconds=seconds,
            balanced=balanced,
            failed_at=ctl.failed_at,
            wall_seconds=time.perf_counter() - wall0,
            spikes=ctl.spikes,
            statistics=sim.statistics(),
            log=log,
            blocks={p.label: p.get_data() for p in ctl.populations} if record else {},
        )
