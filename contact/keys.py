"""Typed keys under which the app stores its settings and resources (one place for all of them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from contact.assistant import Assistant
from contact.config import Clock, Settings
from contact.inquiry_log import InquiryLog
from contact.knowledge_state import KnowledgeState

if TYPE_CHECKING:  # contact.chat imports these keys: name its types for the checker only
    from contact.chat import ChatHub, ChatLimits, HandoffQueue
    from contact.desk import OperatorDesk
    from contact.ratelimit import Limits

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
KNOWLEDGE = web.AppKey("knowledge", KnowledgeState)
INQUIRY_LOG = web.AppKey("inquiry_log", InquiryLog)
ASSISTANT = web.AppKey("assistant", Assistant)
HANDOFFS: web.AppKey[HandoffQueue] = web.AppKey("handoffs")
"""Web chats waiting for an operator (contact.chat.HandoffQueue)."""
CHAT_HUB: web.AppKey[ChatHub] = web.AppKey("chat_hub")
"""The open chat WebSockets by session."""
CHAT_LIMITS: web.AppKey[ChatLimits] = web.AppKey("chat_limits")
"""Per-connection message size and rate limits of the chat WebSocket."""
LIMITS: web.AppKey[Limits] = web.AppKey("limits")
"""Per-client request-rate and open-chat limiters of the citizen endpoints (contact.ratelimit)."""
OPERATOR_DESK: web.AppKey[OperatorDesk] = web.AppKey("operator_desk")
"""Live chats between citizens and operators (contact.desk.OperatorDesk)."""
