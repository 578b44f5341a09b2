"""How the web app plugs into `create_app`: templates, static files, CSRF, `/schema`.

Everything a page loads comes from this app: htmx, the stylesheet, the icons (static/),
and Swagger UI for `/schema` (from the `swagger-ui-bundle-v2` wheel). Nothing is fetched
from the internet, so every page renders on a machine without network access.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Router
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from server.web import filters
from workers.settings import Settings

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
# The API is authenticated by bearer tokens, never by cookies: CSRF cannot reach it. An
# unsubscribe link's token is its only credential, and mail programs POST to it
# themselves (RFC 8058), without any form.
CSRF_EXEMPT = ["^/api/", "^/schema", "^/unsubscribe/"]
CSRF_FIELD = "_csrf_token"  # the form field Litestar's CSRF middleware reads
CSRF_HEADER = "x-csrftoken"  # the header htmx requests carry instead
FAVICON = "<link rel='icon' type='image/svg+xml' href='/static/favicon.svg'>"


def secret_key(settings: Settings) -> str:
    """`JOBMATCH_SECRET_KEY`, else a random key made once and kept in `JOBMATCH_HOME`, so
    every process of this install (`serve --workers N`, restarts) accepts the same forms."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.home / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".secret_key.{os.getpid()}")
        temporary.write_text(secrets.token_urlsafe(48))
        temporary.chmod(0o600)
        try:
            # Two processes starting at once: the first link wins, both read its key.
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text().strip()


def csrf_config(settings: Settings) -> CSRFConfig:
    """Double-submit CSRF on every web form: a signed HttpOnly cookie and the same token
    in the form (`_csrf_token`) or, for htmx, the `x-csrftoken` header."""
    return CSRFConfig(
        secret=secret_key(settings),
        cookie_name="jobmatch_csrf",
        cookie_httponly=True,
        cookie_samesite="lax",
        header_name=CSRF_HEADER,
        exclude=CSRF_EXEMPT,
    )


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    """Jinja with autoescaping on everything: CV, job and user text is never markup."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates change with the code, not while it runs: no stat() of each file on use.
        auto_reload=False,
    )
    environment.filters.update(filters.FILTERS)
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))


def static_routers() -> list[Router]:
    """`/static` (the app's own assets) and `/static/swagger` (Swagger UI's files)."""
    import swagger_ui_bundle

    cache = CacheControlHeader(max_age=3600, public=True)
    return [
        create_static_files_router(
            path="/static/swagger",
            directories=[Path(swagger_ui_bundle.swagger_ui_path)],
            name="swagger",
            cache_control=cache,
        ),
        create_static_files_router(path="/static", directories=[STATIC], cache_control=cache),
    ]


def openapi_render_plugins() -> list[JsonRenderPlugin | SwaggerRenderPlugin]:
    """Swagger UI at `/schema` from local files; the JSON at `/schema/openapi.json`."""
    base = "/static/swagger"
    return [
        SwaggerRenderPlugin(
            path="/",
            js_url=f"{base}/swagger-ui-bundle.js",
            css_url=f"{base}/swagger-ui.css",
            standalone_preset_js_url=f"{base}/swagger-ui-standalone-preset.js",
            favicon=FAVICON,
        ),
        JsonRenderPlugin(path="/openapi.json"),
    ]
