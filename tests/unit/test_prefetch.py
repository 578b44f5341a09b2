"""The background iterator that overlaps scoring with explaining."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from workers.pipelines.prefetch import prefetched


def test_items_arrive_in_order_computed_in_another_thread() -> None:
    threads: set[str] = set()

    def numbers() -> Iterator[int]:
        for n in range(5):
            threads.add(threading.current_thread().name)
            yield n

    assert list(prefetched(numbers())) == [0, 1, 2, 3, 4]
    assert threads == {"prefetch"}


def test_an_error_is_raised_where_it_happened() -> None:
    def failing() -> Iterator[int]:
        yield 1
        raise RuntimeError("block 2 failed")

    items = prefetched(failing())
    assert next(items) == 1
    with pytest.raises(RuntimeError, match="block 2 failed"):
        next(items)


def test_stopping_early_stops_the_thread() -> None:
    produced = []

    def endless() -> Iterator[int]:
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    items = prefetched(endless(), ahead=1)
    assert next(items) == 0
    items.close()  # joins the thread: it must notice and return
    count = len(produced)
    assert count <= 3  # the one taken, one queued, one being offered
    assert len(produced) == count
