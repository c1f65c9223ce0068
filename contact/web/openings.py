"""Opening days over HTTP: ``GET /api/v1/openings`` (JSON) and ``/api/v1/openings.ics`` (iCalendar)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from aiohttp import web
from icalendar import Calendar as ICalendar
from icalendar import Event

from contact.analysis.filters import FIRST_DATE, LAST_DATE
from contact.errors import BadRequest, Unavailable
from contact.web.common import ready_engine
from contact.web.keys import CLOCK
from knowledge.calendar import Calendar, Opening
from knowledge.errors import CalendarQueryError
from knowledge.loader import KnowledgeBase
from knowledge.schema import Office

routes = web.RouteTableDef()

UNKNOWN_HOURS = "開庁時間は確認できていません。サンキューコールかわさき 044-200-3939 でご確認ください。"
DEFAULT_DAYS = 31
MAX_DAYS = 366


@dataclass(frozen=True)
class OpeningsQuery:
    office: Office
    profile: str
    start: dt.date
    end: dt.date
    window: str | None


def _date(value: str | None, name: str, default: dt.date) -> dt.date:
    if value is None or value == "":
        return default
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise BadRequest(f"'{name}' must be a date YYYY-MM-DD, not {value[:20]!r}", "invalid_field") from exc
    if not FIRST_DATE <= day <= LAST_DATE:
        raise BadRequest(f"'{name}' must be between {FIRST_DATE} and {LAST_DATE}, not {day}", "invalid_field")
    return day


def parse_query(request: web.Request, kb: KnowledgeBase, cal: Calendar) -> OpeningsQuery:
    office_id = request.query.get("office")
    if not office_id:
        raise BadRequest("'office' is required (an office id, see /api/v1/offices)", "missing_field")
    office = kb.offices.get(office_id)
    if office is None:
        raise BadRequest(f"unknown office '{office_id[:80]}' (see /api/v1/offices)", "unknown_office")
    if office.hours is None or office.hours.profile is None:
        raise BadRequest(f"office '{office_id}' has no published opening days; please call 044-200-3939",
                         "no_calendar")
    today = request.app[CLOCK].now().date()
    start = _date(request.query.get("from"), "from", today)
    end = _date(request.query.get("to"), "to", start + dt.timedelta(days=DEFAULT_DAYS - 1))
    if end < start:
        raise BadRequest("'to' must not be before 'from'", "invalid_range")
    if (end - start).days >= MAX_DAYS:
        raise BadRequest(f"the range must be at most {MAX_DAYS} days", "invalid_range")
    window = request.query.get("window") or None
    if window is not None and window not in {w.name for w in kb.windows_of(office.id)}:
        raise BadRequest(f"office '{office_id}' has no window '{window[:40]}'", "unknown_window")
    return OpeningsQuery(office, office.hours.profile, start, end, window)


def _openings(request: web.Request) -> tuple[OpeningsQuery, list[Opening]]:
    kb = ready_engine(request).kb
    if kb.calendar is None:
        raise Unavailable("this knowledge base has no calendar")
    q = parse_query(request, kb, kb.calendar)
    try:
        return q, kb.calendar.openings(q.profile, q.start, q.end, window=q.window)
    except CalendarQueryError as exc:
        raise BadRequest(str(exc), "invalid_range") from exc


@routes.get("/api/v1/openings")
async def openings(request: web.Request) -> web.Response:
    q, items = _openings(request)
    return web.json_response({
        "office": {"id": q.office.id, "name": q.office.name},
        "from": q.start.isoformat(),
        "to": q.end.isoformat(),
        "window": q.window,
        "openings": [o.as_dict() for o in items],
    })


@routes.get("/api/v1/openings.ics")
async def openings_ics(request: web.Request) -> web.Response:
    q, items = _openings(request)
    cal = ICalendar()
    cal.add("prodid", "-//contact-kawasaki//opening days//JA")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{q.office.name} 開庁日")
    cal.add("x-wr-timezone", "Asia/Tokyo")
    tz = request.app[CLOCK].now().tzinfo
    for o in items:
        event = Event()
        event.add("uid", f"{q.office.id}-{o.date.isoformat()}-{o.kind}@contact-kawasaki")
        windows = "・".join(o.windows)
        event.add("summary", f"{q.office.name}{(' ' + windows) if windows else ''} 開庁")
        if o.open and o.close:
            event.add("dtstart", dt.datetime.combine(o.date, o.open, tzinfo=tz))
            event.add("dtend", dt.datetime.combine(o.date, o.close, tzinfo=tz))
        else:
            event.add("dtstart", o.date)
            event.add("description", UNKNOWN_HOURS)
        if o.note:
            event.add("comment", o.note)
        event.add("location", q.office.address or q.office.name)
        event.add("dtstamp", dt.datetime.now(dt.UTC))
        cal.add_component(event)
    filename = f"openings-{q.office.id}.ics"
    return web.Response(body=cal.to_ical(), content_type="text/calendar", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})
