"""The steps of the nightly run that work on the rows, in order, each saying what it reads.

A step's result is a typed value; when later steps must see what it changed (the new record
numbers, the assignments, the planned care rows), the pipeline puts a new table into the book
from that result — no step changes a table another step is holding. The nightly run, the
ribbon's 一键处理 and the benchmark all run this list; a test checks that every step's inputs
come before it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from servicebook.edits import Edits
from servicebook.jobs import intake
from servicebook.jobs.assign import AssignReport, assignment_edits
from servicebook.jobs.care import CareReport, care_edits
from servicebook.jobs.number import NumberReport, numbering_edits
from servicebook.jobs.session import Session
from servicebook.jobs.sla import SlaReport, sla_edits
from servicebook.jobs.validate import ValidateReport, validation_edits


@dataclass
class Results:
    """What the steps produced, by step name."""

    intake: intake.IntakeReport | None = None
    number: NumberReport | None = None
    assign: AssignReport | None = None
    validate: ValidateReport | None = None
    sla: SlaReport | None = None
    care: CareReport | None = None
    skipped: list[str] = field(default_factory=list)    # steps that had nothing to work on


def _numbers_into_records(session: Session, report: NumberReport) -> None:
    if report.result.assigned:
        session.book.tables["records"] = session.records().with_values("ticket_no", report.result.assigned)


def _assignments_into_records(session: Session, report: AssignReport) -> None:
    records = session.records()
    done = report.result.assignments
    if done:
        records = records.with_values("assignee", {a.index: a.agent.label for a in done})
        departments = {a.index: a.department for a in done if a.department}
        session.book.tables["records"] = records.with_values("department", departments) if departments else records


def _care_rows_into_book(session: Session, report: CareReport) -> None:
    if report.table is not None:
        session.book.tables["care"] = report.table


def _has_roster(session: Session) -> bool:
    roster = session.book.table("roster")
    return roster is not None and len(roster) > 0


@dataclass(frozen=True)
class Step:
    name: str                                            # the field of Results it fills
    reads: tuple[str, ...]                               # the steps whose results it needs
    run: Callable[[Session, Edits], Any]
    hand_on: Callable[[Session, Any], None] | None = None  # what later steps see of its result
    wanted: Callable[[Session], bool] = lambda _session: True


STEPS = (
    # Mail that came in becomes records and progress entries first, so it is numbered like any row.
    Step("intake", (), intake.nightly_intake_edits, intake.into_book, intake.wanted),
    Step("number", ("intake",), numbering_edits, _numbers_into_records),
    # A workbook with no roster is simply not assigned; every other step still runs.
    Step("assign", ("number",), assignment_edits, _assignments_into_records, _has_roster),
    Step("validate", ("number", "assign"), validation_edits),
    Step("sla", ("number", "assign"), sla_edits),
    Step("care", ("number", "assign"), care_edits, _care_rows_into_book),
)


# The steps on the rows as people typed them: what the ribbon runs on the workbook open in Excel
# (the mailbox is read by the nightly run and `servicebook intake`, which move what they took).
ROW_STEPS = STEPS[1:]


def steps_named(*names: str) -> tuple[Step, ...]:
    return tuple(step for step in STEPS if step.name in names)


# `servicebook intake` alone: the mailbox must be read (an error stops it), and new records numbered.
INTAKE_STEPS = (Step("intake", (), intake.intake_edits, intake.into_book), STEPS[1])


def run_steps(session: Session, edits: Edits, steps: tuple[Step, ...] = STEPS) -> Results:
    results = Results()
    for step in steps:
        if not step.wanted(session):
            results.skipped.append(step.name)
            continue
        value = step.run(session, edits)
        setattr(results, step.name, value)
        if step.hand_on is not None:
            step.hand_on(session, value)
    return results
