"""Rate-limit state in the `throttle` table, shared by every API process (GCRA)."""

from __future__ import annotations

from schema.database import Connection


def take(conn: Connection, key: str, interval_s: float, period_s: float) -> float | None:
    """Record one attempt under `key` if it fits: None when it did, else the seconds to
    wait. Attempts are spaced `interval_s` apart on average, with a burst of
    `period_s / interval_s` allowed (the generic cell rate algorithm)."""
    params = {"key": key, "t": interval_s, "period": period_s}
    taken = conn.execute(
        "INSERT INTO throttle (key, tat) VALUES (%(key)s, now() + make_interval(secs => %(t)s))"
        " ON CONFLICT (key) DO UPDATE"
        " SET tat = greatest(throttle.tat, now()) + make_interval(secs => %(t)s)"
        " WHERE greatest(throttle.tat, now()) + make_interval(secs => %(t)s)"
        "  <= now() + make_interval(secs => %(period)s)"
        " RETURNING 1",
        params,
    ).fetchone()
    if taken is not None:
        return None
    row = conn.execute(
        "SELECT extract(epoch FROM greatest(tat, now()) + make_interval(secs => %(t)s)"
        " - now() - make_interval(secs => %(period)s)) FROM throttle WHERE key = %(key)s",
        params,
    ).fetchone()
    return max(float(str(row[0])), 0.0) if row else 0.0


def forget_expired(conn: Connection) -> None:
    """Drop keys whose attempts no longer count."""
    conn.execute("DELETE FROM throttle WHERE tat < now()")
