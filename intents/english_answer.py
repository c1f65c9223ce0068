"""Answers in English: for ``lang=en`` and for questions asked in English.

An entry with an English text (``en:`` in its YAML) is answered with it, hedged like the Japanese
answer: a fact from a secondary source or not verified is never stated as certain, and the citizen is
told where to confirm. An entry without one is not machine-translated: the answer says in English
that this answer exists only in Japanese, gives the Japanese text, and the contact center's line.
Replies without an entry (fallback, handoff, small talk, clarifying questions) have English texts here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from intents.compose import Answer, ContactPoint, OfficeCard, dedupe_sentences, postal_address
from knowledge.loader import KnowledgeBase
from knowledge.schema import Faq, LifeEvent, Office, Procedure, Sourced, Window

ONLY_JAPANESE = ("Sorry, this answer is not yet available in English; it is given below in Japanese. "
                 "For help, call {line}.")
"""The honest first line of an English answer from an entry that has no English text."""

SECONDARY = ("Note: part of this information comes from a source other than the city's official pages "
             "and may be out of date.")
UNVERIFIED = "Part of this information has not been confirmed."
CONFIRM = " Please confirm with {line}."
"""Added to the notes above unless the answer already says where to confirm (the contact center or its number)."""

SATURDAY_YES = ("Saturday openings: also accepted on the 2nd and 4th Saturday mornings (8:30–12:30) at the "
                "ward office.")
SATURDAY_NO = "Saturday openings: not handled on the 2nd and 4th Saturday openings; please come on a weekday."
SATURDAY_UNKNOWN = "Saturday openings: whether this is handled on a Saturday opening has not been confirmed."

FOLLOW_UPS = {
    "必要な持ち物は？": "What do I need to bring?",
    "手数料は？": "How much is the fee?",
    "土曜日も手続きできる？": "Can I do it on a Saturday?",
    "オペレーターと話したい": "I want to talk to a person",
    "次の土曜開庁日は？": "When is the next Saturday opening?",
    "年末年始の休みは？": "When is the New Year closure?",
}
"""The engine's follow-up buttons in English (sent back as questions, which the glossary understands)."""


def english_title(entry: Sourced, japanese_title: str) -> str:
    return entry.en.title if entry.en is not None else japanese_title


def english_answer(kb: KnowledgeBase, entry: Sourced, japanese: Answer, foci: Sequence[str],
                   cp: ContactPoint) -> Answer:
    """The English answer for ``entry``, given the Japanese one composed for the same question."""
    line = cp.line("en")
    if entry.en is None:
        text = ONLY_JAPANESE.format(line=line) + "\n" + japanese.text
        return replace(japanese, text=text)
    parts = [entry.en.text]
    if isinstance(entry, Procedure) and "saturday" in foci:
        if entry.saturday is None or "saturday" in entry.unverified or entry.certainty == "unverified":
            parts.append(SATURDAY_UNKNOWN)
        else:
            parts.append(SATURDAY_YES if entry.saturday else SATURDAY_NO)
    if isinstance(entry, Office):
        parts += _office_lines(entry, foci, cp)
    if isinstance(entry, Window):
        parts += _window_lines(kb, entry, cp)
    note = SECONDARY if entry.certainty == "secondary" else UNVERIFIED if _uncertain(entry) else None
    if note is not None:
        said = "\n".join(parts)
        points_to_us = cp.phone in said or "contact center" in said.lower()
        parts.append(note + ("" if points_to_us else CONFIRM.format(line=line)))
    return replace(japanese, title=entry.en.title, text=dedupe_sentences("\n".join(parts)),
                   checklist=_checklist(kb, entry) or japanese.checklist)


def _office_lines(o: Office, foci: Sequence[str], cp: ContactPoint) -> list[str]:
    """The office's address, hours and phone number from its structured fields, as the Japanese card
    decides them (the address and hours as written in Japanese, which is what a map or a taxi driver
    needs); an aspect asked about that is not known here says so, and then how to ask."""
    card = OfficeCard.of(o, foci)
    lines = []
    if card.where:
        address = postal_address(o)
        if address:
            lines.append(f"Address (in Japanese): {address}")
        elif o.access:
            lines.append(f"Getting there (in Japanese): {o.access}")
        elif card.where_missing:
            lines.append("Address: not confirmed here.")
    if card.hours and card.wanted:
        if o.hours:
            lines.append(f"Hours (in Japanese): {o.hours.text}")
        else:
            lines.append("Hours: not confirmed here.")
    if card.phone:
        if o.phone:
            lines.append(f"Phone: {o.phone}" + (" (please call to confirm)" if card.missing else ""))
        else:
            lines.append(f"Phone: the number has not been confirmed here; please call {cp.line('en')}.")
    return lines


def _window_lines(kb: KnowledgeBase, w: Window, cp: ContactPoint) -> list[str]:
    """Where the window is, its phone and whether it opens on the Saturday openings, from its fields."""
    office = kb.offices.get(w.office)
    lines = []
    if w.floor or w.counter:
        lines.append("Place (in Japanese): " + " ".join(x for x in (w.floor, w.counter) if x))
    else:
        lines.append("Floor and counter number: not confirmed here; please ask at the office's information desk.")
    phone = w.phone or (office.phone if office else None)
    if phone:
        lines.append(f"Phone: {phone}" + ("" if w.phone else " (the office's main number)"))
    if w.saturday is None:
        lines.append(f"Saturday openings: not confirmed; please call {cp.line('en')}.")
    else:
        lines.append("Saturday openings: open on the 2nd and 4th Saturdays, 8:30–12:30." if w.saturday
                     else "Saturday openings: closed on Saturdays.")
    return lines


_STATED = {Office: {"address", "postal_code", "phone", "hours", "access", "services"},
           Window: {"handles", "floor", "counter", "phone", "saturday"}}
"""The fields an office's or window's English answer states (a procedure's or FAQ's text states them all)."""


def _uncertain(entry: Sourced) -> bool:
    stated = _STATED.get(type(entry))
    unverified = set(entry.unverified) if stated is None else set(entry.unverified) & stated
    return entry.certainty == "unverified" or bool(unverified)


def _checklist(kb: KnowledgeBase, entry: Sourced) -> tuple[str, ...]:
    """A life event's steps with the procedures' English names where they have one."""
    if not isinstance(entry, LifeEvent):
        return ()
    steps = []
    for i, step in enumerate(entry.steps, 1):
        proc = kb.procedures.get(step.procedure)
        name = (proc.en.title if proc is not None and proc.en is not None
                else proc.name if proc is not None else step.procedure)
        steps.append(f"{i}. {name}")
    return tuple(steps)


def has_english(entry: object) -> bool:
    """Whether an entry of the base has an English text (offices, windows, procedures, FAQs, life events)."""
    return isinstance(entry, (Office, Window, Procedure, Faq, LifeEvent)) and entry.en is not None


def fallback_text(cp: ContactPoint) -> str:
    return ("Sorry, I could not find information that answers this question (I don't know). "
            f"Please call {cp.line('en')}, or ask to talk to a person.")


def handoff_text(cp: ContactPoint) -> str:
    return f"I will connect you to an operator. By phone, call {cp.line('en')}."


def elsewhere_text(place: str, cp: ContactPoint) -> str:
    return (f"Sorry, I cannot answer about procedures or facilities of {place} (I don't know); please ask "
            f"{place} directly. For Kawasaki City, call {cp.line('en')}.")


def ward_noted_text(ward: str) -> str:
    return f"Noted: {ward}. What would you like to ask?"


OUT_OF_SCOPE = {
    "chatter": "Thank you for chatting. I can help with Kawasaki City's procedures, offices and opening days: "
               "please ask about anything the city handles.",
    "route": "Sorry, I cannot give train connections or routes between stations (I don't know); please use a "
             "railway route finder. For the way to a city office such as a ward office, ask with its name.",
    "other_topic": "Sorry, I cannot help with the weather, restaurants or shops (I don't know). Please ask about "
                   "Kawasaki City's procedures, offices or opening days; {line} also takes questions about the city.",
    "medical": "Sorry, I cannot advise on symptoms or medicines (I don't know): please ask a doctor or a pharmacy. "
               "If you are unsure whether to see a doctor now, ask me \"Should I call an ambulance?\" for the "
               "emergency advice line; {line} also takes questions about the city.",
    "device": "Sorry, I cannot help with problems or settings of phones, computers, internet connections or apps "
              "(I don't know): please ask the maker, the shop or your provider. For the My Number card or the "
              "city's online applications, ask about those; {line} also takes questions about the city.",
    "noise": "I could not read a question there. Please write what you would like to know about Kawasaki City's "
             "procedures, offices or opening days, or call {line}.",
}

SMALLTALK = {
    "greeting": "Hello. Please ask about Kawasaki City's procedures, offices and opening days.",
    "thanks": "You're welcome. Anything else?",
    "bye": "Thank you for using this service.",
}

CLARIFY_WHICH = "Which of these is your question about?"
CLARIFY_WARD = "Which ward do you live in (which ward office is your question about)?"

__all__ = ["english_answer", "english_title", "fallback_text", "handoff_text", "has_english"]
