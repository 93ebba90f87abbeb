"""Intake from Microsoft 365 (Graph) and Exchange (EWS), tested at their boundary: loopback HTTPS
servers that keep a mailbox and answer the documented requests — Graph's messages, $value,
mailFolders and move; EWS's FindItem, GetItem (MimeContent), FindFolder, CreateFolder and
MoveItem — so the test sees exactly what would go to the real service, and what it does to the
mailbox. (The real services are not reachable from here.)"""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from tests.support import inbox as mails
from tests.support.ews import response
from tests.support.https import HttpsServer, Reply
from tests.support.runs import by_header
from tests.support.workbooks import set_setting
from tests.test_intake import LATER, caseload

USER = mails.SERVICE


def _messages() -> dict[str, bytes]:
    return {f"AAMk{n:04d}": mails.plain(f"buyer{n}@example.com", f"咨询 {n}", f"第 {n} 个问题。",
                                       datetime(2024, 5, 31, 20, n), f"<exchange-{n}@example.com>") for n in range(3)}


LATE_ONE = mails.plain("late@example.com", "再问一下", "还有一个问题。", datetime(2024, 5, 31, 22),
                       "<late@example.com>")


def _take_twice(cli, path, settings, inbox: dict):
    """Intake with these settings; then one more message arrives, and intake again."""
    for label, value in settings:
        set_setting(path, label, value)
    done = cli("intake", path, "--now", LATER, "--json")
    inbox["AAMk0100"] = LATE_ONE
    return done, cli("intake", path, "--now", LATER, "--json")


# ------------------------------------------------------------------ Graph


class GraphMailbox:
    def __init__(self, messages: dict[str, bytes]):
        self.folders: dict[str, dict[str, bytes]] = {"inbox": dict(messages)}
        self.names = {"inbox": "Inbox"}

    def answer(self, request, server):
        url = urlsplit(request.path)
        path, query = unquote(url.path), parse_qs(url.query)
        if path.endswith("/.well-known/openid-configuration"):
            base = f"{server.url}/tenant-1"
            return Reply(200, json.dumps({"token_endpoint": f"{base}/oauth2/v2.0/token", "issuer": f"{base}/v2.0",
                                          "authorization_endpoint": f"{base}/oauth2/v2.0/authorize"}).encode())
        if path.endswith("/oauth2/v2.0/token"):
            return Reply(200, b'{"token_type": "Bearer", "expires_in": 3600, "access_token": "GRAPH-TOKEN"}')
        assert request.headers["Authorization"] == "Bearer GRAPH-TOKEN"
        base = f"/v1.0/users/{USER}"
        assert path.startswith(base), path
        rest = path[len(base):]
        if found := re.fullmatch(r"/mailFolders/([^/]+)/messages", rest):
            ids = list(self.folders[found.group(1)])
            start = int(query.get("skip", ["0"])[0])
            page = {"value": [{"id": i, "internetMessageId": f"<{i}>"} for i in ids[start:start + 2]]}
            if start + 2 < len(ids):   # Graph pages as it likes: two at a time here
                page["@odata.nextLink"] = f"{server.url}{base}/mailFolders/{found.group(1)}/messages?skip={start + 2}"
            return Reply(200, json.dumps(page).encode())
        if found := re.fullmatch(r"/messages/([^/]+)/\$value", rest):
            box = next(f for f in self.folders.values() if found.group(1) in f)
            return Reply(200, box[found.group(1)], "text/plain")
        if rest == "/mailFolders" and request.method == "GET":
            name = re.fullmatch(r"displayName eq '(.*)'", query["$filter"][0]).group(1)
            hits = [{"id": k, "displayName": v} for k, v in self.names.items() if v == name]
            return Reply(200, json.dumps({"value": hits}).encode())
        if rest == "/mailFolders" and request.method == "POST":
            name = json.loads(request.body)["displayName"]
            folder_id = f"folder-{len(self.names)}"
            self.names[folder_id], self.folders[folder_id] = name, {}
            return Reply(201, json.dumps({"id": folder_id, "displayName": name}).encode())
        if found := re.fullmatch(r"/messages/([^/]+)/move", rest):
            target = json.loads(request.body)["destinationId"]
            source = next(f for f in self.folders.values() if found.group(1) in f)
            self.folders[target][found.group(1)] = source.pop(found.group(1))
            return Reply(201, json.dumps({"id": found.group(1)}).encode())
        raise AssertionError(f"unexpected {request.method} {request.path}")


def test_graph_mail_becomes_records_and_moves_to_the_taken_folder(tmp_path, cli, certificate, monkeypatch):
    path = caseload(tmp_path)
    mailbox = GraphMailbox(_messages())
    monkeypatch.setenv("SERVICEBOOK_MAIL_CLIENT_SECRET", "app-secret")
    with HttpsServer(certificate, mailbox.answer) as server:
        settings = (("收件方式", "Microsoft 365 Graph"), ("Microsoft 365 租户ID", "tenant-1"),
                    ("应用ID", "client-1"), ("Graph地址", server.url), ("登录地址", server.url))
        done, again = _take_twice(cli, path, settings, mailbox.folders["inbox"])
    assert done.code == 0, done.err
    assert done.json()["source"] == "Microsoft 365 Graph" and done.json()["counts"]["new"] == 3
    assert sorted(r["电子邮箱"] for r in by_header(path, "服务记录") if r["服务渠道"] == "邮件") == \
        ["buyer0@example.com", "buyer1@example.com", "buyer2@example.com", "late@example.com"]
    assert mailbox.folders["inbox"] == {}
    assert mailbox.names["folder-1"] == "已处理"
    assert sorted(mailbox.folders["folder-1"]) == sorted([*_messages(), "AAMk0100"])
    creates = [r for r in server.requests if r.method == "POST" and r.path.endswith("/mailFolders")]
    assert len(creates) == 1    # made once, then found
    assert again.code == 0 and [i["sender"] for i in again.json()["items"]] == ["late@example.com"]


# ------------------------------------------------------------------ EWS

def _folder_xml(folder_id: str, name: str, children: int = 0, parent: str | None = None) -> str:
    up = f'<t:ParentFolderId Id="{parent}" ChangeKey="ck"/>' if parent else ""
    return (f'<t:Folder><t:FolderId Id="{folder_id}" ChangeKey="ck"/>{up}<t:FolderClass>IPF.Note</t:FolderClass>'
            f'<t:DisplayName>{name}</t:DisplayName><t:TotalCount>0</t:TotalCount>'
            f'<t:ChildFolderCount>{children}</t:ChildFolderCount><t:UnreadCount>0</t:UnreadCount></t:Folder>')


def _xml(body: bytes) -> Reply:
    return Reply(200, body, "text/xml; charset=utf-8")


class EwsMailbox:
    def __init__(self, messages: dict[str, bytes]):
        self.folders: dict[str, dict[str, bytes]] = {"inbox-id": dict(messages)}
        self.names = {"inbox-id": "Inbox", "root-id": "Top of Information Store", "top-id": "root"}
        self.operations: list[str] = []

    def _distinguished(self, name: str) -> str:
        """Exchange's well-known folders: ours by their ids, the others (calendar, contacts …) as found."""
        ids = {"inbox": "inbox-id", "msgfolderroot": "root-id", "root": "top-id"}
        folder_id = ids.get(name, f"{name}-id")
        parent = None if name == "root" else ("top-id" if name == "msgfolderroot" else "root-id")
        children = len(self.names) if name in ("root", "msgfolderroot") else 0
        return _folder_xml(folder_id, self.names.get(folder_id, name), children, parent)

    def answer(self, request, server):
        body = request.body.decode()
        op = re.search(r"<m:(\w+)[ >]", body).group(1)
        self.operations.append(op)
        if op == "GetFolder":
            folders = [self._distinguished(w) for w in re.findall(r'DistinguishedFolderId Id="(\w+)"', body)]
            by_id = re.findall(r'<t:FolderId Id="([^"]+)"', body)
            folders += [_folder_xml(f, self.names[f], 0, "root-id") for f in by_id]
            return _xml(response("GetFolder", [f"<m:Folders>{folder}</m:Folders>" for folder in folders]))
        if op == "FindFolder":
            kids = [(k, v) for k, v in self.names.items() if k not in ("root-id", "top-id")]
            inner = (f'<m:RootFolder TotalItemsInView="{len(kids)}" IncludesLastItemInRange="true"><t:Folders>'
                     + "".join(_folder_xml(k, v, parent="root-id") for k, v in kids) + "</t:Folders></m:RootFolder>")
            return _xml(response("FindFolder", [inner]))
        if op == "CreateFolder":
            name = re.search(r"<t:DisplayName>([^<]+)</t:DisplayName>", body).group(1)
            folder_id = f"folder-{len(self.names)}"
            self.names[folder_id], self.folders[folder_id] = name, {}
            inner = f'<m:Folders><t:Folder><t:FolderId Id="{folder_id}" ChangeKey="ck"/></t:Folder></m:Folders>'
            return _xml(response("CreateFolder", [inner]))
        if op == "FindItem":
            found = re.search(r'<t:FolderId Id="([^"]+)"', body) or re.search(r'DistinguishedFolderId Id="(\w+)"', body)
            folder = {"inbox": "inbox-id"}.get(found.group(1), found.group(1))
            ids = list(self.folders[folder])
            items = "".join(f'<t:Message><t:ItemId Id="{i}" ChangeKey="ck-{i}"/></t:Message>' for i in ids)
            inner = (f'<m:RootFolder TotalItemsInView="{len(ids)}" IncludesLastItemInRange="true">'
                     f"<t:Items>{items}</t:Items></m:RootFolder>")
            return _xml(response("FindItem", [inner]))
        if op == "GetItem":
            wanted = re.findall(r'<t:ItemId Id="([^"]+)"', body)
            assert "item:MimeContent" in body
            parts = []
            for item in wanted:
                data = next(f for f in self.folders.values() if item in f)[item]
                parts.append(f'<m:Items><t:Message><t:MimeContent CharacterSet="UTF-8">'
                             f'{base64.b64encode(data).decode()}</t:MimeContent><t:ItemId Id="{item}" '
                             f'ChangeKey="ck-{item}"/></t:Message></m:Items>')
            return _xml(response("GetItem", parts))
        if op == "MoveItem":
            target = re.search(r'<m:ToFolderId><t:FolderId Id="([^"]+)"', body).group(1)
            moved = re.findall(r'<t:ItemId Id="([^"]+)" ChangeKey="([^"]+)"', body)
            parts = []
            for item, change_key in moved:
                assert change_key == f"ck-{item}"
                source = next(f for f in self.folders.values() if item in f)
                self.folders[target][item] = source.pop(item)
                parts.append(f'<m:Items><t:Message><t:ItemId Id="{item}-moved" ChangeKey="ck"/></t:Message></m:Items>')
            return _xml(response("MoveItem", parts))
        raise AssertionError(f"unexpected EWS operation {op}: {body[:300]}")


@pytest.fixture
def ews_path(tmp_path, monkeypatch):
    path = caseload(tmp_path)
    monkeypatch.setenv("SERVICEBOOK_MAIL_PASSWORD", "ews-password")
    return path


def test_ews_mail_becomes_records_and_moves_to_the_taken_folder(ews_path, cli, certificate):
    mailbox = EwsMailbox(_messages())
    with HttpsServer(certificate, mailbox.answer) as server:
        settings = (("收件方式", "Exchange EWS"), ("EWS地址", server.url + "/EWS/Exchange.asmx"),
                    ("EWS认证方式", "Basic"), ("邮件账号", "svc-mail"))
        done, again = _take_twice(cli, ews_path, settings, mailbox.folders["inbox-id"])
    assert done.code == 0, done.err
    assert done.json()["source"] == "Exchange EWS" and done.json()["counts"]["new"] == 3
    assert sorted(r["电子邮箱"] for r in by_header(ews_path, "服务记录") if r["服务渠道"] == "邮件") == \
        ["buyer0@example.com", "buyer1@example.com", "buyer2@example.com", "late@example.com"]
    assert mailbox.folders["inbox-id"] == {}
    taken = next(k for k, v in mailbox.names.items() if v == "已处理")
    assert sorted(mailbox.folders[taken]) == sorted([*_messages(), "AAMk0100"])
    assert mailbox.operations.count("CreateFolder") == 1    # made once, then found
    auth = {r.headers.get("Authorization") for r in server.requests}
    assert auth == {"Basic " + base64.b64encode(b"svc-mail:ews-password").decode()}
    assert again.code == 0 and [i["sender"] for i in again.json()["items"]] == ["late@example.com"]
