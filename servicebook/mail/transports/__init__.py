"""Ways to hand a message over: an outbox folder, SMTP, Exchange Web Services, Microsoft Graph.

Each returns an Outcome. `failed` means the message certainly did not go out (refused before
the content was accepted, or no connection at all); `unknown` means it may have (the connection
died after the content was handed over) — such a message is never retried automatically.

Transports are found by their 发送方式 code in `REGISTRY`: each module offers `from_settings(setup)`,
which reads the settings it needs, and may offer `settle(setup, entry)`, which says what became of a
message a killed run left half-sent. Modules are imported only when chosen, so a command that sends
nothing never loads exchangelib or msal.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from servicebook.domain.delivery import DRAFT, FAILED, SENT, UNKNOWN
from servicebook.errors import CannotRun
from servicebook.mail.ledger import Entry
from servicebook.mail.secrets import find_secret
from servicebook.mail.wire import Outgoing
from servicebook.text import t

REGISTRY = {
    "outbox": "servicebook.mail.transports.outbox",
    "smtp": "servicebook.mail.transports.smtp",
    "ews": "servicebook.mail.transports.ews",
    "graph": "servicebook.mail.transports.graph",
    # Group-chat robots, for the team's digests (设置 → 群机器人).
    "wecom": "servicebook.mail.transports.wecom",
    "dingtalk": "servicebook.mail.transports.dingtalk",
    "feishu": "servicebook.mail.transports.feishu",
}
ROBOTS = ("wecom", "dingtalk", "feishu")


@dataclass(frozen=True)
class Outcome:
    state: str          # SENT, DRAFT, FAILED or UNKNOWN
    detail: str = ""    # why, in the users' words, when it did not go out
    counted: bool = True    # False: it never left this machine (no connection): not an attempt

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
    def unreachable(cls, detail: str) -> Outcome:
        """No connection, no login: certainly not sent, and retried on later runs without limit."""
        return cls(FAILED, detail, counted=False)

    @classmethod
    def unknown(cls, detail: str) -> Outcome:
        return cls(UNKNOWN, detail)


class StopDelivery(CannotRun):
    """The machine cannot go on (a full disk): nothing more is tried this run; what was not sent
    is retried by the next one."""


class Transport(Protocol):
    name: str
    # True when a message's fate can always be read back after a crash (`settle`): the outbox.
    # Such a transport's messages are recorded in batches; others one by one.
    exact_recovery: bool

    def place(self, template_label: str, ticket: str) -> str:
        """Where the next message will be put ("" when the transport cannot say)."""
        ...

    def deliver(self, message: Outgoing, recipient: str, identity: str, location: str) -> Outcome:
        """`message`: the email; for a robot, the RobotMessage to post."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Setup:
    """What a transport may read to open: the settings by key, their labels (to name a missing
    one), the folder beside the workbook, and the locations earlier messages already took."""

    kind: str
    settings: Mapping[str, Any]
    labels: Mapping[str, str]
    transport_label: str
    folder: Path
    taken: frozenset[str] = field(default_factory=frozenset)
    secret: Callable[[str, str], str | None] = find_secret

    def text(self, key: str) -> str:
        value = self.settings.get(key)
        return "" if value is None else str(value).strip()

    def require(self, key: str) -> str:
        value = self.text(key)
        if not value:
            raise CannotRun(t("mail.setting_missing", label=self.labels[key], transport=self.transport_label))
        return value

    def require_secret(self, kind: str, account: str) -> str:
        value = self.secret(kind, account)
        if not value:
            raise CannotRun(t(f"mail.secret_missing_{kind}", account=account))
        return value


def transport_module(kind: str):
    """The module of the transport (or robot) named by its 设置 code, imported on first use."""
    return importlib.import_module(REGISTRY[kind])


def open_transport(setup: Setup) -> Transport:
    return transport_module(setup.kind).from_settings(setup)


def settle(setup: Setup, entry: Entry) -> str | None:
    """What became of a half-sent message, when its transport can tell (None: nobody can)."""
    module = transport_module(entry.transport) if entry.transport in REGISTRY else None
    settler = getattr(module, "settle", None)
    return settler(setup, entry) if settler else None
