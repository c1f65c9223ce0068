"""Regression tests of the outside security probe's findings on access (issue 16): admin credentials
(finding 1), live sockets of disabled operators (2), the sign-in lock-out (3), user-name timing (4),
personal data in ids, audit rows and records (8), and the session cookie and login CSRF (9)."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest

from contact.app import create_app
from contact.config import ConfigError, Settings
from contact.errors import StartupError
from contact.knowledge_state import KnowledgeState
from contact.store import accounts
from contact.web.auth import resolve_admin_token
from tests.conftest import admin_headers

# -- finding 1: admin needs a credential; reloads one at a time and rate limited -------------------------


async def test_finding1_loopback_is_no_credential_for_admin_or_metrics(aiohttp_client, settings) -> None:
    """With no admin token configured, a loopback client (every client behind a proxy on the same host)
    gets 401 from reload and /metrics; the token the first start made (mode 0600) is the credential."""
    client = await aiohttp_client(create_app(settings))
    for method, path in (("POST", "/api/v1/admin/reload"), ("GET", "/metrics")):
        for headers in ({}, {"X-Forwarded-For": "203.0.113.9"}, {"Authorization": "Bearer wrong-token-value!"}):
            resp = await client.request(method, path, headers=headers)
            assert resp.status == 401, (path, headers)
            assert (await resp.json())["error"]["code"] == "unauthorized"
    path = settings.admin_token_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert (await client.get("/metrics", headers=admin_headers(settings))).status == 200
    assert (await client.post("/api/v1/admin/reload", headers=admin_headers(settings))).status == 200


async def test_finding1_a_forwarded_client_behind_a_trusted_proxy_never_reloads(aiohttp_client, settings) -> None:
    """With --trust-proxy 1, X-Forwarded-For: 203.0.113.9 from a loopback proxy is refused (no anonymous admin)."""
    client = await aiohttp_client(create_app(settings.with_(trust_proxy=1)))
    resp = await client.post("/api/v1/admin/reload", headers={"X-Forwarded-For": "203.0.113.9"})
    assert resp.status == 401


def test_finding1_allow_loopback_admin_refuses_to_combine_with_trust_proxy(settings) -> None:
    """--allow-loopback-admin 1 with --trust-proxy is a configuration error (behind a proxy all are loopback)."""
    with pytest.raises(ConfigError, match="trust_proxy"):
        settings.with_(allow_loopback_admin=1, trust_proxy=1)
    with pytest.raises(ConfigError):
        settings.with_(allow_loopback_admin=2)
    with pytest.raises(ConfigError, match="16"):
        settings.with_(admin_token="short")


async def test_finding1_allow_loopback_admin_passes_direct_loopback_only(aiohttp_client, settings) -> None:
    """With --allow-loopback-admin 1 a loopback client passes, but not one whose request came through a proxy."""
    client = await aiohttp_client(create_app(settings.with_(allow_loopback_admin=1)))
    assert (await client.get("/metrics")).status == 200
    for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
        assert (await client.get("/metrics", headers={header: "203.0.113.9"})).status == 401, header


def test_finding1_the_admin_token_is_made_once_private_and_announced_without_the_secret(
        tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """The first start writes 256 random bits to a 0600 file and prints its path (never the token); later
    starts and workers read the same token silently; a file others may read is refused at start."""
    settings = Settings(db=str(tmp_path / "var" / "c.sqlite3"))
    token = resolve_admin_token(settings)
    printed = capsys.readouterr().err
    assert str(settings.admin_token_path()) in printed and token not in printed
    assert len(token) >= 43 and settings.admin_token_path() == tmp_path / "var" / "admin-token"
    assert resolve_admin_token(settings) == token and capsys.readouterr().err == ""
    assert not [p for p in settings.admin_token_path().parent.iterdir() if p.name.startswith(".admin-token")]
    os.chmod(settings.admin_token_path(), 0o644)
    with pytest.raises(StartupError, match="chmod 600"):
        resolve_admin_token(settings)
    os.chmod(settings.admin_token_path(), 0o600)
    settings.admin_token_path().write_text("\n")
    with pytest.raises(StartupError, match="no usable token"):
        resolve_admin_token(settings)
    assert resolve_admin_token(settings.with_(admin_token="configured-token-value")) == "configured-token-value"


def test_finding1_concurrent_first_starts_agree_on_one_token(tmp_path: Path) -> None:
    """Two processes making the token at once (workers, two nodes) end up with the same file content."""
    path = tmp_path / "admin-token"
    made = [accounts.ensure_admin_token(path) for _ in range(3)]
    assert len({t for t, _ in made}) == 1 and [c for _, c in made] == [True, False, False]


async def test_finding1_thirty_parallel_reloads_run_one_build(aiohttp_client, settings, monkeypatch) -> None:
    """30 parallel reloads: one builds the matcher, 29 get 429 reload_running (JSON, Retry-After); a reload
    right after it gets 429 rate_limited until reload_interval has passed."""
    builds = []
    real = KnowledgeState._build

    def counting(self):  # type: ignore[no-untyped-def]
        builds.append(1)
        return real(self)

    client = await aiohttp_client(create_app(settings.with_(reload_interval=30.0)))
    monkeypatch.setattr(KnowledgeState, "_build", counting)
    headers = admin_headers(settings)
    responses = await asyncio.gather(*(client.post("/api/v1/admin/reload", headers=headers) for _ in range(30)))
    statuses = sorted(r.status for r in responses)
    assert statuses == [200] + [429] * 29 and len(builds) == 1
    refused = [r for r in responses if r.status == 429]
    assert all(int(r.headers["Retry-After"]) > 0 for r in refused)
    assert {(await r.json())["error"]["code"] for r in refused} == {"reload_running"}
    again = await client.post("/api/v1/admin/reload", headers=headers)
    assert again.status == 429 and (await again.json())["error"]["code"] == "rate_limited"
    assert 0 < int(again.headers["Retry-After"]) <= 30 and len(builds) == 1
