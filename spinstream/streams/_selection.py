"""Which cells a stream covers: one or more (population, neuron indices) parts.

A Population or PopulationView is one part; an Assembly is several.  Positions within the
selection number the cells part after part, each part in the order of its indices; stream
batches report positions, not neuron indices.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]


class Selection:
    """An ordered selection of cells, possibly from several populations.

    Parameters
    ----------
    parts
        ``(population id, int64 neuron indices)`` pairs.  Indices must not repeat within a
        part.
    """

    __slots__ = ("_luts", "offsets", "parts", "size")

    def __init__(self, parts: Iterable[tuple[int, npt.ArrayLike]]) -> None:
        cleaned: list[tuple[int, IntArray]] = []
        offsets: list[int] = []
        total = 0
        for pop, indices in parts:
            idx = np.array(indices, dtype=np.int64, copy=True).reshape(-1)
            if len(idx) and idx.min() < 0:
                raise ValueError(
                    f"indices of population {pop} must be non-negative, got {idx.min()}"
                )
            if len(np.unique(idx)) != len(idx):
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
            table = np.full(int(idx.max()) + 1 if len(idx) else 0, -1, dtype=np.int64)
            table[idx] = np.arange(len(idx), dtype=np.int64) + self.offsets[part]
            self._luts[part] = table
        return table

    def spike_positions(
        self, part: int, stamps: IntArray, indices: IntArray
    ) -> tuple[IntArray, IntArray]:
        """Keep the spikes of one part's cells: ``(stamps, positions)``."""
        table = self.lut(part)
        if len(indices) == 0:
            return stamps, indices
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
        sel = Selection([(int(pop), idx)])
    else:
        if indices is not None:
            raise ValueError(
                "give indices only together with a population id, not with a list of parts"
            )
        sel = Selection(pop)
    for p, idx in sel.parts:
        _check_pop(p, sizes)
        if len(idx) and idx.max() >= sizes[p]:
            raise IndexError(
                f"neuron index {int(idx.max())} is out of range for population {p} "
                f"of size {sizes[p]}"
            )
    return sel


def _check_pop(pop: int, sizes: Sequence[int]) -> None:
    if not 0 <= pop < len(sizes):
        raise IndexError(f"population id {pop} does not exist (there are {len(sizes)})")
