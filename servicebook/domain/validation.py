"""Checking record rows: required fields, dropdown words, dates, time order, status consistency,
phones, emails, duplicate numbers and personal data that must not be kept.

Nothing a person typed is changed; the only value proposed for writing is the masked phone.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
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
# The column types whose values are judged by their type (the rest: only error values and
# invisible characters); dates are read a column at a time in validate_sheet.
JUDGED_TYPES = frozenset({"datetime", "date", "enum", "score", "phone", "email"})
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


# A rule of the sheet's own, run over every row at once: it is given each date column's times and
# the row checker, and adds what it finds row by row (most rows have nothing: no checker is made).
SheetRule = Callable[[dict[str, list[datetime | str | None]], Callable[[int], "_RowChecker"]], None]


def validate_sheet(table: SheetTable, vocab: Vocabulary, now: datetime, rules: list[SheetRule]) -> ValidationResult:
    """Every cell by its column's type, every required cell, then the sheet's own rules. Cells are
    checked a column at a time, each distinct word, score, phone or address once; a row's problems
    come in that order, then sorted by column."""
    result = ValidationResult()
    columns = [c for c in table.definition.columns if table.has(c.key) and not c.computed]
    required = [c for c in table.definition.columns if c.required and table.has(c.key)]
    found: list[list[Problem]] = [[] for _ in range(len(table))]
    checkers: dict[int, _RowChecker] = {}

    def checker(index: int) -> _RowChecker:
        if index not in checkers:
            checkers[index] = _RowChecker(table, index, found[index])
        return checkers[index]

    times: dict[str, list[datetime | str | None]] = {}
    for col in columns:
        values = table.column(col.key)
        if col.type in ("datetime", "date"):
            latest = datetime.max if col.key == "due_at" else now + FUTURE_TOLERANCE
            times[col.key] = _times_at_once(values, latest) or [None if v is None or (type(v) is str and not v.strip())
                              else fine if (fine := _fine_time(v, latest, col.key)) is not None
                              else _check_time(checker(i), col, v, now)
                              for i, v in enumerate(values)]
        else:
            _check_column(col, values, vocab, now, checker)
    for col in required:
        for index, value in enumerate(table.column(col.key)):
            if value is None or (type(value) is str and not value.strip()):   # is_blank, inlined: hot
                checker(index).add(col.key, ERROR, "required", t("validate.required"))
    for rule in rules:
        rule(times, checker)
    for problems in found:
        if problems:
            problems.sort(key=lambda p: (table.column_index(p.key or "") or 0))
            result.problems.extend(problems)
    result.row_problems = found
    return result


def _check_column(col: ColumnDef, values: list, vocab: Vocabulary, now: datetime,
                  checker: Callable[[int], _RowChecker]) -> None:
    if col.type not in JUDGED_TYPES:
        # Free text, names, numbers: only an error value or an invisible character to say, in a
        # text cell; the cells that could hold one are picked with two C-speed tests.
        for index, value in enumerate(values):
            if value.__class__ is str and (value in ERROR_VALUES or not value.isprintable()):
                _check_cell(checker(index), col, value, vocab, now)
        return
    distinct = dict.fromkeys(values)   # C speed; 1, 1.0 and True would share a key, but never with a text
    if all(key is None or type(key) is str for key in distinct):
        # Text and empty cells alone (the common case): each distinct text judged once, and only the
        # cells holding a text with something to say visited (most columns: none).
        said = {key: adds for key in distinct if key is not None and (adds := _verdict(col, key, vocab, now))}
        if said:
            for index in [i for i, value in enumerate(values) if value in said]:
                for add in said[values[index]]:
                    checker(index).add(*add)
        return
    verdicts: dict[object, list[tuple[str, str, str, str]]] = {}
    for index, value in enumerate(values):
        # Text keys itself; other types keep their type (1 and True differ).
        key = value if type(value) is str else (type(value), value)
        adds = verdicts.get(key)
        if adds is None:
            adds = verdicts[key] = _verdict(col, value, vocab, now)
        if adds:
            for add in adds:
                checker(index).add(*add)


def _verdict(col: ColumnDef, value: object, vocab: Vocabulary, now: datetime) -> list[tuple[str, str, str, str]]:
    """What one cell value of the column has to say (as the arguments of `_RowChecker.add`)."""
    recorder = _Recorder()
    if not is_blank(value):
        _check_cell(recorder, col, value, vocab, now)  # type: ignore[arg-type]
    return recorder.adds


def validate_records(table: SheetTable, vocab: Vocabulary, now: datetime) -> ValidationResult:
    duplicates = _duplicate_numbers(table)

    def unwritable_number(_times, checker: Callable[[int], _RowChecker]) -> None:
        for index, value in enumerate(table.column("ticket_no")):
            if is_blank(value) and table.is_formula("ticket_no", index):
                checker(index).add("ticket_no", ERROR, "ticket_formula", t("number.formula"))

    def duplicate(_times, checker: Callable[[int], _RowChecker]) -> None:
        for index, rows in duplicates.items():
            others = "、".join(str(r) for r in rows)
            checker(index).add("ticket_no", ERROR, "duplicate", t("validate.duplicate", rows=others))

    rules: list[SheetRule] = [
        _order_rule(table),
        _status_rule(table, vocab),
        _personal_data_rule(table),
        _reassignment_rule(table),
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

    def known_record(_times, checker: Callable[[int], _RowChecker]) -> None:
        for index, ticket in unknown.items():
            checker(index).add("ticket_no", ERROR, "unknown_ticket", t("validate.unknown_ticket", ticket=ticket))

    def delay_explained(times, checker: Callable[[int], _RowChecker]) -> None:
        none = [None] * len(table)
        at, new_due = times.get("at", none), times.get("new_due", none)
        for index in sorted(late):
            check = checker(index)
            for key, code in (("delay_reason", "delay_needs_reason"), ("new_due", "delay_needs_date")):
                if table.has(key) and is_blank(table.get(key, index)):
                    check.add(key, ERROR, code, t(f"validate.{code}"))
            if at[index] and new_due[index] and _before(new_due[index], at[index]):
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


def _times_at_once(values: list, latest: datetime) -> list[datetime | str | None] | None:
    """A date column as the reader gives it — every cell empty (None or "") or a datetime without a
    zone, in the plausible years and none in the future — settled at C speed: its times are its
    cells (an empty one is falsy; to the second where two are compared: `_before`). None: look at
    each cell."""
    kinds = list(map(type, values))
    if not set(kinds) <= {datetime, type(None), str} or kinds.count(str) != values.count(""):
        return None
    present = list(filter(None, values))
    if not present:
        return values
    try:
        first, last = min(present), max(present)
    except TypeError:   # with and without a zone together
        return None
    if first.tzinfo is None and last.tzinfo is None and first.year >= FIRST_YEAR and last.year <= LAST_YEAR \
            and last <= latest:
        return values
    return None


def _before(a: datetime, b: datetime) -> bool:
    """`a` before `b` to the second, as `parse_time` keeps times."""
    return a < b and (a.replace(microsecond=0) < b.replace(microsecond=0) if a.microsecond or b.microsecond else True)


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


def _order_rule(table: SheetTable) -> SheetRule:
    """A time before the one it follows: an error; a 预计完成 before the record came in: a warning."""
    pairs = [(later, earlier, ERROR) for later, earlier in TIME_ORDER] + [("due_at", "received_at", WARNING)]

    def rule(times: dict[str, list[datetime | str | None]], checker: Callable[[int], _RowChecker]) -> None:
        for later, earlier, severity in pairs:
            if later not in times or earlier not in times:
                continue
            message = t("validate.order", later=table.header(later), earlier=table.header(earlier))
            for index, (a, b) in enumerate(zip(times[later], times[earlier], strict=True)):
                if a and b and _before(a, b):   # an empty cell is None (or "", read at once)
                    checker(index).add(later, severity, "order", message)

    return rule


def _status_rule(table: SheetTable, vocab: Vocabulary) -> SheetRule:
    """What a row's status asks of its other cells (a closed record its solution and time…). The
    columns are read once, and each distinct status word understood once: it runs on every row."""
    if not table.has("status"):
        return lambda _times, _checker: None
    statuses = vocab.standard_column("status", table.column("status"))
    closed, pending = vocab.word("status", "closed"), vocab.word("status", "pending")
    scored = {vocab.word("status", code) for code in ("awaiting", "follow_up")}

    def filled(key: str) -> list[bool] | None:
        return [not is_blank(v) for v in table.column(key)] if table.has(key) else None

    solution, closed_at, csat, assignee = (filled(k) for k in ("solution", "closed_at", "csat", "assignee"))

    def rule(_times, checker: Callable[[int], _RowChecker]) -> None:
        for i, status in enumerate(statuses):
            if status:
                _status_asks(checker, i, status)

    def _status_asks(checker: Callable[[int], _RowChecker], i: int, status: str) -> None:
        if status == closed:
            for key, code, has in (("solution", "closed_needs_solution", solution),
                                   ("closed_at", "closed_needs_time", closed_at)):
                if has is not None and not has[i]:
                    checker(i).add(key, ERROR, code, t(f"validate.{code}"))
        else:
            if closed_at is not None and closed_at[i]:
                checker(i).add("closed_at", WARNING, "closed_time_open", t("validate.closed_time_open", status=status))
            if csat is not None and csat[i] and status not in scored:
                checker(i).add("csat", WARNING, "csat_open", t("validate.csat_open", status=status))
        if status != pending and assignee is not None and not assignee[i]:
            checker(i).add("assignee", WARNING, "no_assignee", t("validate.no_assignee", status=status))

    return rule


def _reassignment_rule(table: SheetTable) -> SheetRule:
    """A 受理人 changed by hand after the tool assigned it needs its 调整原因 (source 002, step 2)."""

    def rule(_times, checker: Callable[[int], _RowChecker]) -> None:
        if not table.has("reassign_reason"):
            return
        columns = (table.column(key) for key in ("assigned_by_tool", "assignee", "reassign_reason"))
        for index, (noted, assignee_value, reason) in enumerate(zip(*columns, strict=True)):
            if noted is None or assignee_value is None:
                continue
            note, assignee = as_text(noted), as_text(assignee_value)
            assigned = noted_agent(note) if note and assignee else None
            if assigned and assigned != assignee and is_blank(reason):
                checker(index).add("reassign_reason", WARNING, "reassign_reason",
                                   t("validate.reassign_reason", before=assigned, after=assignee))

    return rule


def _personal_data_rule(table: SheetTable) -> SheetRule:
    """An ID number written into free text: found a column at a time (an ID number is 18
    characters: a shorter text cannot hold one), said row by row in column order."""
    found: dict[int, list[str]] = {}
    for key in FREE_TEXT_KEYS:
        if not table.has(key):
            continue
        for i, value in enumerate(table.column(key)):
            if type(value) is str and len(value) >= 18 and _ID_NUMBER.search(visible_text(value)):
                found.setdefault(i, []).append(key)

    def rule(_times, checker: Callable[[int], _RowChecker]) -> None:
        for index, keys in found.items():
            for key in keys:
                checker(index).add(key, ERROR, "id_number", t("validate.id_number"))

    return rule


def _duplicate_numbers(table: SheetTable) -> dict[int, list[int]]:
    """row index -> the other spreadsheet rows carrying the same record number."""
    values = table.column("ticket_no")
    texts = list(map(as_text, values))
    twice = {text for text, count in Counter(texts).items() if count > 1}   # counted at C speed
    seen: dict[str, list[int]] = defaultdict(list)
    for index, text in enumerate(texts):
        # "" is a blank cell's text, and a cell of invisible characters only: that one is a number
        if text in twice and (text or not is_blank(values[index])):
            seen[text].append(index)
    clashes: dict[int, list[int]] = {}
    for indexes in seen.values():
        if len(indexes) > 1:
            for i in indexes:
                clashes[i] = [table.row_numbers[j] for j in indexes if j != i]
    return clashes
