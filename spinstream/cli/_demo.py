"""``spinstream demo``: closed-loop demos on the embedded board.

``spinstream demo`` drives a Braitenberg vehicle to a light from four start positions, in
real time, and prints a progress line and a summary; ``spinstream demo cartpole`` balances
a cart-pole.  The exit status is 0 when the demo achieved its goal (every episode reached
the light; the pole stayed up), 1 when it did not, 2 for bad options.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
from typing import Any, TextIO

from spinstream.session import MODES

DEFAULT_SECONDS = {"vehicle": 30.0, "cartpole": 12.0}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="spinstream demo",
        description=(
            "Closed-loop demos on the embedded board: a Braitenberg vehicle that finds a "
            "light (default) or a cart-pole balanced by a spiking controller."
        ),
    )
    p.add_argument(
        "task",
        nargs="?",
        default="vehicle",
        choices=sorted(DEFAULT_SECONDS),
        help="which demo (default: vehicle)",
    )
    p.add_argument(
        "--mode",
        choices=MODES,
        default="realtime",
        help="realtime (wall clock follows simulated time, the default), fast (as fast as "
        "possible) or lockstep (each chunk waits for the controller: deterministic)",
    )
    p.add_argument(
        "--seconds",
        type=float,
        default=None,
        help="simulated seconds at most (default: 30 for the vehicle, which stops once "
        "every start has reached the light, about 10 s; 12 for the cart-pole)",
    )
    p.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    p.add_argument(
        "--headless",
        action="store_true",
        help="no live view in the terminal: plain progress lines only (the default when "
        "the output is not a terminal)",
    )
    p.add_argument(
        "--dashboard",
        action="store_true",
        help="serve the session over ZeroMQ with a live web dashboard on localhost "
        "(needs the dashboard extra: pip install 'spinstream[dashboard]'); the vehicle "
        "then keeps driving from start to start until --seconds (default 120)",
    )
    p.add_argument(
        "--port", type=int, default=8050, help="the dashboard's HTTP port (default 8050)"
    )
    p.add_argument("--png", metavar="PATH", help="save a figure of the run as a PNG")
    return p


# ====================================================================== terminal views
class _Printer:
    """Progress lines: rewritten in place with a live view on a terminal, else appended."""

    def __init__(self, out: TextIO, live: bool) -> None:
        self.out = out
        self.live = live
        self._lines = 0

    def show(self, lines: list[str]) -> None:
        if self.live:
            if self._lines:
                self.out.write(f"\x1b[{self._lines}F")
            self.out.write("".join(f"\x1b[2K{line}\n" for line in lines))
            self._lines = len(lines)
        else:
            self.out.write(lines[-1] + "\n")
        self.out.flush()

    def done(self) -> None:
        self._lines = 0


def arena_picture(world: Any, width: int = 41, height: int = 15) -> list[str]:
    """Draw the arena as text: ``*`` the light, an arrow the vehicle, ``.`` its recent path."""
    grid = [[" "] * width for _ in range(height)]
    lim = world.half_size

    def cell(x: float, y: float) -> tuple[int, int]:
        col = round((x + lim) / (2 * lim) * (width - 1))
        row = round((lim - y) / (2 * lim) * (height - 1))
        return min(max(row, 0), height - 1), min(max(col, 0), width - 1)

    for x, y in world.trail[-400:]:
        if not math.isnan(x):
            r, c = cell(x, y)
            grid[r][c] = "."
    r, c = cell(*world.light)
    grid[r][c] = "*"
    p = world.pose
    arrows = "→↗↑↖←↙↓↘"
    r, c = cell(p.x, p.y)
    grid[r][c] = arrows[round(p.heading / (math.pi / 4)) % 8]
    border = "+" + "-" * width + "+"
    return [border, *("|" + "".join(row) + "|" for row in grid), border]


def cartpole_picture(plant: Any, width: int = 61) -> list[str]:
    """Draw the track, the cart and the pole's lean as three lines of text."""
    lim = plant.x_limit
    pos = round((plant.x + lim) / (2 * lim) * (width - 1))
    pos = min(max(pos, 0), width - 1)
    lean = plant.theta / plant.theta_limit
    top = min(max(pos + round(3 * lean), 0), width - 1)
    pole = [" "] * width
    pole[top] = "o"
    mid = [" "] * width
    mid[min(max(pos + round(1.5 * lean), 0), width - 1)] = (
        "/" if lean > 0.1 else "\\" if lean < -0.1 else "|"
    )
    cart = ["="] * width
    for k in range(pos - 2, pos + 3):
        if 0 <= k < width:
            cart[k] = "#"
    return ["".join(pole), "".join(mid), "".join(cart)]


# ====================================================================== runs
async def _vehicle(args: argparse.Namespace, out: TextIO, live: bool) -> int:
    from spinstream.demos import run_vehicle

    printer = _Printer(out, live)
    web = _WebDashboard(args.port, out) if args.dashboard else None

    def progress(p: Any) -> None:
        lines = arena_picture(progress.world) if live else []  # type: ignore[attr-defined]
        printer.show([*lines, p.line()])

    async def attach(sim: Any, ctl: Any) -> None:
        progress.world = ctl.world  # type: ignore[attr-defined]
        if web is not None:
            await web.start(sim)

    seconds = args.seconds if args.seconds is not None else DEFAULT_SECONDS["vehicle"]
    if web is not None:  # keep driving from start to start until the time is up
        seconds = args.seconds if args.seconds is not None else 120.0
    out.write(
        f"spinstream demo: Braitenberg vehicle, {args.mode} mode, at most {seconds:g} s "
        "of simulated time\n"
    )
    try:
        run = await run_vehicle(
            seconds=seconds,
            mode=args.mode,
            seed=args.seed,
            cycle=web is not None,
            record=args.png is not None,
            on_progress=progress,
            progress_every=0.1 if live else 1.0,
            on_session=attach,
        )
    finally:
        if web is not None:
            await web.aclose()
    printer.done()
    out.write(run.summary() + "\n")
    if args.png:
        from spinstream.demos import save_png, vehicle_figure

        out.write(f"figure: {save_png(vehicle_figure(run), args.png)}\n")
    if web is not None:  # a run cut short by --seconds: judge the finished episodes
        done = [e for e in run.episodes if e.finished]
        return 0 if done and all(e.reached for e in done) else 1
    return 0 if run.reached == len(run.episodes) else 1


async def _cartpole(args: argparse.Namespace, out: TextIO, live: bool) -> int:
    from spinstream.demos import CartPole, periodic_pushes, run_cartpole

    printer = _Printer(out, live)
    seconds = args.seconds if args.seconds is not None else DEFAULT_SECONDS["cartpole"]
    out.write(f"spinstream demo cartpole: {args.mode} mode, {seconds:g} s, a 5 N push every 5 s\n")

    def progress(t: float, plant: Any) -> None:
        line = f"t={t:6.2f} s  theta {math.degrees(plant.theta):+6.2f} deg  x {plant.x:+6.3f} m"
        printer.show([*cartpole_picture(plant), line] if live else [line])

    run = await run_cartpole(
        seconds=seconds,
        mode=args.mode,
        seed=args.seed,
        plant=CartPole(theta=0.1),
        pushes=periodic_pushes(seconds),
        record=args.png is not None,
        on_progress=progress,
        progress_every=0.1 if live else 1.0,
    )
    printer.done()
    out.write(run.summary() + "\n")
    if args.png:
        from spinstream.demos import cartpole_figure, save_png

        out.write(f"figure: {save_png(cartpole_figure(run), args.png)}\n")
    return 0 if run.failed_at is None else 1


class _WebDashboard:
    """``--dashboard``: the session's ZeroMQ bridge, and the web dashboard reading it."""

    def __init__(self, port: int, out: TextIO) -> None:
        self.port = port
        self.out = out
        self._dash: Any = None

    async def start(self, sim: Any) -> None:
        try:
            from spinstream.dashboard import open_dashboard
        except ImportError as exc:
            raise SystemExit(f"spinstream demo --dashboard: {exc}") from None
        endpoints = await sim.serve()
        self._dash = await open_dashboard(endpoints, port=self.port)
        self.out.write(
            f"dashboard: {self._dash.url}  (ZeroMQ bridge: {endpoints.control}; "
            f"`spinstream dashboard {endpoints.control}` serves another one)\n"
        )
        self.out.flush()

    async def aclose(self) -> None:
        if self._dash is not None:
            await self._dash.aclose()


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    """Run a demo; returns the exit status (0: the demo reached its goal)."""
    args = _parser().parse_args(argv)
    out = out if out is not None else sys.stdout
    if args.seconds is not None and not (math.isfinite(args.seconds) and args.seconds > 0):
        print(f"spinstream demo: --seconds must be positive, got {args.seconds}", file=sys.stderr)
        return 2
    live = not args.headless and out.isatty()
    task = _vehicle if args.task == "vehicle" else _cartpole
    try:
        return asyncio.run(task(args, out, live))
    except KeyboardInterrupt:
        out.write("\ninterrupted\n")
        return 130
