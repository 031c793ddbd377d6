"""Key files: written whole or not at all, readable by their owner only."""

from __future__ import annotations

import os
from pathlib import Path


def write_secret_file(path: Path, content: bytes) -> Path:
    """Write ``content`` to ``path`` atomically with owner-only permissions (0600): it goes to
    a partial file first, synced, then renamed, so readers never see a half-written key."""
    partial = path.parent / f".{path.name}.{os.getpid()}.partial"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return path
