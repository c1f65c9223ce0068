"""The ``contact`` command: thin wrappers over the Python API.

Examples::

    contact serve --port 8080 --db var/contact.sqlite3
    contact kb check
    contact kb check --kb path/to/kb
"""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contact.config import ConfigError, Settings, settings_table

if TYPE_CHECKING:
    from knowledge.loader import KnowledgeBase


def _add_setting_options(parser: argparse.ArgumentParser, names: Sequence[str]) -> None:
    for option, env, default, help_text in settings_table():
        name = option[2:].replace("-", "_")
        if name not in names:
            continue
        kind: Any = type(default) if isinstance(default, (int, float)) and not isinstance(default, bool) else str
        parser.add_argument(option, dest=name, type=kind, default=None,
                            help=f"{help_text} [env {env}; default {default}]".replace("%", "%%"))  # argparse formats


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the HTTP service until SIGINT/SIGTERM; inquiries already accepted are committed before exit.

    With --workers N (N > 1) a parent process runs N server processes on the same port (contact.ops.workers).
    """
    from contact.logs import configure

    settings = _settings(args)
    configure(settings.log_level)
    if settings.workers > 1:
        from contact.ops.workers import serve_workers

        return serve_workers(settings)
    from contact.app import run_server

    return run_server(settings)


def cmd_kb_check(args: argparse.Namespace) -> int:
    """Validate a knowledge directory, then list what needs a person: contradictions between entries,
    sources that are not the city's own page, sources older than --max-age-days, entries without a
    source date, reviews older than --max-review-days, and facts from secondary sources.

    Exit status 0 when the base loads (findings are for editors), 1 when it does not; with --strict,
    also 1 when there is a contradiction or an unmarked secondary source."""
    from knowledge.audit import audit, entry_counts

    settings = _settings(args)
    kb = _load_or_report(settings.kb)
    if kb is None:
        return 1
    counts = {k: len(getattr(kb, k)) for k in ("offices", "windows", "procedures", "faqs", "life_events")}
    print(f"OK: {len(kb)} entries in {settings.kb} " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    today = settings.clock().now().date()
    report = audit(kb, today, max_age_days=args.max_age_days, max_review_days=args.max_review_days)
    only = set(args.only or ())
    for finding in report.findings:
        if not only or finding.kind in only:
            print(finding.line())
    no_samples = [
        e.id for e in kb.entries()  # type: ignore[attr-defined]
        if hasattr(e, "sample_questions") and not e.sample_questions  # type: ignore[attr-defined]
    ]
    for entry_id in no_samples:
        print(f"no sample questions: {entry_id}")
    if args.counts:
        for key, n in entry_counts(kb).items():
            print(f"count: {key}={n}")
    print("summary: " + report.summary())
    serious = report.counts_by_kind.get("contradiction", 0) + report.counts_by_kind.get("unmarked-secondary", 0)
    return 1 if args.strict and serious else 0


def cmd_kb_import(args: argparse.Namespace) -> int:
    """Import a FAQ file (CSV, XLSX or JSONL with id, question, answer[, category …]) into a directory.

    Bad rows are reported by row number and skipped; good rows are written to DIR/faqs.yaml and
    the resulting directory is validated as a knowledge base.
    Example: contact kb import faq.jsonl --into var/kb-amagasaki --source-url https://example.jp/faq
    """
    from knowledge.transfer import TransferError, read_faq_rows, write_faqs

    try:
        result = read_faq_rows(
            args.file, args.format, source_url=args.source_url,
            reviewed=dt.date.fromisoformat(args.reviewed) if args.reviewed else dt.date.today(),
            category=args.category, department=args.department,
        )
    except (TransferError, ValueError, OSError) as exc:
        print(f"contact: {exc}", file=sys.stderr)
        return 2
    for problem in result.problems:
        print(f"skipped {problem}", file=sys.stderr)
    if not result.faqs:
        print("contact: no valid rows to import", file=sys.stderr)
        return 1
    out = write_faqs(result.faqs, args.into)
    kb = _load_or_report(args.into)
    if kb is None:
        return 1
    print(f"imported {len(result.faqs)} FAQs into {out} ({len(result.problems)} rows skipped); "
          f"the directory holds {len(kb)} entries")
    return 0 if not result.problems else 3


def cmd_kb_export(args: argparse.Namespace) -> int:
    """Export a knowledge base: as one flat table (csv opens in Excel: UTF-8 with BOM), or with DIR as the
    whole current base — the --kb directory plus the edits made in /editor/ (kept in --db) — in the YAML
    layout of knowledge/data, so that the repository can take the edits in.

    Example: contact kb export var/kb-current --db var/contact.sqlite3 --synonyms var/synonyms.yaml
    """
    settings = _settings(args)
    if args.dir:
        return _export_yaml(settings, Path(args.dir), args.synonyms)
    from knowledge.transfer import export

    kb = _load_or_report(settings.kb)
    if kb is None:
        return 1
    out = args.out or f"knowledge-export.{args.format}"
    rows = export(kb, args.format, out)
    print(f"exported {rows} entries to {out}")
    return 0


def _export_yaml(settings: Settings, target: Path, synonyms_path: str | None) -> int:
    from contact.store import kb_edits
    from intents.synonyms import DEFAULT_PATH
    from knowledge.editing import dump_synonyms, effective_synonyms, read_synonym_table, write_effective
    from knowledge.errors import KnowledgeError
    from knowledge.loader import load

    if target.exists() and any(target.iterdir()):
        print(f"contact: {target} exists and is not empty; export into a new directory", file=sys.stderr)
        return 2
    from contact.store.inquiry_log import connect, migrate

    db = connect(settings.db, settings.durability)
    try:
        migrate(db)  # an older or new log file: no edits yet
        edits, synonym_edits = kb_edits.latest_edits(db), kb_edits.synonym_edits(db)
    finally:
        db.conn.close()
    write_effective(Path(settings.kb), edits, target)
    try:
        kb = load(target)
    except KnowledgeError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"exported {len(kb)} entries ({len(edits)} edited in the editor) to {target}")
    if synonyms_path:
        table = effective_synonyms(read_synonym_table(DEFAULT_PATH), synonym_edits)
        Path(synonyms_path).write_text(dump_synonyms(table), encoding="utf-8")
        print(f"exported the synonym table ({len(synonym_edits)} edit(s)) to {synonyms_path}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """Evaluate the matcher (and the two baselines) on a labelled JSONL query set.

    Prints top-1, top-3, hit@5, MRR, the share answered correctly, out-of-scope rejection, latency
    and a per-category table; exits 1 when a --min-* threshold is not met.
    Example: contact eval tests/data/eval_queries.jsonl --min-top1 0.9 --min-top3 0.97
    """
    from intents.baselines import FuzzyBaseline, SurfaceBM25Baseline
    from intents.encoders import load_encoders
    from intents.engine import Engine
    from intents.evaluate import PARTS, compare, evaluate, format_results, load_queries

    settings = _settings(args)
    kb = _load_or_report(settings.kb)
    if kb is None:
        return 2
    queries = load_queries(args.queries)
    started = time.perf_counter()
    engine = Engine(kb, memo_size=0)  # the latencies printed are the matcher's, never a memo hit
    build_s = time.perf_counter() - started
    now = settings.clock().now()
    loaded, problems = load_encoders(settings.encoder_names())
    for name, reason in problems.items():
        print(f"encoder {name} unavailable, left out: {reason}", file=sys.stderr)
    encoders = {e.name: e for e in loaded}

    def build(names: tuple[str, ...]) -> Engine:
        if not names:
            return engine
        fused = Engine(kb, tokenizer=engine.tokenizer, memo_size=0, encoders=[encoders[n] for n in names],
                       cache_dir=Path(settings.cache_dir))
        for name, index in fused.dense.items():
            print(f"  {name}: {index.n_texts} texts, {index.embedded} embedded now, {index.build_seconds:.1f} s")
        return fused

    parts = PARTS if args.part == "both" else (args.part,)
    results = compare(build, queries, tuple(encoders), now, parts)
    gated = results[-1]  # the fused matcher (or the richest one that loaded) on the last part
    if args.baselines:
        fuzzy = FuzzyBaseline(engine.docs)
        bm25 = SurfaceBM25Baseline(engine.docs, engine.tokenizer)
        for baseline in (fuzzy, bm25):
            def run(q: str, b: FuzzyBaseline | SurfaceBM25Baseline = baseline) -> tuple[list[str], str | None]:
                ranked = b.rank(q)
                return [i for i, _ in ranked], None if b.rejects(ranked) else ranked[0][0]

            results.append(evaluate(baseline.name, queries, run))
    print(f"knowledge base: {settings.kb} ({len(kb)} entries, index built in {build_s:.2f} s); "
          f"queries: {args.queries} ({len(queries)})")
    print(format_results(results, per_category=not args.no_categories))
    if args.misses:
        print(f"\nfirst {args.misses} top-1 misses (query | expected | got):")
        for q, expected, got in results[-1].misses[: args.misses]:
            print(f"  {q} | {expected} | {got}")
    s = gated.summary()
    print(f"\nthresholds apply to: {gated.system}")
    failed = [
        f"{name} {s[key]:.3f} < {minimum}"
        for name, key, minimum in (("top1", "top1", args.min_top1), ("top3", "top3", args.min_top3),
                                   ("mrr", "mrr", args.min_mrr), ("oos rejection", "oos_rejection", args.min_rejection))
        if minimum is not None and s[key] < minimum
    ]
    for f in failed:
        print(f"FAIL: {f}", file=sys.stderr)
    return 1 if failed else 0


def cmd_users(args: argparse.Namespace) -> int:
    """Manage operator, staff and admin accounts in the service's database (secrets stored as salted hashes).

    Examples:
      contact users add sato --role operator          (asks for the password; or --password-stdin)
      contact users add reportbot --role staff --no-password   (token-only account)
      contact users token sato --label console-pc-3   (prints a new API token once)
      contact users list | disable sato | enable sato | password sato | revoke TOKEN_ID
    Every change is written to the audit log.
    """
    import getpass
    import json

    from contact.logs import configure
    from contact.store import accounts
    from contact.store.inquiry_log import connect, migrate

    configure("warning", json=False, stderr=True)
    settings = _settings(args)
    db = connect(settings.db, settings.durability)
    try:
        migrate(db)
        action = args.users_command

        def read_password() -> str:
            if args.password_stdin:
                return sys.stdin.readline().rstrip("\n")
            first = getpass.getpass(f"password for {args.name}: ")
            if getpass.getpass("again: ") != first:
                raise accounts.AccountError("the two passwords differ")
            return first

        result: str | None = None
        if action == "list":
            for row in accounts.list_users(db):
                state = "disabled" if row["disabled"] else "active"
                login = "login" if row["can_login"] else "token-only"
                print(f"{row['name']:<24} {row['role']:<9} {state:<9} {login:<10} tokens={row['tokens']}"
                      f"  created {row['created_at']}")
            return 0
        if action == "add":
            password = None if args.no_password else read_password()
            accounts.add_user(db, args.name, args.role, password)
            result = f"added {args.name} ({args.role})"
        elif action in ("disable", "enable"):
            accounts.set_disabled(db, args.name, action == "disable")
            result = f"{action}d {args.name}"
        elif action == "password":
            accounts.set_password(db, args.name, read_password())
            result = f"password changed for {args.name}; their sessions were ended"
        elif action == "token":
            token = accounts.issue_token(db, args.name, args.label)
            print(token)
            result = f"token {token.split('.')[0]} issued for {args.name} (shown once above)"
        elif action == "revoke":
            if not accounts.revoke_token(db, args.token_id):
                raise accounts.AccountError(f"no active token '{args.token_id}'")
            result = f"revoked token {args.token_id}"
        db["audit"].insert({  # type: ignore[union-attr]
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "actor": f"cli:{getpass.getuser()}", "role": "admin", "action": f"users.{action}",
            "target": getattr(args, "name", None) or getattr(args, "token_id", None),
            "detail": json.dumps({"role": getattr(args, "role", None)}) if action == "add" else None, "ip": None,
        })
        print(result, file=sys.stderr if action == "token" else sys.stdout)
        return 0
    except accounts.AccountError as exc:
        print(f"contact: {exc}", file=sys.stderr)
        return 1
    finally:
        db.conn.close()


def _open_log(settings: Settings) -> Any:
    """The inquiry log's database, created and migrated (for commands that work on it directly)."""
    from contact.logs import configure
    from contact.store.inquiry_log import connect, migrate

    configure("warning", json=False, stderr=True)
    db = connect(settings.db, settings.durability)
    migrate(db)
    return db


def cmd_db_purge(args: argparse.Namespace) -> int:
    """Delete inquiries older than the retention (and their feedback, handed-off chats, unaccepted phrasings).

    The cutoff is --before DATE (the day itself is kept), else today minus --retention-days
    (CONTACT_RETENTION_DAYS); with neither, or a retention of 0, nothing is deleted.
    Examples: contact db purge --retention-days 1095     contact db purge --before 2024-04-01 --dry-run
    """
    from contact.store.maintenance import purge, purge_counts, retention_cutoff

    settings = _settings(args)
    try:
        cutoff = (dt.date.fromisoformat(args.before) if args.before
                  else retention_cutoff(settings.clock().now().date(), settings.retention_days))
    except ValueError:
        print("contact: --before must be a date YYYY-MM-DD", file=sys.stderr)
        return 2
    if cutoff is None:
        print("retention_days is 0 (keep forever) and no --before given: nothing purged")
        return 0
    db = _open_log(settings)
    try:
        counts = purge_counts(db, cutoff) if args.dry_run else purge(db, cutoff)
    finally:
        db.conn.close()
    verb = "would delete" if args.dry_run else "deleted"
    print(f"{verb} everything recorded before {cutoff}: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


def cmd_db_backup(args: argparse.Namespace) -> int:
    """Copy the SQLite inquiry log to PATH with SQLite's online backup API; safe while the service runs.

    Example: contact db backup /backup/contact-$(date +%F).sqlite3
    """
    from contact.store.maintenance import BackupError, backup

    settings = _settings(args)
    try:
        result = backup(settings.db, args.path, overwrite=args.force)
    except (BackupError, OSError, sqlite3.Error) as exc:
        print(f"contact: backup failed: {exc}", file=sys.stderr)
        return 1
    rows = ", ".join(f"{k}={v}" for k, v in result["rows"].items())
    print(f"backed up {settings.db} to {result['path']} ({result['bytes']:,} bytes, "
          f"schema v{result['schema_version']}, {rows}); integrity ok")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Write the monthly report (one self-contained HTML page) of the inquiry log.

    Examples: contact report --month 2026-10 --out report-2026-10.html
              contact report --month 2026-10 --ward 中原区 > nakahara.html
    """
    from contact.analysis.filters import FilterError, parse_filters
    from contact.analysis.gaps import add_nearest, engine_nearest
    from contact.analysis.report import collect, render
    from contact.analysis.words import WordExtractor
    from contact.logs import configure
    from intents.engine import Engine

    configure("warning", json=False, stderr=True)
    settings = _settings(args)
    pairs = [(name, value) for name in ("ward", "channel", "category") for value in getattr(args, name) or ()]
    try:
        filters = parse_filters(pairs)
    except FilterError as exc:
        print(f"contact: {exc.message}", file=sys.stderr)
        return 2
    kb = _load_or_report(settings.kb)
    if kb is None:
        return 2
    engine = Engine(kb)
    now = settings.clock().now()
    db = _open_log(settings)
    try:
        data = collect(db, args.month, WordExtractor(getattr(engine.tokenizer, "user_dictionaries", ())),
                       now.date(), filters, now=now)
    except FilterError as exc:
        print(f"contact: {exc.message}", file=sys.stderr)
        return 2
    finally:
        db.conn.close()
    add_nearest(data.gaps["clusters"], engine_nearest(engine))
    html = render(data)
    if args.out:
        Path(args.out).write_text(html, encoding="utf-8")
        print(f"wrote the {args.month} report ({data.rates['total']} inquiries) to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(html)
    return 0


def cmd_kb_learned(args: argparse.Namespace) -> int:
    """Write the phrasings editors accepted (staff API / staff page) to KB_DIR/learned_phrasings.yaml.

    The loader merges them into the entries (FAQ alternatives, sample questions) on the next load or
    reload (kill -HUP, POST /api/v1/admin/reload). Example: contact kb learned --into knowledge/data
    """
    from contact.analysis.phrasings import accepted, write_learned
    from knowledge.errors import KnowledgeError
    from knowledge.loader import load

    settings = _settings(args)
    try:
        kb = load(args.into, learned=False)
    except KnowledgeError as exc:
        print(exc, file=sys.stderr)
        return 1
    known = {*kb.offices, *kb.procedures, *kb.faqs, *kb.life_events}  # windows take no phrasings
    db = _open_log(settings)
    try:
        phrasings = accepted(db)
    finally:
        db.conn.close()
    path, written, skipped = write_learned(phrasings, args.into, known)
    for entry_id in skipped:
        print(f"skipped phrasings of '{entry_id}': no such entry (or a window) in {args.into}", file=sys.stderr)
    try:
        load(args.into)
    except KnowledgeError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"wrote {written} accepted phrasings of {len(phrasings) - len(skipped)} entries to {path}")
    return 0


def _load_or_report(directory: str) -> KnowledgeBase | None:
    """The knowledge base in ``directory``, or None after printing every problem to stderr."""
    from knowledge.errors import KnowledgeError
    from knowledge.loader import load

    try:
        return load(directory)
    except KnowledgeError as exc:
        print(exc, file=sys.stderr)
        return None


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
    check.add_argument("--max-age-days", type=int, default=3 * 365,
                       help="list facts whose source (source_date) is older than this (default 1095, 3 years)")
    check.add_argument("--max-review-days", type=int, default=365,
                       help="list entries reviewed longer ago than this (default 365)")
    check.add_argument("--only", action="append", metavar="KIND",
                       help="print only findings of this kind (contradiction, unmarked-secondary, old-source, "
                            "no-source-date, review-overdue, secondary); repeatable")
    check.add_argument("--counts", action="store_true", help="also print entry counts by kind and category")
    check.add_argument("--strict", action="store_true",
                       help="exit 1 when there is a contradiction or an unmarked secondary source")
    check.set_defaults(func=cmd_kb_check)

    imp = kb_sub.add_parser("import", help="import a FAQ file into a knowledge directory",
                            description=cmd_kb_import.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    imp.add_argument("file", help="CSV, XLSX or JSONL file of FAQs")
    imp.add_argument("--into", required=True, help="knowledge directory to write (faqs.yaml)")
    imp.add_argument("--format", choices=["csv", "xlsx", "jsonl"], help="file format (default: from the suffix)")
    imp.add_argument("--source-url", help="source URL for rows without a source_url column")
    imp.add_argument("--reviewed", help="review date YYYY-MM-DD for rows without one (default: today)")
    imp.add_argument("--category", default="その他", help="category for rows without one")
    imp.add_argument("--department", default="不明", help="department for rows without one")
    imp.set_defaults(func=cmd_kb_import)

    exp = kb_sub.add_parser("export", help="export a knowledge base as a table, or with the editor's edits as YAML",
                            description=cmd_kb_export.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_setting_options(exp, ["kb", "db"])
    exp.add_argument("dir", nargs="?", help="write the current base (shipped + edits) as YAML into this new directory")
    exp.add_argument("--synonyms", help="with DIR: also write the synonym table with its edits to this file")
    exp.add_argument("--format", choices=["csv", "xlsx", "jsonl"], default="csv", help="output format")
    exp.add_argument("--out", help="output file (default: knowledge-export.FORMAT)")
    exp.set_defaults(func=cmd_kb_export)
    ev = sub.add_parser("eval", help="evaluate the matcher on labelled queries", description=cmd_eval.__doc__,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    ev.add_argument("queries", help="JSONL of labelled queries")
    _add_setting_options(ev, ["kb", "now", "encoders", "cache_dir"])
    ev.add_argument("--part", choices=["all", "tune", "check", "both"], default="both",
                    help="which half of the queries (split by a fixed hash of the id): both halves side by side "
                         "(default), one of them, or all together")
    ev.add_argument("--baselines", action="store_true", help="also run the rapidfuzz and surface-BM25 baselines")
    ev.add_argument("--misses", type=int, default=0, help="print the first N top-1 misses")
    ev.add_argument("--no-categories", action="store_true", help="omit the per-category table")
    for name in ("top1", "top3", "mrr", "rejection"):
        ev.add_argument(f"--min-{name}", type=float, help=f"fail (exit 1) when {name} is below this")
    ev.set_defaults(func=cmd_eval)

    users = sub.add_parser("users", help="manage operator/staff/admin accounts and API tokens",
                           description=cmd_users.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    users_sub = users.add_subparsers(dest="users_command", required=True)
    for name, help_text in (("add", "add a user"), ("list", "list users"), ("disable", "disable a user"),
                            ("enable", "enable a user"), ("password", "set a user's password"),
                            ("token", "issue an API token"), ("revoke", "revoke an API token")):
        command = users_sub.add_parser(name, help=help_text)
        _add_setting_options(command, ["db"])
        if name == "revoke":
            command.add_argument("token_id", help="the part of the token before the dot")
        elif name != "list":
            command.add_argument("name", help="user name")
        if name == "add":
            from contact.store.accounts import ROLES

            command.add_argument("--role", required=True, choices=ROLES)
            command.add_argument("--no-password", action="store_true", help="token-only account (no web sign-in)")
        if name in ("add", "password"):
            command.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
        if name == "token":
            command.add_argument("--label", help="what the token is for (e.g. the machine)")
        command.set_defaults(func=cmd_users)
    learned = kb_sub.add_parser("learned", help="write accepted phrasings into a knowledge directory",
                                description=cmd_kb_learned.__doc__)
    learned.add_argument("--into", required=True, help="knowledge directory (learned_phrasings.yaml is written there)")
    _add_setting_options(learned, ["db"])
    learned.set_defaults(func=cmd_kb_learned)

    db_parser = sub.add_parser("db", help="inquiry-log maintenance: purge by retention, online backup")
    db_sub = db_parser.add_subparsers(dest="db_command", required=True)
    purge = db_sub.add_parser("purge", help="delete inquiries older than the retention",
                              description=cmd_db_purge.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    purge.add_argument("--before", help="delete what was recorded before this date (YYYY-MM-DD)")
    purge.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    _add_setting_options(purge, ["db", "retention_days", "now"])
    purge.set_defaults(func=cmd_db_purge)
    bak = db_sub.add_parser("backup", help="copy the SQLite log while the service runs",
                            description=cmd_db_backup.__doc__)
    bak.add_argument("path", help="the backup file to write")
    bak.add_argument("--force", action="store_true", help="replace PATH if it exists")
    _add_setting_options(bak, ["db"])
    bak.set_defaults(func=cmd_db_backup)

    rep = sub.add_parser("report", help="the monthly report of the inquiry log (HTML)", description=cmd_report.__doc__,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    rep.add_argument("--month", required=True, help="YYYY-MM")
    rep.add_argument("--out", help="file to write (default: stdout)")
    for name in ("ward", "channel", "category"):
        rep.add_argument(f"--{name}", action="append", help=f"only inquiries of this {name} (repeatable)")
    _add_setting_options(rep, ["db", "kb", "now"])
    rep.set_defaults(func=cmd_report)
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


