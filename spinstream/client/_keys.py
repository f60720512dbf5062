"""CURVE key files: ZeroMQ's certificate format (as written by czmq and ``zmq.auth``).

A key pair is two files: ``NAME.key`` holds the public key, ``NAME.key_secret`` both keys
(and is readable only by its owner).  Keys are 40-character Z85 strings.  Both the bridge
and the clients read them here; ``spinstream keys generate DIR`` writes them.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import zmq
from zmq.auth import load_certificate
from zmq.utils import z85

__all__ = ["generate_key_pair", "load_public_key", "load_secret_key"]

_HEADER = (
    "#   ****  {what}  ****\n"
    "#   ZeroMQ CURVE {kind} certificate, made by `spinstream keys generate` on {when}\n"
    "#   {advice}\n"
)


def _z85(key: bytes | str, what: str) -> bytes:
    raw = key.encode("ascii") if isinstance(key, str) else key
    if len(raw) != 40:
        raise ValueError(f"{what}: a CURVE key is 40 Z85 characters, got {len(raw)}")
    try:
        z85.decode(raw)
    except (ValueError, KeyError, IndexError):
        raise ValueError(f"{what}: not a Z85-encoded key") from None
    return raw


def load_public_key(key: str | bytes | os.PathLike[str]) -> bytes:
    """Load a public key: a Z85 string itself, or the path of a key file (public or secret).

    Returns the 40-byte Z85 key.
    """
    if isinstance(key, bytes) or (
        isinstance(key, str) and len(key) == 40 and not Path(key).exists()
    ):
        return _z85(key, "public key")
    path = Path(key)
    if not path.is_file():
        raise FileNotFoundError(f"no key file {str(path)!r} (and it is not a 40-character key)")
    try:
        public, _ = load_certificate(path)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    return _z85(public, str(path))


def load_secret_key(path: str | os.PathLike[str]) -> tuple[bytes, bytes]:
    """``(public, secret)`` Z85 keys from a secret key file (``NAME.key_secret``)."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no secret key file {str(p)!r}")
    public, secret = load_certificate(p)
    if secret is None:
        raise ValueError(
            f"{p} holds only a public key; give the secret key file (NAME.key_secret)"
        )
    return _z85(public, str(p)), _z85(secret, str(p))


def _write(path: Path, text: str, mode: int, force: bool) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | (0 if force else os.O_EXCL)
    try:
        fd = os.open(path, flags, mode)
    except FileExistsError:
        raise FileExistsError(
            f"{path} exists; pass force=True (--force) to overwrite it"
        ) from None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, mode)  # O_CREAT's mode does not apply to an existing file


def generate_key_pair(
    directory: str | os.PathLike[str], name: str, *, force: bool = False
) -> tuple[Path, Path]:
    """Make a CURVE key pair ``DIR/NAME.key`` and ``DIR/NAME.key_secret`` (mode 0600).

    Returns the paths ``(public, secret)``.  Existing files are kept (``FileExistsError``)
    unless ``force``.
    """
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"a key name is a plain file name, got {name!r}")
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    public, secret = zmq.curve_keypair()
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    pub_text = _HEADER.format(
        what="PUBLIC", kind="public", when=when, advice="Give this file to the other side."
    )
    pub_text += f'metadata\n    name = "{name}"\ncurve\n    public-key = "{public.decode()}"\n'
    sec_text = _HEADER.format(
        what="SECRET", kind="secret", when=when, advice="Keep this file private; never share it."
    )
    sec_text += (
        f'metadata\n    name = "{name}"\ncurve\n'
        f'    public-key = "{public.decode()}"\n    secret-key = "{secret.decode()}"\n'
    )
    pub_path, sec_path = d / f"{name}.key", d / f"{name}.key_secret"
    if not force:
        for path in (pub_path, sec_path):
            if path.exists():
                raise FileExistsError(f"{path} exists; pass force=True (--force) to overwrite it")
    _write(sec_path, sec_text, 0o600, force)
    _write(pub_path, pub_text, 0o644, force)
    return pub_path, sec_path
