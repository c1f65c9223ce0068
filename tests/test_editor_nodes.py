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

POOL = {
    "id": "faq-pool", "question": "市のプールの営業時間や料金を知りたい",
    "alternatives": ["市営プールは何時から営業していますか", "温水プールの利用料金はいくら",
                     "プールは夏休みも営業していますか"],
    "answer": "市の公園プール（大師プールなど）は夏の間だけ開設され、期間と時間は年によって変わります。"
              "一年を通して泳げる温水プールには、川崎市民プラザ（高津区）などがあります。"
              "営業時間と料金は施設ごとに違いますので、各施設のページか、サンキューコールかわさき（044-200-3939）でご確認ください。",
    "category": "くらし", "department": "建設緑政局",
    "source_url": "https://kawasaki-shiminplaza.jp/sisetu/pool", "source_date": "2025-01-04", "reviewed": "2026-12-02",
    "certainty": "secondary",
    "notes": "温水プール: 川崎市民プラザのプールのページ（2025年1〜3月の部分休館のお知らせ）。公園プールが夏季のみで"
             "期間が年ごとに変わること: 報道（神奈川新聞 2020年）による二次情報のため、案内はコンタクトセンターへ。"}
QUESTION = {"text": "市営プールの営業時間を教えてください"}


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
            assert (call(b.base, "/api/v1/ask", QUESTION)[1]["answer"] or {}).get("entry_id") != "faq-pool"
            started = time.perf_counter()
            status, saved, _ = call(a.base, "/api/v1/editor/entries/faq-pool",
                                    {"kind": "faqs", "document": POOL, "base_version": 0}, auth, method="PUT")
            saved_at = time.perf_counter()
            assert status == 201 and saved["reload"]["broadcast"], saved
            deadline = time.monotonic() + 60
            while (call(b.base, "/api/v1/ask", QUESTION)[1]["answer"] or {}).get("entry_id") != "faq-pool":
                assert time.monotonic() < deadline, "node B never answered with the new FAQ"
                time.sleep(0.05)
            live_at = time.perf_counter()
            with capsys.disabled():
                print(f"\n[editor timing] save on node A: {saved_at - started:.2f} s (A's own reload "
                      f"{saved['reload']['seconds']:.2f} s); save → answer on node B: {live_at - started:.2f} s")
            # Two editors, one on each node, save the same version of the same entry at the same moment.
            edited = {**POOL, "answer": POOL["answer"] + "（更新）"}
            results: dict[str, int] = {}

            def save(node: Server, tag: str) -> None:
                results[tag] = call(node.base, "/api/v1/editor/entries/faq-pool",
                                    {"kind": "faqs", "document": {**edited, "notes": tag}, "base_version": 1},
                                    auth, method="PUT")[0]

            threads = [threading.Thread(target=save, args=(n, t)) for n, t in ((a, "a"), (b, "b"))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert sorted(results.values()) == [200, 409], results
            _, versions, _ = call(b.base, "/api/v1/editor/entries/faq-pool/versions", None, auth)
            assert [v["version"] for v in versions["items"]] == [2, 1]
        finally:
            a.stop()
            b.stop()
