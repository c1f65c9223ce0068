"""What an answer says: every asked aspect gets a sentence, nothing unverified is denied, nothing is said
twice; and the decisions around it (chatter, routes, a life event and its own procedure, holidays,
kana typed for a kanji). Checked over the whole shipped base, not on chosen examples."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from intents.compose import ASPECTS, compose, dedupe_sentences
from intents.engine import Context, Engine, Reply
from intents.english_answer import english_answer
from knowledge.loader import SHIPPED_DIR, load
from tests.conftest import NOW

KB = load(SHIPPED_DIR)
ENGINE = Engine(KB, memo_size=0)
CTX = Context(now=dt.datetime.fromisoformat(NOW))

ASKED = {
    "where": ("{}はどこで手続きできますか", "【窓口】"),
    "fee": ("{}の手数料はいくら", "【手数料】"),
    "bring": ("{}の持ち物は", "【持ち物】"),
    "deadline": ("{}の期限は", "【期限】"),
    "convenience": ("{}はコンビニで取れますか", "【コンビニ】"),
    "online": ("{}はオンラインでできますか", "【オンライン等】"),
    "saturday": ("{}は土曜日にできますか", "【土曜開庁】"),
}
_SENTENCES = re.compile(r"[^。\n]+")
_DENIALS = ("取り扱っていません", "できません", "いいえ", "開いていません")


def message(reply: Reply) -> str:
    return reply.answer.text if reply.answer else reply.clarify.question if reply.clarify else reply.text


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCES.findall(text) if s.strip()]


def test_the_aspects_asked_about_are_the_ones_composed() -> None:
    assert set(ASKED) == set(ASPECTS) - {"summary"}


@pytest.mark.parametrize("aspect", sorted(ASKED))
def test_every_procedure_answers_every_aspect_with_a_sentence_about_it(aspect: str) -> None:
    """Procedure × aspect over the shipped base: never an empty message, a line about that aspect (the fact
    or 未確認です and where to confirm), no sentence said twice, the contact center named once at most, no
    denial of an unverified fact."""
    template, label = ASKED[aspect]
    problems = []
    for p in KB.procedures.values():
        question = template.format(p.name)
        reply = ENGINE.respond(question, CTX)
        text = message(reply)
        said = sentences(text)
        if not text.strip():
            problems.append(f"{question}: empty")
        elif len(said) != len(set(said)):
            problems.append(f"{question}: repeats {next(s for s in said if said.count(s) > 1)}")
        elif text.count("044-200-3939") > 1:
            problems.append(f"{question}: sends the citizen to the contact center twice")
        if reply.answer is not None and reply.answer.entry_id == p.id:
            if label not in text:
                problems.append(f"{question}: no {label} line")
            unsure = p.certainty == "unverified" or aspect in p.unverified
            if unsure and any(d in line for line in text.split("\n") if label in line for d in _DENIALS):
                problems.append(f"{question}: denies from unverified data")
            if label in text and not any(line.startswith(label) and len(line) > len(label)
                                         for line in text.split("\n")):
                problems.append(f"{question}: the {label} line says nothing")
    assert not problems, "\n".join(problems[:20])


OFFICE_LABELS = {"where": "【所在地】", "phone": "【電話】", "hours": "【受付時間】"}


@pytest.mark.parametrize("aspect", sorted(OFFICE_LABELS))
def test_every_office_answers_every_aspect_with_a_line_about_it(aspect: str) -> None:
    """Office × aspect (where, phone, hours) over the shipped base, composed: a line about that aspect, the
    fact or that it is not known here with a way to ask (the office's phone or the contact center); no
    sentence twice; "確認中" only for a fact the answer shows."""
    label = OFFICE_LABELS[aspect]
    problems = []
    for o in KB.offices.values():
        text = compose(KB, o, (aspect,)).text
        said = sentences(text)
        labels = (label, "【アクセス】") if aspect == "where" else (label,)  # the way there tells where, too
        line = next((x for x in text.split("\n") if x.startswith(labels)), None)
        if line is None or len(line) <= len(label):
            problems.append(f"{o.id} {aspect}: no {label} line")
        elif "できていません" in line and not (o.phone or "044-200-3939" in text):
            problems.append(f"{o.id} {aspect}: not known, and no way to ask")
        if len(said) != len(set(said)):
            problems.append(f"{o.id} {aspect}: repeats a sentence")
    assert not problems, "\n".join(problems[:20])


EN_OFFICE_LABELS = {"where": ("Address", "Getting there"), "phone": ("Phone:",), "hours": ("Hours",)}


@pytest.mark.parametrize("aspect", sorted(EN_OFFICE_LABELS))
def test_every_office_answers_every_aspect_in_english_too(aspect: str) -> None:
    """The same in English, for every office with an English text: a line about the aspect asked, the
    fact or "not confirmed here" followed by a number to call; no sentence twice."""
    labels = EN_OFFICE_LABELS[aspect]
    problems = []
    for o in KB.offices.values():
        if o.en is None:
            continue
        text = english_answer(KB, o, compose(KB, o, (aspect,)), (aspect,), ENGINE.contact).text
        lines = text.split("\n")
        line = next((x for x in lines if x.startswith(labels)), None)
        if line is None or not line.split(":", 1)[1].strip():
            problems.append(f"{o.id} {aspect}: no {labels[0]} line")
        elif "not confirmed" in line and not any(x.startswith("Phone:") and re.search(r"\d{2,4}-\d{2,4}-\d{3,4}", x)
                                                 for x in lines):
            problems.append(f"{o.id} {aspect}: not known, and no number to call")
        said = sentences(text)
        if len(said) != len(set(said)):
            problems.append(f"{o.id} {aspect}: repeats a sentence")
    assert not problems, "\n".join(problems[:20])


def test_every_office_is_known_by_its_english_name() -> None:
    """An English question that names an office by its English title ("Where is the Takatsu Pension
    Office?") reads that office, as its Japanese name would; generic names (ward office) stay generic."""
    missed = []
    for o in KB.offices.values():
        if o.en is None:
            continue
        name = re.split(r"[(,:（]", o.en.title, maxsplit=1)[0].strip()
        if name.split()[-1].lower() not in {"office", "center", "branch", "corner", "hall", "library", "line",
                                            "division", "plaza", "service", "commission", "corporation"}:
            continue
        if o.id not in ENGINE.understand(f"Where is the {name}?").entities.offices:
            missed.append(f"{o.id}: {name}")
    assert not missed, missed
    assert ENGINE.understand("Where is the administrative service corner?").entities.offices == ()


def test_an_hours_question_about_an_office_with_its_own_days_is_not_the_ward_offices() -> None:
    """"<office>は何時まで" for every office the calendar has no days for (and that is not a part of a ward
    office): the office's own entry answers, or nothing does; never the ward office's calendar."""
    from intents.opening_days import _NO_CALENDAR_KINDS

    problems = []
    for o in KB.offices.values():
        if (o.hours and o.hours.profile) or o.kind in _NO_CALENDAR_KINDS:
            continue
        reply = ENGINE.respond(f"{o.name}は何時まで", CTX)
        if reply.explain.get("route") == "opening_days":
            problems.append(f"{o.name}: {message(reply)[:60]}")
        elif reply.answer is not None and reply.answer.entry_id == o.id and "【受付時間】" not in reply.answer.text:
            problems.append(f"{o.name}: its answer has no hours line")
    assert not problems, "\n".join(problems[:20])


def test_an_unverified_no_is_not_stated_as_a_no() -> None:
    """Saturday marked unverified with the value False: the answer says it is not confirmed, and where to ask."""
    p = next(p for p in KB.procedures.values() if p.saturday is False)
    unsure = p.model_copy(update={"unverified": (*p.unverified, "saturday")})
    text = compose(KB, unsure, ("saturday",)).text
    assert "未確認" in text and "取り扱っていません" not in text and "044-200-3939" in text


def test_a_sentence_is_said_once() -> None:
    assert dedupe_sentences("A です。B です。\nA です。\n\nC です。B です") == "A です。B です。\nC です。"


@pytest.mark.parametrize("question", ["最近ついてない", "なんか眠い", "お腹すいた", "疲れた…", "暇だなあ"])
def test_chatter_is_not_answered_from_the_base(question: str) -> None:
    reply = ENGINE.respond(question, CTX)
    assert reply.kind == "fallback" and reply.answer is None and reply.explain.get("out_of_scope") == "chatter"


@pytest.mark.parametrize("question", ["死にたい", "もう消えたい", "生きるのがつらいです", "自殺したいと思ってしまう",
                                      "I want to die"])
def test_words_of_suicide_get_the_lines_that_listen_first(question: str) -> None:
    """Whatever the ranking says (the base's words for 死 are a dog's death and the death registration)."""
    reply = ENGINE.respond(question, CTX)
    assert reply.kind == "answer" and reply.answer is not None and reply.answer.entry_id == "faq-kokoro-soudan"
    assert "044-733-4343" in message(reply) and "119" in message(reply) and reply.explain["route"] == "crisis"
    asked = ENGINE.respond(f"{question} 人と話したい", CTX)
    assert asked.kind == "handoff" and "044-733-4343" in asked.text  # a person, and the lines meanwhile


def test_a_death_that_is_not_ones_own_is_still_a_procedure() -> None:
    for question, entry in (("犬が死んだ", "inu-shibou"), ("父が死亡した 手続き", "death")):
        reply = ENGINE.respond(question, CTX)
        assert reply.answer is not None and reply.answer.entry_id == entry, question
        assert reply.explain.get("route") != "crisis"


def test_without_the_lines_in_the_base_words_of_suicide_go_to_a_person() -> None:
    from tests.conftest import MINI_KB

    reply = Engine(load(MINI_KB), memo_size=0).respond("死にたい", CTX)
    assert reply.kind == "handoff" and "119" in reply.text and "044-200-3939" in reply.text


@pytest.mark.parametrize("question", ["明日の天気は？", "今夜は雪が降りそう？", "溝の口でおすすめの居酒屋ある？",
                                      "登戸の寿司屋どこ", "What's the weather like in Kawasaki today?"])
def test_a_forecast_or_a_restaurant_is_another_services_question(question: str) -> None:
    reply = ENGINE.respond(question, CTX)
    assert reply.kind == "fallback" and reply.explain.get("out_of_scope") == "other_topic", question
    assert ("天気" in message(reply) or "weather" in message(reply)) and "044-200-3939" in message(reply)


@pytest.mark.parametrize(("question", "entry"), [("ビニール傘 捨てたい", "faq-gomi-kasa"),
                                                 ("傘を粗大ごみで出せる？", "faq-gomi-kasa")])
def test_the_citys_own_questions_about_umbrellas_weather_and_shops_stay(question: str, entry: str) -> None:
    reply = ENGINE.respond(question, CTX)
    assert reply.answer is not None and reply.answer.entry_id == entry, question
    for text in ("ランチタイムも窓口やってる？", "天気が悪い日の粗大ごみ", "ラーメン屋を開業したい 営業許可"):
        assert ENGINE.respond(text, CTX).explain.get("out_of_scope") is None, text


@pytest.mark.parametrize("question", ["風邪の治し方", "熱が38度ある", "頭痛がひどい 何の病気？", "I have a fever"])
def test_medical_advice_is_a_doctors_question(question: str) -> None:
    reply = ENGINE.respond(question, CTX)
    assert reply.kind == "fallback" and reply.explain.get("out_of_scope") == "medical", question
    assert "044-200-3939" in message(reply)


def test_the_medical_reply_points_to_a_question_the_base_answers() -> None:
    """The reply sends the citizen to ask 「救急の相談先」 / "Should I call an ambulance?": both must find the
    base's emergency-advice entries."""
    for question in ("救急の相談先", "Should I call an ambulance?"):
        reply = ENGINE.respond(question, CTX)
        assert reply.answer is not None and reply.answer.entry_id.startswith("faq-kyukyu"), question
    assert '"Should I call an ambulance?"' in ENGINE.respond("I have a fever", CTX).text


@pytest.mark.parametrize("question", ["スマホが壊れた", "Wi-Fiのパスワード忘れた", "パソコンが動かない",
                                      "LINEにログインできない", "My phone is broken"])
def test_the_citizens_own_device_in_trouble_is_its_makers_question(question: str) -> None:
    """「スマホが壊れた」 had been answered with the road and park repairs: a device, a connection or an app in
    trouble is for its maker or provider."""
    reply = ENGINE.respond(question, CTX)
    assert reply.kind == "fallback" and reply.explain.get("out_of_scope") == "device", question
    assert ("メーカー" in message(reply) or "maker" in message(reply)) and "044-200-3939" in message(reply)


@pytest.mark.parametrize(("question", "entry"), [("スマホでマイナンバーカードを申請したい", "mynumber-apply"),
                                                 ("マイナンバーカードの暗証番号を忘れた", "mynumber-pin-reset"),
                                                 ("パソコンの捨て方", "faq-gomi-pc")])
def test_a_device_with_a_city_service_stays_the_citys(question: str, entry: str) -> None:
    reply = ENGINE.respond(question, CTX)
    assert reply.explain.get("out_of_scope") is None, question
    assert reply.answer is not None and reply.answer.entry_id == entry, question


def test_a_fever_on_a_health_check_day_is_still_the_citys() -> None:
    reply = ENGINE.respond("健診の日に子どもが熱を出したら別の日に変えられますか", CTX)
    assert reply.answer is not None and reply.answer.entry_id == "faq-nyuyoji-kenshin-henko"


@pytest.mark.parametrize("question", ["てすと", "テスト。", "ｔｅｓｔ", "ぬのぬのぬの", "ははははは", "aaaa"])
def test_a_test_message_or_a_repeated_group_is_not_read_as_a_question(question: str) -> None:
    reply = ENGINE.respond(question, CTX)
    assert reply.kind == "fallback" and reply.answer is None and reply.explain.get("out_of_scope") == "noise"
    text = message(reply)
    assert ("読み取れません" in text or "could not read" in text) and "044-200-3939" in text


@pytest.mark.parametrize("question", ["武蔵小杉から渋谷までの行き方", "新宿から溝の口まで何分",
                                      "川崎駅から横浜駅への乗り換え"])
def test_a_route_between_two_places_is_not_answered(question: str) -> None:
    reply = ENGINE.respond(question, CTX)
    assert reply.kind == "fallback" and reply.explain.get("out_of_scope") == "route"


def test_the_way_to_a_city_office_is_still_answered() -> None:
    reply = ENGINE.respond("武蔵小杉駅から中原区役所までの行き方", CTX)
    assert reply.kind == "answer" and reply.answer is not None and reply.answer.entry_id == "nakahara-kuyakusho"


def test_a_life_event_and_its_own_procedure_are_not_offered_as_a_choice() -> None:
    """Where the two best are a life event and one of its steps, the life event (which lists the step) is
    the answer: a choice between them would say the same thing twice."""
    problems = []
    for event in KB.life_events.values():
        for step in event.steps:
            top = ENGINE.respond(event.name, CTX)
            if top.kind == "clarify" and top.candidates[:2] and {c.entry_id for c in top.candidates[:2]} == {
                    event.id, step.procedure}:
                problems.append(event.name)
    assert not problems
    reply = ENGINE.respond("子供が生まれた", CTX)
    assert reply.kind == "answer" and reply.answer is not None and reply.answer.entry_id == "birth"


@pytest.mark.parametrize(("question", "day"), [("祝日は休み？", "11月23日"), ("祝日って区役所あいてる？", "11月23日"),
                                                ("日曜日は開いてますか", "11月22日")])
def test_a_kind_of_day_is_answered_for_the_next_such_day(question: str, day: str) -> None:
    """Not today's hours: the next holiday (2026-11-23, 勤労感謝の日) or Sunday, and that it is closed."""
    reply = ENGINE.respond(question, CTX)
    assert reply.kind == "answer" and day in message(reply) and "閉庁" in message(reply)


@pytest.mark.parametrize(("typed", "entry"), [("いん鑑登録", "inkan-toroku"), ("印かん証明", "inkan-shomei"),
                                              ("戸せき謄本", "koseki-shomei"), ("こん姻届", "konin"),
                                              ("住民ひょう", "juminhyo")])
def test_a_kanji_typed_in_kana_is_read_as_the_word(typed: str, entry: str) -> None:
    reply = ENGINE.respond(typed, CTX)
    assert reply.kind == "answer" and reply.answer is not None and reply.answer.entry_id == entry


def test_okurigana_next_to_kanji_are_left_alone() -> None:
    """Ordinary kana after kanji (とき, どう, して) are not taken for a misspelt kanji."""
    for text in ("出生届を出すとき印鑑いりますか", "住民票どうしたらいい", "入籍して引っ越しもする"):
        assert ENGINE.understand(text).rewritten.replace("?", "？") == ENGINE._rewrite(
            __import__("intents.normalize", fromlist=["normalize"]).normalize(text)).replace("?", "？")


@pytest.mark.parametrize("place", ["コンビニ", "出張所", "行政サービスコーナー"])
def test_a_no_at_a_kind_of_place_rests_on_confirmed_data(place: str) -> None:
    """「XはPでできますか」 for every procedure: いいえ only where the procedure is not unverified and the field
    behind the no (コンビニ: convenience_store, else office_kinds) is not marked unverified; never empty."""
    field = "convenience_store" if place == "コンビニ" else "office_kinds"
    problems = []
    for p in KB.procedures.values():
        reply = ENGINE.respond(f"{p.name}は{place}でできますか", CTX)
        text = message(reply)
        if not text.strip():
            problems.append(f"{p.id}@{place}: empty")
        if "いいえ" in text and reply.answer is not None and reply.answer.entry_id == p.id and (
                p.certainty == "unverified" or field in p.unverified):
            problems.append(f"{p.id}@{place}: いいえ from {p.certainty} data")
    assert not problems, "\n".join(problems[:20])


def test_an_unconfirmed_no_becomes_not_known_with_where_to_ask() -> None:
    """The same procedure, once with its data confirmed and once marked unverified: いいえ only the first time."""
    from intents.availability import availability_answer
    from intents.compose import contact_point

    p = next(p for p in KB.procedures.values() if not p.convenience_store and p.certainty == "confirmed")
    cp = contact_point(KB)
    sure = availability_answer(KB, p, "コンビニ", None, None, cp)
    unsure = availability_answer(KB, p.model_copy(update={"unverified": ("convenience_store",)}), "コンビニ",
                                 None, None, cp)
    assert sure is not None and sure.text.startswith("いいえ")
    assert unsure is not None and "いいえ" not in unsure.text and "確認できていません" in unsure.text
    assert "044-200-3939" in unsure.text
