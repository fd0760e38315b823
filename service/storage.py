"""Is the data folder writable right now? A probe for /healthz that touches no database."""
from __future__ import annotations

import errno
import os
from pathlib import Path

PROBE_BYTES = 4096
REASONS = {errno.ENOSPC: "disk full", errno.EDQUOT: "disk full", errno.EROFS: "read-only",
           errno.EACCES: "read-only", errno.EPERM: "read-only"}


def write_probe(folder: str | Path) -> str | None:
    """None when a small file can be written, synced and removed in ``folder``; else the reason.

    The reason is short and plain, e.g. ``"disk full: [Errno 28] No space left on device"``.
    """
    path = Path(folder) / f".healthz-{os.getpid()}"
    try:
        with open(path, "wb") as f:
            f.write(b"\0" * PROBE_BYTES)
            f.flush()
            os.fsync(f.fileno())
    except OSError as e:
        return f"{REASONS.get(e.errno, 'I/O error')}: {e.strerror or e} ({folder})"
    finally:
        try:
            path.unlink()
        except OSError:
            pass
    return None
