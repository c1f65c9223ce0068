"""Every script in scripts/ runs as the docs show it: from a shell, with its own shebang, not with the suite's Python.

Each script is started as a subprocess with a PATH whose first ``python3`` is the system's (the way a newcomer
types it in a fresh shell), so a script that relied on an activated ``.venv`` fails here. A new script without a
row in ``RUNS`` fails ``test_every_script_has_a_run``.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"

# script → (arguments, text its output must contain); each one runs for real, the slow ones are marked.
RUNS: dict[str, tuple[list[str], str]] = {
    "apt-install": (["coreutils"], ""),  # installed already: nothing to do, exit 0 without apt-get
    "bench": (["--help"], "--quick"),
    "bench-suggest": (["--help"], "--typists"),
    "contact": (["--help"], "serve"),
    "ensure-venv": ([], ""),
    "install-bench": ([], ""),
    "install-browser": ([], ""),
    "install-postgres": ([], ""),
    "load": (["--help"], "--crash-after"),
    "seed-log": (["var/demo.sqlite3"], "wrote "),  # the README's demo flow, run from a fresh directory
    "serve": (["--help"], "--workers"),
    "tune-fusion": (["--help"], "--encoders"),
}
NOT_RUN = {
    "test": "it is the command that runs this suite (CI's .ci/run is exactly `scripts/test -q`)",
}
NEEDS_ROOT = {"install-bench", "install-browser", "install-postgres", "bench"}


def _scripts() -> list[str]:
    return sorted(p.name for p in SCRIPTS.iterdir() if p.is_file() and os.access(p, os.X_OK))


def _plain_env() -> dict[str, str]:
    """The environment of a fresh shell: no virtualenv on PATH, the system's python3 first."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    venv_bin = str(ROOT / ".venv" / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p and p != venv_bin)
    return env


def test_every_script_has_a_run() -> None:
    """Each executable in scripts/ is run below, or says why not."""
    assert sorted({*RUNS, *NOT_RUN}) == _scripts()


def test_every_script_says_what_it_does() -> None:
    """Each script starts with a shebang and a comment or docstring saying what it is for and how to call it."""
    for name in _scripts():
        head = (SCRIPTS / name).read_text(encoding="utf-8").splitlines()[:4]
        assert head[0] in ("#!/usr/bin/env bash", "#!/bin/sh"), f"scripts/{name}: {head[0]}"
        assert head[1].startswith("# ") and len(head[1]) > 30, f"scripts/{name} does not say what it does"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(RUNS))
def test_the_script_runs_as_documented(name: str, tmp_path: Path) -> None:
    """The script exits 0 from a plain shell and prints what it is for (its help, or its result)."""
    if name in NEEDS_ROOT and os.geteuid() != 0 and (name != "bench" or shutil.which("wrk") is None):
        pytest.skip(f"scripts/{name} installs Debian packages with apt-get: run as root")
    if name in ("bench", "install-bench") and shutil.which("wrk") is None:
        # the suite must not install wrk as a side effect: with wrk present, tests/test_bench.py measures the service
        pytest.skip(f"scripts/{name} would install Debian's wrk (run scripts/install-bench by hand)")
    args, expected = RUNS[name]
    proc = subprocess.run([str(SCRIPTS / name), *args], cwd=tmp_path, env=_plain_env(), capture_output=True,
                          text=True, timeout=600, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"scripts/{name} {' '.join(args)}: exit {proc.returncode}\n{output[-3000:]}"
    assert expected in output, output[-3000:]
    if name == "seed-log":
        with sqlite3.connect(tmp_path / "var" / "demo.sqlite3") as conn:
            (count,) = conn.execute("SELECT count(*) FROM inquiries").fetchone()
        assert f"wrote {count} inquiries" in proc.stdout and count > 5000


def test_seed_log_refuses_an_existing_file(tmp_path: Path) -> None:
    """A second seed-log into the same file says so and exits 2, leaving the first log alone."""
    target = tmp_path / "demo.sqlite3"
    target.write_bytes(b"")
    proc = subprocess.run([str(SCRIPTS / "seed-log"), str(target)], env=_plain_env(), capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 2 and "exists" in proc.stderr, proc.stderr
    assert target.stat().st_size == 0


def test_apt_install_needs_a_package() -> None:
    """scripts/apt-install without a package name prints its usage and exits 2."""
    proc = subprocess.run([str(SCRIPTS / "apt-install")], capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 2 and "usage: scripts/apt-install" in proc.stderr


def test_apt_waits_for_the_package_managers_lock() -> None:
    """Every apt-get call of the scripts goes through apt-install, which passes DPkg::Lock::Timeout."""
    for name in _scripts():
        text = (SCRIPTS / name).read_text(encoding="utf-8")
        calls = [line for line in text.splitlines() if "apt-get " in line and not line.lstrip().startswith("#")
                 and "echo" not in line]
        if name == "apt-install":
            assert calls and all("DPkg::Lock::Timeout" in line for line in calls), calls
        else:
            assert not calls, f"scripts/{name} calls apt-get itself: {calls}"
