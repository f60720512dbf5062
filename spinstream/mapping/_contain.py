"""Keep PACMAN's process-wide state away from the user while a mapping runs.

PACMAN and spinn_utilities keep their configuration, data and log messages in module and
class globals, reconfigure the root logger when they read their cfg files, and draw progress
bars on stderr.  :func:`pacman_session` gives one mapping a clean, private PACMAN and puts
everything back afterwards:

- the cfg shipped with this package is loaded through spinn_utilities' config holder, and the
  holder's previous state is restored afterwards;
- the data writer runs in "mock" mode, which creates no ``reports/`` directory and registers
  no exit hook, and is cleared again afterwards so no vertex outlives the mapping (a PACMAN
  data model that someone else set up in this process is therefore gone afterwards);
- the report PACMAN writes when placement fails goes to ``os.devnull``;
- loading the cfg adds a filter and a formatter to every root handler: the root logger's
  level, handlers, filters and formatters are restored as soon as it is loaded;
- PACMAN's own loggers do not propagate to the user's handlers while it runs; their warnings
  and errors are re-issued afterwards at DEBUG level on the ``spinstream.mapping`` logger;
- spinn_utilities' class-level list of log messages (printed at interpreter exit) is cut back
  to its length before the mapping;
- progress bars are drawn only when asked for.

Sessions are serialised by a lock: PACMAN's state is global, so two mappings in two threads
would otherwise share one graph.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import spinn_utilities.config_holder as config_holder
from pacman.config_setup import add_pacman_cfg
from pacman.data.pacman_data_writer import PacmanDataWriter
from spinn_utilities.log import FormatAdapter
from spinn_utilities.progress_bar import ProgressBar

#: The cfg read on top of PACMAN's defaults (shipped as package data).
CFG_PATH = Path(__file__).with_name("spinstream_mapping.cfg")

_log = logging.getLogger("spinstream.mapping")
_LOCK = threading.RLock()

# Top-level packages of the SpiNNaker tool chain whose loggers we quieten.
_PACKAGES = ("pacman", "spinn_machine", "spinn_utilities", "spinnman")
# Module globals of spinn_utilities.config_holder (not name-mangled at module level).
_HOLDER_GLOBALS = ("__config", "__config_file", "__template", "__unittest_mode")
# FormatAdapter's class-level message list (name-mangled in the class body).
_STORED_MESSAGES = "_FormatAdapter__not_stored_messages"


class _Discard(io.TextIOBase):
    """A text stream that forgets everything written to it."""

    def write(self, s: str) -> int:
        return len(s)


class _Capture(logging.Handler):
    """Keeps the records that reach it, for re-issuing after the mapping."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def _root_logging_kept() -> Iterator[None]:
    root = logging.getLogger()
    level, handlers, filters = root.level, list(root.handlers), list(root.filters)
    per_handler = [(h, list(h.filters), h.formatter) for h in handlers]
    try:
        yield
    finally:
        root.setLevel(level)
        root.handlers[:] = handlers
        root.filters[:] = filters
        for handler, handler_filters, formatter in per_handler:
            handler.filters[:] = handler_filters
            handler.setFormatter(formatter)


def _toolchain_loggers() -> list[logging.Logger]:
    """Find the loggers at the top of the tool chain's logger trees.

    Most modules log to ``logging.getLogger(__name__)`` (children of the package loggers), but
    a few use ``logging.getLogger(__file__)``, whose parent is the root logger.
    """
    dirs = tuple(
        os.path.dirname(module.__file__) + os.sep
        for name in _PACKAGES
        if (module := sys.modules.get(name)) is not None and module.__file__
    )
    loggers = [logging.getLogger(name) for name in _PACKAGES]
    for name, item in list(logging.Logger.manager.loggerDict.items()):
        if isinstance(item, logging.Logger) and name.startswith(dirs):
            loggers.append(item)
    return loggers


@contextlib.contextmanager
def _toolchain_logs_captured() -> Iterator[None]:
    capture = _Capture()
    saved = [(lg, lg.level, lg.propagate) for lg in _toolchain_loggers()]
    messages = getattr(FormatAdapter, _STORED_MESSAGES)
    n_messages = len(messages)
    for lg, _, _ in saved:
        # WARNING and above only: FormatAdapter stores every message its logger lets through.
        lg.setLevel(logging.WARNING)
        lg.propagate = False
        lg.addHandler(capture)
    try:
        yield
    finally:
        for lg, level, propagate in saved:
            lg.removeHandler(capture)
            lg.propagate = propagate
            lg.setLevel(level)
        if getattr(FormatAdapter, _STORED_MESSAGES) is messages:
            del messages[n_messages:]
        for record in capture.records:
            _log.debug("PACMAN %s: %s", record.levelname, record.getMessage())


@contextlib.contextmanager
def _progress_bars(shown: bool) -> Iterator[None]:
    if shown:
        yield
        return
    # ProgressBar takes sys.stderr in __init__ and has no switch; redirect each new bar
    # before it draws its first line.
    original = ProgressBar._create_initial_progress_bar
    discard = _Discard()

    def quiet(self: ProgressBar, description: str) -> None:
        self._destination = discard
        original(self, description)

    ProgressBar._create_initial_progress_bar = quiet  # type: ignore[method-assign]
    try:
        yield
    finally:
        ProgressBar._create_initial_progress_bar = original  # type: ignore[method-assign]


@contextlib.contextmanager
def _own_config() -> Iterator[None]:
    holder = vars(config_holder)
    saved = {name: holder[name] for name in _HOLDER_GLOBALS}
    saved_defaults = config_holder.get_default_cfgs()
    config_holder.clear_cfg_files(False)
    try:
        add_pacman_cfg()
        config_holder.add_default_cfg(str(CFG_PATH))
        # Loading adds a filter and a formatter to every root handler: undo that at once,
        # so that nothing the user's code logs meanwhile is filtered.
        with _root_logging_kept():
            config_holder.load_config()
        # A failed placement writes a report; send it nowhere rather than to a temp dir.
        config_holder.set_config("Reports", "path_placement_errors_report", os.devnull)
        yield
    finally:
        config_holder.clear_cfg_files(False)
        for path in saved_defaults:
            config_holder.add_default_cfg(path)
        holder.update(saved)


@contextlib.contextmanager
def _fresh_data() -> Iterator[PacmanDataWriter]:
    writer = PacmanDataWriter.mock()
    try:
        yield writer
    finally:
        # Drop the graph, placements and tables so nothing outlives this mapping.
        PacmanDataWriter.mock()


@contextlib.contextmanager
def pacman_session(*, progress: bool = False) -> Iterator[PacmanDataWriter]:
    """Run PACMAN with private configuration, data, logging and progress bars.

    Parameters
    ----------
    progress
        Draw PACMAN's progress bars on stderr.

    Yields
    ------
    PacmanDataWriter
        A freshly cleared data writer, valid until the block ends.
    """
    with _LOCK, contextlib.ExitStack() as stack:
        stack.enter_context(_toolchain_logs_captured())
        stack.enter_context(_progress_bars(progress))
        stack.enter_context(_own_config())
        yield stack.enter_context(_fresh_data())
