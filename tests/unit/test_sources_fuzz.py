"""Any wrong value in any field skips that one record with a reason; it never escapes as
another exception, which would fail the source's whole run (one did: a salary of 10**30)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.test_sources_parse import load
from workers.sources import Adzuna, Arbeitnow, RemoteOK, Remotive, TheMuse
from workers.sources.base import JobSource

SOURCES: list[tuple[JobSource, str]] = [
    (RemoteOK(), "remoteok.json"),
    (Remotive(), "remotive.json"),
    (Arbeitnow(), "arbeitnow-page1.json"),
    (Adzuna("id", "key", country="us"), "adzuna.json"),
    (TheMuse(), "themuse.json"),
]

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["", " ", "<div>" * 3000 + "x", "\udcff", "2026-13-45", "1e400", "NaN"]),
)
WRONG_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=5,
)


def _items(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, dict):  # the list of items under the API's own key
        body = next(value for value in body.values() if isinstance(value, list))
    found: list[Any] = body
    return [item for item in found if isinstance(item, dict) and "legal" not in item]


@pytest.mark.parametrize(("source", "fixture"), SOURCES, ids=[f for _, f in SOURCES])
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_wrong_field_skips_only_its_record(
    source: JobSource, fixture: str, data: st.DataObject
) -> None:
    item = dict(data.draw(st.sampled_from(_items(load(fixture)))))
    for key in data.draw(st.lists(st.sampled_from(sorted(item)), min_size=1, max_size=3)):
        item[key] = data.draw(WRONG_VALUES)
    result = source.parse_items([item])
    assert len(result.records) + sum(result.skipped.values()) == 1
    assert all(reason for reason in result.skipped)
