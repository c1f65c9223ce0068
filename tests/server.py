"""A real ``contact serve`` process on a free port, for end-to-end and browser tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.conftest import NOW


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``contact serve`` on a given port and database file (so that it can be restarted in place)."""

    def __init__(self, workdir: Path, port: int | None = None, db: Path | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.port = port or free_port()
        self.db = db or workdir / "var" / "contact.sqlite3"
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"server-{time.monotonic_ns()}.log"
        self.log = self.log_path.open("wb")
        full_env = {**os.environ, "CONTACT_NOW": NOW, "CONTACT_DB": str(self.db), **(env or {})}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "contact", "serve", "--port", str(self.port)],
            env=full_env, stdout=self.log, stderr=subprocess.STDOUT, cwd=workdir,
        )
        # a fresh clone's first server embeds the knowledge base into the empty test cache (minutes on a busy
        # 2-core machine); every later start reads it back in about a second
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.output()}")
            try:
                with urllib.request.urlopen(self.base + "/readyz", timeout=1) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        self.proc.kill()  # never leave a server behind (it would go on embedding, or hold the port)
        self.proc.wait(timeout=10)
        self.log.close()
        raise RuntimeError(f"server did not become ready within 300 s: {self.output()[-2000:]}")

    def post(self, path: str, payload: object) -> tuple[int, Any]:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        req = urllib.request.Request(self.base + path, data=data, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def _end(self, sig: int) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)
        if not self.log.closed:
            self.log.close()

    def kill(self) -> None:
        """Crash it: SIGKILL, no clean shutdown."""
        self._end(signal.SIGKILL)

    def stop(self) -> str:
        """SIGTERM (clean shutdown); return what it logged."""
        self._end(signal.SIGTERM)
        return self.output()
