"""Which way a move goes, from the places a question names: into the city (転入), out of it (転出), or
within it (転居).

"横浜から中原区へ引っ越す" and "中原区から宮前区に引っ越した" use the same words for moves the city treats
differently; the places around から and へ/に decide. The ranking then counts an entry about another
direction (its names say 転出 for a move in) much less (:data:`MISMATCH`).

A place is this city's when it is the city, 市内, a ward or one of the city's stations and offices (the
gazetteer's names); another's when it is named as a municipality (…市, …区, …県, 東京 …) or as 市外,
県外, 海外.
"""

from __future__ import annotations

import re
from collections.abc import Callable

MOVING = re.compile(r"引っ?越|引越|越して|越す|越した|転勤|移り住|移住|住所を移|移る|移った|移ります")
"""Words that say the question is about moving home."""
_NAME = r"[\u4e00-\u9fff々\u30a0-\u30ff](?:[\u4e00-\u9fff々\u30a0-\u30ffの]){0,7}"
"""A place's name: kanji and katakana, and の inside (溝の口); さいたま市 is not read."""
_FROM = re.compile(rf"({_NAME})から")
_TO = re.compile(rf"({_NAME})(?:へ|に)(?:の)?(?=[^、。,.住]{{0,10}}?(?:引っ?越|引越|越し|越す|移り|移住|移る|移っ))")
"""A place the move goes to: 「…へ」「…に」 with the moving word soon after, in the same clause (not
「杉並区に住んでいて、この春に転勤で」)."""
_OURS = re.compile(r"^(?:川崎市?|市内|区内|本市)$")
_OTHERS_WORDS = re.compile(r"(?:市外|県外|都外|府外|道外|他県|他市|国外|海外|外国)$")
_MUNICIPALITY = re.compile(r"[市区町村県都府道]$")
_GENERIC = re.compile(r"^(?:各|他|同|全|本|当)[市区]$|役所$")
_PREFECTURE_CAPITALS = frozenset({"東京", "大阪", "京都", "横浜", "名古屋", "札幌", "福岡", "神戸", "仙台", "千葉",
                                  "埼玉", "静岡", "広島", "沖縄", "北海道", "相模原", "町田", "世田谷"})
"""Places often named without their 市/都/県 that are never this city's."""

MISMATCH = 0.4
"""The ranking factor of an entry about another direction than the question's (転出届 for a move in)."""


def direction(text: str, ward_of: Callable[[str], str | None]) -> str | None:
    """``in``, ``out``, ``within`` or None (not a move, or the places do not say). ``ward_of`` gives the
    ward of one of this city's place names (a ward, a station, an office), None for any other text."""
    if not MOVING.search(text):
        return None
    start = _FROM.search(text)
    origin = _side(start.group(1), ward_of) if start else None
    rest = text[start.end():start.end() + 20] if start else text
    end = _TO.search(rest)
    target = _side(end.group(1), ward_of) if end else None
    if origin == "others" and target in ("ours", None):
        return "in"
    if origin == "ours" and target == "others":
        return "out"
    if origin is None and target == "others" and start is None:
        return "out"
    if origin == "ours" and target == "ours" and start is not None and _is_ward(start.group(1), ward_of):
        return "within"
    return None


def _side(name: str, ward_of: Callable[[str], str | None]) -> str | None:
    """``ours``, ``others`` or None (not a place) for the name before から or へ/に."""
    for i in range(len(name)):  # the longest tail that is a place: 来月横浜 → 横浜
        tail = name[i:]
        if _OURS.match(tail) or ward_of(tail):
            return "ours"
        if _OTHERS_WORDS.search(tail) and len(tail) <= 4:
            return "others"
        named = len(tail) >= 2 and _MUNICIPALITY.search(tail) and not _GENERIC.search(tail)
        if named or tail in _PREFECTURE_CAPITALS:
            return "others"
    return None


def _is_ward(name: str, ward_of: Callable[[str], str | None]) -> bool:
    return any(ward_of(name[i:]) for i in range(len(name)))
