"""Personal-data masking: the corpus, each rule alone, allow-lists and properties."""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from contact.masking import (
    DEFAULT_PUBLIC_PHONES,
    RULES,
    TOKENS,
    Masker,
    MaskResult,
    Rule,
    fold,
    luhn_ok,
    mask,
    normalise_phone,
)

CORPUS_PATH = Path(__file__).parent / "data" / "masking_corpus.yaml"
CORPUS: dict[str, Any] = yaml.safe_load(CORPUS_PATH.read_text(encoding="utf-8"))
EXAMPLES: list[dict[str, str]] = CORPUS["examples"]
CORPUS_MASKER = Masker(CORPUS["public_phones"], public_addresses=CORPUS["public_addresses"])
RULES_BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES}


def _corpus_ids() -> list[str]:
    seen: Counter[str] = Counter()
    ids = []
    for example in EXAMPLES:
        seen[example["kind"]] += 1
        ids.append(f"{example['kind']}-{seen[example['kind']]:02d}")
    return ids


class TestCorpus:
    """The YAML corpus of positives and negatives."""

    @pytest.mark.parametrize("example", EXAMPLES, ids=_corpus_ids())
    def test_example(self, example: dict[str, str]) -> None:
        """Each corpus text masks to exactly its expected text."""
        assert CORPUS_MASKER.mask(example["text"]) == example["expected"]

    def test_size_and_balance(self) -> None:
        """The corpus has at least 120 examples, 40 of them negatives."""
        negatives = [e for e in EXAMPLES if e["kind"].startswith("negative")]
        assert len(EXAMPLES) >= 120
        assert len(negatives) >= 40

    def test_negatives_expect_their_own_text(self) -> None:
        """A negative example's expected text is its input, unchanged."""
        assert all(e["expected"] == e["text"] for e in EXAMPLES if e["kind"].startswith("negative"))

    def test_every_kind_of_personal_data_is_covered(self) -> None:
        """Every token appears in some expected text of the corpus."""
        expected = "".join(e["expected"] for e in EXAMPLES if not e["kind"].startswith("negative"))
        assert all(token in expected for token in TOKENS)

    @pytest.mark.parametrize("example", EXAMPLES, ids=_corpus_ids())
    def test_idempotent(self, example: dict[str, str]) -> None:
        """Masking a corpus text twice gives the same result as masking it once."""
        once = CORPUS_MASKER.mask(example["text"])
        assert CORPUS_MASKER.mask(once) == once


RULE_CASES = [
    ("email", "送り先はtaro@example.jpです", "送り先は＜メール＞です"),
    ("email", "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", "＜メール＞"),
    ("email", "@だけ、a@b、x@localhost", "@だけ、a@b、x@localhost"),
    ("card", "4111 1111 1111 1111", "＜カード番号＞"),
    ("card", "4111111111111112", "4111111111111112"),
    ("card", "1234-5678-9012-3456", "＜カード番号＞"),
    ("mynumber", "1234 5678 9012", "＜個人番号＞"),
    ("mynumber", "12345678901", "12345678901"),
    ("phone", "044(222)3456", "＜電話番号＞"),
    ("phone", "+81 90 1234 5678", "＜電話番号＞"),
    ("phone", "2026-12-12", "2026-12-12"),
    ("phone", "012-345-678", "012-345-678"),
    ("phone_local", "電話は222-3456", "電話は＜電話番号＞"),
    ("phone_local", "受付番号は222-3456", "受付番号は222-3456"),
    ("postal_mark", "〒211-0004", "＜郵便番号＞"),
    ("postal_mark", "〒211-00045", "〒211-00045"),
    ("postal_label", "郵便番号は2110004", "郵便番号は＜郵便番号＞"),
    ("postal_bare", "211-0004 川崎市", "＜郵便番号＞ 川崎市"),
    ("postal_bare", "211-0004です", "211-0004です"),
    ("house_number", "中原区小杉町1-403", "中原区小杉町＜住所＞"),
    ("house_number", "小杉町1丁目2番3号", "小杉町1丁目＜住所＞"),
    ("house_number", "小杉町3丁目", "小杉町3丁目"),
    ("house_number", "会議室3-1", "会議室3-1"),
    ("name_self", "私は山田です", "私は＜氏名＞です"),
    ("name_self", "私は学生です", "私は学生です"),
    ("name_humble", "山田太郎と申します", "＜氏名＞と申します"),
    ("name_called", "、山田といいます", "、＜氏名＞といいます"),
    ("name_called", "これは転入届といいます", "これは転入届といいます"),
    ("name_topic", "名前は山田です", "名前は＜氏名＞です"),
    ("name_topic", "名前は必要ですか", "名前は必要ですか"),
    ("name_label", "氏名：山田太郎", "氏名：＜氏名＞"),
    ("name_english", "My name is Ann Lee.", "My name is ＜氏名＞."),
]


def _rule_case_id(case: tuple[str, str, str]) -> str:
    rule, text, expected = case
    return f"{rule}-{'masks' if text != expected else 'keeps'}-{RULE_CASES.index(case)}"


class TestEachRule:
    """Every rule run alone, without the rest of the pipeline."""

    @pytest.mark.parametrize("case", RULE_CASES, ids=[_rule_case_id(c) for c in RULE_CASES])
    def test_rule_alone(self, case: tuple[str, str, str]) -> None:
        """A rule applied by itself masks its own kind of data and nothing else."""
        name, text, expected = case
        masked, count = RULES_BY_NAME[name].apply(text)
        assert masked == expected
        assert count == (0 if text == expected else 1)

    def test_every_rule_has_a_case(self) -> None:
        """The table above exercises every rule of the pipeline."""
        assert {name for name, _, _ in RULE_CASES} == set(RULES_BY_NAME)

    def test_rule_names_are_unique(self) -> None:
        """Rule names identify rules, so no two share one."""
        assert len(RULES_BY_NAME) == len(RULES)

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.sampled_from([e["text"] for e in EXAMPLES]), max_size=4).map("".join))
    def test_hints_only_skip_work(self, text: str) -> None:
        """A rule's hint is an optimisation: masking without hints gives the same text."""
        no_hints = Masker(
            CORPUS["public_phones"],
            public_addresses=CORPUS["public_addresses"],
            rules=[dataclasses.replace(rule, hint=None) for rule in RULES],
        )
        assert no_hints.mask(text) == CORPUS_MASKER.mask(text)

    def test_a_masker_with_some_rules_runs_only_those(self) -> None:
        """A Masker built from a subset of rules masks only those kinds."""
        masker = Masker(rules=[RULES_BY_NAME["email"]])
        assert masker.mask("taro@example.jp 090-1234-5678") == "＜メール＞ 090-1234-5678"


class TestAllowLists:
    """Public phone numbers and office addresses the assistant itself gives out."""

    @pytest.mark.parametrize(
        "public",
        ["044-200-3939", "0442003939", "+81-44-200-3939", "０４４－２００－３９３９"],
        ids=["hyphens", "digits", "international", "full-width"],
    )
    def test_allowed_phone_in_any_format_is_kept(self, public: str) -> None:
        """A number on the allow-list is kept however the list and the text write it."""
        masker = Masker([public])
        for text in ("044-200-3939", "044(200)3939", "+81 44 200 3939", "０４４ー２００ー３９３９"):
            assert masker.mask(f"電話{text}です") == f"電話{text}です"

    def test_without_allow_list_public_numbers_are_masked(self) -> None:
        """An empty allow-list masks every phone number, public or not."""
        assert Masker().mask("044-200-3939") == "＜電話番号＞"

    def test_other_numbers_are_still_masked(self) -> None:
        """The allow-list keeps only its own numbers."""
        assert Masker(["044-200-3939"]).mask("044-200-3939か044-200-3940") == "044-200-3939か＜電話番号＞"

    def test_module_mask_keeps_the_city_numbers(self) -> None:
        """The module-level mask() keeps サンキューコールかわさき and the city switchboard."""
        assert {"0442003939", "0442003900", "0442002111"} == DEFAULT_PUBLIC_PHONES
        assert mask("044-200-3939 / 044-200-2111 / 090-1234-5678") == "044-200-3939 / 044-200-2111 / ＜電話番号＞"

    def test_office_address_is_kept_only_when_listed(self) -> None:
        """The issue's example 川崎市中原区小杉町3-245 is masked unless listed as a public address."""
        text = "〒211-8570 川崎市中原区小杉町3-245"
        assert Masker().mask(text) == "＜郵便番号＞ 川崎市中原区小杉町＜住所＞"
        assert Masker(public_addresses=[text]).mask(text) == text
        assert Masker(public_addresses=[text]).mask("小杉町3-245") == "小杉町3-245"
        assert Masker(public_addresses=[text]).mask("小杉町3-246") == "小杉町＜住所＞"

    def test_office_address_matches_across_notations(self) -> None:
        """A listed 1丁目5番1号 also covers 1-5-1 and full-width digits."""
        masker = Masker(public_addresses=["麻生区万福寺1丁目5番1号"])
        assert masker.mask("万福寺1-5-1") == "万福寺1-5-1"
        assert masker.mask("麻生区万福寺１丁目５番１号") == "麻生区万福寺１丁目５番１号"

    @pytest.mark.parametrize(
        ("text", "digits"),
        [("044-200-3939", "0442003939"), ("+81 90 1234 5678", "09012345678"), ("+81 (0)44 200 3939", "0442003939")],
        ids=["domestic", "international", "international-with-zero"],
    )
    def test_normalise_phone(self, text: str, digits: str) -> None:
        """Phone numbers normalise to domestic digits."""
        assert normalise_phone(text) == digits


class TestReport:
    """mask_with_report counts what it masked."""

    def test_counts_by_kind(self) -> None:
        """Counts are keyed by kind and count each masked item."""
        result = Masker().mask_with_report("私は山田です。090-1234-5678、03-1234-5678、a@b.jp")
        assert isinstance(result, MaskResult)
        assert result.text == "私は＜氏名＞です。＜電話番号＞、＜電話番号＞、＜メール＞"
        assert dict(result.counts) == {"phone": 2, "email": 1, "name": 1}

    def test_nothing_masked_gives_empty_counts(self) -> None:
        """A text without personal data comes back unchanged with no counts."""
        result = Masker().mask_with_report("住民票は1通300円ですか")
        assert result.text == "住民票は1通300円ですか"
        assert dict(result.counts) == {}


class TestTokens:
    """Tokens already in the text are left as they are."""

    @pytest.mark.parametrize("token", TOKENS, ids=[f"token-{i}" for i in range(len(TOKENS))])
    def test_token_is_stable(self, token: str) -> None:
        """A token alone, or in a sentence that would otherwise trigger a rule, is not masked again."""
        for text in (token, f"私は{token}です", f"{token}と申します", f"小杉町{token}", f"氏名：{token}"):
            assert mask(text) == text


def test_luhn() -> None:
    """The Luhn check accepts test card numbers and rejects a changed digit."""
    assert luhn_ok("4111111111111111")
    assert luhn_ok("378282246310005")
    assert not luhn_ok("4111111111111112")


# --- properties ------------------------------------------------------------------------------

_ANY_CHAR = st.one_of(
    st.characters(),
    st.characters(categories=["Cs", "Cc", "Cf", "Zs", "Zl", "Zp"]),
    st.sampled_from("0123456789０１２３-ー‐－ @＠.〒丁目番地号の私はです申しますと名前氏名：＜＞()+区町"),
)
_FRAGMENTS = st.sampled_from([e["text"] for e in EXAMPLES] + list(TOKENS))
_TEXTS = st.one_of(
    st.text(_ANY_CHAR, max_size=200),
    st.lists(st.one_of(_FRAGMENTS, st.text(_ANY_CHAR, max_size=5)), max_size=6).map("".join),
)


@settings(max_examples=500, deadline=None)
@given(_TEXTS)
def test_never_raises_and_is_idempotent(text: str) -> None:
    """Any str, surrogates and control characters included, masks without error, and twice is once."""
    once = CORPUS_MASKER.mask(text)
    assert isinstance(once, str)
    assert CORPUS_MASKER.mask(once) == once
    assert mask(mask(text)) == mask(text)


@pytest.mark.parametrize(
    "text",
    ["山" * 10_000, "1" * 10_000, "a." * 5_000 + "@", "山1-" * 3_000, "私は" * 5_000, "0" + " 0" * 5_000],
    ids=["kanji-run", "digit-run", "dotted-ascii", "place-number-run", "watashi-run", "spaced-zeros"],
)
def test_long_adversarial_text_is_fast(text: str) -> None:
    """Ten thousand characters built to provoke backtracking still mask in well under a second."""
    started = time.perf_counter()
    mask(text)
    assert time.perf_counter() - started < 1.0


@given(st.text(_ANY_CHAR))
def test_fold_keeps_length(text: str) -> None:
    """Folding maps one character to one, so match offsets fit the original text."""
    assert len(fold(text)) == len(text)
