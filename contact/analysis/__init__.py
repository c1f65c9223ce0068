"""広聴 analysis of the inquiry log: plain-Python functions over the log's connection (sqlite-utils or
contact.store.pg), used by the staff API (contact.web.staff), ``contact report`` and tests.

==============  ============================================================================
module          what
==============  ============================================================================
``filters``     the shared filters (dates, ward, channel, …) → a portable SQL ``WHERE``
``inquiries``   the paged list and the Excel-safe CSV export
``stats``       volume by day/week/month, breakdowns, answer/fallback/handoff rates, satisfaction
``voice``       voice types (声の種類) by rules in ``voice_rules.yaml``, and their evaluation
``words``       content words (Sudachi): frequencies, co-occurrence, KWIC, cross tables
``gaps``        clusters of unanswered questions with the nearest entry (knowledge gaps)
``rising``      words and clusters jumping this week against the weeks before
``report``      the monthly report (one self-contained HTML page; charts from ``svg``)
``phrasings``   proposals of new phrasings learned from traffic, and their review
==============  ============================================================================

This package must stay light to import: :mod:`contact.store.inquiry_log` imports ``voice`` and ``phrasings``
on start (the store tags rows with these rules). It never imports the store, the web layer or the chat:
functions take the log's connection. The seeded synthetic log is :mod:`contact.ops.seed`.
"""
