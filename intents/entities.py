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
_OTHER_MUNICIPALITY = re.compile(r"(?<![\u4e00-\u9fff々])([\u4e00-\u9fff々]{1,6}[市区町村])(?=役所|役場|の)")
"""A municipality's name used as the owner of what is asked ("横浜市の …", "世田谷区役所"); a name of this
city (川崎市, its wards, its offices) is not another municipality."""
def _kana_municipalities() -> re.Pattern[str]:
    """Other municipalities whose names are written in kana (さいたま市 …), from intents/data: the kanji
    pattern above cannot see them. The same condition follows: the name owns what is asked."""
    with (Path(__file__).parent / "data" / "municipalities.yaml").open(encoding="utf-8") as f:
        names = sorted({normalize(n) for n in yaml.safe_load(f)["kana_names"]}, key=len, reverse=True)
    return re.compile("(" + "|".join(re.escape(n) for n in names) + ")(?=役所|役場|の)")


_KANA_MUNICIPALITY = _kana_municipalities()
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

    def names_office(self, surface: str) -> bool:
        """True when ``surface`` (as matched by :meth:`extract`) is an office's name or alias."""
        return self._names.get(surface, (None, None))[1] is not None

    def extract(self, text: str) -> Entities:
        """Entities of already-normalised text; the first ward mentioned wins."""
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
        found = sorted([*_OTHER_MUNICIPALITY.finditer(text), *_KANA_MUNICIPALITY.finditer(text)],
                       key=lambda m: m.start())
        elsewhere = next((m.group(1) for m in found
                          if m.group(1) not in self._names and m.group(1) not in _AMBIGUOUS
                          and m.group(1) not in _GENERIC_PLACES), None)
        return Entities(ward=ward, ward_source=source, offices=tuple(offices), elsewhere=elsewhere)

