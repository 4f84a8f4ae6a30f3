"""pywb 2.10 serving a WARC directory, for replay tests.

pywb pins redis==2.10.6, which clashes with the project's own dependencies,
so it lives in a virtualenv of its own, ``.venv-pywb`` (``make pywb-venv``;
``make test`` builds it). The server reads the archive in place: a
``config.yaml`` names the directory's ``index.cdxj`` and the directory
itself as where the index's file names are found.
"""
from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.crawl import ROOT

PYWB_VENV = ROOT / ".venv-pywb"
WAYBACK = PYWB_VENV / "bin" / "wayback"
START_TIMEOUT = 30.0


def wayback_or_skip() -> Path:
    """The ``wayback`` command; skips the test without it, except under CI."""
    if WAYBACK.exists():
        return WAYBACK
    message = f"pywb is not installed: {WAYBACK} is missing (run `make pywb-venv`)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_config(root: Path, collection: str, warc_dir: Path) -> Path:
    """A pywb ``config.yaml`` with one collection over ``warc_dir`` as it is."""
    warc_dir = warc_dir.resolve()
    config = root / "config.yaml"
    config.write_text(
        "collections:\n"
        f"  {collection}:\n"
        f"    index_paths: {warc_dir / 'index.cdxj'}\n"
        f"    archive_paths: {warc_dir}/\n", encoding="utf-8")
    return config


@contextmanager
def wayback(warc_dir: Path, root: Path, collection: str = "sputnik") -> Iterator[str]:
    """Runs pywb on 127.0.0.1 at a free port; yields the collection's URL.

    The server is stopped on the way out, whatever happened inside.
    """
    command = wayback_or_skip()
    root.mkdir(parents=True, exist_ok=True)
    write_config(root, collection, warc_dir)
    port = free_port()
    log_path = root / "wayback.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([str(command), "-d", str(root), "-b", "127.0.0.1", "-p", str(port)],
                                   cwd=root, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_until_serving(process, port, log_path)
            yield f"http://127.0.0.1:{port}/{collection}"
        finally:
            _stop(process)


def _wait_until_serving(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pywb exited ({process.returncode}): {log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1):
                return
        except urllib.error.HTTPError:
            return  # it answers: that is all we wait for
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"pywb did not start within {START_TIMEOUT} s: {log_path.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
