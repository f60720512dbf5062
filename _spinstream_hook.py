"""Interpreter-start hook: ``import pyNN.spiNNaker`` (and sPyNNaker's old names) on spinstream.

``pip install .`` puts ``spinstream-pynn-spinnaker.pth`` into site-packages; Python runs its
one line at start-up, which imports this module and puts :class:`SpiNNakerFinder` first on
:data:`sys.meta_path`.  The finder answers only for these names (everything else costs one
``str`` comparison per import):

==========================  =======================================================
``pyNN.spiNNaker``, ``.X``  :mod:`spinstream.spinnaker`, ``spinstream.spinnaker.X``
``spynnaker8``, ``.X``      :mod:`spinstream.spinnaker`, ``spinstream.spinnaker.X``
``spynnaker.pyNN``, ``.X``  the same (``spynnaker`` itself: an empty package)
==========================  =======================================================

It must stay cheap: it imports nothing (no spinstream, PyNN or numpy) until one of these
names is imported, so ``python -c pass`` pays only for reading this file.  Importing
spinstream here would also pin the installed copy in ``sys.modules`` before a checkout on
``PYTHONPATH`` could be found.

When the real sPyNNaker (the ``spynnaker`` distribution) is installed too:

* ``pyNN.spiNNaker`` still runs on spinstream (sPyNNaker's needs a SpiNNaker board), and
  says so once on stderr; ``SPINSTREAM_PYNN_SPINNAKER=spynnaker`` gives the name back to
  sPyNNaker (PyNN's own ``pyNN/spiNNaker.py``), ``=spinstream`` keeps it here without the
  message.
* ``spynnaker`` and ``spynnaker.*`` are sPyNNaker's own (its client classes are useful
  with spinstream's live I/O); ``spynnaker8.*`` stays spinstream's unless a ``spynnaker8``
  package is installed.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing is not imported at start-up: importing it costs milliseconds
if TYPE_CHECKING:
    from typing import Any

__all__ = ["ENV", "SpiNNakerFinder", "install", "target"]

#: Environment variable that picks the backend of ``pyNN.spiNNaker`` when both are installed.
ENV = "SPINSTREAM_PYNN_SPINNAKER"
_FACE = "spinstream.spinnaker"
#: Old top-level names whose submodules mirror sPyNNaker's ``spynnaker.pyNN`` layout.
_PREFIXES = ("spynnaker.pyNN", "spynnaker8")
_said = False


def _installed(top: str) -> bool:
    """Whether a real top-level package ``top`` is installed (asks the other finders)."""
    for finder in sys.meta_path:
        if isinstance(finder, SpiNNakerFinder):
            continue
        find = getattr(finder, "find_spec", None)
        if find is not None and find(top, None) is not None:
            return True
    return False


def target(fullname: str) -> str | None:
    """Return the module that ``fullname`` stands for, or ``None`` when it is not ours."""
    if fullname == "pyNN.spiNNaker":
        choice = os.environ.get(ENV, "")
        if choice == "spynnaker":
            return None
        if choice not in ("", "spinstream"):
            raise ImportError(
                f"{ENV}={choice!r}: expected 'spinstream' or 'spynnaker'", name=fullname
            )
        if choice == "" and _installed("spynnaker"):
            _say_once()
        return _FACE
    if fullname.startswith("pyNN.spiNNaker."):
        # Submodules of the face, under its name: one module object, never a second copy.
        parent = sys.modules.get("pyNN.spiNNaker")
        if getattr(parent, "__name__", None) != _FACE:
            return None
        return _FACE + fullname[len("pyNN.spiNNaker") :]
    if fullname == "spynnaker":
        return None if _installed("spynnaker") else ""
    for prefix in _PREFIXES:
        if fullname == prefix or fullname.startswith(prefix + "."):
            top = prefix.partition(".")[0]
            if _installed(top):
                return None
            return _FACE + fullname[len(prefix) :]
    return None


def _say_once() -> None:
    global _said
    if not _said:
        _said = True
        print(
            "pyNN.spiNNaker: running on spinstream (sPyNNaker is installed too; "
            f"{ENV}=spynnaker selects it)",
            file=sys.stderr,
        )


class _Loader:
    """Loads an alias: the target module object itself (or an empty package)."""

    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: Any) -> Any:
        import importlib

        if not self.target:
            return None  # default module creation: the empty ``spynnaker`` package
        try:
            return importlib.import_module(self.target)
        except ModuleNotFoundError as err:
            if err.name != self.target:
                raise  # something the target imports is missing: its own message
            raise ModuleNotFoundError(
                f"No module named {spec.name!r}: spinstream stands in for sPyNNaker here and "
                f"has no {self.target!r} (sPyNNaker is not installed)",
                name=spec.name,
            ) from None

    def exec_module(self, module: Any) -> None:
        """Do nothing: the target is already executed (or the package is empty)."""


class SpiNNakerFinder:
    """Meta-path finder for ``pyNN.spiNNaker``, ``spynnaker.pyNN*`` and ``spynnaker8*``."""

    def find_spec(self, fullname: str, path: Any = None, target_: Any = None) -> Any:
        """Return a spec for the names above, ``None`` for every other name."""
        # One cheap test first: this runs for every import of the process.
        if not (fullname.startswith("spynnaker") or fullname.startswith("pyNN.spiNNaker")):
            return None
        alias = target(fullname)
        if alias is None:
            return None
        from importlib.machinery import ModuleSpec

        # (a plain class: importlib.abc would cost start-up time in every process)
        return ModuleSpec(fullname, _Loader(alias), is_package=True)  # type: ignore[arg-type]


def install() -> None:
    """Put the finder first on ``sys.meta_path`` (once); PyNN's own file must not win."""
    if not any(type(f).__name__ == "SpiNNakerFinder" for f in sys.meta_path):
        sys.meta_path.insert(0, SpiNNakerFinder())
