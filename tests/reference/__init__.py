"""An independent, slow, pure-numpy implementation of the Board interface (the yardstick).

``ReferenceBoard`` follows docs/ENGINE.md literally; ``trivial_plan`` maps a network without
PACMAN; ``build`` has terse spec builders for tests.
"""

from __future__ import annotations

from .board import ReferenceBoard
from .build import current_source, network, population, projection
from .plan import trivial_plan

__all__ = [
    "ReferenceBoard",
    "current_source",
    "network",
    "population",
    "projection",
    "trivial_plan",
]
