"""Two `jobmatch serve` processes on one database: a token revoked through one is refused
by the other on the very next request, though that one had it cached."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.serving import serving

ROUNDS = 8


def test_the_next_request_after_a_revocation_is_refused_by_every_process(
    db_url: str, tmp_path: Path
) -> None:
    with serving(db_url, tmp_path / "one") as one, serving(db_url, tmp_path / "two") as two:
        registered = httpx.post(f"{one}/api/v1/users", json={"email": "two@example.com"})
        owner = {"Authorization": f"Bearer {registered.json()['token']}"}
        with httpx.Client() as http:
            for _ in range(ROUNDS):
                issued = http.post(f"{one}/api/v1/users/me/tokens", headers=owner).json()
                auth = {"Authorization": f"Bearer {issued['token']}"}
                for _ in range(2):  # the second is answered from the other's cache
                    assert http.get(f"{two}/api/v1/users/me", headers=auth).status_code == 200
                path = f"{one}/api/v1/users/me/tokens/{issued['id']}"
                assert http.delete(path, headers=owner).status_code == 204
                refused = http.get(f"{two}/api/v1/users/me", headers=auth)
                assert refused.status_code == 401, refused.text
