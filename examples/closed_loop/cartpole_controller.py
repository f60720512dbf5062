"""An external cart-pole controller: it closes the loop with a spinstream session over ZeroMQ.

It owns the plant (the classic cart-pole) and talks to the session only through the
bridge, with :class:`spinstream.client.Client` (pyzmq and msgpack; neither the engine nor
PyNN is loaded here)::

    python examples/closed_loop/cartpole_controller.py tcp://127.0.0.1:PORT [--seconds 20]

Every control period (one 20 ms chunk of the session, held by a lock-step gate):
receive the motor populations' spikes, turn the spike counts into a force, step the
plant, and inject the next period's input spikes (the state, rate-coded).
"""

from __future__ import annotations

import argparse
import math
import sys

import numpy as np

from spinstream.client import Client
from spinstream.demos import CartPole, CartPoleConfig, SpikeEncoder, motor_force, periodic_pushes


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("endpoint", help="the session's control endpoint")
    ap.add_argument("--seconds", type=float, default=20.0)
    args = ap.parse_args()
    cfg = CartPoleConfig()
    plant = CartPole(theta=0.1)
    pushes = periodic_pushes(args.seconds)
    encoder = SpikeEncoder(cfg)
    with Client(args.endpoint, timeout=30) as c:
        d = c.describe()
        if d["mode"] != "lockstep" or d["chunk_ms"] != cfg.period:
            sys.exit(f"expected a lock-step session with {cfg.period:g} ms chunks, got {d}")
        stream = c.subscribe("spikes/motors/", lockstep=True)  # holds each chunk for us
        idx, steps = encoder.encode(plant.state, d["input_step"])
        c.inject_spikes("state", idx, steps)
        worst = 0.0
        while True:
            msg = stream.receive(timeout=30)  # also releases the previous chunk
            seconds = msg.t_stop * 1e-3
            n_left = int(np.count_nonzero(msg.indices < cfg.n_motor))
            force = motor_force(
                cfg, n_left, len(msg.indices) - n_left, msg.n_steps * msg.dt * 1e-3
            )
            push = sum(f for t, dur, f in pushes if t <= msg.t_start * 1e-3 < t + dur - 1e-9)
            plant.step(force, msg.n_steps * msg.dt * 1e-3, cfg.timestep * 1e-3, disturbance=push)
            worst = max(worst, abs(plant.theta))
            if plant.failed:
                print(f"controller: the pole fell at t = {seconds:.2f} s")
                return 1
            if seconds >= args.seconds - 1e-9:
                break
            idx, steps = encoder.encode(plant.state, msg.last_step + 1)
            c.inject_spikes("state", idx, steps)
        stream.close()
    print(
        f"controller: balanced for {seconds:.2f} s over ZeroMQ "
        f"(max |theta| {math.degrees(worst):.2f} deg, x {plant.x:+.3f} m)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
