"""Access: tokens revoked at once (one or all, in every API process), rate limits on
sign-up and bad tokens (429 with Retry-After), and the contract's bounds: NUL and
out-of-range values refused before any SQL, every error status declared."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from server.app import create_app
from server.routes.common import MAX_ID
from server.throttle import Limit, Limits
from server.token_cache import TokenCache
from tests.fakes import FakeEmbedder
from workers.settings import Settings

API = "/api/v1"
TIGHT = Limits(
    sign_up_per_ip=Limit("sign-up/ip", 4, 3600),
    sign_up_per_account=Limit("sign-up/account", 2, 3600),
    bad_token_per_ip=Limit("bad-token/ip", 3, 60),
)


def _app(db_url: str, home: Path, limits: Limits = TIGHT) -> Litestar:
    return create_app(
        Settings(home=home), database_url=db_url, embedder=FakeEmbedder(), limits=limits
    )


@pytest.fixture
def client(db_url: str, tmp_path: Path) -> Iterator[TestClient[Litestar]]:
    with TestClient(_app(db_url, tmp_path)) as test_client:
        yield test_client


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _wait_until_serving(cache: TokenCache) -> None:
    deadline = time.monotonic() + 10
    while not cache.serving:
        assert time.monotonic() < deadline, "the token cache never started listening"
        time.sleep(0.05)


def test_a_revoked_token_stops_working_at_once_in_every_process(
    db_url: str, tmp_path: Path
) -> None:
    """The very next request after a revocation is refused by the other app too: the
    revocation returned only once that app's cache had forgotten the token."""
    with TestClient(_app(db_url, tmp_path)) as one, TestClient(_app(db_url, tmp_path)) as two:
        first = one.post(f"{API}/users", json={"email": "r@example.com"}).json()["token"]
        second = one.post(f"{API}/users/me/tokens", headers=_auth(first)).json()
        cache: TokenCache = two.app.state.tokens
        _wait_until_serving(cache)
        assert two.get(f"{API}/users/me", headers=_auth(second["token"])).status_code == 200
        assert cache.get(second["token"]) is not None  # the next request would not ask
        listed = two.get(f"{API}/users/me/tokens", headers=_auth(first)).json()["items"]
        assert [t["current"] for t in listed] == [True, False]
        gone = one.delete(f"{API}/users/me/tokens/{second['id']}", headers=_auth(first))
        assert gone.status_code == 204
        assert one.get(f"{API}/users/me", headers=_auth(second["token"])).status_code == 401
        assert two.get(f"{API}/users/me", headers=_auth(second["token"])).status_code == 401
        assert two.get(f"{API}/users/me", headers=_auth(first)).status_code == 200
        again = one.delete(f"{API}/users/me/tokens/{second['id']}", headers=_auth(first))
        assert again.status_code == 404
        assert one.delete(f"{API}/users/me/tokens", headers=_auth(first)).status_code == 204
        assert one.get(f"{API}/users/me", headers=_auth(first)).status_code in {401, 429}
        assert two.get(f"{API}/users/me", headers=_auth(first)).status_code in {401, 429}


def test_sign_up_is_throttled_per_address_and_per_email(client: TestClient[Litestar]) -> None:
    codes = [
        client.post(f"{API}/users", json={"email": "same@example.com"}).status_code
        for _ in range(3)
    ]
    assert codes == [201, 201, 429]
    others = [
        client.post(f"{API}/users", json={"email": f"u{n}@example.com"}).status_code
        for n in range(3)
    ]
    assert others == [201, 429, 429]  # four per address; the three above count, refused or not
    refused = client.post(f"{API}/users", json={"email": "new@example.com"})
    assert refused.json()["status_code"] == 429
    assert int(refused.headers["retry-after"]) > 0


def test_bad_tokens_are_throttled_per_address(client: TestClient[Litestar]) -> None:
    codes = [
        client.get(f"{API}/users/me", headers=_auth(f"guess-{n}")).status_code for n in range(5)
    ]
    assert codes == [401, 401, 401, 429, 429]
    assert 0 < int(client.get(f"{API}/users/me", headers=_auth("x")).headers["retry-after"]) <= 20


def test_bad_admin_tokens_are_throttled_with_bad_user_tokens(db_url: str, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, admin_token="the-admin-token")
    app = create_app(settings, database_url=db_url, embedder=FakeEmbedder(), limits=TIGHT)
    with TestClient(app) as client:
        assert client.get(f"{API}/admin/status", headers=_auth("the-admin-token")).is_success
        codes = [
            client.get(f"{API}/admin/status", headers=_auth(f"guess-{n}")).status_code
            for n in range(2)
        ]
        codes.append(client.get(f"{API}/users/me", headers=_auth("user-guess")).status_code)
        codes.append(client.get(f"{API}/admin/status", headers=_auth("guess-3")).status_code)
        assert codes == [401, 401, 401, 429]  # one count per address, user and admin guesses
        refused = client.post(f"{API}/admin/scrape", headers=_auth("guess-4"))
        assert refused.status_code == 429
        assert refused.json()["status_code"] == 429
        assert 0 < int(refused.headers["retry-after"]) <= 20


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/jobs", {"location": "a\x00b"}),
        ("/jobs/search", {"q": "\x00"}),
        ("/jobs", {"posted_since": "0"}),
        ("/jobs", {"posted_since": "1969-12-31T00:00:00Z"}),
        ("/jobs", {"limit": "101"}),
        (f"/jobs/{2**63}", {}),
        ("/jobs/0", {}),
    ],
)
def test_out_of_bounds_input_is_refused_before_sql(
    client: TestClient[Litestar], path: str, params: dict[str, str]
) -> None:
    token = client.post(f"{API}/users", json={"email": "b@example.com"}).json()["token"]
    response = client.get(f"{API}{path}", headers=_auth(token), params=params)
    assert response.status_code in {400, 404}, response.text
    assert response.json()["status_code"] == response.status_code


def test_a_nul_in_a_body_is_refused(client: TestClient[Litestar]) -> None:
    response = client.post(f"{API}/users", json={"email": "n@example.com", "name": "a\x00"})
    assert response.status_code == 400


def test_the_schema_declares_errors_and_bounds(client: TestClient[Litestar]) -> None:
    spec: dict[str, Any] = client.get("/schema/openapi.json").json()
    job = spec["paths"][f"{API}/jobs/{{job_id}}"]["get"]
    assert {"400", "401", "404", "429", "503"} <= set(job["responses"])
    (job_id,) = [p for p in job["parameters"] if p["name"] == "job_id"]
    assert job_id["schema"]["maximum"] == MAX_ID
    upload = spec["paths"][f"{API}/users/me/cv"]["put"]["responses"]
    assert {"413", "415", "422"} <= set(upload)
    assert "ErrorBody" in str(upload["413"])
    revoke = spec["paths"][f"{API}/users/me/tokens/{{token_id}}"]["delete"]["responses"]
    assert {"401", "404"} <= set(revoke)
