"""`contact kb check`'s findings (knowledge.audit) on small fixture bases, and gates on the shipped base."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from contact.cli import main
from intents.compose import SECONDARY_HEDGE, compose
from knowledge.audit import audit, is_official
from knowledge.loader import load

TODAY = dt.date(2026, 12, 1)

OFFICES = """\
- id: kawasaki-kuyakusho
  name: 川崎区役所
  kind: 区役所
  ward: 川崎区
  phone: 044-201-3113
  source_url: https://www.city.kawasaki.jp/kawasaki/
  source_date: 2025-05-01
  reviewed: 2026-11-20
"""

WINDOWS = """\
- id: kawasaki-kumin
  office: kawasaki-kuyakusho
  name: 区民課
  phone: 044-201-3130
  handles: 住民票・戸籍・印鑑登録
  procedures: [koseki-shomei, tennyu]
  source_url: https://www.city.kawasaki.jp/kawasaki/
  source_date: 2025-05-01
  reviewed: 2026-11-20
- id: kawasaki-hoken
  office: kawasaki-kuyakusho
  name: 保険年金課
  handles: 国民健康保険・国民年金
  procedures: []
  source_url: https://www.city.kawasaki.jp/kawasaki/
  source_date: 2025-05-01
  reviewed: 2026-11-20
"""

PROCEDURES = """\
- id: koseki-shomei
  name: 戸籍証明書
  category: 戸籍
  department: 区役所区民課
  aliases: [戸籍謄本]
  sample_questions: [戸籍謄本が欲しい]
  summary: 戸籍の証明書です。
  fee: {text: 1通450円, yen: 450}
  windows: [区民課]
  source_url: https://www.city.kawasaki.jp/250/page/0000000001.html
  source_date: 2025-04-01
  reviewed: 2026-11-20
- id: tennyu
  name: 転入届
  category: 転入
  department: 区役所区民課
  aliases: [転入]
  sample_questions: [引っ越してきた]
  summary: 転入の届出です。
  deadline: 住み始めてから14日以内
  windows: [区民課]
  source_url: https://laws.e-gov.go.jp/law/342AC0000000081
  reviewed: 2026-11-20
"""

FAQS = """\
- id: faq-koseki-fee
  question: 戸籍謄本はいくら?
  answer: 戸籍謄本は1通450円です。
  category: 戸籍
  department: 区役所区民課
  related: [koseki-shomei]
  source_url: https://www.city.kawasaki.jp/250/page/0000000001.html
  source_date: 2025-04-01
  reviewed: 2026-11-20
"""


def _base(tmp_path: Path, **files: str) -> Path:
    defaults = {"offices": OFFICES, "windows": WINDOWS, "procedures": PROCEDURES, "faqs": FAQS}
    defaults.update(files)
    for name, text in defaults.items():
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def _kinds(directory: Path, **kw: int) -> dict[str, list[str]]:
    report = audit(load(directory), TODAY, **kw)
    out: dict[str, list[str]] = {}
    for f in report.findings:
        out.setdefault(f.kind, []).append(f.entry_id)
    return out


def test_a_consistent_base_has_no_contradiction(tmp_path: Path) -> None:
    kinds = _kinds(_base(tmp_path))
    assert "contradiction" not in kinds and "unmarked-secondary" not in kinds
    assert kinds["no-source-date"] == ["tennyu"]  # the law page carries no date: listed, not guessed


def test_old_sources_by_configurable_age(tmp_path: Path) -> None:
    old = PROCEDURES.replace("source_date: 2025-04-01", "source_date: 2019-04-01")
    d = _base(tmp_path, procedures=old)
    assert _kinds(d).get("old-source") == ["koseki-shomei"]  # default: 3 years
    assert "old-source" not in _kinds(d, max_age_days=10 * 365)
    assert set(_kinds(d, max_age_days=30)["old-source"]) == {
        "kawasaki-kuyakusho", "kawasaki-kumin", "kawasaki-hoken", "koseki-shomei", "faq-koseki-fee"}


def test_review_overdue_is_separate_from_the_source_age(tmp_path: Path) -> None:
    d = _base(tmp_path)
    assert "review-overdue" not in _kinds(d)
    assert len(_kinds(d, max_review_days=1)["review-overdue"]) == 6


def test_secondary_and_unmarked_secondary_sources(tmp_path: Path) -> None:
    faqs = FAQS + """\
- id: faq-blog
  question: 区役所は空いている?
  answer: 土曜日は空いていたという体験記があります。
  category: 庁舎
  department: 区役所
  source_url: https://blog.example.jp/2015/09/12/kuyakusho
  reviewed: 2026-11-20
- id: faq-other-city
  question: 戸籍の手数料
  answer: 全国的に450円です。
  category: 戸籍
  department: 区役所区民課
  source_url: https://www.city.narita.chiba.jp/kurashi/page097400.html
  reviewed: 2026-11-20
  certainty: secondary
"""
    kinds = _kinds(_base(tmp_path, faqs=faqs))
    assert kinds["unmarked-secondary"] == ["faq-blog"]
    assert kinds["secondary"] == ["faq-other-city"]


def test_is_official() -> None:
    assert is_official("https://www.city.kawasaki.jp/250/page/0000037125.html")
    assert is_official("http://sc.city.kawasaki.jp/faq/contents_detail.php?frmId=12887")
    assert is_official("https://laws.e-gov.go.jp/law/342AC0000000081")
    assert not is_official("https://www.city.narita.chiba.jp/kurashi/page097400.html")
    assert not is_official("https://www.townnews.co.jp/0201/2026/01/23/821775.html")
    assert not is_official("https://evilcity.kawasaki.jp.example.com/")


def test_fee_in_an_faq_text_contradicting_the_procedure(tmp_path: Path) -> None:
    d = _base(tmp_path, faqs=FAQS.replace("1通450円です", "1通300円です"))
    report = audit(load(d), TODAY)
    [finding] = report.of("contradiction")
    assert finding.entry_id == "faq-koseki-fee" and "fee" in finding.detail and "450" in finding.detail


def test_deadline_next_to_the_procedure_name_contradicting_it(tmp_path: Path) -> None:
    faqs = FAQS + """\
- id: faq-tennyu-kigen
  question: 転入届の期限は?
  answer: 転入届は住み始めてから30日以内に出してください。児童手当の申請は15日以内です。
  category: 転入
  department: 区役所区民課
  related: [tennyu]
  source_url: https://www.city.kawasaki.jp/250/page/0000000002.html
  source_date: 2025-04-01
  reviewed: 2026-11-20
"""
    report = audit(load(_base(tmp_path, faqs=faqs)), TODAY)
    [finding] = report.of("contradiction")
    assert finding.entry_id == "faq-tennyu-kigen" and "[30]" in finding.detail  # not the 15 days of 児童手当


def test_place_contradiction_between_window_and_procedure(tmp_path: Path) -> None:
    windows = WINDOWS.replace("  procedures: []", "  procedures: [koseki-shomei]")
    report = audit(load(_base(tmp_path, windows=windows)), TODAY)
    [finding] = report.of("contradiction")
    assert finding.entry_id == "koseki-shomei" and "kawasaki-hoken" in finding.detail


def test_confirmed_faq_stating_what_the_procedure_marks_unverified(tmp_path: Path) -> None:
    procs = PROCEDURES.replace("  windows: [区民課]\n  source_url: https://www.city.kawasaki.jp/250/page/0000000001.html",
                               "  windows: [区民課]\n  unverified: [windows]\n"
                               "  source_url: https://www.city.kawasaki.jp/250/page/0000000001.html")
    faqs = FAQS.replace("戸籍謄本は1通450円です。", "戸籍謄本は区民課で1通450円です。")
    report = audit(load(_base(tmp_path, procedures=procs, faqs=faqs)), TODAY)
    [finding] = report.of("contradiction")
    assert "place" in finding.detail and "unverified" in finding.detail


def test_phone_in_a_text_that_no_structured_entry_states(tmp_path: Path) -> None:
    extra = "区民課(044-201-3130)へ。夜間は044-739-1919。"
    faqs = FAQS.replace("戸籍謄本は1通450円です。", "戸籍謄本は1通450円です。" + extra)
    report = audit(load(_base(tmp_path, faqs=faqs)), TODAY)
    assert [f.detail.split()[1] for f in report.of("unstructured-phone")] == ["044-739-1919"]
    assert not report.of("contradiction")


def test_an_office_named_with_another_number_is_a_contradiction(tmp_path: Path) -> None:
    faqs = FAQS + """\
- id: faq-kawasaki-phone
  question: 川崎区役所の電話番号は?
  answer: 川崎区役所(044-201-9999)にお電話ください。区民課は川崎区役所の044-201-3130です。
  category: 庁舎
  department: 区役所
  source_url: https://www.city.kawasaki.jp/kawasaki/
  source_date: 2025-05-01
  reviewed: 2026-11-20
"""
    report = audit(load(_base(tmp_path, faqs=faqs)), TODAY)
    [finding] = report.of("contradiction")  # the window's own number is not one
    assert finding.entry_id == "faq-kawasaki-phone" and "044-201-9999" in finding.detail
    assert "044-201-3113" in finding.detail


def test_secondary_entries_are_hedged_in_the_answer(tmp_path: Path) -> None:
    faqs = FAQS.replace("  source_date: 2025-04-01\n", "  source_date: 2025-04-01\n  certainty: secondary\n")
    kb = load(_base(tmp_path, faqs=faqs))
    text = compose(kb, kb.faqs["faq-koseki-fee"]).text
    assert SECONDARY_HEDGE in text and "044-200-3939" in text
    plain = compose(kb, kb.procedures["koseki-shomei"]).text
    assert SECONDARY_HEDGE not in plain


def test_cli_prints_findings_and_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = _base(tmp_path, faqs=FAQS.replace("1通450円です", "1通300円です"))
    assert main(["kb", "check", "--kb", str(d), "--now", "2026-12-01T10:00:00+09:00", "--max-age-days", "30"]) == 0
    out = capsys.readouterr().out
    assert "contradiction: faq-koseki-fee: fee" in out and "old-source: koseki-shomei" in out
    assert "summary: 6 entries" in out and "contradiction=1" in out
    assert main(["kb", "check", "--kb", str(d), "--strict"]) == 1
    capsys.readouterr()
    assert main(["kb", "check", "--kb", str(d), "--only", "no-source-date", "--counts"]) == 0
    out = capsys.readouterr().out
    assert "no-source-date: tennyu" in out and "contradiction:" not in out and "count: procedures=2" in out


def test_the_shipped_base_has_no_contradiction_and_no_unmarked_secondary_source() -> None:
    report = audit(load(Path(__file__).resolve().parents[1] / "knowledge" / "data"), TODAY)
    assert not report.of("contradiction"), [f.line() for f in report.of("contradiction")]
    assert not report.of("unmarked-secondary"), [f.line() for f in report.of("unmarked-secondary")]


def test_the_shipped_base_records_source_dates_where_known() -> None:
    """Not one date stamped on everything: the sources' dates differ, and several are old."""
    kb = load(Path(__file__).resolve().parents[1] / "knowledge" / "data")
    dates = {e.source_date for e in kb.entries() if e.source_date is not None}
    assert len(dates) >= 10
    assert min(dates) < dt.date(2020, 1, 1)


def test_faq_answers_take_phone_numbers_and_hours_from_the_office(tmp_path: Path) -> None:
    """One fact in one place: ``{{phone:ID}}`` in an FAQ answer is the office's (or window's) number."""
    faqs = FAQS.replace("戸籍謄本は1通450円です。",
                        "戸籍謄本は1通450円です。区民課({{phone:kawasaki-kumin}})、代表{{phone:kawasaki-kuyakusho}}。")
    kb = load(_base(tmp_path, faqs=faqs))
    assert kb.faqs["faq-koseki-fee"].answer.endswith("区民課(044-201-3130)、代表044-201-3113。")
    assert not audit(kb, TODAY).of("unstructured-phone")


@pytest.mark.parametrize("ref", ["{{phone:no-such-office}}", "{{hours:kawasaki-kumin}}", "{{fax:kawasaki-kuyakusho}}"])
def test_a_bad_fact_reference_is_a_load_error(tmp_path: Path, ref: str) -> None:
    from knowledge.errors import KnowledgeError

    d = _base(tmp_path, faqs=FAQS.replace("戸籍謄本は1通450円です。", f"戸籍謄本は1通450円です。{ref}"))
    with pytest.raises(KnowledgeError) as exc:
        load(d)
    assert any(p.entry_id == "faq-koseki-fee" and p.field == "answer" for p in exc.value.problems)
