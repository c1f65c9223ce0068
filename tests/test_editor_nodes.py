"""The editor on two nodes over one PostgreSQL: an FAQ saved on node A answers citizens on node B (timed), and
two editors saving the same entry at once on the two nodes get one save and one conflict."""

from __future__ import annotations

import shutil
import threading
import time

import pytest

from tests.postgres import fresh_database, postgres_server
from tests.server import Server
from tests.test_scale import ADMIN_TOKEN, SHIPPED_KB, call

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

VOTING = {
    "id": "faq-early-voting", "question": "期日前投票はどこでできますか",
    "alternatives": ["期日前投票の期間を知りたい", "投票日に行けないときはどうすればいい"],
    "answer": "期日前投票は、選挙の公示日（告示日）の翌日から投票日の前日まで、お住まいの区の期日前投票所でできます。"
              "期間と場所は選挙ごとに異なりますので、川崎市選挙管理委員会のページか、サンキューコールかわさき"
              "（044-200-3939）でご確認ください。",
    "category": "くらし", "department": "選挙管理委員会事務局",
    "source_url": "https://senkyo-kawasaki.city.kawasaki.jp/04konkai.htm", "source_date": "2025-07-03",
    "reviewed": "2026-12-02"}
QUESTION = {"text": "期日前投票はどこでできますか"}


def _editor_token(db: str) -> str:
    from contact.store import accounts
    from contact.store.inquiry_log import connect, migrate

    conn = connect(db)
    try:
        migrate(conn)
        accounts.add_user(conn, "emi", "editor", "correct horse battery")
        return accounts.issue_token(conn, "emi", "test")
    finally:
        conn.conn.close()


def test_a_save_on_one_node_answers_on_the_other(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    with postgres_server() as server_url:
        url = fresh_database(server_url)
        kb = tmp_path / "kb"
        shutil.copytree(SHIPPED_KB, kb)
        auth = {"Authorization": f"Bearer {_editor_token(url)}"}
        env = {"CONTACT_DB": url, "CONTACT_ENCODERS": "none", "CONTACT_KB": str(kb), "CONTACT_RATE_LIMIT": "0",
               "CONTACT_ADMIN_TOKEN": ADMIN_TOKEN}
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
        a, b = (Server(tmp_path / name, env=env) for name in ("a", "b"))
        try:
            assert (call(b.base, "/api/v1/ask", QUESTION)[1]["answer"] or {}).get("entry_id") != "faq-early-voting"
            started = time.perf_counter()
            status, saved, _ = call(a.base, "/api/v1/editor/entries/faq-early-voting",
                                    {"kind": "faqs", "document": VOTING, "base_version": 0}, auth, method="PUT")
            saved_at = time.perf_counter()
            assert status == 201 and saved["reload"]["broadcast"], saved
            deadline = time.monotonic() + 60
            while (call(b.base, "/api/v1/ask", QUESTION)[1]["answer"] or {}).get("entry_id") != "faq-early-voting":
                assert time.monotonic() < deadline, "node B never answered with the new FAQ"
                time.sleep(0.05)
            live_at = time.perf_counter()
            with capsys.disabled():
                print(f"\n[editor timing] save on node A: {saved_at - started:.2f} s (A's own reload "
                      f"{saved['reload']['seconds']:.2f} s); save → answer on node B: {live_at - started:.2f} s")
            # Two editors, one on each node, save the same version of the same entry at the same moment.
            edited = {**VOTING, "answer": VOTING["answer"] + "（更新）"}
            results: dict[str, int] = {}

            def save(node: Server, tag: str) -> None:
                results[tag] = call(node.base, "/api/v1/editor/entries/faq-early-voting",
                                    {"kind": "faqs", "document": {**edited, "notes": tag}, "base_version": 1},
                                    auth, method="PUT")[0]

            threads = [threading.Thread(target=save, args=(n, t)) for n, t in ((a, "a"), (b, "b"))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert sorted(results.values()) == [200, 409], results
            _, versions, _ = call(b.base, "/api/v1/editor/entries/faq-early-voting/versions", None, auth)
            assert [v["version"] for v in versions["items"]] == [2, 1]
        finally:
            a.stop()
            b.stop()
