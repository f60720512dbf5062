"""PNG figures of demo runs: the world or the plant, and the network's activity."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from spinstream import plot

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle

    from spinstream.demos._cartpole import CartPoleRun
    from spinstream.demos._vehicle import VehicleRun


def _activity(fig: Figure, grid: object, blocks: dict[str, object], t_max: float) -> None:
    """Raster (top) and rates (bottom) of every population, in two cells of ``grid``."""
    ax_r = fig.add_subplot(grid[0])  # type: ignore[index]
    ax_q = fig.add_subplot(grid[1], sharex=ax_r)  # type: ignore[index]
    offset = 0
    ticks = []
    for k, (name, block) in enumerate(blocks.items()):
        data = plot.spikes_of(block)
        plot.raster(data, ax_r, offset=offset, color=f"C{k}", label=name, marker_size=1.0)
        plot.rates(data, ax_q, bin_ms=100.0, color=f"C{k}", label=name)
        ticks.append((offset + data.size / 2.0, name))
        offset += data.size
    ax_r.set_yticks([t for t, _ in ticks], [n for _, n in ticks])
    ax_r.set_ylim(-0.5, offset - 0.5)
    ax_r.set_ylabel("")
    ax_r.set_xlabel("")
    ax_r.set_xlim(0.0, t_max)
    ax_r.set_title("spikes")
    ax_q.legend(loc="upper right", fontsize="x-small", ncols=2)


def vehicle_figure(run: VehicleRun) -> Figure:
    """Draw the arena with every episode's path, the spike raster, rates and wheel speeds."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12.0, 6.5), layout="constrained")
    outer = fig.add_gridspec(1, 2, width_ratios=[1.0, 1.5])
    ax = fig.add_subplot(outer[0])
    world = run.world
    trail = np.array(world.trail)
    breaks = np.flatnonzero(np.isnan(trail[:, 0]))
    pieces = np.split(trail, breaks)
    for k, piece in enumerate(pieces):
        piece = piece[~np.isnan(piece[:, 0])]
        if len(piece) == 0:
            continue
        ep = run.episodes[k] if k < len(run.episodes) else None
        ok = ep is not None and ep.reached
        ax.plot(
            piece[:, 0],
            piece[:, 1],
            color=f"C{k}",
            lw=1.5,
            label=f"episode {k + 1}" + ("" if ok else " (not reached)"),
        )
        ax.plot(piece[0, 0], piece[0, 1], "o", color=f"C{k}", ms=6)
        if ep is not None:
            h = ep.start.heading
            ax.annotate(
                "",
                xy=(piece[0, 0] + 0.25 * math.cos(h), piece[0, 1] + 0.25 * math.sin(h)),
                xytext=(piece[0, 0], piece[0, 1]),
                arrowprops={"arrowstyle": "->", "color": f"C{k}"},
            )
    lx, ly = world.light
    ax.add_patch(_circle((lx, ly), world.reach, "gold"))
    ax.plot(lx, ly, "*", color="orange", ms=18, mec="k", label="light")
    lim = world.half_size
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.set_title(f"Braitenberg vehicle: {run.reached}/{len(run.episodes)} reached the light")
    ax.legend(loc="lower right", fontsize="small")
    right = outer[1].subgridspec(3, 1, height_ratios=[2.2, 1.0, 1.0])
    t_max = run.sim_seconds * 1e3
    if run.blocks:
        _activity(fig, right, run.blocks, t_max)
    ax_w = fig.add_subplot(right[2])
    log = run.log
    if len(log.get("t", ())):
        ax_w.plot(log["t"], log["v_left"], lw=1.0, label="left wheel")
        ax_w.plot(log["t"], log["v_right"], lw=1.0, label="right wheel")
        ax_w2 = ax_w.twinx()
        ax_w2.plot(log["t"], log["distance"], color="0.5", lw=1.0, ls="--", label="distance")
        ax_w2.set_ylabel("distance (m)")
    ax_w.set_xlim(0.0, t_max)
    ax_w.set_xlabel("time (ms)")
    ax_w.set_ylabel("speed (m/s)")
    ax_w.legend(loc="upper left", fontsize="x-small")
    return fig


def cartpole_figure(run: CartPoleRun) -> Figure:
    """Draw the pole angle, cart position and force over time, and the network's activity."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12.0, 6.5), layout="constrained")
    outer = fig.add_gridspec(1, 2, width_ratios=[1.0, 1.3])
    left = outer[0].subgridspec(3, 1)
    log = run.log
    t = log.get("t", np.zeros(0))
    panels = [
        (np.degrees(log.get("theta", np.zeros(0))), "pole angle (deg)", 12.0),
        (log.get("x", np.zeros(0)), "cart position (m)", 2.4),
        (log.get("force", np.zeros(0)), "force (N)", 10.0),
    ]
    first = None
    for k, (y, name, limit) in enumerate(panels):
        ax = fig.add_subplot(left[k], sharex=first)
        first = first or ax
        ax.plot(t, y, lw=0.8, color=f"C{k}")
        ax.axhline(limit, color="r", lw=0.6, ls=":")
        ax.axhline(-limit, color="r", lw=0.6, ls=":")
        ax.set_ylabel(name)
        if k == 0:
            what = (
                f"fell after {run.failed_at:.2f} s"
                if run.failed_at is not None
                else f"balanced for {run.balanced:.1f} s"
            )
            ax.set_title(f"cart-pole: {what}")
    ax.set_xlabel("time (ms)")
    right = outer[1].subgridspec(3, 1, height_ratios=[2.2, 1.0, 1.0])
    t_max = float(t[-1]) if len(t) else run.seconds * 1e3
    if run.blocks:
        _activity(fig, right, run.blocks, t_max)
        ax_v = fig.add_subplot(right[2])
        for k, name in enumerate(("push_left", "push_right")):
            block = run.blocks.get(name)
            if block is not None:
                plot.voltages(block, ax_v, label=name, color=f"C{k + 1}")
        ax_v.set_xlim(0.0, min(t_max, 1000.0))
        ax_v.set_title("motor neurons' v (first second)", fontsize="small")
    return fig


def _circle(centre: tuple[float, float], radius: float, color: str) -> Circle:
    from matplotlib.patches import Circle

    return Circle(centre, radius, color=color, alpha=0.4)


def save(fig: Figure, path: str | Path, dpi: int = 110) -> Path:
    """Write ``fig`` as a PNG (parent directories must exist)."""
    out = Path(path)
    fig.savefig(out, dpi=dpi)
    return out
