"""Which days are working days: China's public holidays and make-up working days (调休) from a
maintained library, the team's own closed and working days on top, and ordinary weekdays for a
year the library does not cover yet — which is always said, never silent."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

# date -> True (working), False (closed), None (the source does not know that year)
HolidaySource = Callable[[date], bool | None]


def china_holidays(day: date) -> bool | None:
    """chinese-calendar's verdict, or None for a year it has no State Council notice for."""
    import chinese_calendar

    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def china_holidays_version() -> str:
    from importlib.metadata import version

    return f"chinese-calendar {version('chinese-calendar')}"


@dataclass
class Workdays:
    source: HolidaySource = china_holidays
    team_days: Mapping[date, bool] = field(default_factory=dict)
    uncovered: set[int] = field(default_factory=set)   # years answered by weekday alone

    def __call__(self, day: date) -> bool:
        if day in self.team_days:
            return self.team_days[day]
        verdict = self.source(day)
        if verdict is None:
            self.uncovered.add(day.year)
            return day.weekday() < 5
        return verdict

    def team_entries_in(self, year: int) -> int:
        return sum(1 for d in self.team_days if d.year == year)
