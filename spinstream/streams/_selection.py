"""Which cells a stream covers: one or more (population, neuron indices) parts.

A Population or PopulationView is one part; an Assembly is several.  Positions within the
selection number the cells part after part, each part in the order of its indices; stream
batches report positions, not neuron indices.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from spinstream._indices import has_repeats

IntArray = npt.NDArray[np.int64]


class Selection:
    """An ordered selection of cells, possibly from several populations.

    Parameters
    ----------
    parts
        ``(population id, int64 neuron indices)`` pairs.  Indices must not repeat within a
        part.
    pop_sizes
        Population id -> size, when known: lets whole populations skip all filtering.
    """

    __slots__ = ("_identity", "_luts", "_sizes", "key", "offsets", "parts", "size")

    def __init__(
        self,
        parts: Iterable[tuple[int, npt.ArrayLike]],
        pop_sizes: Sequence[int] | None = None,
    ) -> None:
        cleaned: list[tuple[int, IntArray]] = []
        offsets: list[int] = []
        total = 0
        for pop, indices in parts:
            idx = np.array(indices, dtype=np.int64, copy=True).reshape(-1)
            if len(idx) and idx.min() < 0:
                raise ValueError(
                    f"indices of population {pop} must be non-negative, got {idx.min()}"
                )
            if has_repeats(idx):
                raise ValueError(f"indices of population {pop} repeat a neuron")
            idx.setflags(write=False)
            cleaned.append((int(pop), idx))
            offsets.append(total)
            total += len(idx)
        if not cleaned:
            raise ValueError("a selection needs at least one (population, indices) part")
        self.parts: tuple[tuple[int, IntArray], ...] = tuple(cleaned)
        self.offsets: tuple[int, ...] = tuple(offsets)
        self.size = total
        self._luts: list[IntArray | None] = [None] * len(cleaned)
        # per part: None (general), or k when its indices are exactly 0..k-1 in order
        self._identity: list[int | None] = [
            len(i) if np.array_equal(i, np.arange(len(i))) else None for _, i in cleaned
        ]
        self._sizes: list[int | None] = [
            None if pop_sizes is None else int(pop_sizes[p]) for p, _ in cleaned
        ]
        #: Equal for selections of the same cells in the same order (hashable).
        self.key: tuple[tuple[int, bytes], ...] = tuple((p, i.tobytes()) for p, i in cleaned)

    @property
    def pops(self) -> tuple[int, ...]:
        """Population ids of the parts (in order; may repeat)."""
        return tuple(p for p, _ in self.parts)

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        inner = ", ".join(f"pop {p}: {len(i)} cells" for p, i in self.parts)
        return f"Selection({inner})"

    def lut(self, part: int) -> IntArray:
        """Neuron index -> position in the selection (-1 outside), for one part."""
        table = self._luts[part]
        if table is None:
            _, idx = self.parts[part]
            n = self._sizes[part]
            if n is None:
                n = int(idx.max()) + 1 if len(idx) else 0
            table = np.full(n, -1, dtype=np.int64)
            table[idx] = np.arange(len(idx), dtype=np.int64) + self.offsets[part]
            self._luts[part] = table
        return table

    def spike_positions(
        self, part: int, stamps: IntArray, indices: IntArray
    ) -> tuple[IntArray, IntArray]:
        """Keep the spikes of one part's cells: ``(stamps, positions)``.

        ``indices`` are neuron indices of the part's population (``0 <= i < size``).
        """
        if len(indices) == 0:
            return stamps, indices
        k = self._identity[part]
        offset = self.offsets[part]
        if k is not None:
            if k != self._sizes[part]:
                inside = indices < k
                if not inside.all():
                    stamps, indices = stamps[inside], indices[inside]
            return stamps, (indices + offset if offset else indices)
        table = self.lut(part)
        if self._sizes[part] is None:
            inside = indices < len(table)
            if not inside.all():
                stamps, indices = stamps[inside], indices[inside]
        pos = table[indices]
        keep = pos >= 0
        if keep.all():
            return stamps, pos
        return stamps[keep], pos[keep]


def as_selection(
    pop: int | Sequence[tuple[int, npt.ArrayLike]] | Selection,
    indices: npt.ArrayLike | None,
    sizes: Sequence[int],
) -> Selection:
    """Build a selection from the runtime's ``(pop, indices)`` or list-of-parts forms.

    ``indices=None`` with a population id means all of its neurons.  Checks every id and
    index against ``sizes`` (population id -> size) and names what is wrong.
    """
    if isinstance(pop, Selection):
        if indices is not None:
            raise ValueError("give indices only together with a population id")
        sel = pop
    elif isinstance(pop, int | np.integer):
        _check_pop(int(pop), sizes)
        idx = np.arange(sizes[int(pop)]) if indices is None else indices
        _check_indices(int(pop), np.asarray(idx).reshape(-1), sizes)
        sel = Selection([(int(pop), idx)], sizes)
    else:
        if indices is not None:
            raise ValueError(
                "give indices only together with a population id, not with a list of parts"
            )
        parts = [(int(p), np.asarray(i).reshape(-1)) for p, i in pop]
        for p, i in parts:
            _check_pop(p, sizes)
            _check_indices(p, i, sizes)
        sel = Selection(parts, sizes)
    for p, idx in sel.parts:
        _check_pop(p, sizes)
        _check_indices(p, idx, sizes)
    return sel


def _check_indices(pop: int, idx: npt.NDArray[np.generic], sizes: Sequence[int]) -> None:
    if len(idx) and (idx.max() >= sizes[pop] or idx.min() < 0):
        bad = idx.max() if idx.max() >= sizes[pop] else idx.min()
        raise IndexError(
            f"neuron index {int(bad)} is out of range for population {pop} of size {sizes[pop]}"
        )


def _check_pop(pop: int, sizes: Sequence[int]) -> None:
    if not 0 <= pop < len(sizes):
        raise IndexError(f"population id {pop} does not exist (there are {len(sizes)})")
