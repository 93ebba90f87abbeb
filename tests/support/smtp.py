"""A real SMTP server on loopback (aiosmtpd): STARTTLS, login, and the failures mail servers have."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.tls import Certificate


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)


@dataclass
class Behaviour:
    refuse_recipients: set[str] = field(default_factory=set)    # RCPT TO answered 550
    reject_data_for: set[str] = field(default_factory=set)      # DATA answered 451
    hold_after: int | None = None                               # keep the DATA reply of message N+1 waiting


class Recorder:
    def __init__(self, behaviour: Behaviour):
        self.behaviour = behaviour
        self.received: list[Received] = []
        self.holding = threading.Event()
        self.release = asyncio.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.behaviour.refuse_recipients:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if set(envelope.rcpt_tos) & self.behaviour.reject_data_for:
            return "451 4.3.0 Temporary local problem, try again later"
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        hold = self.behaviour.hold_after
        if hold is not None and len(self.received) == hold + 1:
            self.holding.set()
            await self.release.wait()  # the client is killed while it waits for this reply
        return "250 Message accepted for delivery"


class SmtpServer:
    """`with SmtpServer(cert, password=...) as server:` then `server.port`, `server.received`."""

    def __init__(self, certificate: Certificate, user: str = "agent@service.example.com", password: str = "",
                 behaviour: Behaviour | None = None):
        self.port = free_port()
        self.user, self.password = user, password
        self.recorder = Recorder(behaviour or Behaviour())
        self.logins: list[str] = []
        self.controller = Controller(
            self.recorder, hostname="127.0.0.1", port=self.port,
            tls_context=certificate.server_context(), require_starttls=True,
            authenticator=self._authenticate, auth_require_tls=True,
        )

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            login, password = auth_data.login.decode(), auth_data.password.decode()
            self.logins.append(login)
            # handled=False: aiosmtpd answers a refusal with 535, as a real server does.
            return AuthResult(success=login == self.user and password == self.password, handled=False)
        return AuthResult(success=False, handled=False)

    @property
    def received(self) -> list[Received]:
        return self.recorder.received

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.loop.call_soon_threadsafe(self.recorder.release.set)
        self.controller.stop()
