"""BM25F ranking over token fields."""

from __future__ import annotations

from intents.index import BM25Index


def test_rarer_terms_and_title_fields_rank_higher() -> None:
    """A document matching the rare term in its title outranks one matching a common term in its body."""
    index = BM25Index(
        [
            {"title": ["住民票"], "body": ["証明", "区役所"]},
            {"title": ["印鑑登録"], "body": ["区役所", "住民票"]},
            {"title": ["犬"], "body": ["区役所"]},
        ]
    )
    hits = index.search(["住民票", "区役所"])
    assert [h.doc for h in hits[:2]] == [0, 1]
    assert hits[0].matched == {"住民票", "区役所"}
    assert index.idf("区役所") < index.idf("住民票")
    assert index.idf("未知語") == index.max_idf


def test_boosts_scale_term_weights_and_unknown_terms_match_nothing() -> None:
    """Boosted terms weigh more; a query of unknown terms returns no hits."""
    index = BM25Index([{"title": ["a"]}, {"title": ["b"]}])
    assert index.search(["a", "b"], boosts={"b": 2.0})[0].doc == 1
    assert index.search(["zzz"]) == []
