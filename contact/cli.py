"""The ``contact`` command: thin wrappers over the Python API.

Examples::

    contact serve --port 8080 --db var/contact.sqlite3
    contact kb check
    contact kb check --kb path/to/kb
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from contact.config import ConfigError, Settings, settings_table


def _add_setting_options(parser: argparse.ArgumentParser, names: Sequence[str]) -> None:
    for option, env, default, help_text in settings_table():
        name = option[2:].replace("-", "_")
        if name not in names:
            continue
        kind: Any = type(default) if isinstance(default, (int, float)) and not isinstance(default, bool) else str
        parser.add_argument(option, dest=name, type=kind, default=None,
                            help=f"{help_text} [env {env}; default {default}]")


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the HTTP service until SIGINT/SIGTERM; inquiries already accepted are committed before exit."""
    from aiohttp import web

    from contact.app import create_app
    from contact.errors import StartupError
    from contact.logs import configure

    settings = _settings(args)
    configure(settings.log_level)
    app = create_app(settings)
    try:
        web.run_app(
            app, host=settings.host, port=settings.port, shutdown_timeout=settings.shutdown_timeout,
            access_log=None, print=lambda msg: print(msg, flush=True), handle_signals=True,
        )
    except StartupError as exc:
        print(f"contact: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_kb_check(args: argparse.Namespace) -> int:
    """Validate a knowledge directory; list entries past their review date and entries without samples."""
    from knowledge.errors import KnowledgeError
    from knowledge.loader import load

    settings = _settings(args)
    try:
        kb = load(settings.kb)
    except KnowledgeError as exc:
        print(exc, file=sys.stderr)
        return 1
    counts = {k: len(getattr(kb, k)) for k in ("offices", "windows", "procedures", "faqs", "life_events")}
    print(f"OK: {len(kb)} entries in {settings.kb} " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    today = settings.clock().now().date()
    stale = [e for e in kb.entries() if (today - e.reviewed).days > args.max_age_days]
    for e in stale:
        print(f"stale: {e.id} reviewed {e.reviewed} ({(today - e.reviewed).days} days ago)")  # type: ignore[attr-defined]
    no_samples = [
        e.id for e in kb.entries()  # type: ignore[attr-defined]
        if hasattr(e, "sample_questions") and not e.sample_questions  # type: ignore[attr-defined]
    ]
    for entry_id in no_samples:
        print(f"no sample questions: {entry_id}")
    return 0


def _settings(args: argparse.Namespace) -> Settings:
    names = [f[2:].replace("-", "_") for f, *_ in settings_table()]
    return Settings.from_sources({n: getattr(args, n) for n in names if hasattr(args, n)})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="contact", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP service", description=cmd_serve.__doc__)
    _add_setting_options(serve, [f[2:].replace("-", "_") for f, *_ in settings_table()])
    serve.set_defaults(func=cmd_serve)

    kb = sub.add_parser("kb", help="knowledge-base tools")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    check = kb_sub.add_parser("check", help="validate a knowledge directory", description=cmd_kb_check.__doc__)
    _add_setting_options(check, ["kb", "now"])
    check.add_argument("--max-age-days", type=int, default=365,
                       help="report entries reviewed longer ago than this (default 365)")
    check.set_defaults(func=cmd_kb_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.func(args)
    except ConfigError as exc:
        print(f"contact: {exc}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


