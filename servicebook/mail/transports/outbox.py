"""The default: each message is written as an .eml file to a folder, for a person (Outlook opens
.eml files) or another program to send. Needs no server and no password."""

from __future__ import annotations

import os
from email.message import EmailMessage
from pathlib import Path

from servicebook.mail.transports import Outcome


class OutboxTransport:
    name = "outbox"

    def __init__(self, folder: Path):
        self.folder = folder

    def deliver(self, message: EmailMessage, recipient: str, identity: str) -> Outcome:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"{identity}.eml"
        temp = target.with_suffix(".eml.tmp")
        temp.write_bytes(message.as_bytes())
        os.replace(temp, target)
        return Outcome.draft()

    def close(self) -> None:
        pass
