"""Exchange Web Services through exchangelib: a given endpoint, no autodiscover, NTLM, Basic or
OAuth2. The message goes as our own MIME (both parts, our Message-ID) with the recipient set.

exchangelib's FaultTolerance policy would retry a request whose answer was lost, which can send
twice; so the policy is FailFast, and only an explicit "server busy" (the request was not
processed) is retried here, a bounded number of times."""

from __future__ import annotations

import time

from servicebook.mail.ews_account import account_from_settings
from servicebook.mail.transports import Outcome, Setup
from servicebook.mail.transports.network import never_connected
from servicebook.mail.wire import Outgoing
from servicebook.text import t

BUSY_RETRIES = 3
MAX_BACK_OFF = 30.0


def from_settings(setup: Setup) -> EwsTransport:
    return EwsTransport(account_from_settings(setup), setup.settings["mail_save"])


class EwsTransport:
    name = "ews"
    exact_recovery = False

    def __init__(self, account, save: str):
        self.account = account
        self.save = save

    def _hand_over(self, message: Outgoing, recipient: str) -> None:
        from exchangelib import Mailbox, Message

        item = Message(account=self.account, mime_content=message.as_bytes(),
                       to_recipients=[Mailbox(email_address=recipient)])
        if self.save == "draft":
            item.folder = self.account.drafts
            item.save()
        elif self.save == "send_and_save":
            item.send_and_save()
        else:
            item.send(save_copy=False)

    def place(self, template_label: str, ticket: str) -> str:
        return ""

    def deliver(self, message: Outgoing, recipient: str, identity: str, location: str) -> Outcome:
        from exchangelib.errors import (
            ErrorInternalServerTransientError,
            ErrorServerBusy,
            ErrorTimeoutExpired,
            TransportError,
            UnauthorizedError,
        )

        for attempt in range(BUSY_RETRIES + 1):
            try:
                self._hand_over(message, recipient)
                return Outcome.draft() if self.save == "draft" else Outcome.sent()
            except (ErrorServerBusy, ErrorInternalServerTransientError) as error:
                if attempt == BUSY_RETRIES:
                    return Outcome.failed(t("mail.server_busy", attempts=attempt + 1))
                wait = getattr(error, "back_off", None) or 2 ** attempt
                time.sleep(min(float(wait), MAX_BACK_OFF))
            except UnauthorizedError:
                return Outcome.unreachable(t("mail.ews_unauthorized"))
            except ErrorTimeoutExpired as error:   # exchangelib's name for any connection error
                if never_connected(error):
                    return Outcome.unreachable(t("mail.ews_unreachable", error=str(error)[:200]))
                return Outcome.unknown(t("mail.connection_lost", error=str(error)[:200]))
            except TransportError as error:        # TLS, redirects: refused before any content
                return Outcome.unreachable(t("mail.ews_error", error=str(error)[:200]))
            except Exception as error:  # an EWS response code: the server refused this message
                return Outcome.failed(t("mail.ews_error", error=f"{type(error).__name__}: {error}"[:200]))
        return Outcome.failed(t("mail.server_busy", attempts=BUSY_RETRIES + 1))

    def close(self) -> None:
        self.account.protocol.close()
