"""Turning a planned message into what its channel carries: an email (both parts, every header)
or a group-robot post. The preview and the delivery compose the same way."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from servicebook.domain.mail_rules import ROBOT, Planned
from servicebook.domain.values import as_text
from servicebook.jobs.session import Session
from servicebook.mail.message import build_message, message_id
from servicebook.mail.render import Renderer, override_folder
from servicebook.mail.transports.robot import RobotMessage
from servicebook.mail.wire import Outgoing


@dataclass(frozen=True)
class Composed:
    subject: str
    message: Outgoing | RobotMessage
    html: str | None = None       # the HTML part of an email, for the preview to show


class Composer:
    def __init__(self, session: Session):
        self.renderer = Renderer(override_folder(session.path))
        self.sender = as_text(session.settings["mail_from"])
        self.sender_name = as_text(session.settings["mail_from_name"]) or session.settings["team_name"]
        self.sent_at = session.now.replace(microsecond=0, tzinfo=ZoneInfo(session.settings["timezone"]))

    def message_id(self, item: Planned) -> str:
        return message_id(item.identity, self.sender)

    def compose(self, item: Planned) -> Composed:
        """Raises TemplateProblem or BadAddress when the message cannot be made."""
        if item.channel == ROBOT:
            title, text = self.renderer.render_robot(item.template, item.context)
            return Composed(title, RobotMessage(title, text))
        rendered = self.renderer.render(item.template, item.context)
        message = build_message(rendered, self.sender, self.sender_name, item.recipient, item.recipient_name,
                                self.message_id(item), self.sent_at)
        return Composed(rendered.subject, message, rendered.html)
