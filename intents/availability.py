""""Can I do procedure P at place X?" answered from the structured data, not from text similarity.

"住民票は溝口の行政サービスコーナーで取れる？" names a procedure (住民票の写し) and a kind of office
(行政サービスコーナー), perhaps with a place (溝口). The answer comes from the office's
``procedures`` / ``not_procedures`` lists and the procedure's ``office_kinds``, and says plainly
when a named place is not one the knowledge base knows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from intents.compose import Answer, ContactPoint
from knowledge.loader import KnowledgeBase
from knowledge.schema import Office, Procedure

KIND_WORDS: Sequence[tuple[str, str]] = (
    ("行政サービスコーナー", "行政サービスコーナー"),
    ("サービスコーナー", "行政サービスコーナー"),
    ("サンキューコール", "コンタクトセンター"),
    ("コールセンター", "コンタクトセンター"),
    ("出張所", "出張所"),
    ("支所", "支所"),
    ("連絡所", "連絡所"),
    ("マイナンバーカードセンター", "マイナンバーカードセンター"),
    ("粗大ごみ受付", "受付センター"),
    ("市役所", "市役所"),
    ("区役所", "区役所"),
    ("コンビニ", "コンビニ"),
)
"""Words naming a kind of place (office kinds of the schema, and コンビニ), the more specific first."""

NOT_ASKED_ABOUT = frozenset({"区役所", "コンタクトセンター", "受付センター"})
"""Kinds that a "can I do P there?" question does not turn on: most procedures are done at the ward
office, and the phone desks take no procedures."""

CAN_CUES = ("取れる", "とれる", "出せる", "できる", "出来る", "もらえる", "貰える", "いける", "行ける", "可能",
            "やってる", "扱って", "受け付け", "申請でき", "手続きでき")


_PLACE_BEFORE_KIND = re.compile(r"([一-龥々ァ-ヶー]{2,8})の?(?:行政サービスコーナー|サービスコーナー|出張所|支所)")


def place_word_in(text: str) -> str | None:
    """A place named before the kind of office ("溝口の行政サービスコーナー" → 溝口), if any."""
    m = _PLACE_BEFORE_KIND.search(text)
    return m.group(1) if m and m.group(1) not in ("行政", "区役所", "市役所") else None


def kind_in(text: str, exclude: frozenset[str] = frozenset()) -> str | None:
    """The first kind of place the text names, skipping the kinds in ``exclude``."""
    return next((kind for word, kind in KIND_WORDS if kind not in exclude and word in text), None)


def asks_if_possible(text: str) -> bool:
    return any(c in text for c in CAN_CUES) or text.rstrip("?？").endswith(("で", "でも"))


def _sure_no(procedure: Procedure, office: Office | None, kind: str | None) -> bool:
    """Whether a "no" rests on data somebody checked (a secondary source is hedged, not silenced): the
    office's own list, or the procedure's field; never on data marked unverified."""
    if office is not None and procedure.id in office.not_procedures:
        return office.certainty != "unverified" and "not_procedures" not in office.unverified
    field = "convenience_store" if kind == "コンビニ" else "office_kinds"
    return procedure.certainty != "unverified" and field not in procedure.unverified


def availability_answer(
    kb: KnowledgeBase, procedure: Procedure, kind: str | None, office: Office | None, place_word: str | None,
    cp: ContactPoint,
) -> Answer | None:
    """Yes / no / not known, for the procedure at the office (or kind of office); None if nothing to say."""
    if office is not None:
        where = office.name
        if procedure.id in office.procedures:
            verdict: bool | None = True
        elif procedure.id in office.not_procedures:
            verdict = False
        else:
            verdict = office.kind in procedure.office_kinds if procedure.office_kinds else None
    elif kind == "コンビニ":
        where = "コンビニ"
        verdict = procedure.convenience_store
    elif kind is not None:
        where = kind
        verdict = kind in procedure.office_kinds if procedure.office_kinds else None
    else:
        return None
    if verdict is False and not _sure_no(procedure, office, kind):
        verdict = None  # a "no" read from data nobody confirmed is a "not known": say where to ask
    lines: list[str] = []
    if verdict is True:
        lines.append(f"はい、{where}で「{procedure.name}」の手続きができます。")
        if kind == "コンビニ":
            lines.append("暗証番号を設定したマイナンバーカードが必要です。")
    elif verdict is False:
        lines.append(f"いいえ、{where}では「{procedure.name}」の手続きはできません。")
    else:
        lines.append(f"{where}で「{procedure.name}」ができるかは確認できていません。")
    if place_word and office is None and kind not in (None, "コンビニ"):
        lines.append(f"なお、「{place_word}」の{kind}の所在や開所時間は、この案内では確認できていません。")
    places = []
    if procedure.windows:
        places.append(f"お住まいの区の区役所（{'・'.join(procedure.windows)}）")
    places += [k for k in procedure.office_kinds if k not in ("区役所", where)]
    if procedure.convenience_store and where != "コンビニ":
        places.append("コンビニ（マイナンバーカードが必要）")
    if places and verdict is not True:
        lines.append("手続きできる場所: " + "、".join(places) + "。")
    if verdict is None or procedure.certainty == "unverified":
        lines.append(cp.confirm_sentence(procedure.department))
    return Answer(
        entry_id=procedure.id,
        title=f"{procedure.name}（{where}）",
        text="\n".join(lines),
        source_url=(office.source_url if office is not None and verdict is not None and
                    procedure.id in (*office.procedures, *office.not_procedures) else procedure.source_url),
        department=procedure.department,
        reviewed=procedure.reviewed.isoformat(),
    )
