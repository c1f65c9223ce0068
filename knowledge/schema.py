"""The knowledge base's entry kinds, as strict pydantic models.

Every model forbids unknown fields, so a typo in a YAML key is an error rather
than a silently ignored fact. Cross-entry references (a window naming an office,
a procedure naming a window) are checked by :mod:`knowledge.loader`, which sees
the whole base at once.

Kinds (see ``docs/knowledge-base.md`` for the authoring guide):

- :class:`Office`     a building or desk citizens can go to or call
- :class:`Window`     a counter (窓口) inside an office
- :class:`Procedure`  something a citizen does (届出, 申請, 証明の交付 …)
- :class:`Faq`        a question with a written answer
- :class:`LifeEvent`  a situation (引越し, 出生 …) and the procedures it implies
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

EntryId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=80)]
"""Entry ids are lower-case ASCII slugs, stable across edits: they are logged."""

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Phone = Annotated[str, StringConstraints(pattern=r"^0\d{1,4}-\d{1,4}-\d{3,4}$")]
HourMinute = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]

WARDS: tuple[str, ...] = ("川崎区", "幸区", "中原区", "高津区", "宮前区", "多摩区", "麻生区")
Ward = Literal["川崎区", "幸区", "中原区", "高津区", "宮前区", "多摩区", "麻生区"]

OfficeKind = Literal[
    "市役所",
    "区役所",
    "支所",
    "出張所",
    "連絡所",
    "行政サービスコーナー",
    "マイナンバーカードセンター",
    "コンタクトセンター",
    "受付センター",
    "相談窓口",
    "事業所",
    "国の機関",
]

Certainty = Literal["confirmed", "secondary", "unverified"]
"""How sure we are of an entry's facts: ✅ official source, 🟡 secondary, ❓ not verified.

Answers built from a ``secondary`` or ``unverified`` entry tell the citizen where
to confirm (the window or the contact center) instead of stating it as fact."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class EnglishText(_Strict):
    """An entry's answer in English, written from the same source as its Japanese text (``en:`` in YAML).

    ``text`` may refer to an office's or window's number as ``{{phone:ID}}``, like an FAQ's answer.
    An entry without one is answered in English by saying so, with its Japanese text and the contact
    center's line (``intents.english_answer``)."""

    title: NonEmpty
    text: NonEmpty


class Sourced(_Strict):
    """Fields every fact-bearing entry carries."""

    source_url: NonEmpty
    reviewed: dt.date
    """When a person last checked the entry against its source."""
    source_date: dt.date | None = None
    """The date of the source's own content (its publication or update date, or the issue date of a
    newsletter); None when the page shows none. ``contact kb check`` lists entries without one and
    entries whose source is older than ``--max-age-days``."""
    certainty: Certainty = "confirmed"
    unverified: tuple[str, ...] = ()
    """Names of fields whose value is not verified; answers point to the window for them."""
    en: EnglishText | None = None
    """The answer in English, where it has been written (``lang=en`` and English questions)."""


class Hours(_Strict):
    """A human-readable hours statement plus, when known, the calendar profile it follows."""

    text: NonEmpty
    profile: EntryId | None = None
    """Id of an hours profile in calendar.yaml; None when the hours are not machine-readable."""


class Office(Sourced):
    """A place (or phone desk) a citizen can turn to."""

    id: EntryId
    name: NonEmpty
    kind: OfficeKind
    ward: Ward | None = None
    aliases: tuple[NonEmpty, ...] = ()
    postal_code: Annotated[str, StringConstraints(pattern=r"^\d{3}-\d{4}$")] | None = None
    address: NonEmpty | None = None
    phone: Phone | None = None
    fax: Phone | None = None
    phone_note: str | None = None
    hours: Hours | None = None
    access: str | None = None
    stations: tuple[NonEmpty, ...] = ()
    """Station names near the office; a question naming one implies this office's ward."""
    services: NonEmpty | None = None
    """What the office handles, in one or two sentences for the answer text."""
    procedures: tuple[EntryId, ...] = ()
    """Procedure ids that can be done here (checked against procedures)."""
    not_procedures: tuple[EntryId, ...] = ()
    """Procedure ids a citizen might expect here but that are NOT handled here."""
    sample_questions: tuple[NonEmpty, ...] = ()
    notes: str | None = None


class Window(Sourced):
    """A counter (窓口) inside an office."""

    id: EntryId
    office: EntryId
    name: NonEmpty
    """The window's name as citizens see it: 区民課, 保険年金課, 衛生課 …"""
    floor: str | None = None
    counter: str | None = None
    phone: Phone | None = None
    handles: NonEmpty
    """What the window handles, in one sentence for the answer text."""
    procedures: tuple[EntryId, ...] = ()
    saturday: bool | None = None
    """Opens on the 2nd/4th Saturday openings (None: not known)."""
    notes: str | None = None


class Fee(_Strict):
    text: NonEmpty
    """As said to a citizen: "1通300円", "無料", "窓口でご確認ください"."""
    yen: int | None = None


class Procedure(Sourced):
    """Something a citizen does at the city: a notification, an application, a certificate."""

    id: EntryId
    name: NonEmpty
    category: NonEmpty
    department: NonEmpty
    aliases: tuple[NonEmpty, ...] = ()
    sample_questions: tuple[NonEmpty, ...] = ()
    summary: NonEmpty
    who: str | None = None
    bring: tuple[NonEmpty, ...] = ()
    fee: Fee | None = None
    deadline: str | None = None
    windows: tuple[NonEmpty, ...] = ()
    """Window names (区民課 …) of the citizen's ward office that handle it."""
    offices: tuple[EntryId, ...] = ()
    """Specific office ids that handle it (a center, not a ward office)."""
    office_kinds: tuple[OfficeKind, ...] = ()
    """Kinds of office where it can be done (区役所, 出張所, 行政サービスコーナー …)."""
    online: str | None = None
    convenience_store: bool = False
    saturday: bool | None = None
    """Accepted at the 2nd/4th Saturday openings (None: not known; answer says to confirm)."""
    related: tuple[EntryId, ...] = ()
    notes: str | None = None


class Faq(Sourced):
    """A question citizens ask, with its written answer."""

    id: EntryId
    question: NonEmpty
    alternatives: tuple[NonEmpty, ...] = ()
    answer: NonEmpty
    category: NonEmpty
    department: NonEmpty
    related: tuple[EntryId, ...] = ()
    notes: str | None = None
    """For editors: where each statement of the answer comes from (not shown to citizens)."""


class LifeStep(_Strict):
    procedure: EntryId
    note: str | None = None


class LifeEvent(Sourced):
    """A situation in life and the procedures it implies, in the order to do them."""

    id: EntryId
    name: NonEmpty
    category: NonEmpty = "ライフイベント"
    department: NonEmpty = "区役所区民課"
    aliases: tuple[NonEmpty, ...] = ()
    sample_questions: tuple[NonEmpty, ...] = ()
    summary: NonEmpty
    steps: tuple[LifeStep, ...] = Field(min_length=1)
    notes: str | None = None


FILE_KINDS: dict[str, type[Sourced]] = {
    "offices": Office,
    "windows": Window,
    "procedures": Procedure,
    "faqs": Faq,
    "life_events": LifeEvent,
}
"""Each YAML file in a knowledge directory is named after the kind it holds
(``offices.yaml`` or a folder ``faqs/*.yaml``) and holds a list of entries."""
