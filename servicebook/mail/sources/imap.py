"""An IMAP mailbox (TLS; the login's password from the keyring or SERVICEBOOK_IMAP_PASSWORD), read
with IMAPClient, which speaks the folder names' modified UTF-7 (已处理) and MOVE where the server
has it. Messages are read with BODY.PEEK, so reading marks nothing; taken ones move to the
已处理 folder (made when missing)."""

from __future__ import annotations

import contextlib
import ssl

from servicebook.errors import CannotRun
from servicebook.mail.sources import UNREADABLE_FOLDER, Raw
from servicebook.mail.transports import Setup
from servicebook.text import t

TIMEOUT = 60
BATCH = 100


def from_settings(setup: Setup) -> ImapSource:
    user = setup.text("imap_username") or setup.require("mail_username")
    password = setup.require_secret("imap_password", user)
    return ImapSource(setup.require("imap_host"), int(setup.settings["imap_port"]), setup.settings["imap_security"],
                      user, password, setup.text("imap_folder") or "INBOX", setup.text("imap_taken") or "已处理")


class ImapSource:
    name = "imap"

    def __init__(self, host: str, port: int, security: str, user: str, password: str, folder: str, taken: str):
        self.host, self.port, self.security = host, port, security
        self.user, self.password, self.folder, self.taken_folder = user, password, folder, taken
        self._client = None

    def _connect(self):
        if self._client is not None:
            return self._client
        from imapclient import IMAPClient
        from imapclient.exceptions import LoginError

        context = ssl.create_default_context()
        try:
            client = IMAPClient(self.host, self.port, ssl=self.security == "ssl", ssl_context=context,
                                timeout=TIMEOUT)
            if self.security == "starttls":
                client.starttls(context)
            client.login(self.user, self.password)
        except LoginError:
            raise CannotRun(t("intake.imap_login_failed", user=self.user, host=self.host)) from None
        except (OSError, ssl.SSLError) as error:
            raise CannotRun(t("intake.imap_unreachable", host=self.host, port=self.port,
                              error=type(error).__name__)) from None
        try:
            client.select_folder(self.folder)
        except Exception:
            client.logout()
            raise CannotRun(t("intake.imap_no_folder", folder=self.folder)) from None
        self._client = client
        return client

    def fetch(self) -> list[Raw]:
        client = self._connect()
        uids = sorted(client.search("ALL"))
        found: list[Raw] = []
        for start in range(0, len(uids), BATCH):
            batch = uids[start:start + BATCH]
            for uid, data in sorted(client.fetch(batch, ["BODY.PEEK[]"]).items()):
                body = data.get(b"BODY[]")
                if body:
                    found.append(Raw(str(uid), t("intake.imap_label", folder=self.folder, uid=uid), bytes(body)))
        return found

    def _move(self, keys: list[str], where: str) -> None:
        if not keys:
            return
        client = self._connect()
        if not client.folder_exists(where):
            client.create_folder(where)
        uids = [int(k) for k in keys]
        if client.has_capability("MOVE"):
            client.move(uids, where)
        else:
            client.copy(uids, where)
            client.delete_messages(uids)
            client.expunge(uids) if client.has_capability("UIDPLUS") else client.expunge()

    def taken(self, keys: list[str]) -> None:
        self._move(keys, self.taken_folder)

    def set_aside(self, keys: list[str]) -> None:
        self._move(keys, UNREADABLE_FOLDER)

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):   # the server has gone: nothing left to close
                self._client.logout()
            self._client = None
