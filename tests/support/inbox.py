"""Received emails shaped as the mail programs customers use write them (Outlook, Foxmail, QQ
邮箱, Gmail, an old GBK client, an MTA's bounce), as raw bytes."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

SERVICE = "service@service.example.com"
CHINA = timezone(timedelta(hours=8))


def _date(when: datetime) -> str:
    return format_datetime(when.replace(tzinfo=CHINA))


def plain(sender: str, subject: str, body: str, when: datetime, msgid: str | None, *, name: str = "",
          in_reply_to: str | None = None, references: str | None = None, headers: dict | None = None) -> bytes:
    """A UTF-8 plain-text message (Outlook and most webmail)."""
    message = EmailMessage()
    message["From"] = f"{name} <{sender}>" if name else sender
    message["To"] = SERVICE
    message["Subject"] = subject
    message["Date"] = _date(when)
    if msgid:
        message["Message-ID"] = msgid
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for key, value in (headers or {}).items():
        message[key] = value
    message.set_content(body)
    return bytes(message)


def html_only(sender: str, subject: str, html: str, when: datetime, msgid: str) -> bytes:
    """HTML with no text part (QQ 邮箱's web client, many phones), quoted-printable."""
    return (f"From: {sender}\r\nTo: {SERVICE}\r\nSubject: =?utf-8?B?{base64.b64encode(subject.encode()).decode()}?=\r\n"
            f"Date: {_date(when)}\r\nMessage-ID: {msgid}\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/html; charset=\"utf-8\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + base64.encodebytes(html.encode()).decode().replace("\n", "\r\n")).encode("ascii")


def foxmail_gbk(sender: str, name: str, subject: str, body: str, when: datetime, msgid: str) -> bytes:
    """Foxmail: GB2312 encoded words in the headers, a GBK body in base64."""
    encoded_subject = base64.b64encode(subject.encode("gb2312")).decode()
    encoded_name = base64.b64encode(name.encode("gb2312")).decode()
    return (f"From: \"=?gb2312?B?{encoded_name}?=\" <{sender}>\r\nTo: {SERVICE}\r\n"
            f"Subject: =?gb2312?B?{encoded_subject}?=\r\nDate: {_date(when)}\r\nMessage-ID: {msgid}\r\n"
            "X-Mailer: Foxmail 7.2.25.254[cn]\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=\"GBK\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + base64.encodebytes(body.encode("gbk")).decode().replace("\n", "\r\n")).encode("ascii")


def raw_gbk(sender: str, subject: str, body: str, when: datetime, msgid: str) -> bytes:
    """An old client: GBK bytes straight in the headers and the body, no charset declared."""
    return (f"From: {sender}\r\nTo: {SERVICE}\r\n".encode("ascii") + b"Subject: " + subject.encode("gbk")
            + f"\r\nDate: {_date(when)}\r\nMessage-ID: {msgid}\r\nMIME-Version: 1.0\r\n"
              "Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".encode("ascii")
            + body.replace("\n", "\r\n").encode("gbk"))


def with_attachments(sender: str, subject: str, body: str, when: datetime, msgid: str,
                     files: dict[str, bytes]) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, SERVICE, subject
    message["Date"], message["Message-ID"] = _date(when), msgid
    message.set_content(body)
    for name, data in files.items():
        kind = ("image", "png") if name.endswith(".png") else ("application", "pdf")
        message.add_attachment(data, maintype=kind[0], subtype=kind[1], filename=name)
    return bytes(message)


def bounce(original_id: str, recipient: str, when: datetime, msgid: str) -> bytes:
    """A delivery status notification (RFC 3464) as Postfix writes it, returning our message's headers."""
    return (f"From: MAILER-DAEMON@mx.service.example.com (Mail Delivery System)\r\nTo: {SERVICE}\r\n"
            f"Subject: Undelivered Mail Returned to Sender\r\nDate: {_date(when)}\r\nMessage-ID: {msgid}\r\n"
            "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=delivery-status; boundary=\"BOUND\"\r\n\r\n"
            "--BOUND\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
            "This is the mail system at host mx.service.example.com.\r\nI'm sorry to have to inform you that your"
            " message could not be delivered.\r\n\r\n"
            "--BOUND\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; mx.service.example.com\r\n\r\n"
            f"Final-Recipient: rfc822; {recipient}\r\nOriginal-Recipient: rfc822;{recipient}\r\nAction: failed\r\n"
            "Status: 5.1.1\r\nRemote-MTA: dns; mx.nowhere.example.com\r\n"
            f"Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address rejected: User unknown\r\n\r\n"
            "--BOUND\r\nContent-Type: text/rfc822-headers\r\n\r\n"
            f"From: {SERVICE}\r\nTo: {recipient}\r\nSubject: =?utf-8?b?5Y+X55CG6YCa55+l?=\r\n"
            f"Message-ID: {original_id}\r\n\r\n--BOUND--\r\n").encode("ascii")


def drop(inbox: Path, messages: dict[str, bytes]) -> None:
    """Put messages into the inbox folder, oldest first as named."""
    inbox.mkdir(parents=True, exist_ok=True)
    for n, (name, data) in enumerate(messages.items()):
        path = inbox / name
        path.write_bytes(data)
        stamp = 1_700_000_000 + n
        import os
        os.utime(path, (stamp, stamp))
