"""Typed keys under which the app stores its settings and resources (one place for all of them)."""

from __future__ import annotations

from aiohttp import web

from contact.assistant import Assistant
from contact.config import Clock, Settings
from contact.inquiry_log import InquiryLog
from contact.knowledge_state import KnowledgeState

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
KNOWLEDGE = web.AppKey("knowledge", KnowledgeState)
INQUIRY_LOG = web.AppKey("inquiry_log", InquiryLog)
ASSISTANT = web.AppKey("assistant", Assistant)
