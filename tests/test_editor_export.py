"""`contact kb export DIR`: the shipped base plus the editor's edits written back in the YAML layout, and the
effective base of knowledge.editing (round trip: export, load, the same entries as the service serves)."""

from __future__ import annotations

import filecmp
from pathlib import Path

import yaml

from contact.cli import main
from contact.store import kb_edits
from contact.store.inquiry_log import INTEGRITY_ERRORS, connect, migrate
from knowledge.editing import Edit, load_effective, shipped_entries, write_effective
from knowledge.loader import SHIPPED_DIR, load
from tests.conftest import MINI_KB

POOL = {"id": "faq-pool-hours", "question": "市民プールの営業時間を知りたい", "answer": "施設ごとに異なります。",
        "category": "くらし", "department": "市民文化局", "source_url": "https://www.city.kawasaki.jp/",
        "reviewed": "2026-11-20"}


def _entries(kb) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return {e.id: e.model_dump(mode="json") for e in kb.entries()}


def _store(path: Path) -> None:
    db = connect(str(path))
    migrate(db)
    saturday = shipped_entries(MINI_KB)["faq-saturday-opening"].document
    office = next(e for e in shipped_entries(MINI_KB).values() if e.kind == "offices")
    for edit, based_on in (
        (Edit("faq-pool-hours", "faqs", 1, "create", POOL, "emi", "2026-11-20T10:00:00"), 0),
        (Edit("faq-saturday-opening", "faqs", 1, "edit", {**saturday, "answer": "第2・第4土曜日に開庁します。"},
              "emi", "2026-11-20T10:01:00"), 0),
        (Edit(office.document["id"], "offices", 1, "edit", {**office.document, "access": "駅から徒歩5分"}, "emi",
              "2026-11-20T10:02:00"), 0),
    ):
        kb_edits.save_version(db, edit, based_on, INTEGRITY_ERRORS)
    db.conn.close()


def test_export_writes_shipped_plus_edits_and_loads_to_the_same_entries(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "log.sqlite3"
    _store(db)
    out = tmp_path / "exported"
    assert main(["kb", "export", str(out), "--kb", str(MINI_KB), "--db", str(db),
                 "--synonyms", str(tmp_path / "synonyms.yaml")]) == 0
    assert "(3 edited in the editor)" in capsys.readouterr().out
    conn = connect(str(db))
    edits = kb_edits.latest_edits(conn)
    conn.conn.close()
    exported = load(out)
    assert _entries(exported) == _entries(load_effective(MINI_KB, edits))
    assert exported.faqs["faq-pool-hours"].question == "市民プールの営業時間を知りたい"
    assert exported.faqs["faq-saturday-opening"].answer == "第2・第4土曜日に開庁します。"
    # The edited FAQ stays in its file, the new one is appended to the one-file kind; untouched files are copies.
    faqs = yaml.safe_load((out / "faqs.yaml").read_text(encoding="utf-8"))
    assert [f["id"] for f in faqs][-1] == "faq-pool-hours"
    assert "reviewed: 2026-11-20\n" in (out / "faqs.yaml").read_text(encoding="utf-8")  # a date, as shipped
    assert filecmp.cmp(out / "procedures.yaml", MINI_KB / "procedures.yaml", shallow=False)
    assert yaml.safe_load((tmp_path / "synonyms.yaml").read_text(encoding="utf-8"))["replace"]["印鑑"]
    # Export again from the export: nothing edited, the same entries.
    again = tmp_path / "again"
    assert main(["kb", "export", str(again), "--kb", str(out), "--db", str(tmp_path / "empty.sqlite3")]) == 0
    assert _entries(load(again)) == _entries(exported)
    assert main(["kb", "export", str(out), "--kb", str(MINI_KB), "--db", str(db)]) == 2  # not over a directory


def test_the_shipped_base_round_trips_through_an_edit_of_every_file(tmp_path: Path) -> None:
    """Each shipped file rewritten (one entry of each re-saved unchanged) loads to the same entries."""
    shipped = shipped_entries(SHIPPED_DIR)
    first_of_file: dict[str, Edit] = {}
    for entry_id, entry in shipped.items():
        first_of_file.setdefault(entry.file, Edit(entry_id, entry.kind, 1, "edit", entry.document))
    edits = {e.entry_id: e for e in first_of_file.values()}
    out = write_effective(SHIPPED_DIR, edits, tmp_path / "data")
    assert _entries(load(out)) == _entries(load(SHIPPED_DIR))
    assert len(edits) == len({e.file for e in shipped.values()})
