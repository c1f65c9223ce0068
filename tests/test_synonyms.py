"""The synonym table is data: it loads, rewrites variants, never rewrites a canonical inside itself."""

from __future__ import annotations

import pytest

from intents.normalize import normalize
from intents.synonyms import SynonymError, Synonyms


@pytest.fixture(scope="module")
def synonyms() -> Synonyms:
    return Synonyms.load()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("ハンコの登録したい", "印鑑の登録したい", id="hanko"),
        pytest.param("マイナカード受け取り", "マイナンバーカード受け取り", id="myna-card"),
        pytest.param("マイナンバーカードの更新", "マイナンバーカードの更新", id="canonical-untouched"),
        pytest.param("マイナ保険証", "マイナ保険証", id="longer-canonical-wins"),
        pytest.param("粗大ゴミ", "粗大ごみ", id="katakana-gomi"),
        pytest.param("国保やめたい", "国民健康保険やめたい", id="kokuho"),
        pytest.param("市役所", "市役所", id="city-hall-not-ward-office"),
        pytest.param("マイナンバーの通知カード", "マイナンバーの通知カード", id="the-number-is-not-the-card"),
        pytest.param("マイナの更新", "マイナンバーカードの更新", id="myna-alone"),
    ],
)
def test_rewrite(synonyms: Synonyms, text: str, expected: str) -> None:
    """Citizens' variants become the city's wording."""
    assert synonyms.rewrite(normalize(text)) == expected


def test_expansions_add_implied_terms_once(synonyms: Synonyms) -> None:
    """引っ越し implies 転入・転出・転居, each added once and never duplicating a query term."""
    assert synonyms.expansions(["引っ越し", "転入"]) == ["転出", "転居"]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param([], id="not-a-mapping"),
        pytest.param({"replace": {}, "other": {}}, id="unknown-section"),
        pytest.param({"replace": {"印鑑": "ハンコ"}}, id="variants-not-a-list"),
        pytest.param({"replace": {"印鑑": ["はんこ"], "判子": ["はんこ"]}}, id="variant-under-two-canonicals"),
    ],
)
def test_malformed_tables_are_rejected(data: object) -> None:
    """A malformed synonym table fails loudly at load, naming the problem."""
    with pytest.raises(SynonymError):
        Synonyms.from_mapping(data)


def test_a_key_given_twice_is_rejected(tmp_path) -> None:
    """A canonical listed twice in the YAML file is an error, not a silent loss of the first list."""
    path = tmp_path / "syn.yaml"
    path.write_text("replace:\n  印鑑: [はんこ]\n  印鑑: [判子]\n", encoding="utf-8")
    with pytest.raises(SynonymError, match="twice"):
        Synonyms.load(path)


def test_names_kept_are_not_rewritten_inside(synonyms: Synonyms) -> None:
    """An office's name that the table would turn into something else (…等コールセンター into the contact
    center's name) is kept as written; one rewritten into another of the names (a citizen's spelling) is
    not kept."""
    names = ["川崎市がん検診・特定健診等コールセンター", "粗大ごみ受付センター", "粗大ゴミ受付センター"]
    kept = synonyms.keeping(names)
    assert kept.kept == {"川崎市がん検診・特定健診等コールセンター"}
    name = "川崎市がん検診・特定健診等コールセンター"
    assert kept.rewrite(f"{name}の電話") == f"{name}の電話"
    assert kept.rewrite("コールセンターの電話") == synonyms.rewrite("コールセンターの電話") != "コールセンターの電話"
    assert kept.rewrite("粗大ゴミ受付センター") == "粗大ごみ受付センター"
