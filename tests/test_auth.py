"""Accounts, API tokens, session sign-in, CSRF, roles and the audit log (contact.store.accounts, contact.web.auth)."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from contact.cli import main
from contact.store import accounts
from contact.store.inquiry_log import connect, migrate
from tests.conftest import PASSWORD


@pytest.fixture
def db(tmp_path):  # type: ignore[no-untyped-def]
    database = connect(str(tmp_path / "accounts.sqlite3"))
    migrate(database)
    yield database
    database.conn.close()


def test_passwords_are_stored_as_salted_scrypt_hashes(db) -> None:
    """The same password twice gives two different hashes; neither contains the password."""
    accounts.add_user(db, "sato", "operator", PASSWORD)
    accounts.add_user(db, "suzuki", "operator", PASSWORD)
    hashes = [row[0] for row in db.execute("SELECT password_hash FROM users")]
    assert hashes[0] != hashes[1] and all(h.startswith("scrypt$") and PASSWORD not in h for h in hashes)
    assert accounts.check_password(db, "sato", PASSWORD) is not None
    assert accounts.check_password(db, "sato", PASSWORD + "x") is None
    assert accounts.check_password(db, "nobody", PASSWORD) is None


def test_tokens_are_shown_once_and_stored_hashed(db) -> None:
    accounts.add_user(db, "bot", "staff", None)
    token = accounts.issue_token(db, "bot", "report job")
    ident, secret = token.split(".")
    stored = " ".join(str(v) for v in db.execute("SELECT * FROM api_tokens").fetchone())
    assert secret not in stored
    principal = accounts.token_principal(db, token)
    assert principal is not None and principal.role == "staff" and principal.via == "token"
    assert accounts.token_principal(db, ident + ".wrong") is None
    assert accounts.token_principal(db, "garbage") is None
    assert accounts.revoke_token(db, ident)
    assert accounts.token_principal(db, token) is None


def test_disabling_a_user_stops_tokens_and_sessions(db) -> None:
    accounts.add_user(db, "sato", "operator", PASSWORD)
    token = accounts.issue_token(db, "sato")
    principal = accounts.check_password(db, "sato", PASSWORD)
    assert principal is not None
    cookie, _ = accounts.start_session(db, principal, hours=8)
    assert accounts.session_principal(db, cookie) is not None
    accounts.set_disabled(db, "sato", True)
    assert accounts.token_principal(db, token) is None
    assert accounts.session_principal(db, cookie) is None
    assert accounts.check_password(db, "sato", PASSWORD) is None


def test_sessions_expire(db) -> None:
    accounts.add_user(db, "sato", "operator", PASSWORD)
    principal = accounts.check_password(db, "sato", PASSWORD)
    assert principal is not None
    start = dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)
    cookie, _ = accounts.start_session(db, principal, hours=8, now=start)
    assert accounts.session_principal(db, cookie, now=start + dt.timedelta(hours=7)) is not None
    assert accounts.session_principal(db, cookie, now=start + dt.timedelta(hours=9)) is None


@pytest.mark.parametrize(("name", "role", "password"), [
    ("", "operator", PASSWORD), ("a b", "operator", PASSWORD), ("sato", "root", PASSWORD), ("sato", "staff", "short"),
])
def test_bad_accounts_are_refused(db, name, role, password) -> None:
    with pytest.raises(accounts.AccountError):
        accounts.add_user(db, name, role, password)


def test_admin_holds_every_role() -> None:
    admin = accounts.Principal(1, "a", "admin", "token")
    operator = accounts.Principal(2, "o", "operator", "token")
    assert admin.has("staff") and admin.has("operator")
    assert operator.has("operator") and not operator.has("staff")


async def _login(client, name: str = "sato", password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return await client.post("/api/v1/login", json={"name": name, "password": password})


async def test_sign_in_sets_a_hardened_cookie_and_me_answers(client, add_user) -> None:
    add_user("sato", "operator")
    resp = await _login(client)
    assert resp.status == 200
    body = await resp.json()
    assert body["role"] == "operator" and body["csrf"]
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    me = await client.get("/api/v1/me")
    assert me.status == 200
    assert (await me.json()) == {"name": "sato", "role": "operator", "csrf": body["csrf"]}


async def test_wrong_password_is_401_and_repeated_failures_are_locked_out(client, add_user) -> None:
    add_user("sato", "operator")
    resp = await _login(client, password="wrong password!")
    assert resp.status == 401
    assert (await resp.json())["error"]["code"] == "unauthorized"
    for _ in range(5):
        await _login(client, password="wrong password!")
    locked = await _login(client)  # even the right password, while locked
    assert locked.status == 429 and int(locked.headers["Retry-After"]) > 0


async def test_bad_login_bodies_are_400(client) -> None:
    for body in ({}, {"name": 1, "password": "x"}, [1, 2]):
        resp = await client.post("/api/v1/login", json=body)
        assert resp.status == 400, body


async def test_unauthenticated_and_wrong_role(client, add_user) -> None:
    token = add_user("sato", "operator")
    resp = await client.get("/api/v1/me")
    assert resp.status == 401 and "Bearer" in resp.headers["WWW-Authenticate"]
    resp = await client.get("/api/v1/audit", headers={"Authorization": f"Bearer {token}"})
    assert resp.status == 403
    resp = await client.get("/api/v1/me", headers={"Authorization": "Bearer nope.nope"})
    assert resp.status == 401


async def test_state_changes_with_the_cookie_need_the_csrf_token_and_same_origin(client, add_user) -> None:
    add_user("sato", "operator")
    csrf = (await (await _login(client)).json())["csrf"]
    assert (await client.post("/api/v1/logout")).status == 403
    evil = await client.post("/api/v1/logout", headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"})
    assert evil.status == 403 and (await evil.json())["error"]["code"] == "csrf_failed"
    ok = await client.post("/api/v1/logout", headers={"X-CSRF-Token": csrf})
    assert ok.status == 200
    assert (await client.get("/api/v1/me")).status == 401


async def test_admin_reads_the_audit_log_of_sign_ins_and_reloads(client, add_user) -> None:
    add_user("sato", "operator")
    admin_token = add_user("boss", "admin")
    await _login(client, password="wrong password!")
    await _login(client)
    headers = {"Authorization": f"Bearer {admin_token}"}
    assert (await client.post("/api/v1/admin/reload", headers=headers)).status == 200
    resp = await client.get("/api/v1/audit", headers=headers)
    assert resp.status == 200
    actions = [(row["action"], row["actor"]) for row in (await resp.json())["items"]]
    assert ("login.failed", None) in actions and ("login", "sato") in actions
    assert ("knowledge.reload", "boss") in actions
    assert PASSWORD not in str(actions)


async def test_an_operator_cannot_reload_the_knowledge_base(client, add_user) -> None:
    token = add_user("sato", "operator")
    resp = await client.post("/api/v1/admin/reload", headers={"Authorization": f"Bearer {token}"})
    assert resp.status == 403


async def test_login_page_is_served(client) -> None:
    resp = await client.get("/login")
    assert resp.status == 200 and "サインイン" in await resp.text()
    assert (await client.get("/static/login.js")).status == 200


def test_users_command_line(tmp_path, capsys, monkeypatch) -> None:
    """add → token → list → disable → revoke, each audited; bad input exits non-zero with a message."""
    import io

    path = str(tmp_path / "cli.sqlite3")
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["users", "add", "sato", "--role", "operator", "--password-stdin", "--db", path]) == 0
    assert main(["users", "token", "sato", "--label", "pc-3", "--db", path]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert main(["users", "list", "--db", path]) == 0
    listing = capsys.readouterr().out
    assert "sato" in listing and "operator" in listing and "tokens=1" in listing
    assert main(["users", "disable", "sato", "--db", path]) == 0
    assert main(["users", "revoke", token.split(".")[0], "--db", path]) == 0
    assert main(["users", "disable", "nobody", "--db", path]) == 1
    assert "no user" in capsys.readouterr().err
    actions = [r[0] for r in sqlite3.connect(path).execute("SELECT action FROM audit ORDER BY id")]
    assert actions == ["users.add", "users.token", "users.disable", "users.revoke"]


def test_finding_4_an_unknown_name_costs_a_full_password_hash(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Security probe finding 4 (user-name enumeration by timing): the dummy hash checked for an unknown
    name was malformed, so no hash was computed. Now an unknown name, a known one with a wrong password
    and a token-only account each run scrypt once, with the same parameters."""
    import hashlib

    from contact.store import accounts
    from contact.store.inquiry_log import connect, migrate

    db = connect(settings.db)
    migrate(db)
    accounts.add_user(db, "sato", "operator", "correct horse battery")
    accounts.add_user(db, "bot", "staff", None)
    accounts._dummy_hash()  # made once per process, at the first sign-in
    calls: list[int] = []
    real = hashlib.scrypt

    def counting(*args, **kw):  # type: ignore[no-untyped-def]
        calls.append(kw["n"])
        return real(*args, **kw)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    for name in ("nobody", "sato", "bot"):
        calls.clear()
        assert accounts.check_password(db, name, "wrong password!") is None
        assert calls == [16384], (name, calls)
    db.conn.close()
