"""Mask personal data in citizen text before it is stored or logged.

Masking is an ordered pipeline of small named :class:`Rule` objects, each a
compiled regular expression plus a replacement function that decides, match by
match, whether to mask and with what. Every rule can be run alone
(``rule.apply(text)``), and :class:`Masker` runs them all in order::

    >>> masker = Masker(allow={"0442003939"})
    >>> masker.mask("電話は090-1234-5678です。サンキューコール044-200-3939にも")
    '電話は＜電話番号＞です。サンキューコール044-200-3939にも'

What is masked, and by which token:

==============  ==============  ==================================================
kind            token           examples
==============  ==============  ==================================================
``email``       ＜メール＞        taro@example.com, ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ
``card``        ＜カード番号＞    13–19 digits passing the Luhn check, or 4-4-4-4 groups
``mynumber``    ＜個人番号＞      1234 5678 9012, 1234-5678-9012, 123456789012
``phone``       ＜電話番号＞      03-1234-5678, 044(200)3939, 09012345678, +81 90 1234 5678
``postal``      ＜郵便番号＞      〒123-4567, 郵便番号は1234567
``address``     ＜住所＞          the house number of 中原区小杉町3-245, 1丁目2番3号
``name``        ＜氏名＞          私は山田です, 山田と申します, 氏名：山田太郎, My name is Ann
==============  ==============  ==================================================

Rules that read digits see a *folded* view of the text: full-width ASCII, the
ideographic space and hyphen look-alikes (‐ – — − ー ｰ) are mapped one character
to one character onto ASCII, so offsets stay valid and the original characters
around a match are kept. Name rules read the raw text.

Dates, times, fees, counts, floors and ages are left alone; so are public phone
numbers (the ``allow`` list, digits only) and public office addresses
(``public_addresses``) that the caller passes in. Tokens already present in the
text are never masked again, and :class:`Masker` repeats the pipeline until a pass
masks nothing, so ``mask(mask(x)) == mask(x)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

__all__ = [
    "DEFAULT_PUBLIC_PHONES",
    "RULES",
    "TOKENS",
    "Allow",
    "MaskResult",
    "Masker",
    "Rule",
    "fold",
    "mask",
    "normalise_phone",
]

PHONE = "＜電話番号＞"
EMAIL = "＜メール＞"
MY_NUMBER = "＜個人番号＞"
CARD = "＜カード番号＞"
ADDRESS = "＜住所＞"
POSTAL = "＜郵便番号＞"
NAME = "＜氏名＞"
TOKENS: tuple[str, ...] = (PHONE, EMAIL, MY_NUMBER, CARD, ADDRESS, POSTAL, NAME)
"""Every replacement token; none of them is ever masked again."""

DEFAULT_PUBLIC_PHONES: frozenset[str] = frozenset({"0442003939", "0442003900", "0442002111"})
"""サンキューコールかわさき (phone, FAX) and the city hall switchboard, as digits."""

_TOKEN_RE = re.compile("|".join(map(re.escape, TOKENS)))

# --- folding -------------------------------------------------------------------------------

_FOLD_TABLE: dict[int, int] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FOLD_TABLE.update({ord(c): ord(" ") for c in "\u3000\u00a0\t"})
_FOLD_TABLE.update({ord(c): ord("-") for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70\ufe63"})


_FOLDABLE = re.compile("[" + re.escape("".join(map(chr, sorted(_FOLD_TABLE)))) + "]")


def fold(text: str) -> str:
    """Map full-width ASCII, wide spaces and hyphen look-alikes to ASCII, one character for one."""
    return text.translate(_FOLD_TABLE) if _FOLDABLE.search(text) else text


# --- character classes ---------------------------------------------------------------------

_KANJI = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆〇"
_KATA = "\u30a1-\u30faー"
_HIRA = "\u3041-\u3096"
_KNUM = "〇一二三四五六七八九十百千"
_PLACE = f"{_KANJI}ヶケヵ"
_SPACE = "[ \u3000]"


# --- rules ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Allow:
    """Public values a rule must leave alone: phone numbers (digits) and canonical addresses."""

    phones: frozenset[str] = frozenset()
    addresses: frozenset[str] = frozenset()
    postal_codes: frozenset[str] = frozenset()


_NO_ALLOW = Allow()

Replace = Callable[[re.Match[str], Allow], str | None]
"""Given a match and the allow-lists, the text to put in place of the match's ``pii`` group
(or of the whole match when the pattern has none), or None to leave it unmasked."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One kind of personal data: a compiled pattern and the function deciding each match.

    ``folded`` rules match against :func:`fold` of the text (digits, @, hyphens in ASCII);
    the others match the raw text. Only the ``pii`` group is replaced when there is one.
    ``hint`` is a cheap pattern that any text the rule can match contains (searched in the
    raw text); when it is absent the rule is skipped, and the text is not even folded.
    """

    name: str
    kind: str
    pattern: re.Pattern[str]
    replace: Replace
    folded: bool = True
    hint: re.Pattern[str] | None = None

    def may_match(self, text: str) -> bool:
        """False when the rule certainly finds nothing in ``text``."""
        return self.hint is None or self.hint.search(text) is not None

    def apply(self, text: str, allow: Allow = _NO_ALLOW, *, view: str | None = None) -> tuple[str, int]:
        """Return the text with this rule's matches masked, and how many were masked."""
        if not self.may_match(text):
            return text, 0
        if view is None:
            view = fold(text) if self.folded else text
        group = "pii" if "pii" in self.pattern.groupindex else 0
        protected = [m.span() for m in _TOKEN_RE.finditer(text)] if "＜" in text else []
        pieces: list[str] = []
        last = 0
        for match in self.pattern.finditer(view):
            start, end = match.span(group)
            if start == end or any(s < end and start < e for s, e in protected):
                continue
            replacement = self.replace(match, allow)
            if replacement is None:
                continue
            pieces += (text[last:start], replacement)
            last = end
        if not pieces:
            return text, 0
        pieces.append(text[last:])
        return "".join(pieces), len(pieces) // 2


def _always(token: str) -> Replace:
    def replace(match: re.Match[str], allow: Allow) -> str | None:
        return token

    return replace


# e-mail --------------------------------------------------------------------------------------

_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*"
    r"\.[A-Za-z]{2,24}(?![A-Za-z0-9-])",
    re.ASCII,
)

# card ----------------------------------------------------------------------------------------

_CARD_RE = re.compile(
    r"(?<!\d)(?<!\d[ -])(?P<pii>"
    r"\d{4}(?:[ -]\d{4}){3}[ -]\d{3}"  # 4-4-4-4-3 (19 digits)
    r"|\d{4}(?:[ -]\d{4}){2}[ -]\d{1,7}"  # 4-4-4-x (13–19)
    r"|\d{4}[ -]\d{6}[ -]\d{4,5}"  # American Express 4-6-5, Diners 4-6-4
    r"|\d{13,19}"
    r")(?!\d)",
    re.ASCII,
)
_FOUR_GROUPS = re.compile(r"\d{4}[ -]\d{4}[ -]\d{4}[ -]\d{4}", re.ASCII)


def luhn_ok(digits: str) -> bool:
    """True when the digit string passes the Luhn check that payment card numbers carry."""
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = ord(c) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _replace_card(match: re.Match[str], allow: Allow) -> str | None:
    text = match.group("pii")
    digits = re.sub(r"\D", "", text, flags=re.ASCII)
    if luhn_ok(digits) or _FOUR_GROUPS.fullmatch(text):
        return CARD
    return None


# My Number -----------------------------------------------------------------------------------

_MY_NUMBER_RE = re.compile(r"(?<!\d)(?<!\d[ -])\d{4}([ -]?)\d{4}\1\d{4}(?!\d)", re.ASCII)
"""Twelve digits, grouped 4-4-4 by one separator used throughout (not 2501-10000158円)."""

# phone ---------------------------------------------------------------------------------------

_SEP = r"(?:\ ?-\ ?|\ |\.)?"  # escaped spaces: used in a VERBOSE pattern
_PHONE_RE = re.compile(
    rf"""
    (?<![\d+])(?<!\d-)
    (?:
        \+\ ?81{_SEP}(?:\(0\)\ ?)?                # +81, +81 (0)
        (?:\(\d{{1,4}}\)\ ?|\d{{1,4}}{_SEP})
      | \(0\d{{1,4}}\)\ ?                         # (044)
      | 0\d{{1,4}}{_SEP}                          # 044-  03  090
    )
    (?:\(\d{{1,4}}\)\ ?|\d{{1,4}}{_SEP})?         # 200-  (200)
    \d{{3,4}}
    (?!-?\d)
    """,
    re.ASCII | re.VERBOSE,
)
_ELEVEN_DIGIT_PREFIXES = ("020", "050", "060", "070", "080", "090")


def normalise_phone(text: str) -> str:
    """The digits of a phone number in domestic form: ``+81 44-200-3939`` → ``0442003939``."""
    folded = fold(text).strip()
    digits = re.sub(r"\D", "", folded, flags=re.ASCII)
    if folded.startswith("+81") or folded.startswith("+ 81"):
        rest = digits[2:]
        return rest if rest.startswith("0") else "0" + rest
    return digits


_PHONE_LOCAL_RE = re.compile(
    r"(?:電話|TEL|Tel|tel|携帯|連絡先|FAX|Fax|fax|ファクス|ファックス)[^\d\n]{0,6}?"
    r"(?<![\d-])(?P<pii>\d{3,4}-\d{4})(?!-?\d)",
    re.ASCII,
)
"""A local number without its area code, after a cue: 電話は200-3939."""


def _replace_phone(match: re.Match[str], allow: Allow) -> str | None:
    digits = normalise_phone(match.group())
    valid = (len(digits) == 10 and digits[1] != "0") or (
        len(digits) == 11 and digits.startswith(_ELEVEN_DIGIT_PREFIXES)
    )
    if not valid or digits in allow.phones:
        return None
    return PHONE


def _replace_local_phone(match: re.Match[str], allow: Allow) -> str | None:
    digits = match.group("pii").replace("-", "")
    if any(p.endswith(digits) and len(p) - len(digits) <= 3 for p in allow.phones):
        return None  # 200-3939 is 044-200-3939 without the Kawasaki area code
    return PHONE


# postal code ---------------------------------------------------------------------------------

_POSTAL_MARK_RE = re.compile(r"〒 ?\d{3}-?\d{4}(?!-?\d)", re.ASCII)
_POSTAL_LABEL_RE = re.compile(r"郵便番号[はがを:： ]{0,3}(?P<pii>\d{3}-?\d{4})(?!-?\d)", re.ASCII)
_POSTAL_BARE_RE = re.compile(rf"(?<![\d-])\d{{3}}-\d{{4}}(?!-?\d)(?= ?[{_KANJI}]{{0,6}}?[都道府県市区町村])", re.ASCII)


def _replace_postal(match: re.Match[str], allow: Allow) -> str | None:
    digits = re.sub(r"\D", "", match.group(), flags=re.ASCII)
    return None if digits in allow.postal_codes else POSTAL


# address (house number) ----------------------------------------------------------------------

_UNITS = "年月日時分秒階歳才円人名件通回枚個本冊台部週世戸倍割点位期条項号番線丁%度"
_COUNTERS = "[ヶケカか箇ヵ](?:月|所|国|年)"  # 3か月, 2ヶ所
_ADDRESS_RE = re.compile(
    rf"""
    (?<=[{_PLACE}])
    (?P<chome>(?:\d{{1,3}}|[{_KNUM}]{{1,4}})丁目)?
    (?P<pii>
        \d{{1,5}}番地(?:の?\d{{1,5}}(?:号|-\d{{1,5}})?)?   # 245番地 1775番地の1 11番地1
      | \d{{1,5}}番\d{{1,5}}号?(?:-\d{{1,5}})?            # 2番3号
      | [{_KNUM}]{{1,4}}番地?[{_KNUM}]{{1,4}}号           # 二番三号
      | [{_KNUM}]{{1,4}}番地                              # 十番地
      | \d{{1,5}}(?:-\d{{1,5}}){{1,3}}号?                 # 3-245 1-2-3 1-2-3-405
      | \d{{1,5}}号?                                      # 12 (needs 丁目 or a cue)
    )
    (?!-?\d)(?![{_UNITS}])(?!{_COUNTERS})
    """,
    re.ASCII | re.VERBOSE,
)
_PLACE_TAIL = re.compile(f"[{_PLACE}]{{1,24}}$")
_ADMIN_UNITS = frozenset("都道府県市区町村郡")
_NOT_A_PLACE_END = ("第", "約", "計", "全", "各", "毎", "所", "館", "課", "係", "室", "庁", "局", "号", "番")
_ADDRESS_CUE = re.compile("住|自宅|実家|〒|送付先|宛先|届け先|引っ越|引越|転居|転入")
_CUE_WINDOW = 20


_LEADING_POSTAL = re.compile(r"(?:^〒?|〒) ?(\d{3})-?(\d{4})", re.ASCII)


def canonical_address(text: str) -> str:
    """A comparable form of an address: folded, no spaces or postal code, 丁目/番地/番 as hyphens."""
    s = _LEADING_POSTAL.sub("", fold(text).strip())
    s = re.sub(r"\s+", "", s)
    s = re.sub("丁目|番地の?|番", "-", s).replace("号", "")
    return re.sub(r"[^0-9]+$", "", s, flags=re.ASCII)


def _is_public_address(candidate: str, allow: Allow) -> bool:
    for public in allow.addresses:
        shorter, longer = sorted((candidate, public), key=len)
        if longer.endswith(shorter) and len(re.sub(r"[\d-]", "", shorter, flags=re.ASCII)) >= 2:
            return True
    return False


def _replace_house_number(match: re.Match[str], allow: Allow) -> str | None:
    view = match.string
    start = match.start()
    tail = _PLACE_TAIL.search(view, max(0, start - 24), start)
    place = tail.group() if tail else ""
    if not place or place.endswith(_NOT_A_PLACE_END):
        return None
    chome = match.group("chome") or ""
    house = match.group("pii")
    cue = _ADDRESS_CUE.search(view, max(0, start - _CUE_WINDOW), match.end() + _CUE_WINDOW) is not None
    admin = any(c in _ADMIN_UNITS for c in place)
    if "番" not in house and "号" not in house:
        if "-" in house:
            groups = house.split("-")
            if len(groups[0]) == 4 and groups[0][:2] in ("19", "20") and int(groups[1]) <= 12:
                return None  # a date such as 2026-12-12
            if not (chome or admin or cue):
                return None
        elif not (chome or (cue and admin)):
            return None
    if allow.addresses and _is_public_address(canonical_address(place + chome + house), allow):
        return None
    return ADDRESS


# names ---------------------------------------------------------------------------------------

_INTRO_END = "です|でございます|と申します|と申し上げます|といいます|と言います"
_INTRO_END_ALT = f"(?:{_INTRO_END})"
_NAME_KANJI = f"[{_KANJI}]{{1,5}}(?:{_SPACE}?[{_KANJI}]{{1,5}})?"
_NAME_KATA = f"[{_KATA}]{{2,10}}(?:[・={_SPACE[1:-1]}＝][{_KATA}]{{1,10}})?"
_NAME_LATIN = r"[A-Z][a-z]+(?:[ \u3000][A-Z][a-z]+){0,2}"
_NAME_STRICT = f"(?:{_NAME_KANJI}|{_NAME_KATA}|{_NAME_LATIN})"
_HIRA_NAME_CHAR = f"(?:(?!{_INTRO_END_ALT})[{_HIRA}])"  # a hiragana that does not start です, と申します …
_NAME_LOOSE = f"(?:[{_KANJI}]{{1,5}}{_SPACE}?{_HIRA_NAME_CHAR}{{2,4}}|{_NAME_STRICT}|{_HIRA_NAME_CHAR}{{2,6}})"

_NAME_STOP = frozenset({
    # who the caller is, not what they are called
    "学生", "大学生", "高校生", "中学生", "小学生", "留学生", "会社員", "公務員", "社員", "職員", "教員",
    "教師", "先生", "医師", "看護師", "保育士", "介護士", "主婦", "主夫", "無職", "自営業", "新人",
    "アルバイト", "パート", "フリーター", "サラリーマン", "ボランティア", "シニア",
    "高齢者", "年金生活者", "高齢", "未成年", "成人", "大人", "老人", "男性", "女性", "男", "女",
    "外国人", "日本人", "外国籍", "川崎市民", "市民", "区民", "住民", "区外", "市外", "県外", "海外",
    "本人", "代理", "代理人", "家族", "妻", "夫", "母", "父", "息子", "娘", "母親", "父親", "親", "子",
    "子供", "子ども", "孫", "祖父", "祖母", "ママ", "パパ", "シングルマザー", "妊婦", "障害者", "障がい者",
    "車椅子", "一人暮", "一人", "ひとり", "独身", "新婚", "世帯主", "事業主", "管理人", "大家", "家主",
    "担当", "担当者", "個人", "法人", "友人", "知人", "隣人", "同居人", "住人", "社会人", "留守", "初",
    "妊娠中", "育休中", "産休中", "入院中", "療養中", "求職中", "休職中", "失業中", "介護中", "子育中",
    # what is said about a name (名前は必要ですか)
    "何", "誰", "必要", "不要", "任意", "必須", "不明", "同じ", "本名", "旧姓", "通称", "漢字", "片仮名",
    "平仮名", "カタカナ", "ひらがな", "ローマ字", "フルネーム", "未定", "変更", "省略", "匿名", "非公開",
    "大丈夫", "心配", "不安", "賛成", "反対", "元気", "暇", "無理", "以上", "以下", "結構",
    "まだ", "いい", "よい", "なし", "ない", "いいえ", "はい", "そう", "ここ", "そこ", "どこ",
})  # fmt: skip
_NAME_STOP_SUFFIXES = (
    "民", "者", "員", "学生", "校生", "年生", "院生", "研修生", "実習生", "在住", "出身",
    "歳", "才", "区", "市", "町", "村", "県", "様", "さん", "係", "課", "家庭", "世帯", "国籍", "暮",
)  # fmt: skip
_LEADING_PLACE = re.compile(f"^[{_KANJI}]*(?:在住|出身|区)")


def _replace_name(match: re.Match[str], allow: Allow) -> str | None:
    name = match.group("pii")
    compact = re.sub(r"[\s\u3000・=＝]", "", name)
    if compact in _NAME_STOP or compact.endswith(_NAME_STOP_SUFFIXES):
        return None
    lead = _LEADING_PLACE.match(name)  # 中原区在住山田 → keep 中原区在住
    if lead and lead.end() < len(name):
        return name[: lead.end()] + NAME
    return NAME


_NAME_SELF_RE = re.compile(
    rf"(?:私|わたし|わたくし|僕|ぼく|俺)は[、,]?{_SPACE}?(?P<pii>{_NAME_STRICT})(?={_INTRO_END})"
)
_NAME_HUMBLE_RE = re.compile(rf"(?P<pii>{_NAME_KANJI}|{_NAME_KATA})(?=と申し(?:ます|上げます)|と申す)")
_GREETINGS = ("こんにちは", "こんばんは", "おはようございます", "もしもし", "はじめまして", "初めまして", "失礼します")
_CALLED_AFTER = [
    *(g + p for g in _GREETINGS for p in ("", "、", "。", "！", " ", "\u3000")),
    "私は",
    "わたしは",
    "僕は",
    "の",
]
_NAME_CALLED_RE = re.compile(
    # "X といいます" also defines terms (法定免除といいます), so only at the start or after a greeting
    "(?:^|(?<=[、,])|" + "|".join(f"(?<={re.escape(a)})" for a in _CALLED_AFTER) + ")"
    rf"(?P<pii>{_NAME_KANJI}|{_NAME_KATA})(?=と(?:いい|言い)ます(?!か))"
)
_NAME_TOPIC_RE = re.compile(
    rf"(?:お?名前|氏名|フルネーム)(?:は|が)[、,]?{_SPACE}?(?P<pii>"
    # with hiragana only before です: 名前は山田さくらです, but not 名前が変わったら
    rf"(?:[{_KANJI}]{{2,5}}{_SPACE}?)?{_HIRA_NAME_CHAR}{{2,6}}(?={_INTRO_END})"
    rf"|{_NAME_STRICT}(?={_INTRO_END}|[。、,.!?！？\s]|$)"
    ")"
)
_NAME_LABEL_RE = re.compile(
    rf"(?:お?名前|氏名|フルネーム){_SPACE}?[:：]{_SPACE}?(?P<pii>{_NAME_LOOSE})"
    rf"(?![{_KANJI}{_KATA}{_HIRA}])(?!{_SPACE}?[:：])"
)
_NAME_ENGLISH_RE = re.compile(rf"(?i:my name is)\s+(?P<pii>{_NAME_LATIN}|{_NAME_KANJI}|{_NAME_KATA})")


_HAS_DIGIT = re.compile("[0-9０-９]")
RULES: tuple[Rule, ...] = (
    Rule("email", "email", _EMAIL_RE, _always(EMAIL), hint=re.compile("[@＠]")),
    Rule("card", "card", _CARD_RE, _replace_card, hint=_HAS_DIGIT),
    Rule("mynumber", "mynumber", _MY_NUMBER_RE, _always(MY_NUMBER), hint=_HAS_DIGIT),
    Rule("phone", "phone", _PHONE_RE, _replace_phone, hint=_HAS_DIGIT),
    Rule("phone_local", "phone", _PHONE_LOCAL_RE, _replace_local_phone, hint=_HAS_DIGIT),
    Rule("postal_mark", "postal", _POSTAL_MARK_RE, _replace_postal, hint=re.compile("〒")),
    Rule("postal_label", "postal", _POSTAL_LABEL_RE, _replace_postal, hint=re.compile("郵便番号")),
    Rule("postal_bare", "postal", _POSTAL_BARE_RE, _replace_postal, hint=_HAS_DIGIT),
    Rule("house_number", "address", _ADDRESS_RE, _replace_house_number, hint=re.compile("[0-9０-９番丁]")),
    Rule("name_self", "name", _NAME_SELF_RE, _replace_name, folded=False, hint=re.compile("[私僕俺したく]は")),
    Rule("name_humble", "name", _NAME_HUMBLE_RE, _replace_name, folded=False, hint=re.compile("と申")),
    Rule("name_called", "name", _NAME_CALLED_RE, _replace_name, folded=False, hint=re.compile("と(?:いい|言い)ます")),
    Rule("name_topic", "name", _NAME_TOPIC_RE, _replace_name, folded=False, hint=re.compile("名前|氏名|フルネーム")),
    Rule("name_label", "name", _NAME_LABEL_RE, _replace_name, folded=False, hint=re.compile("[:：]")),
    Rule("name_english", "name", _NAME_ENGLISH_RE, _replace_name, folded=False, hint=re.compile("(?i)my name")),
)
"""The default pipeline, in the order it runs: e-mail before digits, digits before names."""


# --- the masker ----------------------------------------------------------------------------

_MAX_PASSES = 8


@dataclass(frozen=True, slots=True)
class MaskResult:
    """Masked text and how many items of each kind (``phone``, ``name`` …) were masked."""

    text: str
    counts: Mapping[str, int] = field(default_factory=dict)


class Masker:
    """Runs the masking rules in order; build one at start-up and share it.

    ``allow`` lists public phone numbers to keep (any format; compared as domestic digits).
    ``public_addresses`` lists public office addresses (``〒211-8570 川崎市中原区小杉町3-245``);
    their house numbers and postal codes are kept.

    >>> Masker().mask("私は山田と申します。メールは taro@example.jp")
    '私は＜氏名＞と申します。メールは ＜メール＞'
    """

    def __init__(
        self,
        allow: Iterable[str] = (),
        *,
        public_addresses: Iterable[str] = (),
        rules: Sequence[Rule] = RULES,
    ) -> None:
        addresses = tuple(public_addresses)
        postal = (_LEADING_POSTAL.search(fold(a).strip()) for a in addresses)
        self.allow = Allow(
            phones=frozenset(normalise_phone(p) for p in allow),
            addresses=frozenset(c for c in map(canonical_address, addresses) if c),
            postal_codes=frozenset(m[1] + m[2] for m in postal if m),
        )
        self.rules = tuple(rules)

    def mask(self, text: str) -> str:
        """Return ``text`` with personal data replaced by tokens such as ＜電話番号＞."""
        return self.mask_with_report(text).text

    def mask_with_report(self, text: str) -> MaskResult:
        """Mask ``text`` and count what was masked, by kind.

        The rules run again while a pass still masks something: a token can free a digit
        boundary (``0100000000(01000)00000``), and the result must be a fixed point so that
        masking twice is masking once. Text without personal data takes a single pass.
        """
        counts: dict[str, int] = {}
        for _ in range(_MAX_PASSES):
            text, masked = self._one_pass(text, counts)
            if not masked:
                break
        return MaskResult(text, counts)

    def _one_pass(self, text: str, counts: dict[str, int]) -> tuple[str, bool]:
        masked = False
        view: str | None = None
        for rule in self.rules:
            if not rule.may_match(text):
                continue
            if rule.folded:
                if view is None:
                    view = fold(text)
                text, n = rule.apply(text, self.allow, view=view)
            else:
                text, n = rule.apply(text, self.allow, view=text)
            if n:
                counts[rule.kind] = counts.get(rule.kind, 0) + n
                masked = True
                view = None
        return text, masked


_DEFAULT = Masker(DEFAULT_PUBLIC_PHONES)


def mask(text: str) -> str:
    """Mask ``text`` with a default :class:`Masker` that keeps the city's main public numbers."""
    return _DEFAULT.mask(text)
