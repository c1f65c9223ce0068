"""Operating the service: benchmarks, the load and crash test, worker supervision, a seeded synthetic log.

==============  ==================================================================================
module          what
==============  ==================================================================================
``workers``     ``contact serve --workers N``: N server processes on one port, restarted when they die
``bench``       ``python -m contact.ops.bench``: matcher and HTTP benchmarks (scripts/bench)
``loadtest``    ``python -m contact.ops.loadtest``: load test with a zero-loss check (scripts/load)
``seed``        a seeded synthetic inquiry log for tests and demos (scripts/seed-log)
==============  ==================================================================================

Tools over the service: they start it, drive it or fill its store; nothing in the service imports them
(only the command line, for ``--workers``).
"""
