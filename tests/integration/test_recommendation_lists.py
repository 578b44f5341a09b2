"""Writing lists with the hand-built binary COPY: what is read back is what was written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from schema.database import Connection
from schema.queries.list_writes import NewLists, replace_lists
from tests.integration.recommend_data import (
    active_cv_ids,
    add_job,
    add_model,
    add_user,
    new_lists,
    unit,
)

# Fits: none, non-ASCII and everything text COPY would have to escape, and a long one.
AWKWARD_FITS = [None, 'in "Zürich"\t\\ 日本 🚀\n', "remote", "far " * 2000]


def test_lists_round_trip_exactly(conn: Connection) -> None:
    model = add_model(conn)
    jobs = [add_job(conn, model, unit(np.ones(8))) for _ in range(4)]
    users = [add_user(conn, model, unit(np.ones(8))) for _ in range(3)]
    generated = datetime(2026, 11, 28, 21, 5, 7, 123456, tzinfo=UTC)
    expires = generated + timedelta(days=3)
    evidence = [0, -1, 2**62 + 5, -(2**63)]
    named = [active_cv_ids(conn, user)[0] for user in users]
    lists = NewLists(
        user_ids=users,
        named_cv_ids=named,
        cv_ids=[11, 12, 13],
        counts=np.array([4, 1, 0]),  # nothing fits the third: an empty list
        job_ids=np.array([*jobs, jobs[0]]),
        scores=np.array([0.9, 0.5, -0.25, 1e-7, 0.125], dtype=np.float32),
        evidence=np.array([*evidence, 7]),
        fits=[*AWKWARD_FITS, None],
    )

    written = replace_lists(
        conn, named, lists, model_id=model, generated_at=generated, expires_at=expires
    )

    rows = conn.execute(
        "SELECT user_id, model_id, cv_id, job_ids, scores, evidence, fits, generated_at,"
        " expires_at FROM recommendation_lists ORDER BY user_id"
    ).fetchall()
    assert written == 5
    assert [row[0] for row in rows] == users
    first = rows[0]
    assert first[1:4] == (model, 11, jobs)
    assert np.allclose(np.asarray(first[4], dtype=np.float32), [0.9, 0.5, -0.25, 1e-7])
    assert first[5] == evidence
    assert first[6] == AWKWARD_FITS
    assert (first[7], first[8]) == (generated, expires)
    assert rows[1][2:7] == (12, jobs[:1], [0.125], [7], [None])
    assert rows[2][2:7] == (13, [], [], [], [])


def test_replacing_drops_the_old_list(conn: Connection) -> None:
    model = add_model(conn)
    job = add_job(conn, model, unit(np.ones(8)))
    user = add_user(conn, model, unit(np.ones(8)))
    named, cv = active_cv_ids(conn, user)
    now = datetime.now(UTC)
    for fit in ("old", "new"):
        replace_lists(
            conn,
            [named],
            new_lists([(user, named, cv, [job], [0.5])], fit=fit),
            model_id=model,
            generated_at=now,
            expires_at=now,
        )
    rows = conn.execute("SELECT fits FROM recommendation_lists").fetchall()
    assert rows == [(["new"],)]
