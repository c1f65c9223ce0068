"""The Sudachi user dictionary of the knowledge base's terms: single tokens, built once, reused, optional."""

from __future__ import annotations

from pathlib import Path

import pytest

from intents import userdict
from intents.synonyms import Synonyms
from intents.tokenize import Tokenizer
from intents.userdict import city_terms, kana_spellings, lexicon_rows, shadowed_words, user_dictionary
from knowledge.loader import SHIPPED_DIR, KnowledgeBase, load
from tests.conftest import MINI_KB


@pytest.fixture(scope="module")
def shipped() -> KnowledgeBase:
    return load(SHIPPED_DIR)


@pytest.fixture(scope="module")
def synonyms() -> Synonyms:
    return Synonyms.load()


@pytest.fixture(scope="module")
def city_tokenizer(shipped: KnowledgeBase, synonyms: Synonyms) -> Tokenizer:
    """The shipped base's dictionary from the default cache (built there once, shared with the eval gate)."""
    path = user_dictionary(shipped, synonyms)
    assert path is not None and path.is_file()
    return Tokenizer((path,))


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        pytest.param("行政サービスコーナー", "行政サービスコーナー", id="office-kind"),
        pytest.param("地域みまもり支援センター", "地域みまもり支援センター", id="window"),
        pytest.param("保険年金課", "保険年金課", id="window-split-by-sudachi"),
        pytest.param("中原区役所", "中原区役所", id="office"),
        pytest.param("マイナンバーカードセンター", "マイナンバーカードセンター", id="center"),
        pytest.param("印鑑登録証明書", "印鑑登録証明書", id="procedure-alias"),
        pytest.param("粗大ごみ受付センター", "粗大ごみ受付センター", id="office-with-kana"),
        pytest.param("ぼしてちょう", "母子手帳", id="kana-alias"),
        pytest.param("しょうにいりょうしょう", "小児医療証", id="kana-spelling"),
    ],
)
def test_city_terms_are_single_tokens(city_tokenizer: Tokenizer, text: str, normalized: str) -> None:
    """A city term is one token with the base's wording as its normalised form."""
    tokens = city_tokenizer.tokens(text)
    assert [(t.surface, t.normalized) for t in tokens] == [(text, normalized)]


def test_every_registered_term_is_a_single_token(city_tokenizer: Tokenizer, shipped: KnowledgeBase,
                                                 synonyms: Synonyms) -> None:
    """Every term the dictionary registers comes out as exactly that one token."""
    terms = city_terms(shipped, synonyms)
    terms += kana_spellings(shipped, terms, synonyms)
    terms += shadowed_words(shipped, terms, synonyms)
    assert len(terms) > 100
    wrong = [t for t in terms
             if [(x.surface, x.normalized) for x in city_tokenizer.tokens(t.surface)] != [(t.surface, t.normalized)]]
    assert not wrong, wrong[:10]


def test_a_compound_keeps_its_short_units(city_tokenizer: Tokenizer) -> None:
    """行政サービスコーナー is one token whose short units are still 行政, サービス, コーナー."""
    (token,) = city_tokenizer.tokens("行政サービスコーナー")
    assert token.parts == ("行政", "サービス", "コーナー")


def test_phrases_and_plain_words_are_not_terms(shipped: KnowledgeBase, synonyms: Synonyms) -> None:
    """Aliases that are phrases (実印を作る, 妊娠したとき) and words Sudachi already knows are not registered."""
    surfaces = {t.surface for t in city_terms(shipped, synonyms)}
    assert "行政サービスコーナー" in surfaces
    assert not {"実印を作る", "妊娠したとき", "住民票の写し", "マイナンバーカード"} & surfaces


def test_lexicon_rows_are_deterministic(shipped: KnowledgeBase, synonyms: Synonyms) -> None:
    """The same base gives the same rows, sorted, in Sudachi's 18-column source format."""
    first = lexicon_rows(city_terms(shipped, synonyms))
    second = lexicon_rows(city_terms(shipped, synonyms))
    assert first == second == sorted(first)
    assert {len(r) for r in first} == {18}


def _fake_builder(calls: list[Path]):  # type: ignore[no-untyped-def]
    def build_user_dic(system: Path, lex: list[Path], output: Path, description: str) -> list[object]:
        calls.append(output)
        output.write_bytes(b"fake dictionary")
        return []

    return build_user_dic


def test_a_built_dictionary_is_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second start with the same base reuses the file: nothing is built again, even without the index."""
    from sudachipy import sudachipy

    calls: list[Path] = []
    monkeypatch.setattr(sudachipy, "build_user_dic", _fake_builder(calls))
    kb = load(MINI_KB)
    first = user_dictionary(kb, Synonyms.load(), tmp_path)
    assert first is not None and first.read_bytes() == b"fake dictionary" and len(calls) == 1
    assert user_dictionary(kb, Synonyms.load(), tmp_path) == first
    for pointer in tmp_path.glob("source-*.txt"):  # without the source index: found again by its rows' hash
        pointer.unlink()
    assert user_dictionary(kb, Synonyms.load(), tmp_path) == first
    assert len(calls) == 1


def test_a_changed_base_gets_its_own_dictionary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Different terms give a different file name (the key is a hash of the rows)."""
    from sudachipy import sudachipy

    calls: list[Path] = []
    monkeypatch.setattr(sudachipy, "build_user_dic", _fake_builder(calls))
    a = userdict.build([["行政サービスコーナー"]], tmp_path)
    b = userdict.build([["地域みまもり支援センター"]], tmp_path)
    assert a != b and len(calls) == 2
    assert userdict.build([["行政サービスコーナー"]], tmp_path) == a and len(calls) == 2


def test_a_failed_build_falls_back_to_the_system_dictionary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When Sudachi cannot build the dictionary, a warning is logged and tokenising works without it."""
    from sudachipy import sudachipy

    def broken(**_: object) -> None:
        raise RuntimeError("no space left on device")

    warnings: list[tuple[str, dict[str, object]]] = []

    class Log:
        def warning(self, event: str, **kw: object) -> None:
            warnings.append((event, kw))

        def info(self, event: str, **kw: object) -> None:
            pass

    monkeypatch.setattr(sudachipy, "build_user_dic", broken)
    monkeypatch.setattr(userdict, "log", Log())
    monkeypatch.setenv(userdict.CACHE_ENV, str(tmp_path))
    tokenizer = Tokenizer.for_kb(load(MINI_KB))
    assert tokenizer.user_dictionaries == ()
    assert [event for event, _ in warnings] == ["userdict.unavailable"]
    assert "no space left" in str(warnings[0][1]["error"])
    assert [t.normalized for t in tokenizer.tokens("住民票")] == ["住民票"]


def test_a_term_with_latin_letters_builds(tmp_path: Path, synonyms: Synonyms) -> None:
    """A name with Latin letters ("DV相談窓口") gets no split reference, so the real Sudachi build succeeds."""
    from intents.userdict import Term

    rows = lexicon_rows([Term("DV相談窓口", "DV相談窓口"), Term("行政サービスコーナー", "行政サービスコーナー")])
    latin = next(r for r in rows if r[0] == "dv相談窓口")
    assert latin[14:16] == ["A", "*"]
    path = userdict.build(rows, tmp_path)
    assert Tokenizer((path,)).tokens("DV相談窓口に電話")[0].normalized == "DV相談窓口"
