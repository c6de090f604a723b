"""Real servers for tests, on 127.0.0.1 with free ports; each is stopped by the code that starts it.

- ``ThreadedServer``: the stand-in GraphQL app under uvicorn in a thread of the test process
  (a fresh store per test costs milliseconds);
- ``ServeProcess``: ``plexus-datasets serve`` as a subprocess, stopped by its PID;
- ``PostgresServer``: Debian's PostgreSQL in a temporary data directory, run as the
  postgres user (initdb/pg_ctl refuse root), stopped with ``pg_ctl -m fast stop``.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, timeout: float = 20.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


def stop(proc: subprocess.Popen, timeout: float = 10) -> None:
    """Stop a process we started, by its PID: SIGTERM, then SIGKILL if it lingers."""
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


class ThreadedServer:
    def __init__(self, app, port: int | None = None) -> None:
        import uvicorn

        self.port = port or free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    def __enter__(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the threaded server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


class ServeProcess:
    """``plexus-datasets serve`` in a subprocess."""

    def __init__(self, db: str, api_key: str | None = "test-key", extra: list[str] | None = None) -> None:
        self.port = free_port()
        self.db = db
        self.api_key = api_key
        args = [sys.executable, "-m", "plexus_datasets.cli", "serve", "--db", db, "--port", str(self.port)]
        args += ["--api-key", api_key] if api_key else ["--insecure-no-auth"]
        self.args = args + (extra or [])
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    def __enter__(self) -> ServeProcess:
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_http(f"http://127.0.0.1:{self.port}/health", proc=self.proc)
        return self

    def __exit__(self, *exc) -> None:
        assert self.proc is not None
        stop(self.proc)


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


class PostgresServer:
    def __init__(self) -> None:
        bindir = postgres_bin()
        if bindir is None:
            raise RuntimeError("PostgreSQL is not installed: scripts/test.sh installs Debian's postgresql")
        self.bindir = bindir
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="plexus-pg-"))
        self.data = self.dir / "data"

    def _as_postgres(self, *args: str) -> None:
        cmd = list(args)
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, text=True)

    def __enter__(self) -> PostgresServer:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._as_postgres(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                          "-E", "UTF8", "--locale=C.UTF-8")
        options = f"-k {self.dir} -c listen_addresses=127.0.0.1 -p {self.port} -c fsync=off"
        self._as_postgres(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options, "-w", "-l",
                          str(self.dir / "log"), "start")
        return self

    def __exit__(self, *exc) -> None:
        try:
            self._as_postgres(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def fresh_schema_url(self) -> str:
        """A URL whose tables live in a new, empty schema (one per test)."""
        import sqlalchemy as sa

        schema = "t_" + uuid.uuid4().hex[:12]
        engine = sa.create_engine(self.url)
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
        return f"{self.url}?options=-csearch_path%3D{schema}"


class MotoS3:
    """moto's S3 in server mode on a loopback port, stopped by its PID."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> MotoS3:
        self.proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wait_http(f"{self.url}/moto-api/", proc=self.proc)
        return self

    def __exit__(self, *exc) -> None:
        assert self.proc is not None
        stop(self.proc)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


class JupyterLab:
    """JupyterLab on 127.0.0.1 with a free port (no port retries), stopped by its PID."""

    def __init__(self, root: Path, env: dict[str, str] | None = None, extra: list[str] | None = None) -> None:
        self.root = root
        self.port = free_port()
        self.token = uuid.uuid4().hex
        self.env = {**os.environ, **(env or {})}
        runtime = Path(tempfile.mkdtemp(prefix="plexus-jupyter-"))
        self.env.setdefault("JUPYTER_RUNTIME_DIR", str(runtime / "runtime"))
        self.env.setdefault("JUPYTER_CONFIG_DIR", str(runtime / "config"))
        # No "get Jupyter news?" prompt over the screenshot.
        labconfig = Path(self.env["JUPYTER_CONFIG_DIR"]) / "labconfig"
        labconfig.mkdir(parents=True, exist_ok=True)
        (labconfig / "page_config.json").write_text(
            '{"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": true}}')
        self.args = [
            sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={root}",
            f"--LabApp.workspaces_dir={runtime / 'workspaces'}", f"--LabApp.user_settings_dir={runtime / 'settings'}",
            "--allow-root", "--LabApp.news_url=None", "--LabApp.check_for_updates_class="
            "jupyterlab.NeverCheckForUpdate", *(extra or []),
        ]
        self.proc: subprocess.Popen | None = None
        self.log = runtime / "jupyter.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> JupyterLab:
        self._log_handle = open(self.log, "w")
        self.proc = subprocess.Popen(self.args, stdout=self._log_handle, stderr=subprocess.STDOUT, env=self.env,
                                     cwd=self.root)
        wait_http(f"{self.url}/api/status?token={self.token}", timeout=60, proc=self.proc)
        return self

    def __exit__(self, *exc) -> None:
        assert self.proc is not None
        stop(self.proc, timeout=20)
        self._log_handle.close()


def json_asgi(handler):
    """A minimal ASGI app: ``handler(method, target, headers, body) -> (status, headers, JSON)``."""

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        query = scope.get("query_string") or b""
        target = scope["raw_path"].decode("latin-1") + (f"?{query.decode('latin-1')}" if query else "")
        status, extra, payload = handler(scope["method"], target, headers, body)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), *extra]})
        await send({"type": "http.response.body", "body": json.dumps(payload).encode()})

    return app
