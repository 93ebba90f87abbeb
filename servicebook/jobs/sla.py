"""`servicebook sla`: deadlines, states and hours in computed columns, colours that stay right
between runs, the status history, and the list of records the supervisor needs now."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from servicebook.domain.book import Book
from servicebook.domain.clock import CalendarClock, WorkingClock, to_seconds
from servicebook.domain.sla import NONE, STATES, SlaResult, compute_sla, datetimes, reason_text
from servicebook.domain.sla_settings import SlaSettings, read_sla_settings
from servicebook.domain.status_history import PROGRESS, StatusEvent, new_observations, timelines
from servicebook.domain.table import SheetTable, column_letter
from servicebook.domain.values import as_text, is_blank, parse_time
from servicebook.domain.workdays import Workdays, china_holidays_version
from servicebook.edits import Edits, Highlight, NewSheet, data_ref, write_column
from servicebook.errors import CannotRun
from servicebook.jobs.session import Session
from servicebook.text import t

COLUMNS = {  # metric -> (deadline column, state column, warn column)
    "accept": ("sla_accept_due", "sla_accept", "sla_accept_warn"),
    "first_response": ("sla_first_due", "sla_first", "sla_first_warn"),
    "resolve": ("sla_resolve_due", "sla_resolve", "sla_resolve_warn"),
    "update": ("sla_update_due", "sla_update", "sla_update_warn"),
}
DONE_COLUMN = {"accept": "accepted_at", "first_response": "first_response_at", "resolve": "resolved_at"}
DATETIME, HOURS = "yyyy-mm-dd hh:mm", "0.0"


@dataclass
class Escalation:
    row: int
    ticket: str
    customer: str
    type: str
    priority: str
    assignee: str
    status: str
    received: str
    reasons: str

    def as_dict(self) -> dict:
        return dict(vars(self))


@dataclass
class SlaReport:
    clock: str
    counts: dict[str, dict[str, int]]
    escalations: list[Escalation]
    warnings: list[str] = field(default_factory=list)
    observed: int = 0
    uncomputed: dict[str, list[str]] = field(default_factory=dict)   # metric -> the headers it lacks
    computed: Computed | None = field(default=None, repr=False)      # for the steps after (mail, report)

    def as_json(self) -> dict:
        return {"clock": self.clock, "counts": self.counts, "warnings": self.warnings,
                "status_changes_recorded": self.observed, "not_computed": self.uncomputed,
                "escalations": [e.as_dict() for e in self.escalations]}


def state_word(state: str) -> str:
    return t(f"sla.state.{state}")


# ---------------------------------------------------------------- reading history and progress


def _history(book: Book) -> list[StatusEvent]:
    table = book.table("status_history")
    if table is None:
        return []
    events = []
    for ticket, status, at in zip(table.column("ticket_no"), table.column("status"), table.column("at"), strict=True):
        moment = parse_time(at).value
        if not is_blank(ticket) and not is_blank(status) and moment:
            events.append(StatusEvent(as_text(ticket), as_text(status), moment))
    return events


def _progress(book: Book) -> tuple[list[StatusEvent], dict[str, int]]:
    """Status changes the progress log names, and each record's latest progress entry."""
    table = book.table("progress")
    if table is None:
        return [], {}
    events, latest = [], {}
    rows = zip(table.column("ticket_no"), table.column("at"), table.column("status_change"), strict=True)
    for ticket, at, change in rows:
        moment = parse_time(at).value
        if is_blank(ticket) or moment is None:
            continue
        key = as_text(ticket)
        latest[key] = max(latest.get(key, 0), to_seconds(moment))
        if not is_blank(change):
            events.append(StatusEvent(key, as_text(change), moment, PROGRESS))
    return events, latest


# ---------------------------------------------------------------- the clock


def build_clock(settings: SlaSettings, workdays: Workdays, first: date, last: date) -> CalendarClock:
    if settings.clock != "working":
        return CalendarClock()
    day_hours = sum(e - s for s, e in settings.periods) / 3600
    longest = max((v for r in settings.limits.rules for v in r.values.values() if v), default=48.0)
    longest = max(longest, settings.escalate_after_hours)
    # Enough days after the last moment for the longest limit, weekends and a long holiday.
    margin = math.ceil(longest / day_hours * 7 / 5) + 30
    return WorkingClock(settings.periods, workdays, first - timedelta(days=1), last + timedelta(days=margin))


def _calendar_warnings(settings: SlaSettings, workdays: Workdays, result: SlaResult) -> list[str]:
    """A warning for each year the computation used that the holiday library does not cover."""
    if settings.clock != "working":
        return []
    warnings = []
    for year in sorted(y for y in workdays.uncovered if result.first_day.year <= y <= result.last_day.year):
        own = workdays.team_entries_in(year)
        key = "sla.uncovered_with_team" if own else "sla.uncovered_weekdays"
        warnings.append(t(key, year=year, library=china_holidays_version(), count=own))
    return warnings


# ---------------------------------------------------------------- writing


def _hour_cells(hours) -> list[float | None]:
    # Two decimals keep float noise out of the cell; the "0.0" format shows one, rounded by Excel.
    return [None if h != h else round(h, 2) for h in hours.tolist()]


HOURS_COLUMN = {"first_response": "response_hours", "resolve": "handling_hours"}


def _metric_keys(metric: str) -> tuple[str, ...]:
    return COLUMNS[metric] + ((HOURS_COLUMN[metric],) if metric in HOURS_COLUMN else ())


def _metric_columns(edits: Edits, table: SheetTable, result: SlaResult) -> None:
    words = [state_word(s) for s in STATES]
    for metric in result.uncomputed:
        # Not computed (a time column is missing): no column is added, and any earlier ones are emptied.
        for key in _metric_keys(metric):
            if table.has(key):
                write_column(edits, table, key, [None] * len(table))
    timed = [m for m in COLUMNS if m not in result.uncomputed]
    for metric in timed:
        due_key, state_key, _ = COLUMNS[metric]
        column = result.metrics[metric]
        write_column(edits, table, due_key, datetimes(column.deadline), DATETIME)
        write_column(edits, table, state_key, [words[s] if s != NONE else None for s in column.state.tolist()])
        if metric == "first_response":
            write_column(edits, table, "response_hours", _hour_cells(result.response_hours), HOURS)
        if metric == "resolve":
            write_column(edits, table, "handling_hours", _hour_cells(result.handling_hours), HOURS)
    reasons = [None] * len(result)
    for index, found in result.reasons.items():
        reasons[index] = "；".join(reason_text(code, fields) for code, fields in found)
    write_column(edits, table, "escalation", reasons)
    for metric in timed:
        write_column(edits, table, COLUMNS[metric][2], datetimes(result.metrics[metric].warn), DATETIME)


def colour_rules(edits: Edits, table: SheetTable, vocab_closed: str, vocab_awaiting: str,
                 uncomputed: dict[str, tuple[str, ...]]) -> list[Highlight]:
    """Colours that stay right between runs: each state cell is compared with NOW() by Excel itself."""
    first, last = table.headers.row + 1, table.last_row
    timed = {metric: keys for metric, keys in COLUMNS.items() if metric not in uncomputed}
    col = {key: edits.column_for(table, key) for cols in timed.values() for key in cols}

    def ref(key: str) -> str:
        index = table.column_index(key) or col.get(key)
        return f"${column_letter(index)}{first}" if index else ""

    status = ref("status")
    rules = []
    for metric, (due_key, state_key, warn_key) in timed.items():
        state, due, warn = ref(state_key), ref(due_key), ref(warn_key)
        done_key = DONE_COLUMN.get(metric)
        if done_key and table.has(done_key):
            not_done = f'{ref(done_key)}=""'
        elif metric == "update" and status:
            not_done = f'AND({status}<>"{vocab_closed}",{status}<>"{vocab_awaiting}")'
        else:
            not_done = "TRUE()"
        w = {s: f'{state}="{state_word(s)}"' for s in ("running", "at_risk", "breached", "paused", "met", "late")}
        breach = f'OR({w["breached"]},AND(OR({w["running"]},{w["at_risk"]}),{not_done},NOW()>{due}))'
        risk = f'OR({w["at_risk"]},AND({w["running"]},{not_done},NOW()>={warn}))'
        for key in (state_key, due_key):
            area = data_ref(col[key], first, last)
            rules += [Highlight(area, w["late"], "late", stop=True), Highlight(area, breach, "breach", stop=True),
                      Highlight(area, risk, "risk", stop=True),
                      Highlight(area, w["met"], "met", stop=True), Highlight(area, w["paused"], "paused", stop=True)]
    escalation = edits.column_for(table, "escalation")
    anchor = f"${column_letter(escalation)}{first}"
    rules.append(Highlight(data_ref(escalation, first, last), f'{anchor}<>""', "breach", stop=True))
    return rules


def _history_rows(book: Book, observed: list[StatusEvent], edits: Edits) -> None:
    if not observed:
        return
    table = book.table("status_history")
    if table is None or not table.headers.found:
        title = book.definition.sheet("status_history").name
        if table is None:
            edits.new_sheets.append(NewSheet(title, "status_history"))
        next_row, cols = 2, (1, 2, 3)
    else:
        title = table.title
        next_row = edits.rows_for(table, len(observed))
        cols = tuple(table.column_index(k) for k in ("ticket_no", "status", "at"))
    sheet = edits.sheet(title)
    sheet.formats[cols[2]] = DATETIME
    sheet.set_rows(next_row, {cols[0]: [e.ticket for e in observed], cols[1]: [e.status for e in observed],
                              cols[2]: [e.at for e in observed]})


# ---------------------------------------------------------------- the job


def _escalations(table: SheetTable, result: SlaResult) -> list[Escalation]:
    found = []
    for index, reasons in sorted(result.reasons.items()):
        received = parse_time(table.get("received_at", index)).value
        found.append(Escalation(
            row=table.row_numbers[index], ticket=as_text(table.get("ticket_no", index)),
            customer=as_text(table.get("customer_name", index)), type=as_text(table.get("type", index)),
            priority=as_text(table.get("priority", index)), assignee=as_text(table.get("assignee", index)),
            status=as_text(table.get("status", index)),
            received=received.strftime("%Y-%m-%d %H:%M") if received else "",
            reasons="；".join(reason_text(c, f) for c, f in reasons)))
    return found


def sla_settings(session: Session) -> SlaSettings:
    settings, problems = read_sla_settings(session.settings, session.definition.settings, session.book.vocab)
    errors = [p for p in problems if p.is_error]
    if errors:
        raise CannotRun(t("open.bad_settings"), [p.describe() for p in errors])
    return settings


@dataclass
class Computed:
    settings: SlaSettings
    result: SlaResult
    observed: list[StatusEvent]
    workdays: Workdays
    events: list[StatusEvent]     # every known status change: history, this run's, the progress log's


def compute(session: Session) -> Computed:
    """The SLA of every record (the nightly run computes it once and hands it to mail and report)."""
    table = session.records()
    book, now = session.book, session.now
    settings = sla_settings(session)
    progress_events, last_updates = _progress(book)
    history = _history(book)
    current = {as_text(n): as_text(s) for n, s in zip(table.column("ticket_no"), table.column("status"), strict=True)
               if not is_blank(n)}
    observed = new_observations(current, history, now)
    workdays = Workdays(team_days=settings.team_days)
    events = [*history, *observed, *progress_events]
    result = compute_sla(table, book.vocab, settings, lambda first, last: build_clock(settings, workdays, first, last),
                         now, timelines(events), last_updates)
    return Computed(settings, result, observed, workdays, events)


def sla_edits(session: Session, edits: Edits) -> SlaReport:
    table, book = session.records(), session.book
    computed = compute(session)
    settings, result, observed, workdays = computed.settings, computed.result, computed.observed, computed.workdays
    _metric_columns(edits, table, result)
    closed, awaiting = book.vocab.word("status", "closed"), book.vocab.word("status", "awaiting")
    edits.sheet(table.title, table.headers.row).highlights["sla"] = colour_rules(edits, table, closed, awaiting,
                                                                                 result.uncomputed)
    _history_rows(book, observed, edits)
    missing = {metric: [table.definition.column(key).header for key in keys]
               for metric, keys in result.uncomputed.items()}
    return SlaReport(settings.clock, {m: c for m, c in result.counts().items() if m not in result.uncomputed},
                     _escalations(table, result), _calendar_warnings(settings, workdays, result), len(observed),
                     missing, computed)


def sla(session: Session) -> SlaReport:
    return session.apply(sla_edits)
