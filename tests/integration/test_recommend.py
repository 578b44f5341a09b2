"""Generation against a real PostgreSQL: order, exclusions, preferences, cap, expiry,
atomic replacement, deleted jobs, users without CVs, and the pgvector baseline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from schema.database import Connection
from schema.queries.models import activate_model
from schema.queries.users import Preferences, save_preferences
from tests.integration.recommend_data import add_job, add_model, add_user, stored, unit
from workers.pipelines.recommend import RecommendOptions, generate, generate_for_user
from workers.pipelines.recommend_options import DEFAULT_LEXICAL_WEIGHT

DIM = 8


def _jobs(
    conn: Connection, model: int, count: int, seed: int = 1, **kwargs: object
) -> dict[int, np.ndarray]:
    rng = np.random.default_rng(seed)
    vectors = {}
    for _ in range(count):
        vector = unit(rng.normal(size=DIM))
        vectors[add_job(conn, model, vector, **kwargs)] = vector  # type: ignore[arg-type]
    return vectors


def _expected(query: np.ndarray, jobs: dict[int, np.ndarray], k: int = 50) -> list[int]:
    return sorted(jobs, key=lambda job: -float(jobs[job] @ unit(query)))[:k]


def test_order_and_count(db_url: str, conn: Connection) -> None:
    model = add_model(conn)
    jobs = _jobs(conn, model, 80)
    query = unit(np.arange(1, DIM + 1))
    user = add_user(conn, model, query)
    summary = generate_for_user(db_url, user)
    rows = stored(conn, user)
    assert summary.recommendations == 50
    assert [rank for _, rank, _ in rows] == list(range(1, 51))
    scores = [score for _, _, score in rows]
    assert scores == sorted(scores, reverse=True)
    assert [job for job, _, _ in rows] == _expected(query, jobs)
    # The CV shares no word with these jobs: the nightly score is the cosine, scaled.
    cosine = float(jobs[rows[0][0]] @ query)
    assert scores[0] == pytest.approx(cosine / (1 + DEFAULT_LEXICAL_WEIGHT), abs=1e-5)


def test_applied_and_down_voted_jobs_are_excluded(db_url: str, conn: Connection) -> None:
    model = add_model(conn)
    jobs = _jobs(conn, model, 60)
    query = unit(np.ones(DIM))
    user = add_user(conn, model, query)
    best = _expected(query, jobs, 3)
    conn.execute("INSERT INTO applications (user_id, job_id) VALUES (%s, %s)", (user, best[0]))
    conn.execute(
        "INSERT INTO feedback (user_id, job_id, vote) VALUES (%s, %s, 'down')", (user, best[1])
    )
    conn.execute(
        "INSERT INTO feedback (user_id, job_id, vote) VALUES (%s, %s, 'up')", (user, best[2])
    )
    generate_for_user(db_url, user)
    listed = [job for job, _, _ in stored(conn, user)]
    assert best[0] not in listed
    assert best[1] not in listed
    assert listed[0] == best[2]
    assert len(listed) == 50


def test_preferences_filter(db_url: str, conn: Connection) -> None:
    model = add_model(conn)
    query = unit(np.ones(DIM))
    near = unit(np.ones(DIM) + 0.01)
    keep = {
        add_job(conn, model, near, remote=True, company="Good"),
        add_job(conn, model, near, location="Berlin, DE", salary=(90_000, 120_000)),
        add_job(conn, model, near, location="berlin", salary=(None, None)),
    }
    drop = {
        add_job(conn, model, near, location="Paris"),  # not a wanted place
        add_job(conn, model, near, location="Berlin", salary=(40_000, 50_000)),  # too low
        add_job(conn, model, near, remote=True, company="Evil Corp"),  # excluded company
    }
    user = add_user(conn, model, query)
    save_preferences(conn, user, Preferences(["Berlin"], False, 80_000, ["evil corp"], []))  # type: ignore[arg-type]
    generate_for_user(db_url, user)
    assert {job for job, _, _ in stored(conn, user)} == keep
    assert not keep & drop

    save_preferences(conn, user, Preferences([], True, None, [], []))
    generate_for_user(db_url, user)
    listed = {job for job, _, _ in stored(conn, user)}
    assert listed == {min(keep), max(drop)}  # the two remote jobs, whatever the company


def test_company_cap(db_url: str, conn: Connection) -> None:
    model = add_model(conn)
    query = unit(np.ones(DIM))
    rng = np.random.default_rng(3)
    for _ in range(10):  # the ten closest jobs all belong to one company
        add_job(
            conn, model, unit(np.ones(DIM) + rng.normal(scale=0.01, size=DIM)), company="MegaCorp"
        )
    _jobs(conn, model, 80, seed=4)
    user = add_user(conn, model, query)
    generate_for_user(db_url, user)
    companies = [
        row[0]
        for row in conn.execute(
            "SELECT j.company FROM job_recommendations r JOIN jobs j ON j.id = r.job_id"
            " WHERE r.user_id = %s ORDER BY r.rank",
            (user,),
        ).fetchall()
    ]
    assert companies[:3] == ["MegaCorp"] * 3
    assert companies.count("MegaCorp") == 3
    assert len(companies) == 50

    generate_for_user(db_url, user, options=RecommendOptions(company_cap=5))
    assert len(stored(conn, user)) == 50
    count = conn.execute(
        "SELECT count(*) FROM job_recommendations r JOIN jobs j ON j.id = r.job_id"
        " WHERE r.user_id = %s AND j.company = 'MegaCorp'",
        (user,),
    ).fetchone()
    assert count == (5,)


def test_expiry_is_three_days_after_generation(db_url: str, conn: Connection) -> None:
    model = add_model(conn)
    _jobs(conn, model, 5)
    user = add_user(conn, model, unit(np.ones(DIM)))
    before = datetime.now(UTC)
    generate_for_user(db_url, user)
    rows = conn.execute(
        "SELECT DISTINCT generated_at, expires_at FROM job_recommendations WHERE user_id = %s",
        (user,),
    ).fetchall()
    assert len(rows) == 1
    generated, expires = rows[0]
    assert isinstance(generated, datetime)
    assert isinstance(expires, datetime)
    assert generated.utcoffset() == timedelta(0)
    assert before <= generated <= datetime.now(UTC)
    assert expires - generated == timedelta(days=3)


def test_old_and_unembedded_jobs_are_not_candidates(db_url: str, conn: Connection) -> None:
    model = add_model(conn)
    fresh = add_job(conn, model, unit(np.ones(DIM)))
    add_job(conn, model, unit(np.ones(DIM)), posted_days_ago=8)
    add_job(conn, None, None)
    other = add_model(conn, "other-model", DIM)
    add_job(conn, other, unit(np.ones(DIM)))
    activate_model(conn, model)
    user = add_user(conn, model, unit(np.ones(DIM)))
    generate_for_user(db_url, user)
    assert [job for job, _, _ in stored(conn, user)] == [fresh]


def test_users_without_an_embedded_cv_get_nothing(db_url: str, conn: Connection) -> None:
    model = add_model(conn)
    _jobs(conn, model, 10)
    no_cv = add_user(conn, cv=None)
    not_embedded = add_user(conn)
    with_cv = add_user(conn, model, unit(np.ones(DIM)))
    summary = generate(db_url)
    assert summary.users == 1
    assert stored(conn, no_cv) == []
    assert stored(conn, not_embedded) == []
    assert len(stored(conn, with_cv)) == 10
    assert generate_for_user(db_url, no_cv).skipped


def test_no_active_model_is_a_skip(db_url: str) -> None:
    summary = generate(db_url)
    assert summary.skipped
    assert "no active embedding model" in summary.skipped
    assert summary.recommendations == 0


@pytest.mark.parametrize("write_behind", [False, True])
def test_a_run_failing_half_way_leaves_complete_lists(
    db_url: str, conn: Connection, write_behind: bool
) -> None:
    model = add_model(conn)
    _jobs(conn, model, 70)
    rng = np.random.default_rng(9)
    users = [add_user(conn, model, unit(rng.normal(size=DIM))) for _ in range(6)]
    options = RecommendOptions(block_size=2, write_behind=write_behind)
    first = datetime(2026, 1, 1, tzinfo=UTC)
    generate(db_url, options=options, now=first)
    old = {user: stored(conn, user) for user in users}
    _jobs(conn, model, 30, seed=10)  # new jobs, so new lists differ from the old ones

    def crash_after_first_block(done: int, total: int) -> None:
        raise RuntimeError("worker killed")

    second = datetime(2026, 1, 2, tzinfo=UTC)
    with pytest.raises(RuntimeError, match="worker killed"):
        generate(db_url, options=options, now=second, progress=crash_after_first_block)
    renewed = set()
    for user in users:
        rows = stored(conn, user)
        assert [rank for _, rank, _ in rows] == list(range(1, 51))
        (generated,) = {
            row[0]
            for row in conn.execute(
                "SELECT generated_at FROM job_recommendations WHERE user_id = %s", (user,)
            ).fetchall()
        }
        if generated == second:
            renewed.add(user)
            assert rows != old[user]
        else:
            assert generated == first
            assert rows == old[user]
    # Blocks commit whole, two users at a time; the run stops after the first block (a
    # block is handed to the writing thread only once the one before it is written).
    assert renewed == set(users[:2])


def test_a_job_deleted_during_the_run_does_not_fail_it(db_url: str, conn: Connection) -> None:
    model = add_model(conn)
    jobs = _jobs(conn, model, 60)
    query = unit(np.ones(DIM))
    users = [add_user(conn, model, query) for _ in range(2)]
    victim = _expected(query, jobs, 1)[0]

    # Without writing behind, the second user's block is written only after this callback.
    # (A job deleted after a list committed drops out of it when read; ranks close up.)
    def delete_after_first_user(done: int, total: int) -> None:
        if done == 1:
            conn.execute("DELETE FROM jobs WHERE id = %s", (victim,))

    summary = generate(
        db_url,
        options=RecommendOptions(block_size=1, write_behind=False),
        progress=delete_after_first_user,
    )
    assert summary.users == 2
    second = stored(conn, users[1])
    assert victim not in [job for job, _, _ in second]
    assert [rank for _, rank, _ in second] == list(range(1, 50))


def test_pgvector_strategy_matches_exact_on_a_small_set(db_url: str, conn: Connection) -> None:
    model = add_model(conn)
    _jobs(conn, model, 120)
    user = add_user(conn, model, unit(np.arange(DIM)))
    generate_for_user(db_url, user)
    exact = stored(conn, user)
    generate_for_user(db_url, user, options=RecommendOptions(strategy="pgvector"))
    baseline = stored(conn, user)
    overlap = len({j for j, _, _ in exact} & {j for j, _, _ in baseline}) / len(exact)
    assert overlap >= 0.9  # HNSW is approximate; on 120 jobs it is (nearly) exact
    assert len(baseline) == 50


# Blocks of 5 take the exact numpy path; a block of 12 the bf16 prefilter + fp32 re-score.
@pytest.mark.parametrize("block_size", [5, 12])
def test_batched_run_equals_single_user_runs(
    db_url: str, conn: Connection, block_size: int
) -> None:
    model = add_model(conn)
    _jobs(conn, model, 90, company="Same Co", title="Python developer")
    _jobs(conn, model, 90, seed=2, title="Python engineer", description="APIs on PostgreSQL")
    rng = np.random.default_rng(5)
    users = [add_user(conn, model, unit(rng.normal(size=DIM))) for _ in range(12)]
    generate(db_url, options=RecommendOptions(block_size=block_size))
    batched = {user: stored(conn, user) for user in users}
    for user in users:
        generate_for_user(db_url, user)
        single = stored(conn, user)
        assert [j for j, _, _ in single] == [j for j, _, _ in batched[user]]
    reasons = conn.execute("SELECT reason FROM job_recommendations LIMIT 5").fetchall()
    assert reasons
    # Every job names Python: the rarer shared terms come first, Python last.
    named = [str(r[0]).split(" · ")[0] for r in reasons]
    assert all(n.startswith("You share ") and n.endswith("Python") for n in named)


def test_text_profiles_are_stored_and_made_again_when_a_text_changes(
    db_url: str, conn: Connection
) -> None:
    model = add_model(conn)
    job = add_job(conn, model, unit(np.ones(DIM)), title="Rust engineer", tags=["rust"])
    user = add_user(conn, model, unit(np.ones(DIM)), cv="Rust and Go developer\nLoves Kafka")
    generate(db_url)
    assert _reasons(conn, user)[0].startswith("You share Rust")
    assert _count(conn, "job_text_profiles") == 1
    assert _count(conn, "cv_text_profiles") == 1

    # A changed text has a new content hash: its stored profile no longer counts.
    conn.execute(
        "UPDATE jobs SET title = 'Kafka engineer', tags = '{kafka}', content_hash = '\\xff'"
        " WHERE id = %(id)s",
        {"id": job},
    )
    generate(db_url)
    assert _reasons(conn, user)[0].startswith("You share Kafka")
    row = conn.execute(
        "SELECT content_hash FROM job_text_profiles WHERE job_id = %(id)s", {"id": job}
    ).fetchone()
    assert row == (b"\xff",)


def _reasons(conn: Connection, user: int) -> list[str]:
    rows = conn.execute(
        "SELECT reason FROM job_recommendations WHERE user_id = %(u)s ORDER BY rank", {"u": user}
    ).fetchall()
    return [str(row[0]) for row in rows]


def _count(conn: Connection, table: str) -> int:
    row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(str(row[0])) if row else 0
