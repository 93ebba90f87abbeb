"""The SLA clock: how many hours count between two times, and when a limit runs out.

Both clocks are built on one function W(t), the counted seconds from an epoch to t:
elapsed(a, b) = W(b) - W(a), and a deadline is the earliest t with W(t) >= W(start) + limit.
On the calendar clock W is the identity. On the working-hours clock it is a running total over a
table of days (is it a working day?) and the day's working periods, so both directions are a
table lookup, vectorised with numpy for whole columns of records.

Times are naive local wall-clock times, as the workbook holds them, as seconds since 1970-01-01.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta

import numpy as np

DAY = 86400
EPOCH = datetime(1970, 1, 1)


def to_seconds(moment: datetime) -> int:
    return int((moment - EPOCH).total_seconds())


def from_seconds(seconds: float) -> datetime:
    return EPOCH + timedelta(seconds=round(seconds))


def seconds_of_day(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


class CalendarClock:
    """Every hour counts: 24 hours a day, 7 days a week."""

    name = "calendar"

    def counted(self, seconds: np.ndarray) -> np.ndarray:
        return np.asarray(seconds, dtype=np.int64)

    def moment(self, counted: np.ndarray) -> np.ndarray:
        return np.asarray(counted, dtype=np.int64)

    # Scalar conveniences, for the rules and the tests.
    def elapsed(self, start: datetime, end: datetime) -> float:
        a, b = self.counted(np.array([to_seconds(start), to_seconds(end)]))
        return float(b - a) / 3600

    def add(self, start: datetime, hours: float) -> datetime:
        w = self.counted(np.array([to_seconds(start)]))[0] + round(hours * 3600)
        return max(start, from_seconds(float(self.moment(np.array([w]))[0])))


class WorkingClock(CalendarClock):
    """Only working periods on working days count.

    `periods` are (start, end) seconds of the day, ascending and not overlapping, e.g.
    09:00–12:00 and 13:00–18:00. `is_workday` decides each date of [first_day, last_day].
    """

    name = "working"

    def __init__(self, periods: Sequence[tuple[int, int]], is_workday: Callable[[date], bool],
                 first_day: date, last_day: date):
        if not periods:
            raise ValueError("a working clock needs at least one working period")
        self.starts = np.array([s for s, _ in periods], dtype=np.int64)
        self.lengths = np.array([e - s for s, e in periods], dtype=np.int64)
        self.period_ends = np.cumsum(self.lengths)      # counted seconds at the end of each period
        self.first_day = first_day
        self.offset = (first_day - EPOCH.date()).days
        days = (last_day - first_day).days + 1
        self.working = np.array([is_workday(first_day + timedelta(days=i)) for i in range(days)], dtype=bool)
        per_day = self.working.astype(np.int64) * int(self.lengths.sum())
        self.day_end = np.cumsum(per_day)                # counted seconds at the end of each day
        self.day_start = self.day_end - per_day

    def _day_index(self, seconds: np.ndarray) -> np.ndarray:
        index = seconds // DAY - self.offset
        if index.size and (index.min() < 0 or index.max() >= len(self.working)):
            raise ValueError("a time falls outside the days this clock was built for")
        return index

    def counted(self, seconds: np.ndarray) -> np.ndarray:
        seconds = np.asarray(seconds, dtype=np.int64)
        index = self._day_index(seconds)
        of_day = (seconds % DAY)[..., None]
        within = np.clip(of_day - self.starts, 0, self.lengths).sum(axis=-1)
        return self.day_start[index] + within * self.working[index]

    def moment(self, counted: np.ndarray) -> np.ndarray:
        """The earliest time at which W reaches `counted`."""
        counted = np.asarray(counted, dtype=np.int64)
        index = np.searchsorted(self.day_end, counted, side="left")
        if index.size and index.max() >= len(self.working):
            raise ValueError("a deadline falls beyond the days this clock was built for")
        into_day = counted - self.day_start[index]
        period = np.searchsorted(self.period_ends, into_day, side="left")
        before = np.where(period > 0, self.period_ends[np.maximum(period - 1, 0)], 0)
        of_day = self.starts[period] + (into_day - before)
        return (index + self.offset) * DAY + of_day


Clock = CalendarClock
