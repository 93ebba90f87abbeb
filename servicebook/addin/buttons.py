"""What each ribbon button runs (macros/ServiceBook.bas calls these through xlwings RunPython).

Each entry point works on the workbook the user is in — its unsaved edits included — with the
same jobs as the command line, writes through LiveBook, reports in a message box, and never shows
a traceback: a problem with the data or settings is explained in Chinese, anything unexpected is
logged beside the workbook and summarised. `book` is for the self-test; Excel passes nothing.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from servicebook.addin.live import LiveBook, LiveWriter
from servicebook.definition import definition
from servicebook.edits import Edits
from servicebook.errors import CannotRun
from servicebook.jobs.session import Session
from servicebook.sidecar import Sidecar
from servicebook.text import t


@dataclass
class LiveSession(Session):
    """A session on the open workbook: read from Excel, written into Excel (the user saves)."""

    live: LiveBook | None = None


def _caller() -> Any:
    import xlwings as xw

    return xw.Book.caller()


def live_session(book: Any) -> LiveSession:
    live = LiveBook(book)
    read = live.read(definition())
    if read.settings.errors:
        raise CannotRun(t("open.bad_settings"), [p.describe() for p in read.settings.errors])
    now = datetime.now(ZoneInfo(read.settings["timezone"])).replace(tzinfo=None, microsecond=0)
    return LiveSession(Path(book.fullname), read, now, LiveWriter(live, definition()), live=live)


def summary(render: Callable[[Any], list[str]], report: Any) -> str:
    """A job's result in the same words the command line prints, for the message box."""
    return "\n".join(render(report)).strip()


def press(label: str, book: Any, work: Callable[[LiveSession], str | None]) -> None:
    """Run one button's work on the live workbook; whatever happens, the user gets a message box
    in Chinese, never a traceback. `work` returns the summary to show (None: nothing to say)."""
    book = book if book is not None else _caller()
    app = book.app
    try:
        session = live_session(book)
        with session.live.quiet(t("addin.working", button=label)):
            message = work(session)
    except CannotRun as problem:
        app.alert("\n".join([problem.message, *problem.details]), title=label, mode="critical")
        return
    except Exception as error:   # a button must never leave the user with a Python traceback
        _log(book, traceback.format_exc())
        app.alert(t("addin.crashed", error=f"{type(error).__name__}: {error}"), title=label, mode="critical")
        return
    if message is not None:
        app.alert(message or t("addin.done"), title=label, mode="info")


def _log(book: Any, text: str) -> None:
    try:
        folder = Sidecar(Path(book.fullname)).folder / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(folder / "addin.log", encoding="utf-8")
        logger = logging.getLogger("servicebook.addin")
        logger.addHandler(handler)
        logger.error(text)
        logger.removeHandler(handler)
        handler.close()
    except OSError:
        pass   # an unsaved workbook has no folder; the message box still says what happened


# ---------------------------------------------------------------- the buttons


def _job(session: LiveSession, job: Callable, render: Callable, *args: Any) -> str:
    """One job's edits into the live workbook, and its summary in words."""
    return summary(render, session.apply(job, *args))


def validate(book: Any = None) -> None:
    from servicebook.jobs.validate import validation_edits
    from servicebook.render.workbook import validate_lines

    press(t("addin.button.validate"), book, lambda s: _job(s, validation_edits, validate_lines))


def number(book: Any = None) -> None:
    from servicebook.jobs.number import numbering_edits
    from servicebook.render.workbook import number_lines

    press(t("addin.button.number"), book, lambda s: _job(s, numbering_edits, number_lines))


def assign(book: Any = None) -> None:
    from servicebook.jobs.assign import assignment_edits
    from servicebook.render.people import assign_lines

    press(t("addin.button.assign"), book, lambda s: _job(s, assignment_edits, assign_lines))


def sla(book: Any = None) -> None:
    from servicebook.jobs.sla import sla_edits
    from servicebook.render.workbook import sla_lines

    press(t("addin.button.sla"), book, lambda s: _job(s, sla_edits, sla_lines))


def care(book: Any = None) -> None:
    from servicebook.jobs.care import care_edits
    from servicebook.render.run import care_lines

    press(t("addin.button.care"), book, lambda s: _job(s, care_edits, care_lines))


def report(book: Any = None) -> None:
    from servicebook.domain.report import last_full_month
    from servicebook.jobs.report import report_edits
    from servicebook.render.run import report_lines

    press(t("addin.button.report"), book,
          lambda s: _job(s, report_edits, report_lines, last_full_month(s.now.date())))


def mail_preview(book: Any = None) -> None:
    from servicebook.jobs import mail as mail_job
    from servicebook.render.mail import mail_lines

    press(t("addin.button.mail_preview"), book, lambda s: summary(mail_lines, mail_job.preview(s)))


def mail_send(book: Any = None) -> None:
    """The list of what would go out first; nothing is sent unless the user confirms, and nothing
    before the workbook is saved with the numbers the emails carry."""
    from servicebook.jobs import mail as mail_job
    from servicebook.jobs.number import saved_with_numbers
    from servicebook.jobs.pipeline import run_steps, steps_named
    from servicebook.render.mail import mail_lines

    label = t("addin.button.mail_send")

    def work(session: LiveSession) -> str:
        with session.sidecar.writer():
            edits = Edits()
            steps = run_steps(session, edits, steps_named("number", "assign"))   # what the emails name
            session.save(edits)
            outgoing, recovered = mail_job.plan(session)
            if not outgoing.waiting:
                return summary(mail_lines, mail_job.MailReport(False, "", already=outgoing.already,
                                                               problems=outgoing.problems))
            preview = mail_job.preview(session)
            answer = session.live.app.alert(t("addin.confirm_send", preview=summary(mail_lines, preview)),
                                            title=label, buttons="ok_cancel", mode="info")
            if answer != "ok":
                return t("addin.send_cancelled")
            try:
                session.live.save()
            except Exception as error:   # Excel refused (read-only, locked, disk full): nothing goes out
                return t("addin.not_saved", error=f"{type(error).__name__}: {error}"[:200])
            given = {number for _, number in steps.number.numbered}
            if not saved_with_numbers(session.path, {item.ticket for item in outgoing.waiting} & given):
                return t("addin.not_saved", error=t("addin.numbers_not_in_file"))
            return summary(mail_lines, mail_job.send(session, outgoing, recovered))

    press(label, book, work)


def run_all(book: Any = None) -> None:
    """一键处理: every step of the nightly run that needs no confirmation; emails are previewed."""
    from servicebook.jobs import mail as mail_job
    from servicebook.jobs.pipeline import ROW_STEPS, run_steps
    from servicebook.render.people import assign_lines
    from servicebook.render.run import care_lines
    from servicebook.render.workbook import number_lines, sla_headline, validate_lines

    def work(session: LiveSession) -> str:
        edits = Edits()
        steps = run_steps(session, edits, ROW_STEPS)
        lines = [summary(number_lines, steps.number)]
        if steps.assign is not None:
            lines.append(summary(assign_lines, steps.assign))
        lines.append(summary(validate_lines, steps.validate))
        lines.append(sla_headline(steps.sla))
        lines.append(summary(care_lines, steps.care))
        session.save(edits)
        waiting = mail_job.preview(session)
        lines.append(t("addin.mail_waiting", count=len(waiting.results)))
        return "\n".join(line for line in lines if line)

    press(t("addin.button.run_all"), book, work)


def history(book: Any = None) -> None:
    """The customer of the row the cursor is on."""
    from servicebook.jobs.history import history_sheet_edits, lookup
    from servicebook.render.people import history_lines

    def work(session: LiveSession) -> str:
        records = session.records()
        row = session.live.book.selection.row
        if row not in records.row_numbers:
            return t("addin.pick_a_record", sheet=records.title)
        index = records.row_numbers.index(row)
        query = str(records.get("customer_id", index) or records.get("customer_name", index) or "")
        found = lookup(session, query)
        if found.found is not None:   # also laid out on the 客户历史 sheet, which the tool owns
            edits = Edits()
            title = history_sheet_edits(found.found, edits)
            session.save(edits)
            session.live.book.sheets[title].activate()
        return summary(history_lines, found)

    press(t("addin.button.history"), book, work)


def reveal(book: Any = None) -> None:
    """The real numbers behind the selected row's masked phones, for an agent about to call back."""
    from servicebook.domain.values import as_text
    from servicebook.jobs import reveal as reveal_job

    def work(session: LiveSession) -> str:
        selection = session.live.book.selection
        row = selection.row
        for key in ("records", "care", "customers"):
            table = session.book.table(key)
            if table is None or selection.sheet.name != table.title or row not in table.row_numbers:
                continue
            index = table.row_numbers.index(row)
            query = as_text(table.get({"records": "ticket_no", "care": "care_no"}.get(key, "customer_id"), index)) \
                or as_text(table.get("customer_id", index))
            report = reveal_job.reveal(session.path, query, via=t("vault.via_excel"), now=session.now)
            if not report.found:
                return t("vault.not_found", query=query)
            lines = [t("vault.found_line", sheet=r.sheet, row_key=r.row_key, column=r.column, masked=r.masked,
                       number=r.number, kept_at=r.kept_at) for r in report.found]
            return "\n".join([*lines, t("vault.logged", path=str(report.log))])
        return t("addin.pick_a_row_to_reveal")

    press(t("addin.button.reveal"), book, work)


def settings(book: Any = None) -> None:
    def work(session: LiveSession) -> str | None:
        title = session.book.settings_title
        if title is None:
            return t("addin.no_settings")
        session.live.book.sheets[title].activate()
        return None

    press(t("addin.button.settings"), book, work)


def help(book: Any = None) -> None:
    press(t("addin.button.help"), book, lambda _session: t("addin.help"))


ENTRY_POINTS = {name: globals()[name] for name in (
    "run_all", "validate", "number", "assign", "sla", "history", "care", "reveal", "mail_preview", "mail_send",
    "report", "settings", "help")}
