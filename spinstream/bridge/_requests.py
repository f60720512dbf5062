"""Control messages from outside: parsed and validated before anything reaches the runtime.

Every message is untrusted.  :func:`parse_envelope` checks size, msgpack, version and
operation; :func:`prepare_input` checks an input message completely (source, indices,
steps, values, permissions are checked by the caller) and returns a closure that applies
it with the runtime's own input methods.  Nothing is applied unless everything is valid,
so a refused message changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from spinstream.bridge._catalog import (
    CURRENT_RULES,
    Catalog,
    Source,
    check_parameter_values,
    parameter_rules,
)
from spinstream.bridge._config import Limits
from spinstream.client import (
    PROTOCOL_VERSION,
    ArrayError,
    as_int,
    decode,
    decode_array,
    is_finite_number,
)
from spinstream.session import Runtime

__all__ = ["OPS", "Envelope", "PreparedInput", "RequestError", "parse_envelope", "prepare_input"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Operations of the control socket.
OPS = (
    "describe",
    "view",
    "subscribe",
    "sync",
    "gate",
    "next",
    "ungate",
    "input",
    "ping",
    "stats",
)
#: Kinds of input messages.
INPUT_KINDS = ("spikes", "rates", "parameters", "current")
_ID_MAX = 128


class RequestError(Exception):
    """A refused request: an error code from the protocol, a message, the field at fault."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.id: int | str | None = None


@dataclass(frozen=True)
class Envelope:
    """The common part of a control message."""

    id: int | str | None
    op: str
    body: Mapping[str, Any]


def _request_id(msg: Mapping[str, Any]) -> int | str | None:
    rid = msg.get("id")
    if rid is None or (
        isinstance(rid, int) and not isinstance(rid, bool) and -(2**63) <= rid < 2**64
    ):
        return rid
    if isinstance(rid, str) and len(rid) <= _ID_MAX:
        return rid
    return None


def parse_envelope(payload: bytes | memoryview, limits: Limits) -> Envelope:
    """Decode and check a control message's envelope: size, msgpack map, ``v``, ``id``, ``op``.

    Raises :class:`RequestError` (with ``.id`` set when the id could be read).
    """
    if len(payload) > limits.max_message_bytes:
        raise RequestError(
            "too_large",
            f"the message has {len(payload)} bytes; the limit is {limits.max_message_bytes}",
        )
    try:
        # msgpack's own container limit only guards memory (an element takes at least a
        # byte): arrays longer than max_array_len are refused per field, with the id
        msg = decode(payload, max_len=max(limits.max_message_bytes, 1024))
    except Exception as exc:  # msgpack raises several types for garbage
        raise RequestError(
            "bad_request", f"not a msgpack message ({type(exc).__name__})"
        ) from None
    if not isinstance(msg, dict):
        raise RequestError("bad_request", f"a message is a msgpack map, got {type(msg).__name__}")
    rid = _request_id(msg)
    err = _envelope_error(msg, rid)
    if err is not None:
        err.id = rid
        raise err
    return Envelope(rid, msg["op"], msg)


def _envelope_error(msg: Mapping[str, Any], rid: int | str | None) -> RequestError | None:
    if "id" in msg and msg["id"] is not None and rid is None:
        return RequestError(
            "bad_request",
            f"id must be an integer or a string of at most {_ID_MAX} characters",
            "id",
        )
    v = msg.get("v")
    if v != PROTOCOL_VERSION or not isinstance(v, int) or isinstance(v, bool):
        return RequestError(
            "version",
            f"protocol version {v!r} is not supported; this server speaks version "
            f"{PROTOCOL_VERSION} (send 'v': {PROTOCOL_VERSION})",
            "v",
        )
    op = msg.get("op")
    if not isinstance(op, str):
        return RequestError("bad_request", "op must be a string naming the operation", "op")
    if op not in OPS:
        return RequestError(
            "unknown_op", f"unknown operation {op[:40]!r}; operations are {', '.join(OPS)}", "op"
        )
    return None


# ---------------------------------------------------------------------- input
@dataclass(frozen=True)
class PreparedInput:
    """A validated input message, ready to apply.

    Attributes
    ----------
    kind
        One of ``INPUT_KINDS``.
    targets
        Names of the sources it changes (for permissions).
    step
        The (earliest) step at which it takes effect.
    apply
        Applies it through the runtime's input methods; returns the step.
    count
        Spikes (for ``"spikes"``) or messages it counts as.
    cells
        ``(population id, neuron indices)`` pairs of the cells it changes: permissions
        are judged by these, never by the name a client addressed them by.
    """

    kind: str
    targets: tuple[str, ...]
    step: int
    apply: Callable[[], int]
    count: int
    cells: tuple[tuple[int, IntArray], ...] = ()


def _fail(code: str, field: str, message: str) -> RequestError:
    return RequestError(code, f"{field}: {message}", field)


def _array(body: Mapping[str, Any], field: str, kind: str, limits: Limits) -> Any:
    try:
        return decode_array(body[field], kind=kind, max_len=limits.max_array_len, field=field)
    except ArrayError as exc:
        code = "too_large" if "at most" in str(exc) else "bad_request"
        raise RequestError(code, str(exc), field) from None


def _source(body: Mapping[str, Any], catalog: Catalog) -> Source:
    name = body.get("source")
    if not isinstance(name, str):
        raise _fail("bad_request", "source", "expected the name of a source (see describe)")
    src = catalog.sources.get(name)
    if src is None:
        shown = ", ".join(sorted(catalog.sources)[:20])
        raise _fail("unknown_source", "source", f"no source named {name[:80]!r}; sources: {shown}")
    return src


def _input_source(body: Mapping[str, Any], catalog: Catalog) -> Source:
    src = _source(body, catalog)
    if not src.takes_input:
        raise _fail(
            "forbidden",
            "source",
            f"{src.name!r} is a view a read-only client defined: it serves streams only",
        )
    return src


def positions(body: Mapping[str, Any], src: Source, limits: Limits) -> IntArray:
    """Return a request's ``indices``: positions in ``src``, checked (all when absent)."""
    return _positions(body, src, limits, required=False)


def source_of(body: Mapping[str, Any], catalog: Catalog) -> Source:
    """Return the source named by a request's ``source`` field."""
    return _source(body, catalog)


def _positions(body: Mapping[str, Any], src: Source, limits: Limits, required: bool) -> IntArray:
    if body.get("indices") is None:
        if required:
            raise _fail("bad_request", "indices", "the positions of the cells are required")
        return np.arange(src.size, dtype=np.int64)
    pos: IntArray = _array(body, "indices", "int", limits)
    if pos.size and (pos.min() < 0 or pos.max() >= src.size):
        bad = int(pos[(pos < 0) | (pos >= src.size)][0])
        raise _fail(
            "out_of_range",
            "indices",
            f"position {bad} is out of range for source {src.name!r} of size {src.size}",
        )
    return pos


def _at_step(body: Mapping[str, Any], runtime: Runtime, limits: Limits) -> int:
    now = runtime.input_step
    raw = body.get("at_step")
    if raw is None:
        return now
    try:
        at = as_int(raw, "at_step")
    except ArrayError as exc:
        raise RequestError("bad_request", str(exc), "at_step") from None
    _check_steps(np.array([at]), now, runtime.dt, limits, "at_step")
    return at


def _check_steps(steps: IntArray, now: int, dt: float, limits: Limits, field: str) -> None:
    if not steps.size:
        return
    first, last = int(steps.min()), int(steps.max())
    if first < now:
        raise _fail(
            "late",
            field,
            f"step {first} (t = {first * dt:g} ms) is late: the earliest step input can take "
            f"effect is {now} (t = {now * dt:g} ms)",
        )
    if last > now + limits.max_ahead_steps:
        raise _fail(
            "out_of_range",
            field,
            f"step {last} lies more than {limits.max_ahead_steps} steps after the next input "
            f"step {now}",
        )


def _values(body: Mapping[str, Any], n: int, limits: Limits, field: str = "values") -> FloatArray:
    if "values" not in body and field == "values":
        raise _fail("bad_request", field, "the new values are required")
    vals: FloatArray = _array(body, field, "float", limits)
    if len(vals) == 1:
        return np.full(n, vals[0])
    if len(vals) != n:
        raise _fail("bad_request", field, f"expected one value or {n} values, got {len(vals)}")
    return vals


def prepare_input(
    body: Mapping[str, Any], catalog: Catalog, runtime: Runtime, limits: Limits
) -> PreparedInput:
    """Validate an ``input`` message against the network and the limits.

    Raises :class:`RequestError`; the runtime is only read.
    """
    kind = body.get("kind")
    if kind not in INPUT_KINDS:
        raise _fail(
            "bad_request",
            "kind",
            f"expected one of {', '.join(INPUT_KINDS)}, got {str(kind)[:40]!r}",
        )
    if kind == "spikes":
        return _prepare_spikes(body, catalog, runtime, limits)
    if kind == "current":
        return _prepare_current(body, catalog, runtime, limits)
    return _prepare_parameters(body, catalog, runtime, limits, kind)


def _prepare_spikes(
    body: Mapping[str, Any], catalog: Catalog, runtime: Runtime, limits: Limits
) -> PreparedInput:
    src = _input_source(body, catalog)
    if not src.spike_input:
        raise _fail(
            "bad_request",
            "source",
            f"{src.name!r} is a {'/'.join(sorted(set(src.models)))} source; spikes can only be "
            "sent to SpikeInjector or SpikeSourceArray sources",
        )
    pos = _positions(body, src, limits, required=True)
    now = runtime.input_step
    if body.get("steps") is None:
        steps = np.full(len(pos), now, dtype=np.int64)
    else:
        raw: IntArray = _array(body, "steps", "int", limits)
        if len(raw) == 1:
            steps = np.full(len(pos), raw[0], dtype=np.int64)
        elif len(raw) == len(pos):
            steps = raw
        else:
            raise _fail("bad_request", "steps", f"expected one step or {len(pos)}, got {len(raw)}")
        _check_steps(steps, now, runtime.dt, limits, "steps")
    parts = src.locate(pos)
    first = int(steps.min()) if len(steps) else now

    def apply() -> int:
        for pop, idx, which in parts:
            runtime.schedule_spikes(pop, idx, steps[which])
        return first

    cells = tuple((pop, idx) for pop, idx, _ in parts)
    return PreparedInput("spikes", (src.name,), first, apply, len(pos), cells)


def _prepare_parameters(
    body: Mapping[str, Any], catalog: Catalog, runtime: Runtime, limits: Limits, kind: str
) -> PreparedInput:
    src = _input_source(body, catalog)
    if kind == "rates":
        name = "rate"
        if "rate" not in src.parameters:
            raise _fail(
                "bad_request",
                "source",
                f"{src.name!r} ({'/'.join(sorted(set(src.models)))}) has no rate; rates go to "
                "Poisson sources",
            )
    else:
        given = body.get("name")
        if not isinstance(given, str):
            raise _fail("bad_request", "name", "expected the parameter's name")
        name = given
        if name not in src.parameters:
            raise _fail(
                "bad_request",
                "name",
                f"{src.name!r} has no parameter {name[:40]!r} that a client may set; it has "
                f"{', '.join(src.parameters) or 'none'}",
            )
    pos = _positions(body, src, limits, required=False)
    vals = _values(body, len(pos), limits)
    problem = check_parameter_values(name, vals, parameter_rules()[name], limits.max_rate)
    if problem is not None:
        raise _fail("out_of_range", "values", problem)
    at = _at_step(body, runtime, limits)
    parts = src.locate(pos)

    def apply() -> int:
        for pop, idx, which in parts:
            runtime.set_parameters(pop, name, idx, vals[which], at_step=at)
        return at

    cells = tuple((pop, idx) for pop, idx, _ in parts)
    return PreparedInput(kind, (src.name,), at, apply, 1, cells)


def _prepare_current(
    body: Mapping[str, Any], catalog: Catalog, runtime: Runtime, limits: Limits
) -> PreparedInput:
    sources = runtime.spec.current_sources
    if not sources:
        raise _fail("out_of_range", "current", "the network has no current sources")
    try:
        cid = as_int(body.get("current"), "current", 0, len(sources) - 1)
    except ArrayError as exc:
        code = "out_of_range" if "outside" in str(exc) else "bad_request"
        raise RequestError(code, str(exc), "current") from None
    cs = sources[cid]
    params = body.get("params")
    if not isinstance(params, dict) or not params or len(params) > len(CURRENT_RULES):
        raise _fail("bad_request", "params", "expected a map of parameter name -> value")
    new: dict[str, float | FloatArray] = {}
    for pname, value in params.items():
        if pname not in CURRENT_RULES or pname not in cs.params:
            settable = [n for n in cs.params if n in CURRENT_RULES]
            raise _fail(
                "bad_request",
                "params",
                f"current source {cid} ({cs.kind}) has no parameter {str(pname)[:40]!r} that a "
                f"client may set; it has {', '.join(settable) or 'none'}",
            )
        old = cs.params[pname]
        if pname == "amplitudes":
            n = int(np.size(old))
            arr: FloatArray = _array({pname: value}, pname, "float", limits)
            if len(arr) != n:
                raise _fail(
                    "bad_request", "params", f"amplitudes: expected {n} values, got {len(arr)}"
                )
            problem = check_parameter_values(pname, arr, CURRENT_RULES[pname], limits.max_rate)
            new[pname] = arr
        else:
            if not is_finite_number(value):
                raise _fail(
                    "out_of_range", "params", f"{pname} must be a finite number, got {value!r}"
                )
            problem = check_parameter_values(
                pname, np.array([float(value)]), CURRENT_RULES[pname], limits.max_rate
            )
            new[pname] = float(value)
        if problem is not None:
            raise _fail("out_of_range", "params", problem)
    at = _at_step(body, runtime, limits)
    targets = tuple(catalog.current_source_pops(cid)) or (f"current source {cid}",)

    def apply() -> int:
        return int(runtime.set_current_source(cid, new, at_step=at))

    cells = tuple((pid, np.asarray(idx, dtype=np.int64)) for pid, idx in cs.targets)
    return PreparedInput("current", targets, at, apply, 1, cells)
