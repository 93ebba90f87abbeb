"""Microsoft Graph for Exchange Online (and 21Vianet's Microsoft 365 in China): the message goes
as base64 MIME to sendMail (kept in Sent Items) or to messages (a draft), with a token from msal
(client credentials). Throttling (429, 503) is retried a bounded number of times after the
server's Retry-After; a lost answer leaves the outcome unknown."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from urllib.parse import quote

import requests

from servicebook.mail.transports import Outcome, Setup
from servicebook.mail.transports.network import never_connected
from servicebook.mail.wire import Outgoing
from servicebook.text import t

TIMEOUT = (10, 60)   # connect, read
RETRIES = 3
MAX_BACK_OFF = 60.0


class TokenError(Exception):
    pass


def waited_out(response: requests.Response, attempt: int) -> bool:
    """Throttled (429, 503, 504) with tries left: wait the server's Retry-After, bounded, and say
    to try again."""
    if response.status_code not in (429, 503, 504) or attempt >= RETRIES:
        return False
    time.sleep(min(float(response.headers.get("Retry-After") or 2 ** attempt), MAX_BACK_OFF))
    return True


def msal_token_provider(login_url: str, tenant: str, client_id: str, secret: str, graph_url: str) -> Callable[[], str]:
    """Client-credentials tokens for Graph, cached by msal until they expire."""
    import msal

    # The login host is named in 设置 (global or 21Vianet): no instance discovery is needed.
    app = msal.ConfidentialClientApplication(client_id, authority=f"{login_url.rstrip('/')}/{tenant}",
                                             client_credential=secret, instance_discovery=False)
    scopes = [f"{graph_url.rstrip('/')}/.default"]

    def token() -> str:
        result = app.acquire_token_for_client(scopes=scopes)
        if "access_token" not in result:
            raise TokenError(result.get("error_description") or result.get("error") or "no token")
        return result["access_token"]

    return token


def from_settings(setup: Setup) -> GraphTransport:
    client, graph = setup.require("ms_client_id"), setup.require("graph_url")
    token = msal_token_provider(setup.require("login_url"), setup.require("ms_tenant"), client,
                                setup.require_secret("client_secret", client), graph)
    return GraphTransport(graph, setup.require("mail_from"), token, setup.settings["mail_save"])


class GraphTransport:
    name = "graph"
    exact_recovery = False

    def __init__(self, graph_url: str, sender: str, token: Callable[[], str], save: str,
                 session: requests.Session | None = None):
        user = quote(sender, safe="@")
        path = "messages" if save == "draft" else "sendMail"
        self.url = f"{graph_url.rstrip('/')}/v1.0/users/{user}/{path}"
        self.save = save
        self.token = token
        self.session = session or requests.Session()

    def place(self, template_label: str, ticket: str) -> str:
        return ""

    def deliver(self, message: Outgoing, recipient: str, identity: str, location: str) -> Outcome:
        try:
            token = self.token()
        except TokenError as error:
            return Outcome.unreachable(t("mail.graph_token", error=str(error)[:200]))
        except requests.RequestException as error:
            return Outcome.unreachable(t("mail.graph_token", error=type(error).__name__))
        body = base64.b64encode(message.as_bytes())
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/plain"}
        for attempt in range(RETRIES + 1):
            try:
                response = self.session.post(self.url, data=body, headers=headers, timeout=TIMEOUT)
            except requests.RequestException as error:
                if never_connected(error):
                    return Outcome.unreachable(t("mail.graph_unreachable", error=type(error).__name__))
                if not isinstance(error, (requests.ConnectionError, requests.Timeout)):   # a bad URL, say
                    return Outcome.failed(t("mail.graph_unreachable", error=type(error).__name__))
                return Outcome.unknown(t("mail.connection_lost", error=type(error).__name__))
            if response.status_code in (200, 201, 202):
                return Outcome.draft() if self.save == "draft" else Outcome.sent()
            if waited_out(response, attempt):
                continue
            return Outcome.failed(t("mail.graph_refused", code=response.status_code, error=_graph_error(response)))
        return Outcome.failed(t("mail.server_busy", attempts=RETRIES + 1))

    def close(self) -> None:
        self.session.close()


def _graph_error(response: requests.Response) -> str:
    try:
        error = response.json().get("error", {})
        return f"{error.get('code', '')} {error.get('message', '')}".strip()[:200]
    except ValueError:
        return response.text[:200]
