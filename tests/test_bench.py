"""scripts/bench --quick end to end, so that the benchmark never rots: the table has its rows, with numbers."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from contact.ops.bench import REPO

NUMBER = r"-?\d+(?:\.\d+)?"


def _row(table: str, *start: str) -> list[str]:
    """The cells after the leading label cells of the first line starting with ``start``."""
    for line in table.splitlines():
        cells = line.split()
        if cells[: len(start)] == list(start):
            return cells[len(start):]
    raise AssertionError(f"no row {start} in:\n{table}")


def _matcher_row(table: str, kb: str, system: str) -> list[str]:
    """The cells after the base's name of its row for ``system``: entries, system, times, memory, latency, top-1."""
    for line in table.splitlines():
        cells = line.split()
        if cells[:1] == [kb] and cells[2:3] == [system]:
            return cells[1:]
    raise AssertionError(f"no row {kb} {system} in:\n{table}")


@pytest.mark.slow
def test_quick_bench_prints_the_whole_table() -> None:
    done = subprocess.run([sys.executable, "-m", "contact.ops.bench", "--quick"], capture_output=True, text=True,
                          timeout=900, cwd=REPO, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    table = done.stdout
    for kb, entries in (("shipped", None), ("synthetic-300", "300")):
        for system in ("matcher", "rapidfuzz", "bm25-surface"):
            cells = _matcher_row(table, kb, system)
            assert entries is None or cells[0] == entries
            assert all(re.fullmatch(NUMBER, c) for c in cells[2:]), cells  # times, memory, p50/p99, top-1
    top1 = float(_matcher_row(table, "shipped", "matcher")[-1])
    assert top1 > 0.5, "the matcher answers most shipped questions right"

    if shutil.which("wrk") is None:
        assert "Service: skipped (wrk is not installed" in table
        return
    asks = (("ask,", "1", "worker,", "lexical,", "matched"), ("ask,", "1", "worker,", "fused,", "matched"),
            ("ask,", "1", "worker,", "fused,", "memo"), ("ask,", "2", "workers,", "fused,", "matched"))
    for label in (("bare", "aiohttp"), ("GET", "/healthz"), *asks):
        cells = _row(table, *label)
        assert all(re.fullmatch(NUMBER, c) for c in cells[:5]), cells  # workers, requests, req/s, p50, p99
        assert float(cells[2]) > 0
    for label in asks:
        assert _row(table, *label)[-1] == "yes", "log rows = 2xx answers"
    assert re.search(rf"HEADLINE ask/bare, 1 worker: every question matched {NUMBER}%; repeated questions \(memo\) "
                     rf"{NUMBER}%; 2 workers, matched {NUMBER}%", table), table
    assert re.search(rf"ceiling: GET /healthz .* {NUMBER}% of bare", table), table
    assert "worker RSS MB, shipped KB, warm" in table
