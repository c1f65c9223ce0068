"""The OpenAPI description (contact/web/openapi.py): served, complete, and true of the live server (schemathesis)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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


CHECKS = ",".join([
    "not_a_server_error", "status_code_conformance", "content_type_conformance", "response_headers_conformance",
    "response_schema_conformance", "unsupported_method", "ignored_auth", "missing_required_header",
])
"""What the run checks: no 5xx; statuses, content types, headers and bodies as described; 405 for other
methods; endpoints that need credentials refuse requests without them. Not the two data checks
(positive_data_acceptance, negative_data_rejection): the API validates more than a schema says (an unknown
office, from after to, text that is blank after trimming) and reads an empty query value as "not given";
run them by hand (``st run … --checks all``) to tighten the description."""


@pytest.mark.slow
def test_schemathesis_against_the_live_server(tmp_path: Path) -> None:
    """schemathesis (examples, coverage, fuzzing and stateful phases) against a running server: no 5xx,
    and status codes, content types, headers and bodies as described (see CHECKS)."""
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
    if st is None:
        pytest.skip("schemathesis is not installed (pip install -e '.[test]')")
    db = tmp_path / "var" / "contact.sqlite3"
    db.parent.mkdir(parents=True)
    headers = []
    add = subprocess.run([sys.executable, "-m", "contact", "users", "add", "st-admin", "--role", "admin",
                          "--no-password", "--db", str(db)], capture_output=True, text=True)
    token = subprocess.run([sys.executable, "-m", "contact", "users", "token", "st-admin", "--db", str(db)],
                           capture_output=True, text=True)
    if add.returncode == 0 and token.returncode == 0 and token.stdout.strip():
        headers = ["-H", f"Authorization: Bearer {token.stdout.strip()}"]  # so that admin endpoints are exercised
    server = Server(tmp_path, db=db, env={"CONTACT_RATE_LIMIT": "0"})
    try:
        proc = subprocess.run(
            [st, "run", server.base + "/api/v1/openapi.json", "--checks", CHECKS,
             "--exclude-path", "/api/v1/chat", "--exclude-path", "/api/v1/operator/ws",  # WebSockets
             "--max-examples", "15", "--seed", "20261120", "--workers", "1", "--request-timeout", "20",
             "--max-failures", "10", *headers],
            cwd=tmp_path, capture_output=True, text=True, timeout=240,
            env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_TELEMETRY": "false"})
    finally:
        output = server.stop()
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert "unhandled_error" not in output
