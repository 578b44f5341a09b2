"""`import_file` and the `jobmatch scrape/import` commands against the real Postgres."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schema.database import connect
from schema.queries.runs import recent_runs
from server.cli.main import main
from tests.integration.test_scrape import FIXTURES, PATHS, fresh, job_count
from tests.replay_server import Canned, replay_server
from workers.pipelines.ingest import import_file
from workers.pipelines.normalise import ImportFileError, record_to_mapping
from workers.sources import TheMuse


def test_import_a_saved_response_keeps_every_valid_job(db_url: str) -> None:
    summary = import_file(db_url, FIXTURES / "remoteok.json")  # posted in March: still kept
    assert (summary.source, summary.status, summary.new) == ("remoteok", "succeeded", 2)
    assert summary.failed == {"description is empty or only markup": 1, "position is empty": 1}
    with connect(db_url) as conn:
        [run] = recent_runs(conn)
    assert (run.task, run.status, run.counts["new"]) == ("import", "succeeded", 2)


def test_import_with_days_keeps_only_the_window(db_url: str) -> None:
    summary = import_file(db_url, FIXTURES / "themuse.json", days=2)
    assert (summary.new, summary.outside_window) == (0, 2)


def test_import_jsonl_of_normalised_jobs(db_url: str, tmp_path: Path) -> None:
    records = TheMuse().parse(json.loads((FIXTURES / "themuse.json").read_text())).records
    lines = [json.dumps(record_to_mapping(r)) for r in records] + ['{"title": "half']
    path = tmp_path / "jobs.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    summary = import_file(db_url, path)
    assert (summary.source, summary.new, summary.failed) == (
        "file",
        2,
        {"line is not valid JSON": 1},
    )
    assert import_file(db_url, path).unchanged == 2


def test_an_invalid_file_stores_nothing_and_says_why(db_url: str, tmp_path: Path) -> None:
    body = (FIXTURES / "remotive.json").read_text(encoding="utf-8")
    path = tmp_path / "remotive.json"
    path.write_text(body[: len(body) // 2], encoding="utf-8")  # truncated
    with pytest.raises(ImportFileError, match="not valid JSON"):
        import_file(db_url, path)
    assert job_count(db_url) == 0
    with connect(db_url) as conn:
        [run] = recent_runs(conn)
    assert run.status == "failed"
    (tmp_path / "other.json").write_text('{"hello": "world"}', encoding="utf-8")
    with pytest.raises(ImportFileError, match="not a response of a known source"):
        import_file(db_url, tmp_path / "other.json")


def test_cli_import_and_scrape(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("JOBMATCH_HOME", str(tmp_path))
    assert main(["import", str(FIXTURES / "adzuna.json"), "--json"]) == 0
    [summary] = json.loads(capsys.readouterr().out)
    assert (summary["source"], summary["new"]) == ("adzuna", 2)

    assert main(["import", str(tmp_path / "missing.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err

    with replay_server() as server:
        server.add(PATHS["remotive"], Canned.json(fresh("remotive.json")))
        url = f"remotive={server.url(PATHS['remotive'])}"
        assert main(["scrape", "--source", "remotive", "--base-url", url]) == 0
        table = capsys.readouterr().out
        assert "remotive" in table
        assert "tags is not a list of text" in table
        server.add(PATHS["remotive"], Canned(200, b"[broken"))
        assert main(["scrape", "--source", "remotive", "--base-url", url, "--json"]) == 1
        [failed] = json.loads(capsys.readouterr().out)
        assert failed["status"] == "failed"
        assert "invalid or truncated JSON" in failed["error"]
    assert job_count(db_url, "remotive") == 2
