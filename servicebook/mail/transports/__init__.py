"""Ways to hand a message over: an outbox folder, SMTP, Exchange Web Services, Microsoft Graph.

Each returns an Outcome. `failed` means the message certainly did not go out (refused before
the content was accepted); `unknown` means it may have (the connection died after the content
was handed over) — such a message is never retried automatically.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from servicebook.mail.ledger import DRAFT, FAILED, SENT, UNKNOWN


@dataclass(frozen=True)
class Outcome:
    state: str          # SENT, DRAFT, FAILED or UNKNOWN
    detail: str = ""    # why, in the users' words, when it did not go out

    @classmethod
    def sent(cls) -> Outcome:
        return cls(SENT)

    @classmethod
    def draft(cls) -> Outcome:
        return cls(DRAFT)

    @classmethod
    def failed(cls, detail: str) -> Outcome:
        return cls(FAILED, detail)

    @classmethod
    def unknown(cls, detail: str) -> Outcome:
        return cls(UNKNOWN, detail)


class Transport(Protocol):
    name: str

    def deliver(self, message: EmailMessage, recipient: str, identity: str) -> Outcome: ...

    def close(self) -> None: ...
