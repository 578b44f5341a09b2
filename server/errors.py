"""Every error the API answers, as `{status_code, detail}` (and `Retry-After` on 429/503)."""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.types import ExceptionHandlersMap
from psycopg import errors as pg_errors
from psycopg_pool import PoolTimeout

from schema.errors import DatabaseError
from server.db import BUSY, RETRY_AFTER_S, Database, DatabaseUnavailableError
from server.web.errors import html_error, wants_html
from workers.pipelines.cv_files import CvFileError, too_large

log = logging.getLogger("jobmatch.api")
# JSON bodies are small; the CV route raises its own limit for files.
MAX_BODY_BYTES = 1024 * 1024
CV_FILE_STATUS = {"too_large": 413, "unsupported": 415, "empty": 422, "too_complex": 422}
UNREACHABLE = "database unreachable; try again shortly"


def error_response(
    status_code: int, detail: str, headers: dict[str, str] | None = None
) -> Response[dict[str, Any]]:
    """The API's error body."""
    body = {"status_code": status_code, "detail": detail}
    return Response(body, status_code=status_code, headers=headers)


def on_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Litestar's own errors (404, 405, 400 validation, 401, 413, 429) as the error body;
    on a web page, as a page that says what happened."""
    if wants_html(request):
        return html_error(request, exc.status_code, exc.detail)
    detail = exc.detail
    if exc.status_code == 413:
        # The body limit stops the upload before any handler: say what the limit is.
        path = request.url.path
        cv = path.endswith("/users/me/cv") or "/users/me/cvs" in path
        detail = too_large().detail if cv else f"the body is larger than {MAX_BODY_BYTES} bytes"
    body: dict[str, Any] = {"status_code": exc.status_code, "detail": detail}
    if exc.extra:
        body["extra"] = exc.extra
    return Response(body, status_code=exc.status_code, headers=exc.headers)


def on_cv_file_error(_: Request[Any, Any, Any], exc: CvFileError) -> Response[dict[str, Any]]:
    """A CV refused by the reading rules: 413 too large, 415 unsupported, 422 empty or
    too costly to read."""
    return error_response(CV_FILE_STATUS[exc.reason], exc.detail)


def on_database_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Constraint violations are the client's (409/422); a statement past its timeout or
    an unreachable database is 503 with `Retry-After` (a page, on a web page)."""
    response = _database_error(request, exc)
    if wants_html(request):
        return html_error(request, int(response.status_code or 503), response.content["detail"])
    return response


def _database_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    if isinstance(exc, pg_errors.UniqueViolation):
        return error_response(409, "that already exists")
    if isinstance(exc, pg_errors.ForeignKeyViolation):
        return error_response(409, "that refers to something that does not exist or is in use")
    if isinstance(exc, pg_errors.IntegrityError | pg_errors.DataError):
        return error_response(422, f"the database refused the value: {_first_line(exc)}")
    retry = {"Retry-After": str(RETRY_AFTER_S)}
    if isinstance(exc, pg_errors.QueryCanceled):
        return error_response(503, "the database took too long; try again shortly", retry)
    if isinstance(exc, DatabaseUnavailableError) and str(exc) == BUSY:
        return error_response(503, f"{BUSY}; try again shortly", retry)
    if not isinstance(exc, DatabaseUnavailableError):
        log.error("database unavailable: %s", _first_line(exc))
        database: Database | None = getattr(request.app.state, "database", None)
        if database is not None and isinstance(exc, psycopg.OperationalError | PoolTimeout):
            database.mark_down()
    return error_response(503, UNREACHABLE, retry)


def on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A bug: logged with its traceback here, never shown to the client."""
    log.exception("unhandled error", exc_info=exc)
    if wants_html(request):
        return html_error(request, 500, "")
    return error_response(500, "internal error; it has been logged")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    HTTPException: on_http_error,
    CvFileError: on_cv_file_error,
    psycopg.Error: on_database_error,
    PoolTimeout: on_database_error,
    DatabaseError: on_database_error,
    DatabaseUnavailableError: on_database_error,
    Exception: on_unexpected,
}
