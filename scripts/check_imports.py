"""Import-layer check: no module imports another package's private module.

A private module (``spinstream/<package>/_name.py``) is its package's business: other packages
use what the package exports from its ``__init__.py``.  Usage::

    python scripts/check_imports.py [root ...]     # default: spinstream tests benchmarks

Prints each offending import as ``file:line: module imports package._private`` and exits 1
when there is any.  ``tests`` and ``benchmarks`` may reach into ``spinstream``'s private
modules only where a line says so with ``# private: <why>``.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path


def _package_of(path: Path) -> str:
    """Dotted package a file belongs to (its directory)."""
    return ".".join(path.with_suffix("").parts[:-1])


def _private_target(module: str) -> str | None:
    """The private module named by ``module`` (a dotted name), or None."""
    parts = module.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[: i + 1])
    return None


def violations(path: Path) -> list[str]:
    """The imports of ``path`` that reach into another package's private module."""
    source = path.read_text()
    tree = ast.parse(source, str(path))
    lines = source.splitlines()
    own = _package_of(path)
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: inside the own package
                continue
            base = node.module or ""
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for name in names:
            target = _private_target(name)
            if target is None or not target.startswith("spinstream"):
                continue
            owner = target.rsplit(".", 1)[0]
            if owner == own or own.startswith(owner + "."):
                continue  # a package's own private modules (and its subpackages')
            if "# private:" in lines[node.lineno - 1]:
                continue
            found.append(f"{path}:{node.lineno}: {own or path.stem} imports {target}")
            break
    return found


def main(argv: list[str]) -> int:
    roots = [Path(a) for a in argv] or [Path("spinstream")]
    bad: list[str] = []
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            bad += violations(path)
    for line in bad:
        print(line)
    if bad:
        print(f"check_imports: {len(bad)} imports of another package's private module")
        return 1
    print("check_imports: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
