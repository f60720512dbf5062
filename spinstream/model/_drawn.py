"""A projection whose synapses are drawn anew whenever they are read, never kept.

A network of hundreds of millions of synapses cannot keep five arrays per synapse (40 bytes)
beside the engine's rows (4-8 bytes).  When a projection's synapses come from generators
that can draw them again identically (``spinstream.pyNN``'s ``NativeRNG``: one generator per
block of target neurons, seeded by the network's seed and the projection's number), its
:class:`DrawnProjectionSpec` keeps the way to draw them, and its array attributes
(``pre_index``, ``post_index``, ``weight``, ``delay_steps``, ``receptor``) are drawn when
read.  The board reads them block by block (:meth:`DrawnProjectionSpec.chunks`) as it builds
its rows.  Assigning one of them (a live weight change) turns the projection into an
ordinary one: every array is then kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from spinstream.model._spec import ProjectionSpec

__all__ = ["ColumnDigest", "DrawnChunk", "DrawnProjectionSpec"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: One block of a drawn projection: pre index, post index, weight, delay steps, receptor.
DrawnChunk = tuple[IntArray, IntArray, FloatArray, IntArray, IntArray]

_COLUMNS = ("pre_index", "post_index", "weight", "delay_steps", "receptor")


class ColumnDigest:
    """A digest of columns of values read piece by piece, the same however they are cut.

    Per column: the xor of its 8-byte words and the sum of their products with their
    positions (modulo 2**64), and the length; identical columns give identical digests, and
    any change of a value or of the order changes them (with overwhelming probability).

    Parameters
    ----------
    dtypes
        One 8-byte dtype per column (values are converted to it first).
    """

    def __init__(self, dtypes: tuple[type, ...]) -> None:
        self._dtypes = dtypes
        self._xor = [np.uint64(0)] * len(dtypes)
        self._sum = [np.uint64(0)] * len(dtypes)
        self.n = 0

    def add(self, *columns: Any) -> None:
        """Add the next piece: one array (or one value for all) per column."""
        k = len(columns[0])
        pos = np.arange(self.n + 1, self.n + k + 1, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for c, (values, dtype) in enumerate(zip(columns, self._dtypes, strict=True)):
                arr: npt.NDArray[Any] = np.broadcast_to(np.asarray(values, dtype=dtype), (k,))
                words = np.ascontiguousarray(arr).view(np.uint64)
                self._xor[c] ^= np.bitwise_xor.reduce(words, initial=np.uint64(0))
                self._sum[c] += np.add.reduce(words * pos, initial=np.uint64(0), dtype=np.uint64)
        self.n += k

    def digest(self) -> bytes:
        """Return the digest of everything added so far."""
        out = [f"{self.n} rows".encode()]
        for x, t in zip(self._xor, self._sum, strict=True):
            out += [np.uint64(x).tobytes(), np.uint64(t).tobytes()]
        return b"".join(out)


class _Column:
    """An array attribute: drawn when read while the spec is drawn, else stored."""

    def __init__(self, position: int) -> None:
        self.position = position

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        draw = obj.__dict__.get("_draw")
        if draw is None:
            return obj.__dict__[self.name]
        parts = [chunk[self.position] for chunk in draw()]
        if not parts:
            return np.zeros(0, np.float64 if self.name == "weight" else np.int64)
        return np.concatenate([np.asarray(p) for p in parts])

    def __set__(self, obj: Any, value: Any) -> None:
        if obj.__dict__.get("_draw") is not None:
            obj.materialize()
        obj.__dict__[self.name] = value


class DrawnProjectionSpec(ProjectionSpec):
    """A :class:`ProjectionSpec` whose arrays are drawn when read (see the module doc).

    Build one with :meth:`drawn`; constructed like a ``ProjectionSpec`` (as
    ``dataclasses.replace`` does) it is an ordinary one with stored arrays.
    """

    pre_index = _Column(0)
    post_index = _Column(1)
    weight = _Column(2)
    delay_steps = _Column(3)
    receptor = _Column(4)

    @classmethod
    def drawn(
        cls,
        draw: Callable[..., Iterator[DrawnChunk]],
        n_synapses: int,
        *,
        id: int,
        pre: int,
        post: int,
        label: str = "",
        selective: bool = False,
        fingerprint: bytes | None = None,
        in_degree: tuple[IntArray, IntArray] | None = None,
        out_degree: tuple[IntArray, IntArray] | None = None,
    ) -> DrawnProjectionSpec:
        """Make a static projection of ``n_synapses`` synapses, drawn by ``draw()`` on demand.

        ``draw`` must give the same chunks, in the same order, at every call.  With
        ``selective``, ``draw(keep)`` also takes a function of a block's post indices (the
        post population's) that says whether to draw that block: a block it refuses is not
        drawn, and the others are drawn as by ``draw()`` (see :meth:`chunks`).
        ``fingerprint`` (a digest of every synapse, taken when they were first drawn) and
        ``in_degree`` (post indices and the synapses onto each) and ``out_degree`` (pre
        indices and the synapses from each) spare a reader that needs only those a drawing
        of every block; all are dropped when the arrays are stored.
        """
        self = cls.__new__(cls)
        self.__dict__.update(
            id=id, pre=pre, post=post, label=label, plasticity=None, rule_params=None
        )
        self.__dict__["_draw"] = draw
        self.__dict__["_selective"] = bool(selective)
        self.__dict__["_fingerprint"] = fingerprint
        self.__dict__["_in_degree"] = in_degree
        self.__dict__["_out_degree"] = out_degree
        self.__dict__["_n"] = int(n_synapses)
        return self

    @property
    def is_drawn(self) -> bool:
        """True while the arrays are drawn when read (not stored)."""
        return self.__dict__.get("_draw") is not None

    @property
    def fingerprint(self) -> bytes | None:
        """A digest of every synapse taken when first drawn (None: none, or stored now)."""
        return self.__dict__.get("_fingerprint") if self.is_drawn else None

    @property
    def in_degree(self) -> tuple[IntArray, IntArray] | None:
        """Post indices and the synapses onto each, if known without drawing (else None)."""
        return self.__dict__.get("_in_degree") if self.is_drawn else None

    @property
    def out_degree(self) -> tuple[IntArray, IntArray] | None:
        """Pre indices and the synapses from each, if known without drawing (else None)."""
        return self.__dict__.get("_out_degree") if self.is_drawn else None

    @property
    def n_synapses(self) -> int:
        """The number of synapses, without drawing them."""
        if self.is_drawn:
            return int(self.__dict__["_n"])
        return len(self.__dict__["pre_index"])

    def chunks(self, keep: Callable[[IntArray], bool] | None = None) -> Iterator[DrawnChunk]:
        """Yield the synapses block by block (one chunk of every array when stored).

        Parameters
        ----------
        keep
            A hint for a reader that wants the synapses onto some post neurons only:
            ``keep(post)`` gets a block's post indices before it is drawn, and a block it
            refuses may be skipped without being drawn (a selective draw, see
            :meth:`drawn`).  Every block with a post neuron it accepts is yielded whole, in
            order; a stored projection, or one drawn otherwise, yields everything.
        """
        draw = self.__dict__.get("_draw")
        if draw is None:
            yield tuple(self.__dict__[name] for name in _COLUMNS)
            return
        if keep is not None and self.__dict__.get("_selective"):
            yield from draw(keep)
            return
        yield from draw()

    def materialize(self) -> None:
        """Draw every array once and keep them: an ordinary projection from now on."""
        draw = self.__dict__.get("_draw")
        if draw is None:
            return
        columns = [getattr(self, name) for name in _COLUMNS]
        del self.__dict__["_draw"]
        for name, values in zip(_COLUMNS, columns, strict=True):
            self.__dict__[name] = values
