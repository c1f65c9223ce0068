"""GET /metrics: Prometheus text with request counts by route template, reply kinds and log state."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from contact.web.keys import SETTINGS
from tests.conftest import admin_headers


async def _scrape(client, **kwargs) -> dict[str, list]:  # type: ignore[no-untyped-def]
    kwargs.setdefault("headers", admin_headers(client.app[SETTINGS]))
    resp = await client.get("/metrics", **kwargs)
    assert resp.status == 200, await resp.text()
    assert resp.headers["Content-Type"].startswith("text/plain")
    return {f.name: f.samples for f in text_string_to_metric_families(await resp.text())}


async def test_metrics_count_requests_replies_and_log_rows(client) -> None:
    for text in ("住民票はいくらですか", "明日の天気は", "住民票はいくらですか"):
        assert (await client.post("/api/v1/ask", json={"text": text})).status == 200
    assert (await client.post("/api/v1/ask", data=b"not json")).status == 400
    await client.get("/api/v1/entries/no-such-entry")
    await client.get("/no/such/path/with/a/token-abc123")
    families = await _scrape(client)
    requests = {(s.labels["route"], s.labels["status"]): s.value
                for s in families["contact_http_requests"] if s.name.endswith("_total")}
    assert requests[("/api/v1/ask", "200")] == 3
    assert requests[("/api/v1/ask", "400")] == 1
    assert requests[("/api/v1/entries/{entry_id}", "404")] == 1
    assert requests[("unmatched", "404")] == 1
    assert not any("token-abc123" in route for route, _ in requests)
    replies = {s.labels["kind"]: s.value for s in families["contact_replies"] if s.name.endswith("_total")}
    assert replies.get("answer", 0) >= 1 and replies.get("fallback", 0) >= 1
    assert families["contact_log_rows"][0].value >= 3
    assert families["contact_match_memo_hits"][0].value >= 1
    assert families["contact_match_memo_misses"][0].value >= 2
    assert families["contact_log_healthy"][0].value == 1
    assert families["contact_knowledge_entries"][0].value > 0


async def test_metrics_need_an_admin_when_a_token_is_configured(aiohttp_client, settings, add_user) -> None:
    from contact.app import create_app

    staff = add_user("hiro", "staff")
    admin = add_user("boss", "admin")
    client = await aiohttp_client(create_app(settings.with_(admin_token="s3cret-token-value")))
    assert (await client.get("/metrics")).status == 401
    assert (await client.get("/metrics", headers={"Authorization": f"Bearer {staff}"})).status == 403
    await _scrape(client, headers={"Authorization": f"Bearer {admin}"})
    await _scrape(client, headers={"Authorization": "Bearer s3cret-token-value"})
