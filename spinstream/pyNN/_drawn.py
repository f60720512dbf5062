"""NativeRNG projections that keep no per-synapse arrays: drawn again when read.

A static projection whose connector draws with a ``NativeRNG`` and whose per-synapse values
come from that RNG alone (or are one value for all) is the same every time its blocks are
drawn (``spinstream.pyNN._native``).  Such a projection keeps the way to draw it instead of
its connections: ``get``, ``save``, ``len`` and the board's loading draw the blocks again
(:class:`Redraw`); the runtime's spec of it is a ``DrawnProjectionSpec``.  The first change
of a weight or delay (``set``, a connection's setter) stores every array, as before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from spinstream.model import ColumnDigest, DrawnChunk, DrawnProjectionSpec
from spinstream.pyNN._connect import drawn_in_sequence

__all__ = ["COLUMNS", "DrawnColumn", "Redraw", "drawn_spec"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: The Projection attributes drawn on demand.
COLUMNS = ("_pre", "_post", "_weight", "_delay", "_steps")


class Redraw:
    """Draw a NativeRNG projection's blocks again, with the projection's transforms.

    Parameters
    ----------
    blocks
        ``spinstream.pyNN._native.DrawnBlocks`` of the projection.
    fixed
        The parameters that are one value for every synapse (``weight``, ``delay``: nA or
        uS, ms).
    rngs
        The RNGs the build drew from (pinned as when the projection was built).
    dt
        The time step (ms): delays in steps are ``rint(delay / dt)``, as the build's.
    n
        The number of synapses.
    """

    def __init__(self, blocks: Any, fixed: dict[str, Any], rngs: list[Any], dt: float, n: int):
        self._blocks = blocks
        self._fixed = dict(fixed)
        self._rngs = rngs
        self._dt = float(dt)
        self.n = int(n)
        # per block with synapses: its number and its first connection (set by count())
        self._numbers = np.zeros(0, np.int64)
        self._first = np.zeros(1, np.int64)
        self._last: tuple[int, tuple[npt.NDArray[Any], ...]] | None = None
        #: the synapses onto each post index, and a digest of every synapse (set by count())
        self.in_degree: IntArray | None = None
        self.out_degree: IntArray | None = None  # the synapses from each pre index
        self.fingerprint: bytes | None = None

    def _columns(
        self, src: IntArray, tgt: IntArray, values: dict[str, Any]
    ) -> tuple[IntArray, IntArray, FloatArray, FloatArray, IntArray]:
        n = len(src)
        w, d = (self._value(values, name, n) for name in ("weight", "delay"))
        return src, tgt, w, d, np.rint(d / self._dt).astype(np.int64)

    def blocks(
        self, keep: Callable[[int, int], bool] | None = None
    ) -> Iterator[tuple[IntArray, IntArray, FloatArray, FloatArray, IntArray]]:
        """Per block: pre and post indices, weights and delays as given, delays in steps.

        ``keep(lo, hi)``: only the blocks of post indices ``lo .. hi - 1`` for which it is
        true are drawn (``_native.DrawnBlocks``).
        """
        with drawn_in_sequence(self._rngs):
            for src, tgt, values in self._blocks(keep):
                yield self._columns(src, tgt, values)

    def count(
        self, digest: bool = False
    ) -> Iterator[tuple[IntArray, IntArray, FloatArray, FloatArray, IntArray]]:
        """As :meth:`blocks`, noting where each block's connections start (and ``n``).

        Also notes the synapses from each pre index (``out_degree``: the rows' first pass)
        and, with ``digest`` (over MPI processes), the synapses onto each post index
        (``in_degree``: each rank's share of the cores) and a digest of every synapse
        (``fingerprint``: what the ranks compare at load, so that they need not draw every
        block again for it).
        """
        numbers, sizes = [], []
        columns = ColumnDigest((np.int64, np.int64, np.float64, np.int64)) if digest else None
        in_degree = np.zeros(0, np.int64) if digest else None
        out_degree = np.zeros(0, np.int64)
        with drawn_in_sequence(self._rngs):
            for b, src, tgt, values in self._blocks.numbered():
                numbers.append(b)
                sizes.append(len(src))
                block = self._columns(src, tgt, values)
                if in_degree is not None:
                    in_degree = _add_counts(in_degree, tgt)
                out_degree = _add_counts(out_degree, src)
                if columns is not None:
                    columns.add(block[0], block[1], block[2], block[4])
                yield block
        self._numbers = np.array(numbers, np.int64)
        self._first = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])
        self.n = int(self._first[-1])
        self.in_degree = in_degree
        self.out_degree = out_degree
        self.fingerprint = None if columns is None else columns.digest()

    def at(self, position: int, index: int) -> Any:
        """Return connection ``index``'s value of column ``position`` (its block alone drawn).

        The last block drawn is kept (one block: about a thousand targets' synapses), so
        reading the connections in order draws each block once.
        """
        k = int(np.searchsorted(self._first, index, side="right")) - 1
        if self._last is None or self._last[0] != k:
            with drawn_in_sequence(self._rngs):
                src, tgt, values = self._blocks.block(int(self._numbers[k]))
            self._last = (k, self._columns(src, tgt, values))
        return self._last[1][position][index - int(self._first[k])]

    def _value(self, values: dict[str, Any], name: str, n: int) -> FloatArray:
        if name in values:
            return np.asarray(values[name], dtype=np.float64)
        return np.full(n, float(self._fixed[name]))

    def column(self, position: int) -> npt.NDArray[Any]:
        """One of :data:`COLUMNS`, whole (drawn now)."""
        parts = [block[position] for block in self.blocks()]
        if not parts:
            return np.zeros(0, np.int64 if position in (0, 1, 4) else np.float64)
        return np.concatenate(parts)


def _add_counts(counts: IntArray, index: IntArray) -> IntArray:
    """Return ``counts`` (grown as needed) plus the occurrences of each value of ``index``."""
    more = np.bincount(index)
    if len(more) > len(counts):
        counts = np.concatenate([counts, np.zeros(len(more) - len(counts), np.int64)])
    counts[: len(more)] += more
    return counts


class DrawnColumn:
    """A Projection attribute that a drawn projection draws when read (see module doc)."""

    def __init__(self, position: int) -> None:
        self.position = position

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> DrawnColumn: ...
    @overload
    def __get__(self, obj: object, objtype: type | None = None) -> npt.NDArray[Any]: ...
    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        redraw = obj.__dict__.get("_redraw")
        if redraw is None:
            return obj.__dict__[self.name]
        return redraw.column(self.position)

    def __set__(self, obj: Any, value: Any) -> None:
        redraw = obj.__dict__.pop("_redraw", None)
        if redraw is not None:  # keep every array from now on
            for name, position in zip(COLUMNS, range(len(COLUMNS)), strict=True):
                obj.__dict__[name] = redraw.column(position)
        obj.__dict__[self.name] = value


def drawn_spec(
    redraw: Redraw,
    *,
    spec_id: int,
    pre: int,
    post: int,
    pre_index: IntArray,
    post_index: IntArray,
    receptor: int,
    signed: bool,
    label: str,
) -> DrawnProjectionSpec:
    """Make the runtime's spec of a drawn projection (all of it one (pre, post) pair).

    ``pre_index``/``post_index`` map the projection's indices to the root populations'.
    """

    def draw(keep: Callable[[IntArray], bool] | None = None) -> Iterator[DrawnChunk]:
        def keep_block(lo: int, hi: int) -> bool:
            assert keep is not None
            return keep(post_index[lo:hi])

        for src, tgt, w, _d, steps in redraw.blocks(None if keep is None else keep_block):
            yield (
                pre_index[src],
                post_index[tgt],
                w if signed else np.abs(w),
                steps,
                np.broadcast_to(np.int64(receptor), (len(src),)),
            )

    fingerprint = None
    if redraw.fingerprint is not None:  # the maps and the receptor too: all of the synapses
        h = hashlib.blake2b(redraw.fingerprint, digest_size=16)
        maps = ColumnDigest((np.int64,))
        for index in (pre_index, post_index):
            maps.add(index)
            h.update(maps.digest())
        h.update(repr((int(receptor), bool(signed))).encode())
        fingerprint = h.digest()
    in_degree = None
    if redraw.in_degree is not None:
        counts = redraw.in_degree
        in_degree = (np.asarray(post_index[: len(counts)], np.int64), counts)
    out_degree = None
    if redraw.out_degree is not None:
        counts = redraw.out_degree
        out_degree = (np.asarray(pre_index[: len(counts)], np.int64), counts)
    return DrawnProjectionSpec.drawn(
        draw,
        redraw.n,
        id=spec_id,
        pre=pre,
        post=post,
        label=label,
        selective=True,
        fingerprint=fingerprint,
        in_degree=in_degree,
        out_degree=out_degree,
    )
