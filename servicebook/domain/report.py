"""The figures of the monthly (or weekly, or daily) report, with the previous period beside them.

Each figure counts a stated cohort of records, written on the report sheet:
- 受理量, types, channels, tags, response times, SLA met rates, agents: records received (提交时间)
  in the period;
- 解决率: of those, the ones resolved (解决时间, or 关闭时间) by the end of the period;
- 处理时长: records resolved in the period (受理 → 解决, on the SLA clock, pauses excluded);
- 满意度, 一次性解决率 and the follow-up list: records closed (关闭时间) in the period.
A record missing the time a figure needs is left out of that figure and counted in a note.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np

from servicebook.domain.clock import DAY, EPOCH, from_seconds, to_seconds
from servicebook.domain.phones import mask_text
from servicebook.domain.settings import Vocabulary
from servicebook.domain.sla import BREACHED, LATE, MET, MISSING, STATES, MetricColumn, SlaResult, time_column
from servicebook.domain.table import SheetTable
from servicebook.domain.values import as_text, parse_score, parse_time
from servicebook.text import t

# figure -> the columns it is computed from: (one of) each group must be in the workbook.
NEEDS = {
    "avg_accept_hours": (("accepted_at",),),
    "first_response_overdue": (("first_response_at",),),
    "avg_handling_hours": (("accepted_at",), ("resolved_at", "closed_at")),
    "resolved_rate": (("resolved_at", "closed_at"),),
    "first_contact_rate": (("closed_at",), ("status",)),
    "csat_avg": (("csat",), ("closed_at",)), "csat_100": (("csat",), ("closed_at",)),
    "csat_good": (("csat",), ("closed_at",)), "csat_bad": (("csat",), ("closed_at",)),
}
TARGET_RESOLVED = 0.95
TARGET_CSAT = 4.25          # = 85 / 100
TOP_TAGS = 5
_TAG_SPLIT = re.compile(r"[、,，;；/／\s]+")


@dataclass(frozen=True)
class Period:
    kind: str          # month, week, day
    start: date
    end: date          # exclusive

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start:%Y-%m-%d}"

    def previous(self) -> Period:
        if self.kind == "month":
            last = self.start - timedelta(days=1)
            return Period("month", last.replace(day=1), self.start)
        if self.kind == "quarter":
            return _quarter_number((self.start.year * 12 + self.start.month - 1) // 3 - 1)
        length = self.end - self.start
        return Period(self.kind, self.start - length, self.start)

    def contains(self, seconds: np.ndarray) -> np.ndarray:
        low = to_seconds(datetime.combine(self.start, datetime.min.time()))
        high = to_seconds(datetime.combine(self.end, datetime.min.time()))
        return (seconds != MISSING) & (seconds >= low) & (seconds < high)

    def months(self) -> list[Period]:
        """The months a quarter is made of."""
        found, current = [], self.start
        while current < self.end:
            found.append(month(f"{current:%Y-%m}"))
            current = found[-1].end
        return found

    @property
    def end_seconds(self) -> int:
        return to_seconds(datetime.combine(self.end, datetime.min.time()))


def month(text: str) -> Period:
    start = datetime.strptime(text, "%Y-%m").date()
    following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return Period("month", start, following)


def week(text: str) -> Period:
    start = datetime.strptime(text + "-1", "%G-W%V-%u").date()
    return Period("week", start, start + timedelta(days=7))


QUARTER = re.compile(r"^(\d{4})\s*[Qq]([1-4])$")


def quarter(text: str) -> Period:
    """`2024Q2` -> April to June 2024."""
    found = QUARTER.match(text.strip())
    if not found:
        raise ValueError(text)
    year, number = int(found.group(1)), int(found.group(2))
    start = date(year, 3 * number - 2, 1)
    end = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
    return Period("quarter", start, end)


def _quarter_number(index: int) -> Period:
    """The quarter counted from year 0 (year * 4 + quarter - 1)."""
    return quarter(f"{index // 4}Q{index % 4 + 1}")


def last_full_quarter(today: date) -> Period:
    return _quarter_number((today.year * 12 + today.month - 1) // 3 - 1)


def day(text: str) -> Period:
    start = datetime.strptime(text, "%Y-%m-%d").date()
    return Period("day", start, start + timedelta(days=1))


def last_full_month(today: date) -> Period:
    first = today.replace(day=1)
    return month(f"{first - timedelta(days=1):%Y-%m}")


# ---------------------------------------------------------------- figures


@dataclass
class Figures:
    """One period's numbers. None where there is nothing to measure (no closed case, say)."""

    period: Period
    received: int = 0
    avg_accept_hours: float | None = None
    first_response_overdue: float | None = None
    avg_handling_hours: float | None = None
    resolved_rate: float | None = None
    first_contact_rate: float | None = None
    csat_avg: float | None = None
    csat_rated: int = 0
    csat_good: float | None = None
    csat_bad: float | None = None
    care_coverage: float | None = None
    care_on_time: float | None = None
    resolve_on_time: float | None = None    # 问题解决及时率: resolved within the 解决时限, of those judged
    care_by_reason: dict[str, dict[str, int]] = field(default_factory=dict)   # 关怀事由 -> planned, done, on time
    monthly: list[dict] = field(default_factory=list)    # a quarter's months: the trend
    # How many records each average or rate is taken over: what combining teams weights by.
    bases: dict[str, int] = field(default_factory=dict)
    by_type: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)
    by_priority: dict[str, dict[str, float | int | None]] = field(default_factory=dict)
    tags: list[tuple[str, int]] = field(default_factory=list)
    agents: list[dict] = field(default_factory=list)
    csat_counts: dict[int, int] = field(default_factory=dict)
    daily: list[tuple[date, int]] = field(default_factory=list)
    breaches: list[dict] = field(default_factory=list)
    follow_up: list[dict] = field(default_factory=list)
    missing: dict[str, int] = field(default_factory=dict)   # which time was missing -> records left out
    not_computed: dict[str, tuple[str, ...]] = field(default_factory=dict)   # figure -> the headers it lacks

    @property
    def csat_100(self) -> float | None:
        return None if self.csat_avg is None else self.csat_avg / 5 * 100


_ID_NUMBER = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")


def public(text: str) -> str:
    """A tag as the report may show it outside the team: a phone or ID number in it masked."""
    return _ID_NUMBER.sub(lambda m: m.group(1) + "********" + m.group(2), mask_text(text))


def _mean(values: np.ndarray) -> float | None:
    return _mean_of(values)[0]


def _mean_of(values: np.ndarray) -> tuple[float | None, int]:
    """The mean of the known values, and how many there were."""
    values = values[~np.isnan(values)]
    return (float(values.mean()) if values.size else None), int(values.size)


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


class _Columns:
    """The record columns the report needs, read once for both periods — of one workbook, or of
    several teams' laid end to end (`joined`)."""

    def __init__(self, table: SheetTable, vocab: Vocabulary, team: str = ""):
        self.times = {k: time_column(table.column(k)) for k in
                      ("received_at", "accepted_at", "resolved_at", "closed_at")}
        self.text = {k: [as_text(v) for v in table.column(k)] for k in
                     ("ticket_no", "assignee", "tags", "related_no")}
        # Enumerated columns as the rules read them: a team's own forms count as the list's word.
        for key in ("type", "channel", "priority", "status"):
            self.text[key] = [vocab.standard(key, as_text(v)) for v in table.column(key)]
        self.csat = np.array([parse_score(v) or np.nan for v in table.column("csat")], dtype=float)
        self.closed_word = vocab.word("status", "closed")
        lacking = {figure: [group[0] for group in groups if not any(table.has(k) for k in group)]
                   for figure, groups in NEEDS.items()}
        self.not_computed = {figure: tuple(table.definition.column(k).header for k in keys)
                             for figure, keys in lacking.items() if keys}
        self.types = vocab.words("type")
        self.channels = vocab.words("channel")
        self.priorities = vocab.words("priority")
        # Resolved at 解决时间; 关闭时间 stands for it only in a workbook with no 解决时间 column.
        self.resolution = self.times["resolved_at"] if table.has("resolved_at") else self.times["closed_at"]
        self.text["team"] = [team] * len(table)
        self.status, self.priority = (np.array(self.text[k], dtype=object) for k in ("status", "priority"))
        # What tells records apart: the number, and across teams the team too (numbers may clash).
        self.keys: list = self.text["ticket_no"] if not team else [(team, n) for n in self.text["ticket_no"]]

    @classmethod
    def joined(cls, parts: list[_Columns]) -> _Columns:
        joined = cls.__new__(cls)
        first = parts[0]
        joined.times = {k: np.concatenate([p.times[k] for p in parts]) for k in first.times}
        joined.text = {k: [v for p in parts for v in p.text[k]] for k in first.text}
        joined.keys = [k for p in parts for k in p.keys]
        joined.csat = np.concatenate([p.csat for p in parts])
        joined.status = np.concatenate([p.status for p in parts])
        joined.priority = np.concatenate([p.priority for p in parts])
        joined.resolution = np.concatenate([p.resolution for p in parts])
        joined.closed_word = first.closed_word
        joined.not_computed = {f: h for p in parts for f, h in p.not_computed.items()}
        for key in ("types", "channels", "priorities"):   # the first team's words, then any the others add
            setattr(joined, key, list(dict.fromkeys(w for p in parts for w in getattr(p, key))))
        return joined


def _rate(states: np.ndarray) -> float | None:
    return _rate_of(states)[0]


def _rate_of(states: np.ndarray) -> tuple[float | None, int]:
    """The share met among the judged (met, late, breached), and how many were judged."""
    judged = np.isin(states, (MET, LATE, BREACHED))
    return share(int((states[judged] == MET).sum()), int(judged.sum())), int(judged.sum())


def figures(cols: _Columns, sla: SlaResult, period: Period, reopened: set[str],
            care: list[_CareRow] | None = None) -> Figures:
    """`care`: the care rows (`care_rows`), None when the workbook keeps no 客户关怀."""
    result = Figures(period)
    t, text = cols.times, cols.text
    received = period.contains(t["received_at"])
    result.received = int(received.sum())
    result.missing["received_at"] = int((t["received_at"] == MISSING).sum())
    accept = sla.metrics["accept"]
    accepted = received & np.isin(accept.state, (MET, LATE))
    bases = result.bases
    result.avg_accept_hours, bases["avg_accept_hours"] = _mean_of(accept.hours[accepted])
    result.first_response_overdue, bases["first_response_overdue"] = _overdue(
        sla.metrics["first_response"].state[received])
    result.resolve_on_time, bases["resolve_on_time"] = _rate_of(sla.metrics["resolve"].state[received])
    in_period = np.flatnonzero(received)
    resolved_by_end = (cols.resolution[in_period] != MISSING) & (cols.resolution[in_period] < period.end_seconds)
    result.resolved_rate, bases["resolved_rate"] = share(int(resolved_by_end.sum()), in_period.size), in_period.size
    resolved_now = period.contains(cols.resolution)
    result.avg_handling_hours, bases["avg_handling_hours"] = _mean_of(sla.handling_hours[resolved_now])
    closed = period.contains(t["closed_at"]) & (cols.status == cols.closed_word)
    _satisfaction(result, cols, closed)
    closed_rows = np.flatnonzero(closed)
    first_contact = [i for i in closed_rows if cols.keys[i] not in reopened and not text["related_no"][i]]
    result.first_contact_rate, bases["first_contact_rate"] = share(len(first_contact), closed_rows.size), \
        int(closed_rows.size)
    _distribution(result, cols, in_period)
    _sla_by_priority(result, cols, sla, in_period)
    _agents(result, cols, sla, in_period, closed_rows)
    _daily(result, t["received_at"], received, period)
    result.breaches = _breaches(cols, sla, in_period)
    result.follow_up = [{"team": text["team"][i], "ticket": text["ticket_no"][i], "type": text["type"][i],
                         "assignee": text["assignee"][i], "csat": int(cols.csat[i]), "tags": public(text["tags"][i])}
                        for i in closed_rows[cols.csat[closed_rows] < 4].tolist()]   # NaN compares False
    if care is not None:
        _care(result, care, period)
    result.not_computed = cols.not_computed
    for figure in result.not_computed:
        if figure in Figures.__dataclass_fields__:   # csat_100 follows csat_avg
            setattr(result, figure, None)
    return result


def _overdue(states: np.ndarray) -> tuple[float | None, int]:
    judged = np.isin(states, (MET, LATE, BREACHED))
    return share(int(np.isin(states[judged], (LATE, BREACHED)).sum()), int(judged.sum())), int(judged.sum())


def _satisfaction(result: Figures, cols: _Columns, closed: np.ndarray) -> None:
    scores = cols.csat[closed]
    scores = scores[~np.isnan(scores)]
    result.csat_rated = int(scores.size)
    for key in ("csat_avg", "csat_good", "csat_bad"):
        result.bases[key] = result.csat_rated
    result.csat_counts = {s: int((scores == s).sum()) for s in range(1, 6)}
    if scores.size:
        result.csat_avg = float(scores.mean())
        result.csat_good = float((scores >= 4).mean())
        result.csat_bad = float((scores <= 2).mean())


def _distribution(result: Figures, cols: _Columns, rows: np.ndarray) -> None:
    result.by_type = _by_word(Counter(cols.text["type"][i] for i in rows), cols.types)
    result.by_channel = _by_word(Counter(cols.text["channel"][i] for i in rows), cols.channels)
    tags: Counter[str] = Counter()
    for text, n in Counter(cols.text["tags"][i] for i in rows).items():   # a team's few tags, typed again and again
        for tag in _TAG_SPLIT.split(text):
            if tag:
                tags[tag] += n
    shown: Counter[str] = Counter()   # two numbers masked alike are one tag on the report
    for tag, n in tags.items():
        shown[public(tag)] += n
    result.tags = sorted(shown.items(), key=lambda item: (-item[1], item[0]))[:TOP_TAGS]


def _sla_by_priority(result: Figures, cols: _Columns, sla: SlaResult, rows: np.ndarray) -> None:
    for word in cols.priorities:
        mine = rows[cols.priority[rows] == word]
        result.by_priority[word] = {"records": int(mine.size),
                                    **{m: _rate(sla.metrics[m].state[mine]) for m in ("accept", "first_response",
                                                                                     "resolve")}}


def _agents(result: Figures, cols: _Columns, sla: SlaResult, rows: np.ndarray, closed_rows: np.ndarray) -> None:
    by_agent: dict[str, list[int]] = defaultdict(list)
    for i in rows:
        by_agent[cols.text["assignee"][i] or "（未分配）"].append(i)
    closed_by_agent: dict[str, list[int]] = defaultdict(list)
    for i in closed_rows:
        closed_by_agent[cols.text["assignee"][i] or "（未分配）"].append(i)
    for agent in sorted(by_agent, key=lambda a: (-len(by_agent[a]), a)):
        mine = np.array(by_agent[agent])
        scores = cols.csat[np.array(closed_by_agent.get(agent, []), dtype=int)]
        states = np.concatenate([sla.metrics[m].state[mine] for m in ("accept", "first_response", "resolve")])
        result.agents.append({
            "agent": agent, "records": int(mine.size),
            "response_hours": _mean(sla.response_hours[mine]),
            "handling_hours": _mean(sla.handling_hours[mine]),
            "csat": _mean(scores), "sla_met": _rate(states),
        })


def _daily(result: Figures, received: np.ndarray, rows: np.ndarray, period: Period) -> None:
    numbers, counts = np.unique(received[rows] // DAY, return_counts=True)   # whole days since 1970
    days = dict(zip((EPOCH.date() + timedelta(days=n) for n in numbers.tolist()), counts.tolist(), strict=True))
    current, result.daily = period.start, []
    while current < period.end:
        result.daily.append((current, days.get(current, 0)))
        current += timedelta(days=1)


def _breaches(cols: _Columns, sla: SlaResult, rows: np.ndarray) -> list[dict]:
    found = []
    late = np.zeros(rows.size, dtype=bool)
    for metric in ("accept", "first_response", "resolve"):
        late |= np.isin(sla.metrics[metric].state[rows], (LATE, BREACHED))
    for i in rows[late].tolist():
        for metric in ("accept", "first_response", "resolve"):
            column = sla.metrics[metric]
            if column.state[i] in (LATE, BREACHED):
                found.append({"team": cols.text["team"][i], "ticket": cols.text["ticket_no"][i],
                              "type": cols.text["type"][i],
                              "priority": cols.text["priority"][i], "assignee": cols.text["assignee"][i],
                              "metric": metric, "state": STATES[column.state[i]],
                              "deadline": from_seconds(column.deadline[i]), "hours": float(column.hours[i])})
    return found


@dataclass(frozen=True)
class _CareRow:
    planned: date
    finished: datetime | None
    due: datetime
    customer: tuple[str, str]
    reason: str


def care_rows(cares: list[tuple[str, SheetTable]]) -> list[_CareRow]:
    """The care rows with a planned day, read once for every period a report counts.
    `cares`: each team's 客户关怀 (a customer is a customer of one team)."""
    found = []
    for team, care in cares:
        days, finished, due = (care.column(k) for k in ("care_date", "done", "due"))
        customers, reasons = care.column("customer_id"), care.column("reason")
        for i, day in enumerate(days):
            planned = parse_time(day).value
            if planned:
                done = parse_time(finished[i]).value
                deadline = (parse_time(due[i]).value or planned) if done else planned   # only a done row is judged
                found.append(_CareRow(planned.date(), done, deadline, (team, as_text(customers[i])),
                                      as_text(reasons[i]) or "—"))
    return found


def _care(result: Figures, rows: list[_CareRow], period: Period) -> None:
    """Coverage (customers with care planned in the period whose care was done), on-time rate, and
    both by 关怀事由."""
    planned, done, on_time = set(), set(), []
    by_reason: dict[str, dict[str, int]] = defaultdict(lambda: {"planned": 0, "done": 0, "on_time": 0})
    for row in rows:
        if not period.start <= row.planned < period.end:
            continue
        reason = by_reason[row.reason]
        planned.add(row.customer)
        reason["planned"] += 1
        if row.finished:
            done.add(row.customer)
            on_time.append(row.finished.date() <= row.due.date())
            reason["done"] += 1
            reason["on_time"] += on_time[-1]
    result.care_coverage, result.bases["care_coverage"] = share(len(done & planned), len(planned)), len(planned)
    result.care_on_time, result.bases["care_on_time"] = share(sum(on_time), len(on_time)), len(on_time)
    result.care_by_reason = dict(by_reason)


def _by_word(counts: Counter, words: list[str]) -> dict[str, int]:
    """Counts for each word of the list, in its order; values typed outside the list (抖音私信 for a
    channel) together under 其他（未规范）, not as categories of their own."""
    found = {word: counts.get(word, 0) for word in words}
    unlisted = sum(n for value, n in counts.items() if value and value not in found)
    if unlisted:
        found[t("report.unlisted")] = unlisted
    return found


@dataclass(frozen=True)
class TeamRecords:
    """One team's workbook as the report reads it: its records, SLA on its own clock and limits,
    the records ever reopened, and its care rows."""

    team: str
    table: SheetTable
    vocab: Vocabulary
    sla: SlaResult
    reopened: set[str]
    care: SheetTable | None = None


def _both(cols: _Columns, sla: SlaResult, period: Period, reopened: set,
          cares: list[_CareRow] | None) -> tuple[Figures, Figures]:
    current = figures(cols, sla, period, reopened, cares)
    if period.kind == "quarter":
        for part in period.months():
            month_figures = figures(cols, sla, part, reopened, cares)
            current.monthly.append({"month": part.label, "received": month_figures.received,
                                    "resolved_rate": month_figures.resolved_rate,
                                    "resolve_on_time": month_figures.resolve_on_time,
                                    "csat_avg": month_figures.csat_avg, "csat_rated": month_figures.csat_rated,
                                    "care_coverage": month_figures.care_coverage})
    return current, figures(cols, sla, period.previous(), reopened, cares)


def report_figures(table: SheetTable, vocab: Vocabulary, sla: SlaResult, period: Period,
                   timelines_reopened: set[str], care: SheetTable | None = None) -> tuple[Figures, Figures]:
    """This period's figures and the previous period's, from the same columns."""
    return periods_figures(table, vocab, sla, [period], timelines_reopened, care)[0]


def periods_figures(table: SheetTable, vocab: Vocabulary, sla: SlaResult, periods: list[Period],
                    timelines_reopened: set[str], care: SheetTable | None = None) -> list[tuple[Figures, Figures]]:
    """`report_figures` for each period, the columns read once for all of them (a month's and a
    quarter's report, built by the same run)."""
    cols = _Columns(table, vocab)
    cares = care_rows([("", care)]) if care is not None else None
    return [_both(cols, sla, period, timelines_reopened, cares) for period in periods]


def department_figures(teams: list[TeamRecords], period: Period) -> tuple[Figures, Figures]:
    """All teams together: their records laid end to end, each with the SLA its own settings gave,
    so every average and rate is the teams' own weighted by how many records each counted."""
    cols = _Columns.joined([_Columns(team.table, team.vocab, team.team) for team in teams])
    sla = _joined_sla([team.sla for team in teams])
    reopened = {(team.team, ticket) for team in teams for ticket in team.reopened}
    cares = [(team.team, team.care) for team in teams if team.care is not None]
    return _both(cols, sla, period, reopened, care_rows(cares) if cares else None)


def _joined_sla(parts: list[SlaResult]) -> SlaResult:
    first = parts[0]
    metrics = {name: MetricColumn(*(np.concatenate([getattr(p.metrics[name], f) for p in parts])
                                    for f in ("deadline", "warn", "state", "hours"))) for name in first.metrics}
    return SlaResult(metrics, np.concatenate([p.response_hours for p in parts]),
                     np.concatenate([p.handling_hours for p in parts]), {}, min(p.first_day for p in parts),
                     max(p.last_day for p in parts))
