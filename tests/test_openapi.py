"""The OpenAPI description (contact/web/openapi.py): served, complete, and true of the live server (schemathesis)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from contact.app import create_app
from contact.web.openapi import build_spec
from tests.server import Server

ROOT = Path(__file__).resolve().parent.parent
DESCRIBED_PREFIXES = ("/api/",)
DESCRIBED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
"""Routes that must be in the description; pages and static files (/, /login, /static/…) need not be."""


def test_every_api_route_is_described(settings) -> None:
    """Each route registered on the app under /api/ (and the health and metrics endpoints) is in the spec."""
    app = create_app(settings)
    spec = build_spec(settings)
    missing = []
    for route in app.router.routes():
        resource = route.resource
        if resource is None or route.method in ("HEAD", "*"):
            continue
        path = resource.canonical
        if not (path.startswith(DESCRIBED_PREFIXES) or path in DESCRIBED_PATHS):
            continue
        if route.method.lower() not in spec["paths"].get(path, {}):
            missing.append(f"{route.method} {path}")
    assert not missing, ("add these to contact/web/openapi.py PATHS (see its docstring): " + ", ".join(sorted(missing)))


def test_every_described_operation_exists(settings) -> None:
    """…and nothing is described that the app does not serve."""
    app = create_app(settings)
    served = {(r.method.lower(), r.resource.canonical) for r in app.router.routes() if r.resource is not None}
    spec = build_spec(settings)
    ghosts = [f"{m.upper()} {p}" for p, ops in spec["paths"].items() for m in ops if (m, p) not in served]
    assert not ghosts


def test_references_resolve(settings) -> None:
    spec = build_spec(settings)
    refs: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    assert refs
    for ref in refs:
        section, name = ref.removeprefix("#/components/").split("/", 1)
        assert name in spec["components"][section], ref


async def test_served_with_the_servers_limits(aiohttp_client, settings) -> None:
    client = await aiohttp_client(create_app(settings.with_(max_text_chars=300)))
    resp = await client.get("/api/v1/openapi.json")
    assert resp.status == 200 and resp.content_type == "application/json"
    spec = await resp.json()
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["schemas"]["AskRequest"]["properties"]["text"]["maxLength"] == 300
    offices = next(p for p in spec["paths"]["/api/v1/openings"]["get"]["parameters"] if p["name"] == "office")
    assert "enum" in offices["schema"] or offices["schema"]["type"] == "string"


EXCLUDED_CHECKS = ",".join([
    "positive_data_acceptance",  # replaced by valid_requests_are_accepted (tests/schemathesis_hooks.py)
    "allow_header_conformance",
    "use_after_free", "ensure_resource_availability", "object_level_authorization",  # for CRUD resources
])
"""Every other check runs: no 5xx; statuses, content types, headers and bodies as described; 405 for other
methods; endpoints that need credentials refuse requests without them; requests that violate the schema
refused (negative_data_rejection) and requests valid per the schema accepted (valid_requests_are_accepted:
a 400 only with a code the operation lists under x-semantic-errors, contact.web.openapi.SEMANTIC_ERRORS).
The last three are stateful checks for APIs that create and delete resources; this one deletes nothing."""
HOOKS = "tests.schemathesis_hooks"
MAX_EXAMPLES = 15
"""Per operation and phase: about 3,500 cases over the 31 operations in about 100 s on 2 workers."""


def test_finding11_the_description_says_what_validation_checks(settings) -> None:
    """Finding 11 (24 schema-valid requests refused, 3 out-of-enum values accepted): limits, choices, date
    bounds and "empty means not given" are in the schema; rules across parameters are listed per code."""
    spec = build_spec(settings)
    staff = {p["name"]: p["schema"] for p in spec["paths"]["/api/v1/stats/volume"]["get"]["parameters"]}
    assert "" in staff["split"]["enum"] and "lang" in staff["split"]["enum"]
    assert re.fullmatch(staff["ward"]["pattern"], "中原区, none") and not re.fullmatch(staff["ward"]["pattern"], "l")
    date = staff["from"]["anyOf"][0]["pattern"]
    assert re.fullmatch(date, "2024-02-29") and not re.fullmatch(date, "2026-02-29")
    assert not re.fullmatch(date, "9999-12-31") and not re.fullmatch(date, "0001-01-01")
    limit = {p["name"]: p["schema"] for p in spec["paths"]["/api/v1/inquiries"]["get"]["parameters"]}["limit"]
    assert limit["anyOf"][0] == {"type": "integer", "minimum": 1, "maximum": 500}
    monthly = [p["name"] for p in spec["paths"]["/api/v1/reports/monthly"]["get"]["parameters"]]
    assert "from" not in monthly and "to" not in monthly  # the month sets them: they are refused
    assert spec["paths"]["/api/v1/inquiries"]["get"]["x-semantic-errors"] == {
        "invalid_range": "'from' is after 'to', or the range is longer than allowed"}
    assert "unknown_window" in spec["paths"]["/api/v1/openings"]["get"]["x-semantic-errors"]
    assert re.search(spec["components"]["schemas"]["AskRequest"]["properties"]["text"]["pattern"], " a ")
    assert not re.search(spec["components"]["schemas"]["AskRequest"]["properties"]["text"]["pattern"], " \u3000 ")


@pytest.mark.slow
def test_schemathesis_against_the_live_server(tmp_path: Path) -> None:
    """schemathesis (examples, coverage, fuzzing and stateful phases) over the whole API against a running
    server with an admin token: every check but those of EXCLUDED_CHECKS, 0 5xx, no traceback in the log."""
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
    if st is None:
        pytest.skip("schemathesis is not installed (pip install -e '.[test]')")
    db = tmp_path / "var" / "contact.sqlite3"
    db.parent.mkdir(parents=True)
    subprocess.run([sys.executable, "-m", "contact", "users", "add", "st-admin", "--role", "admin",
                    "--no-password", "--db", str(db)], capture_output=True, text=True, check=True)
    token = subprocess.run([sys.executable, "-m", "contact", "users", "token", "st-admin", "--db", str(db)],
                           capture_output=True, text=True, check=True).stdout.strip()
    assert token  # so that the admin, staff and operator endpoints are exercised, not only refused
    server = Server(tmp_path, db=db, env={"CONTACT_RATE_LIMIT": "0"})
    started = time.monotonic()
    try:
        proc = subprocess.run(
            [st, "run", server.base + "/api/v1/openapi.json", "--exclude-checks", EXCLUDED_CHECKS,
             "--exclude-path", "/api/v1/chat", "--exclude-path", "/api/v1/operator/ws",  # WebSockets: test_hostile
             "--max-examples", str(MAX_EXAMPLES), "--seed", "20261120", "--workers", "2",
             "--request-timeout", "30", "--request-retries", "1",
             "--max-failures", "10", "-H", f"Authorization: Bearer {token}"],
            cwd=tmp_path, capture_output=True, text=True, timeout=400,
            env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_TELEMETRY": "false", "SCHEMATHESIS_HOOKS": HOOKS,
                 "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))})
    finally:
        output = server.stop()
    seconds = time.monotonic() - started
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    cases = re.search(r"(\d+) generated, (\d+) passed", proc.stdout)
    assert cases and int(cases[1]) == int(cases[2]) > 2000, proc.stdout[-2000:]
    server_errors = len(re.findall(r'"status": 5\d\d', output))
    tracebacks = output.count("Traceback")
    print(f"schemathesis: {cases[1]} cases, {server_errors} 5xx, {tracebacks} tracebacks, {seconds:.0f} s")
    assert server_errors == 0 and tracebacks == 0 and "unhandled_error" not in output, output[-3000:]
