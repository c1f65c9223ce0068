"""The matcher's decisions on the small fixture base: answer, clarify, fallback, handoff, small talk."""

from __future__ import annotations

import datetime as dt

import pytest

from intents.engine import Context, Engine
from knowledge.loader import load
from tests.conftest import MINI_KB

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load(MINI_KB))


@pytest.mark.parametrize(
    ("text", "entry_id"),
    [
        pytest.param("住民票いくら？", "juminhyo", id="blunt-fee"),
        pytest.param("じゅうみんひょう いくら", "juminhyo", id="kana-for-kanji"),
        pytest.param("ｼﾞｭｳﾐﾝﾋｮｳ取りたい", "juminhyo", id="halfwidth-kana"),
        pytest.param("土曜日に転入届って出せますか", "tennyu", id="saturday-moving-in"),
        pytest.param("犬を飼い始めたんですが登録は？", "inu-toroku", id="dog"),
        pytest.param("中原区役所の電話番号", "nakahara-kuyakusho", id="office-phone"),
        pytest.param("武蔵小杉の区役所の住所", "nakahara-kuyakusho", id="station-implies-office"),
        pytest.param("川崎市に引っ越してきたら何をすればいい", "moving-in", id="life-event"),
    ],
)
def test_answers_the_right_entry(engine: Engine, text: str, entry_id: str) -> None:
    """Everyday phrasings reach the right entry first."""
    reply = engine.respond(text, Context(now=NOW))
    assert reply.kind == "answer", reply
    assert reply.answer is not None and reply.answer.entry_id == entry_id


@pytest.mark.parametrize("text", ["明日の天気は", "おすすめのラーメン屋", "株価の見通しを教えて", "asdfgh"])
def test_out_of_scope_falls_back(engine: Engine, text: str) -> None:
    """Questions outside the base get a fallback with the contact center, never a confident answer."""
    reply = engine.respond(text, Context(now=NOW))
    assert reply.kind == "fallback"
    assert reply.answer is None
    assert "044-200-3939" in reply.text


def test_fee_focus_shows_fee_and_marks_unverified(engine: Engine) -> None:
    """A fee question shows the fee line, and an unverified fee says where to confirm it."""
    reply = engine.respond("住民票の手数料", Context(now=NOW))
    assert reply.answer is not None
    assert "【手数料】" in reply.answer.text
    assert "044-200-3939" in reply.answer.text


def test_window_without_ward_asks_which_ward(engine: Engine) -> None:
    """The same window in several wards, and no ward known: ask which ward."""
    reply = engine.respond("区民課の場所", Context(now=NOW))
    assert reply.kind in ("clarify", "answer")
    if reply.kind == "clarify":
        assert reply.clarify is not None and "中原区" in reply.clarify.options


def test_ward_from_session_picks_the_ward_office(engine: Engine) -> None:
    """A ward remembered from the session prefers that ward's office."""
    reply = engine.respond("区役所の電話番号", Context(now=NOW, ward="高津区"))
    assert reply.answer is not None and reply.answer.entry_id == "takatsu-kuyakusho"


def test_handoff_and_smalltalk(engine: Engine) -> None:
    """Asking for a person is a handoff; a greeting is small talk."""
    assert engine.respond("オペレーターと話したい", Context(now=NOW)).kind == "handoff"
    assert engine.respond("こんにちは", Context(now=NOW)).kind == "smalltalk"


def test_follow_up_keeps_the_topic(engine: Engine) -> None:
    """"土曜は？" after a procedure answers that procedure's Saturday availability."""
    reply = engine.respond("土曜は？", Context(now=NOW, topic="tennyu"))
    assert reply.answer is not None and reply.answer.entry_id == "tennyu"
    assert "土曜" in reply.answer.text


def test_life_event_answer_is_a_checklist(engine: Engine) -> None:
    """A life event answers with its procedures in order."""
    reply = engine.respond("川崎市に引っ越してきたら何をすればいい", Context(now=NOW))
    assert reply.answer is not None
    assert reply.answer.checklist[0].startswith("1. 転入届")


def test_explanation_lists_matched_terms(engine: Engine) -> None:
    """Candidates carry the query terms that matched them."""
    reply = engine.respond("犬の登録", Context(now=NOW))
    assert "犬" in reply.candidates[0].matched


@pytest.fixture(scope="module")
def city() -> Engine:
    """The matcher over the shipped Kawasaki base (with its user dictionary)."""
    from knowledge.loader import SHIPPED_DIR

    return Engine(load(SHIPPED_DIR))


@pytest.mark.parametrize(
    ("text", "entry_id"),
    [
        pytest.param("住民漂を取りたい", "juminhyo", id="ime-slip"),
        pytest.param("課税証名書 ほしい", "zei-shomei", id="slip-breaking-a-word-into-scraps"),
        pytest.param("しょうにいりょうしょう なくした", "shoni-iryo", id="kana-without-conversion"),
        pytest.param("How do I register my dog?", "inu-toroku", id="english"),
        pytest.param("Where can I get a seal registration certificate?", "inkan-shomei", id="english-phrase"),
        pytest.param("How do I register my address after moving to Kawasaki?", "tennyu", id="english-moving-in"),
        pytest.param("ハンコの登録したい", "inkan-toroku", id="issue-example-hanko"),
        pytest.param("川崎に引っ越してきた 何をすればいい", "moving-in", id="checklist-means-life-event"),
        pytest.param("高津区役所 区民課 どこ", "takatsu-kuyakusho-kumin", id="window-of-a-named-office"),
    ],
)
def test_city_answers(city: Engine, text: str, entry_id: str) -> None:
    """Slips, kana, English and checklist questions reach the right entry of the shipped base first."""
    reply = city.respond(text, Context(now=NOW))
    assert reply.candidates[0].entry_id == entry_id, reply.candidates[:3]


def test_words_that_ask_are_not_the_topic(city: Engine) -> None:
    """いつ, だれ, 何曜, 何回 … say what is asked: coverage leaves them out, whichever entry asks the same way."""
    from intents.cues import asks

    assert asks("何曜") and asks("何回") and not asks("何") and not asks("年")
    u = city.understand("空き缶は何曜日に出す")
    topic = [t for t in u.terms if not city._is_cue(t)]
    assert "空き缶" in topic and "何曜" not in topic
    assert city._is_cue(city._terms("いつ")[0]) and city._is_cue(city._terms("だれ")[0])


@pytest.mark.parametrize(("text", "entry_id"), [("空き缶は何曜日", "gomi-bunbetsu"),
                                                ("学童って何時まで預かってくれる", "faq-wakuwaku-plaza")])
def test_an_entry_that_only_asks_the_same_way_is_not_the_answer(shipped_fused: Engine, text: str,
                                                                entry_id: str) -> None:
    """The service's matcher (fused): 動物愛護センターは何曜日に開いていますか shares only 何曜日 with
    「空き缶は何曜日」, and くれる (預かってくれる) is no topic word: the answer is the topic's entry."""
    reply = shipped_fused.respond(text, Context(now=NOW))
    assert reply.kind == "answer" and reply.answer is not None and reply.answer.entry_id == entry_id, \
        reply.candidates[:3]


@pytest.mark.parametrize(("text", "place"), [("東京都の保育園の申し込み", "東京都"), ("埼玉県庁の場所", "埼玉県"),
                                           ("大阪府の粗大ごみ", "大阪府")])
def test_another_prefecture_is_not_answered(city: Engine, text: str, place: str) -> None:
    """Another prefecture owning what is asked is not this city's business; 神奈川県 (its passport centre)
    and a prefecture one moves to are."""
    reply = city.respond(text, Context(now=NOW))
    assert reply.kind == "fallback" and place in reply.text and "044-200-3939" in reply.text
    assert city.understand("神奈川県のパスポートセンター").entities.elsewhere is None
    assert city.understand("東京都に引っ越すので転出届").entities.elsewhere is None


@pytest.mark.parametrize("text", ["横浜市の実家に住民票を移す", "北海道の実家に住民票を移す"])
def test_a_municipality_of_the_citizens_own_people_or_places_leaves_the_question_here(city: Engine,
                                                                                      text: str) -> None:
    """横浜市の実家, 東京都の会社, 世田谷区の親: the name says where the citizen's own are, not who answers."""
    assert city.understand(text).entities.elsewhere is None
    assert city.understand("世田谷区の親を扶養に入れたい").entities.elsewhere is None
    assert city.understand("世田谷区の保育園").entities.elsewhere == "世田谷区"


def test_another_municipality_is_not_answered(city: Engine) -> None:
    """"横浜市の粗大ごみ" is another city's business: a fallback that says so, never Kawasaki's answer."""
    reply = city.respond("横浜市の粗大ごみの出し方", Context(now=NOW))
    assert reply.kind == "fallback" and reply.answer is None
    assert "横浜市" in reply.text and "044-200-3939" in reply.text
    assert city.respond("横浜に引っ越すので転出届を出したい", Context(now=NOW)).kind != "fallback"


@pytest.mark.parametrize("text", ["さいたま市の国民健康保険料はいくら", "つくば市役所の場所", "いわき市の粗大ごみ"])
def test_another_municipality_named_in_kana_is_not_answered(city: Engine, text: str) -> None:
    """Cities whose names are kana (さいたま市 …) are other municipalities too; 「うちの市の」 is not one, and
    moving from one is this city's business."""
    reply = city.respond(text, Context(now=NOW))
    assert reply.kind == "fallback" and reply.answer is None and text[:3] in reply.text
    assert city.understand("うちの市の粗大ごみ").entities.elsewhere is None
    assert city.respond("さいたま市から引っ越してきました 転入届", Context(now=NOW)).kind != "fallback"


@pytest.mark.parametrize(("text", "place"), [
    ("Where is the Yokohama City office for bulky garbage?", "Yokohama (横浜市)"),
    ("What are the library hours in Machida?", "Machida (町田市)"),
    ("Ota-ku health insurance payment", "Ota (大田区)"),
    ("Chofu's child allowance", "Chofu (調布市)"),
])
def test_another_municipality_named_in_romaji_is_not_answered(city: Engine, text: str, place: str) -> None:
    """An English question names another municipality in romaji, its ownership marked around the name
    ("in Machida", "Ota-ku", "Chofu's"): a fallback that names it, in English."""
    reply = city.respond(text, Context(now=NOW))
    assert reply.kind == "fallback" and reply.answer is None
    assert place in reply.text and "044-200-3939" in reply.text and "Sorry" in reply.text


@pytest.mark.parametrize("text", [
    "I moved from Yokohama City, what do I need to do?",
    "I am moving to Machida, which forms do I need?",
    "Tama ward office opening hours",
    "I live in Tokyo but work in Kawasaki. Can I use Kawasaki's libraries?",
])
def test_moving_between_cities_in_romaji_is_this_citys_business(city: Engine, text: str) -> None:
    """Moving from or to another city, this city's own Tama ward, and a question that names Kawasaki too are
    not about another municipality."""
    assert city.understand(text).entities.elsewhere is None


def test_a_question_that_names_this_city_too_is_answered(city: Engine) -> None:
    """「横浜市の住民ですが川崎市の図書館…」: the other city is where the citizen lives; the question is ours."""
    assert city.understand("横浜市に住んでいますが川崎市の図書館は使えますか").entities.elsewhere is None
    assert city.understand("横浜市の図書館は使えますか").entities.elsewhere == "横浜市"


def test_sudachi_synonym_groups_relate_words(city: Engine) -> None:
    """A word of the question brings the base's words of the same Sudachi synonym group (転居 → 引っ越し)."""
    assert "引っ越し" in city.understand("転居の手続き").related


def test_candidates_carry_their_features(city: Engine) -> None:
    """Each candidate shows the features behind its score (for the debug explanation)."""
    top = city.respond("住民票 いくら", Context(now=NOW)).candidates[0]
    assert {name for name, _ in top.features} == {"bm25", "coverage", "name", "bigrams"}


def test_a_repeated_question_skips_the_matcher_but_not_the_clock(city: Engine) -> None:
    """The memo keeps a question's understanding and ranking: asked again (on another day) it is a hit,
    and its answer still speaks of that day's next Saturday opening, not the first asker's."""
    text = "土曜日に転入届って出せますか"
    friday = city.respond(text, Context(now=NOW))
    hits, _ = city.memo_info()
    later = city.respond(text, Context(now=NOW + dt.timedelta(days=14)))
    assert city.memo_info()[0] == hits + 1
    assert friday.answer is not None and later.answer is not None
    assert friday.answer.entry_id == later.answer.entry_id == "tennyu"
    assert "11月28日" in friday.answer.text and "11月28日" not in later.answer.text, later.answer.text


def test_the_memo_keeps_questions_apart_by_known_ward(engine: Engine) -> None:
    """The same words with another ward remembered from the session are another question."""
    first = engine.respond("区役所の電話番号", Context(now=NOW, ward="高津区"))
    second = engine.respond("区役所の電話番号", Context(now=NOW, ward="中原区"))
    assert first.answer is not None and first.answer.entry_id == "takatsu-kuyakusho"
    assert second.answer is not None and second.answer.entry_id == "nakahara-kuyakusho"


def test_the_memo_changes_no_reply() -> None:
    """With the memo off, every reply of the fixture base's questions is the same, field for field."""
    memo, plain = Engine(load(MINI_KB)), Engine(load(MINI_KB), memo_size=0)
    texts = ["住民票いくら？", "土曜日に転入届って出せますか", "区民課の場所", "明日の天気は", "中原区です"]
    for text in texts * 2:
        for ward in (None, "中原区"):
            assert memo.respond(text, Context(now=NOW, ward=ward)) == plain.respond(text, Context(now=NOW, ward=ward))
    assert memo.memo_info() == (len(texts) * 2, len(texts) * 2) and plain.memo_info() == (0, 0)


@pytest.mark.parametrize("text", ["海外転勤になった 住民票を抜く手続き", "横浜市青葉区役所は何時まで",
                                  "出産後に助産院に泊まれますか", "ポケモンの最新作"])
def test_a_word_the_dictionary_knows_is_not_corrected(city: Engine, text: str) -> None:
    """A word of three or more characters that Sudachi knows (転勤, 青葉区, 助産院, 最新作) is what the citizen
    meant, even when the base does not have it: never "corrected" into a base word one character away
    (転出, 青幸区, 助産師, 最新号)."""
    from intents.normalize import normalize

    assert city.understand(text).rewritten == city.synonyms.rewrite(normalize(text))
