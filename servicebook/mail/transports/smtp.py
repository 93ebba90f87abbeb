"""SMTP for relays: STARTTLS or SSL with the system's certificate checks, and a login when an
account is set. Refusals before the content is accepted fail the message; a connection that dies
while the content is being sent leaves its fate unknown."""

from __future__ import annotations

import contextlib
import smtplib
import ssl

from servicebook.mail.transports import Outcome, Setup
from servicebook.mail.wire import Outgoing
from servicebook.text import t

TIMEOUT = 60


def from_settings(setup: Setup) -> SmtpTransport:
    user = setup.text("mail_username")
    password = setup.require_secret("password", user) if user else None
    return SmtpTransport(setup.require("smtp_host"), int(setup.settings["smtp_port"]), setup.settings["smtp_security"],
                         user, password, setup.require("mail_from"))


class SmtpTransport:
    name = "smtp"
    exact_recovery = False

    def __init__(self, host: str, port: int, security: str, username: str, password: str | None, sender: str):
        self.host, self.port, self.security = host, port, security
        self.username, self.password, self.sender = username, password, sender
        self._client: smtplib.SMTP | None = None
        self._refused: Outcome | None = None   # a refused login fails every message of this run

    def _connect(self) -> smtplib.SMTP:
        if self._client is not None:
            return self._client
        context = ssl.create_default_context()
        if self.security == "ssl":
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=TIMEOUT, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT)
            if self.security == "starttls":
                client.starttls(context=context)
        if self.username:
            client.login(self.username, self.password or "")
        self._client = client
        return client

    def place(self, template_label: str, ticket: str) -> str:
        return ""

    def deliver(self, message: Outgoing, recipient: str, identity: str, location: str) -> Outcome:
        if self._refused is not None:
            return self._refused
        try:
            client = self._connect()
        except smtplib.SMTPAuthenticationError:
            self._refused = Outcome.unreachable(t("mail.smtp_login_failed", user=self.username))
            return self._refused
        except (OSError, smtplib.SMTPException, ssl.SSLError) as error:
            self._client = None
            return Outcome.unreachable(t("mail.smtp_connect_failed", server=f"{self.host}:{self.port}",
                                         error=_brief(error)))
        try:
            code, reply = client.mail(self.sender)
            if code != 250:
                client.rset()
                return Outcome.failed(t("mail.smtp_refused", code=code, reply=_text(reply)))
            code, reply = client.rcpt(recipient)
            if code not in (250, 251):
                client.rset()
                return Outcome.failed(t("mail.smtp_recipient_refused", code=code, reply=_text(reply)))
        except (OSError, smtplib.SMTPException) as error:
            self._client = None   # the envelope was refused or the connection dropped before any content
            return Outcome.unreachable(t("mail.smtp_connect_failed", server=f"{self.host}:{self.port}",
                                         error=_brief(error)))
        try:
            code, reply = client.data(message.as_bytes())
        except smtplib.SMTPDataError as error:
            client.rset()
            return Outcome.failed(t("mail.smtp_refused", code=error.smtp_code, reply=_text(error.smtp_error)))
        except (TimeoutError, OSError, smtplib.SMTPException) as error:
            self._client = None
            return Outcome.unknown(t("mail.smtp_interrupted", error=_brief(error)))
        return Outcome.sent() if code == 250 else Outcome.failed(t("mail.smtp_refused", code=code, reply=_text(reply)))

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._client.quit()
            self._client = None


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", errors="replace") if isinstance(reply, bytes) else str(reply)


def _brief(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:200]
