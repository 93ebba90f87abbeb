"""The team's digests posted to a group robot (企业微信, 钉钉, 飞书), against a loopback HTTPS server
standing in for each service: the exact request (address, query, JSON body, the signature
recomputed here from the service's documented recipe), the service's error answers (too fast,
bad signature, too long), and the ledger's promise: never posted twice, a failed post retried,
an uncertain one 结果未知."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from servicebook.mail.transports import dingtalk, feishu, robot, wecom
from servicebook.mail.transports.robot import RobotMessage
from tests.support.https import HttpsServer, Reply
from tests.support.mailbook import NOW, mail_workbook
from tests.support.workbooks import records_by_header, set_setting

SECRET = "SEC0123456789abcdef"
PATHS = {"wecom": "/cgi-bin/webhook/send?key=wk-1", "dingtalk": "/robot/send?access_token=dt-1",
         "feishu": "/open-apis/bot/v2/hook/fs-1"}
KINDS = {"wecom": "企业微信群机器人", "dingtalk": "钉钉自定义机器人", "feishu": "飞书自定义机器人"}
OK = {"wecom": {"errcode": 0, "errmsg": "ok"}, "dingtalk": {"errcode": 0, "errmsg": "ok"},
      "feishu": {"code": 0, "msg": "success", "data": {}}}
TOO_FAST = {"wecom": {"errcode": 45009, "errmsg": "api freq out of limit"},
            "dingtalk": {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"},
            "feishu": {"code": 11232, "msg": "frequency limited psm[lark.oapi.app_platform_runtime]"}}
BAD_SIGN = {"wecom": {"errcode": 93000, "errmsg": "invalid webhook url"},
            "dingtalk": {"errcode": 310000, "errmsg": "sign not match"},
            "feishu": {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}}


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    """Posts paced and backed off without waiting (pacing itself is tested below)."""
    waits: list[float] = []
    monkeypatch.setattr(robot, "pause", waits.append)
    return waits


def answering(*replies: dict):
    """An answer function giving `replies` in turn, the last one from then on."""
    def answer(request, server):
        body = replies[min(len(server.requests) - 1, len(replies) - 1)]
        return Reply(200, json.dumps(body).encode())
    return answer


def _robot_book(tmp_path, monkeypatch, server, kind: str, secret: str | None = SECRET):
    monkeypatch.setenv("SERVICEBOOK_ROBOT_WEBHOOK", server.url + PATHS[kind])
    if secret:
        monkeypatch.setenv("SERVICEBOOK_ROBOT_SECRET", secret)
    else:
        monkeypatch.delenv("SERVICEBOOK_ROBOT_SECRET", raising=False)
    return mail_workbook(tmp_path, 内部通知方式="群机器人", 群机器人=KINDS[kind])


def _signed_correctly(kind: str, request) -> bool:
    """The signature as each service's documentation computes it, independently of our code."""
    query = parse_qs(urlsplit(request.path).query)
    body = json.loads(request.body)
    if kind == "dingtalk":
        stamp = query["timestamp"][0]
        expected = base64.b64encode(hmac.new(SECRET.encode(), f"{stamp}\n{SECRET}".encode(), hashlib.sha256)
                                    .digest()).decode()
        return abs(int(stamp) / 1000 - time.time()) < 60 and query["sign"][0] == expected
    if kind == "feishu":
        stamp = body["timestamp"]
        expected = base64.b64encode(hmac.new(f"{stamp}\n{SECRET}".encode(), b"", hashlib.sha256).digest()).decode()
        return abs(int(stamp) - time.time()) < 60 and body["sign"] == expected
    return "sign" not in query and "sign" not in body


def _text(kind: str, request) -> str:
    body = json.loads(request.body)
    if kind == "wecom":
        assert set(body) == {"msgtype", "markdown"} and body["msgtype"] == "markdown"
        return body["markdown"]["content"]
    if kind == "dingtalk":
        assert set(body) == {"msgtype", "markdown"} and set(body["markdown"]) == {"title", "text"}
        return body["markdown"]["text"]
    assert set(body) - {"timestamp", "sign"} == {"msg_type", "content"} and body["msg_type"] == "text"
    return body["content"]["text"]


# ---------------------------------------------------------------- the whole run, as a team uses it


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu"])
def test_the_digests_go_to_the_group_and_the_customers_still_get_email(tmp_path, cli, certificate, monkeypatch,
                                                                        kind):
    with HttpsServer(certificate, answering(OK[kind])) as server:
        path = _robot_book(tmp_path, monkeypatch, server, kind)
        result = cli("mail", path, "--now", NOW)
        assert result.code == 0, result.err
        again = cli("mail", path, "--now", NOW)
        assert again.code == 0, again.err
    assert len(server.requests) == 2           # 升级汇总 and 时效提醒汇总, once: the rerun posts nothing
    for request in server.requests:
        assert (request.method, urlsplit(request.path).path) == ("POST", urlsplit(PATHS[kind]).path)
        assert parse_qs(urlsplit(request.path).query).get("key", parse_qs(urlsplit(request.path).query)
                                                          .get("access_token")) in (None, ["wk-1"], ["dt-1"])
        assert request.headers["Content-Type"] == "application/json; charset=utf-8"
        assert _signed_correctly(kind, request)
    texts = sorted((_text(kind, r) for r in server.requests), key=lambda text: "时效提醒" in text.splitlines()[0])
    escalation, reminder = texts
    assert "升级汇总" in escalation and "D " in escalation and "品牌风险" in escalation
    assert "时效提醒" in reminder and "张敏" in reminder and "A " in reminder
    log = records_by_header(path, "邮件日志")
    robot_rows = [row for row in log if row["发送方式"] == KINDS[kind]]
    assert sorted((row["模板"], row["收件人"], row["结果"]) for row in robot_rows) == [
        ("升级汇总", "客服群", "已发送"), ("时效提醒汇总", "客服群", "已发送")]
    outbox = sorted(p.name.split("-")[1] for p in (path.parent / f"{path.stem}.servicebook" / "outbox").glob("*.eml"))
    assert outbox == ["受理通知", "客户确认函", "方案同步", "满意度调查"]   # customers: email only


def test_both_sends_the_digests_by_email_and_to_the_group(tmp_path, cli, certificate, monkeypatch):
    with HttpsServer(certificate, answering(OK["wecom"])) as server:
        path = _robot_book(tmp_path, monkeypatch, server, "wecom")
        set_setting(path, "内部通知方式", "邮件和群机器人")
        assert cli("mail", path, "--now", NOW).code == 0
    assert len(server.requests) == 2
    outbox = sorted(p.name.split("-")[1] for p in (path.parent / f"{path.stem}.servicebook" / "outbox").glob("*.eml"))
    assert outbox == ["升级汇总", "受理通知", "客户确认函", "方案同步", "时效提醒汇总", "满意度调查"]


def test_a_refused_post_is_retried_next_run_and_an_uncertain_one_never(tmp_path, cli, certificate, monkeypatch):
    def answer(request, server):
        text = _text("dingtalk", request)
        tries = sum(_text("dingtalk", r).splitlines()[0] == text.splitlines()[0] for r in server.requests)
        if "升级汇总" in text and tries == 1:      # a bad signature: certainly not posted
            return Reply(200, json.dumps(BAD_SIGN["dingtalk"]).encode())
        if "时效提醒" in text:                     # a proxy's error page: it may have been posted
            return Reply(502, b"<html>Bad Gateway</html>", "text/html")
        return Reply(200, json.dumps(OK["dingtalk"]).encode())

    with HttpsServer(certificate, answer) as server:
        path = _robot_book(tmp_path, monkeypatch, server, "dingtalk")
        first = cli("mail", path, "--now", NOW)
        assert first.code == 1
        assert "钉钉自定义机器人拒绝了消息（310000 sign not match）" in first.out + first.err
        second = cli("mail", path, "--now", NOW)
        assert second.code == 0, second.err
    assert len(server.requests) == 3         # the refused one again; the uncertain one not
    log = {row["模板"]: row["结果"] for row in records_by_header(path, "邮件日志")
           if row["发送方式"] == KINDS["dingtalk"]}
    assert log == {"升级汇总": "已发送", "时效提醒汇总": "结果未知"}


def test_a_missing_webhook_names_the_secret_to_set(tmp_path, cli, monkeypatch):
    monkeypatch.delenv("SERVICEBOOK_ROBOT_WEBHOOK", raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")   # nothing stored either
    path = mail_workbook(tmp_path, 内部通知方式="群机器人", 群机器人="飞书自定义机器人")
    result = cli("mail", path, "--now", NOW)
    assert result.code == 2
    assert "缺少群机器人的 Webhook 地址" in result.err and "servicebook secret set robot-webhook feishu" in result.err
    log = records_by_header(path, "邮件日志")
    assert [row["模板"] for row in log if row["发送方式"] == KINDS["feishu"]] == []


# ---------------------------------------------------------------- one post, the service's answers


MODULES = {"wecom": wecom, "dingtalk": dingtalk, "feishu": feishu}
CLASSES = {"wecom": wecom.WecomRobot, "dingtalk": dingtalk.DingtalkRobot, "feishu": feishu.FeishuRobot}


def _transport(kind: str, server, secret: str | None = SECRET):
    return CLASSES[kind](server.url + PATHS[kind], secret)


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu"])
def test_a_full_post_of_a_digest_fits_the_service_uncut(certificate, kind):
    """ITEMS_PER_POST records of a long 时效提醒 line, under an agent's name: the split, not the cut."""
    item = "  CSF20261201000123 首次响应已超时（2026年12月1日 10:00）、解决即将超时（2026年12月2日 18:00）"
    text = "\n".join(["欧阳文静："] + [item] * MODULES[kind].ITEMS_PER_POST)
    with HttpsServer(certificate, answering(OK[kind])) as server:
        assert _transport(kind, server).deliver(RobotMessage("时效提醒 2026年12月1日 02:00：15 条（1/2）", text),
                                                "", "x", "").state == "sent"
    posted = _text(kind, server.requests[0])
    assert posted.endswith(text) and "内容过长" not in posted


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu"])
def test_too_fast_backs_off_and_posts(certificate, quick, kind):
    with HttpsServer(certificate, answering(TOO_FAST[kind], OK[kind])) as server:
        outcome = _transport(kind, server).deliver(RobotMessage("标题", "内容"), "", "x", "")
    assert outcome.state == "sent" and len(server.requests) == 2
    assert quick == [robot.BACKOFF[0]]


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu"])
def test_too_fast_every_time_fails_for_the_next_run(certificate, quick, kind):
    with HttpsServer(certificate, answering(TOO_FAST[kind])) as server:
        outcome = _transport(kind, server).deliver(RobotMessage("标题", "内容"), "", "x", "")
    assert (outcome.state, len(server.requests), quick) == ("failed", 4, list(robot.BACKOFF))
    assert "持续提示发送过快" in outcome.detail


def test_http_429_is_too_fast_too(certificate, quick):
    replies = iter([Reply(429, b"{}"), Reply(200, json.dumps(OK["feishu"]).encode())])
    with HttpsServer(certificate, lambda request, server: next(replies)) as server:
        outcome = _transport("feishu", server).deliver(RobotMessage("标题", "内容"), "", "x", "")
    assert (outcome.state, len(server.requests), quick) == ("sent", 2, [robot.BACKOFF[0]])


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu"])
def test_a_bad_signature_is_refused_and_says_so(certificate, kind):
    with HttpsServer(certificate, answering(BAD_SIGN[kind])) as server:
        outcome = _transport(kind, server).deliver(RobotMessage("标题", "内容"), "", "x", "")
    assert (outcome.state, len(server.requests)) == ("failed", 1)
    code = BAD_SIGN[kind].get("errcode", BAD_SIGN[kind].get("code"))
    assert outcome.detail.startswith(f"{KINDS[kind]}拒绝了消息（{code} ")


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu"])
def test_a_long_digest_is_cut_within_the_service_limit(certificate, kind):
    lines = "\n".join(f"CSF2026120100{n:04d} 某某科技有限公司：首次响应已超时（2026年12月1日 10:00）"
                      for n in range(800))
    with HttpsServer(certificate, answering(OK[kind])) as server:
        outcome = _transport(kind, server).deliver(RobotMessage("时效提醒", lines), "", "x", "")
    assert outcome.state == "sent"
    text = _text(kind, server.requests[0])
    cls = CLASSES[kind]
    assert len(text.encode("utf-8")) <= cls.limit         # the title and its markup included
    assert text.endswith("……（内容过长已截断，完整名单见工作簿）")
    kept = text.splitlines()[-2]
    assert kept in lines.splitlines()                       # cut at a line, not inside one
    assert len(server.requests[0].body) <= 20_000           # the services' request limit


def test_posts_are_paced_under_the_rate_limit(certificate, quick):
    with HttpsServer(certificate, answering(OK["wecom"])) as server:
        transport = _transport("wecom", server)
        for n in range(3):
            assert transport.deliver(RobotMessage("标题", f"内容{n}"), "", str(n), "").state == "sent"
    assert len(quick) == 2 and all(2.5 < w <= 60 / wecom.WecomRobot.per_minute for w in quick)


def test_a_robot_nobody_listens_on_is_unreachable_and_retried(certificate):
    with HttpsServer(certificate, answering(OK["wecom"])) as server:
        url = server.url
    transport = wecom.WecomRobot(url + PATHS["wecom"], None)
    outcome = transport.deliver(RobotMessage("标题", "内容"), "", "x", "")
    assert (outcome.state, outcome.counted) == ("failed", False)
