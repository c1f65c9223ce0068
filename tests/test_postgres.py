"""The inquiry log on PostgreSQL (contact.store.pg): same schema as SQLite, same API, several nodes on one log."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator

import pytest

from contact.store import accounts, pg
from contact.store.inquiry_log import InquiryLog, connect, migrate
from tests.postgres import fresh_database, postgres_server
from tests.server import Server

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture
def pg_url(server_url: str) -> str:
    return fresh_database(server_url)


def _sqlite_schema(path: str) -> dict[str, set[str]]:
    db = connect(path)
    migrate(db)
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    schema = {t: {c[1] for c in db.execute(f"PRAGMA table_info({t})")} for t in tables}
    db.conn.close()
    return schema


def test_the_schema_matches_sqlite_column_for_column(pg_url, tmp_path) -> None:
    """Every SQLite migration has its PostgreSQL twin: same tables, same columns (plus SQLite's implicit rowid
    where queries sort by it: handoffs and inquiries)."""
    expected = _sqlite_schema(str(tmp_path / "log.sqlite3"))
    db = pg.connect(pg_url)
    assert migrate(db) == len(pg.MIGRATIONS)
    actual = {t: db.columns(t) for t in db.table_names()}
    actual["handoffs"] = actual["handoffs"] - {"rowid"}
    actual["inquiries"] = actual["inquiries"] - {"rowid"}
    assert actual == expected
    assert migrate(db) == len(pg.MIGRATIONS)  # idempotent
    db.conn.close()


def test_placeholders_are_translated_outside_quotes() -> None:
    assert pg.to_pyformat("SELECT * FROM t WHERE a = ? AND b LIKE '%?%'") == \
        "SELECT * FROM t WHERE a = %s AND b LIKE '%%?%%'"


async def test_group_commit_reads_and_claims_on_postgres(pg_url) -> None:
    """Rows are committed before record() returns; a claim is a compare-and-set across two nodes' logs."""
    node_a, node_b = InquiryLog(pg_url), InquiryLog(pg_url)
    node_a.open()
    node_b.open()
    try:
        rows = [{"id": f"q{n}", "created_at": "2026-11-20T10:00:00+09:00", "channel": "web", "text": "住民票",
                 "kind": "answer", "confidence": 0.9, "candidates": ["juminhyo"]} for n in range(40)]
        await asyncio.gather(*(node.record(row) for node, row in zip([node_a, node_b] * 20, rows, strict=True)))
        assert await node_a.count() == 40 and await node_b.count() == 40
        assert await node_b.exists("q7")
        await node_a.add_feedback({"inquiry_id": "q7", "created_at": "2026-11-20T10:01:00+09:00", "helpful": 1})
        with pytest.raises(pg.psycopg.IntegrityError):  # feedback for an unknown inquiry: that row fails alone
            await node_a.add_feedback({"inquiry_id": "nope", "created_at": "2026-11-20T10:01:00+09:00",
                                       "helpful": 1})
        await node_a.add_handoff({"id": "h1", "session_id": "s-000001", "created_at": "2026-11-20T10:02:00+09:00",
                                  "status": "waiting", "reason": "request"})
        wins = await asyncio.gather(*(
            node.update_handoff("h1", {"status": "claimed", "claimed_by": name}, only_if_status="waiting")
            for node, name in ((node_a, "op-a"), (node_b, "op-b"))))
        assert sorted(wins) == [False, True]
        assert [h["status"] for h in await node_b.handoffs()] == ["claimed"]
    finally:
        await node_a.close()
        await node_b.close()


def test_accounts_work_on_postgres(pg_url) -> None:
    db = pg.connect(pg_url)
    migrate(db)
    user_id = accounts.add_user(db, "sato", "operator", "correct horse battery")
    assert isinstance(user_id, int)
    token = accounts.issue_token(db, "sato")
    principal = accounts.token_principal(db, token)
    assert principal is not None and principal.name == "sato"
    assert [u["name"] for u in accounts.list_users(db)] == ["sato"]
    db.conn.close()


def test_two_service_nodes_share_one_log(pg_url, tmp_path) -> None:
    """Two `contact serve` processes on one PostgreSQL database: every answered ask is in the shared log."""
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    nodes = [Server(tmp_path / name, env={"CONTACT_DB": pg_url}) for name in ("a", "b")]
    try:
        ids = []
        for n in range(10):
            status, body = nodes[n % 2].post("/api/v1/ask", {"text": "住民票はいくらですか"})
            assert status == 200, body
            ids.append(body["inquiry_id"])
    finally:
        for node in nodes:
            node.stop()
    db = pg.connect(pg_url)
    stored = {r["id"] for r in db.query("SELECT id FROM inquiries")}
    db.conn.close()
    assert stored == set(ids)


def test_a_sqlite_file_is_untouched_by_the_postgres_code(tmp_path) -> None:
    path = tmp_path / "plain.sqlite3"
    db = connect(str(path))
    migrate(db)
    db.conn.close()
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_the_service_and_the_staff_views_run_on_postgres(aiohttp_client, settings, pg_url) -> None:
    """Ask, feedback, sign-in, an operator record and the staff analysis, all against PostgreSQL."""
    from contact.app import create_app

    on_pg = settings.with_(db=pg_url)
    db = pg.connect(pg_url)
    migrate(db)
    accounts.add_user(db, "hiro", "staff", None)
    staff = {"Authorization": f"Bearer {accounts.issue_token(db, 'hiro')}"}
    db.conn.close()
    client = await aiohttp_client(create_app(on_pg))
    asked = [await (await client.post("/api/v1/ask", json={"text": text})).json()
             for text in ("住民票はいくらですか", "明日の天気は", "区役所に苦情があります。対応が遅すぎる")]
    assert (await client.post("/api/v1/feedback", json={"inquiry_id": asked[0]["inquiry_id"],
                                                        "helpful": True})).status == 201
    listing = await client.get("/api/v1/inquiries", headers=staff)
    assert listing.status == 200, await listing.text()
    body = await listing.json()
    assert body["total"] == 3
    for view in ("summary", "volume", "breakdown?by=ward", "gaps", "words", "rising?end=2026-11-20"):
        resp = await client.get(f"/api/v1/stats/{view}", headers=staff)
        assert resp.status == 200, (view, await resp.text())
    csv = await client.get("/api/v1/inquiries.csv", headers=staff)
    assert csv.status == 200 and (await csv.read()).startswith(b"\xef\xbb\xbf")
    report = await client.get("/api/v1/reports/monthly?month=2026-11", headers=staff)
    assert report.status == 200 and "<svg" in await report.text()


def test_two_nodes_share_conversations_and_reloads(pg_url, tmp_path) -> None:
    """Two nodes on one PostgreSQL: 20 of 20 conversations begun on one node keep their ward on the other;
    a citizen's chat on node A and the operator on node B go through queue, claim, messages both ways,
    reconnect and close (LISTEN/NOTIFY), and node B's console sees whether the citizen on node A is
    connected; --max-chats-per-ip 3 counts the chats of both nodes; a reload asked of node A changes the
    answers of node B."""
    import shutil

    from tests.test_scale import (
        ADMIN,
        ADMIN_TOKEN,
        NEW_FAQ,
        SHIPPED_KB,
        WARDS,
        call,
        close_all,
        handoff_across,
        open_chats,
        operator_token,
        presence_across,
        versions,
    )

    kb = tmp_path / "kb"
    shutil.copytree(SHIPPED_KB, kb)  # both nodes deploy the same directory
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    env = {"CONTACT_DB": pg_url, "CONTACT_ENCODERS": "none", "CONTACT_KB": str(kb), "CONTACT_RATE_LIMIT": "0",
           "CONTACT_ADMIN_TOKEN": ADMIN_TOKEN, "CONTACT_MAX_CHATS_PER_IP": "3"}
    a, b = (Server(tmp_path / name, env=env) for name in ("a", "b"))
    try:
        kept = 0
        for n in range(20):
            ward = WARDS[n % len(WARDS)]
            first_node, second_node = (a, b) if n % 2 else (b, a)
            _, first, _ = call(first_node.base, "/api/v1/ask", {"text": f"{ward}に住んでいます"})
            _, follow, _ = call(second_node.base, "/api/v1/ask",
                                {"text": "保険年金課は何階？", "session_id": first["session_id"]})
            if follow["kind"] == "answer" and follow["ward"] == ward and f"{ward}役所" in follow["answer"]["title"]:
                kept += 1
        assert kept == 20
        seen = asyncio.run(handoff_across(a.base, b.base, operator_token(pg_url)))
        assert seen == {"claimed": 1, "to_citizen": 1, "to_operator": 1, "replayed": 1, "closed": 1}
        presence = asyncio.run(presence_across(a.base, b.base, operator_token(pg_url)))
        assert presence == {"online": [True, False, True], "delivered": [True, False]}

        async def chats_on_both() -> tuple[int, int, list[int]]:
            on_a, _, _ = await open_chats(a.base, "-", 2)
            on_b, _, refused = await open_chats(b.base, "-", 2)
            await close_all(on_a + on_b)
            return len(on_a), len(on_b), refused

        assert asyncio.run(chats_on_both()) == (2, 1, [429])
        question = {"text": "月面出張所の開所時間を教えてください"}
        assert (call(b.base, "/api/v1/ask", question)[1]["answer"] or {}).get("entry_id") != "faq-scale-test"
        faqs = kb / "faqs" / "misc.yaml"
        faqs.write_text(faqs.read_text(encoding="utf-8") + NEW_FAQ, encoding="utf-8")
        status, reloaded, _ = call(a.base, "/api/v1/admin/reload", {}, ADMIN, method="POST")
        assert status == 200 and reloaded["broadcast"], reloaded
        deadline = time.monotonic() + 60
        while versions(b.base, 1) != {call(b.base, "/readyz")[1]["process"]: reloaded["version"]}:
            assert time.monotonic() < deadline, "node B did not reload"
            time.sleep(0.1)
        assert call(b.base, "/api/v1/ask", question)[1]["answer"]["entry_id"] == "faq-scale-test"
    finally:
        a.stop()
        b.stop()


async def test_rate_buckets_in_postgres_hand_out_each_token_once(pg_url) -> None:
    """40 requests of one client at once through two nodes' logs, burst 10 and a slow refill: exactly 10 pass,
    the others are told how long to wait; another client still has its full bucket."""
    node_a, node_b = InquiryLog(pg_url), InquiryLog(pg_url)
    node_a.open()
    node_b.open()
    try:
        per_second = 1 / 60  # one a minute: nothing refills during the test
        waits = await asyncio.gather(*(node.take_token("client-1", per_second, 10)
                                       for node in [node_a, node_b] * 20))
        assert waits.count(0.0) == 10
        assert all(55 < w <= 60 for w in waits if w > 0), sorted(set(waits))
        assert await node_b.take_token("client-2", per_second, 10) == 0.0
        db = pg.connect(pg_url)
        rows = {r["key"]: r for r in db.query("SELECT key, tokens, passed FROM rate_buckets")}
        db.conn.close()
        assert set(rows) == {"client-1", "client-2"} and rows["client-1"]["passed"] == 0
    finally:
        await node_a.close()
        await node_b.close()


def test_a_rate_limit_holds_across_two_nodes(pg_url, tmp_path) -> None:
    """Two `contact serve` nodes on one PostgreSQL, a limit of 20 a minute (burst 20): 60 requests of one
    client alternating between the nodes get 20 answers (plus what the rate refills meanwhile), not 40; both
    nodes refuse with 429 and Retry-After, and the bucket is stored as a digest, never the address."""
    from tests.test_scale import call

    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    env = {"CONTACT_DB": pg_url, "CONTACT_ENCODERS": "none", "CONTACT_RATE_LIMIT": "20",
           "CONTACT_RATE_LIMIT_BURST": "20"}
    a, b = (Server(tmp_path / name, env=env) for name in ("a", "b"))
    try:
        started = time.monotonic()
        results = [call(node.base, "/api/v1/offices") for node in [a, b] * 30]
        elapsed = time.monotonic() - started
        statuses = [status for status, _, _ in results]
        allowed = statuses.count(200)
        assert set(statuses) == {200, 429}
        assert 20 <= allowed <= 20 + int(elapsed * 20 / 60) + 1, (allowed, elapsed)
        refused_by = {("a", "b")[n % 2] for n, status in enumerate(statuses) if status == 429}
        assert refused_by == {"a", "b"}
        assert all(int(headers["Retry-After"]) >= 1 and body["error"]["code"] == "rate_limited"
                   for status, body, headers in results if status == 429)
    finally:
        a.stop()
        b.stop()
    db = pg.connect(pg_url)
    keys = [r["key"] for r in db.query("SELECT key FROM rate_buckets")]
    db.conn.close()
    assert len(keys) == 1 and "127.0.0.1" not in keys[0]
