"""Writing lists with the hand-built binary COPY: what is read back is what was written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import psycopg

from schema.queries.recommendation_lists import NewList, replace_lists
from tests.integration.recommend_data import add_job, add_model, add_user, unit

Connection = psycopg.Connection[tuple[object, ...]]

# Everything text COPY would have to escape, non-ASCII, and a long reason.
AWKWARD = [
    'You share "C", C++ · your CV: “a\\b\tc” ↔ the job: “x\ny\r”',
    "Similar in meaning — 日本語, emoji 🚀, and ‘quotes’",
    "",
    "long " * 2000,
]


def test_lists_round_trip_exactly(conn: Connection) -> None:
    model = add_model(conn)
    jobs = [add_job(conn, model, unit(np.ones(8))) for _ in range(4)]
    users = [add_user(conn, model, unit(np.ones(8))) for _ in range(3)]
    generated = datetime(2026, 11, 28, 21, 5, 7, 123456, tzinfo=UTC)
    expires = generated + timedelta(days=3)
    lists = [
        NewList(users[0], jobs, [0.9, 0.5, -0.25, 1e-7], AWKWARD),
        NewList(users[1], jobs[:1], [0.125], ["only one"]),
        NewList(users[2], [], [], []),  # nothing to recommend: no row
    ]

    written = replace_lists(
        conn, users, lists, model_id=model, generated_at=generated, expires_at=expires
    )

    rows = conn.execute(
        "SELECT user_id, model_id, job_ids, scores, reasons, generated_at, expires_at"
        " FROM recommendation_lists ORDER BY user_id"
    ).fetchall()
    assert written == 5
    assert [row[0] for row in rows] == users[:2]
    first = rows[0]
    assert first[1] == model
    assert first[2] == jobs
    assert np.allclose(np.asarray(first[3], dtype=np.float32), [0.9, 0.5, -0.25, 1e-7])
    assert first[4] == AWKWARD
    assert (first[5], first[6]) == (generated, expires)
    assert rows[1][2:5] == (jobs[:1], [0.125], ["only one"])


def test_replacing_drops_the_old_list(conn: Connection) -> None:
    model = add_model(conn)
    job = add_job(conn, model, unit(np.ones(8)))
    user = add_user(conn, model, unit(np.ones(8)))
    now = datetime.now(UTC)
    for reason in ("old", "new"):
        replace_lists(
            conn,
            [user],
            [NewList(user, [job], [0.5], [reason])],
            model_id=model,
            generated_at=now,
            expires_at=now,
        )
    rows = conn.execute("SELECT reasons FROM recommendation_lists").fetchall()
    assert rows == [(["new"],)]
