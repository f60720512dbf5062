"""The session side of a cart-pole closed over ZeroMQ: the spiking controller, served.

The network (an input ``SpikeInjector`` "state" and two motor populations, served
together as the view "motors") runs here, in lock-step mode; the cart-pole and the
spike coding live in another process, ``cartpole_controller.py``, which talks to this
one only through the ZeroMQ bridge::

    python examples/closed_loop/cartpole_session.py --spawn-controller   # both at once

    python examples/closed_loop/cartpole_session.py                       # or by hand:
    python examples/closed_loop/cartpole_controller.py tcp://127.0.0.1:PORT

Each 20 ms chunk waits for the controller's lock-step "next", so the loop is exact: the
controller sees the motors' spikes of a period, steps the plant, injects the next
period's input spikes, and releases the next chunk.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
from pathlib import Path

import spinstream
from spinstream.demos import CartPoleConfig, build_cartpole_network

HERE = Path(__file__).resolve().parent


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0, help="simulated seconds")
    ap.add_argument("--spawn-controller", action="store_true", help="start the controller")
    args = ap.parse_args()
    cfg = CartPoleConfig()
    async with spinstream.Session(
        timestep=cfg.timestep, chunk=cfg.period, mode="lockstep", seed=1
    ) as sim:
        _state, left, right = build_cartpole_network(sim, cfg)
        motors = sim.Assembly(left, right, label="motors")
        endpoints = await sim.serve(views=[motors])
        print(f"session: serving on {endpoints.control}", flush=True)
        controller = None
        if args.spawn_controller:
            controller = subprocess.Popen(  # noqa: ASYNC220 - started once, waited for off-loop
                [
                    sys.executable,
                    str(HERE / "cartpole_controller.py"),
                    endpoints.control,
                    "--seconds",
                    str(args.seconds),
                ]
            )
        # lock-step: wait for the controller's gate, so that no chunk runs without it
        while True:
            try:
                await sim.wait_for(gates=1, timeout=0.5)
                break
            except TimeoutError:
                if controller is not None and controller.poll() is not None:
                    print("session: the controller exited before it connected", file=sys.stderr)
                    return 1
        await sim.run(args.seconds * 1e3)
        st = sim.statistics()
        print(
            f"session: ran {st.chunks} chunks of {cfg.period:g} ms; late inputs "
            f"{st.late_inputs}; answers {st.answer_us.n}, late {st.late_answers}"
        )
        if controller is not None:
            # wait off the event loop: the bridge still has the last chunk to publish
            return await asyncio.to_thread(controller.wait, 60)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
