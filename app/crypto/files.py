"""Key files: written whole or not at all, readable by their owner only."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def _write_partial(partial: Path, content: bytes) -> None:
    """Write ``content`` to the new owner-only (0600) file ``partial`` and sync it to disk;
    on failure the partial file is removed."""
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def write_secret_file(path: Path, content: bytes) -> Path:
    """Write ``content`` to ``path`` atomically with owner-only permissions (0600): it goes to
    a partial file first, synced, then renamed, so readers never see a half-written key."""
    partial = path.parent / f".{path.name}.{os.getpid()}.partial"
    _write_partial(partial, content)
    try:
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return path


def create_secret_file(path: Path, content: bytes) -> bool:
    """Create ``path`` holding ``content`` (owner-only, written whole) unless it exists; True
    if this call created it.

    The complete file is linked into place, which fails if the name is taken: when several
    processes race to create the same key, exactly one wins and every other one keeps the
    winner's file, so all of them end up reading the same key.
    """
    partial = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}.partial"
    _write_partial(partial, content)
    try:
        os.link(partial, path)
    except FileExistsError:
        return False
    finally:
        partial.unlink(missing_ok=True)
    return True
