"""The model registry keys vector sets by the weights' fingerprint: a folder retrained in
place is re-embedded, never served against its old vectors; one folder is one model by
any path to it. Driven through `jobmatch` in-process with a tiny real model."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from embeddings.loader import ModelUnavailableError, canonical_name, load_embedder
from schema.database import Connection
from schema.queries.cvs import replace_active_cv
from schema.queries.jobs import JobRecord, upsert_jobs
from schema.queries.model_sets import coverage
from schema.queries.models import list_models, model_by_name
from schema.queries.users import create_user
from schema.queries.vectors import stored_cv_hash
from server.cli.main import main
from tests.fakes import real_model_tasks
from tests.tiny_model import make_tiny_model, retrain_in_place
from workers.pipelines.experiments import start
from workers.pipelines.serving import Embedders

JOBS = 12


@pytest.fixture(scope="module")
def pristine_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("models") / "tiny")


@pytest.fixture
def model(pristine_model: Path, tmp_path: Path) -> Path:
    """A copy of the tiny model this test may retrain."""
    import shutil

    return Path(shutil.copytree(pristine_model, tmp_path / "research" / "tiny"))


def _seed(conn: Connection) -> None:
    now = datetime.now(UTC)
    upsert_jobs(
        conn,
        [_job(n, f"Python developer {n}" if n % 2 else f"Nurse {n}", now) for n in range(JOBS)],
    )
    user = create_user(conn, "ada@example.com")
    assert user is not None
    replace_active_cv(conn, user.id, "Python developer who built Django APIs.")


def _job(n: int, title: str, now: datetime | None = None) -> JobRecord:
    return JobRecord(
        source="test",
        source_id=str(n),
        title=title,
        company=f"Company {n}",
        location="Berlin",
        remote=False,
        salary_min=None,
        salary_max=None,
        salary_currency=None,
        tags=(),
        category=None,
        description="Django and PostgreSQL." if "Python" in title else "Ward shifts and care.",
        url=f"https://jobs.example.com/{n}",
        posted_at=(now or datetime.now(UTC)) - timedelta(hours=n),
    )


def _embed(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    capsys.readouterr()
    assert main(["embed", *args, "--json"]) == 0
    counts: dict[str, object] = json.loads(capsys.readouterr().out)
    return counts


def _listed(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    capsys.readouterr()
    assert main(["models", "list", "--json"]) == 0
    rows: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return rows


@pytest.mark.usefixtures("cli_env")
def test_a_model_retrained_in_place_is_stale_and_embed_replaces_it(
    conn: Connection, model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(conn)
    first = _embed(capsys, "--model", str(model), "--backend", "torch")
    assert (first["jobs_embedded"], first["cvs_embedded"], first["activated"]) == (JOBS, 1, True)
    assert _embed(capsys, "--backend", "torch")["embedded"] == 0  # follows the active model
    (before,) = _listed(capsys)
    assert before["state"] == "active"
    old = next(m for m in list_models(conn) if m.is_active)
    embedders = Embedders(str(model), tmp_path / "cache")  # a serving process, started now
    assert embedders.for_queries(old) is not None

    retrain_in_place(model)
    (seen,) = _listed(capsys)
    assert seen["state"] == "stale, active (retrained on disk)"
    # The process sees the folder changed and reads it anew: never new weights against
    # the old vectors, so search goes without a query vector until the set is remade.
    assert embedders.for_queries(old) is None

    again = _embed(capsys, "--backend", "torch")  # no --model: the active model, reloaded
    assert (again["jobs_embedded"], again["cvs_embedded"]) == (JOBS, 1)
    assert again["replaced"] == str(model)
    stale, fresh = list_models(conn)
    assert (stale.id, stale.is_active, stale.stale) == (old.id, False, True)
    assert (fresh.is_active, fresh.stale, fresh.name) == (True, False, str(model))
    assert fresh.fingerprint != stale.fingerprint
    assert [row["state"] for row in _listed(capsys)] == ["stale, shadow", "active"]
    assert embedders.for_queries(fresh) is not None
    assert embedders.for_queries(stale) is None

    assert main(["models", "remove", str(model), "--stale"]) == 0
    assert [m.id for m in list_models(conn)] == [fresh.id]


@pytest.mark.usefixtures("cli_env")
def test_one_folder_is_one_model_by_any_path(
    conn: Connection,
    model: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _seed(conn)
    monkeypatch.chdir(model.parent.parent)
    relative = "research/tiny"
    capsys.readouterr()
    assert main(["models", "add", relative, "--backend", "torch"]) == 0
    said = capsys.readouterr().out
    assert "no model is active yet: research/tiny becomes the active model" in " ".join(
        said.split()
    )
    assert _embed(capsys, "--model", f"./{relative}/", "--backend", "torch")["embedded"] == 0
    assert _embed(capsys, "--model", str(model), "--backend", "torch")["embedded"] == 0
    (only,) = list_models(conn)
    assert only.name == str(model.resolve())
    assert canonical_name("./research/../research/tiny") == str(model.resolve())
    forced = _embed(capsys, "--model", relative, "--backend", "torch", "--force")
    assert (forced["jobs_embedded"], forced["cvs_embedded"]) == (JOBS, 1)
    assert len(list_models(conn)) == 1


@pytest.mark.usefixtures("cli_env")
def test_a_missing_local_path_is_an_error_not_a_hub_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-such-model"
    assert main(["embed", "--model", str(missing)]) == 2
    err = capsys.readouterr().err
    assert f"no model folder at {missing}" in err
    assert "not available offline" not in err
    with pytest.raises(ModelUnavailableError, match="no model folder at"):
        load_embedder("./nowhere/model")
    with pytest.raises(ModelUnavailableError, match="not available offline"):
        load_embedder("someone/not-on-this-machine")  # owner/name stays a hub name


@pytest.mark.usefixtures("cli_env")
def test_an_experiments_shadow_set_is_kept_current_by_the_worker(
    db_url: str, conn: Connection, model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(conn)
    other = make_tiny_model(tmp_path / "other", seed=1)
    _embed(capsys, "--model", str(model), "--backend", "torch")
    _embed(capsys, "--model", str(other), "--backend", "torch")
    shadow = model_by_name(conn, str(other))
    assert shadow is not None
    start(db_url, shadow, share=0.5, days=1)
    user = create_user(conn, "bo@example.com")
    assert user is not None
    cv = replace_active_cv(conn, user.id, "Nurse on a cardiology ward.")
    upsert_jobs(conn, [_job(JOBS, "Ward nurse")])

    tasks = real_model_tasks(db_url, tmp_path / "home", model=str(model))
    tasks.embed_all()
    assert coverage(conn)[shadow.id].complete  # the new job and CV, in the shadow set too
    assert stored_cv_hash(conn, shadow.id, cv.id) == cv.content_hash

    # A CV uploaded during the experiment: embedded under both, listed by its user's arm.
    late = create_user(conn, "cy@example.com")
    assert late is not None
    upload = replace_active_cv(conn, late.id, "Python developer, Django.")
    tasks.process_new_cv(upload.id)
    assert stored_cv_hash(conn, shadow.id, upload.id) == upload.content_hash
    served = conn.execute(
        "SELECT model_id, jobmatch_serving_model(user_id) FROM recommendation_lists"
        " WHERE user_id = %s",
        (late.id,),
    ).fetchone()
    assert served is not None
    assert served[0] == served[1]
