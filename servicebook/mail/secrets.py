"""Mail passwords and application secrets: from environment variables or the operating system's
keyring, never from the workbook, the repository or a log."""

from __future__ import annotations

import os

from servicebook.keyring_lookup import stored_password

SERVICE = "servicebook"
ENVIRONMENT = {"password": "SERVICEBOOK_MAIL_PASSWORD", "client_secret": "SERVICEBOOK_MAIL_CLIENT_SECRET",
               "robot_webhook": "SERVICEBOOK_ROBOT_WEBHOOK", "robot_secret": "SERVICEBOOK_ROBOT_SECRET",
               "imap_password": "SERVICEBOOK_IMAP_PASSWORD", "db_password": "SERVICEBOOK_DB_PASSWORD"}


def keyring_name(kind: str, account: str) -> str:
    return f"{kind}:{account}"


def find_secret(kind: str, account: str) -> str | None:
    from_environment = os.environ.get(ENVIRONMENT[kind])
    if from_environment:
        return from_environment
    return stored_password(SERVICE, keyring_name(kind, account))


def store_secret(kind: str, account: str, value: str) -> None:
    import keyring

    keyring.set_password(SERVICE, keyring_name(kind, account), value)
