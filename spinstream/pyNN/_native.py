"""Connectivity drawn by spinstream itself: ``rng=NativeRNG(...)`` on a connector.

With a ``NumpyRNG`` (PyNN's default) a connector draws what pyNN.nest would draw, one
uniform number per (pre, post) pair from one Mersenne Twister: exact, but the pairs, not the
synapses, set the cost (CUBA-40k: 1.6 billion numbers).  ``NativeRNG`` means, as in PyNN,
"the simulator's own generator": here the postsynaptic neurons are split into fixed blocks
of ``BLOCK`` neurons and each block draws from its own generator (PCG64 seeded with the
NativeRNG's seed, or else the network's seed, the projection's number and the block's
number), so the network depends on the seed and the script alone, not on threads, cores or
processes, and a block's synapses can be drawn wherever its targets live.

``FixedProbabilityConnector``: each block draws every target's in-degree from
Binomial(n_pre, p) and then that many distinct sources uniformly (sparse), or one Bernoulli
number per pair when ``p`` is large (dense): both are independent Bernoulli(p) per pair.
``FixedNumberPreConnector`` and ``FixedTotalNumberConnector``: see :func:`build`.
Synapse parameters given as ``RandomDistribution(..., rng=NativeRNG())`` draw from the
block's generator after its connections, in parameter order; others are evaluated per pair.
"""

from __future__ import annotations

import collections
import itertools
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from copy import deepcopy
from typing import Any

import numpy as np
import numpy.typing as npt
from pyNN import connectors
from pyNN import random as pynn_random
from pyNN.parameters import LazyArray
from pyNN.random import RandomDistribution

from spinstream.pyNN._connect import evaluate_at

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Postsynaptic neurons per generator.
BLOCK = 1024
#: Above this connection probability a block draws one number per pair.
DENSE_P = 0.2


class NativeRNG(pynn_random.NativeRNG):  # type: ignore[misc]
    """spinstream's own generators (PyNN's ``NativeRNG``): see this module's docstring.

    Connectors and synapse parameters draw from per-block generators derived from
    ``seed`` (``None``: the network's seed), not from this object.  Where PyNN itself
    draws a value outside a connector (e.g. the first weight, to guess a projection's
    receptor type), it comes from a PCG64 generator of this object's own, seeded with
    ``seed`` (0 when ``None``), so that scripts stay reproducible.
    """

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(seed)
        self._own = np.random.Generator(
            np.random.PCG64(np.random.SeedSequence([0 if seed is None else int(seed), 0x6E61]))
        )

    def next(
        self,
        n: int | None = None,
        distribution: str | None = None,
        parameters: Any = None,
        mask: Any = None,
    ) -> Any:
        """Draw ``n`` numbers (one when None) of a PyNN distribution; ``mask`` selects."""
        name = distribution or "uniform"
        params = parameters if parameters is not None else {"low": 0.0, "high": 1.0}
        values = _draw_named(name, params, self._own, 1 if n is None else int(n), "NativeRNG")
        if mask is not None:
            values = values[mask]
        return values[0] if n is None else values


def is_native(rng: Any) -> bool:
    """Say whether ``rng`` is PyNN's NativeRNG (spinstream's own generators)."""
    return isinstance(rng, pynn_random.NativeRNG)


def _generator(seed: int, projection: int, block: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, projection, block])))


def _draw(dist: RandomDistribution, g: np.random.Generator, n: int, where: str) -> FloatArray:
    """``n`` numbers of a PyNN distribution from a numpy Generator."""
    return _draw_named(dist.name, dist.parameters, g, n, where)


def _draw_named(
    name: str, p: dict[str, Any], g: np.random.Generator, n: int, where: str
) -> FloatArray:
    """``n`` numbers of the PyNN distribution ``name`` with parameters ``p``."""
    if name == "uniform":
        return g.uniform(p["low"], p["high"], n)
    if name == "normal":
        return g.normal(p["mu"], p["sigma"], n)
    if name == "normal_clipped":
        out = g.normal(p["mu"], p["sigma"], n)
        bad = np.flatnonzero((out < p["low"]) | (out > p["high"]))
        for _ in range(1000):
            if not bad.size:
                return out
            out[bad] = g.normal(p["mu"], p["sigma"], bad.size)
            bad = bad[(out[bad] < p["low"]) | (out[bad] > p["high"])]
        raise ValueError(f"{where}: normal_clipped{tuple(p.values())} redrew 1000 times")
    if name == "exponential":
        return g.exponential(p["beta"], n)
    if name == "lognormal":
        return g.lognormal(p["mu"], p["sigma"], n)
    if name == "gamma":
        return g.gamma(p["k"], p["theta"], n)
    raise ValueError(
        f"{where}: RandomDistribution({name!r}) with a NativeRNG is not supported; use "
        "uniform, normal, normal_clipped, exponential, lognormal or gamma, or a NumpyRNG"
    )


def _sources(
    g: np.random.Generator,
    counts: IntArray,
    n_pre: int,
    forbid: IntArray | None = None,
    replace: bool = False,
) -> IntArray:
    """``counts[j]`` sources in [0, n_pre) for each target j, sorted per target.

    Without replacement, draw with replacement and redraw the repeats until none is left:
    every subset of the right size is equally likely (the draws favour no label).
    ``forbid[j]``: a source target j may not have (itself; -1: none), redrawn likewise.
    """
    owner = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    base = owner * n_pre
    key = base + g.integers(0, n_pre, size=len(owner), dtype=np.int64)
    bad_src = None if forbid is None else base + forbid[owner]
    while True:
        key.sort(kind="stable")  # owner stays sorted (its part dominates); numpy's radix/tim
        # sort is ~1.7x faster than its default here, and equal integers are alike anyway
        again = np.zeros(len(key), bool)
        if not replace:
            again[1:] = key[1:] == key[:-1]
        if bad_src is not None:
            again |= key == bad_src
        redo = np.flatnonzero(again)
        if not redo.size:
            return key - base
        key[redo] = base[redo] + g.integers(0, n_pre, size=redo.size, dtype=np.int64)


def _split_params(
    connector: Any, projection: Any, fixed: dict[str, Any]
) -> tuple[dict[str, tuple[RandomDistribution, LazyArray]], dict[str, LazyArray]]:
    native: dict[str, tuple[RandomDistribution, LazyArray]] = {}
    other: dict[str, LazyArray] = {}
    for name, lazy in connector._parameters_from_synapse_type(projection, None).items():
        if lazy.is_homogeneous:
            fixed[name] = lazy.evaluate(simplify=True)
        elif isinstance(lazy.base_value, RandomDistribution) and is_native(lazy.base_value.rng):
            native[name] = (lazy.base_value, lazy)
        else:
            other[name] = lazy
    return native, other


def _self_index(projection: Any) -> IntArray:
    """For each target, the position of the same cell among the sources (-1: none)."""
    pre_ids = np.asarray(projection.pre.all_cells, dtype=np.int64)
    post_ids = np.asarray(projection.post.all_cells, dtype=np.int64)
    order = np.argsort(pre_ids)
    at = np.clip(np.searchsorted(pre_ids[order], post_ids), 0, max(len(pre_ids) - 1, 0))
    found = len(pre_ids) > 0
    hit = pre_ids[order][at] == post_ids if found else np.zeros(len(post_ids), bool)
    return np.where(hit, order[at] if found else -1, -1).astype(np.int64)


NATIVE_CONNECTORS = (
    connectors.FixedProbabilityConnector,
    connectors.FixedNumberPreConnector,
    connectors.FixedTotalNumberConnector,
)


def build(connector: Any, projection: Any, out: Any, seed: int, number: int) -> bool:
    """Build a connector that draws with a NativeRNG into ``out`` (False: no NativeRNG).

    FixedProbabilityConnector: see the module docstring.  FixedNumberPreConnector: each
    target draws ``n`` sources (distinct unless ``with_replacement``).
    FixedTotalNumberConnector (``with_replacement`` only, as PyNN): ``n`` is split among the
    blocks by a multinomial drawn from the projection's own generator, then each block
    draws its share of (source, target) pairs uniformly.  Self-connections, when not
    allowed, are redrawn (fixed numbers) or left out (fixed probability).
    """
    drawn = prepare(connector, projection, out.fixed, seed, number)
    if drawn is None:
        return False
    out.drawn = drawn  # the projection may draw them again instead of keeping them
    if not drawn.redrawable:  # values from other RNGs: drawn now, in sequence with them
        for src, tgt, values in drawn():
            out.add(src, tgt, values)
    return True


def prepare(
    connector: Any, projection: Any, fixed: dict[str, Any], seed: int, number: int
) -> DrawnBlocks | None:
    """Check a NativeRNG connector and return its blocks' generator (None: no NativeRNG).

    Parameters the same for every synapse go into ``fixed``.  Each call of the returned
    function draws the same blocks again, in order: ``(sources, targets, values)``, with
    ``values`` the parameters that vary per synapse.  :attr:`DrawnBlocks.redrawable` says
    whether those values come from the blocks' generators alone (no other RNG's state).
    """
    if not is_native(getattr(connector, "rng", None)):
        return None
    where = f"Projection {projection.label!r}"
    kind = type(connector)
    if kind not in NATIVE_CONNECTORS:
        raise ValueError(
            f"{where}: {kind.__name__} cannot draw with a NativeRNG (FixedProbability, "
            "FixedNumberPre and FixedTotalNumber connectors can); give it a NumpyRNG"
        )
    if connector.allow_self_connections not in (True, False):
        raise ValueError(f"{where}: allow_self_connections='NoMutual' needs a NumpyRNG")
    if connector.rng.seed is not None:
        seed = int(connector.rng.seed)
    n_pre, n_post = projection.pre.size, projection.post.size
    forbid = None if connector.allow_self_connections else _self_index(projection)
    replace = bool(getattr(connector, "with_replacement", False))
    totals = None
    if kind is not connectors.FixedProbabilityConnector:
        n = connector.n
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
            raise ValueError(f"{where}: with a NativeRNG, n must be a whole number, got {n!r}")
        n = int(n)
        if kind is connectors.FixedTotalNumberConnector:
            if not replace:
                raise ValueError(f"{where}: FixedTotalNumberConnector draws with replacement only")
            sizes = np.diff(np.append(np.arange(0, n_post, BLOCK), n_post))
            totals = _generator(seed, number, 2**32 - 1).multinomial(n, sizes / n_post)
        elif not replace:
            room = n_pre - (1 if forbid is not None and np.any(forbid >= 0) else 0)
            if n > room:
                raise ValueError(
                    f"{where}: {n} distinct sources per target, but only {room} are possible"
                )
    native, other = _split_params(connector, projection, fixed)
    runtime = getattr(projection._simulator.state, "runtime", None)
    workers = int(getattr(runtime, "threads", 1) or 1)

    def blocks(
        only: int | None, wanted: Callable[[int, int], bool] | None = None
    ) -> Iterator[tuple[int, IntArray, IntArray, dict[str, Any]]]:
        starts = [
            (b, lo)
            for b, lo in enumerate(range(0, n_post, BLOCK))
            if only in (None, b)  # each block has its own generator
            and (wanted is None or wanted(lo, min(lo + BLOCK, n_post)))  # else not drawn
        ]
        if workers > 1 and len(starts) > 1 and not other:
            yield from _in_order(one, starts, workers)
            return
        for b, lo in starts:
            got = one(b, lo)
            if got is not None:
                yield got

    def one(b: int, lo: int) -> tuple[int, IntArray, IntArray, dict[str, Any]] | None:
        """Block ``b`` (targets ``lo`` on), drawn from its own generator; None: no synapse."""
        hi = min(lo + BLOCK, n_post)
        g = _generator(seed, number, b)
        fb = None if forbid is None else forbid[lo:hi]
        if kind is connectors.FixedProbabilityConnector:
            p = float(connector.p_connect)
            if p > DENSE_P:  # rows: targets, columns: sources
                rows, cols = np.nonzero(g.random((hi - lo, n_pre)) < p)
                src, tgt = cols.astype(np.int64), rows.astype(np.int64) + lo
            else:
                counts = g.binomial(n_pre, p, size=hi - lo).astype(np.int64)
                src = _sources(g, counts, n_pre)
                tgt = np.repeat(np.arange(lo, hi, dtype=np.int64), counts)
            if forbid is not None:  # Bernoulli per pair: the other pairs stay independent
                keep = src != forbid[tgt]
                src, tgt = src[keep], tgt[keep]
        else:
            if totals is not None:
                counts = np.bincount(g.integers(0, hi - lo, int(totals[b])), minlength=hi - lo)
            else:
                counts = np.full(hi - lo, connector.n, np.int64)
            src = _sources(g, counts.astype(np.int64), n_pre, fb, replace)
            tgt = np.repeat(np.arange(lo, hi, dtype=np.int64), counts)
        if not src.size:
            return None
        values: dict[str, Any] = {}
        for name, (dist, lazy) in native.items():
            raw = LazyArray(_draw(dist, g, len(src), where), shape=(len(src),))
            raw.operations = deepcopy(lazy.operations)
            values[name] = np.asarray(raw.evaluate(), dtype=np.float64)
        for name, lazy in other.items():
            values[name] = np.broadcast_to(
                np.asarray(evaluate_at(lazy, src, tgt), dtype=np.float64), (len(src),)
            )
        return b, src, tgt, values

    return DrawnBlocks(blocks, not other)


def _in_order(
    draw: Callable[[int, int], Any], starts: list[tuple[int, int]], workers: int
) -> Iterator[Any]:
    """Yield ``draw(b, lo)`` for each start, in order, drawn by ``workers`` threads at once.

    numpy's generators and sorts release the GIL, and each block has its own generator, so
    the blocks are the same whatever the number of threads; at most ``workers`` blocks wait
    beside the one yielded.
    """
    with ThreadPoolExecutor(workers, thread_name_prefix="spinstream-draw") as pool:
        pending: collections.deque[Future[Any]] = collections.deque()
        todo = iter(starts)
        for b, lo in itertools.islice(todo, workers):
            pending.append(pool.submit(draw, b, lo))
        while pending:
            got = pending.popleft().result()
            nxt = next(todo, None)
            if nxt is not None:
                pending.append(pool.submit(draw, *nxt))
            if got is not None:
                yield got


class DrawnBlocks:
    """A NativeRNG projection's blocks, drawn anew at each call (see :func:`prepare`)."""

    def __init__(
        self,
        blocks: Callable[
            [int | None, Callable[[int, int], bool] | None],
            Iterator[tuple[int, IntArray, IntArray, dict[str, Any]]],
        ],
        plain: bool,
    ) -> None:
        self._blocks = blocks
        #: True when every per-synapse value comes from the blocks' own generators
        self.redrawable = plain

    def __call__(
        self, keep: Callable[[int, int], bool] | None = None
    ) -> Iterator[tuple[IntArray, IntArray, dict[str, Any]]]:
        """Every block with synapses, in order: (sources, targets, values).

        ``keep(lo, hi)``: draw only the blocks of targets ``lo .. hi - 1`` (projection
        indices) for which it is true; the others are skipped, not drawn (each block draws
        from its own generator, so the blocks drawn are the same as when all are).
        """
        for _b, src, tgt, values in self._blocks(None, keep):
            yield src, tgt, values

    def numbered(self) -> Iterator[tuple[int, IntArray, IntArray, dict[str, Any]]]:
        """Every block with synapses, in order, with its number (of ``BLOCK`` targets)."""
        return self._blocks(None, None)

    def block(self, b: int) -> tuple[IntArray, IntArray, dict[str, Any]]:
        """Block ``b`` alone (drawn from its own generator: the others are not drawn)."""
        for _b, src, tgt, values in self._blocks(b, None):
            return src, tgt, values
        empty = np.zeros(0, np.int64)
        return empty, empty.copy(), {}
