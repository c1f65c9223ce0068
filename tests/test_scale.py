"""One service across processes: ``contact serve --workers 2`` (real processes on one real port) keeps
conversations, limits and reloads whichever worker answers (PostgreSQL nodes: tests/test_postgres.py)."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.server import Server

SHIPPED_KB = Path(__file__).parent.parent / "knowledge" / "data"
NEW_FAQ = """
- id: faq-scale-test
  question: 月面出張所の開所時間を教えてください
  answer: 月面出張所は試験用の架空の窓口です。
  category: その他
  department: 総務企画局
  source_url: https://www.city.kawasaki.jp/
  reviewed: 2026-11-20
"""

pytestmark = pytest.mark.slow

WARDS = ("川崎区", "幸区", "中原区", "高津区", "宮前区", "多摩区", "麻生区")


ADMIN_TOKEN = "scale-test-admin-token-0123456789"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
"""The servers' admin credential (reload and /metrics need one)."""


def call(base: str, path: str, payload: object | None = None, headers: dict[str, str] | None = None,
         method: str | None = None) -> tuple[int, Any, dict[str, str]]:
    """One request on a new connection (so that the kernel may give it to either worker)."""
    data = json.dumps(payload).encode() if payload is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read()), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read()), dict(e.headers)


def wait_for_workers(server: Server, count: int) -> None:
    deadline = time.monotonic() + 120
    while server.output().count("======== Running on") < count:
        assert time.monotonic() < deadline, server.output()
        assert server.proc.poll() is None, server.output()
        time.sleep(0.2)


def workers_of(output: str, event: str) -> list[int]:
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{") and f'"event": "{event}"' in line]
    return [line["worker"] for line in lines]


_TOKENS: dict[str, str] = {}


def operator_token(db: str) -> str:
    """An operator account ``sato`` in the database (made once, before the servers start); its API token."""
    from contact.store import accounts
    from contact.store.inquiry_log import connect, migrate

    if db not in _TOKENS:
        Path(db).parent.mkdir(parents=True, exist_ok=True) if "://" not in db else None
        conn = connect(db)
        try:
            migrate(conn)
            accounts.add_user(conn, "sato", "operator", "correct horse battery")
            _TOKENS[db] = accounts.issue_token(conn, "sato", "test")
        finally:
            conn.conn.close()
    return _TOKENS[db]


async def frame(ws: Any, kind: str, **match: Any) -> dict[str, Any]:
    """The next frame of ``kind`` (and the given fields) on a WebSocket, within 15 s."""
    async with asyncio.timeout(15):
        while True:
            got = await ws.receive_json()
            if got.get("type") == kind and all(got.get(k) == v for k, v in match.items()):
                return got  # type: ignore[no-any-return]


async def operator_elsewhere(session: aiohttp.ClientSession, operator_base: str, token: str,
                             citizen_process: Any) -> Any:
    """An operator console WebSocket held by another process than the citizen's: new connections until the
    kernel hands one to another worker (or node)."""
    for _ in range(40):
        candidate = await session.ws_connect(operator_base.replace("http", "ws") + "/api/v1/operator/ws",
                                             headers={"Authorization": f"Bearer {token}"})
        if (await frame(candidate, "welcome"))["process"] != citizen_process:
            return candidate
        await candidate.close()
    raise AssertionError("no operator connection on another process")


async def presence_across(citizen_base: str, operator_base: str, token: str) -> dict[str, list[bool]]:
    """A citizen's chat on one process, the operator's console on another: ``citizen_online`` as the console
    sees it while the citizen waits, after the widget is closed and after it reconnects, and ``delivered`` of
    the operator's replies while the citizen is connected to the other process, then away."""
    seen: dict[str, list[bool]] = {"online": [], "delivered": []}
    async with aiohttp.ClientSession() as session:
        citizen = await session.ws_connect(citizen_base.replace("http", "ws") + "/api/v1/chat",
                                           headers={"X-Forwarded-For": "198.18.0.1"})
        await citizen.send_json({"type": "hello"})
        welcome = await frame(citizen, "welcome")
        session_id, citizen_process = welcome["session_id"], welcome["process"]
        op = await operator_elsewhere(session, operator_base, token, citizen_process)
        await citizen.send_json({"type": "handoff"})
        handoff_id = (await frame(citizen, "handoff", status="queued"))["handoff_id"]
        seen["online"].append((await frame(op, "queue", event="queued"))["handoff"]["citizen_online"])
        await op.send_json({"type": "claim", "handoff_id": handoff_id})
        await frame(op, "claimed")
        await frame(citizen, "handoff", status="claimed")
        await op.send_json({"type": "reply", "handoff_id": handoff_id, "text": "オペレーターの佐藤です"})
        seen["delivered"].append((await frame(op, "message"))["message"]["delivered"])
        await citizen.close()
        gone = await frame(op, "queue", event="presence")
        seen["online"].append(gone["handoff"]["citizen_online"])
        await op.send_json({"type": "reply", "handoff_id": handoff_id, "text": "お待ちしています"})
        seen["delivered"].append((await frame(op, "message"))["message"]["delivered"])
        again = await session.ws_connect(citizen_base.replace("http", "ws") + "/api/v1/chat",
                                         headers={"X-Forwarded-For": "198.18.0.1"})
        await again.send_json({"type": "hello", "session_id": session_id})
        await frame(again, "welcome")
        back = await frame(op, "queue", event="presence")
        seen["online"].append(back["handoff"]["citizen_online"])
        await op.send_json({"type": "close", "handoff_id": handoff_id, "resolution": "answered"})
        await frame(op, "closed")
        await again.close()
        await op.close()
    return seen


async def handoff_across(citizen_base: str, operator_base: str, token: str) -> dict[str, int]:
    """A citizen's chat and an operator's console held by two different processes, through queue, claim,
    messages both ways, a reconnect of the widget and the close; what happened, counted."""
    seen = {"claimed": 0, "to_citizen": 0, "to_operator": 0, "replayed": 0, "closed": 0}
    async with aiohttp.ClientSession() as session:
        citizen = await session.ws_connect(citizen_base.replace("http", "ws") + "/api/v1/chat")
        await citizen.send_json({"type": "hello"})
        welcome = await frame(citizen, "welcome")
        session_id, citizen_process = welcome["session_id"], welcome["process"]
        op = await operator_elsewhere(session, operator_base, token, citizen_process)
        await citizen.send_json({"type": "handoff"})
        handoff_id = (await frame(citizen, "handoff", status="queued"))["handoff_id"]
        queued = await frame(op, "queue", event="queued")
        assert queued["handoff"]["id"] == handoff_id
        await op.send_json({"type": "claim", "handoff_id": handoff_id})
        await frame(op, "claimed")
        await frame(citizen, "handoff", status="claimed")
        seen["claimed"] += 1
        await op.send_json({"type": "reply", "handoff_id": handoff_id, "text": "オペレーターの佐藤です"})
        first = await frame(citizen, "operator_message")
        seen["to_citizen"] += first["text"] == "オペレーターの佐藤です"
        await citizen.send_json({"type": "ask", "text": "転入届の持ち物を教えてください"})
        heard = await frame(op, "message")
        while heard["message"]["sender"] != "citizen":  # the echo of the operator's own reply comes first
            heard = await frame(op, "message")
        seen["to_operator"] += heard["message"]["text"] == "転入届の持ち物を教えてください"
        await citizen.close()
        await asyncio.sleep(0.5)  # the widget is away
        await op.send_json({"type": "reply", "handoff_id": handoff_id, "text": "本人確認書類をお持ちください"})
        await frame(op, "message")
        again = await session.ws_connect(citizen_base.replace("http", "ws") + "/api/v1/chat")
        await again.send_json({"type": "hello", "session_id": session_id, "last_message_id": first["id"]})
        assert (await frame(again, "welcome"))["handoff"]["status"] == "claimed"
        missed = await frame(again, "operator_message")
        seen["replayed"] += missed["text"] == "本人確認書類をお持ちください"
        await op.send_json({"type": "close", "handoff_id": handoff_id, "resolution": "answered"})
        await frame(op, "closed")
        await frame(again, "handoff", status="closed")
        seen["closed"] += 1
        await again.close()
        await op.close()
    return seen


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Two workers on one port and one SQLite file; every test gives its client its own address
    (X-Forwarded-For behind one trusted proxy), so that each has its own rate-limit bucket."""
    workdir = tmp_path_factory.mktemp("workers")
    shutil.copytree(SHIPPED_KB, workdir / "kb")  # the reload test edits it
    operator_token(str(workdir / "var" / "contact.sqlite3"))
    server = Server(workdir, env={"CONTACT_WORKERS": "2", "CONTACT_ENCODERS": "none", "CONTACT_TRUST_PROXY": "1",
                                  "CONTACT_ADMIN_TOKEN": ADMIN_TOKEN,
                                  "CONTACT_RATE_LIMIT": "30", "CONTACT_RATE_LIMIT_BURST": "10",
                                  "CONTACT_MAX_CHATS": "6", "CONTACT_MAX_CHATS_PER_IP": "3",
                                  "CONTACT_KB": str(workdir / "kb")})
    try:
        wait_for_workers(server, 2)
        yield server
    finally:
        server.stop()


def test_twenty_conversations_keep_their_ward_across_two_workers(two_workers: Server) -> None:
    """20 of 20 conversations (each question on a new connection, so either worker may answer it) keep the
    ward said first: the follow-up 保険年金課は何階？ is answered for that ward, and both workers answered."""
    kept = 0
    for n in range(20):
        ward = WARDS[n % len(WARDS)]
        client = {"X-Forwarded-For": f"198.51.100.{n + 1}"}
        status, first, _ = call(two_workers.base, "/api/v1/ask", {"text": f"{ward}に住んでいます"}, client)
        assert status == 200, first
        status, follow, _ = call(two_workers.base, "/api/v1/ask",
                                 {"text": "保険年金課は何階？", "session_id": first["session_id"]}, client)
        assert status == 200, follow
        if follow["kind"] == "answer" and follow["ward"] == ward and f"{ward}役所" in follow["answer"]["title"]:
            kept += 1
    assert kept == 20
    assert set(workers_of(two_workers.output(), "ask")) == {1, 2}, "both workers answered"


def versions(base: str, processes: int = 2) -> dict[str, str]:
    """``process → kb_version`` from /readyz, asked on new connections until ``processes`` have answered."""
    seen: dict[str, str] = {}
    for _ in range(200):
        status, ready, _ = call(base, "/readyz")
        assert status == 200, ready
        seen[ready["process"]] = ready["kb_version"]
        if len(seen) == processes:
            return seen
    raise AssertionError(f"only {len(seen)} processes answered /readyz")


def test_one_reload_reloads_every_worker(two_workers: Server) -> None:
    """One POST /api/v1/admin/reload (to whichever worker takes it) brings a new entry to both workers:
    /readyz of each shows the new version, and 20 asks on new connections all get the new answer."""
    kb = Path(two_workers.db).parent.parent / "kb"
    before = versions(two_workers.base)
    assert len(set(before.values())) == 1
    question = {"text": "月面出張所の開所時間を教えてください"}
    client = {"X-Forwarded-For": "203.0.113.7"}
    status, old, _ = call(two_workers.base, "/api/v1/ask", question, client)
    assert status == 200 and (old["answer"] or {}).get("entry_id") != "faq-scale-test"
    faqs = kb / "faqs" / "misc.yaml"
    faqs.write_text(faqs.read_text(encoding="utf-8") + NEW_FAQ, encoding="utf-8")
    status, reloaded, _ = call(two_workers.base, "/api/v1/admin/reload", {}, ADMIN, method="POST")
    assert status == 200 and reloaded["ok"] and reloaded["broadcast"], reloaded
    assert reloaded["version"] not in before.values()
    deadline = time.monotonic() + 60
    while set((now := versions(two_workers.base)).values()) != {reloaded["version"]}:
        assert time.monotonic() < deadline, now
        time.sleep(0.2)
    answers = [call(two_workers.base, "/api/v1/ask", question, {"X-Forwarded-For": f"203.0.113.{n + 10}"})[1]
               for n in range(20)]
    assert [(a["answer"] or {}).get("entry_id") for a in answers] == ["faq-scale-test"] * 20
    assert set(workers_of(two_workers.output(), "kb.reload_heard")) <= {1, 2}
    assert len(workers_of(two_workers.output(), "kb.reload_heard")) == 1, "the other worker heard it, once"


def test_a_rate_limit_holds_across_workers(two_workers: Server) -> None:
    """Burst 10, then 30 a minute, for one client whose requests both workers answer: at most 10 plus what
    the rate refills pass (not 10 × 2), and both workers refused some."""
    client = {"X-Forwarded-For": "192.0.2.44"}
    started = time.monotonic()
    statuses = [call(two_workers.base, "/api/v1/offices", headers=client)[0] for _ in range(40)]
    elapsed = time.monotonic() - started
    allowed = statuses.count(200)
    assert set(statuses) == {200, 429}
    assert 10 <= allowed <= 10 + int(elapsed * 30 / 60) + 1, (allowed, elapsed)
    assert set(workers_of(two_workers.output(), "rate_limited")) == {1, 2}


def test_sign_in_lock_out_counts_across_workers(two_workers: Server) -> None:
    """Five wrong passwords for one name lock it, whichever workers took them: every later attempt is 429."""
    statuses = []
    for n in range(12):
        status, body, _ = call(two_workers.base, "/api/v1/login", {"name": "nobody", "password": "wrong"},
                               {"X-Forwarded-For": f"192.0.2.{100 + n}"})
        statuses.append((status, body["error"]["code"]))
    assert [s for s, _ in statuses] == [401] * 5 + [429] * 7, statuses
    logins = [json.loads(line) for line in two_workers.output().splitlines()
              if line.startswith("{") and '"path": "/api/v1/login"' in line and '"event": "http"' in line]
    assert {line["worker"] for line in logins} == {1, 2}, "both workers took sign-ins"


def scrape(base: str) -> dict[str, float]:
    """``/metrics`` as ``{sample line without its value: value}``."""
    with urllib.request.urlopen(urllib.request.Request(base + "/metrics", headers=ADMIN), timeout=30) as r:
        text = r.read().decode()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def replies(samples: dict[str, float]) -> float:
    return sum(v for k, v in samples.items() if k.startswith("contact_replies_total"))


def test_metrics_report_the_whole_node(two_workers: Server) -> None:
    """/metrics sums both workers: 20 asks answered by both raise the replies counter by 20 in every scrape,
    whichever worker answers it; the inquiry log's rows are both workers' rows."""
    before = [scrape(two_workers.base) for _ in range(4)]
    assert len({replies(s) for s in before}) == 1, "every scrape sees the same node-wide figure"
    for n in range(20):
        status, _, _ = call(two_workers.base, "/api/v1/ask", {"text": "住民票はいくらですか"},
                            {"X-Forwarded-For": f"192.0.2.{200 + n}"})
        assert status == 200
    after = [scrape(two_workers.base) for _ in range(4)]
    assert {replies(s) - replies(before[0]) for s in after} == {20.0}
    assert all(s["contact_log_healthy"] == 1 for s in after)
    assert all(s["contact_knowledge_entries"] > 100 for s in after)


async def test_a_handoff_between_a_citizen_and_an_operator_on_two_workers(two_workers: Server) -> None:
    """The citizen's chat on one worker, the operator's console on the other: the queue, the claim,
    messages both ways, the widget's reconnect (nothing missed) and the close all reach the other side."""
    token = operator_token(str(two_workers.db))
    seen = await handoff_across(two_workers.base, two_workers.base, token)
    assert seen == {"claimed": 1, "to_citizen": 1, "to_operator": 1, "replayed": 1, "closed": 1}


def test_sighup_to_the_parent_reloads_every_worker_once(two_workers: Server) -> None:
    """kill -HUP of the parent: one worker reloads and tells the other, so each worker reloads once."""
    import signal

    def loaded() -> list[int]:
        return workers_of(two_workers.output(), "kb.loaded")

    before = loaded()
    two_workers.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 60
    while len(loaded()) < len(before) + 2:
        assert time.monotonic() < deadline, loaded()
        time.sleep(0.2)
    time.sleep(1.0)  # and no more than that
    assert sorted(loaded()[len(before):]) == [1, 2]


async def open_chats(base: str, client: str, attempts: int) -> tuple[list[Any], list[str], list[int]]:
    """``attempts`` chat sockets of one client address, each on a new connection: (the open sockets, the
    process of each, the statuses of the refused)."""
    opened, processes, refused = [], [], []
    session = aiohttp.ClientSession()
    for _ in range(attempts):
        try:
            ws = await session.ws_connect(base.replace("http", "ws") + "/api/v1/chat",
                                          headers={"X-Forwarded-For": client})
        except aiohttp.WSServerHandshakeError as exc:
            refused.append(exc.status)
            continue
        await ws.send_json({"type": "hello"})
        processes.append((await frame(ws, "welcome"))["process"])
        opened.append((session, ws))
    if not opened:
        await session.close()
    return opened, processes, refused


async def close_all(opened: list[Any]) -> None:
    sessions = {id(s): s for s, _ in opened}
    for _, ws in opened:
        await ws.close()
    for session in sessions.values():
        await session.close()


async def _chat_limits_round(server: Server, round_: int) -> tuple[bool, list[Any]]:
    """One round of :func:`test_open_chat_limits_hold_across_workers`: the counts asserted; (whether the
    kernel spread the connections so that the round proves the count is the node's, the open chats)."""
    before = len(workers_of(server.output(), "chat.refused"))
    mine, mine_at, mine_refused = await open_chats(server.base, f"198.18.{round_}.1", 10)  # the burst
    others: list[Any] = []
    try:
        assert len(mine) == 3 and mine_refused == [429] * 7
        others_at: list[str] = []
        for n in range(12):
            opened, at, refused = await open_chats(server.base, f"198.18.{round_}.{n + 2}", 1)
            others += opened
            others_at += at
            assert refused in ([], [503])
        assert len(others) == 3
        deadline = time.monotonic() + 10
        while len(refusing := workers_of(server.output(), "chat.refused")[before:]) < 16:
            assert time.monotonic() < deadline, refusing  # the log lines are written a moment later
            await asyncio.sleep(0.1)
        assert len(refusing) == 7 + 9
        # with counts per worker, only a worker already holding 3 (6) chats would refuse
        proved = ((len(set(mine_at)) == 2 or set(refusing[:7]) == {1, 2})
                  and (len(set(mine_at + others_at)) == 2 or set(refusing[7:]) == {1, 2}))
    except BaseException:
        await close_all(mine + others)
        raise
    return proved, mine + others


async def test_open_chat_limits_hold_across_workers(two_workers: Server) -> None:
    """--max-chats-per-ip 3 and --max-chats 6 with two workers: 10 attempts of one address open 3 chats (not
    3 per worker), the others get 429; then 12 attempts of other addresses open the 3 places left, the others
    get 503; a worker with fewer chats than the limit refused too (the count is the node's: repeated, up to
    4 rounds, until the kernel has given connections to both workers); a closed chat frees its place."""
    for round_ in range(1, 5):
        proved, opened = await _chat_limits_round(two_workers, round_)
        if proved or round_ == 4:
            break
        await close_all(opened)
        deadline = time.monotonic() + 10
        while True:  # until the closed chats have given their places back
            probe, _, refused = await open_chats(two_workers.base, f"198.18.9.{round_}", 1)
            await close_all(probe)
            if not refused:
                break
            assert time.monotonic() < deadline
            await asyncio.sleep(0.2)
        await asyncio.sleep(0.5)  # and the probe's
    try:
        assert proved, "every connection of 4 rounds went to the same worker"
        await opened[0][1].close()
        deadline = time.monotonic() + 10
        while True:
            more, _, refused = await open_chats(two_workers.base, "198.18.10.1", 1)
            if more:
                opened += more
                break
            assert refused == [503] and time.monotonic() < deadline
            await asyncio.sleep(0.2)
    finally:
        await close_all(opened)


async def test_the_operator_sees_whether_the_citizen_on_the_other_worker_is_connected(two_workers: Server) -> None:
    """The citizen's widget on one worker, the operator's console on the other: the console shows the citizen
    connected, then gone when the widget closes (a presence update, no reload), then back; an operator's reply
    while the widget is on the other worker is delivered, while it is away not."""
    seen = await presence_across(two_workers.base, two_workers.base, operator_token(str(two_workers.db)))
    assert seen == {"online": [True, False, True], "delivered": [True, False]}
