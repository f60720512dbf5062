"""Mapping: network spec -> PACMAN -> plain-data plan (placements, keys, routes).

The only package module that imports PACMAN or spinn_machine; everything it returns is
plain data (:class:`spinstream.model.MappingPlan`).
"""

from __future__ import annotations

from spinstream.mapping._map import map_network
from spinstream.mapping._routes import walk_route

__all__ = ["map_network", "walk_route"]

# Shared with sPyNNaker's face (get_machine); not part of the mapping API.
from spinstream.mapping._contain import pacman_session as pacman_session
