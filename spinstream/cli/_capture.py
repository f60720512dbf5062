"""Run a PyNN script in-process until its network is mapped, and take the network and plan.

Every front end (``spinstream.pyNN``, its ``pyNN.spinstream`` alias, ``spinstream.Session``
and any thin layer above them, such as sPyNNaker's ``pyNN.spiNNaker`` names) builds its
network in a :class:`~spinstream.session.Runtime`, and every run goes through
:meth:`Runtime.run_until_step`.  So the capture does not look at module names: while the
script runs (with :func:`runpy.run_path`, as ``__main__``, with its own ``sys.argv``), it
wraps three ``Runtime`` methods:

- ``run_until_step`` (every ``run()``, ``run_until()``, ``await session.run(...)``): the
  first run maps the network with the runtime's own mapper, exactly as the run would, and
  stops the script there, before the board is loaded and before any step is simulated;
- ``close`` (``end()``, or a second ``setup()``): a network that was never run is mapped and
  the script stops there;
- ``__init__``: remembers the runtimes, so a script that builds a network and simply ends
  (no ``run()``, no ``end()``) is mapped too, after it returns.

Mapping needs no simulated time, so none is run; the code after the intercepted call does
not run.  A script that changes its network after its first run is reported as it was at
that first run.
"""

from __future__ import annotations

import contextlib
import os
import runpy
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from spinstream.model import MappingPlan, NetworkSpec
from spinstream.session import Runtime

__all__ = ["Captured", "ScriptError", "capture"]


@dataclass(frozen=True)
class Captured:
    """A script's network and its mapping.

    Attributes
    ----------
    spec
        The network as the runtime holds it.
    plan
        Its placements, keys and routes.
    stopped_at
        Where the script was stopped: ``"run"``, ``"end"`` or ``"exit"`` (it returned).
    weight_bits
        Bits of each stored static weight the script asked for (``setup(weight_bits=...)``).
    """

    spec: NetworkSpec
    plan: MappingPlan
    stopped_at: str
    weight_bits: int = 32


class ScriptError(Exception):
    """The script could not be mapped; the message names the script and what happened."""


class _Stop(BaseException):
    """Unwinds the script at the call where its network is to be mapped.

    A BaseException, so that a script's ``except Exception`` does not swallow it.
    """

    def __init__(self, runtime: Runtime, where: str) -> None:
        super().__init__(where)
        self.runtime = runtime
        self.where = where


class _Interception:
    """What the wrapped ``Runtime`` methods saw: every runtime, and the first stop."""

    def __init__(self) -> None:
        self.seen: list[Runtime] = []
        self.stop: _Stop | None = None

    def stop_at(self, runtime: Runtime, where: str) -> _Stop:
        if self.stop is None:
            self.stop = _Stop(runtime, where)
        return self.stop


@contextlib.contextmanager
def _intercepting(log: _Interception) -> Iterator[None]:
    original_init = Runtime.__init__
    original_run = Runtime.run_until_step
    original_close = Runtime.close

    def init(self: Runtime, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        log.seen.append(self)

    async def run_until_step(self: Runtime, s: int) -> None:
        if self.loaded:  # pragma: no cover - only a runtime loaded before the capture
            await original_run(self, s)
            return
        raise log.stop_at(self, "run")

    def close(self: Runtime) -> None:
        if not any(self is r for r in log.seen):
            # a runtime from before the capture (the script's setup() ends a simulation
            # an earlier caller left open): close it as it is, never map its network
            original_close(self)
            return
        if log.stop is not None:
            # unwinding (a session's ``async with``, a ``finally: end()``): keep the
            # runtime as it is for the mapping; it is closed after the capture
            return
        if not self.loaded and self.spec.populations:
            raise log.stop_at(self, "end")
        original_close(self)

    patches: list[tuple[str, Callable[..., Any]]] = [
        ("__init__", init),
        ("run_until_step", run_until_step),
        ("close", close),
    ]
    saved = {name: Runtime.__dict__[name] for name, _ in patches}
    try:
        for name, fn in patches:
            setattr(Runtime, name, fn)
        yield
    finally:
        for name, fn in saved.items():
            setattr(Runtime, name, fn)


@contextlib.contextmanager
def _as_main(script: str, args: list[str]) -> Iterator[None]:
    """``sys.argv`` and ``sys.path[0]`` as ``python SCRIPT ARGS`` would have them."""
    argv, path = sys.argv, list(sys.path)
    sys.argv = [script, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    try:
        yield
    finally:
        sys.argv = argv
        sys.path[:] = path


def _script_traceback(exc: BaseException, script: str) -> str:
    """Format the traceback from the script's own frames on (ours and runpy's left out)."""
    tb = exc.__traceback__
    target = os.path.abspath(script)
    while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != target:
        tb = tb.tb_next
    lines = traceback.format_exception(type(exc), exc, tb) if tb is not None else []
    return "".join(lines)


def _map(runtime: Runtime, script: str, where: str) -> Captured:
    spec = runtime.spec
    if not spec.populations:
        raise ScriptError(
            f"script {script!r} called {where}() without building a network (no populations)"
        )
    # the runtime's own mapper: the plan that its first run would load
    mapper = runtime._mapper
    try:
        plan = mapper(spec)
    except Exception as exc:
        raise ScriptError(
            f"the network of script {script!r} cannot be mapped: {type(exc).__name__}: {exc}"
        ) from exc
    return Captured(spec=spec, plan=plan, stopped_at=where, weight_bits=runtime.weight_bits)


def capture(script: str, args: list[str], *, stdout: Any = None) -> Captured:
    """Run ``script`` with ``args`` until its network is mapped; return network and plan.

    Parameters
    ----------
    script
        Path of a Python file that builds a network with a spinstream front end.
    args
        Its command-line arguments (``sys.argv[1:]`` as the script sees them).
    stdout
        Where the script's own printing goes (default: ``sys.stderr``, so that the report
        alone is on standard output).

    Raises
    ------
    ScriptError
        The script does not exist, raised or exited before its network was mapped, built
        no network, or its network does not map.  The message names the script.
    """
    if not os.path.isfile(script):
        what = "is a directory" if os.path.isdir(script) else "does not exist"
        raise ScriptError(f"script {script!r} {what}")
    log = _Interception()
    with (
        _intercepting(log),
        _as_main(script, args),
        contextlib.redirect_stdout(sys.stderr if stdout is None else stdout),
    ):
        try:
            runpy.run_path(script, run_name="__main__")
        except _Stop:
            pass
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            # once stopped, whatever the script made of the stop (an error of its own in a
            # ``finally``, a ``sys.exit``) does not matter: its network is known
            finished = isinstance(exc, SystemExit) and exc.code in (None, 0)
            if log.stop is None and not finished:
                _release(log.seen)
                raise ScriptError(_failure(script, exc)) from None
    try:
        if log.stop is not None:
            return _map(log.stop.runtime, script, log.stop.where)
        built = [r for r in log.seen if r.spec.populations and not r.loaded]
        if not built:
            raise ScriptError(f"script {script!r} finished without building a network")
        return _map(built[-1], script, "exit")
    finally:
        _release(log.seen)


def _failure(script: str, exc: BaseException) -> str:
    """Say how a script ended before its network could be mapped."""
    if isinstance(exc, SystemExit):
        return f"script {script!r} exited with status {exc.code!r} before its network was mapped"
    return (
        f"script {script!r} raised {type(exc).__name__} before its network was mapped: "
        f"{exc}\n{_script_traceback(exc, script)}"
    ).rstrip()


def _release(runtimes: list[Runtime]) -> None:
    """Close what the script left open (its board, if any was made)."""
    for runtime in runtimes:
        with contextlib.suppress(Exception):
            runtime.close()
