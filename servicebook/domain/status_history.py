"""Status history: what status each record had, when. The tool records what it observes at each
run; an agent's progress-log entry that names the status a step led to gives the exact time."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

OBSERVED = "observed"
PROGRESS = "progress"


class StatusEvent(NamedTuple):   # one per history row and progress entry: a tuple is made fastest
    ticket: str
    status: str
    at: datetime
    source: str = OBSERVED


def new_observations(current: dict[str, str], history: Iterable[StatusEvent], now: datetime) -> list[StatusEvent]:
    """An observation for each record whose status differs from the last one the tool recorded."""
    last: dict[str, StatusEvent] = {}
    for event in history:
        if event.source == OBSERVED and (event.ticket not in last or event.at >= last[event.ticket].at):
            last[event.ticket] = event
    return [StatusEvent(ticket, status, now) for ticket, status in current.items()
            if status and (ticket not in last or last[ticket].status != status)]


def timelines(events: Iterable[StatusEvent]) -> dict[str, list[StatusEvent]]:
    by_ticket: dict[str, list[StatusEvent]] = defaultdict(list)
    for event in events:
        by_ticket[event.ticket].append(event)
    for ticket_events in by_ticket.values():
        # The progress log's time is exact; at the same instant it goes first.
        ticket_events.sort(key=lambda e: (e.at, e.source != PROGRESS))
    return by_ticket


def intervals_in(timeline: list[StatusEvent], status: str) -> list[tuple[datetime, datetime | None]]:
    """Spans spent in `status`: from entering it to the next different status (None: still in it)."""
    spans: list[tuple[datetime, datetime | None]] = []
    entered: datetime | None = None
    for event in timeline:
        if event.status == status and entered is None:
            entered = event.at
        elif event.status != status and entered is not None:
            spans.append((entered, event.at))
            entered = None
    if entered is not None:
        spans.append((entered, None))
    return spans
