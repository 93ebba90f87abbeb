"""Handing the due emails to the transport in 设置, each recorded in the ledger before it goes.

Messages whose fate can be read back after a crash (the outbox) are recorded and written in
batches; every other transport's are recorded one at a time, so that a kill leaves at most one
message of unknown fate.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from servicebook.domain.delivery import SENDING
from servicebook.domain.mail_rules import MAIL, ROBOT, Planned, template_label
from servicebook.errors import CannotRun, explain
from servicebook.jobs.mail.compose import Composer
from servicebook.jobs.mail.result import Result
from servicebook.jobs.session import Session
from servicebook.mail.ledger import Entry, Finish, Ledger, stamp
from servicebook.mail.message import BadAddress
from servicebook.mail.render import TemplateProblem
from servicebook.mail.transports import Outcome, Setup, StopDelivery, Transport, open_transport, settle
from servicebook.progress import track
from servicebook.text import t

BATCH = 200


def transport_label(session: Session) -> str:
    """How messages go out, as 设置 names it: the mail transport, and the robot when one is used."""
    names = session.definition.settings.transports()
    label = names[session.settings["mail_transport"]]
    if session.settings["internal_channel"] != MAIL:
        label += " + " + names[session.settings["robot_kind"]]
    return label


def transport_setup(session: Session, entries: dict[str, Entry] | None = None, channel: str = MAIL) -> Setup:
    settings = session.definition.settings
    labels = {s.key: s.label for s in settings.settings}
    taken = frozenset(e.location for e in (entries or {}).values() if e.location)
    kind = session.settings["robot_kind"] if channel == ROBOT else session.settings["mail_transport"]
    return Setup(kind, session.settings.values, labels, settings.transports()[kind], session.sidecar.folder, taken)


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
        self.composer = Composer(session)

    def entry(self, item: Planned, subject: str, location: str) -> Entry:
        return Entry(item.identity, item.ticket, item.template, item.recipient, item.version, subject,
                     self.transport.name, self.composer.message_id(item), SENDING, "", 1,
                     stamp(self.session.now), location)

    def batch(self, items: list[Planned]) -> list[Result]:
        prepared, begun, results = [], [], []
        for item in items:
            label = template_label(item.template)
            try:
                composed = self.composer.compose(item)
            except (TemplateProblem, BadAddress) as problem:
                detail = str(problem) if isinstance(problem, TemplateProblem) else \
                    t("mail.bad_address", address=item.recipient)
                begun.append(self.entry(item, "", ""))
                results.append((item, Outcome.failed(detail), "", ""))
                continue
            earlier = self.entries.get(item.identity)
            location = (earlier.location if earlier and earlier.location else
                        self.transport.place(label, item.file_key))
            begun.append(self.entry(item, composed.subject, location))
            prepared.append((item, composed.message, composed.subject, location))
        covers = [(covered.identity, item.identity) for item in items for covered in item.covers]
        self.ledger.begin(begun, covers)
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
    """Hand `waiting` over, emails first, then the group robot's posts; returns each message's
    result. A channel's transport is opened only when it has something to carry."""
    results: list[Result] = []
    for channel in (MAIL, ROBOT):
        items = [item for item in waiting if item.channel == channel]
        if not items:
            continue
        entries = ledger.entries()
        opened = transport if transport is not None and channel == MAIL else \
            open_transport(transport_setup(session, entries, channel))
        deliverer = Deliverer(session, ledger, opened, entries)
        try:
            for batch in _chunks(items, BATCH if opened.exact_recovery else 1):
                results.extend(deliverer.batch(batch))
        finally:
            opened.close()
    return results
