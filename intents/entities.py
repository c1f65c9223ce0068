"""Entities in a question: the ward (said directly, or implied by a station or an office) and offices.

A :class:`Gazetteer` is built from the knowledge base once (office names,
aliases and nearby stations) and matched longest-first against the
normalised question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from intents.normalize import normalize
from knowledge.loader import KnowledgeBase
from knowledge.schema import WARDS

# Short forms that are unambiguous enough to mean the ward (not 川崎 or 幸, which are not).
_WARD_SHORT = {"中原": "中原区", "高津": "高津区", "宮前": "宮前区", "多摩": "多摩区", "麻生": "麻生区"}
_AMBIGUOUS = frozenset({"川崎", "川崎市", "幸"})
"""Names that usually mean the city (or a common word), never a ward by themselves."""
with (Path(__file__).parent / "data" / "municipalities.yaml").open(encoding="utf-8") as _f:
    _MUNICIPALITIES = yaml.safe_load(_f)
"""Other municipalities kept as data: names in kana and in romaji, the other prefectures, and the citizen's
own people and places (実家, 会社 …) that a municipality's name may own without owning the question."""
_OWNS = "(?=役所|役場|庁|の(?!(?:" + "|".join(re.escape(normalize(w)) for w in _MUNICIPALITIES["citizens_own"]) + ")))"
"""After a municipality's name: it owns what is asked (横浜市の粗大ごみ, 世田谷区役所, 千葉県庁), unless what
follows の is the citizen's own (横浜市の実家)."""
_OTHER_MUNICIPALITY = re.compile(r"(?<![\u4e00-\u9fff々])([\u4e00-\u9fff々]{1,6}[市区町村])" + _OWNS)
"""A municipality's name used as the owner of what is asked ("横浜市の …", "世田谷区役所"); a name of this
city (川崎市, its wards, its offices) is not another municipality."""


def _kana_municipalities() -> re.Pattern[str]:
    """Other municipalities whose names are written in kana (さいたま市 …), from intents/data: the kanji
    pattern above cannot see them. The same condition follows: the name owns what is asked."""
    names = sorted({normalize(n) for n in _MUNICIPALITIES["kana_names"]}, key=len, reverse=True)
    return re.compile("(" + "|".join(re.escape(n) for n in names) + ")" + _OWNS)


_KANA_MUNICIPALITY = _kana_municipalities()
_PREFECTURE = re.compile("(" + "|".join(re.escape(normalize(n)) for n in _MUNICIPALITIES["prefectures"]) + ")" + _OWNS)
"""Another prefecture as the owner of what is asked (東京都の保育園, 千葉県庁の場所), from intents/data."""


def _romaji_municipalities() -> tuple[dict[str, str], re.Pattern[str]]:
    """Other municipalities as an English question names them (intents/data, romaji → Japanese name).

    English marks ownership around the name: a preposition before it ("in Setagaya", "for the Yokohama …")
    or a suffix after it ("Machida City", "Ota-ku", "Chofu's"). A name after "from" or "to" is where the
    citizen moves from or to, which is this city's business (転入届, 転出届)."""
    names = {normalize(k): str(v) for k, v in _MUNICIPALITIES["romaji_names"].items()}
    body = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    pattern = re.compile(
        r"(?<![a-z'])(?:(?P<move>from|to|into|towards?)\s+|(?P<own>in|at|of|for|about)\s+(?:the\s+)?)?"
        rf"(?P<name>{body})"
        r"(?P<suffix>[\s-]+(?:city|ward|ku|shi|town|machi|prefecture)|'s)?(?![a-z])")
    return names, pattern


_ROMAJI_NAMES, _ROMAJI_MUNICIPALITY = _romaji_municipalities()
_THIS_CITY = re.compile(r"川崎(?!区|駅)")
"""The question names this city itself (川崎市の図書館, "Kawasaki's libraries"): then another municipality
in it is where the citizen lives or comes from, and the question is still this city's business."""
_GENERIC_PLACES = frozenset({"本市", "当市", "他市", "各市", "同市", "全市", "本区", "当区", "他区", "各区", "同区",
                             "全区", "市区町村", "区市町村", "市町村"})
_WARD_ROMAJI = {
    "kawasaki-ku": "川崎区", "saiwai": "幸区", "nakahara": "中原区", "takatsu": "高津区",
    "miyamae": "宮前区", "tama": "多摩区", "asao": "麻生区",
}


@dataclass(frozen=True)
class Entities:
    ward: str | None = None
    ward_source: str | None = None
    """The words the ward was read from (中原区, 武蔵小杉 …), for the explanation."""
    offices: tuple[str, ...] = ()
    """Office ids mentioned by name or alias, in order of appearance."""
    elsewhere: str | None = None
    """Another municipality the question is about ("横浜市の粗大ごみ", "世田谷区役所"): not this city's business."""


class Gazetteer:
    def __init__(self, kb: KnowledgeBase) -> None:
        names: dict[str, tuple[str | None, str | None]] = {}  # surface → (ward, office id)
        for ward in WARDS:
            names[ward] = (ward, None)
        for short, ward in _WARD_SHORT.items():
            names.setdefault(short, (ward, None))
        for romaji, ward in _WARD_ROMAJI.items():
            names.setdefault(romaji, (ward, None))
        for office in kb.offices.values():
            for surface in (office.name, *office.aliases):
                names[normalize(surface)] = (office.ward, office.id)
            for station in office.stations:
                key = normalize(station)
                if office.ward and key not in names:
                    names[key] = (office.ward, None)
                    if key.endswith("駅") and key[:-1] not in _AMBIGUOUS:
                        names.setdefault(key[:-1], (office.ward, None))
        self._names = names
        keys = sorted((k for k in names if len(k) >= 2), key=len, reverse=True)
        # 多摩川 and 川崎市 are not wards: refuse a short match that runs on into these.
        self._pattern = re.compile("(?:" + "|".join(re.escape(k) for k in keys) + ")(?!川)") if keys else None

    def ward_of(self, surface: str) -> str | None:
        """The ward of one of this city's place names (a ward, a station, an office), else None."""
        return self._names.get(surface, (None, None))[0]

    def names_office(self, surface: str) -> bool:
        """True when ``surface`` (as matched by :meth:`extract`) is an office's name or alias."""
        return self._names.get(surface, (None, None))[1] is not None

    def extract(self, text: str, original: str | None = None) -> Entities:
        """Entities of already-normalised text; the first ward mentioned wins. ``original`` is the question
        before English was put into Japanese terms, where another municipality named in romaji is read."""
        if self._pattern is None:
            return Entities()
        ward = source = None
        offices: list[str] = []
        for m in self._pattern.finditer(text):
            w, office = self._names[m.group(0)]
            if w and ward is None:
                ward, source = w, m.group(0)
            if office and office not in offices:
                offices.append(office)
        found = sorted([*_OTHER_MUNICIPALITY.finditer(text), *_KANA_MUNICIPALITY.finditer(text),
                        *_PREFECTURE.finditer(text)],
                       key=lambda m: m.start())
        elsewhere = next((m.group(1) for m in found
                          if m.group(1) not in self._names and m.group(1) not in _AMBIGUOUS
                          and m.group(1) not in _GENERIC_PLACES), None)
        if elsewhere is None and original is not None:
            elsewhere = _romaji_elsewhere(original)
        if elsewhere is not None and _THIS_CITY.search(text):
            elsewhere = None
        return Entities(ward=ward, ward_source=source, offices=tuple(offices), elsewhere=elsewhere)


def _romaji_elsewhere(text: str) -> str | None:
    """The first other municipality an English question names as the owner of what it asks about."""
    for m in _ROMAJI_MUNICIPALITY.finditer(text):
        if not m.group("move") and (m.group("own") or m.group("suffix")):
            return f"{m.group('name').title()} ({_ROMAJI_NAMES[m.group('name')]})"
    return None
