"""Typed keys under which the app stores its settings and resources (one place for all of them).

The keys are the web layer's: handlers and middlewares read the app's resources through them, while
the objects stored (the chat hub, the handoff queue, the operators' desk, the limiters, the inquiry
log …) are plain objects from the layers below, which never read the app themselves.
"""

from __future__ import annotations

from aiohttp import web

from contact.assistant import Assistant
from contact.chat.desk import OperatorDesk
from contact.chat.handoffs import HandoffQueue
from contact.chat.hub import ChatHub, ChatLimits
from contact.config import Clock, Settings
from contact.knowledge_state import KnowledgeState
from contact.store.events import EventBus
from contact.store.inquiry_log import InquiryLog
from contact.web.limiters import Limits

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
KNOWLEDGE = web.AppKey("knowledge", KnowledgeState)
INQUIRY_LOG = web.AppKey("inquiry_log", InquiryLog)
ASSISTANT = web.AppKey("assistant", Assistant)
HANDOFFS = web.AppKey("handoffs", HandoffQueue)
"""Web chats waiting for an operator (contact.chat.handoffs.HandoffQueue)."""
CHAT_HUB = web.AppKey("chat_hub", ChatHub)
"""The open chat WebSockets by session."""
CHAT_LIMITS = web.AppKey("chat_limits", ChatLimits)
"""Per-connection message size and rate limits of the chat WebSocket."""
LIMITS = web.AppKey("limits", Limits)
"""Per-client request-rate and open-chat limiters of the citizen endpoints (contact.web.limiters)."""
OPERATOR_DESK = web.AppKey("operator_desk", OperatorDesk)
"""Live chats between citizens and operators (contact.chat.desk.OperatorDesk)."""
EVENTS = web.AppKey("events", EventBus)
"""This process's listener on the store's event bus (contact.store.events.EventBus)."""
