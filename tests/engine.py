"""The C engine, for the test modules that need it (one check instead of one per module)."""

from __future__ import annotations

import os
from typing import Any

import pytest


def require_engine() -> Any:
    """Return ``HostBoard`` if the C engine is built, else skip the calling module.

    Under CI (``CI=true``) a missing engine is an error, never a skip: CI builds the engine,
    so a failed import there is a real failure.
    """
    try:
        from spinstream.board import HostBoard

        HostBoard()
    except ImportError as exc:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"HostBoard unavailable: {exc}", allow_module_level=True)
    return HostBoard
