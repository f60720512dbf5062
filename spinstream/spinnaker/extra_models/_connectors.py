"""sPyNNaker lists two of its extra connectors under ``extra_models`` too (the same classes)."""

from __future__ import annotations

from spinstream.pyNN import AllButMeConnector, OneToOneOffsetConnector

__all__ = ["AllButMeConnector", "OneToOneOffsetConnector"]
