"""Exchange through EWS, with the account the EWS transport uses: the folder's items oldest first,
each read as its MIME content, taken ones moved to the 已处理 folder under the mailbox's top
(made when missing). A busy server is said, and the next run reads again."""

from __future__ import annotations

from servicebook.errors import CannotRun
from servicebook.mail.ews_account import account_from_settings
from servicebook.mail.sources import UNREADABLE_FOLDER, Raw
from servicebook.mail.transports import Setup
from servicebook.text import t

INBOX = ("inbox", "收件箱")
SEPARATOR = "\t"   # between an item's id and its change key, in the key the job hands back


def from_settings(setup: Setup) -> EwsSource:
    return EwsSource(account_from_settings(setup), setup.text("imap_folder") or "INBOX",
                     setup.text("imap_taken") or "已处理")


def _failed(error: Exception) -> CannotRun:
    return CannotRun(t("intake.ews_failed", error=f"{type(error).__name__}: {error}"[:200]))


class EwsSource:
    name = "ews"

    def __init__(self, account, folder: str, taken: str):
        self.account, self.folder, self.taken_folder = account, folder, taken

    def _folder(self, name: str, create: bool):
        from exchangelib import Folder
        from exchangelib.errors import ErrorFolderNotFound

        if name.lower() in INBOX:
            return self.account.inbox
        root = self.account.msg_folder_root
        try:
            return root / name
        except ErrorFolderNotFound:
            if not create:
                raise CannotRun(t("intake.imap_no_folder", folder=name)) from None
        folder = Folder(parent=root, name=name)
        folder.save()
        return folder

    def fetch(self) -> list[Raw]:
        try:
            items = self._folder(self.folder, False).all().order_by("datetime_received").only("mime_content")
            return [Raw(f"{item.id}{SEPARATOR}{item.changekey}", t("intake.ews_label", folder=self.folder,
                                                                    id=item.id[-12:]), bytes(item.mime_content))
                    for item in items if item.mime_content]
        except CannotRun:
            raise
        except Exception as error:  # exchangelib's transport and response errors
            raise _failed(error) from None

    def _move(self, keys: list[str], where: str) -> None:
        if not keys:
            return
        try:
            target = self._folder(where, True)
            self.account.bulk_move(ids=[tuple(key.split(SEPARATOR, 1)) for key in keys], to_folder=target)
        except CannotRun:
            raise
        except Exception as error:  # exchangelib's transport and response errors
            raise _failed(error) from None

    def taken(self, keys: list[str]) -> None:
        self._move(keys, self.taken_folder)

    def set_aside(self, keys: list[str]) -> None:
        self._move(keys, UNREADABLE_FOLDER)

    def close(self) -> None:
        self.account.protocol.close()
