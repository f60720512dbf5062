"""Building a projection's connection list from a PyNN connector, in a few numpy calls.

PyNN's connectors decide *which* pairs connect; the code that turns each column of their
connection map into synapses (``MapConnector._standard_connect``) runs once per
postsynaptic neuron through several layers of lazy arrays.  Here that loop is replaced by a
lean one that produces the same connections and draws the same random numbers in the same
order (so a seeded network is the one NEST or Brian2 would build), and collects arrays
instead of calling the projection per column.  It also accepts what PyNN's loop trips over
with numpy >= 2.1: a one-neuron presynaptic population, whose column is a 0-d value.

``FromListConnector``/``FromFileConnector`` are vectorised outright, and
``SmallWorldConnector`` (which PyNN leaves unimplemented) is built here.

An RNG shared by several connectors (or by several weight/delay distributions) is drawn
from in sequence, one projection after the other, as its ``rng=`` argument says.  PyNN 0.13
instead draws ``FixedProbabilityConnector`` (and the other probability connectors) and
synapse-parameter distributions from a *deep copy* of the RNG, because ``lazyarray`` copies
a ``RandomDistribution`` when the connector compares it with ``p_connect`` (PyNN <= 0.9's
distributions were exempt from that copy); so on pyNN.nest and pyNN.brian2 every projection
sharing one ``NumpyRNG`` gets the same draws, while ``FixedNumberPre/PostConnector`` and
``FixedTotalNumberConnector`` advance it.  Here every connector advances it.  A network that
gives each projection its own RNG is connection for connection the one NEST builds.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from copy import deepcopy
from typing import Any

import numpy as np
import numpy.typing as npt
from pyNN import connectors, errors
from pyNN.parameters import LazyArray
from pyNN.random import AbstractRNG, RandomDistribution
from pyNN.standardmodels import StandardSynapseType

__all__ = ["Connections", "build_connections", "drawn_in_sequence", "evaluate_at"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class Connections:
    """Connections collected in PyNN's order: by postsynaptic neuron, then as drawn.

    ``add`` is called once per column, so it only appends; values that are the same for
    every connection (``fixed``) are kept once.
    """

    def __init__(self) -> None:
        self._pre: list[IntArray] = []
        self._post: list[Any] = []
        self._values: list[dict[str, Any]] = []
        self.fixed: dict[str, Any] = {}
        #: a NativeRNG connector's blocks (``_native.DrawnBlocks``), which draw them again
        self.drawn: Any = None

    def add(self, pre: Any, post: Any, values: dict[str, Any]) -> None:
        """Add synapses from ``pre`` to ``post`` (index arrays or a single post index)."""
        pre = np.atleast_1d(np.asarray(pre)).astype(np.int64, copy=False)
        self._pre.append(pre)
        self._post.append(post)
        self._values.append(values)

    def arrays(self, names: list[str]) -> tuple[IntArray, IntArray, dict[str, FloatArray]]:
        """Concatenated ``(pre, post, {name: values})``."""
        if self.drawn is not None and self.drawn.redrawable and not self._pre:
            for pre, post, values in self.drawn():  # drawn now, not at build (see _native)
                self.add(pre, post, values)
        if not self._pre:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty.copy(), {n: np.zeros(0) for n in names}
        sizes = np.fromiter((len(p) for p in self._pre), dtype=np.int64, count=len(self._pre))
        pre = np.concatenate(self._pre)
        if all(isinstance(p, (int, np.integer)) for p in self._post):
            post = np.repeat(np.asarray(self._post, dtype=np.int64), sizes)
        else:
            post = np.concatenate(
                [
                    np.broadcast_to(np.asarray(p, dtype=np.int64), (n,))
                    for p, n in zip(self._post, sizes, strict=True)
                ]
            )
        values = {}
        for name in names:
            if name in self.fixed:
                values[name] = np.full(len(pre), float(self.fixed[name]))
                continue
            parts = [v[name] for v in self._values]
            if all(np.ndim(x) == 0 for x in parts):
                values[name] = np.repeat(np.asarray(parts, dtype=np.float64), sizes)
            else:
                values[name] = np.concatenate(
                    [
                        np.broadcast_to(np.asarray(x, dtype=np.float64), (n,))
                        for x, n in zip(parts, sizes, strict=True)
                    ]
                )
        return pre, post, values


def _sources(mask: Any, n_pre: int) -> IntArray | None:
    """Turn a column of a connection map into presynaptic indices (None: none)."""
    if mask is True or (isinstance(mask, np.bool_) and mask):
        return np.arange(n_pre, dtype=np.int64)
    if mask is False or mask is None or (isinstance(mask, np.bool_) and not mask):
        return None
    arr = np.atleast_1d(np.asarray(mask))
    if arr.dtype == bool:
        return np.flatnonzero(arr).astype(np.int64)
    return arr.astype(np.int64)


def _column_connect(
    connector: Any,
    projection: Any,
    out: Connections,
    connection_map_generator: Any,
    distance_map: Any = None,
) -> None:
    """Stand-in for ``MapConnector._standard_connect``: same connections, same draws."""
    params = connector._parameters_from_synapse_type(projection, distance_map)
    fixed: dict[str, Any] = {}
    varying: dict[str, LazyArray] = {}
    for name, lazy in params.items():
        if lazy.is_homogeneous:
            fixed[name] = lazy.evaluate(simplify=True)
        else:
            varying[name] = lazy
    out.fixed.update(fixed)
    n_pre = projection.pre.size
    for col, mask in enumerate(connection_map_generator()):
        src = _sources(mask, n_pre)
        if src is None or src.size == 0:
            continue
        values = {}
        for name, lazy in varying.items():
            # One evaluation per column, in column order: a RandomDistribution draws
            # exactly the numbers that PyNN's own loop would draw.
            values[name] = np.atleast_1d(np.asarray(lazy[src, col], dtype=np.float64))
        out.add(src, col, values)


def _from_list(connector: Any, projection: Any, out: Connections, conn_list: Any) -> None:
    synapse_type = projection.synapse_type
    names = synapse_type.get_parameter_names()
    for name in connector.column_names:
        if name not in names:
            raise ValueError(f"{name} is not a valid parameter for {type(synapse_type).__name__}")
    conn = np.asarray(conn_list, dtype=np.float64)
    if conn.size == 0:
        return
    conn = conn.reshape(len(conn), -1)
    pre = conn[:, 0]
    post = conn[:, 1]
    label = projection.label
    for what, idx, size in (
        ("source", pre, projection.pre.size),
        ("target", post, projection.post.size),
    ):
        if np.any(idx < 0) or np.any(idx >= size) or np.any(idx != np.floor(idx)):
            bad = idx[(idx < 0) | (idx >= size) | (idx != np.floor(idx))][0]
            raise errors.ConnectionError(
                f"Projection {label!r}: {what} index {bad:g} in the connection list is out "
                f"of range 0..{size - 1}"
            )
    order = np.argsort(post)  # PyNN's order: by target (same sort, same ties)
    conn = conn[order]
    n = len(conn)
    space = deepcopy(synapse_type.parameter_space)
    space.shape = (n,)
    for col, name in enumerate(connector.column_names, 2):
        space.update(**{name: conn[:, col]})
    if isinstance(synapse_type, StandardSynapseType):
        space = synapse_type.translate(space)
    space.evaluate(simplify=False)
    out.add(conn[:, 0].astype(np.int64), conn[:, 1].astype(np.int64), dict(space.items()))


def _small_world(connector: Any, projection: Any, out: Connections) -> None:
    """Watts-Strogatz: connect pairs closer than ``degree``, then rewire each target.

    With probability ``rewiring`` a connection's target is replaced by a neuron drawn
    uniformly from the postsynaptic population (self-connections excluded when not
    allowed).  With ``n_connections``, each presynaptic neuron keeps its
    ``n_connections`` nearest candidates instead of all those within ``degree``.
    """
    pre, post = projection.pre, projection.post
    degree = float(connector.d_expression.split("<")[1])
    dist = projection.space.distances(pre.positions.T, post.positions.T).reshape(
        pre.size, post.size
    )
    self_ok = connector.allow_self_connections or pre != post
    if not self_ok:
        np.fill_diagonal(dist, np.inf)
    if connector.n_connections is not None:
        k = int(connector.n_connections)
        order = np.argsort(dist, axis=1, kind="stable")[:, :k]
        src = np.repeat(np.arange(pre.size), order.shape[1])
        tgt = order.reshape(-1)
    else:
        src, tgt = np.nonzero(dist < degree)
    rng = connector.rng
    rewire = (
        np.asarray(rng.next(len(src), "uniform", {"low": 0.0, "high": 1.0})) < connector.rewiring
    )
    if np.any(rewire):
        new = np.asarray(
            rng.next(int(rewire.sum()), "uniform_int", {"low": 0, "high": post.size}),
            dtype=np.int64,
        )
        if not self_ok:
            clash = new == src[rewire]
            while np.any(clash):
                new[clash] = rng.next(
                    int(clash.sum()), "uniform_int", {"low": 0, "high": post.size}
                )
                clash = new == src[rewire]
        tgt = tgt.copy()
        tgt[rewire] = new
    order = np.lexsort((src, tgt))
    src, tgt = src[order].astype(np.int64), tgt[order].astype(np.int64)
    space = connector._parameters_from_synapse_type(projection)
    out.add(src, tgt, {name: evaluate_at(lazy, src, tgt) for name, lazy in space.items()})


def _rngs_of(projection: Any, connector: Any) -> list[Any]:
    """Return the RNGs a projection's build draws from: the connector's and the synapse's."""
    found = [getattr(connector, "rng", None)]
    space = getattr(projection.synapse_type, "parameter_space", None)
    for _name, lazy in [] if space is None else space.items():
        base = getattr(lazy, "base_value", None)
        if isinstance(base, RandomDistribution):
            found.append(base.rng)
    unique: dict[int, Any] = {}
    for rng in found:
        if isinstance(rng, AbstractRNG):
            unique.setdefault(id(rng), rng)
    return list(unique.values())


@contextmanager
def drawn_in_sequence(rngs: list[Any]) -> Iterator[None]:
    """While this lasts, a deep copy of any of ``rngs`` is that RNG itself (see module doc).

    ``copy.deepcopy`` looks ``__deepcopy__`` up on the instance, so this touches only these
    RNG objects, and only while one projection is built (or set).
    """
    pinned = []
    for rng in rngs:
        if "__deepcopy__" not in vars(rng):
            rng.__deepcopy__ = lambda memo, rng=rng: rng
            pinned.append(rng)
    try:
        yield
    finally:
        for rng in pinned:
            del rng.__deepcopy__


def build_connections(projection: Any, connector: Any) -> Connections:
    """Run ``connector`` for ``projection`` and return the connections it makes."""
    with drawn_in_sequence(_rngs_of(projection, connector)):
        return _build(projection, connector)


def _build(projection: Any, connector: Any) -> Connections:
    out = Connections()
    if isinstance(connector, connectors.FromFileConnector):
        if connector.distributed:
            connector.file.rename(f"{connector.file.name}.{projection._simulator.state.mpi_rank}")
        columns = list(connector.file.get_metadata().get("columns", ("weight", "delay")))
        connector.column_names = [c for c in columns if c not in ("i", "j")]
        _from_list(connector, projection, out, connector.file.read())
        return out
    if isinstance(connector, connectors.FromListConnector):
        _from_list(connector, projection, out, connector.conn_list)
        return out
    if isinstance(connector, connectors.SmallWorldConnector):
        _small_world(connector, projection, out)
        return out
    from spinstream.pyNN import _native  # it imports evaluate_at from here

    state = projection._simulator.state
    seed = int(state.require_runtime().spec.seed)
    if _native.build(connector, projection, out, seed, len(state.projections)):
        return out

    def standard_connect(_projection: Any, generator: Any, distance_map: Any = None) -> None:
        _column_connect(connector, _projection, out, generator, distance_map)

    # Connectors call self._standard_connect(...); an instance attribute shadows the
    # class's loop for this one call.  Connectors that call the projection directly
    # (CSA, user-written ones) land in Projection._convergent_connect -> out.
    had = "_standard_connect" in vars(connector)
    connector._standard_connect = standard_connect
    projection._collector = out
    try:
        connector.connect(projection)
    finally:
        projection._collector = None
        if not had:
            del connector._standard_connect
    return out


def evaluate_at(lazy: Any, pre: IntArray, post: IntArray) -> Any:
    """Evaluate a PyNN lazy array (shape pre x post) at the pairs ``(pre[k], post[k])``.

    A homogeneous value stays a scalar; a RandomDistribution draws ``len(pre)`` numbers in
    the given order; arrays and functions of (i, j) or of distance are looked up per pair.
    """
    if not isinstance(lazy, LazyArray):
        lazy = LazyArray(lazy, shape=None)
    if lazy.is_homogeneous:
        return lazy.evaluate(simplify=True)
    base = lazy.base_value
    if isinstance(base, RandomDistribution):
        values = np.asarray(base.next(len(pre)), dtype=np.float64).reshape(-1)
    elif isinstance(base, np.ndarray):
        values = np.asarray(base, dtype=np.float64)[pre, post]
    elif callable(base):
        values = np.asarray(base(pre, post), dtype=np.float64)
    else:
        values = np.broadcast_to(np.asarray(lazy.evaluate(simplify=True)), pre.shape)
    for func, arg in lazy.operations:
        if isinstance(arg, LazyArray):
            arg = evaluate_at(arg, pre, post)
        values = func(values) if arg is None else func(values, arg)
    return np.broadcast_to(np.asarray(values, dtype=np.float64), pre.shape)
