"""Progress of long work (loading a network of millions of synapses), for the person waiting.

A :class:`Progress` counts the units of one stage (synapses built, for instance).  It always
logs the stage's start and end to the ``spinstream`` logger (INFO); and it shows a line on
standard error that says how far the stage is:

- on a terminal, once the stage has run for a second, rewritten in place at most four
  times a second, and left standing with its time when the stage ends;
- elsewhere (a log file, a batch job) only when ``SPINSTREAM_PROGRESS=1``: then a plain
  line when the first units are done, every five seconds after, and at the end.

``SPINSTREAM_PROGRESS=0`` turns the line off everywhere.  Over MPI only rank 0 shows it
(``show=False`` on the others), so the ranks do not write over each other.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import TextIO

_log = logging.getLogger("spinstream")

#: Seconds a stage runs on a terminal before its line appears.
_QUIET_S = 1.0
#: Seconds between two rewrites of the line on a terminal, and between two plain lines.
_TTY_EVERY_S = 0.25
_PLAIN_EVERY_S = 5.0


def _mode(stream: TextIO) -> str:
    """'off', 'tty' or 'plain', from SPINSTREAM_PROGRESS and whether ``stream`` is a tty."""
    value = os.environ.get("SPINSTREAM_PROGRESS", "")
    if value not in ("", "0", "1"):
        raise ValueError(
            f"SPINSTREAM_PROGRESS={value!r}: expected 0 (no progress lines) or 1 (progress "
            "lines even when standard error is not a terminal)"
        )
    if value == "0":
        return "off"
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stream
        tty = False
    if tty:
        return "tty"
    return "plain" if value == "1" else "off"


def _amount(n: float, unit: str) -> str:
    if n >= 1e6:
        return f"{n / 1e6:.1f} M {unit}"
    return f"{n:,.0f} {unit}"


class Progress:
    """One stage of long work: ``advance`` as units are done, ``done`` at the end.

    Parameters
    ----------
    what
        The stage, as the line names it ("building the synapse rows").
    total
        Units the stage will do (0: not known; the line then shows the units done).
    unit
        What is counted ("synapses").
    show
        False: log only (another MPI rank shows the line).
    stream
        Where the line goes (default: standard error).
    brief
        One of many usually short stages (a projection drawn): its line only when it took
        a second or more, also in plain mode.
    """

    def __init__(
        self,
        what: str,
        total: int = 0,
        unit: str = "",
        show: bool = True,
        stream: TextIO | None = None,
        brief: bool = False,
    ) -> None:
        self.what, self.total, self.unit = what, int(total), unit
        self.count = 0
        self._stream = stream if stream is not None else sys.stderr
        self._mode = _mode(self._stream) if show else "off"
        self._t0 = time.perf_counter()
        self._last = -1e9  # when the line was last written
        self._shown = False
        self._brief = brief
        _log.info("spinstream: %s (%s)", what, _amount(self.total, unit) if total else "...")

    def _line(self, elapsed: float, done: bool = False) -> str:
        head = f"spinstream: {self.what}: "
        if self.total <= 0 and not self.unit:
            return head + (f"done in {elapsed:.1f} s" if done else f"{elapsed:.0f} s")
        if self.total > 0:
            pct = min(100.0, 100.0 * self.count / self.total)
            return head + (
                f"{'done' if done else f'{pct:3.0f} %'} "
                f"({_amount(self.count, '')}of {_amount(self.total, self.unit)}, {elapsed:.0f} s)"
            )
        return (
            head + f"{'done, ' if done else ''}{_amount(self.count, self.unit)} ({elapsed:.0f} s)"
        )

    def _write(self, line: str, end: bool = False) -> None:
        if self._mode == "tty":
            self._stream.write("\r\x1b[K" + line + ("\n" if end else ""))
        else:
            self._stream.write(line + "\n")
        self._stream.flush()
        self._shown = True

    def advance(self, n: int) -> None:
        """``n`` more units are done."""
        self.count += int(n)
        if self._mode == "off":
            return
        now = time.perf_counter()
        elapsed = now - self._t0
        if (self._mode == "tty" or self._brief) and elapsed < _QUIET_S:
            return
        if now - self._last < (_TTY_EVERY_S if self._mode == "tty" else _PLAIN_EVERY_S):
            return
        self._last = now
        self._write(self._line(elapsed))

    def done(self) -> float:
        """End the stage; its seconds."""
        elapsed = time.perf_counter() - self._t0
        if self.total > 0:
            self.count = max(self.count, self.total)
        _log.info("spinstream: %s: done in %.2f s", self.what, elapsed)
        long = self._shown or elapsed >= _QUIET_S
        if (self._mode == "plain" and (long or not self._brief)) or (self._mode == "tty" and long):
            self._write(self._line(elapsed, done=True), end=True)
        return elapsed
