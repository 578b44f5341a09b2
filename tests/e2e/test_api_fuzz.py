"""Generated requests over the whole OpenAPI schema: whatever arrives, no 5xx, and every
error is a JSON `{status_code, detail}`.

For every operation the schema declares, hypothesis draws path and query values (typed
from the schema, or arbitrary text), a body (schema-shaped or arbitrary JSON, sometimes
not JSON at all) and credentials (a user's token, the admin token, garbage, none).
Queued tasks land in the test database's queue; no worker runs them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from server.app import create_app
from tests.fakes import FakeEmbedder
from workers.settings import Settings

ADMIN = "fuzz-admin-token"
METHODS = ("get", "post", "put", "delete")

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=10,
)


def resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """`schema` with a top-level `$ref` into `#/components/schemas` followed."""
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


SIMPLE: dict[str, st.SearchStrategy[Any]] = {
    "integer": st.integers(min_value=-(2**70), max_value=2**70),
    "number": st.floats(allow_nan=False, allow_infinity=False),
    "boolean": st.booleans(),
    "null": st.none(),
    "string": st.text(max_size=60),
}


def from_schema(
    schema: dict[str, Any], spec: dict[str, Any], depth: int = 0
) -> st.SearchStrategy[Any]:
    """Values roughly of `schema`'s shape, bounds sometimes broken on purpose."""
    schema = resolve(schema, spec)
    kind = schema.get("type")
    options = schema.get("oneOf") or schema.get("anyOf")
    strategy: st.SearchStrategy[Any] = json_values
    if options:
        strategy = st.one_of(*(from_schema(option, spec, depth + 1) for option in options))
    elif "enum" in schema:
        strategy = st.sampled_from(schema["enum"]) | st.text(max_size=8)
    elif kind == "object" and depth < 4:
        properties = {
            name: from_schema(sub, spec, depth + 1)
            for name, sub in schema.get("properties", {}).items()
        }
        strategy = st.fixed_dictionaries({}, optional=properties)
    elif kind == "array" and depth < 4:
        strategy = st.lists(from_schema(schema.get("items", {}), spec, depth + 1), max_size=5)
    elif kind == "string" and "@" in str(schema.get("pattern", "")):
        strategy = st.emails() | SIMPLE["string"]
    elif isinstance(kind, str) and kind in SIMPLE:
        strategy = SIMPLE[kind]
    return strategy


def param_value(param: dict[str, Any], spec: dict[str, Any]) -> st.SearchStrategy[str]:
    typed = from_schema(param.get("schema", {}), spec).map(
        lambda v: json.dumps(v) if isinstance(v, bool) or v is None else str(v)
    )
    return typed | st.sampled_from(["true", "0", "-1", "", "9" * 30, "%00", "2026-01-01"])


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in spec["paths"].items()
        if path.startswith("/api/")
        for method, operation in item.items()
        if method in METHODS
    ]


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory: pytest.TempPathFactory, server_url: str) -> Iterator[Any]:
    """One app on one database for every example (state piles up, as in real use)."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    from schema.migrate import migrate

    name = "jobmatch_fuzz_api"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    url = make_conninfo("", **{**conninfo_to_dict(server_url), "dbname": name})
    migrate(url)
    home = Path(tmp_path_factory.mktemp("fuzz"))
    app = create_app(
        Settings(home=home, admin_token=ADMIN), database_url=url, embedder=FakeEmbedder()
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        token = client.post("/api/v1/users", json={"email": "fuzz@example.com"}).json()["token"]
        client.put(
            "/api/v1/users/me/cv",
            headers={"Authorization": f"Bearer {token}"},
            json={"text": "Python"},
        )
        yield client, token
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _spec(client: TestClient[Any]) -> dict[str, Any]:
    spec: dict[str, Any] = client.get("/schema/openapi.json").json()
    return spec


def test_schema_lists_every_resource(fuzz_client: Any) -> None:
    client, _ = fuzz_client
    paths = {path for _, path, _ in operations(_spec(client))}
    for expected in ("/api/v1/jobs/search", "/api/v1/jobs/{job_id}/save", "/api/v1/admin/status"):
        assert expected in paths


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_generated_requests_never_get_a_5xx(fuzz_client: Any, data: st.DataObject) -> None:
    client, token = fuzz_client
    spec = _spec(client)
    method, path, operation = data.draw(st.sampled_from(operations(spec)), label="operation")
    url = path
    query: dict[str, str] = {}
    for param in operation.get("parameters", []):
        if param["in"] == "path":
            # Percent-encoded as a client must: a raw control character is not a URL.
            value = quote(str(data.draw(param_value(param, spec))), safe="")
            url = url.replace("{" + param["name"] + "}", value)
        elif param["in"] == "query" and data.draw(st.booleans()):
            query[param["name"]] = data.draw(param_value(param, spec), label=param["name"])
    auth = data.draw(st.sampled_from([token, ADMIN, "garbage", None]), label="token")
    headers = {"Authorization": f"Bearer {auth}"} if auth else {}
    kwargs: dict[str, Any] = {"params": query, "headers": headers}
    if method in ("post", "put"):
        body_schema = (
            operation.get("requestBody", {})
            .get("content", {})
            .get("application/json", {})
            .get("schema")
        )
        shaped = from_schema(body_schema, spec) if body_schema else json_values
        body = data.draw(shaped | json_values | st.binary(max_size=40), label="body")
        if isinstance(body, bytes):
            kwargs["content"] = body
            headers["Content-Type"] = data.draw(st.sampled_from(["application/json", "text/plain"]))
        else:
            kwargs["json"] = body
    response = client.request(method.upper(), url, **kwargs)
    assert response.status_code < 500, (method, url, kwargs, response.text)
    if response.status_code >= 400:
        error = response.json()
        assert error["status_code"] == response.status_code
        assert isinstance(error["detail"], str)
        assert error["detail"]
