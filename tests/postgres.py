"""A throwaway PostgreSQL server for the tests: initdb in a temporary directory, started on a free port.

Debian's ``postgresql`` package provides the binaries (``scripts/install-postgres``, run by
``scripts/test``). The server refuses to run as root, so as root it runs as the ``postgres`` user.
Where the binaries are missing the tests skip, except under CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.server import free_port


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _run(args: list[str], as_postgres: bool) -> None:
    prefix = ["runuser", "-u", "postgres", "--"] if as_postgres else []
    subprocess.run(prefix + args, check=True, capture_output=True, timeout=120)


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield the URL of the server's maintenance database ``postgres`` (user ``contact``, trust auth)."""
    bindir = _bindir()
    if bindir is None:
        message = "PostgreSQL binaries not found (scripts/install-postgres installs Debian's postgresql)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    as_postgres = os.geteuid() == 0
    root = Path(tempfile.mkdtemp(prefix="contact-pg-"))
    data, port = root / "data", free_port()
    if as_postgres:
        shutil.chown(root, "postgres")
    _run([str(bindir / "initdb"), "-D", str(data), "-U", "contact", "--auth=trust", "-E", "UTF8", "--no-locale"],
         as_postgres)
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    _run([str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "server.log"), "-w",
          "-t", "60", "start"], as_postgres)
    try:
        yield f"postgresql://contact@127.0.0.1:{port}/postgres"
    finally:
        _run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], as_postgres)
        shutil.rmtree(root, ignore_errors=True)


def fresh_database(server_url: str) -> str:
    """A new empty database on the server; its URL."""
    import psycopg

    name = f"t{time.monotonic_ns()}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    return server_url.rsplit("/", 1)[0] + "/" + name
