"""Makes ``import pyNN.spinstream`` give :mod:`spinstream.pyNN`, as ``pyNN.spiNNaker`` does.

PyNN is a regular package, so nothing outside its directory can add a submodule to it
without running code first.  ``import spinstream`` (which every use of the backend does)
installs a tiny finder on :data:`sys.meta_path` that answers only for ``pyNN.spinstream``
and loads :mod:`spinstream.pyNN` under that name too (the same module object).  It costs
nothing until that name is imported, and pyNN itself is not imported early.

In a fresh interpreter that has not imported spinstream, ``pyNN.spinstream`` exists only
if something imports spinstream first; tools that look backends up by name can run
``python -c "import spinstream, runpy; ..."`` or set ``PYTHONSTARTUP``; PyNN's own test
runner takes ``PYNN_TEST_ALIAS=spinstream=spinstream.pyNN``.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from types import ModuleType

__all__ = ["ALIAS", "install"]

ALIAS = "pyNN.spinstream"
TARGET = "spinstream.pyNN"


class _AliasLoader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(TARGET)

    def exec_module(self, module: ModuleType) -> None:
        """Do nothing: the target module is already executed."""


class _AliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != ALIAS:
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader())


def install() -> None:
    """Put the finders on ``sys.meta_path`` (once each).

    Besides ``pyNN.spinstream``: sPyNNaker's names (``pyNN.spiNNaker``, ``spynnaker.pyNN``,
    ``spynnaker8``), which the ``.pth`` hook of an installed spinstream already answers for
    at interpreter start (:mod:`_spinstream_hook`); installing it here covers a checkout
    that is only on ``sys.path``.
    """
    if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.append(_AliasFinder())
    import _spinstream_hook

    _spinstream_hook.install()
