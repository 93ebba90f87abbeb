"""Per record: the deadline of each time limit, its state and the hours counted, and the records
the supervisor needs to see now.

Metrics: 受理 (received → accepted), 首次响应 (received → first response), 解决 (accepted →
resolved, less time waiting for the customer when the team pauses it; the documents time
handling from acceptance) and 进度更新 (last update → next update, while the case is being
worked on).

Everything is computed a column at a time on the clock's arrays; only records with pauses take
a slower path. Per-row objects are built on demand, for short lists and the tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np

from servicebook.domain.clock import EPOCH, CalendarClock, from_seconds, to_seconds
from servicebook.domain.settings import Vocabulary
from servicebook.domain.sla_settings import SlaSettings
from servicebook.domain.status_history import StatusEvent, intervals_in
from servicebook.domain.table import SheetTable
from servicebook.domain.values import FIRST_YEAR, LAST_YEAR, as_text, parse_time
from servicebook.text import t

METRICS = ("accept", "first_response", "resolve", "update")
# The time columns a metric cannot be computed without (解决 ends at 解决时间, or at 关闭时间 in a
# workbook that has no 解决时间 column at all).
NEEDS = {"accept": (("received_at",), ("accepted_at",)), "first_response": (("received_at",), ("first_response_at",)),
         "resolve": (("received_at",), ("resolved_at", "closed_at")), "update": (("first_response_at",),)}
STATES = ("running", "at_risk", "breached", "paused", "met", "late")
RUNNING, AT_RISK, BREACHED, PAUSED, MET, LATE = range(len(STATES))
NONE = -1          # no state: the metric does not apply, or cannot be judged
MISSING = -1       # no time
TIME_COLUMNS = ("received_at", "accepted_at", "first_response_at", "resolved_at", "closed_at")

ClockFactory = Callable[[date, date], CalendarClock]


# ---------------------------------------------------------------- results


@dataclass
class MetricOutcome:
    deadline: datetime | None
    warn_at: datetime | None
    state: str
    hours: float              # counted hours from the start to the end (or now), pauses excluded


@dataclass
class MetricColumn:
    deadline: np.ndarray      # seconds, MISSING where no state
    warn: np.ndarray
    state: np.ndarray         # index into STATES, NONE where the metric does not apply
    hours: np.ndarray         # NaN where no state

    def outcome(self, index: int) -> MetricOutcome | None:
        if self.state[index] == NONE:
            return None
        return MetricOutcome(from_seconds(self.deadline[index]), from_seconds(self.warn[index]),
                             STATES[self.state[index]], float(self.hours[index]))


@dataclass
class RecordSla:
    metrics: dict[str, MetricOutcome] = field(default_factory=dict)
    response_hours: float | None = None    # received -> first response
    handling_hours: float | None = None    # accepted -> resolved, pauses excluded
    reasons: list[tuple[str, dict]] = field(default_factory=list)


@dataclass
class SlaResult:
    metrics: dict[str, MetricColumn]
    response_hours: np.ndarray
    handling_hours: np.ndarray
    reasons: dict[int, list[tuple[str, dict]]]     # row index -> escalation reasons (only rows with some)
    first_day: date
    last_day: date                                 # the latest day any deadline or time reaches
    uncomputed: dict[str, tuple[str, ...]] = field(default_factory=dict)   # metric -> the columns it lacks
    clock: CalendarClock | None = None                 # the clock the deadlines were counted on
    limits: dict[str, np.ndarray] = field(default_factory=dict)   # metric -> each row's limit in hours

    def __len__(self) -> int:
        return len(self.response_hours)

    def renewed(self, metric: str, index: int, start: datetime) -> datetime | None:
        """When `metric`'s limit would run out for this row if it started at `start`: the time a
        promise made now can honestly name (None when the row has no limit)."""
        hours = self.limits.get(metric)
        if self.clock is None or hours is None or np.isnan(hours[index]):
            return None
        try:
            return self.clock.add(start, float(hours[index]))
        except ValueError:   # beyond the days the clock was built for
            return None

    def row(self, index: int) -> RecordSla:
        metrics = {name: o for name, column in self.metrics.items() if (o := column.outcome(index))}
        return RecordSla(metrics, _number(self.response_hours[index]), _number(self.handling_hours[index]),
                         self.reasons.get(index, []))

    @property
    def rows(self) -> list[RecordSla]:
        return [self.row(i) for i in range(len(self))]

    def counts(self) -> dict[str, dict[str, int]]:
        counts = {}
        for name, column in self.metrics.items():
            values, numbers = np.unique(column.state[column.state != NONE], return_counts=True)
            counts[name] = {STATES[v]: int(n) for v, n in zip(values, numbers, strict=True)}
        return counts


def _number(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def datetimes(seconds: np.ndarray) -> list[datetime | None]:
    """Seconds to datetimes for writing cells; MISSING becomes None."""
    moments = (seconds.astype("datetime64[s]")).astype(object)
    return [m if s != MISSING else None for m, s in zip(moments.tolist(), seconds.tolist(), strict=True)]


# ---------------------------------------------------------------- reading the records


def time_column(values: list[object]) -> np.ndarray:
    """A column of dates and times as seconds since 1970 (MISSING where unreadable or empty)."""
    out = np.full(len(values), MISSING, dtype=np.int64)
    for i, value in enumerate(values):
        if type(value) is datetime and FIRST_YEAR <= value.year <= LAST_YEAR:
            out[i] = (value - EPOCH).total_seconds()
        elif value is not None and value != "":
            parsed = parse_time(value).value
            if parsed:
                out[i] = to_seconds(parsed)
    return out


class _Words:
    def __init__(self, vocab: Vocabulary):
        word = vocab.word
        self.pending, self.in_progress = word("status", "pending"), word("status", "in_progress")
        self.awaiting, self.closed = word("status", "awaiting"), word("status", "closed")
        self.escalated, self.follow_up = word("status", "escalated"), word("status", "follow_up")
        self.regular = word("tier", "regular")
        self.complex = word("complexity", "complex")
        self.brand_risk = word("escalation_flag", "brand_risk")
        self.customer_request = word("escalation_flag", "customer_request")
        self.working = {self.in_progress, self.escalated, self.follow_up}
        self.vocab = vocab

    def standard(self, status: str) -> str:
        """The status word a team's own form stands for (待处理 → 待受理, ` 处理中` → 处理中)."""
        return self.vocab.standard("status", status)


@dataclass
class _Records:
    """The facts of every record, as arrays."""

    tickets: list[str]
    status: list[str]
    flags: list[str]
    times: dict[str, np.ndarray]
    last_update: np.ndarray
    limits: dict[str, np.ndarray]          # metric -> hours (NaN: no limit)
    present: frozenset[str] = frozenset()  # the time columns the workbook has


def _limits(table: SheetTable, settings: SlaSettings, words: _Words) -> dict[str, np.ndarray]:
    """Each row's time limit per metric (NaN: none), from its priority, type, tier and complexity.
    A workbook holds a few dozen distinct combinations of them: each is looked up once, and the
    rows take their values by index."""
    columns = [table.column(key) for key in ("priority", "type", "tier", "complexity")]
    # Each cell with its type: 1, 1.0 and True are one key to Python, three words to a person.
    dims = zip(*(part for values in columns for part in (map(type, values), values)), strict=True)
    index: dict[tuple, int] = {}
    codes = [index.setdefault(combination, len(index)) for combination in dims]
    values = np.full((len(index), len(METRICS)), np.nan)
    for combination, at in index.items():
        values[at] = _limits_of(combination[1::2], settings, words)
    by_row = values[np.array(codes, dtype=np.intp)]
    return {metric: by_row[:, j].copy() for j, metric in enumerate(METRICS)}


def _limits_of(combination: tuple, settings: SlaSettings, words: _Words) -> list[float]:
    priority, type_, tier, complexity = combination
    found = settings.limits.limits(as_text(priority), as_text(type_), as_text(tier) or words.regular)
    resolve = found.resolve_complex if as_text(complexity) == words.complex else found.resolve
    return [np.nan if v is None else v for v in (found.accept, found.first_response, resolve, found.update)]


def _read(table: SheetTable, settings: SlaSettings, last_updates: dict[str, int], words: _Words) -> _Records:
    times = {key: time_column(table.column(key)) for key in TIME_COLUMNS}
    tickets = [as_text(v) for v in table.column("ticket_no")]
    limits = _limits(table, settings, words)
    logged = np.array([last_updates.get(t, MISSING) if t else MISSING for t in tickets], dtype=np.int64)
    first = times["first_response_at"]
    last_update = np.where(first != MISSING, np.maximum(first, logged), MISSING)
    statuses = [words.standard(as_text(v)) for v in table.column("status")]
    return _Records(tickets, statuses, [as_text(v) for v in table.column("escalation_flag")], times, last_update,
                    limits, frozenset(k for k in TIME_COLUMNS if table.has(k)))


# ---------------------------------------------------------------- one metric over all records


def _risk_limit(limit_seconds: np.ndarray, settings: SlaSettings) -> np.ndarray:
    if settings.risk_rule == "hours":
        return np.maximum(limit_seconds - settings.risk_hours * 3600, 0)
    return limit_seconds * (1 - settings.risk_ratio)


def _evaluate(start: np.ndarray, limit_hours: np.ndarray, end: np.ndarray, active: np.ndarray,
              clock: CalendarClock, now: int, settings: SlaSettings) -> MetricColumn:
    n = len(start)
    column = MetricColumn(np.full(n, MISSING, dtype=np.int64), np.full(n, MISSING, dtype=np.int64),
                          np.full(n, NONE, dtype=np.int8), np.full(n, np.nan))
    rows = np.flatnonzero(active & (start != MISSING) & ~np.isnan(limit_hours))
    if rows.size == 0:
        return column
    begin = start[rows]
    counted = clock.counted(begin)
    limit = np.round(limit_hours[rows] * 3600).astype(np.int64)
    deadline = np.maximum(clock.moment(counted + limit), begin)
    warn = np.maximum(clock.moment(counted + np.round(_risk_limit(limit, settings)).astype(np.int64)), begin)
    stop = end[rows]
    done = stop != MISSING
    until = np.maximum(np.where(done, stop, now), begin)
    state = np.select([done & (stop <= deadline), done, now > deadline, now >= warn],
                      [MET, LATE, BREACHED, AT_RISK], default=RUNNING)
    column.deadline[rows], column.warn[rows], column.state[rows] = deadline, warn, state
    column.hours[rows] = (clock.counted(until) - counted) / 3600
    return column


# ---------------------------------------------------------------- pauses (slow path, few records)


def _counted(clock: CalendarClock, seconds: int) -> int:
    return int(clock.counted(np.array([seconds]))[0])


def _moment(clock: CalendarClock, counted: int) -> int:
    return int(clock.moment(np.array([counted]))[0])


def _deadline_with_pauses(clock: CalendarClock, start: int, limit: int, pauses: list[tuple[int, int | None]],
                          now: int) -> int:
    remaining, cursor = limit, start
    for p0, p1 in pauses:
        if p1 is not None and p1 <= cursor:
            continue
        segment = _counted(clock, max(p0, cursor)) - _counted(clock, cursor)
        if segment >= remaining:
            break
        remaining -= segment
        cursor = max(p1 if p1 is not None else now, cursor)
        if p1 is None:
            break
    return max(_moment(clock, _counted(clock, cursor) + remaining), start)


def _paused_hours(clock: CalendarClock, start: int, until: int, pauses: list[tuple[int, int | None]],
                  now: int) -> float:
    total = 0
    for p0, p1 in pauses:
        a, b = max(p0, start), min(p1 if p1 is not None else now, until)
        if b > a:
            total += _counted(clock, b) - _counted(clock, a)
    return total / 3600


def _apply_pauses(column: MetricColumn, i: int, clock: CalendarClock, start: int, limit_hours: float, end: int,
                  pauses: list[tuple[int, int | None]], now: int, settings: SlaSettings) -> None:
    limit = round(limit_hours * 3600)
    deadline = _deadline_with_pauses(clock, start, limit, pauses, now)
    warn_limit = round(float(_risk_limit(np.array([limit]), settings)[0]))
    warn = _deadline_with_pauses(clock, start, warn_limit, pauses, now)
    until = end if end != MISSING else now
    column.hours[i] = max(column.hours[i] - _paused_hours(clock, start, until, pauses, now), 0.0)
    if end != MISSING:
        state = MET if end <= deadline else LATE
    elif pauses[-1][1] is None:
        state = PAUSED
    elif now > deadline:
        state = BREACHED
    else:
        state = AT_RISK if now >= warn else RUNNING
    column.deadline[i], column.warn[i], column.state[i] = deadline, warn, state


# ---------------------------------------------------------------- all metrics


def compute_sla(table: SheetTable, vocab: Vocabulary, settings: SlaSettings, make_clock: ClockFactory,
                now: datetime, timelines: dict[str, list[StatusEvent]], last_updates: dict[str, int]) -> SlaResult:
    words = _Words(vocab)
    records = _read(table, settings, last_updates, words)
    now_s = to_seconds(now)
    known = [t[t != MISSING] for t in records.times.values()]
    first_day = from_seconds(min([now_s, *(int(t.min()) for t in known if t.size)])).date()
    last_day = from_seconds(max([now_s, *(int(t.max()) for t in known if t.size)])).date()
    clock = make_clock(first_day, last_day)
    inputs = _metric_inputs(records, words)
    metrics = {m: _evaluate(inputs[m][0], records.limits[m], inputs[m][1], inputs[m][2], clock, now_s, settings)
               for m in METRICS}
    response = _hours(clock, records.times["received_at"], records.times["first_response_at"])
    resolution_end = inputs["resolve"][1]
    handling = _hours(clock, records.times["accepted_at"], resolution_end)
    if settings.pause_awaiting:
        _pause(records, metrics["resolve"], inputs["resolve"], handling, timelines, clock, now_s, settings, words)
    latest = max([last_day, *(from_seconds(int(c.deadline.max())).date() for c in metrics.values()
                              if (c.deadline != MISSING).any())])
    reasons = _reasons(records, metrics, clock, now_s, settings, words)
    return SlaResult(metrics, response, handling, reasons, first_day, latest, uncomputed(records.present), clock,
                     records.limits)


def _metric_inputs(records: _Records, words: _Words) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per metric: (start, end, active) arrays."""
    t = records.times
    status = np.array(records.status, dtype=object)
    is_closed = status == words.closed
    is_awaiting = status == words.awaiting
    resolved_state = is_closed | is_awaiting
    is_pending = status == words.pending
    has_status = status != ""
    # A reopened case (需跟进 and other open states) is unresolved whatever 解决时间 says. Only a
    # workbook without a 解决时间 column has 关闭时间 stand for it: where the column exists, a closed
    # case that leaves it empty cannot be judged.
    ends = t["resolved_at"] if "resolved_at" in records.present else t["closed_at"]
    resolution_end = np.where(resolved_state, ends, MISSING)
    resolve_start = np.where(t["accepted_at"] != MISSING, t["accepted_at"], t["received_at"])
    working = np.isin(status, list(words.working))
    inputs = {
        # A step the status says has happened, with no time written, cannot be judged.
        "accept": (t["received_at"], t["accepted_at"],
                   ~((t["accepted_at"] == MISSING) & has_status & ~is_pending)),
        "first_response": (t["received_at"], t["first_response_at"],
                           ~((t["first_response_at"] == MISSING) & resolved_state)),
        # 待确认 with no 解决时间 is waiting for the customer: running, or paused when the team pauses.
        "resolve": (resolve_start, resolution_end, ~((resolution_end == MISSING) & is_closed) & ~is_pending),
        "update": (records.last_update, np.full(len(status), MISSING, dtype=np.int64), working),
    }
    for metric in uncomputed(records.present):   # a missing column is "not computed", never "breached"
        start, end, _ = inputs[metric]
        inputs[metric] = (start, end, np.zeros(len(status), dtype=bool))
    return inputs


def uncomputed(present: frozenset[str] | set[str]) -> dict[str, tuple[str, ...]]:
    """metric -> the time columns it lacks, for each metric this workbook cannot time: one of the
    keys of each group in NEEDS must be a column of the workbook."""
    missing = {}
    for metric, groups in NEEDS.items():
        lacking = tuple(group[0] for group in groups if not any(key in present for key in group))
        if lacking:
            missing[metric] = lacking
    return missing


def _hours(clock: CalendarClock, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    hours = np.full(len(start), np.nan)
    rows = np.flatnonzero((start != MISSING) & (end != MISSING) & (end >= start))
    if rows.size:
        hours[rows] = (clock.counted(end[rows]) - clock.counted(start[rows])) / 3600
    return hours


def _pause(records: _Records, column: MetricColumn, inputs: tuple, handling: np.ndarray,
           timelines: dict[str, list[StatusEvent]], clock: CalendarClock, now: int, settings: SlaSettings,
           words: _Words) -> None:
    start, end, _ = inputs
    for i, ticket in enumerate(records.tickets):
        timeline = timelines.get(ticket) if ticket else None
        if not timeline or column.state[i] == NONE:
            continue
        pauses = [(to_seconds(a), to_seconds(b) if b else None) for a, b in intervals_in(timeline, words.awaiting)]
        if not pauses:
            continue
        _apply_pauses(column, i, clock, int(start[i]), float(records.limits["resolve"][i]), int(end[i]),
                      pauses, now, settings)
        if not np.isnan(handling[i]):
            accepted = int(records.times["accepted_at"][i])
            handling[i] = max(handling[i] - _paused_hours(clock, accepted, int(end[i]), pauses, now), 0.0)


def _reasons(records: _Records, metrics: dict[str, MetricColumn], clock: CalendarClock, now: int,
             settings: SlaSettings, words: _Words) -> dict[int, list[tuple[str, dict]]]:
    status = np.array(records.status, dtype=object)
    open_ = status != words.closed
    accepted = records.times["accepted_at"]
    waited = np.full(len(status), -1.0)
    rows = np.flatnonzero(open_ & (status != words.awaiting) & (accepted != MISSING) & (accepted < now))
    if rows.size:
        waited[rows] = (_counted(clock, now) - clock.counted(accepted[rows])) / 3600
    unresolved = waited > settings.escalate_after_hours
    breached = {name: open_ & (column.state == BREACHED) for name, column in metrics.items()}
    flags = np.array(records.flags, dtype=object)
    flagged = open_ & ((flags == words.brand_risk) | (flags == words.customer_request))
    candidates = np.flatnonzero(unresolved | flagged | np.logical_or.reduce(list(breached.values())))
    reasons: dict[int, list[tuple[str, dict]]] = {}
    for i in candidates.tolist():
        found = [("breached", {"metric": name}) for name in METRICS if breached[name][i]]
        if unresolved[i]:
            found.append(("unresolved", {"hours": settings.escalate_after_hours}))
        if flagged[i]:
            found.append(("brand_risk" if flags[i] == words.brand_risk else "customer_request", {}))
        reasons[i] = found
    return reasons


def reason_text(code: str, fields: dict) -> str:
    if code == "breached":
        return t("sla.reason.breached", metric=t(f"sla.metric.{fields['metric']}"))
    if code == "unresolved":
        return t("sla.reason.unresolved", hours=f"{fields['hours']:g}")
    return t(f"sla.reason.{code}")
