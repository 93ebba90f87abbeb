"""The default: each message is written as an .eml file to a folder, for a person (Outlook opens
it as a draft ready to send: `X-Unsent: 1`) or another program to send. Needs no server and no
password. Files are named readably and in order — `0001-受理通知-CSF20240510000001.eml` — and
whether a message is there can always be read back, so a killed run's messages are settled exactly.
"""

from __future__ import annotations

import errno
import html
import os
import re
from collections.abc import Iterable
from pathlib import Path

from servicebook.domain.delivery import DRAFT, FAILED
from servicebook.domain.mail_rules import template_label
from servicebook.mail.ledger import Entry
from servicebook.mail.transports import Outcome, Setup, StopDelivery
from servicebook.mail.wire import Outgoing
from servicebook.text import t

FOLDER = "outbox"
INDEX = "清单.html"     # the folder's list of drafts, for the person who sends them
_SEQUENCE = re.compile(r"^(\d{4,})-")
_UNSAFE = re.compile(r'[\x00-\x1f<>:"/\\|?*\s]+')   # not allowed (or awkward) in Windows file names
TICKET_CHARS = 40


def folder_of(setup: Setup) -> Path:
    return setup.folder / FOLDER


def file_name(sequence: int, template_label: str, ticket: str) -> str:
    safe = _UNSAFE.sub("_", ticket).strip("._")[:TICKET_CHARS] or "-"
    return f"{sequence:04d}-{template_label}-{safe}.eml"


class OutboxTransport:
    name = "outbox"
    exact_recovery = True

    def __init__(self, folder: Path, taken: frozenset[str] = frozenset()):
        self.folder = folder
        existing = [p.name for p in folder.glob("*.eml")] if folder.is_dir() else []
        numbers = [int(m.group(1)) for name in (*existing, *taken) if (m := _SEQUENCE.match(name))]
        self.next = max(numbers, default=0) + 1

    def place(self, template_label: str, ticket: str) -> str:
        name = file_name(self.next, template_label, ticket)
        self.next += 1
        return name

    def deliver(self, message: Outgoing, recipient: str, identity: str, location: str) -> Outcome:
        message.add_header("X-Unsent", "1")
        target = self.folder / (location or f"{identity}.eml")
        temp = target.with_name(target.name + ".tmp")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temp.write_bytes(message.as_bytes())
            os.replace(temp, target)
        except OSError as error:
            temp.unlink(missing_ok=True)
            if error.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
                raise StopDelivery(t("save.disk_full", where=t("save.at", target=str(self.folder)))) from None
            return Outcome.unreachable(t("mail.outbox_failed", folder=str(self.folder),
                                         error=error.strerror or str(error)))
        return Outcome.draft()

    def close(self) -> None:
        pass


def from_settings(setup: Setup) -> OutboxTransport:
    return OutboxTransport(folder_of(setup), setup.taken)


def settle(setup: Setup, entry: Entry) -> str:
    """A message the outbox was writing when the run died is there, or it is not."""
    return DRAFT if entry.location and (folder_of(setup) / entry.location).is_file() else FAILED


def write_index(folder: Path, entries: Iterable[Entry]) -> bool:
    """The outbox's 清单.html: every draft in it, in order, with type, record, recipient and
    subject, each linked to its file. Rewritten after each delivery; False when it could not be
    (a full disk): the drafts are there all the same, and the next run writes it."""
    drafts = sorted((e for e in entries if e.state == DRAFT and e.location and (folder / e.location).is_file()),
                    key=lambda e: e.location)
    rows = "\n".join(
        f'<tr><td><a href="{html.escape(e.location)}">{html.escape(e.location)}</a></td>'
        f"<td>{html.escape(template_label(e.template))}</td><td>{html.escape(e.ticket)}</td>"
        f"<td>{html.escape(e.recipient)}</td><td>{html.escape(e.subject)}</td>"
        f"<td>{html.escape(e.updated_at[:16])}</td></tr>" for e in drafts)
    heads = "".join(f"<th>{html.escape(h)}</th>" for h in t("outbox.index_columns").split("|"))
    page = (f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>{t("outbox.index_title")}'
            f"</title><style>body{{font-family:sans-serif}}td,th{{border:1px solid #ccc;padding:4px 8px;"
            f"text-align:left}}table{{border-collapse:collapse}}</style></head><body>"
            f"<h1>{t('outbox.index_title')}</h1><p>{html.escape(t('outbox.index_hint', count=len(drafts)))}</p>"
            f"<table><tr>{heads}</tr>\n{rows}\n</table></body></html>\n")
    target, temp = folder / INDEX, folder / (INDEX + ".tmp")
    try:
        temp.write_text(page, encoding="utf-8")
        os.replace(temp, target)
    except OSError:
        temp.unlink(missing_ok=True)
        return False
    return True
