"""Progress on the terminal for anything that takes more than a second, and nothing otherwise.

Bars go to stderr and only on a terminal, so scheduled runs and `--json` output stay clean.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
DELAY = 1.0


def _enabled() -> bool:
    return sys.stderr.isatty()


def track(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Iterate with a bar that appears once the loop has run for a second (tqdm is loaded only
    for a terminal: a scheduled run has none)."""
    if not _enabled():
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, desc=description, total=total, delay=DELAY, file=sys.stderr, leave=False, unit="行")


@contextmanager
def stage(description: str) -> Iterator[None]:
    """A step with no steps of its own (reading or saving a file): a ticking timer after a second."""
    if not _enabled():
        yield
        return
    done = threading.Event()

    def tick() -> None:
        if done.wait(DELAY):
            return
        from tqdm import tqdm

        with tqdm(desc=description, file=sys.stderr, leave=False, bar_format="{desc} {elapsed}") as bar:
            while not done.wait(0.2):
                bar.refresh()

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
