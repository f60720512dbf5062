"""A trivial MappingPlan made without PACMAN, so that board tests need no mapping layer."""

from __future__ import annotations

import numpy as np

from spinstream.model import CoreSlice, MappingPlan, NetworkSpec

#: Application cores per chip (p = 0 is the monitor core).
CORES_PER_CHIP = 17
WIDTH = HEIGHT = 8


def trivial_plan(spec: NetworkSpec, atoms_per_core: int | str | None = None) -> MappingPlan:
    """Place a network naively on one 8x8 board.

    Parameters
    ----------
    spec
        The network.
    atoms_per_core
        ``None`` (default): one core per population, whatever its size.  ``"max"``: split
        each population into slices of its ``max_atoms_per_core``.  An int: slices of at
        most that many neurons.

    Returns
    -------
    A plan whose cores are numbered in population order and filled chip by chip
    (processors 1..17, chips ``(0, 0), (1, 0), ...``); each core's key is
    ``core_id << bits`` with the low ``bits`` bits for the neuron index; ``routes`` sends
    core ``c`` to every core that holds a target of a synapse from a neuron of ``c``.
    ``tables`` is left empty: the routes are given resolved.
    """
    slices: list[tuple[int, int, int]] = []
    for pop in spec.populations:
        if atoms_per_core is None:
            step = pop.size
        elif atoms_per_core == "max":
            step = pop.max_atoms_per_core
        else:
            step = int(atoms_per_core)
        step = max(step, 1)
        for lo in range(0, max(pop.size, 1), step):
            slices.append((pop.id, lo, min(lo + step, pop.size)))
    widest = max((hi - lo for _, lo, hi in slices), default=1)
    bits = max(1, (widest - 1).bit_length())
    if (len(slices) << bits) > 1 << 32:
        raise ValueError("network too large for 32-bit keys in the trivial plan")
    if len(slices) > CORES_PER_CHIP * WIDTH * HEIGHT:
        raise ValueError(f"{len(slices)} cores do not fit on one board")
    cores: list[CoreSlice] = []
    pop_cores: dict[int, list[int]] = {pop.id: [] for pop in spec.populations}
    mask = (0xFFFFFFFF << bits) & 0xFFFFFFFF
    for cid, (pop, lo, hi) in enumerate(slices):
        chip, p = divmod(cid, CORES_PER_CHIP)
        x, y = chip % WIDTH, chip // WIDTH
        cores.append(
            CoreSlice(pop=pop, lo=lo, hi=hi, x=x, y=y, p=p + 1, key=cid << bits, mask=mask)
        )
        pop_cores[pop].append(cid)

    def core_of(pop: int, index: np.ndarray) -> np.ndarray:
        ids = pop_cores[pop]
        los = np.array([cores[c].lo for c in ids])
        return np.asarray(ids)[np.searchsorted(los, index, side="right") - 1]

    targets: dict[int, set[int]] = {cid: set() for cid in range(len(cores))}
    for proj in spec.projections:
        if len(proj.pre_index) == 0:
            continue
        pre_cores = core_of(proj.pre, np.asarray(proj.pre_index))
        post_cores = core_of(proj.post, np.asarray(proj.post_index))
        for a, b in set(zip(pre_cores.tolist(), post_cores.tolist(), strict=True)):
            targets[a].add(b)
    routes = {cid: tuple(sorted(t)) for cid, t in targets.items()}
    return MappingPlan(
        cores=cores,
        pop_cores=pop_cores,
        routes=routes,
        n_boards=1,
        width=WIDTH,
        height=HEIGHT,
        labels={pop.id: pop.label for pop in spec.populations},
    )
