"""The SLA clock against hand-computed cases on China's calendar, and its properties."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicebook.domain.clock import CalendarClock, WorkingClock, to_seconds
from servicebook.domain.workdays import Workdays

NINE_TO_SIX = [(9 * 3600, 12 * 3600), (13 * 3600, 18 * 3600)]   # with a lunch break


def working(team_days=None, periods=NINE_TO_SIX, first=date(2023, 12, 1), last=date(2027, 12, 31)):
    workdays = Workdays(team_days=team_days or {})
    return WorkingClock(periods, workdays, first, last), workdays


@pytest.mark.parametrize(
    ("case", "start", "hours", "deadline"),
    [
        ("over a weekend", datetime(2024, 5, 17, 17, 0), 2, datetime(2024, 5, 20, 10, 0)),
        ("into the make-up Sunday after 春节 2024", datetime(2024, 2, 9, 17, 0), 2, datetime(2024, 2, 18, 10, 0)),
        ("into the make-up Saturday before 春节 2026", datetime(2026, 2, 13, 17, 0), 2, datetime(2026, 2, 14, 10, 0)),
        ("across 春节 2026", datetime(2026, 2, 14, 17, 30), 2, datetime(2026, 2, 24, 10, 30)),
        ("over the lunch break", datetime(2024, 5, 21, 11, 0), 2, datetime(2024, 5, 21, 14, 0)),
        ("opened at 17:59", datetime(2024, 5, 21, 17, 59), 2, datetime(2024, 5, 22, 10, 59)),
        ("opened on 国庆", datetime(2024, 10, 1, 10, 0), 2, datetime(2024, 10, 8, 11, 0)),
        ("opened during lunch", datetime(2024, 5, 21, 12, 30), 1, datetime(2024, 5, 21, 14, 0)),
        ("a whole working day", datetime(2024, 5, 21, 9, 0), 8, datetime(2024, 5, 21, 18, 0)),
        ("24 working hours", datetime(2024, 5, 20, 9, 0), 24, datetime(2024, 5, 22, 18, 0)),
    ],
)
def test_hand_computed_deadlines(case, start, hours, deadline):
    clock, _ = working()
    assert clock.add(start, hours) == deadline, case
    assert clock.elapsed(start, deadline) == pytest.approx(hours), case


def test_elapsed_hours_skip_nights_weekends_and_holidays():
    clock, _ = working()
    assert clock.elapsed(datetime(2024, 5, 17, 17, 0), datetime(2024, 5, 20, 10, 0)) == 2
    assert clock.elapsed(datetime(2024, 10, 1, 0, 0), datetime(2024, 10, 7, 23, 59)) == 0
    assert clock.elapsed(datetime(2026, 2, 13, 17, 0), datetime(2026, 2, 24, 10, 0)) == 10


def test_calendar_clock_counts_every_hour():
    clock = CalendarClock()
    assert clock.add(datetime(2024, 5, 17, 17, 0), 2) == datetime(2024, 5, 17, 19, 0)
    assert clock.elapsed(datetime(2024, 10, 1), datetime(2024, 10, 2)) == 24


def test_a_year_the_library_does_not_cover_counts_weekdays_and_says_so():
    clock, workdays = working()
    # 2027-01-01 is a Friday; no State Council notice is in chinese-calendar 1.11 yet.
    assert clock.add(datetime(2026, 12, 31, 17, 0), 2) == datetime(2027, 1, 1, 10, 0)
    assert 2027 in workdays.uncovered


def test_the_teams_own_days_win():
    team = {date(2027, 1, 1): False, date(2024, 5, 18): True}
    clock, _ = working(team)
    assert clock.add(datetime(2026, 12, 31, 17, 0), 2) == datetime(2027, 1, 4, 10, 0)
    assert clock.add(datetime(2024, 5, 17, 17, 0), 2) == datetime(2024, 5, 18, 10, 0)


def test_the_vectorised_path_equals_the_scalar_one():
    clock, _ = working()
    starts = [datetime(2024, 5, 17, 17, 0) + timedelta(minutes=37 * i) for i in range(500)]
    seconds = np.array([to_seconds(s) for s in starts])
    deadlines = clock.moment(clock.counted(seconds) + 7200)
    assert [clock.add(s, 2) for s in starts] == [datetime(1970, 1, 1) + timedelta(seconds=int(d)) for d in deadlines]


# ---------------------------------------------------------------- properties

MOMENTS = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 1)).map(
    lambda d: d.replace(microsecond=0))
PERIODS = st.lists(st.integers(min_value=0, max_value=96), min_size=2, max_size=6, unique=True).map(
    lambda qs: sorted(q * 900 for q in qs)).filter(lambda xs: len(xs) % 2 == 0).map(
    lambda xs: [(xs[i], xs[i + 1]) for i in range(0, len(xs), 2)])
CLOCK, _ = working()


@settings(max_examples=300, deadline=None)
@given(MOMENTS, MOMENTS, MOMENTS)
def test_elapsed_is_never_negative_monotonic_and_additive(a, b, c):
    a, b, c = sorted((a, b, c))
    ab, bc, ac = CLOCK.elapsed(a, b), CLOCK.elapsed(b, c), CLOCK.elapsed(a, c)
    assert ab >= 0 and bc >= 0
    assert ab <= ac
    assert ac == pytest.approx(ab + bc)


@settings(max_examples=200, deadline=None)
@given(PERIODS, MOMENTS, MOMENTS)
def test_any_working_periods_keep_the_properties(periods, a, b):
    clock = WorkingClock(periods, Workdays(), date(2023, 12, 1), date(2027, 6, 30))
    a, b = sorted((a, b))
    middle = a + (b - a) / 3
    assert clock.elapsed(a, b) >= 0
    assert clock.elapsed(a, b) == pytest.approx(clock.elapsed(a, middle) + clock.elapsed(middle, b))
    day_hours = sum(e - s for s, e in periods) / 3600
    assert clock.elapsed(a, b) <= (b - a).total_seconds() / 3600 * day_hours / 24 + day_hours + 1e-9


@settings(max_examples=200, deadline=None)
@given(MOMENTS, MOMENTS)
def test_a_clock_that_never_stops_equals_calendar_time(a, b):
    always = WorkingClock([(0, 86400)], lambda _day: True, date(2023, 12, 1), date(2027, 1, 31))
    a, b = sorted((a, b))
    assert always.elapsed(a, b) == CalendarClock().elapsed(a, b)
    assert always.add(a, 5.5) == CalendarClock().add(a, 5.5)


@settings(max_examples=300, deadline=None)
@given(MOMENTS, st.integers(min_value=1, max_value=200 * 60))
def test_a_deadline_is_the_first_moment_the_limit_is_used_up(start, minutes):
    hours = minutes / 60
    deadline = CLOCK.add(start, hours)
    assert deadline > start
    assert CLOCK.elapsed(start, deadline) == pytest.approx(hours)
    assert CLOCK.elapsed(start, deadline - timedelta(seconds=1)) < hours
