"""`servicebook mail --preview`: every message that would go out, as .eml and .html files in a
preview folder; nothing is sent and nothing else is touched."""

from __future__ import annotations

import shutil

from servicebook.domain.delivery import FAILED
from servicebook.domain.mail_rules import Planned, template_label
from servicebook.jobs.mail.compose import Composer
from servicebook.jobs.mail.result import MailReport, Result
from servicebook.jobs.session import Session
from servicebook.mail.message import BadAddress
from servicebook.mail.render import TemplateProblem
from servicebook.mail.transports.outbox import file_name
from servicebook.mail.transports.robot import RobotMessage

FOLDER = "preview"


def write_preview(session: Session, waiting: list[Planned], report: MailReport) -> None:
    folder = session.sidecar.folder / FOLDER
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    report.folder = folder
    composer = Composer(session)
    for number, item in enumerate(waiting, start=1):
        label = template_label(item.template)
        try:
            composed = composer.compose(item)
        except (TemplateProblem, BadAddress) as problem:
            report.results.append(Result(item.ticket, label, item.recipient, "", FAILED, str(problem)))
            continue
        stem = folder / file_name(number, label, item.file_key).removesuffix(".eml")
        if isinstance(composed.message, RobotMessage):
            target = stem.with_suffix(".txt")
            target.write_text(f"{composed.message.title}\n{composed.message.text}\n", encoding="utf-8")
        else:
            target = stem.with_suffix(".eml")
            target.write_bytes(composed.message.as_bytes())
            stem.with_suffix(".html").write_text(composed.html, encoding="utf-8")
        report.results.append(Result(item.ticket, label, item.recipient, composed.subject, "preview",
                                     file=str(target)))
