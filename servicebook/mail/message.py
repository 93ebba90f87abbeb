"""The email itself: a MIME message with a plain-text and an HTML part, encoded for any server.

The Message-ID is derived from the message's identity, so the same message always carries the
same ID and a copy that arrived twice could be recognised.
"""

from __future__ import annotations

import email.policy
import re
from datetime import datetime
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime

from servicebook.domain.values import plain_address
from servicebook.mail.render import Rendered, one_line


class BadAddress(ValueError):
    pass


def ascii_address(address: str) -> str:
    """The address as servers take it (an internationalised domain in its ASCII form)."""
    plain = plain_address(address.strip())
    if plain is not None:
        return plain
    from email_validator import EmailNotValidError, validate_email  # 30 ms to import: only when needed

    try:
        checked = validate_email(address.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise BadAddress(address) from error
    return checked.ascii_email or checked.normalized


# The first release wrote <identity.servicebook@domain>; both forms are read.
_IDENTITY = re.compile(r"^<([0-9a-f]{32})(?:\.servicebook)?@")


def message_id(identity: str, sender: str) -> str:
    """<identity@sender's domain>: unique, stable for the same message, naming no tool."""
    domain = sender.rpartition("@")[2] or "localhost"
    return f"<{identity}@{domain}>"


def identity_of(msgid: str) -> str | None:
    found = _IDENTITY.match(msgid.strip())
    return found.group(1) if found else None


class _HeaderClasses(HeaderRegistry):
    """CPython's registry makes a new class for every header it builds or parses (a third of the
    cost of composing an email); the class depends only on the header's name, so one per name."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


POLICY = email.policy.SMTP.clone(header_factory=_HeaderClasses())


def build_message(rendered: Rendered, sender: str, sender_name: str, recipient: str, recipient_name: str,
                  msgid: str, when: datetime) -> EmailMessage:
    """`when` must carry its zone: the Date header states the team's local time with its offset."""
    message = EmailMessage(policy=POLICY)
    local, _, domain = ascii_address(sender).partition("@")
    to_local, _, to_domain = ascii_address(recipient).partition("@")
    message["Subject"] = one_line(rendered.subject)
    message["From"] = Address(one_line(sender_name), local, domain)
    message["To"] = Address(one_line(recipient_name), to_local, to_domain)
    if when.tzinfo is None:
        raise ValueError("the message time needs a time zone")
    message["Date"] = format_datetime(when)
    message["Message-ID"] = msgid
    # base64 keeps both parts 7-bit: relays without 8BITMIME pass them unchanged.
    message.set_content(rendered.text, charset="utf-8", cte="base64")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="base64")
    return message
