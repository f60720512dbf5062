"""spinstream: a live, closed-loop PyNN runtime on a SpiNNaker-style board."""

from __future__ import annotations

__version__ = "0.1.0"

from spinstream import _pynn_alias

_pynn_alias.install()  # `import pyNN.spinstream` -> spinstream.pyNN


def __getattr__(name: str) -> object:
    # Session pulls in PyNN and neo: import it on first use, not with the package.
    if name == "Session":
        from spinstream._session_api import Session

        return Session
    raise AttributeError(f"module 'spinstream' has no attribute {name!r}")
