"""The Litestar application: the one place routes, the pool, CORS and error handling meet."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import anyio.to_thread
import psycopg
from litestar import Litestar, Request, Response, Router
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.types import ExceptionHandlersMap
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool, PoolTimeout

from embeddings.model import Embedder
from schema.database import Connection, open_pool
from schema.errors import DatabaseError
from server.auth import TokenCache, provide_user
from server.routes.admin import AdminController
from server.routes.applications import ApplicationsController
from server.routes.common import TaskQueue
from server.routes.feedback import FeedbackController
from server.routes.health import HealthController
from server.routes.jobs import JobsController
from server.routes.saved import SavedJobsController
from server.routes.users import UsersController
from server.web import web_router
from server.web.errors import html_error, wants_html
from server.web.setup import csrf_config, openapi_render_plugins, static_routers, template_config
from server.web.signin_throttle import SignInThrottle
from workers.pipelines.cv_files import CvFileError
from workers.pipelines.database import ready_database_url
from workers.pipelines.serving import Embedders
from workers.settings import Settings
from workers.tasks import create_tasks

log = logging.getLogger("jobmatch.api")
API_PREFIX = "/api/v1"
# JSON bodies are small; the CV route raises its own limit for files.
MAX_BODY_BYTES = 1024 * 1024


async def provide_db(state: State) -> AsyncIterator[Connection]:
    """A pooled connection for one request, in autocommit (writes group their own
    transactions), returned to the pool when the response is done."""
    pool: ConnectionPool = state.pool
    try:
        # An idle connection is handed over at once; only a wait is worth a thread.
        conn = pool.getconn(timeout=0)
    except PoolTimeout:
        conn = await anyio.to_thread.run_sync(pool.getconn)
    try:
        conn.autocommit = True
        yield conn
    finally:
        pool.putconn(conn)


def _error(status_code: int, detail: str) -> Response[dict[str, Any]]:
    return Response({"status_code": status_code, "detail": detail}, status_code=status_code)


def on_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Litestar's own errors (404, 405, 400 validation, 401, 413) as `{status_code, detail}`;
    on a web page, as a page that says what happened."""
    if wants_html(request):
        return html_error(request, exc.status_code, exc.detail)
    body: dict[str, Any] = {"status_code": exc.status_code, "detail": exc.detail}
    if exc.extra:
        body["extra"] = exc.extra
    return Response(body, status_code=exc.status_code, headers=exc.headers)


CV_FILE_STATUS = {"too_large": 413, "unsupported": 415, "empty": 422}


def on_cv_file_error(_: Request[Any, Any, Any], exc: CvFileError) -> Response[dict[str, Any]]:
    """A CV refused by the reading rules: 413 too large, 415 unsupported, 422 empty."""
    return _error(CV_FILE_STATUS[exc.reason], exc.detail)


def on_database_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Constraint violations are the client's (409/422); an unreachable database is 503."""
    if isinstance(exc, pg_errors.UniqueViolation):
        status, detail = 409, "that already exists"
    elif isinstance(exc, pg_errors.ForeignKeyViolation):
        status, detail = 409, "that refers to something that does not exist or is in use"
    elif isinstance(exc, pg_errors.IntegrityError | pg_errors.DataError):
        status, detail = 422, f"the database refused the value: {_first_line(exc)}"
    else:
        log.error("database unavailable: %s", _first_line(exc))
        status, detail = 503, "the database is unavailable; try again shortly"
    return html_error(request, status, detail) if wants_html(request) else _error(status, detail)


def on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A bug: logged with its traceback here, never shown to the client."""
    log.exception("unhandled error", exc_info=exc)
    if wants_html(request):
        return html_error(request, 500, "")
    return _error(500, "internal error; it has been logged")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def app_from_env() -> Litestar:
    """The factory `jobmatch serve` hands uvicorn: settings from the environment."""
    return create_app(Settings.from_env())


CONTROLLERS = (
    HealthController,
    UsersController,
    JobsController,
    SavedJobsController,
    ApplicationsController,
    FeedbackController,
    AdminController,
)
EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    HTTPException: on_http_error,
    CvFileError: on_cv_file_error,
    psycopg.Error: on_database_error,
    PoolTimeout: on_database_error,
    DatabaseError: on_database_error,
    Exception: on_unexpected,
}


def _openapi() -> OpenAPIConfig:
    """OpenAPI at `/schema` (JSON at `/schema/openapi.json`), bearer auth declared."""
    return OpenAPIConfig(
        title="jobmatch",
        version="0.1.0",
        path="/schema",
        render_plugins=openapi_render_plugins(),
        components=Components(
            security_schemes={"BearerToken": SecurityScheme(type="http", scheme="bearer")}
        ),
    )


def _api_router() -> Router:
    """Every API controller under `/api/v1`."""
    return Router(path=API_PREFIX, route_handlers=list(CONTROLLERS))


def _cors(settings: Settings) -> CORSConfig | None:
    """CORS for the frontend origins in `JOBMATCH_CORS_ORIGINS`; none configured, none sent."""
    if not settings.cors_origins:
        return None
    return CORSConfig(
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type"],
    )


def _lifespan(
    settings: Settings, database_url: str | None, embedders: Embedders, pool_size: int
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """Open the database pool and the task queue when the app starts; close both after."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        url = database_url
        if url is None:
            url = await anyio.to_thread.run_sync(ready_database_url, settings)
        pool = await anyio.to_thread.run_sync(
            lambda: open_pool(url, min_size=min(2, pool_size), max_size=pool_size)
        )
        tasks = create_tasks(settings, url, embedders=embedders)
        app.state.pool = pool
        app.state.queue = TaskQueue(tasks)
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(pool.close)
            # The queue's connection goes with the database this app may have started.
            tasks.huey.storage.close()

    return lifespan


def create_app(
    settings: Settings,
    *,
    database_url: str | None = None,
    embedder: Embedder | None = None,
    pool_size: int = 8,
) -> Litestar:
    """The API on `database_url` (default: the settings' database, embedded if unset).

    `embedder` replaces every model (tests); by default the active model is loaded on
    first use, for search.
    """

    embedders = Embedders(settings.model, settings.home / "models", fixed=embedder)
    lifespan = _lifespan(settings, database_url, embedders, pool_size)
    state = {"settings": settings, "embedders": embedders, "tokens": TokenCache()}
    state["signin_throttle"] = SignInThrottle()
    return Litestar(
        route_handlers=[_api_router(), web_router(), *static_routers()],
        lifespan=[lifespan],
        dependencies={"db": Provide(provide_db), "user": Provide(provide_user)},
        state=State(state),
        cors_config=_cors(settings),
        openapi_config=_openapi(),
        template_config=template_config(),
        csrf_config=csrf_config(settings),
        exception_handlers=EXCEPTION_HANDLERS,
        request_max_body_size=MAX_BODY_BYTES,
    )
