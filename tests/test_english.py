"""English questions are turned into the knowledge base's Japanese terms by a glossary kept as data."""

from __future__ import annotations

import pytest

from intents.english import English, EnglishError
from intents.normalize import normalize


@pytest.fixture(scope="module")
def english() -> English:
    return English.load()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("How do I register my dog?", "登録 犬 ?", id="words-and-stop-words"),
        pytest.param("Where can I get a seal registration certificate?", "どこ 印鑑登録証明書 ?", id="longest-phrase"),
        pytest.param("Opening hours of Takatsu ward office", "開庁時間 高津区役所", id="ward-office"),
        pytest.param("bulky   waste", "粗大ごみ", id="phrase-across-spaces"),
        pytest.param("Dogs", "犬", id="plural-falls-back-to-singular"),
        pytest.param("住民票 いくら", "住民票 いくら", id="japanese-untouched"),
        pytest.param("住民票 copy", "住民票 写し", id="mixed"),
    ],
)
def test_translate(english: English, text: str, expected: str) -> None:
    """Known English becomes Japanese; function words go; Japanese text is left alone."""
    assert english.translate(normalize(text)) == expected


def test_unknown_english_words_are_kept(english: English) -> None:
    """A word the glossary does not know stays for Sudachi (which may read it as katakana)."""
    assert english.translate("zebra crossing") == "zebra crossing"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param([], id="not-a-mapping"),
        pytest.param({"stop": []}, id="missing-glossary"),
        pytest.param({"stop": "a", "glossary": {}}, id="stop-not-a-list"),
        pytest.param({"stop": [], "glossary": {"犬": "dog"}}, id="phrases-not-a-list"),
        pytest.param({"stop": [], "glossary": {"犬": ["dog"], "猫": ["dog"]}}, id="phrase-under-two-terms"),
    ],
)
def test_malformed_glossaries_are_rejected(data: object) -> None:
    """A malformed glossary fails loudly at load."""
    with pytest.raises(EnglishError):
        English.from_mapping(data)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("How do I register my dog?", True, id="question-with-function-words"),
        pytest.param("bulky waste collection fee", True, id="three-english-words"),
        pytest.param("PayPay", False, id="a-brand-name"),
        pytest.param("LINE Pay", False, id="two-words-no-function-word"),
        pytest.param("住民票 copy", False, id="mixed-with-japanese"),
        pytest.param("ｼﾞｭｳﾐﾝﾋｮｳ", False, id="half-width-kana"),
    ],
)
def test_is_english(english: English, text: str, expected: bool) -> None:
    """A question counts as English only without Japanese script and with English function words or several
    Latin words."""
    assert english.is_english(normalize(text)) is expected


# -- answers in English --------------------------------------------------------------------------------

import datetime as dt  # noqa: E402
from pathlib import Path  # noqa: E402

from intents.engine import Context, Engine  # noqa: E402
from intents.english_answer import ONLY_JAPANESE, SECONDARY, UNVERIFIED  # noqa: E402
from knowledge.errors import KnowledgeError  # noqa: E402
from knowledge.loader import SHIPPED_DIR, KnowledgeBase, load  # noqa: E402

CLOCK = dt.datetime.fromisoformat("2026-11-20T10:00:00+09:00")


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load(SHIPPED_DIR)


@pytest.fixture(scope="module")
def engine(kb: KnowledgeBase) -> Engine:
    return Engine(kb, memo_size=0)


def ask(engine: Engine, text: str, lang: str = "ja", topic: str | None = None):  # type: ignore[no-untyped-def]
    return engine.respond(text, Context(now=CLOCK, lang=lang, topic=topic))


def test_an_english_question_gets_the_entrys_english_text(engine: Engine, kb: KnowledgeBase) -> None:
    """An English question is answered from the entry's English text and title, in English."""
    reply = ask(engine, "How do I register my dog?")
    assert reply.kind == "answer" and reply.lang == "en" and reply.answer is not None
    entry = kb.get(reply.answer.entry_id)
    assert entry is not None and entry.en is not None
    assert reply.answer.title == entry.en.title
    assert reply.answer.text.startswith(entry.en.text)
    assert "3,000 yen" in reply.answer.text  # the fee, stated in the English text


def test_lang_en_answers_a_japanese_question_in_english(engine: Engine, kb: KnowledgeBase) -> None:
    """lang=en (the widget's English mode) gets English even for a question typed in Japanese."""
    reply = ask(engine, "犬の登録をしたい", lang="en")
    assert reply.lang == "en" and reply.answer is not None and reply.answer.entry_id == "inu-toroku"
    assert reply.answer.title == kb.procedures["inu-toroku"].en.title  # type: ignore[union-attr]
    assert ask(engine, "犬の登録をしたい").lang == "ja"


def test_an_entry_without_english_says_so_and_gives_the_japanese(engine: Engine, kb: KnowledgeBase) -> None:
    """No English text: the answer says so in English, then gives the Japanese answer and the contact center."""
    without = [f for f in kb.faqs.values() if f.en is None and f.certainty == "confirmed"]
    assert without, "every FAQ has English: pick another way to test the fallback text"
    faq = without[0]
    reply = ask(engine, faq.question, lang="en", topic=None)
    assert reply.answer is not None
    if reply.answer.entry_id != faq.id:  # the matcher may prefer another entry; test it through compose
        pytest.skip(f"{faq.question!r} is answered by {reply.answer.entry_id}")
    note = ONLY_JAPANESE.format(line=engine.contact.line("en"))
    assert reply.answer.text.startswith(note)
    assert faq.answer.split("。")[0] in reply.answer.text
    assert "044-200-3939" in reply.answer.text


@pytest.mark.parametrize(("entry_id", "hedge"), [
    pytest.param("tennyu", SECONDARY, id="secondary-source"),
    pytest.param("faq-gaichu", UNVERIFIED, id="unverified"),
])
def test_english_answers_are_hedged_like_the_japanese(engine: Engine, kb: KnowledgeBase, entry_id: str,
                                                      hedge: str) -> None:
    """A fact from a secondary source or not verified is not stated as certain in English either."""
    from intents.compose import compose
    from intents.english_answer import english_answer

    entry = kb.get(entry_id)
    assert entry is not None and entry.en is not None
    answer = english_answer(kb, entry, compose(kb, entry), (), engine.contact)
    assert hedge in answer.text and "044-200-3939" in answer.text


def test_every_english_answer_says_once_where_to_confirm(engine: Engine, kb: KnowledgeBase) -> None:
    """Over every entry with an English text and every aspect asked: an uncertain entry's answer is hedged,
    and no answer sends the citizen to the contact center twice (the entry's own text and the note)."""
    import re

    from intents.compose import compose
    from intents.english_answer import CONFIRM, english_answer

    line = engine.contact.line("en")
    to_us = re.compile(r"[Pp]lease (?:confirm|check|call|ask)[^.]*(?:contact cent(?:er|re)|044-200-3939)")
    checked = 0
    for entry in kb.entries():
        if getattr(entry, "en", None) is None:
            continue
        for foci in ((), ("fee",), ("saturday",), ("where",)):
            text = english_answer(kb, entry, compose(kb, entry), foci, engine.contact).text
            assert len(to_us.findall(text)) <= 1, (entry.id, foci, text)
            if entry.certainty == "secondary":
                assert SECONDARY in text, entry.id
            assert text.count(CONFIRM.format(line=line).strip()) <= 1, (entry.id, text)
            checked += 1
    assert checked > 400


@pytest.mark.parametrize(("text", "kind"), [
    pytest.param("What's the weather like tomorrow in Kawasaki?", "fallback", id="fallback"),
    pytest.param("I want to talk to a person", "handoff", id="handoff"),
])
def test_replies_without_an_entry_are_in_english(engine: Engine, text: str, kind: str) -> None:
    """Fallback and handoff texts are English for an English question, and give the contact center."""
    reply = ask(engine, text)
    assert reply.kind == kind and reply.lang == "en"
    assert "Thank You Call Kawasaki" in reply.text and "044-200-3939" in reply.text
    assert not any("\u3040" <= ch <= "\u30ff" for ch in reply.text)


def test_follow_up_buttons_are_english_and_understood(engine: Engine) -> None:
    """The English follow-up buttons, sent back as questions, continue the topic in English."""
    first = ask(engine, "How do I register my dog?")
    assert first.answer is not None and "What do I need to bring?" in first.follow_ups
    again = ask(engine, "What do I need to bring?", topic=first.answer.entry_id)
    assert again.kind == "answer" and again.answer is not None and again.answer.entry_id == first.answer.entry_id
    assert again.lang == "en"


def test_every_office_window_procedure_and_life_event_has_english(kb: KnowledgeBase) -> None:
    """Offices, windows, procedures and life events all have an English text, and 150 FAQs (the most asked)."""
    missing = [e.id for table in (kb.offices, kb.windows, kb.procedures, kb.life_events)  # type: ignore[attr-defined]
               for e in table.values() if e.en is None]
    assert not missing, missing
    assert sum(f.en is not None for f in kb.faqs.values()) >= 150


def test_english_text_refers_to_phone_numbers(tmp_path: Path) -> None:
    """{{phone:ID}} in an English text is filled in from the office; {{hours:ID}} (Japanese) is refused."""
    import shutil

    from tests.conftest import MINI_KB

    kb_dir = tmp_path / "kb"
    shutil.copytree(MINI_KB, kb_dir)
    faq_file = kb_dir / "faqs.yaml"
    base = load(kb_dir)
    office = next(o for o in base.offices.values() if o.phone)
    text = faq_file.read_text(encoding="utf-8")
    first_id = text.split("- id: ", 2)[1].split("\n", 1)[0].strip()
    marker = f"- id: {first_id}\n"
    en = f'  en:\n    title: "A question"\n    text: "Call {{{{phone:{office.id}}}}}."\n'
    faq_file.write_text(text.replace(marker, marker + en, 1), encoding="utf-8")
    faq = load(kb_dir).faqs[first_id]
    assert faq.en is not None and faq.en.text == f"Call {office.phone}."
    faq_file.write_text(text.replace(marker, marker + en.replace("phone:", "hours:"), 1), encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"en\.text"):
        load(kb_dir)


def test_offices_english_names_come_from_their_titles() -> None:
    """An office's English title names it ("Takatsu Pension Office (高津年金事務所, …)"), with or without
    "Kawasaki" when three words remain; a shortened name that ends another office's name, or a title that
    is not an organisation's, names nothing."""
    from intents.english import office_names

    names = office_names({
        "高津年金事務所": "Takatsu Pension Office (高津年金事務所, Japan Pension Service)",
        "川崎消費者センター": "Kawasaki Consumer Affairs Center (consumer advice)",
        "川崎行政サービスコーナー": "Kawasaki Administrative Service Corner (川崎行政サービスコーナー)",
        "登戸行政サービスコーナー": "Noborito Administrative Service Corner (登戸行政サービスコーナー)",
        "県の窓口": "Kanagawa Prefecture phone line for male victims of DV",
        "川崎生活環境事業所": "Kawasaki Environment Office (川崎生活環境事業所)",
    })
    assert names["takatsu pension office"] == "高津年金事務所"
    assert names["consumer affairs center"] == names["kawasaki consumer affairs center"] == "川崎消費者センター"
    assert "administrative service corner" not in names and "environment office" not in names
    assert names["noborito administrative service corner"] == "登戸行政サービスコーナー"
    assert not any(v == "県の窓口" for v in names.values())
    english = English.load().with_names(names)
    assert english.translate("where is the takatsu pension office?") == "どこ 高津年金事務所 ?"
    assert english.translate("ward office hours") == English.load().translate("ward office hours")
