"""scripts/check_imports.py: no module imports another package's private module."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _checker() -> object:
    spec = importlib.util.spec_from_file_location(
        "check_imports", ROOT / "scripts" / "check_imports.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_imports"] = module
    spec.loader.exec_module(module)
    return module


def test_the_package_keeps_its_layers(monkeypatch: object) -> None:
    checker = _checker()
    found = []
    for path in sorted((ROOT / "spinstream").rglob("*.py")):
        found += checker.violations(path.relative_to(ROOT))  # type: ignore[attr-defined]
    assert found == []


def test_a_private_import_across_packages_is_found(tmp_path: Path, monkeypatch: object) -> None:
    checker = _checker()
    pkg = tmp_path / "spinstream" / "session"
    pkg.mkdir(parents=True)
    (pkg / "_x.py").write_text(
        "from spinstream.board._host import HostBoard\n"  # another package's private module
        "from spinstream.session._clock import Clock\n"  # its own: fine
        "from spinstream.board import HostBoard as H\n"  # the package's export: fine
        "from spinstream.recording import _neo\n"  # a private module by name
    )
    monkeypatch.chdir(tmp_path)  # type: ignore[attr-defined]
    found = checker.violations(Path("spinstream/session/_x.py"))  # type: ignore[attr-defined]
    assert found == [
        "spinstream/session/_x.py:1: spinstream.session imports spinstream.board._host",
        "spinstream/session/_x.py:4: spinstream.session imports spinstream.recording._neo",
    ]
