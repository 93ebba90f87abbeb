"""Checking record rows: required fields, dropdown words, dates, time order, status consistency,
phones, emails, duplicate numbers and personal data that must not be kept.

Nothing a person typed is changed; the only value proposed for writing is the masked phone.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from servicebook.definition import ColumnDef
from servicebook.domain.assignment import noted_agent
from servicebook.domain.problems import ERROR, WARNING, Problem
from servicebook.domain.settings import Vocabulary
from servicebook.domain.suggest import suggest
from servicebook.domain.table import SheetTable
from servicebook.domain.values import (
    FIRST_YEAR,
    LAST_YEAR,
    as_text,
    check_email,
    has_invisible,
    hide_middle_digits,
    is_blank,
    is_valid_phone,
    parse_score,
    parse_time,
    phone_text,
    visible_text,
)
from servicebook.text import t

FUTURE_TOLERANCE = timedelta(minutes=10)
# What Excel shows in a cell whose formula failed (read as that text).
ERROR_VALUES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
                          "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"})
FREE_TEXT_KEYS = ("description", "solution", "csat_comment", "notes", "follow_up", "customer_name")
_ID_NUMBER = re.compile(r"(?<!\d)[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?!\d)")

# (later, earlier): the later time may not come before the earlier one.
TIME_ORDER = (
    ("accepted_at", "received_at"),
    ("first_response_at", "received_at"),
    ("resolved_at", "received_at"),
    ("resolved_at", "accepted_at"),
    ("closed_at", "resolved_at"),
    ("closed_at", "received_at"),
)


@dataclass
class ValidationResult:
    problems: list[Problem] = field(default_factory=list)
    row_problems: list[list[Problem]] = field(default_factory=list)   # aligned with table rows

    @property
    def errors(self) -> int:
        return sum(p.is_error for p in self.problems)

    @property
    def warnings(self) -> int:
        return sum(not p.is_error for p in self.problems)

    def row_text(self, index: int) -> str:
        found = self.row_problems[index]
        return "；\n".join(p.cell_text() for p in found) if found else t("validate.row_ok")


class _RowChecker:
    """Collects the problems of one row."""

    def __init__(self, table: SheetTable, index: int, sink: list[Problem]):
        self.table, self.index, self.sink = table, index, sink
        self.row = table.row_numbers[index]

    def add(self, key: str, severity: str, code: str, message: str) -> None:
        self.sink.append(Problem(self.table.title, self.row, self.table.cell_name(key), severity, code, message, key))


RowRule = Callable[["_RowChecker", dict[str, datetime | None]], None]


def validate_sheet(table: SheetTable, vocab: Vocabulary, now: datetime, rules: list[RowRule]) -> ValidationResult:
    """Every cell by its column's type, every required cell, then the sheet's own rules, row by row.
    Cells are checked a column at a time, each distinct word, score, phone or address once."""
    result = ValidationResult()
    columns = [c for c in table.definition.columns if table.has(c.key) and not c.computed]
    required = [c for c in table.definition.columns if c.required and table.has(c.key)]
    found: list[list[Problem]] = [[] for _ in range(len(table))]
    checkers: dict[int, _RowChecker] = {}

    def checker(index: int) -> _RowChecker:
        if index not in checkers:
            checkers[index] = _RowChecker(table, index, found[index])
        return checkers[index]

    times: dict[str, list[datetime | None]] = {}
    for col in columns:
        values = table.column(col.key)
        if col.type in ("datetime", "date"):
            latest = datetime.max if col.key == "due_at" else now + FUTURE_TOLERANCE
            times[col.key] = [None if v is None or (type(v) is str and not v.strip())
                              else fine if (fine := _fine_time(v, latest, col.key)) is not None
                              else _check_time(checker(i), col, v, now)
                              for i, v in enumerate(values)]
        else:
            _check_column(col, values, vocab, now, checker)
    for col in required:
        for index, value in enumerate(table.column(col.key)):
            if value is None or (type(value) is str and not value.strip()):   # is_blank, inlined: hot
                checker(index).add(col.key, ERROR, "required", t("validate.required"))
    time_columns = list(times.items())
    for index in range(len(table)):
        check = checker(index)
        row_times = {key: values[index] for key, values in time_columns}
        for rule in rules:
            rule(check, row_times)
        if found[index]:
            found[index].sort(key=lambda p: (table.column_index(p.key or "") or 0))
            result.problems.extend(found[index])
    result.row_problems = found
    return result


def _check_column(col: ColumnDef, values: list, vocab: Vocabulary, now: datetime,
                  checker: Callable[[int], _RowChecker]) -> None:
    verdicts: dict[object, list[tuple[str, str, str, str]]] = {}
    for index, value in enumerate(values):
        # Text is the common case and keys itself; other types keep their type (1 and True differ).
        key = value if type(value) is str else (type(value), value)
        adds = verdicts.get(key)
        if adds is None:
            recorder = _Recorder()
            if not is_blank(value):
                _check_cell(recorder, col, value, vocab, now)  # type: ignore[arg-type]
            adds = verdicts[key] = recorder.adds
        if adds:
            for add in adds:
                checker(index).add(*add)


def validate_records(table: SheetTable, vocab: Vocabulary, now: datetime) -> ValidationResult:
    duplicates = _duplicate_numbers(table)

    def unwritable_number(check: _RowChecker, _times) -> None:
        if is_blank(table.get("ticket_no", check.index)) and table.is_formula("ticket_no", check.index):
            check.add("ticket_no", ERROR, "ticket_formula", t("number.formula"))

    def duplicate(check: _RowChecker, _times) -> None:
        if check.index in duplicates:
            others = "、".join(str(r) for r in duplicates[check.index])
            check.add("ticket_no", ERROR, "duplicate", t("validate.duplicate", rows=others))

    rules: list[RowRule] = [
        lambda check, times: _check_order(check, times),
        _status_rule(table, vocab),
        _personal_data_rule(table),
        lambda check, _: _check_reassignment(check, table, check.index),
        unwritable_number,
        duplicate,
    ]
    return validate_sheet(table, vocab, now, rules)


def validate_progress(table: SheetTable, vocab: Vocabulary, now: datetime, tickets: set[str]) -> ValidationResult:
    delayed = vocab.word("node_status", "delayed")
    # Read a column at a time (a progress sheet has several entries per record): the unknown
    # numbers, and the entries marked delayed.
    unknown = {i: text for i, value in enumerate(table.column("ticket_no"))
               if (text := as_text(value)) and text not in tickets}
    late = {i for i, value in enumerate(table.column("node_status"))
            if value is not None and as_text(value) == delayed}

    def known_record(check: _RowChecker, _times) -> None:
        ticket = unknown.get(check.index)
        if ticket:
            check.add("ticket_no", ERROR, "unknown_ticket", t("validate.unknown_ticket", ticket=ticket))

    def delay_explained(check: _RowChecker, times) -> None:
        if check.index not in late:
            return
        for key, code in (("delay_reason", "delay_needs_reason"), ("new_due", "delay_needs_date")):
            if table.has(key) and is_blank(table.get(key, check.index)):
                check.add(key, ERROR, code, t(f"validate.{code}"))
        at, new_due = times.get("at"), times.get("new_due")
        if at and new_due and new_due < at:
            check.add("new_due", ERROR, "order", t("validate.order", later=table.header("new_due"),
                                                      earlier=table.header("at")))

    return validate_sheet(table, vocab, now, [known_record, delay_explained])


class _Recorder:
    """Stands in for a row's checker while one distinct value is judged."""

    def __init__(self) -> None:
        self.adds: list[tuple[str, str, str, str]] = []

    def add(self, key: str, severity: str, code: str, message: str) -> None:
        self.adds.append((key, severity, code, message))


def _error_value(check: _RowChecker, col: ColumnDef, value: object) -> bool:
    if type(value) is str and value in ERROR_VALUES:
        check.add(col.key, ERROR, "error_value", t("validate.error_value", value=value))
        return True
    return False


def _invisible(check: _RowChecker, col: ColumnDef, value: object) -> object:
    """A text with zero-width (or other invisible) characters is flagged, and checked without them."""
    if type(value) is str and has_invisible(value):
        check.add(col.key, WARNING, "invisible", t("validate.invisible", fixed=visible_text(value).strip()))
        return visible_text(value)
    return value


def _check_cell(check: _RowChecker, col: ColumnDef, value: object, vocab: Vocabulary,
                now: datetime) -> datetime | None:
    """Check one cell by its column type; returns the time it holds, for date columns."""
    if is_blank(value) or _error_value(check, col, value):
        return None
    value = _invisible(check, col, value)
    if col.type in ("datetime", "date"):
        return _check_time(check, col, value, now)
    if col.type == "enum":
        _check_enum(check, col, value, vocab.words(col.list or ""))
    elif col.type == "score":
        if parse_score(value) is None:
            check.add(col.key, ERROR, "score", t("validate.score", value=as_text(value)))
    elif col.type == "phone":
        _check_phone(check, col, value)
    elif col.type == "email":
        verdict = check_email(as_text(value))
        if not verdict.valid:
            hint = t("validate.email_hint", fixed=verdict.normalized) if verdict.normalized else ""
            check.add(col.key, ERROR, "email", t("validate.email", value=as_text(value), hint=hint))
        elif verdict.unsendable:
            check.add(col.key, WARNING, "email_unsendable", t("validate.email_unsendable", value=as_text(value)))
    return None


def _fine_time(value: object, latest: datetime, key: str) -> datetime | None:
    """The common case, settled without a checker: a date cell as the reader gives it (a datetime,
    to the second as `parse_time` keeps it, or a date), in the plausible years and not in the
    future — the time `_check_time` would return, saying nothing. None: let it look closer."""
    if type(value) is datetime:
        if value.tzinfo is not None or not FIRST_YEAR <= value.year <= LAST_YEAR:
            return None
        moment = value.replace(microsecond=0) if value.microsecond else value
    elif type(value) is date and key != "received_at" and FIRST_YEAR <= value.year <= LAST_YEAR:
        moment = datetime(value.year, value.month, value.day)
    else:
        return None
    return moment if moment <= latest else None


def _check_time(check: _RowChecker, col: ColumnDef, value: object, now: datetime) -> datetime | None:
    if _error_value(check, col, value):
        return None
    value = _invisible(check, col, value)
    parsed = parse_time(value)
    if parsed.implausible:
        check.add(col.key, ERROR, "time_implausible", t("validate.time_implausible", value=as_text(value)))
        return None
    if parsed.error:
        check.add(col.key, ERROR, "time_bad", t("validate.time_bad", value=as_text(value)))
        return None
    if parsed.as_text:
        check.add(col.key, WARNING, "time_text", t("validate.time_text", value=as_text(value)))
    elif parsed.as_number:
        check.add(col.key, WARNING, "time_number", t("validate.time_number", value=as_text(value)))
    if col.key == "received_at" and parsed.date_only:
        check.add(col.key, WARNING, "time_no_clock", t("validate.time_no_clock"))
    if parsed.value and parsed.value > now + FUTURE_TOLERANCE and col.key != "due_at":
        when = parsed.value.strftime("%Y-%m-%d %H:%M")
        check.add(col.key, ERROR, "time_future", t("validate.time_future", value=when))
    return parsed.value


def _check_enum(check: _RowChecker, col: ColumnDef, value: object, allowed: list[str]) -> None:
    text = as_text(value)
    if text in allowed and text == str(value):
        return
    hint = suggest(str(value), allowed)
    if hint and hint.reasons == ("synonym",):   # understood as the list's word; worth unifying
        check.add(col.key, WARNING, "enum_synonym", t("validate.enum_synonym", value=str(value), fixed=hint.value))
    elif hint:
        reasons = "、".join(t(f"validate.reason.{r}") for r in hint.reasons)
        message = t("validate.enum_suggest", value=str(value), fixed=hint.value, reasons=reasons)
        check.add(col.key, ERROR, "enum", message)
    else:
        check.add(col.key, ERROR, "enum", t("validate.enum", value=str(value), allowed="、".join(allowed)))


def _check_phone(check: _RowChecker, col: ColumnDef, value: object) -> None:
    text = visible_text(phone_text(value))
    if not is_valid_phone(text):
        # Left as typed, so it can be corrected; the message hides its middle digits all the same.
        check.add(col.key, ERROR, "phone", t("validate.phone", value=hide_middle_digits(text)))


def _check_order(check: _RowChecker, times: dict[str, datetime | None]) -> None:
    headers = check.table.header
    for later, earlier in TIME_ORDER:
        a, b = times.get(later), times.get(earlier)
        if a is not None and b is not None and a < b:
            message = t("validate.order", later=headers(later), earlier=headers(earlier))
            check.add(later, ERROR, "order", message)
    due, received = times.get("due_at"), times.get("received_at")
    if due is not None and received is not None and due < received:
        message = t("validate.order", later=headers("due_at"), earlier=headers("received_at"))
        check.add("due_at", WARNING, "order", message)


def _status_rule(table: SheetTable, vocab: Vocabulary) -> RowRule:
    """What a row's status asks of its other cells (a closed record its solution and time…). The
    columns are read once, and each distinct status word understood once: it runs on every row."""
    if not table.has("status"):
        return lambda check, _times: None
    statuses = vocab.standard_column("status", table.column("status"))
    closed, pending = vocab.word("status", "closed"), vocab.word("status", "pending")
    scored = {vocab.word("status", code) for code in ("awaiting", "follow_up")}

    def filled(key: str) -> list[bool] | None:
        return [not is_blank(v) for v in table.column(key)] if table.has(key) else None

    solution, closed_at, csat, assignee = (filled(k) for k in ("solution", "closed_at", "csat", "assignee"))

    def rule(check: _RowChecker, _times) -> None:
        i = check.index
        status = statuses[i]
        if not status:
            return
        if status == closed:
            for key, code, has in (("solution", "closed_needs_solution", solution),
                                   ("closed_at", "closed_needs_time", closed_at)):
                if has is not None and not has[i]:
                    check.add(key, ERROR, code, t(f"validate.{code}"))
        else:
            if closed_at is not None and closed_at[i]:
                check.add("closed_at", WARNING, "closed_time_open", t("validate.closed_time_open", status=status))
            if csat is not None and csat[i] and status not in scored:
                check.add("csat", WARNING, "csat_open", t("validate.csat_open", status=status))
        if status != pending and assignee is not None and not assignee[i]:
            check.add("assignee", WARNING, "no_assignee", t("validate.no_assignee", status=status))

    return rule


def _check_reassignment(check: _RowChecker, table: SheetTable, index: int) -> None:
    """A 受理人 changed by hand after the tool assigned it needs its 调整原因 (source 002, step 2)."""
    note = as_text(table.get("assigned_by_tool", index))
    assignee = as_text(table.get("assignee", index))
    if not note or not assignee or not table.has("reassign_reason"):
        return
    assigned = noted_agent(note)
    if assigned and assigned != assignee and is_blank(table.get("reassign_reason", index)):
        check.add("reassign_reason", WARNING, "reassign_reason",
                  t("validate.reassign_reason", before=assigned, after=assignee))


def _personal_data_rule(table: SheetTable) -> RowRule:
    """An ID number written into free text: found a column at a time (an ID number is 18
    characters: a shorter text cannot hold one), said row by row in column order."""
    found: dict[int, list[str]] = {}
    for key in FREE_TEXT_KEYS:
        if not table.has(key):
            continue
        for i, value in enumerate(table.column(key)):
            if type(value) is str and len(value) >= 18 and _ID_NUMBER.search(visible_text(value)):
                found.setdefault(i, []).append(key)

    def rule(check: _RowChecker, _times) -> None:
        for key in found.get(check.index, ()):
            check.add(key, ERROR, "id_number", t("validate.id_number"))

    return rule


def _duplicate_numbers(table: SheetTable) -> dict[int, list[int]]:
    """row index -> the other spreadsheet rows carrying the same record number."""
    seen: dict[str, list[int]] = defaultdict(list)
    for index, value in enumerate(table.column("ticket_no")):
        if not is_blank(value):
            seen[as_text(value)].append(index)
    clashes: dict[int, list[int]] = {}
    for indexes in seen.values():
        if len(indexes) > 1:
            for i in indexes:
                clashes[i] = [table.row_numbers[j] for j in indexes if j != i]
    return clashes
