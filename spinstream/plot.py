"""Plots of spikes, population rates and state variables, from neo or from live streams.

Every function takes its data from either

- a :class:`neo.Block` (as ``Population.get_data()`` returns it; ``segment`` picks the
  segment, default the last), or a :class:`neo.Segment`;
- live stream batches: an iterable of :class:`~spinstream.streams.SpikeBatch` or
  :class:`~spinstream.streams.StateBatch` (a list the stream loop appends to, or a
  :class:`Window` that keeps only the last few hundred milliseconds).

::

    import spinstream.plot as splot

    block = pop.get_data()
    fig = splot.overview({"exc": block})          # raster, rates and v in one figure
    fig.savefig("run.png")

    ax = splot.raster(block)                      # or one panel on pyplot's current axes

matplotlib is imported only when a function draws, so importing this module is cheap
and works without matplotlib installed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "SignalData",
    "SpikeData",
    "Window",
    "overview",
    "population_rate",
    "raster",
    "rates",
    "signals_of",
    "spikes_of",
    "voltages",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


# ====================================================================== data
@dataclass(frozen=True)
class SpikeData:
    """Spikes as flat arrays: ``times`` (ms) and ``indices`` (neuron or position).

    ``size`` is the number of neurons they come from (for rates), ``t_start``/``t_stop``
    the time window (ms) they cover.
    """

    times: FloatArray
    indices: IntArray
    size: int
    t_start: float
    t_stop: float
    label: str | None = None


@dataclass(frozen=True)
class SignalData:
    """Samples of one state variable: ``times`` (ms) and ``values`` (samples, cells)."""

    times: FloatArray
    values: FloatArray
    variable: str
    units: str
    channels: IntArray
    label: str | None = None


class Window:
    """The stream batches of the last ``span`` ms: a rolling source for live plots.

    ::

        window = Window(span=500.0)
        async with pop.stream("spikes") as stream:
            async for batch in stream:
                window.add(batch)
                splot.raster(window, ax)      # redraw

    Parameters
    ----------
    span
        Milliseconds of simulated time to keep.
    size
        Cells in the streamed selection (for rates; default: ``len`` of the stream's
        selection when :meth:`add` is given ``size=``, else the highest index seen + 1).
    """

    def __init__(self, span: float = 1000.0, size: int | None = None) -> None:
        if not span > 0:
            raise ValueError(f"span must be a positive number of ms, got {span!r}")
        self.span = float(span)
        self.size = size
        self._batches: deque[Any] = deque()

    def add(self, batch: Any) -> None:
        """Append one batch and forget those that ended more than ``span`` ms before it."""
        self._batches.append(batch)
        horizon = batch.t_stop - self.span
        while self._batches and self._batches[0].t_stop <= horizon:
            self._batches.popleft()

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._batches))

    def __len__(self) -> int:
        return len(self._batches)


def _segment(source: Any, segment: int) -> Any:
    import neo

    if isinstance(source, neo.Block):
        if not source.segments:
            raise ValueError(f"block {source.name!r} has no segments")
        return source.segments[segment], source.name
    if isinstance(source, neo.Segment):
        block = getattr(source, "block", None)
        return source, getattr(block, "name", None) or source.name
    return None, None


def spikes_of(source: Any, *, segment: int = -1, size: int | None = None) -> SpikeData:
    """Collect flat spike arrays from a neo Block/Segment or an iterable of spike batches."""
    if isinstance(source, SpikeData):
        return source
    seg, label = _segment(source, segment)
    if seg is not None:
        trains = list(seg.spiketrains)
        times = [np.asarray(st.rescale("ms").magnitude, dtype=np.float64) for st in trains]
        idx = [np.full(len(t), k, dtype=np.int64) for k, t in enumerate(times)]
        t_all = np.concatenate(times) if times else np.zeros(0)
        i_all = np.concatenate(idx) if idx else np.zeros(0, dtype=np.int64)
        if trains:
            t0 = float(min(st.t_start.rescale("ms").magnitude for st in trains))
            t1 = float(max(st.t_stop.rescale("ms").magnitude for st in trains))
        else:
            t0 = t1 = 0.0
        return SpikeData(t_all, i_all, len(trains) if size is None else size, t0, t1, label)
    batches = [b for b in _batches(source) if hasattr(b, "indices")]
    if not batches:
        n = size if size is not None else (getattr(source, "size", None) or 0)
        return SpikeData(np.zeros(0), np.zeros(0, dtype=np.int64), n, 0.0, 0.0, None)
    t_cat: FloatArray = np.concatenate([np.asarray(b.times, dtype=np.float64) for b in batches])
    i_cat: IntArray = np.concatenate([np.asarray(b.indices, dtype=np.int64) for b in batches])
    if size is None:
        size = getattr(source, "size", None)
    if size is None:
        size = int(i_cat.max()) + 1 if len(i_cat) else 0
    return SpikeData(t_cat, i_cat, size, batches[0].t_start, batches[-1].t_stop, None)


def signals_of(source: Any, variable: str = "v", *, segment: int = -1) -> SignalData:
    """Collect samples of ``variable`` from a neo Block/Segment or from state batches."""
    if isinstance(source, SignalData):
        return source
    seg, label = _segment(source, segment)
    if seg is not None:
        for sig in seg.analogsignals:
            if sig.name == variable:
                times = np.asarray(sig.times.rescale("ms").magnitude, dtype=np.float64)
                chans = sig.array_annotations.get("channel_index")
                chans = np.arange(sig.shape[1]) if chans is None else np.asarray(chans)
                return SignalData(
                    times,
                    np.asarray(sig.magnitude, dtype=np.float64),
                    variable,
                    sig.units.dimensionality.string,
                    chans.astype(np.int64),
                    label,
                )
        names = [s.name for s in seg.analogsignals]
        raise ValueError(f"no signal named {variable!r} was recorded (there are: {names})")
    batches = [b for b in _batches(source) if hasattr(b, "values")]
    if not batches:
        raise ValueError(f"no state batches of {variable!r} to plot")
    times = np.concatenate([b.times for b in batches])
    values = np.vstack([b.values for b in batches])
    units = {"v": "mV", "gsyn_exc": "uS", "gsyn_inh": "uS"}.get(batches[0].variable, "")
    return SignalData(times, values, batches[0].variable, units, np.arange(values.shape[1]), None)


def _batches(source: Any) -> list[Any]:
    if isinstance(source, Iterable) and not isinstance(source, str | bytes):
        return list(source)
    raise TypeError(
        "expected a neo Block or Segment, or an iterable of stream batches, "
        f"got {type(source).__name__}"
    )


# ====================================================================== panels
def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.gca()


def raster(
    source: Any,
    ax: Axes | None = None,
    *,
    segment: int = -1,
    offset: int = 0,
    color: Any = None,
    label: str | None = None,
    marker_size: float = 2.0,
) -> Axes:
    """Draw a spike raster: one dot per spike, time (ms) against neuron index + ``offset``."""
    data = spikes_of(source, segment=segment)
    ax = _axes(ax)
    ax.scatter(
        data.times,
        data.indices + offset,
        s=marker_size,
        marker="|" if marker_size >= 4 else ".",
        color=color,
        label=label or data.label,
        linewidths=0.8,
        rasterized=len(data.times) > 20000,
    )
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("neuron")
    if data.t_stop > data.t_start:
        ax.set_xlim(data.t_start, data.t_stop)
    return ax


def population_rate(data: SpikeData, bin_ms: float = 20.0) -> tuple[FloatArray, FloatArray]:
    """Return bin centres (ms) and mean firing rate per neuron (Hz) in each bin."""
    if not bin_ms > 0:
        raise ValueError(f"bin_ms must be positive, got {bin_ms!r}")
    span = max(data.t_stop - data.t_start, bin_ms)
    n_bins = max(1, int(np.ceil(span / bin_ms - 1e-9)))
    edges = data.t_start + bin_ms * np.arange(n_bins + 1)
    counts, _ = np.histogram(data.times, bins=edges)
    rate = counts / (max(data.size, 1) * bin_ms * 1e-3)
    return 0.5 * (edges[:-1] + edges[1:]), rate.astype(np.float64)


def rates(
    source: Any,
    ax: Axes | None = None,
    *,
    bin_ms: float = 20.0,
    segment: int = -1,
    size: int | None = None,
    color: Any = None,
    label: str | None = None,
) -> Axes:
    """Draw the population's mean firing rate (Hz per neuron) in bins of ``bin_ms``."""
    data = spikes_of(source, segment=segment, size=size)
    centres, rate = population_rate(data, bin_ms)
    ax = _axes(ax)
    ax.step(centres, rate, where="mid", color=color, label=label or data.label)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("rate (Hz)")
    return ax


def voltages(
    source: Any,
    ax: Axes | None = None,
    *,
    variable: str = "v",
    indices: Sequence[int] | None = None,
    segment: int = -1,
    label: str | None = None,
    color: Any = None,
) -> Axes:
    """Draw traces of a state variable (default ``v``), one line per recorded cell.

    ``indices`` picks columns by the neuron's index in its population (for a neo Block)
    or by position in the stream (for batches); default all.
    """
    data = signals_of(source, variable, segment=segment)
    cols = np.arange(data.values.shape[1])
    if indices is not None:
        wanted = np.asarray(indices, dtype=np.int64)
        missing = np.setdiff1d(wanted, data.channels)
        if len(missing):
            raise ValueError(
                f"neurons {missing.tolist()} have no recorded {variable!r} "
                f"(recorded: {data.channels.tolist()})"
            )
        cols = np.array([int(np.flatnonzero(data.channels == w)[0]) for w in wanted])
    ax = _axes(ax)
    name = label or data.label
    for c in cols:
        ax.plot(
            data.times,
            data.values[:, c],
            lw=0.8,
            color=color,
            label=f"{name}[{data.channels[c]}]" if name else f"[{data.channels[c]}]",
        )
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"{variable} ({data.units})" if data.units else variable)
    return ax


# ====================================================================== figures
def overview(
    sources: Mapping[str, Any] | Sequence[Any],
    *,
    variable: str | None = "v",
    bin_ms: float = 20.0,
    title: str | None = None,
    figsize: tuple[float, float] = (10.0, 7.0),
) -> Figure:
    """One figure: a raster of every population stacked, their rates, and their traces.

    ``sources`` maps labels to neo Blocks (or batch lists), or is a sequence of Blocks
    (labelled by their names).  The trace panel appears when some source recorded
    ``variable`` (``None``: no trace panel).  The figure is made without pyplot, so it
    works on a machine without a display; save it with ``fig.savefig(path)``.
    """
    from matplotlib.figure import Figure

    if isinstance(sources, Mapping):
        items = list(sources.items())
    else:
        items = []
        for k, s in enumerate(sources):
            _, name = _segment(s, -1)
            items.append((name or f"population {k}", s))
    if not items:
        raise ValueError("overview needs at least one source")
    traces = []
    if variable is not None:
        for name, s in items:
            try:
                traces.append((name, signals_of(s, variable)))
            except (ValueError, TypeError):
                continue
    fig = Figure(figsize=figsize, layout="constrained")
    n_rows = 3 if traces else 2
    axes = fig.subplots(n_rows, 1, sharex=True, height_ratios=[3, 1.3, 1.3][:n_rows])
    colors = [f"C{k % 10}" for k in range(len(items))]
    offset = 0
    ticks = []
    for (name, s), color in zip(items, colors, strict=True):
        data = spikes_of(s)
        raster(data, axes[0], offset=offset, color=color, label=name)
        ticks.append((offset + data.size / 2.0, name))
        offset += data.size
        rates(data, axes[1], bin_ms=bin_ms, color=color, label=name)
    axes[0].set_yticks([t for t, _ in ticks], [n for _, n in ticks])
    axes[0].set_ylim(-0.5, max(offset, 1) - 0.5)
    axes[0].set_ylabel("")
    axes[0].set_xlabel("")
    axes[1].set_xlabel("" if traces else "time (ms)")
    axes[1].legend(loc="upper right", fontsize="small", ncols=min(len(items), 4))
    if traces:
        for name, sig in traces:
            color = colors[[n for n, _ in items].index(name)]
            voltages(sig, axes[2], variable=variable or "v", label=name, color=color)
    if title:
        fig.suptitle(title)
    return fig
