"""Settings are read from the environment once, with clear errors for unusable values."""

from __future__ import annotations

from pathlib import Path

import pytest

from workers.settings import DEFAULT_MODEL, DEFAULT_SOURCES, Settings, SettingsError, SmtpServer


def test_defaults_use_embedded_database_and_bundled_model(tmp_path: Path) -> None:
    settings = Settings.from_env({"JOBMATCH_HOME": str(tmp_path)})
    assert settings.database_url is None
    assert settings.pgdata == tmp_path / "pg"
    assert settings.model == DEFAULT_MODEL
    assert settings.sources == DEFAULT_SOURCES
    assert settings.scrape_days == 2
    assert settings.schedule.scrape == (6, 0)


def test_every_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "JOBMATCH_HOME": "/srv/jobmatch",
            "DATABASE_URL": "postgresql://u@h/db",
            "JOBMATCH_MODEL": "/models/mine",
            "JOBMATCH_ADMIN_TOKEN": "secret",
            "JOBMATCH_QUEUE_URL": "redis://localhost:6379/0",
            "ADZUNA_APP_ID": "id",
            "ADZUNA_APP_KEY": "key",
            "JOBMATCH_SOURCES": "remotive, arbeitnow, themuse",
            "JOBMATCH_SCRAPE_DAYS": "3",
            "JOBMATCH_CORS_ORIGINS": "http://localhost:3000,https://app.example.com",
            "JOBMATCH_AT_RECOMMEND": "07:30",
            "JOBMATCH_SOURCE_URLS": "remotive=http://127.0.0.1:9000/api/remote-jobs",
        }
    )
    assert settings.home == Path("/srv/jobmatch")
    assert settings.database_url == "postgresql://u@h/db"
    assert settings.model == "/models/mine"
    assert settings.admin_token == "secret"
    assert settings.queue_url == "redis://localhost:6379/0"
    assert (settings.adzuna_app_id, settings.adzuna_app_key) == ("id", "key")
    assert settings.sources == ("remotive", "arbeitnow", "themuse")
    assert settings.scrape_days == 3
    assert settings.cors_origins == ("http://localhost:3000", "https://app.example.com")
    assert settings.schedule.recommend == (7, 30)
    assert settings.source_urls == {"remotive": "http://127.0.0.1:9000/api/remote-jobs"}


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("JOBMATCH_SOURCES", "remoteok,monster", "unknown source"),
        ("JOBMATCH_SCRAPE_DAYS", "-1", "positive whole number"),
        ("JOBMATCH_AT_SCRAPE", "25:00", "UTC time HH:MM"),
        ("JOBMATCH_SOURCE_URLS", "monster=http://x", "source=http"),
        ("JOBMATCH_SOURCE_URLS", "remotive=ftp://x", "source=http"),
        ("JOBMATCH_CHECK_HOST_INTERVAL", "0", "positive number of seconds"),
        ("JOBMATCH_CHECK_TIMEOUT", "soon", "positive number of seconds"),
        ("JOBMATCH_CHECK_RETRY_AFTER_MAX", "inf", "positive number of seconds"),
        ("JOBMATCH_CHECK_MAX_BYTES", "1e6", "positive whole number"),
        ("JOBMATCH_AT_CHECK_CLOSED", "7:60", "UTC time HH:MM"),
    ],
)
def test_unusable_values_are_refused_with_their_name(
    variable: str, value: str, message: str
) -> None:
    with pytest.raises(SettingsError, match=message) as caught:
        Settings.from_env({variable: value})
    assert variable in str(caught.value)


def test_the_smtp_url_says_how_the_connection_is_secured() -> None:
    starttls = Settings.from_env(
        {"JOBMATCH_HOME": "/h", "JOBMATCH_SMTP_URL": "smtp://me%40x.org:p%3Ass@mail.x.org"}
    ).smtp
    assert starttls == SmtpServer("mail.x.org", 587, "starttls", "me@x.org", "p:ss")
    tls = Settings.from_env({"JOBMATCH_HOME": "/h", "JOBMATCH_SMTP_URL": "smtps://u:p@h:2465"})
    assert tls.smtp == SmtpServer("h", 2465, "tls", "u", "p")
    relay = Settings.from_env({"JOBMATCH_HOME": "/h", "JOBMATCH_SMTP_URL": "smtp+plain://relay"})
    assert relay.smtp == SmtpServer("relay", 25, "none")
    assert Settings.from_env({"JOBMATCH_HOME": "/h"}).smtp is None


@pytest.mark.parametrize(
    "url",
    [
        "http://u:hunter2@mail.x.org",
        "smtp://u:hunter2@",
        "smtp://u:hunter2@h:notaport",
        "smtp://u:hunter2@h/path",
        "smtp+plain://u:hunter2@h",  # credentials in clear text: refused
    ],
)
def test_an_unusable_smtp_url_is_refused_without_echoing_its_password(url: str) -> None:
    with pytest.raises(SettingsError, match="JOBMATCH_SMTP_URL") as refused:
        Settings.from_env({"JOBMATCH_HOME": "/h", "JOBMATCH_SMTP_URL": url})
    assert "hunter2" not in str(refused.value)


def test_the_public_url_must_be_a_web_address() -> None:
    env = {"JOBMATCH_HOME": "/h", "JOBMATCH_PUBLIC_URL": "https://jobs.example.org/"}
    assert Settings.from_env(env).public_url == "https://jobs.example.org"
    with pytest.raises(SettingsError, match="JOBMATCH_PUBLIC_URL"):
        Settings.from_env({"JOBMATCH_HOME": "/h", "JOBMATCH_PUBLIC_URL": "jobs.example.org"})


def test_the_posting_check_settings() -> None:
    default = Settings.from_env({"JOBMATCH_HOME": "/x"}).posting_check
    assert (default.host_interval_s, default.timeout_s, default.top) == (1.0, 10.0, 10)
    assert default.user_agent.startswith("jobmatch-posting-check/")
    assert "contact" not in default.user_agent
    check = Settings.from_env(
        {
            "JOBMATCH_HOME": "/x",
            "JOBMATCH_CHECK_HOST_INTERVAL": "2.5",
            "JOBMATCH_CHECK_TIMEOUT": "4",
            "JOBMATCH_CHECK_MAX_BYTES": "50000",
            "JOBMATCH_CHECK_RETRY_AFTER_MAX": "60",
            "JOBMATCH_CHECK_CONTACT": "https://ops.example.org/bots",
            "JOBMATCH_CHECK_TOP": "5",
            "JOBMATCH_CHECK_CONCURRENCY": "3",
        }
    ).posting_check
    assert (check.host_interval_s, check.timeout_s, check.max_body_bytes) == (2.5, 4.0, 50_000)
    assert (check.retry_after_max_s, check.top, check.concurrency) == (60.0, 5, 3)
    assert check.user_agent.endswith("; contact: https://ops.example.org/bots)")
