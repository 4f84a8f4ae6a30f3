"""Files written whole or not at all: the one way this project replaces a file.

A reader (a later run, a user, a parallel shard) must never see half a file,
and two processes writing the same path at once must not trip over each
other's temporary file. So a file is written to a temporary name that is
unique to this writer, in the target's own directory (a rename across file
systems would not be atomic), flushed to disk (a crash after the rename must
not leave an empty file under the real name), then renamed over the target.
On any failure the temporary file is removed and the target left as it was.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

# Temporary files are not executable and readable by all, as open() would make them;
# mkstemp's 0600 would leave every replaced file private to its writer.
FILE_MODE = 0o644


@contextmanager
def replaced(path: Path, binary: bool = False) -> Iterator[IO[Any]]:
    """A file open for writing that becomes ``path`` only once fully written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)
        with (os.fdopen(fd, "wb") if binary
              else os.fdopen(fd, "w", encoding="utf-8", newline="")) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_bytes(path: Path, data: bytes) -> None:
    with replaced(path, binary=True) as out:
        out.write(data)


def write_text(path: Path, text: str) -> None:
    with replaced(path) as out:
        out.write(text)
