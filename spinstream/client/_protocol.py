"""The wire protocol of the ZeroMQ bridge: topics, stream headers, control messages.

This module is the one place where the protocol's names and encodings live; the bridge
(server) and the clients both use it.  It imports nothing from the rest of spinstream, so
an external process can speak the protocol with numpy, pyzmq and msgpack alone.
``docs/PROTOCOL.md`` describes the same protocol for clients in other languages.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, unquote

import msgpack
import numpy as np
import numpy.typing as npt

__all__ = [
    "ERROR_CODES",
    "PROTOCOL_VERSION",
    "ArrayError",
    "decode",
    "decode_array",
    "encode",
    "encode_array",
    "frame_spec",
    "interval_steps_of",
    "parse_topic",
    "spike_topic",
    "state_topic",
    "sync_topic",
    "weight_topic",
]

#: Prefix of the session's own messages on the PUB socket (end of a run, closing).
SESSION_TOPIC = "session/"
#: Published after the last chunk of every run (header kind ``"run_end"``).
RUN_END_TOPIC = "session/run_end/"
#: Published when the bridge closes, after every chunk (header kind ``"closing"``).
CLOSING_TOPIC = "session/closing/"
#: Header kinds of the session's own messages.
SESSION_KINDS = ("run_end", "closing")

#: Version of the protocol; every header and every control message carries it as ``v``.
PROTOCOL_VERSION = 1

#: Error codes a control reply may carry in ``error`` (see docs/PROTOCOL.md).
ERROR_CODES = (
    "bad_request",  # not msgpack, not a map, a field of the wrong type or shape
    "version",  # ``v`` missing or not a version this server speaks
    "too_large",  # message or array over the server's limits
    "unknown_op",  # ``op`` names no operation
    "unknown_source",  # no source (population, view, assembly) of that name
    "unknown_topic",  # no topic of that name
    "out_of_range",  # an index, step, or value outside what is allowed
    "late",  # the step lies before the earliest step input can take effect
    "read_only",  # this client (or the whole bridge) may not send input
    "forbidden",  # this client may not send input to that source
    "rate_limited",  # more input messages per second than the client's limit
    "pending_full",  # too much input waiting for the next chunk (or for later steps)
    "conflict",  # the request contradicts the current state (e.g. another interval)
    "not_lockstep",  # a lock-step gate was asked of a session that is not in lock-step mode
    "closed",  # the session or bridge is closing
    "internal",  # the server failed; the request changed nothing
)

#: Topic components keep RFC 3986's unreserved characters; everything else is %-escaped,
#: so a component never contains the delimiter "/" and prefixes are exact.
_SAFE = ""


def _component(name: str) -> str:
    return quote(name, safe=_SAFE)


def spike_topic(source: str) -> str:
    """Return the topic of a source's spikes: ``spikes/<source>/``."""
    return f"spikes/{_component(source)}/"


def state_topic(source: str, variable: str) -> str:
    """Return the topic of a source's state variable: ``state/<source>/<variable>/``."""
    return f"state/{_component(source)}/{_component(variable)}/"


def weight_topic(projection: str) -> str:
    """Return the topic of a plastic projection's weights: ``weights/<projection>/``."""
    return f"weights/{_component(projection)}/"


def sync_topic(token: str) -> str:
    """Return the topic of the answer to a ``sync`` request: ``sync/<token>/``."""
    return f"sync/{_component(token)}/"


def parse_topic(topic: str) -> tuple[str, ...]:
    """Split a topic into its unescaped components (``"spikes/a%2Fb/"`` -> ``("spikes", "a/b")``).

    Raises ``ValueError`` when the topic does not end with the delimiter ``/``.
    """
    if not topic.endswith("/"):
        raise ValueError(f"a topic ends with '/', got {topic!r}")
    return tuple(unquote(c) for c in topic[:-1].split("/"))


def interval_steps_of(every: float, dt: float) -> int:
    """Convert a sampling interval in ms into whole steps of ``dt`` ms.

    Raises ``ValueError`` unless ``every`` is a positive whole multiple of ``dt`` (as
    ``Projection.stream(every=...)`` does).
    """
    if isinstance(every, bool) or not isinstance(every, int | float | np.number) or not every > 0:
        raise ValueError(f"every must be a positive number of ms, got {every!r}")
    steps = round(float(every) / dt)
    if steps < 1 or abs(steps * dt - float(every)) > 1e-9 * max(1.0, steps):
        raise ValueError(
            f"every = {every} ms must be a positive whole multiple of the time step {dt} ms"
        )
    return steps


# ---------------------------------------------------------------------- msgpack
def encode(obj: Mapping[str, Any]) -> bytes:
    """msgpack-encode a header or control message (binary data as msgpack bin)."""
    out: bytes = msgpack.packb(obj, use_bin_type=True)
    return out


def decode(data: bytes | memoryview, *, max_len: int = 1 << 24) -> Any:
    """Decode one msgpack object; maps must have string keys.

    ``max_len`` bounds every string, binary, array and map inside (msgpack's own limits),
    so a small message cannot make the decoder allocate much.
    """
    return msgpack.unpackb(
        data,
        raw=False,
        strict_map_key=True,
        use_list=True,
        max_str_len=max_len,
        max_bin_len=max_len,
        max_array_len=max_len,
        max_map_len=max_len,
        max_ext_len=0,
    )


# ---------------------------------------------------------------------- numpy frames
#: dtypes allowed on the wire (always little-endian).
WIRE_DTYPES = frozenset(
    {"<i1", "<i2", "<i4", "<i8", "<u1", "<u2", "<u4", "<u8", "<f4", "<f8", "|i1", "|u1", "|b1"}
)


def little_endian(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Return ``a`` as a C-contiguous little-endian array (itself when it is one)."""
    dt = a.dtype
    if dt.byteorder == ">" or (dt.byteorder == "=" and np.little_endian is False):
        a = a.astype(dt.newbyteorder("<"))
    return np.ascontiguousarray(a)


def frame_spec(name: str, a: npt.NDArray[Any]) -> dict[str, Any]:
    """Describe one raw frame for the header: name, dtype string, shape."""
    return {"name": name, "dtype": a.dtype.str, "shape": list(a.shape)}


def frame_array(spec: Mapping[str, Any], buf: memoryview | bytes) -> npt.NDArray[Any]:
    """Return the numpy array (read-only, no copy) of a raw frame described by ``spec``."""
    dtype = spec.get("dtype")
    shape = spec.get("shape")
    if not isinstance(dtype, str) or dtype not in WIRE_DTYPES:
        raise ArrayError(f"frame dtype {dtype!r} is not one of {sorted(WIRE_DTYPES)}")
    if not isinstance(shape, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape
    ):
        raise ArrayError(f"frame shape must be a list of non-negative integers, got {shape!r}")
    dt = np.dtype(dtype)
    count = math.prod(shape)
    if len(buf) != count * dt.itemsize:
        raise ArrayError(
            f"frame {spec.get('name')!r} has {len(buf)} bytes, but dtype {dtype} and shape "
            f"{shape} need {count * dt.itemsize}"
        )
    return np.frombuffer(buf, dtype=dt).reshape(shape)


# ---------------------------------------------------------------------- arrays in requests
class ArrayError(ValueError):
    """An array field of a message is malformed (wrong type, dtype, shape or size)."""


def encode_array(a: npt.ArrayLike) -> dict[str, Any]:
    """Pack a 1-D numeric array as the protocol's binary array map.

    ``{"dtype": "<i8", "shape": [n], "data": <bin>}``: compact and exact, for large index
    or value arrays (lists of numbers are accepted as well).
    """
    arr = little_endian(np.asarray(a).reshape(-1))
    if arr.dtype.str not in WIRE_DTYPES:
        arr = arr.astype("<f8") if arr.dtype.kind == "f" else arr.astype("<i8")
    return {"dtype": arr.dtype.str, "shape": [len(arr)], "data": arr.tobytes()}


def decode_array(
    value: Any, *, kind: str, max_len: int, field: str
) -> npt.NDArray[np.int64] | npt.NDArray[np.float64]:
    """Decode a numeric field: a number, a list of numbers, or a binary array map.

    ``kind`` is ``"int"`` (returns int64; floats, booleans and NaN are refused) or
    ``"float"`` (returns float64; integers are accepted).  At most ``max_len`` elements.
    Raises :class:`ArrayError` naming ``field``.
    """
    if isinstance(value, bool):
        raise ArrayError(f"{field}: expected a number or an array, got a boolean")
    if isinstance(value, int):
        return _scalar(value, kind, field)
    if isinstance(value, float):
        if kind == "int":
            raise ArrayError(f"{field}: expected integers, got the float {value!r}")
        return np.array([value], dtype=np.float64)
    if isinstance(value, list):
        if len(value) > max_len:
            raise ArrayError(f"{field}: {len(value)} elements, at most {max_len} are allowed")
        for k, x in enumerate(value):
            if isinstance(x, bool) or not isinstance(x, int | float):
                raise ArrayError(f"{field}[{k}]: expected a number, got {type(x).__name__}")
            if kind == "int" and isinstance(x, float):
                raise ArrayError(f"{field}[{k}]: expected an integer, got {x!r}")
        if kind == "int":
            try:
                return np.array(value, dtype=np.int64).reshape(-1)
            except OverflowError:
                raise ArrayError(f"{field}: integers must fit in 64 bits") from None
        return np.array(value, dtype=np.float64).reshape(-1)
    if isinstance(value, dict):
        return _binary(value, kind, max_len, field)
    raise ArrayError(
        f"{field}: expected a number, a list of numbers or a binary array map, "
        f"got {type(value).__name__}"
    )


def _scalar(value: int, kind: str, field: str) -> npt.NDArray[Any]:
    if not -(2**63) <= value < 2**63:
        raise ArrayError(f"{field}: integer {value} does not fit in 64 bits")
    return np.array([value], dtype=np.int64 if kind == "int" else np.float64)


def _binary(value: Mapping[str, Any], kind: str, max_len: int, field: str) -> npt.NDArray[Any]:
    if set(value) != {"dtype", "shape", "data"}:
        raise ArrayError(
            f"{field}: a binary array map has exactly the keys dtype, shape, data; "
            f"got {sorted(map(str, value))}"
        )
    dtype, shape, data = value["dtype"], value["shape"], value["data"]
    if not isinstance(data, bytes):
        raise ArrayError(f"{field}.data: expected msgpack bin, got {type(data).__name__}")
    if not (
        isinstance(shape, list)
        and len(shape) == 1
        and isinstance(shape[0], int)
        and not isinstance(shape[0], bool)
        and 0 <= shape[0] <= max_len
    ):
        raise ArrayError(f"{field}.shape: expected [n] with 0 <= n <= {max_len}, got {shape!r}")
    try:
        arr = frame_array({"name": field, "dtype": dtype, "shape": shape}, data)
    except ArrayError as exc:
        raise ArrayError(f"{field}: {exc}") from None
    if arr.dtype.kind == "b":
        raise ArrayError(f"{field}: boolean arrays are not numbers")
    if kind == "int":
        if arr.dtype.kind == "f":
            raise ArrayError(f"{field}: expected an integer dtype, got {dtype}")
        if arr.dtype == np.uint64 and arr.size and int(arr.max()) >= 2**63:
            raise ArrayError(f"{field}: integers must fit in int64")
        return arr.astype(np.int64)
    return arr.astype(np.float64)


def as_int(value: Any, field: str, lo: int = -(2**63), hi: int = 2**63 - 1) -> int:
    """Check that ``value`` is an integer (not a boolean) in ``[lo, hi]``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArrayError(f"{field}: expected an integer, got {type(value).__name__}")
    if not lo <= value <= hi:
        raise ArrayError(f"{field}: {value} is outside [{lo}, {hi}]")
    return value


def check_names(value: Any, field: str, *, max_len: int, max_items: int) -> list[str]:
    """Check a list of short strings (topics, names)."""
    if not isinstance(value, list) or not value:
        raise ArrayError(f"{field}: expected a non-empty list of strings, got {value!r:.60}")
    if len(value) > max_items:
        raise ArrayError(f"{field}: {len(value)} items, at most {max_items} are allowed")
    out: list[str] = []
    for k, s in enumerate(value):
        if not isinstance(s, str) or not s or len(s) > max_len:
            raise ArrayError(f"{field}[{k}]: expected a string of 1 to {max_len} characters")
        out.append(s)
    return out


def is_finite_number(x: Any) -> bool:
    """Whether ``x`` is an int or float (not a boolean) with a finite value."""
    return not isinstance(x, bool) and isinstance(x, int | float) and math.isfinite(x)


def topics_of(value: Sequence[str]) -> list[bytes]:
    """Topics as the bytes a SUB socket subscribes to."""
    return [t.encode("utf-8") for t in value]
