"""The knowledge editor's API (contact.web.editor) on a real SQLite file: create, edit, conflict, validation,
revert, diff, delete, preview, synonyms, phrasing proposals, roles and the audit trail."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest

from contact.config import Settings

SOURCE = "https://www.city.kawasaki.jp/250/page/0000037125.html"
POOL = {"id": "faq-pool-hours", "question": "市民プールの営業時間を知りたい",
        "alternatives": ["プールは何時まで泳げますか"],
        "answer": "市民プールの営業時間は施設ごとに異なります。各施設にお問い合わせください。",
        "category": "くらし", "department": "市民文化局", "source_url": SOURCE, "source_date": "2026-04-01",
        "reviewed": "2026-11-20"}


@pytest.fixture
async def editor(aiohttp_client, settings: Settings, add_user):  # type: ignore[no-untyped-def]
    from contact.app import create_app

    token = add_user("emi", "editor")
    client = await aiohttp_client(create_app(settings))
    client.auth = {"Authorization": f"Bearer {token}"}
    return client


async def _call(client: Any, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
                ) -> tuple[int, Any]:
    resp = await client.request(method, path, json=body, headers=headers or client.auth)
    return resp.status, await resp.json()


async def _ask(client: Any, text: str) -> dict[str, Any]:
    resp = await client.post("/api/v1/ask", json={"text": text})
    assert resp.status == 200
    return dict(await resp.json())


def _audit(settings: Settings) -> list[dict[str, Any]]:
    conn = sqlite3.connect(settings.db)
    conn.row_factory = sqlite3.Row
    return [dict(r) for r in conn.execute("SELECT * FROM audit WHERE action LIKE 'kb.%' OR action LIKE 'synonyms.%' "
                                          "OR action LIKE 'phrasings.%' ORDER BY id")]


async def test_a_new_faq_is_live_after_the_save_and_kept_as_a_version(editor, settings) -> None:  # type: ignore[no-untyped-def]
    before = await _ask(editor, "市民プールの営業時間を知りたい")
    assert (before["answer"] or {}).get("entry_id") != "faq-pool-hours"
    status, saved = await _call(editor, "PUT", "/api/v1/editor/entries/faq-pool-hours",
                                {"kind": "faqs", "document": POOL, "base_version": 0})
    assert status == 201, saved
    assert saved["version"] == 1 and saved["action"] == "create" and saved["author"] == "emi"
    assert saved["reload"]["ok"] is True
    after = await _ask(editor, "市民プールの営業時間を知りたい")
    assert after["kind"] == "answer" and after["answer"]["entry_id"] == "faq-pool-hours"
    assert after["answer"]["source_url"] == SOURCE
    status, opened = await _call(editor, "GET", "/api/v1/editor/entries/faq-pool-hours")
    assert status == 200 and opened["version"] == 1 and opened["document"]["answer"] == POOL["answer"]
    assert "市民プールの営業時間を知りたい" in opened["yaml"] and opened["shipped"] is False
    rows = _audit(settings)
    assert [(r["action"], r["target"], r["actor"]) for r in rows] == [("kb.create", "faq-pool-hours", "emi")]
    assert json.loads(rows[0]["detail"])["version"] == 1


async def test_two_editors_on_one_entry_get_a_conflict_not_a_lost_edit(editor, add_user) -> None:  # type: ignore[no-untyped-def]
    other = {"Authorization": f"Bearer {add_user('ken', 'editor')}"}
    status, opened = await _call(editor, "GET", "/api/v1/editor/entries/faq-saturday-opening")
    assert status == 200 and opened["version"] == 0 and opened["shipped"] is True
    mine = {**opened["document"], "answer": opened["document"]["answer"] + "（emiの修正）"}
    theirs = {**opened["document"], "answer": opened["document"]["answer"] + "（kenの修正）"}
    status, first = await _call(editor, "PUT", "/api/v1/editor/entries/faq-saturday-opening",
                                {"kind": "faqs", "document": mine, "base_version": 0})
    assert status == 200 and first["version"] == 1 and first["action"] == "edit"
    status, second = await _call(editor, "PUT", "/api/v1/editor/entries/faq-saturday-opening",
                                 {"kind": "faqs", "document": theirs, "base_version": 0}, headers=other)
    assert status == 409 and second["error"]["code"] == "conflict"
    assert second["error"]["current_version"] == 1
    assert second["error"]["current"]["document"]["answer"].endswith("（emiの修正）")
    status, opened = await _call(editor, "GET", "/api/v1/editor/entries/faq-saturday-opening")
    assert opened["document"]["answer"].endswith("（emiの修正）")  # ken's save did not overwrite emi's


async def test_a_change_that_does_not_validate_is_refused_with_the_loaders_messages(editor, settings) -> None:  # type: ignore[no-untyped-def]
    bad = {**POOL, "related": ["no-such-entry"], "source_date": "2026-02-30"}
    del bad["answer"]
    status, body = await _call(editor, "PUT", "/api/v1/editor/entries/faq-pool-hours",
                               {"kind": "faqs", "document": bad, "base_version": 0})
    assert status == 422 and body["error"]["code"] == "invalid_knowledge"
    problems = body["error"]["problems"]
    assert "kb-mini/faqs.yaml [faq-pool-hours] answer: Field required" in problems
    assert any(p.startswith("kb-mini/faqs.yaml [faq-pool-hours] source_date: ") for p in problems)
    status, check = await _call(editor, "POST", "/api/v1/editor/check",
                                {"entry_id": "faq-pool-hours", "kind": "faqs", "document": bad})
    assert status == 200 and check == {"ok": False, "problems": problems}
    # A dangling reference is found by the loader's cross-check, once the fields are valid.
    status, body = await _call(editor, "PUT", "/api/v1/editor/entries/faq-pool-hours",
                               {"kind": "faqs", "document": {**POOL, "related": ["no-such-entry"]},
                                "base_version": 0})
    assert status == 422
    assert body["error"]["problems"] == ["faqs [faq-pool-hours] related: unknown entry 'no-such-entry'"]
    status, _ = await _call(editor, "GET", "/api/v1/editor/entries/faq-pool-hours")
    assert status == 404  # nothing was saved
    assert (await _ask(editor, "土曜日に区役所は開いていますか"))["answer"]["entry_id"] == "faq-saturday-opening"
    for body, code in (([1], "invalid_json"), ({"kind": "faqs", "document": POOL}, "invalid_field"),
                       ({"kind": {}, "document": POOL, "base_version": 0}, "invalid_field"),
                       ({"kind": "faqs", "document": POOL, "base_version": 1.5}, "invalid_field"),
                       ({"kind": "faqs", "document": POOL, "base_version": "x"}, "invalid_field")):
        status, resp = await _call(editor, "PUT", "/api/v1/editor/entries/faq-pool-hours", body)
        assert status == 400 and resp["error"]["code"] == code
    status, resp = await _call(editor, "PUT", "/api/v1/editor/entries/faq-pool-hours",
                               {"kind": "faqs", "document": {**POOL, "id": "other"}, "base_version": 0})
    assert status == 422 and "id" in resp["error"]["problems"][0]
    status, resp = await _call(editor, "PUT", "/api/v1/editor/entries/faq-saturday-opening",
                               {"kind": "offices", "document": POOL, "base_version": 0})
    assert status == 400


async def test_versions_diff_revert_and_delete(editor, settings) -> None:  # type: ignore[no-untyped-def]
    path = "/api/v1/editor/entries/faq-saturday-opening"
    _, opened = await _call(editor, "GET", path)
    shipped = opened["document"]
    edited = {**shipped, "answer": "第2・第4土曜日の午前に開庁します（8:30〜12:30）。"}
    status, _ = await _call(editor, "PUT", path, {"kind": "faqs", "document": edited, "base_version": 0})
    assert status == 200
    status, diff = await _call(editor, "GET", path + "/diff?from=0&to=1")
    assert status == 200 and diff["fields"] == ["answer"]
    assert "-answer: " + shipped["answer"] in diff["unified"] and "+answer: " + edited["answer"] in diff["unified"]
    status, deleted = await _call(editor, "DELETE", path + "?base_version=1")
    assert status == 200 and deleted["version"] == 2 and deleted["action"] == "delete"
    gone = await _ask(editor, "土曜日に区役所は開いていますか")
    assert (gone["answer"] or {}).get("entry_id") != "faq-saturday-opening"
    assert (await editor.get("/api/v1/entries/faq-saturday-opening")).status == 404
    status, reverted = await _call(editor, "POST", path + "/revert", {"to_version": 0, "base_version": 2})
    assert status == 200 and reverted["version"] == 3 and reverted["action"] == "revert"
    back = await _ask(editor, "土曜日に区役所は開いていますか")
    assert back["answer"]["entry_id"] == "faq-saturday-opening"
    _, opened = await _call(editor, "GET", path)
    assert opened["document"] == shipped and opened["version"] == 3
    _, versions = await _call(editor, "GET", path + "/versions")
    assert [(v["version"], v["action"]) for v in versions["items"]] == [
        (3, "revert"), (2, "delete"), (1, "edit"), (0, "shipped")]
    status, resp = await _call(editor, "POST", path + "/revert", {"to_version": 9, "base_version": 3})
    assert status == 404
    status, resp = await _call(editor, "POST", path + "/revert", {"to_version": 1, "base_version": 1})
    assert status == 409 and resp["error"]["current_version"] == 3
    assert [r["action"] for r in _audit(settings)] == ["kb.edit", "kb.delete", "kb.revert"]


async def test_preview_answers_with_the_edit_without_saving_it(editor) -> None:  # type: ignore[no-untyped-def]
    status, body = await _call(editor, "POST", "/api/v1/editor/preview",
                               {"entry_id": "faq-pool-hours", "kind": "faqs", "document": POOL,
                                "question": "市民プールの営業時間を知りたい"})
    assert status == 200 and body["problems"] == []
    result = body["results"][0]
    assert result["with_edit"]["answer"]["entry_id"] == "faq-pool-hours"
    assert (result["live"]["answer"] or {}).get("entry_id") != "faq-pool-hours"
    assert body["build_seconds"] > 0
    assert (await _call(editor, "GET", "/api/v1/editor/entries/faq-pool-hours"))[0] == 404
    status, body = await _call(editor, "POST", "/api/v1/editor/preview",
                               {"entry_id": "faq-pool-hours", "kind": "faqs", "document": {**POOL, "reviewed": "x"},
                                "question": "プール"})
    assert status == 200 and body["results"] == [] and "reviewed" in body["problems"][0]
    status, body = await _call(editor, "POST", "/api/v1/editor/preview",
                               {"entry_id": "faq-pool-hours", "kind": "faqs", "document": POOL, "question": ""})
    assert status == 400


async def test_search_finds_entries_by_words_id_kind_and_filters(editor) -> None:  # type: ignore[no-untyped-def]
    status, body = await _call(editor, "GET", "/api/v1/editor/entries?q=土曜")
    assert status == 200 and "faq-saturday-opening" in [i["id"] for i in body["items"]]
    _, body = await _call(editor, "GET", "/api/v1/editor/entries?q=faq-saturday-opening")
    assert [i["id"] for i in body["items"]] == ["faq-saturday-opening"]
    _, body = await _call(editor, "GET", "/api/v1/editor/entries?kind=offices")
    assert body["items"] and {i["kind"] for i in body["items"]} == {"offices"}
    _, body = await _call(editor, "GET", "/api/v1/editor/entries?filter=never_matched")
    total = body["total"]
    await _ask(editor, "土曜日に区役所は開いていますか")
    _, body = await _call(editor, "GET", "/api/v1/editor/entries?filter=never_matched")
    assert body["total"] == total - 1 and "faq-saturday-opening" not in [i["id"] for i in body["items"]]
    _, body = await _call(editor, "GET", "/api/v1/editor/entries?filter=edited")
    assert body["total"] == 0
    assert (await _call(editor, "GET", "/api/v1/editor/entries?filter=bogus"))[0] == 400
    assert (await _call(editor, "GET", "/api/v1/editor/entries?kind=bogus"))[0] == 400


async def test_synonyms_are_added_previewed_and_removed(editor, settings) -> None:  # type: ignore[no-untyped-def]
    edit = {"section": "replace", "term": "土曜日", "value": "どよーび", "action": "add"}
    status, preview = await _call(editor, "POST", "/api/v1/editor/synonyms/preview",
                                  {**edit, "question": "どよーびに区役所は開いていますか"})
    assert status == 200
    assert preview["results"][0]["with_edit"]["answer"]["entry_id"] == "faq-saturday-opening"
    status, body = await _call(editor, "POST", "/api/v1/editor/synonyms", edit)
    assert status == 201 and "どよーび" in body["table"]["replace"]["土曜日"] and body["reload"]["ok"]
    status, listed = await _call(editor, "GET", "/api/v1/editor/synonyms")
    assert listed["edits"][0]["value"] == "どよーび" and listed["edits"][0]["author"] == "emi"
    status, body = await _call(editor, "POST", "/api/v1/editor/synonyms", {**edit, "action": "remove"})
    assert status == 201 and "どよーび" not in body["table"]["replace"].get("土曜日", [])
    status, body = await _call(editor, "POST", "/api/v1/editor/synonyms", {**edit, "action": "remove"})
    assert status == 404
    status, body = await _call(editor, "POST", "/api/v1/editor/synonyms", {**edit, "section": "x"})
    assert status == 400
    # A variant listed under two wordings: the synonym table's own check refuses it.
    status, body = await _call(editor, "POST", "/api/v1/editor/synonyms",
                               {"section": "replace", "term": "住民票", "value": "ハンコ", "action": "add"})
    assert status == 422 and "listed under both" in body["error"]["problems"][0]
    assert [r["action"] for r in _audit(settings)] == ["synonyms.add", "synonyms.remove"]


async def test_accepting_a_proposal_adds_the_phrasing_to_its_entry(editor, settings) -> None:  # type: ignore[no-untyped-def]
    conn = sqlite3.connect(settings.db)
    conn.execute("INSERT INTO phrasings (entry_id, text, origin, created_at, status) VALUES "
                 "('faq-saturday-opening', '土曜に区役所で手続きしたい', 'citizen', '2026-11-19T10:00:00', 'pending')")
    conn.commit()
    pid = conn.execute("SELECT id FROM phrasings").fetchone()[0]
    conn.close()
    status, listed = await _call(editor, "GET", "/api/v1/phrasings")
    assert status == 200 and listed["items"][0]["id"] == pid
    status, body = await _call(editor, "POST", f"/api/v1/editor/phrasings/{pid}", {"status": "accepted"})
    assert status == 200 and body["phrasing"]["status"] == "accepted" and body["saved"]["version"] == 1
    _, opened = await _call(editor, "GET", "/api/v1/editor/entries/faq-saturday-opening")
    assert "土曜に区役所で手続きしたい" in opened["document"]["alternatives"]
    assert (await _call(editor, "POST", "/api/v1/editor/phrasings/99999", {"status": "accepted"}))[0] == 404


EDITOR_CALLS = [("GET", "/api/v1/editor/entries"), ("GET", "/api/v1/editor/entries/faq-saturday-opening"),
                ("PUT", "/api/v1/editor/entries/faq-pool-hours"), ("GET", "/api/v1/editor/synonyms"),
                ("POST", "/api/v1/editor/preview"), ("GET", "/api/v1/editor/gaps")]


async def test_the_editor_needs_the_editor_role(editor, add_user) -> None:  # type: ignore[no-untyped-def]
    staff = {"Authorization": f"Bearer {add_user('hiroko', 'staff')}"}
    operator = {"Authorization": f"Bearer {add_user('sato', 'operator')}"}
    admin = {"Authorization": f"Bearer {add_user('root', 'admin')}"}
    for method, path in EDITOR_CALLS:
        assert (await editor.request(method, path, json={})).status == 401, path
        for other in (staff, operator):
            resp = await editor.request(method, path, json={}, headers=other)
            assert resp.status == 403 and (await resp.json())["error"]["code"] == "forbidden", path
    assert (await editor.get("/api/v1/editor/entries", headers=admin)).status == 200
    assert (await editor.get("/api/v1/editor/entries", headers=editor.auth)).status == 200
    page = await editor.get("/editor/")
    assert page.status == 200 and "知識ベース編集" in await page.text()
