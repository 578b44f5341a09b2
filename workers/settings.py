"""The one place the environment is read: a frozen `Settings` passed down as arguments."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import platformdirs

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
# The daily scrape's default sources; The Muse may be added with JOBMATCH_SOURCES.
DEFAULT_SOURCES = ("remoteok", "remotive", "arbeitnow", "adzuna")
KNOWN_SOURCES = (*DEFAULT_SOURCES, "themuse")
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"  # where `jobmatch up` serves the web app


class SettingsError(ValueError):
    """An environment variable holds a value the product cannot use."""


@dataclass(frozen=True)
class Schedule:
    """UTC times (hour, minute) of the periodic tasks."""

    cleanup_saved_jobs: tuple[int, int] = (0, 0)
    cleanup_recommendations: tuple[int, int] = (0, 5)
    cleanup_jobs: tuple[int, int] = (0, 10)
    scrape: tuple[int, int] = (6, 0)
    recommend: tuple[int, int] = (7, 0)
    # After the scrape and the day's lists: the postings users see today are checked.
    check_closed: tuple[int, int] = (7, 30)
    digest: tuple[int, int] = (8, 0)


# How each JOBMATCH_SMTP_URL scheme secures the connection, and its default port.
SMTP_SCHEMES = {"smtp": ("starttls", 587), "smtps": ("tls", 465), "smtp+plain": ("none", 25)}


@dataclass(frozen=True)
class SmtpServer:
    """Where the digest is sent (`JOBMATCH_SMTP_URL`): `smtp://` upgrades with STARTTLS
    (required), `smtps://` is TLS from the start, `smtp+plain://` a local relay without
    TLS (never with credentials)."""

    host: str
    port: int
    security: str  # starttls | tls | none
    username: str | None = None
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class PostingCheck:
    """How politely the closed-postings check asks (workers/posting_check.py)."""

    host_interval_s: float = 1.0  # at least this long between requests to one host
    timeout_s: float = 10.0  # connect and read, each; a whole request gets twice this
    max_body_bytes: int = 1_000_000  # a GET body longer than this is cut: unknown
    retry_after_max_s: float = 30.0  # a longer Retry-After is not waited for: unknown
    # A URL or e-mail in the User-Agent, so a site's operator can reach whoever runs it.
    contact: str = ""
    top: int = 10  # the positions of each stored list whose jobs are checked
    concurrency: int = 8  # requests in flight at once, over all hosts

    @property
    def user_agent(self) -> str:
        """The User-Agent every check sends: the product, its purpose and a contact."""
        contact = f"; contact: {self.contact}" if self.contact else ""
        return f"jobmatch-posting-check/0.1 (checks whether a job posting is still open{contact})"


@dataclass(frozen=True)
class Settings:
    """Everything configurable, read once from the environment by `Settings.from_env`."""

    home: Path
    database_url: str | None = None
    model: str = DEFAULT_MODEL
    admin_token: str | None = None
    queue_url: str | None = None
    adzuna_app_id: str | None = None
    adzuna_app_key: str | None = None
    sources: tuple[str, ...] = DEFAULT_SOURCES
    scrape_days: int = 2
    cors_origins: tuple[str, ...] = ()
    # Signs the web app's CSRF tokens; unset: a random key kept in `home` (server/web).
    secret_key: str | None = None
    source_urls: Mapping[str, str] = field(default_factory=dict)
    schedule: Schedule = field(default_factory=Schedule)
    # The e-mail digest: off while `smtp` is None.
    smtp: SmtpServer | None = None
    mail_from: str = "jobmatch@localhost"
    # The address people reach the web app at, for links in mails and feeds (no trailing
    # slash); unset, the API answers with the address it was asked at, mails with
    # `DEFAULT_PUBLIC_URL`.
    public_url: str | None = None
    posting_check: PostingCheck = field(default_factory=PostingCheck)

    @property
    def pgdata(self) -> Path:
        """Where the embedded PostgreSQL keeps its data when `DATABASE_URL` is unset."""
        return self.home / "pg"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from `env` (default: the process environment)."""
        env = os.environ if env is None else env
        home = env.get("JOBMATCH_HOME") or platformdirs.user_data_dir("jobmatch")
        return cls(
            home=Path(home).expanduser(),
            database_url=env.get("DATABASE_URL") or None,
            model=env.get("JOBMATCH_MODEL") or DEFAULT_MODEL,
            admin_token=env.get("JOBMATCH_ADMIN_TOKEN") or None,
            queue_url=env.get("JOBMATCH_QUEUE_URL") or None,
            adzuna_app_id=env.get("ADZUNA_APP_ID") or None,
            adzuna_app_key=env.get("ADZUNA_APP_KEY") or None,
            sources=_parse_sources(env.get("JOBMATCH_SOURCES")),
            scrape_days=_parse_positive_int(env, "JOBMATCH_SCRAPE_DAYS", 2),
            cors_origins=_split(env.get("JOBMATCH_CORS_ORIGINS")),
            secret_key=env.get("JOBMATCH_SECRET_KEY") or None,
            source_urls=_parse_source_urls(env.get("JOBMATCH_SOURCE_URLS")),
            schedule=_parse_schedule(env),
            smtp=_parse_smtp_url(env.get("JOBMATCH_SMTP_URL")),
            mail_from=env.get("JOBMATCH_MAIL_FROM") or "jobmatch@localhost",
            public_url=_parse_public_url(env.get("JOBMATCH_PUBLIC_URL")),
            posting_check=_parse_posting_check(env),
        )


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _parse_sources(value: str | None) -> tuple[str, ...]:
    sources = _split(value) or DEFAULT_SOURCES
    unknown = [s for s in sources if s not in KNOWN_SOURCES]
    if unknown:
        raise SettingsError(
            f"JOBMATCH_SOURCES names unknown source(s) {', '.join(unknown)}; "
            f"choose from {', '.join(KNOWN_SOURCES)}"
        )
    return sources


def _parse_source_urls(value: str | None) -> dict[str, str]:
    """`source=url` pairs pointing a source at a mirror or proxy instead of the public API."""
    urls = {}
    for pair in _split(value):
        name, _, url = pair.partition("=")
        if name.strip() not in KNOWN_SOURCES or not url.strip().startswith(("http://", "https://")):
            raise SettingsError(
                f"JOBMATCH_SOURCE_URLS entries must be source=http(s)://url with a source from "
                f"{', '.join(KNOWN_SOURCES)}; got {pair!r}"
            )
        urls[name.strip()] = url.strip()
    return urls


def _parse_positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"{name} must be a positive whole number, got {raw!r}")
    return int(raw)


def _parse_time(name: str, raw: str) -> tuple[int, int]:
    hour, _, minute = raw.partition(":")
    if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
        raise SettingsError(f"{name} must be a UTC time HH:MM, got {raw!r}")
    return int(hour), int(minute)


def _parse_schedule(env: Mapping[str, str]) -> Schedule:
    """Each periodic task's time may be moved with JOBMATCH_AT_<TASK>=HH:MM (UTC)."""
    times = {}
    for name in Schedule.__dataclass_fields__:
        variable = f"JOBMATCH_AT_{name.upper()}"
        if env.get(variable):
            times[name] = _parse_time(variable, env[variable])
    return Schedule(**times)


def _parse_smtp_url(value: str | None) -> SmtpServer | None:
    """`smtp://user:pass@host:port` and the like (see `SmtpServer`); None when unset."""
    if not value:
        return None
    # Never echo the URL back: it may hold a password.
    usage = (
        "JOBMATCH_SMTP_URL must look like smtp://user:password@host:587 (STARTTLS), "
        "smtps://user:password@host:465 (TLS) or smtp+plain://host:25 (a local relay)"
    )
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as error:
        raise SettingsError(usage) from error
    if parts.scheme not in SMTP_SCHEMES or not parts.hostname or parts.path not in ("", "/"):
        raise SettingsError(usage)
    security, default_port = SMTP_SCHEMES[parts.scheme]
    username = unquote(parts.username) if parts.username else None
    if username and security == "none":
        raise SettingsError("JOBMATCH_SMTP_URL: credentials need smtp:// or smtps:// (TLS)")
    return SmtpServer(
        host=parts.hostname,
        port=port or default_port,
        security=security,
        username=username,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def _parse_public_url(value: str | None) -> str | None:
    if not value:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(
            f"JOBMATCH_PUBLIC_URL must be the web app's http(s):// address, got {value!r}"
        )
    return value.strip().rstrip("/")


def _parse_positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise SettingsError(f"{name} must be a positive number of seconds, got {raw!r}")
    return value


def _parse_posting_check(env: Mapping[str, str]) -> PostingCheck:
    """JOBMATCH_CHECK_* settings of the closed-postings check."""
    default = PostingCheck()
    return PostingCheck(
        host_interval_s=_parse_positive_float(
            env, "JOBMATCH_CHECK_HOST_INTERVAL", default.host_interval_s
        ),
        timeout_s=_parse_positive_float(env, "JOBMATCH_CHECK_TIMEOUT", default.timeout_s),
        max_body_bytes=_parse_positive_int(env, "JOBMATCH_CHECK_MAX_BYTES", default.max_body_bytes),
        retry_after_max_s=_parse_positive_float(
            env, "JOBMATCH_CHECK_RETRY_AFTER_MAX", default.retry_after_max_s
        ),
        contact=env.get("JOBMATCH_CHECK_CONTACT") or default.contact,
        top=_parse_positive_int(env, "JOBMATCH_CHECK_TOP", default.top),
        concurrency=_parse_positive_int(env, "JOBMATCH_CHECK_CONCURRENCY", default.concurrency),
    )
