"""The Litestar application: the one place the API, the web pages, the pool, CORS and
error handling meet."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import anyio.to_thread
from litestar import Litestar, Router
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from embeddings.model import Embedder
from server.auth import provide_user
from server.db import open_database, provide_db
from server.errors import EXCEPTION_HANDLERS, MAX_BODY_BYTES
from server.guards import InputGuard
from server.routes.admin import AdminController
from server.routes.applications import ApplicationsController
from server.routes.common import TaskQueue
from server.routes.cvs import CvsController
from server.routes.feedback import FeedbackController
from server.routes.health import HealthController
from server.routes.jobs import JobsController
from server.routes.notifications import FeedsController, NotificationsController
from server.routes.saved import SavedJobsController
from server.routes.tokens import TokensController
from server.routes.users import UsersController
from server.throttle import LIMITS, Limits, Throttle
from server.token_cache import TokenCache
from server.web import web_router
from server.web.setup import csrf_config, openapi_render_plugins, static_routers, template_config
from workers.pipelines.cv_sandbox import CvReader
from workers.pipelines.database import ready_database_url
from workers.pipelines.serving import Embedders
from workers.settings import Settings
from workers.tasks import create_tasks

API_PREFIX = "/api/v1"


def app_from_env() -> Litestar:
    """The factory `jobmatch serve` hands uvicorn: settings from the environment."""
    return create_app(Settings.from_env())


CONTROLLERS = (
    HealthController,
    UsersController,
    CvsController,
    JobsController,
    SavedJobsController,
    ApplicationsController,
    FeedbackController,
    AdminController,
    TokensController,
    NotificationsController,
    FeedsController,
)


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


def _cors(settings: Settings) -> CORSConfig | None:
    """CORS for the frontend origins in `JOBMATCH_CORS_ORIGINS`; none configured, none sent."""
    if not settings.cors_origins:
        return None
    return CORSConfig(
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type"],
    )


def _lifespan(
    settings: Settings, database_url: str | None, embedders: Embedders, pool_size: int
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """Open the database, the task queue and the token cache when the app starts; close
    them after."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        url = database_url
        if url is None:
            url = await anyio.to_thread.run_sync(ready_database_url, settings)
        database = await anyio.to_thread.run_sync(open_database, url, pool_size)
        tasks = create_tasks(settings, url, embedders=embedders)
        app.state.database = database
        app.state.queue = TaskQueue(tasks, database.url)
        app.state.tokens = TokenCache(database.url)
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(app.state.tokens.close)
            await anyio.to_thread.run_sync(database.close)
            # The queue's connection goes with the database this app may have started.
            tasks.huey.storage.close()

    return lifespan


def create_app(
    settings: Settings,
    *,
    database_url: str | None = None,
    embedder: Embedder | None = None,
    pool_size: int = 8,
    limits: Limits = LIMITS,
) -> Litestar:
    """The API on `database_url` (default: the settings' database, embedded if unset).

    `embedder` replaces every model (tests); by default the active model is loaded on
    first use, for search. `limits` are the rate limits (`server.throttle`).
    """

    embedders = Embedders(settings.model, settings.home / "models", fixed=embedder)
    lifespan = _lifespan(settings, database_url, embedders, pool_size)
    state = {
        "settings": settings,
        "embedders": embedders,
        "cv_reader": CvReader(),
        "throttle": Throttle(limits),
    }
    return Litestar(
        route_handlers=[
            Router(path=API_PREFIX, route_handlers=list(CONTROLLERS)),
            web_router(),
            *static_routers(),
        ],
        lifespan=[lifespan],
        dependencies={"db": Provide(provide_db), "user": Provide(provide_user)},
        state=State(state),
        cors_config=_cors(settings),
        openapi_config=_openapi(),
        template_config=template_config(),
        csrf_config=csrf_config(settings),
        exception_handlers=EXCEPTION_HANDLERS,
        request_max_body_size=MAX_BODY_BYTES,
        middleware=[InputGuard],
    )
