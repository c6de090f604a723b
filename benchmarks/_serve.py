"""``plexus-datasets serve`` for a benchmark: a free loopback port, ready when /health answers,
stopped by its PID whatever happens."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def served(db: str, api_key: str) -> Iterator[str]:
    """Serve ``db``; yields the base URL (``http://127.0.0.1:PORT``)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "plexus_datasets.cli", "serve", "--db", db, "--port", str(port),
                             "--api-key", api_key], stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                requests.get(f"{base}/health", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        yield base
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
