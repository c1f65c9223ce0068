"""The store: everything the service persists, SQLite or PostgreSQL behind one interface.

================  ================================================================================
module            what
================  ================================================================================
``inquiry_log``   the inquiry log (inquiries, feedback, handoffs, chat messages, phrasings, sessions,
                  audit), one writer fed by a queue, reads in an executor, migrations
``pg``            the PostgreSQL backend the log uses when ``--db`` is a ``postgresql://`` URL
``accounts``      staff and operator accounts, password hashes, API tokens, sign-in sessions
``maintenance``   retention (purge) and online backup
``conversations`` what a conversation remembers (ward, topic, offered candidates), with expiry
``events``        the event bus between workers and nodes (SQLite polled, PostgreSQL LISTEN/NOTIFY)
``counters``      counts every process shares: failed sign-ins, rate-limit buckets (PostgreSQL)
``chat_sockets``  the open chat sockets of every process: open-chat limits, is the citizen connected
================  ================================================================================

The store is used by the core and the rooms above it; it never imports :mod:`contact.web` or
:mod:`contact.chat`. It tags rows with the rules of :mod:`contact.analysis` (voice types, usable
phrasings), plain functions that do not import the store.
"""
