"""The web layer: routes, thin HTTP handlers, middlewares, pages and the OpenAPI description.

Handlers parse and validate a request, call the plain-Python rooms below (the service core in
:mod:`contact.assistant`, :mod:`contact.chat`, :mod:`contact.store`, :mod:`contact.analysis`) and
return JSON; errors become JSON bodies in one middleware. Nothing below this package imports it.

==================  =================================================================================
module              what
==================  =================================================================================
``keys``            the typed ``web.AppKey`` of every resource the app holds
``common``          what every handler shares: ``read_json``, ``ready_engine``
``views``           the citizens' HTTP API (ask, feedback, offices, entries), admin reload, health
``openings``        opening days and hours as JSON and iCalendar
``chat``            the chat WebSocket ``/api/v1/chat``, the widget and its demo page
``operator``        the operators' console API, WebSocket and page
``staff``           the staff (広聴) API and pages over :mod:`contact.analysis`
``auth``            sign-in, sessions, API tokens, roles, CSRF and the audit log (HTTP side)
``middleware``      request id and access log; the one place where errors become JSON
``security``        security headers, CORS for the widget origins, request-body timeouts
``ratelimit``       per-client limits of the citizen endpoints (the middleware)
``limiters``        the token buckets and connection counters behind them
``metrics``         Prometheus metrics at ``/metrics``
``pages``           static pages and assets with cache headers
``openapi``         the OpenAPI document and its endpoint; ``openapi_schemas``: its building blocks
==================  =================================================================================
"""
