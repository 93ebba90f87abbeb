"""The Exchange account the EWS transport sends from and the EWS intake reads: a given endpoint,
no autodiscover, NTLM, Basic or OAuth2 (impersonating the mailbox), as 设置 says.

exchangelib's FaultTolerance policy would retry a request whose answer was lost, which can send
twice; so the policy is FailFast, and callers retry only an explicit "server busy"."""

from __future__ import annotations

from servicebook.mail.transports import Setup

EXCHANGE_BUILD = (15, 1)   # Exchange 2016 and later, Exchange Online: requests need no version probe


def account_from_settings(setup: Setup):
    url, mailbox = setup.require("ews_url"), setup.require("mail_from")
    if setup.settings["ews_auth"] == "oauth2":
        client = setup.require("ms_client_id")
        return ews_account(url, "oauth2", "", None, mailbox, client_id=client,
                           client_secret=setup.require_secret("client_secret", client),
                           tenant=setup.require("ms_tenant"))
    user = setup.require("mail_username")
    return ews_account(url, setup.settings["ews_auth"], user, setup.require_secret("password", user), mailbox)


def ews_account(url: str, auth: str, username: str, password: str | None, mailbox: str, client_id: str = "",
                client_secret: str | None = None, tenant: str = ""):
    from exchangelib import DELEGATE, IMPERSONATION, Account, Configuration, Credentials, Identity, OAuth2Credentials
    from exchangelib.protocol import FailFast
    from exchangelib.transport import BASIC, NTLM, OAUTH2
    from exchangelib.version import Build, Version

    if auth == "oauth2":
        credentials = OAuth2Credentials(client_id=client_id, client_secret=client_secret or "", tenant_id=tenant,
                                        identity=Identity(primary_smtp_address=mailbox))
        access = IMPERSONATION
    else:
        credentials = Credentials(username=username, password=password or "")
        access = DELEGATE
    config = Configuration(service_endpoint=url, credentials=credentials,
                           auth_type={"ntlm": NTLM, "basic": BASIC, "oauth2": OAUTH2}[auth],
                           version=Version(build=Build(*EXCHANGE_BUILD)), retry_policy=FailFast())
    return Account(primary_smtp_address=mailbox, config=config, autodiscover=False, access_type=access)
