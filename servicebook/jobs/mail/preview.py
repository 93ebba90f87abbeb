"""`servicebook mail --preview`: every message that would go out, as .eml and .html files in a
preview folder; nothing is sent and nothing else is touched."""

from __future__ import annotations

import shutil
from zoneinfo import ZoneInfo

from servicebook.domain.delivery import FAILED
from servicebook.domain.mail_rules import Planned, template_label
from servicebook.domain.values import as_text
from servicebook.jobs.mail.result import MailReport, Result
from servicebook.jobs.session import Session
from servicebook.mail.message import BadAddress, build_message, message_id
from servicebook.mail.render import Renderer, TemplateProblem, override_folder

FOLDER = "preview"


def write_preview(session: Session, waiting: list[Planned], report: MailReport) -> None:
    folder = session.sidecar.folder / FOLDER
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    report.folder = folder
    renderer = Renderer(override_folder(session.path))
    sender = as_text(session.settings["mail_from"])
    sender_name = as_text(session.settings["mail_from_name"]) or session.settings["team_name"]
    sent_at = session.now.replace(microsecond=0, tzinfo=ZoneInfo(session.settings["timezone"]))
    for number, item in enumerate(waiting, start=1):
        label = template_label(item.template)
        try:
            rendered = renderer.render(item.template, item.context)
            message = build_message(rendered, sender, sender_name, item.recipient, item.recipient_name,
                                    message_id(item.identity, sender), sent_at)
        except (TemplateProblem, BadAddress) as problem:
            report.results.append(Result(item.ticket, label, item.recipient, "", FAILED, str(problem)))
            continue
        stem = folder / f"{number:04d}-{item.template}-{item.ticket}"
        stem.with_suffix(".eml").write_bytes(message.as_bytes())
        stem.with_suffix(".html").write_text(rendered.html, encoding="utf-8")
        report.results.append(Result(item.ticket, label, item.recipient, rendered.subject, "preview",
                                     file=str(stem.with_suffix(".eml"))))
