"""The email itself: a MIME message with a plain-text and an HTML part, encoded for any server.

The Message-ID is derived from the message's identity, so the same message always carries the
same ID and a copy that arrived twice could be recognised.
"""

from __future__ import annotations

import re
from datetime import datetime
from email.utils import format_datetime

from servicebook.domain.values import plain_address
from servicebook.mail.render import Rendered, one_line
from servicebook.mail.wire import Outgoing, boundary_for, folded, mailbox_tokens, text_tokens


class BadAddress(ValueError):
    pass


def ascii_address(address: str) -> str:
    """The address as servers take it (an internationalised domain in its ASCII form). One whose
    local part is not ASCII needs SMTPUTF8, which no transport here offers: refused as the
    message's reason rather than mangled."""
    plain = plain_address(address.strip())
    if plain is not None:
        return plain
    from email_validator import EmailNotValidError, validate_email  # 30 ms to import: only when needed

    try:
        checked = validate_email(address.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise BadAddress(address) from error
    if checked.ascii_email is None:
        raise BadAddress(address)
    return checked.ascii_email


# The first release wrote <identity.servicebook@domain>; both forms are read.
_IDENTITY = re.compile(r"^<([0-9a-f]{32})(?:\.servicebook)?@")


def message_id(identity: str, sender: str) -> str:
    """<identity@sender's domain>: unique, stable for the same message, naming no tool."""
    domain = sender.rpartition("@")[2] or "localhost"
    return f"<{identity}@{domain}>"


def identity_of(msgid: str) -> str | None:
    found = _IDENTITY.match(msgid.strip())
    return found.group(1) if found else None


def build_message(rendered: Rendered, sender: str, sender_name: str, recipient: str, recipient_name: str,
                  msgid: str, when: datetime) -> Outgoing:
    """`when` must carry its zone: the Date header states the team's local time with its offset."""
    if when.tzinfo is None:
        raise ValueError("the message time needs a time zone")
    headers = [
        folded("Subject", text_tokens(one_line(rendered.subject))),
        folded("From", mailbox_tokens(one_line(sender_name), ascii_address(sender))),
        folded("To", mailbox_tokens(one_line(recipient_name), ascii_address(recipient))),
        f"Date: {format_datetime(when)}",
        f"Message-ID: {msgid}",
    ]
    return Outgoing(headers, rendered.text, rendered.html, boundary_for(msgid))

