"""Where received mail is read from: a folder beside the workbook, an IMAP mailbox, Exchange (EWS)
or Microsoft 365 (Graph), as 设置 → 收件方式 says.

A source hands over raw messages, each with a key it can find it by again; after the workbook
holding what a message became is saved, the intake job tells the source which keys were taken, and
the source moves them to its 已处理 folder. Modules are imported only when chosen.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Protocol

from servicebook.mail.transports import Setup

REGISTRY = {
    "folder": "servicebook.mail.sources.folder",
    "imap": "servicebook.mail.sources.imap",
    "ews": "servicebook.mail.sources.ews",
    "graph": "servicebook.mail.sources.graph",
}
TAKEN_FOLDER = "已处理"
UNREADABLE_FOLDER = "无法读取"


@dataclass(frozen=True)
class Raw:
    key: str                 # how the source finds the message again
    label: str               # how a person finds it: the file name, the mailbox and number
    data: bytes = field(repr=False)
    kind: str = "eml"        # "eml" (RFC 5322 bytes) or "msg" (Outlook)


class Source(Protocol):
    name: str

    def fetch(self) -> list[Raw]:
        """Every message waiting, oldest first."""
        ...

    def taken(self, keys: list[str]) -> None:
        """Move these messages to the 已处理 folder (their records are saved)."""
        ...

    def set_aside(self, keys: list[str]) -> None:
        """Move messages that cannot be read where a person will look at them."""
        ...

    def close(self) -> None: ...


def open_source(setup: Setup) -> Source:
    return importlib.import_module(REGISTRY[setup.kind]).from_settings(setup)
