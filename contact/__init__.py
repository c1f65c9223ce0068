"""The contact-center service (aiohttp), cut into rooms by layer; docs/architecture.md draws them.

``web`` (HTTP and WebSocket handlers, middlewares, pages, OpenAPI) → ``chat`` (chat hub, handoff
queue, operators' desk) → the core at the top (``assistant``, ``knowledge_state``, ``requests``) →
``store`` (the inquiry log, SQLite or PostgreSQL) → ``analysis`` (広聴, plain Python) → ``config``,
``errors``, ``masking``, ``logs``. ``app`` wires them, ``cli`` and ``ops`` drive them. Imports point
down only; ``scripts/test`` checks it with import-linter.
"""
