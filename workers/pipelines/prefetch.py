"""Computing the next items of an iterator in a thread while the caller uses this one.

Generation scores a block of users (torch and numpy, which release the GIL) while the
previous block is explained (pure Python): on two cores the two overlap.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class _Failed:
    error: BaseException


class _End:
    pass


def prefetched(items: Iterator[T], *, ahead: int = 1) -> Generator[T, None, None]:
    """Yield `items` in order, the next `ahead` computed in a background thread.

    An error in the thread is raised here, at the item it happened on; closing this
    generator early stops the thread after the item it is computing.
    """
    slots: queue.Queue[T | _Failed | _End] = queue.Queue(ahead)
    stop = threading.Event()

    def offer(item: T | _Failed | _End) -> bool:
        """Put `item` when there is room; False when the consumer has gone."""
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer(item):
                    return
            offer(_End())
        except BaseException as error:  # handed to the consumer's thread
            offer(_Failed(error))

    thread = threading.Thread(target=produce, name="prefetch", daemon=True)
    thread.start()
    try:
        while not isinstance(item := slots.get(), _End):
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        thread.join()
