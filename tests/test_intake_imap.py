"""Intake from a real IMAP server: Dovecot on loopback (TLS, a passwd-file login, a throwaway
maildir), the customers' mail put in with IMAP APPEND, `servicebook intake` reading it with the
password from the environment, and the taken mail moved to 已处理 on the server."""

from __future__ import annotations

import ssl
from datetime import datetime

import pytest
from imapclient import IMAPClient

from tests.support import inbox as mails
from tests.support.dovecot import dovecot
from tests.support.runs import by_header
from tests.support.workbooks import set_setting
from tests.test_intake import LATER, caseload, fixture_set


@pytest.fixture
def imap(certificate):
    with dovecot(certificate) as server:
        yield server


def _client(imap) -> IMAPClient:
    client = IMAPClient(imap.host, imap.port, ssl=True, ssl_context=ssl.create_default_context())
    client.login(imap.user, imap.password)
    return client


def _use_imap(path, imap, monkeypatch, password=None):
    for label, value in {"收件方式": "IMAP", "IMAP服务器": imap.host, "IMAP端口": imap.port,
                         "收件账号": imap.user}.items():
        set_setting(path, label, value)
    monkeypatch.setenv("SERVICEBOOK_IMAP_PASSWORD", password or imap.password)


@pytest.fixture
def mailed(tmp_path, cli):
    path = caseload(tmp_path)
    assert cli("mail", path, "--now", "2024-05-31 18:00").code == 0
    return path


def test_mail_on_an_imap_server_becomes_records_and_moves_to_the_taken_folder(mailed, imap, cli, monkeypatch):
    messages = fixture_set(mailed)
    client = _client(imap)
    for data in messages.values():
        client.append("INBOX", data)
    _use_imap(mailed, imap, monkeypatch)
    rows = len(by_header(mailed, "服务记录"))

    done = cli("intake", mailed, "--now", LATER, "--json")
    assert done.code == 0, done.err
    report = done.json()
    assert report["source"] == "IMAP"
    assert report["counts"] == {"new": 8, "reply": 3, "confirm": 1, "rating": 6, "bounce": 1, "skip": 5}
    assert report["already"] == 2
    assert len(by_header(mailed, "服务记录")) == rows + 8

    client.select_folder("INBOX")
    assert client.search("ALL") == []
    taken = client.select_folder("已处理")
    assert taken[b"EXISTS"] == len(messages)
    # Read with BODY.PEEK: the messages are still unread for the person who looks at the mailbox.
    assert len(client.search("UNSEEN")) == len(messages)
    client.logout()

    again = cli("intake", mailed, "--now", LATER, "--json")
    assert again.code == 0 and again.json()["items"] == [] and again.json()["already"] == 0


def test_a_wrong_imap_password_is_said_in_chinese_and_nothing_changes(mailed, imap, cli, monkeypatch):
    _client(imap).append("INBOX", mails.plain("lilei@example.com", "订单", "你好", datetime(2024, 5, 31, 19),
                                              "<wrong-pw@example.com>"))
    _use_imap(mailed, imap, monkeypatch, password="not-the-password")
    before = mailed.read_bytes()
    done = cli("intake", mailed, "--now", LATER)
    assert done.code == 2
    assert f"IMAP 服务器 127.0.0.1 拒绝了账号 {imap.user} 的登录" in done.err
    assert mailed.read_bytes() == before


def test_the_nightly_run_goes_on_when_the_mailbox_cannot_be_reached(mailed, imap, cli, monkeypatch):
    _use_imap(mailed, imap, monkeypatch)
    set_setting(mailed, "IMAP端口", imap.port + 1 if imap.port < 65535 else imap.port - 1)
    done = cli("run", mailed, "--now", LATER, "--json")
    assert done.code == 0, done.err
    assert done.json()["intake"]["error"].startswith("连不上 IMAP 服务器 127.0.0.1:")
    assert "未能读取客户来信：连不上 IMAP 服务器" in done.err
