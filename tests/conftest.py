"""Shared test configuration.

``tests`` is a package, so pytest puts the repository root on ``sys.path`` and every test
module imports its helpers as ``from tests.fakes import ...`` or ``from tests.reference import
...``; modules that need the C engine call ``tests.engine.require_engine()``.
"""

from __future__ import annotations


def pytest_report_header() -> list[str]:
    """Say which engine the run uses, so a log shows what was tested."""
    try:
        from spinstream.board import _engine

        return [f"spinstream engine: {_engine._library_path()}"]
    except Exception as exc:  # the header must never break collection
        return [f"spinstream engine: unavailable ({exc})"]
