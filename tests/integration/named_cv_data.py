"""Shared by the named-CV tests: a catalog of two kinds of job, and adding a CV by API."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient

from schema.database import Connection
from tests.fakes import FakeEmbedder
from tests.integration.recommend_data import add_job
from workers.pipelines.embed import embed_pending

API = "/api/v1"


def add_backend_and_care_jobs(conn: Connection, db_url: str) -> None:
    """Twelve backend jobs and twelve care jobs, embedded: a backend CV's list and a care
    CV's list each start with their own kind."""
    for n in range(12):
        add_job(
            conn,
            None,
            None,
            title=f"Python backend engineer {n}",
            company=f"Py {n}",
            description="Build Django APIs in Python on PostgreSQL.",
        )
        add_job(
            conn,
            None,
            None,
            title=f"ICU nurse {n}",
            company=f"Care {n}",
            description="Patient care on the intensive care unit, nursing.",
        )
    embed_pending(db_url, FakeEmbedder())


def add_named_cv(
    client: TestClient[Litestar], headers: dict[str, str], name: str, text: str
) -> int:
    """A new named CV by the API; its id."""
    response = client.post(
        f"{API}/users/me/cvs", headers=headers, json={"name": name, "text": text}
    )
    assert response.status_code == 201, response.text
    return int(response.json()["named_cv"]["id"])
