"""Microsoft 365 mail through Graph, with the application the Graph transport uses (client
credentials, Mail.ReadWrite): the folder's messages listed oldest first, each read as its MIME
(`$value`), taken ones moved to the 已处理 folder (made when missing). Throttling (429, 503, 504)
waits the server's Retry-After a bounded number of times."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import requests

from servicebook.errors import CannotRun
from servicebook.mail.sources import UNREADABLE_FOLDER, Raw
from servicebook.mail.transports import Setup
from servicebook.mail.transports.graph import RETRIES, TIMEOUT, TokenError, msal_token_provider, waited_out
from servicebook.text import t

PAGE = 50
WELL_KNOWN = {"inbox": "inbox", "收件箱": "inbox"}


def from_settings(setup: Setup) -> GraphSource:
    client, graph = setup.require("ms_client_id"), setup.require("graph_url")
    token = msal_token_provider(setup.require("login_url"), setup.require("ms_tenant"), client,
                                setup.require_secret("client_secret", client), graph)
    return GraphSource(graph, setup.require("mail_from"), token, setup.text("imap_folder") or "INBOX",
                       setup.text("imap_taken") or "已处理")


class GraphSource:
    name = "graph"

    def __init__(self, graph_url: str, mailbox: str, token: Callable[[], str], folder: str, taken: str,
                 session: requests.Session | None = None):
        self.base = f"{graph_url.rstrip('/')}/v1.0/users/{quote(mailbox, safe='@')}"
        self.token, self.folder, self.taken_folder = token, folder, taken
        self.session = session or requests.Session()
        self._folders: dict[str, str] = {}

    def _call(self, method: str, url: str, **kwargs) -> requests.Response:
        try:
            token = self.token()
        except (TokenError, requests.RequestException) as error:
            raise CannotRun(t("intake.graph_failed", error=str(error)[:200] or type(error).__name__)) from None
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        for attempt in range(RETRIES + 1):
            try:
                response = self.session.request(method, url, headers=headers, timeout=TIMEOUT, **kwargs)
            except requests.RequestException as error:
                raise CannotRun(t("intake.graph_failed", error=type(error).__name__)) from None
            if waited_out(response, attempt):
                continue
            if response.status_code >= 400:
                raise CannotRun(t("intake.graph_refused", code=response.status_code, error=response.text[:200]))
            return response
        raise CannotRun(t("mail.server_busy", attempts=RETRIES + 1))

    def _folder_id(self, name: str, create: bool) -> str:
        if name.lower() in WELL_KNOWN:
            return WELL_KNOWN[name.lower()]
        if name in self._folders:
            return self._folders[name]
        escaped = name.replace("'", "''")
        found = self._call("GET", f"{self.base}/mailFolders",
                           params={"$filter": f"displayName eq '{escaped}'", "$select": "id,displayName"}).json()
        folders = found.get("value", [])
        if folders:
            self._folders[name] = folders[0]["id"]
        elif create:
            made = self._call("POST", f"{self.base}/mailFolders", json={"displayName": name})
            self._folders[name] = made.json()["id"]
        else:
            raise CannotRun(t("intake.imap_no_folder", folder=name))
        return self._folders[name]

    def fetch(self) -> list[Raw]:
        url = f"{self.base}/mailFolders/{self._folder_id(self.folder, False)}/messages"
        params: dict | None = {"$select": "id,internetMessageId", "$orderby": "receivedDateTime", "$top": str(PAGE)}
        ids: list[str] = []
        while url:
            page = self._call("GET", url, params=params).json()
            ids += [item["id"] for item in page.get("value", [])]
            url, params = page.get("@odata.nextLink"), None   # the next link carries its own query
        return [Raw(item, t("intake.graph_label", folder=self.folder, id=item[-12:]),
                    self._call("GET", f"{self.base}/messages/{quote(item, safe='')}/$value").content) for item in ids]

    def _move(self, keys: list[str], where: str) -> None:
        if not keys:
            return
        target = self._folder_id(where, True)
        for key in keys:
            self._call("POST", f"{self.base}/messages/{quote(key, safe='')}/move", json={"destinationId": target})

    def taken(self, keys: list[str]) -> None:
        self._move(keys, self.taken_folder)

    def set_aside(self, keys: list[str]) -> None:
        self._move(keys, UNREADABLE_FOLDER)

    def close(self) -> None:
        self.session.close()
