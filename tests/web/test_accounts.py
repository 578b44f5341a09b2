"""Accounts in the web app: sign up, sign in, sessions, sign out, tokens, and each
refusal said in the page (never a 500, never a change to stored data)."""

from __future__ import annotations

from pathlib import Path

from schema.database import connect
from schema.queries.web_sessions import expire_session
from server.web.auth import SESSION_COOKIE
from tests.web.helpers import PASSWORD, post_form, sign_in, sign_up, web_client


def _count(url: str, table: str) -> int:
    with connect(url) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(str(row[0]))


def test_sign_up_sign_in_sign_out(db_url: str, tmp_path: Path) -> None:
    with web_client(db_url, tmp_path) as client:
        assert client.get("/", follow_redirects=False).headers["location"].startswith("/signin")
        created = sign_up(client, "ada@example.com")
        cookie = created.headers["set-cookie"]
        assert "HttpOnly" in cookie
        assert "samesite=lax" in cookie.lower()
        assert "Secure" not in cookie  # plain HTTP here; over TLS it is set
        page = client.get("/cv")
        assert page.status_code == 200
        assert "ada@example.com" in page.text
        assert "Upload your CV" in page.text

        out = post_form(client, "/signout", {}, page="/cv", follow_redirects=False)
        assert out.status_code == 303
        assert client.get("/cv", follow_redirects=False).status_code == 303
        assert sign_in(client, "ADA@example.com").status_code == 303
        assert client.get("/cv").status_code == 200


def test_refusals_are_said_in_the_page(db_url: str, tmp_path: Path) -> None:
    with web_client(db_url, tmp_path) as client:
        sign_up(client, "ada@example.com")
        post_form(client, "/signout", {}, page="/cv")
        users = _count(db_url, "users")

        wrong = sign_in(client, "ada@example.com", "not the password")
        assert wrong.status_code == 401
        assert "do not match an account" in wrong.text
        unknown = sign_in(client, "nobody@example.com")
        assert unknown.status_code == 401
        assert "do not match an account" in unknown.text  # the same words: no hint

        again = post_form(
            client,
            "/signup",
            {"email": "Ada@example.com", "password": PASSWORD, "confirm": PASSWORD},
            page="/signup",
        )
        assert again.status_code == 409
        assert "already exists" in again.text
        short = post_form(
            client,
            "/signup",
            {"email": "b@example.com", "password": "x", "confirm": "x"},
            page="/signup",
        )
        assert short.status_code == 400
        assert "at least 8 characters" in short.text
        assert _count(db_url, "users") == users


def test_an_expired_session_asks_to_sign_in_again(db_url: str, tmp_path: Path) -> None:
    with web_client(db_url, tmp_path) as client:
        sign_up(client, "ada@example.com")
        sid = client.cookies[SESSION_COOKIE]
        with connect(db_url) as conn:
            expire_session(conn, sid)
            conn.commit()
        response = client.get("/saved", follow_redirects=False)
        assert response.status_code == 303
        assert "expired=1" in response.headers["location"]
        page = client.get(response.headers["location"])
        assert "Your session has expired" in page.text

        sign_up(client, "bob@example.com")
        sid = client.cookies[SESSION_COOKIE]
        with connect(db_url) as conn:
            expire_session(conn, sid)
            conn.commit()
        action = post_form(
            client,
            "/jobs/1/save",
            {},
            page="/signin",
            headers={"HX-Request": "true", "HX-Current-URL": "http://127.0.0.1/?page=2"},
        )
        assert action.headers["hx-redirect"] == "/signin?next=%2F%3Fpage%3D2&expired=1"


def test_an_unknown_page_is_a_page(db_url: str, tmp_path: Path) -> None:
    with web_client(db_url, tmp_path) as client:
        missing = client.get("/no/such/page")
        assert missing.status_code == 404
        assert "<html" in missing.text
        assert "does not exist" in missing.text
        api = client.get("/api/v1/no/such/thing")
        assert api.json()["status_code"] == 404


def test_a_form_without_its_csrf_token_is_refused(db_url: str, tmp_path: Path) -> None:
    with web_client(db_url, tmp_path) as client:
        sign_up(client, "ada@example.com")
        before = _count(db_url, "api_tokens")
        refused = client.post("/tokens/", data={"label": "stolen"})
        assert refused.status_code == 403
        assert "Reload the page" in refused.text
        assert "<html" in refused.text
        forged = client.post("/tokens/", data={"label": "x", "_csrf_token": "0" * 80})
        assert forged.status_code == 403
        assert _count(db_url, "api_tokens") == before
        # The API's bearer-token routes need no CSRF token.
        registered = client.post("/api/v1/users", json={"email": "api@example.com"})
        assert registered.status_code == 201


def test_tokens_page_creates_and_revokes_bearer_tokens(db_url: str, tmp_path: Path) -> None:
    with web_client(db_url, tmp_path) as client:
        sign_up(client, "ada@example.com")
        created = post_form(client, "/tokens/", {"label": "laptop"}, page="/tokens")
        assert created.status_code == 201
        token = created.text.split('id="new-token" readonly value="')[1].split('"')[0]
        me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["email"] == "ada@example.com"
        page = client.get("/tokens")
        assert "laptop" in page.text
        token_id = page.text.split('action="/tokens/')[2].split("/revoke")[0]

        sign_up_other = post_form(client, "/signout", {}, page="/tokens")
        assert sign_up_other.status_code in {200, 303}
        sign_up(client, "bob@example.com")
        stolen = post_form(client, f"/tokens/{token_id}/revoke", {}, page="/tokens")
        assert stolen.status_code == 404  # another person's token: not found
        post_form(client, "/signout", {}, page="/tokens")
        sign_in(client, "ada@example.com")
        revoked = post_form(client, f"/tokens/{token_id}/revoke", {}, page="/tokens")
        assert revoked.status_code == 200
        assert "no longer opens the API" in revoked.text
        assert _count(db_url, "api_tokens") == 0
