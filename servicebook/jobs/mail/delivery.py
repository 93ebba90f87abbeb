"""Handing the due emails to the transport in 设置, each recorded in the ledger before it goes.

Messages whose fate can be read back after a crash (the outbox) are recorded and written in
batches; every other transport's are recorded one at a time, so that a kill leaves at most one
message of unknown fate.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from zoneinfo import ZoneInfo

from servicebook.domain.delivery import SENDING
from servicebook.domain.mail_rules import Planned, template_label
from servicebook.domain.values import as_text
from servicebook.errors import CannotRun, explain
from servicebook.jobs.mail.result import Result
from servicebook.jobs.session import Session
from servicebook.mail.ledger import Entry, Finish, Ledger, stamp
from servicebook.mail.message import BadAddress, build_message, message_id
from servicebook.mail.render import Renderer, TemplateProblem, override_folder
from servicebook.mail.transports import Outcome, Setup, StopDelivery, Transport, open_transport, settle
from servicebook.progress import track
from servicebook.text import t

BATCH = 200


def transport_label(session: Session) -> str:
    setting = session.definition.settings.setting("mail_transport")
    return setting.choices[session.settings["mail_transport"]]


def transport_setup(session: Session, entries: dict[str, Entry] | None = None) -> Setup:
    labels = {s.key: s.label for s in session.definition.settings.settings}
    taken = frozenset(e.location for e in (entries or {}).values() if e.location)
    return Setup(session.settings["mail_transport"], session.settings.values, labels, transport_label(session),
                 session.sidecar.folder, taken)


def recover(session: Session, ledger: Ledger) -> int:
    """Settle what a killed run left half-sent; returns how many now have an unknown fate."""
    setup = transport_setup(session)
    return ledger.recover(session.now, lambda entry: settle(setup, entry))


def _chunks(items: Sequence[Planned], size: int) -> Iterator[list[Planned]]:
    batch: list[Planned] = []
    for item in track(items, t("progress.mailing"), total=len(items)):
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class Deliverer:
    def __init__(self, session: Session, ledger: Ledger, transport: Transport, entries: dict[str, Entry]):
        self.session, self.ledger, self.transport, self.entries = session, ledger, transport, entries
        self.renderer = Renderer(override_folder(session.path))
        self.sender = as_text(session.settings["mail_from"])
        self.sender_name = as_text(session.settings["mail_from_name"]) or session.settings["team_name"]
        self.sent_at = session.now.replace(microsecond=0, tzinfo=ZoneInfo(session.settings["timezone"]))

    def entry(self, item: Planned, subject: str, location: str) -> Entry:
        return Entry(item.identity, item.ticket, item.template, item.recipient, item.version, subject,
                     self.transport.name, message_id(item.identity, self.sender), SENDING, "", 1,
                     stamp(self.session.now), location)

    def batch(self, items: list[Planned]) -> list[Result]:
        prepared, begun, results = [], [], []
        for item in items:
            label = template_label(item.template)
            try:
                rendered = self.renderer.render(item.template, item.context)
                message = build_message(rendered, self.sender, self.sender_name, item.recipient,
                                        item.recipient_name, message_id(item.identity, self.sender), self.sent_at)
            except (TemplateProblem, BadAddress) as problem:
                detail = str(problem) if isinstance(problem, TemplateProblem) else \
                    t("mail.bad_address", address=item.recipient)
                begun.append(self.entry(item, "", ""))
                results.append((item, Outcome.failed(detail), "", ""))
                continue
            earlier = self.entries.get(item.identity)
            location = (earlier.location if earlier and earlier.location else
                        self.transport.place(label, item.ticket))
            begun.append(self.entry(item, rendered.subject, location))
            prepared.append((item, message, rendered.subject, location))
        self.ledger.begin(begun)
        stopped: StopDelivery | None = None
        for item, message, subject, location in prepared:
            if stopped is not None:
                results.append((item, Outcome.unreachable(stopped.message), subject, location))
                continue
            try:
                outcome = self.transport.deliver(message, item.recipient, item.identity, location)
            except StopDelivery as stop:
                stopped, outcome = stop, Outcome.unreachable(stop.message)
            except Exception as error:  # a transport bug must not lose the record of the attempt
                outcome = Outcome.unknown(t("mail.unexpected", error=f"{type(error).__name__}: {error}"[:200]))
            results.append((item, outcome, subject, location))
        self._finish(results, stopped)
        return [Result(item.ticket, template_label(item.template), item.recipient, subject, o.state, o.detail,
                       location or None) for item, o, subject, location in results]

    def _finish(self, results: list, stopped: StopDelivery | None) -> None:
        try:
            self.ledger.finish([Finish(item.identity, o.state, o.detail, o.counted) for item, o, _, _ in results],
                               self.session.now)
        except Exception as error:
            # Even the ledger cannot be written (the same full disk): the next run settles these.
            if stopped is None and explain(error) is None:
                raise
            raise CannotRun(stopped.message if stopped else explain(error)) from None
        if stopped is not None:
            raise stopped


def deliver(session: Session, ledger: Ledger, waiting: list[Planned],
            transport: Transport | None = None) -> list[Result]:
    """Hand `waiting` over; returns each message's result. Opens the transport only when there
    is something to send."""
    if not waiting:
        return []
    entries = ledger.entries()
    transport = transport or open_transport(transport_setup(session, entries))
    deliverer = Deliverer(session, ledger, transport, entries)
    results: list[Result] = []
    try:
        for items in _chunks(waiting, BATCH if transport.exact_recovery else 1):
            results.extend(deliverer.batch(items))
    finally:
        transport.close()
    return results

