"""Templated email: the rules, the rendering, preview, the outbox, SMTP against a real server on
loopback, EWS and Graph at their HTTP boundary, and a ledger that never sends twice."""

from __future__ import annotations

import base64
import email
import email.policy
import html
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime

import openpyxl
import pytest

from servicebook.sidecar import Sidecar
from tests.support.ews import HEAD, NS
from tests.support.https import HttpsServer, Reply
from tests.support.mailbook import EXPECTED, NOW, RECIPIENTS, SENDER, SUPERVISOR, mail_workbook
from tests.support.smtp import Behaviour, SmtpServer
from tests.support.tls import make_certificate
from tests.support.workbooks import records_by_header, set_setting

PASSWORD = "Zh3ngMin-S3cret!"
LABELS = {"acknowledgement": "受理通知", "solution": "方案同步", "confirmation": "客户确认函", "progress": "进度更新",
          "survey": "满意度调查", "escalation": "升级通知", "sla_reminder": "时效提醒",
          "escalation_digest": "升级汇总", "sla_digest": "时效提醒汇总"}
CUSTOMER = ("受理通知", "方案同步", "客户确认函", "进度更新", "满意度调查")


def parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)


def texts(message) -> tuple[str, str]:
    """The plain and HTML parts as a reader sees them (email carries CRLF line ends)."""
    return tuple(message.get_body((kind,)).get_content().replace("\r\n", "\n") for kind in ("plain", "html"))


def mail_log(path):
    return records_by_header(path, "邮件日志")


# ---------------------------------------------------------------- rules, rendering, preview


def _preview(path, cli):
    result = cli("mail", path, "--preview", "--now", NOW, "--json")
    assert result.code == 0, result.err
    return result.json()


def test_preview_plans_each_rule_and_sends_nothing(tmp_path, cli):
    path = mail_workbook(tmp_path)
    before = path.read_bytes()
    report = _preview(path, cli)
    planned = {(next(k for k, v in LABELS.items() if v == m["template"]), m["ticket"]) for m in report["messages"]}
    assert planned == EXPECTED
    recipients = {m["ticket"]: m["recipient"] for m in report["messages"] if m["template"] in CUSTOMER}
    assert recipients == RECIPIENTS
    assert [m["recipient"] for m in report["messages"] if m["template"] == "升级汇总"] == [SUPERVISOR]
    assert [m["recipient"] for m in report["messages"]
            if m["template"] == "时效提醒汇总"] == ["c008@service.example.com"]
    assert path.read_bytes() == before
    sidecar = Sidecar(path)
    assert not (sidecar.folder / "outbox").exists()
    assert not sidecar.database.exists() or not sqlite3.connect(sidecar.database).execute(
        "SELECT name FROM sqlite_master WHERE name='mail'").fetchone()
    files = sorted(p.suffix for p in (sidecar.folder / "preview").iterdir())
    assert "0001-方案同步-A.eml" in {p.name for p in (sidecar.folder / "preview").iterdir()}
    assert files.count(".eml") == files.count(".html") == len(EXPECTED)
    assert any("缺少" in p["message"] or "电子邮箱" in p["message"] for p in report["problems"])  # F: bad address


def _previewed(path, cli) -> dict[tuple[str, str], email.message.EmailMessage]:
    report = _preview(path, cli)
    return {(m["template"], m["ticket"]): parse(open(m["file"], "rb").read()) for m in report["messages"]}


def test_messages_address_by_surname_and_escape_customer_text(tmp_path, cli):
    messages = _previewed(mail_workbook(tmp_path), cli)
    text, html = texts(messages[("方案同步", "A")])
    assert text.startswith("张先生，您好：")
    assert "针对您提到的“APP无法登录" in text and "我们已确认原因是系统版本过低" in text
    assert "预计完成时间：2024年6月1日 12:00" in text
    assert text.endswith("张敏（工号 C008）\n客户服务中心\n客服热线 400-000-0000\n邮箱 c008@service.example.com\n")
    assert "<script>alert('x')</script>" in text                       # the text part is the customer's words
    assert "<script>" not in html and "&lt;script&gt;alert(" in html   # the HTML part cannot run them
    assert texts(messages[("满意度调查", "B")])[0].startswith("欧阳女士，您好：")
    assert "1–5 分" in texts(messages[("满意度调查", "B")])[0]
    ack = texts(messages[("受理通知", "D")])[0]
    assert "负责客服：王芳（工号 C001）" in ack
    assert "我们会在 2024年6月1日 16:00 前给您答复" not in ack   # D was answered at 16:30: no promise is made
    assert "我们正在处理，有进展会第一时间告诉您。" in ack
    assert messages[("客户确认函", "E")]["Subject"] == "【客户服务中心】请确认记录 E 的处理结果"
    reminder = messages[("时效提醒汇总", "A")]
    assert reminder["Subject"] == "【时效提醒】2024年5月31日 18:00：您有 1 条记录即将超时或已超时"
    assert "进度更新即将超时" in texts(reminder)[0]
    for message in messages.values():
        headers = " ".join(f"{k}: {v}" for k, v in message.items()).lower()
        plain, html = texts(message)
        assert "servicebook" not in headers + plain.lower() + html.lower()
        assert not re.search(r"\bNone\b|\bnan\b", plain + html)


def test_no_header_can_carry_a_line_break(tmp_path, cli):
    messages = _previewed(mail_workbook(tmp_path, 内部邮件方式="每条记录一封"), cli)
    escalation = messages[("升级通知", "D")]
    headers = escalation.as_bytes().split(b"\n\n", 1)[0]
    assert not re.search(rb"^Bcc:", headers, re.M)
    assert b"\nBcc:" not in escalation.as_bytes()   # nor in the base64 body parts
    assert escalation["Subject"] == "【升级】D 李娜 Bcc: evil@example.com：投诉涉及品牌形象（品牌风险）"
    assert escalation["To"].addresses[0].addr_spec == SUPERVISOR
    assert escalation["Date"].datetime.utcoffset().total_seconds() == 8 * 3600   # 设置 → 时区 Asia/Shanghai


def test_a_team_overrides_a_template_by_dropping_a_file_beside_the_workbook(tmp_path, cli):
    path = mail_workbook(tmp_path)
    own = tmp_path / "邮件模板"
    own.mkdir()
    (own / "acknowledgement.txt.j2").write_text(
        "{% set subject %}云帆客服已收到您的请求 {{ ticket_no }}{% endset -%}\n{{ salutation }}：我们收到了。\n",
        encoding="utf-8")
    messages = _previewed(path, cli)
    ours = messages[("受理通知", "D")]
    assert ours["Subject"] == "云帆客服已收到您的请求 D"
    assert texts(ours)[0] == "李娜\r\nBcc: evil@example.com：我们收到了。\n".replace("\r", "")
    assert "我们正在处理" in texts(ours)[1]   # the HTML part is still the shipped one
    assert messages[("方案同步", "A")]["Subject"].startswith("【客户服务中心】")


def test_a_broken_team_template_fails_its_messages_with_a_clear_reason(tmp_path, cli):
    path = mail_workbook(tmp_path)
    own = tmp_path / "邮件模板"
    own.mkdir()
    (own / "survey.txt.j2").write_text("{% set subject %}{{ 不存在的字段 }}{% endset %}", encoding="utf-8")
    result = cli("mail", path, "--now", NOW)
    assert result.code == 1
    assert "邮件模板「survey」有错误" in result.out
    assert sum(r["结果"] == "已发送" or r["结果"] == "草稿" for r in mail_log(path)) == len(EXPECTED) - 1


# ---------------------------------------------------------------- the outbox and never twice


def test_the_outbox_is_the_default_and_nothing_is_produced_twice(tmp_path, cli):
    path = mail_workbook(tmp_path)
    first = cli("mail", path, "--now", NOW)
    assert first.code == 0, first.err
    outbox = Sidecar(path).folder / "outbox"
    emls = sorted(outbox.glob("*.eml"))
    assert len(emls) == len(EXPECTED)
    log = mail_log(path)
    assert len(log) == len(EXPECTED) and {r["结果"] for r in log} == {"草稿"}
    assert {r["发送方式"] for r in log} == {"发件箱文件夹"}
    ids = {r["邮件ID"] for r in log}
    assert ids == {parse(p.read_bytes())["Message-ID"] for p in emls}
    for later in (NOW, "2024-05-31 19:00"):
        again = cli("mail", path, "--now", later)
        assert again.code == 0 and "已生成过的" in again.out
    assert sorted(outbox.glob("*.eml")) == emls
    assert len(mail_log(path)) == len(EXPECTED)


def test_outbox_files_open_as_drafts_named_readably_with_an_index(tmp_path, cli):
    path = mail_workbook(tmp_path)
    assert cli("mail", path, "--now", NOW).code == 0
    outbox = Sidecar(path).folder / "outbox"
    names = sorted(p.name for p in outbox.glob("*.eml"))
    assert names == ["0001-方案同步-A.eml", "0002-满意度调查-B.eml", "0003-受理通知-D.eml", "0004-客户确认函-E.eml",
                     "0005-时效提醒汇总-张敏-20240531.eml", "0006-升级汇总-何慧-20240531.eml"]
    messages = {name: parse((outbox / name).read_bytes()) for name in names}
    assert {m["X-Unsent"] for m in messages.values()} == {"1"}      # Outlook opens each as a draft
    index = (outbox / "清单.html").read_text(encoding="utf-8")
    rows = re.findall(r'<tr><td><a href="([^"]+)">[^<]+</a></td><td>([^<]+)</td><td>([^<]*)</td>'
                      r"<td>([^<]+)</td><td>([^<]+)</td>", index)
    assert [(name, recipient, html.unescape(subject)) for name, _, _, recipient, subject in rows] == [
        (name, html.unescape(str(m["To"].addresses[0].addr_spec)), str(m["Subject"])) for name, m in messages.items()]
    assert "共 6 封草稿" in index


def test_a_revised_plan_is_sent_again_and_an_unchanged_one_is_not(tmp_path, cli):
    path = mail_workbook(tmp_path)
    cli("mail", path, "--now", NOW)
    wb = openpyxl.load_workbook(path)
    ws = wb["服务记录"]
    column = {c.value: c.column for c in ws[1]}
    ws.cell(row=2, column=column["解决方案"], value="更换服务器节点后重新登录")
    wb.save(path)
    later = "2024-06-04 10:00"   # outside the 48 h window for a first plan, but this one revises a plan sent
    report = cli("mail", path, "--now", later, "--json").json()
    # Its 预计完成时间 (6月1日) has passed: the revised plan is held back, not sent with a stale promise.
    assert [m["template"] for m in report["messages"] if m["template"] in CUSTOMER] == []
    assert [(h["row"], h["column"], h["message"]) for h in report["held"]] == [
        (2, "T列「预计完成时间」", "方案同步暂不发送：「预计完成时间」已过去，不能向客户承诺；更新后下次运行发送")]
    wb = openpyxl.load_workbook(path)
    wb["服务记录"].cell(row=2, column=column["预计完成时间"], value=datetime(2024, 6, 5, 12, 0))
    wb.save(path)
    report = cli("mail", path, "--now", later, "--json").json()
    to_customers = [(m["template"], m["ticket"]) for m in report["messages"] if m["template"] in CUSTOMER]
    assert to_customers == [("方案同步", "A")]
    assert report["held"] == []


def test_the_ledger_survives_the_workbook_losing_its_mail_log(tmp_path, cli):
    path = mail_workbook(tmp_path)
    cli("mail", path, "--now", NOW)
    wb = openpyxl.load_workbook(path)
    del wb["邮件日志"]   # as if Excel crashed before the workbook was saved
    wb.save(path)
    report = cli("mail", path, "--now", NOW, "--json").json()
    assert report["messages"] == [] and report["already_produced"] == len(EXPECTED)
    assert len(mail_log(path)) == len(EXPECTED)   # rebuilt from the ledger


# ---------------------------------------------------------------- SMTP


def smtp_settings(path, port, user="agent@service.example.com"):
    for label, value in (("发送方式", "SMTP"), ("SMTP服务器", "127.0.0.1"), ("SMTP端口", port),
                         ("SMTP加密", "STARTTLS"), ("邮件账号", user)):
        set_setting(path, label, value)


def test_smtp_delivers_both_parts_with_encoded_chinese_headers(tmp_path, cli, certificate, monkeypatch):
    path = mail_workbook(tmp_path)
    monkeypatch.setenv("SERVICEBOOK_MAIL_PASSWORD", PASSWORD)
    with SmtpServer(certificate, password=PASSWORD) as server:
        smtp_settings(path, server.port)
        result = cli("mail", path, "--now", NOW)
    assert result.code == 0, result.out + result.err
    assert server.logins and set(server.logins) == {"agent@service.example.com"}
    assert len(server.received) == len(EXPECTED)
    by_id = {}
    for received in server.received:
        message = received.message
        assert received.mail_from == SENDER
        assert received.rcpt_tos == [message["To"].addresses[0].addr_spec]
        assert re.search(rb"^Subject: =\?utf-8\?b\?", received.data, re.M)   # encoded on the wire
        plain, html = texts(message)
        assert message.get_body(("plain",))["Content-Type"].params["charset"] == "utf-8"
        assert "您好" in plain and "<html" in html
        by_id[message["Message-ID"]] = message
    log = mail_log(path)
    assert {r["结果"] for r in log} == {"已发送"} and {r["邮件ID"] for r in log} == set(by_id)
    ack = next(m for m in by_id.values() if m["To"].addresses[0].addr_spec == RECIPIENTS["D"]
               and "已受理" in m["Subject"])
    assert ack["Subject"] == "【客户服务中心】您的服务请求已受理（记录编号 D）"
    assert ack["Message-ID"].endswith("@service.example.com>") and "servicebook" not in ack["Message-ID"]
    assert str(ack["From"]) == f"客户服务中心 <{SENDER}>"


def test_the_password_never_reaches_output_workbook_ledger_or_logs(tmp_path, cli, certificate, monkeypatch):
    path = mail_workbook(tmp_path)
    monkeypatch.setenv("SERVICEBOOK_MAIL_PASSWORD", PASSWORD)
    with SmtpServer(certificate, password="another password") as server:   # the login is refused
        smtp_settings(path, server.port)
        result = cli("mail", path, "--now", NOW)
    assert result.code == 1 and "SMTP 登录失败" in result.out
    assert PASSWORD not in result.out + result.err
    for file in tmp_path.rglob("*"):
        if file.is_file():
            assert PASSWORD.encode() not in file.read_bytes(), file


def test_a_refused_address_or_a_server_error_fails_that_row_and_the_run_goes_on(tmp_path, cli, certificate,
                                                                                   monkeypatch):
    path = mail_workbook(tmp_path)
    monkeypatch.setenv("SERVICEBOOK_MAIL_PASSWORD", PASSWORD)
    behaviour = Behaviour(refuse_recipients={RECIPIENTS["B"]}, reject_data_for={RECIPIENTS["D"]})
    with SmtpServer(certificate, password=PASSWORD, behaviour=behaviour) as server:
        smtp_settings(path, server.port)
        result = cli("mail", path, "--now", NOW)
        assert result.code == 1
        failed = {r["收件人"]: r["说明"] for r in mail_log(path) if r["结果"] == "失败"}
        assert set(failed) == {RECIPIENTS["B"], RECIPIENTS["D"]}
        assert "拒绝了收件人：550" in failed[RECIPIENTS["B"]]
        assert "拒绝了这封邮件：451" in failed[RECIPIENTS["D"]]
        sent = [r for r in mail_log(path) if r["结果"] == "已发送"]
        assert len(sent) == len(server.received) == len(EXPECTED) - 2   # B's survey, D's notice (its escalation goes)
        behaviour.reject_data_for.clear()   # the server recovers; the next run retries what failed
        cli("mail", path, "--now", NOW)
    retried = {r["收件人"]: r["结果"] for r in mail_log(path)}
    assert retried[RECIPIENTS["D"]] == "已发送" and retried[RECIPIENTS["B"]] == "失败"


def test_a_run_killed_midway_and_rerun_sends_nothing_twice(tmp_path, certificate):
    path = mail_workbook(tmp_path)
    env = {**os.environ, "SERVICEBOOK_MAIL_PASSWORD": PASSWORD}
    command = [sys.executable, "-m", "servicebook", "mail", str(path), "--now", NOW]
    with SmtpServer(certificate, password=PASSWORD, behaviour=Behaviour(hold_after=3)) as server:
        smtp_settings(path, server.port)
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert server.recorder.holding.wait(60), "the fourth message never reached the server"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(30)
        server.recorder.behaviour.hold_after = None
        time.sleep(0.2)
        rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        assert "结果未知" in rerun.stdout
        ids = [r.message["Message-ID"] for r in server.received]
    assert len(ids) == len(set(ids)) == len(EXPECTED)   # each exactly once: the held one reached the server
    log = mail_log(path)
    assert sorted(r["结果"] for r in log).count("结果未知") == 1
    assert len(log) == len(EXPECTED)


# ---------------------------------------------------------------- EWS



def ews_answer(busy_first: int = 0):
    state = {"busy": busy_first}

    def answer(request, server):
        body = request.body.decode()
        if "<m:GetFolder>" in body:
            folder = re.search(r'DistinguishedFolderId Id="(\w+)"', body).group(1)
            xml = (f'<m:GetFolderResponse {NS}><m:ResponseMessages><m:GetFolderResponseMessage ResponseClass="Success">'
                   f'<m:ResponseCode>NoError</m:ResponseCode><m:Folders><t:Folder><t:FolderId Id="{folder}-id" '
                   f'ChangeKey="ck"/><t:FolderClass>IPF.Note</t:FolderClass><t:DisplayName>{folder}</t:DisplayName>'
                   '<t:TotalCount>0</t:TotalCount><t:ChildFolderCount>0</t:ChildFolderCount>'
                   '<t:UnreadCount>0</t:UnreadCount></t:Folder></m:Folders></m:GetFolderResponseMessage>'
                   '</m:ResponseMessages></m:GetFolderResponse>')
        else:
            if state["busy"]:
                state["busy"] -= 1
                return Reply(503, b"Service Unavailable", "text/plain")
            items = '<m:Items><t:Message><t:ItemId Id="item" ChangeKey="ck"/></t:Message></m:Items>' \
                if "SaveOnly" in body else "<m:Items/>"
            xml = (f'<m:CreateItemResponse {NS}><m:ResponseMessages><m:CreateItemResponseMessage ResponseClass='
                   f'"Success"><m:ResponseCode>NoError</m:ResponseCode>{items}</m:CreateItemResponseMessage>'
                   '</m:ResponseMessages></m:CreateItemResponse>')
        return Reply(200, (HEAD + xml + "</s:Body></s:Envelope>").encode(), "text/xml; charset=utf-8")

    return answer


def create_items(server):
    found = []
    for request in server.requests:
        body = request.body.decode()
        if "<m:CreateItem " in body:
            mime = base64.b64decode(re.search(r"<t:MimeContent[^>]*>([^<]+)</t:MimeContent>", body).group(1))
            found.append({"disposition": re.search(r'MessageDisposition="(\w+)"', body).group(1),
                          "saved_in": (re.search(r'SavedItemFolderId><t:DistinguishedFolderId Id="(\w+)"', body)
                                       or [None, None])[1],
                          "to": re.findall(r"<t:ToRecipients><t:Mailbox><t:EmailAddress>([^<]+)<", body),
                          "message": parse(mime), "auth": request.headers.get("Authorization")})
    return found


def ews_settings(path, url, save):
    for label, value in (("发送方式", "Exchange EWS"), ("EWS地址", url + "/EWS/Exchange.asmx"),
                         ("EWS认证方式", "Basic"), ("邮件账号", "svc-mail"), ("保存方式", save)):
        set_setting(path, label, value)


@pytest.mark.parametrize(("save", "disposition", "folder", "result"), [
    ("发送并保存到已发送", "SendAndSaveCopy", "sentitems", "已发送"),
    ("仅发送", "SendOnly", None, "已发送"),
    ("存为草稿", "SaveOnly", "drafts", "草稿"),
])
def test_ews_create_item_carries_our_message(tmp_path, cli, certificate, monkeypatch, save, disposition, folder,
                                             result):
    path = mail_workbook(tmp_path)
    monkeypatch.setenv("SERVICEBOOK_MAIL_PASSWORD", PASSWORD)
    with HttpsServer(certificate, ews_answer()) as server:
        ews_settings(path, server.url, save)
        outcome = cli("mail", path, "--now", NOW)
    assert outcome.code == 0, outcome.out + outcome.err
    items = create_items(server)
    assert len(items) == len(EXPECTED)
    expected_auth = "Basic " + base64.b64encode(f"svc-mail:{PASSWORD}".encode()).decode()
    for item in items:
        assert (item["disposition"], item["saved_in"]) == (disposition, folder)
        assert item["auth"] == expected_auth
        message = item["message"]
        assert item["to"] == [message["To"].addresses[0].addr_spec]
        assert message["From"].addresses[0].addr_spec == SENDER
        assert "您好" in texts(message)[0]
    subjects = {i["message"]["Subject"] for i in items}
    assert "【客户服务中心】您的服务请求已受理（记录编号 D）" in subjects
    assert {r["结果"] for r in mail_log(path)} == {result}
    get_folders = sum("<m:GetFolder>" in r.body.decode() for r in server.requests)
    assert get_folders == (0 if folder is None else 2)   # once per account, not per message


def test_ews_busy_server_is_retried_a_bounded_number_of_times(tmp_path, cli, certificate, monkeypatch):
    path = mail_workbook(tmp_path)
    monkeypatch.setenv("SERVICEBOOK_MAIL_PASSWORD", PASSWORD)
    monkeypatch.setattr("servicebook.mail.transports.ews.MAX_BACK_OFF", 0.01)
    with HttpsServer(certificate, ews_answer(busy_first=2)) as server:
        ews_settings(path, server.url, "仅发送")
        assert cli("mail", path, "--now", NOW).code == 0
    assert len(create_items(server)) == len(EXPECTED) + 2
    with HttpsServer(certificate, ews_answer(busy_first=100)) as server:
        ews_settings(path, server.url, "仅发送")
        wb = openpyxl.load_workbook(path)
        wb.remove(wb["邮件日志"])
        wb.save(path)
        Sidecar(path).database.unlink()
        for suffix in ("-wal", "-shm"):
            Sidecar(path).database.with_name("state.sqlite" + suffix).unlink(missing_ok=True)
        result = cli("mail", path, "--now", NOW)
    assert result.code == 1 and "持续繁忙，已尝试 4 次" in result.out


# ---------------------------------------------------------------- Graph


def graph_answer(throttle_first: int = 0):
    state = {"throttle": throttle_first}

    def answer(request, server):
        if request.path.endswith("/.well-known/openid-configuration"):
            base = f"{server.url}/tenant-1"
            return Reply(200, (f'{{"token_endpoint": "{base}/oauth2/v2.0/token", "issuer": "{base}/v2.0", '
                               f'"authorization_endpoint": "{base}/oauth2/v2.0/authorize"}}').encode())
        if request.path.endswith("/oauth2/v2.0/token"):
            return Reply(200, b'{"token_type": "Bearer", "expires_in": 3600, "access_token": "TOKEN-FROM-LOOPBACK"}')
        if state["throttle"]:
            state["throttle"] -= 1
            return Reply(429, b'{"error": {"code": "TooManyRequests"}}', headers={"Retry-After": "0"})
        return Reply(201 if request.path.endswith("/messages") else 202, b"{}")

    return answer


def graph_settings(path, url, save="发送并保存到已发送"):
    for label, value in (("发送方式", "Microsoft 365 Graph"), ("Microsoft 365 租户ID", "tenant-1"),
                         ("应用ID", "client-1"), ("Graph地址", url), ("登录地址", url), ("保存方式", save)):
        set_setting(path, label, value)


@pytest.mark.parametrize(("save", "endpoint", "result"), [("发送并保存到已发送", "sendMail", "已发送"),
                                                          ("存为草稿", "messages", "草稿")])
def test_graph_posts_our_mime_with_a_token_from_msal(tmp_path, cli, certificate, monkeypatch, save, endpoint, result):
    path = mail_workbook(tmp_path)
    monkeypatch.setenv("SERVICEBOOK_MAIL_CLIENT_SECRET", "app-secret-value")
    with HttpsServer(certificate, graph_answer(throttle_first=1)) as server:
        graph_settings(path, server.url, save)
        outcome = cli("mail", path, "--now", NOW)
    assert outcome.code == 0, outcome.out + outcome.err
    token_requests = [r for r in server.requests if r.path.endswith("/token")]
    assert len(token_requests) == 1             # one token, reused for the throttled retry
    form = token_requests[0].body.decode()
    assert "grant_type=client_credentials" in form and "client_id=client-1" in form
    assert "client_secret=app-secret-value" in form and f"scope={server.url}/.default".replace(":", "%3A").replace(
        "/", "%2F") in form
    posts = [r for r in server.requests if "/v1.0/users/" in r.path]
    assert len(posts) == len(EXPECTED) + 1   # one throttled, retried
    for post in posts:
        assert post.path == f"/v1.0/users/{SENDER}/{endpoint}"
        assert post.headers["Authorization"] == "Bearer TOKEN-FROM-LOOPBACK"
        assert post.headers["Content-Type"] == "text/plain"
        message = parse(base64.b64decode(post.body))
        assert message["From"].addresses[0].addr_spec == SENDER and "您好" in texts(message)[0]
    assert {r["结果"] for r in mail_log(path)} == {result}


def test_missing_configuration_or_secret_stops_with_a_clear_message(tmp_path, cli, monkeypatch):
    monkeypatch.delenv("SERVICEBOOK_MAIL_PASSWORD", raising=False)
    path = mail_workbook(tmp_path)
    set_setting(path, "发送方式", "SMTP")
    no_host = cli("mail", path, "--now", NOW)
    assert no_host.code == 2 and "「设置 → SMTP服务器」为空" in no_host.err
    set_setting(path, "SMTP服务器", "127.0.0.1")
    set_setting(path, "邮件账号", "agent@service.example.com")
    no_password = cli("mail", path, "--now", NOW)
    assert no_password.code == 2 and "SERVICEBOOK_MAIL_PASSWORD" in no_password.err


def test_secrets_come_from_the_keyring_when_no_variable_is_set(monkeypatch):
    import keyring
    from keyring.backend import KeyringBackend

    from servicebook.mail.secrets import find_secret, store_secret

    class Memory(KeyringBackend):
        priority = 1

        def __init__(self):
            super().__init__()
            self.store = {}

        def get_password(self, service, username):
            return self.store.get((service, username))

        def set_password(self, service, username, password):
            self.store[(service, username)] = password

        def delete_password(self, service, username):
            self.store.pop((service, username), None)

    previous = keyring.get_keyring()
    keyring.set_keyring(Memory())
    try:
        monkeypatch.delenv("SERVICEBOOK_MAIL_PASSWORD", raising=False)
        store_secret("password", "agent@service.example.com", "from-keyring")
        assert find_secret("password", "agent@service.example.com") == "from-keyring"
        monkeypatch.setenv("SERVICEBOOK_MAIL_PASSWORD", "from-variable")
        assert find_secret("password", "agent@service.example.com") == "from-variable"
    finally:
        keyring.set_keyring(previous)


def test_rules_leave_old_records_alone(tmp_path, cli):
    path = mail_workbook(tmp_path)
    report = _preview(path, cli)
    assert not [m for m in report["messages"] if m["ticket"] == "C"]
    later = cli("mail", path, "--preview", "--now", "2024-06-10 09:00", "--json").json()
    customer = [m for m in later["messages"] if m["template"] in CUSTOMER]
    assert customer == []
    assert isinstance(datetime.fromisoformat("2024-06-10 09:00"), datetime)


# ---------------------------------------------------------------- a server that cannot be reached


def _attempts(path) -> set[int]:
    with sqlite3.connect(Sidecar(path).database) as db:
        return {n for (n,) in db.execute("SELECT attempts FROM mail")}


def test_a_relay_that_cannot_be_reached_fails_its_emails_until_it_is_back(tmp_path, cli, certificate, monkeypatch):
    from tests.support.smtp import free_port

    path = mail_workbook(tmp_path)
    monkeypatch.setenv("SERVICEBOOK_MAIL_PASSWORD", PASSWORD)
    smtp_settings(path, free_port())                        # nobody listens there
    for _night in range(4):                                # more nights than the three attempts a refusal gets
        result = cli("mail", path, "--now", NOW)
        assert result.code == 1 and "无法连接 SMTP 服务器 127.0.0.1" in result.out, result.out
        assert [r["结果"] for r in mail_log(path)] == ["失败"] * len(EXPECTED)
        assert _attempts(path) == {0}                       # never left this machine: not an attempt
    with SmtpServer(certificate, password=PASSWORD) as server:
        smtp_settings(path, server.port)
        assert cli("mail", path, "--now", NOW).code == 0
    assert len(server.received) == len(EXPECTED)
    assert [r["结果"] for r in mail_log(path)] == ["已发送"] * len(EXPECTED)


def test_a_tls_handshake_that_fails_is_a_failure_not_an_unknown(tmp_path, cli, monkeypatch):
    path = mail_workbook(tmp_path)
    monkeypatch.setenv("SERVICEBOOK_MAIL_PASSWORD", PASSWORD)
    untrusted = make_certificate(tmp_path / "untrusted")    # the client's CA store does not know it
    with SmtpServer(untrusted, password=PASSWORD) as server:
        smtp_settings(path, server.port)
        result = cli("mail", path, "--now", NOW)
    assert result.code == 1 and "SSLCertVerificationError" in result.out
    assert server.received == []
    assert [r["结果"] for r in mail_log(path)] == ["失败"] * len(EXPECTED)


def test_graph_at_an_unknown_host_fails_its_emails(tmp_path, cli, certificate, monkeypatch):
    path = mail_workbook(tmp_path)
    monkeypatch.setenv("SERVICEBOOK_MAIL_CLIENT_SECRET", "app-secret-value")
    with HttpsServer(certificate, graph_answer()) as login:
        graph_settings(path, login.url)
        set_setting(path, "Graph地址", "https://graph.nonexistent.invalid")   # no DNS answer
        result = cli("mail", path, "--now", NOW)
    assert result.code == 1 and "无法连接 Microsoft Graph" in result.out, result.out
    assert [r["结果"] for r in mail_log(path)] == ["失败"] * len(EXPECTED)
    assert _attempts(path) == {0}


def test_ews_refusing_connections_fails_its_emails(tmp_path, cli, monkeypatch):
    from tests.support.smtp import free_port

    path = mail_workbook(tmp_path)
    monkeypatch.setenv("SERVICEBOOK_MAIL_PASSWORD", PASSWORD)
    ews_settings(path, f"https://127.0.0.1:{free_port()}", "仅发送")
    result = cli("mail", path, "--now", NOW)
    assert result.code == 1 and "无法连接 Exchange 服务器" in result.out, result.out
    assert [r["结果"] for r in mail_log(path)] == ["失败"] * len(EXPECTED)
