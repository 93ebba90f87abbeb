"""Replies come back: the service mailbox feeds the workbook. A caseload whose emails went out
through `servicebook mail`; then the customers' mail — new cases in every encoding, replies found
by In-Reply-To or by the number in the subject, a confirmation, ratings in many forms (one by the
survey's own link), auto-replies, a list mailing, a bounce, duplicates — goes through
`servicebook intake`, and the saved workbook says what each became."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import unquote

import pytest

from servicebook.domain.incoming import own_words, rating_of
from tests.support import inbox as mails
from tests.support.outlook_msg import outlook_msg
from tests.support.runs import by_header
from tests.support.workbooks import good_record, set_setting, team_workbook, write_rows

NOW = "2024-05-31 18:00"
LATER = "2024-06-01 09:00"
SUPERVISOR = "hehui@service.example.com"
AGENT = "c008@service.example.com"
P1, C1, W1, W2, B1 = "CSF20240531000001", "CSF20240530000001", "CSF20240531000008", "CSF20240531000009", \
    "CSF20240531000010"
SURVEYED = [f"CSF2024053100000{n}" for n in range(2, 8)]   # S1..S6
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 5, 31, hour, minute)


def _closed(ticket: str, email: str, **changes) -> dict:
    return good_record(ticket_no=ticket, email=email, received_at=at(9), accepted_at=at(9, 10),
                       first_response_at=at(9, 30), resolved_at=at(14), closed_at=at(15), csat=None, **changes)


def caseload(folder: Path) -> Path:
    records = [
        good_record(ticket_no=P1, status="处理中", received_at=at(16), accepted_at=at(16, 10), first_response_at=None,
                    resolved_at=None, closed_at=None, csat=None, solution=None, email="zhangwei@example.com",
                    priority="一般", type="咨询"),
        *[_closed(ticket, f"s{n}@example.com", customer_name=f"客户{n}") for n, ticket in enumerate(SURVEYED, 1)],
        good_record(ticket_no=W1, status="待确认", received_at=at(8), accepted_at=at(8, 10),
                    first_response_at=at(8, 30),
                    resolved_at=at(17), closed_at=None, csat=None, solution="更换配件", email="chen@example.com",
                    priority="重要", type="售后"),
        good_record(ticket_no=W2, status="待确认", received_at=at(8), accepted_at=at(8, 10),
                    first_response_at=at(8, 30),
                    resolved_at=at(17), closed_at=None, csat=None, solution="远程指导重装", email="wu@example.com",
                    priority="重要", type="售后"),
        good_record(ticket_no=C1, received_at=datetime(2024, 5, 2, 9), accepted_at=datetime(2024, 5, 2, 9, 5),
                    first_response_at=datetime(2024, 5, 2, 9, 20), resolved_at=datetime(2024, 5, 2, 12),
                    closed_at=datetime(2024, 5, 2, 13), csat=4, email="old@example.com"),
        good_record(ticket_no=B1, status="处理中", received_at=at(17), accepted_at=at(17, 5), first_response_at=None,
                    resolved_at=None, closed_at=None, csat=None, solution=None, email="nobody@nowhere.example.com",
                    priority="一般", type="咨询"),
    ]
    path = team_workbook(folder, records)
    write_rows(path, "customers", [
        {"customer_id": "U20240001", "name": "张伟", "contact": "张伟", "salutation": "先生",
         "email": "zhangwei@example.com"},
        {"customer_id": "U20240099", "name": "李雷", "tier": "VIP", "contact": "李雷", "salutation": "先生",
         "email": "lilei@example.com"},
    ])
    write_rows(path, "roster", [{"agent_id": "C008", "name": "张敏", "group": "技术组", "senior": "是",
                                 "on_duty": "是", "email": AGENT}])
    for label, value in {"发件人邮箱": mails.SERVICE, "主管邮箱": SUPERVISOR, "主管姓名": "何慧"}.items():
        set_setting(path, label, value)
    return path


def ledger_ids(path: Path) -> dict[tuple[str, str], str]:
    with sqlite3.connect(path.with_name(path.stem + ".servicebook") / "state.sqlite") as db:
        return {(ticket, template): msgid for ticket, template, msgid in
                db.execute("SELECT ticket, template, message_id FROM mail")}


def survey_link(path: Path, ticket: str, score: int) -> str:
    """The subject of the survey email's rating link for `score`, as a mail program would fill it."""
    outbox = path.with_name(path.stem + ".servicebook") / "outbox"
    for eml in outbox.glob("*.eml"):
        message = message_from_bytes(eml.read_bytes(), policy=policy.default)
        html = message.get_body(("html",)).get_content()
        if ticket in str(message["Subject"]) and "mailto:" in html:
            links = re.findall(r'href="mailto:([^"?]+)\?subject=([^"]+)"', html)
            assert [unquote(s) for _, s in links] == [f"满意度 {n} [{ticket}]" for n in (5, 4, 3, 2, 1)]
            assert {address for address, _ in links} == {mails.SERVICE}
            return unquote(links[5 - score][1])
    raise AssertionError(f"no survey for {ticket}")


def fixture_set(path: Path) -> dict[str, bytes]:
    sent = ledger_ids(path)
    ack, confirm1, confirm2 = sent[(P1, "acknowledgement")], sent[(W1, "confirmation")], sent[(W2, "confirmation")]
    surveys = [sent[(ticket, "survey")] for ticket in SURVEYED[:5]]
    quote = "\n\n在 2024年5月31日 18:00，客户服务中心 写道：\n> 张先生，您好：\n> 您的记录已受理。\n"
    same = mails.plain("twice@example.com", "退款进度", "上周申请的退款还没到账。", at(19, 5),
                       "<twice@mail.example.com>")
    no_id = mails.plain("noid@example.com", "地址修改", "请把收货地址改成公司地址。", at(19, 6), None)
    ratings = ["5", "5分，服务很好", "非常满意！", "满意", "★★★ 等待时间有点长"]
    return {
        "01-new.eml": mails.plain("lilei@example.com", "订单支付失败",
                                  "你好，订单一直支付失败，回电 13912345678。\n\n发自我的iPhone", at(18, 30),
                                  "<new-1@mail.example.com>", name="Li Lei"),
        "02-html.eml": mails.html_only(
            "wang@example.net", "收到的商品有破损",
            "<html><body><p>您好：</p><p>收到的耳机外壳<b>有裂痕</b>，<br>能换一个吗？</p>"
            "<blockquote>以前的邮件内容</blockquote></body></html>", at(18, 31), "<new-2@qq.example.com>"),
        "03-foxmail.eml": mails.foxmail_gbk("zhao@example.cn", "赵六", "发票抬头需要修改",
                                            "发票抬头写错了，应为“上海某某科技有限公司”。\n\n"
                                            "------------------ 原始邮件 ------------------\n"
                                            "发件人: 客服中心\n旧的内容",
                                            at(18, 32), "<new-3@foxmail.example.cn>"),
        "04-oldgbk.eml": mails.raw_gbk("old-client@example.cn", "咨询保修政策", "请问耳机保修几年？", at(18, 33),
                                       "<new-4@old.example.cn>"),
        "05-attached.eml": mails.with_attachments("pic@example.com", "屏幕闪烁", "见附件截图和购买凭证。", at(18, 34),
                                                  "<new-5@mail.example.com>",
                                                  {"故障截图.png": PNG, "购买凭证.pdf": PDF}),
        "06-reply.eml": mails.plain("zhangwei@example.com", "回复：已受理", "好的，我下午在家，可以远程。" + quote,
                                    at(18, 40), "<reply-1@example.com>", in_reply_to=ack, references=ack),
        "07-subject-only.eml": mails.plain("old@example.com", f"回复：【客户服务中心】记录 {C1} 已处理完毕",
                                           "问题又出现了，还是无法登录。", at(18, 41), "<reply-2@example.com>"),
        "08-other-sender.eml": mails.plain("stranger@example.org", f"关于 {P1} 的问题", "我是张伟的同事，想问进度。",
                                           at(18, 42), "<other-1@example.org>"),
        "09-confirm.eml": mails.plain("chen@example.com", "回复：请确认处理结果", "确认，按方案执行。", at(18, 43),
                                      "<confirm-1@example.com>", in_reply_to=confirm1),
        "10-objection.eml": mails.plain("wu@example.com", "回复：请确认处理结果", "不同意，重装太麻烦了。", at(18, 44),
                                        "<objection-1@example.com>", in_reply_to=confirm2),
        **{f"1{n}-rating.eml": mails.plain(f"s{n + 1}@example.com", "回复：请为本次服务评分", words, at(18, 45 + n),
                                           f"<rating-{n}@example.com>", in_reply_to=surveys[n])
           for n, words in enumerate(ratings)},
        "16-link-rating.eml": mails.plain("s6@example.com", survey_link(path, SURVEYED[5], 2), "", at(18, 50),
                                          "<rating-link@example.com>"),
        "17-auto-cn.eml": mails.plain("zhangwei@example.com", "自动回复：我正在休假", "我 6 月 3 日回来。", at(18, 51),
                                      "<auto-1@example.com>", in_reply_to=ack,
                                      headers={"Auto-Submitted": "auto-replied"}),
        "18-auto-en.eml": mails.plain("wu@example.com", "Automatic reply: 请确认处理结果", "I am out of office.",
                                      at(18, 52), "<auto-2@example.com>", in_reply_to=confirm2,
                                      headers={"X-Auto-Response-Suppress": "All"}),
        "19-auto-subject.eml": mails.plain("someone@example.com", "自动回复: 您的来信已收到", "谢谢来信。", at(18, 53),
                                           "<auto-3@example.com>"),
        "20-list.eml": mails.plain("news@shop.example.com", "六月促销", "全场八折。", at(18, 54),
                                   "<list-1@shop.example.com>",
                                   headers={"List-Id": "<news.shop.example.com>", "Precedence": "bulk"}),
        "21-bounce.eml": mails.bounce(sent[(B1, "acknowledgement")], "nobody@nowhere.example.com", at(18, 55),
                                      "<bounce-1@mx.service.example.com>"),
        "22-no-id.eml": no_id,
        "23-no-id-again.eml": no_id,
        "24-twice.eml": same,
        "25-twice-again.eml": same,
        "26-from-team.eml": mails.plain(AGENT, "转发：客户来电记录", "客户来电说要退货。", at(18, 56),
                                        "<team-1@example.com>"),
    }


@pytest.fixture
def mailed(tmp_path, cli) -> Path:
    path = caseload(tmp_path)
    done = cli("mail", path, "--now", NOW)
    assert done.code == 0, done.out + done.err
    return path


def inbox_of(path: Path) -> Path:
    return path.with_name(path.stem + ".servicebook") / "inbox"


def test_the_mailbox_feeds_the_workbook(mailed, cli):
    mails.drop(inbox_of(mailed), fixture_set(mailed))
    before = {r["记录编号"]: r for r in by_header(mailed, "服务记录")}
    done = cli("intake", mailed, "--now", LATER, "--json")
    assert done.code == 0, done.err
    report = done.json()
    assert report["counts"] == {"new": 8, "reply": 3, "confirm": 1, "rating": 6, "bounce": 1, "skip": 5}
    assert report["already"] == 2 and report["unreadable"] == []

    records = {r["记录编号"]: r for r in by_header(mailed, "服务记录")}
    new = {r["电子邮箱"]: r for number, r in records.items() if number not in before}
    assert sorted(new) == sorted(["lilei@example.com", "wang@example.net", "zhao@example.cn", "old-client@example.cn",
                                  "pic@example.com", "stranger@example.org", "noid@example.com", "twice@example.com"])
    assert all(r["服务渠道"] == "邮件" and r["处理状态"] == "待受理" and r["服务类型"] == "咨询"
               and r["优先级"] == "一般" and re.fullmatch(r"CSF20240531\d{6}", r["记录编号"]) for r in new.values())
    # A known customer is found by address; the phone in the text is masked; the signature is gone.
    lilei = new["lilei@example.com"]
    assert (lilei["客户编号"], lilei["客户名称"], lilei["客户等级"]) == ("U20240099", "李雷", "VIP")
    assert lilei["问题描述"] == "订单支付失败\n你好，订单一直支付失败，回电 139****5678。"
    assert lilei["提交时间"] == datetime(2024, 5, 31, 18, 30)
    assert new["wang@example.net"]["问题描述"] == "收到的商品有破损\n您好：\n收到的耳机外壳有裂痕，\n能换一个吗？"
    assert new["zhao@example.cn"]["客户名称"] == "赵六"
    assert new["zhao@example.cn"]["问题描述"] == "发票抬头需要修改\n发票抬头写错了，应为“上海某某科技有限公司”。"
    assert new["old-client@example.cn"]["问题描述"] == "咨询保修政策\n请问耳机保修几年？"
    assert new["stranger@example.org"]["关联编号"] == P1
    assert new["stranger@example.org"]["备注"] == (
        f"待核实：来信提到记录 {P1}，但发件人 stranger@example.org 不是该记录的邮箱")
    pic = new["pic@example.com"]
    assert pic["备注"] == "附件：故障截图.png、购买凭证.pdf"
    kept = mailed.with_name(mailed.stem + ".servicebook") / "attachments" / pic["记录编号"]
    assert {p.name: p.read_bytes() for p in kept.iterdir()} == {"故障截图.png": PNG, "购买凭证.pdf": PDF}

    # Replies joined their cases.
    entries = [r for r in by_header(mailed, "进度跟踪") if r["记录人"] == "客户邮件"]
    by_ticket = {r["记录编号"]: r for r in entries}
    assert len(entries) == 10
    assert by_ticket[P1]["进展说明"] == "好的，我下午在家，可以远程。" and records[P1]["处理状态"] == "处理中"
    assert (records[C1]["处理状态"], by_ticket[C1]["变更后状态"]) == ("需跟进", "需跟进")
    assert by_ticket[C1]["进展说明"] == "问题又出现了，还是无法登录。"
    assert (records[W1]["处理状态"], records[W1]["关闭时间"]) == ("已关闭", datetime(2024, 5, 31, 18, 43))
    assert by_ticket[W1]["进展说明"] == "客户确认：确认，按方案执行。"
    assert records[W2]["处理状态"] == "待确认" and by_ticket[W2]["进展说明"] == "不同意，重装太麻烦了。"
    scores = [(records[t]["满意度"], records[t]["客户评价"]) for t in SURVEYED]
    assert scores == [(5, ""), (5, "服务很好"), (5, ""), (4, ""), (3, "等待时间有点长"), (2, "")]

    # The bounce: the mail log says 退信 with the server's reason.
    log = {r["记录编号"]: r for r in by_header(mailed, "邮件日志") if r["模板"] == "受理通知"}
    assert log[B1]["结果"] == "退信"
    assert log[B1]["说明"] == "550 5.1.1 <nobody@nowhere.example.com>: Recipient address rejected: User unknown"
    assert log[P1]["结果"] == "草稿"

    # Every message moved to 已处理; a rerun takes nothing.
    assert sorted(p.name for p in (inbox_of(mailed) / "已处理").iterdir()) == sorted(fixture_set(mailed))
    assert [p.name for p in inbox_of(mailed).iterdir()] == ["已处理"]
    again = cli("intake", mailed, "--now", LATER, "--json")
    assert again.code == 0 and again.json()["counts"] == dict.fromkeys(report["counts"], 0)
    assert len(by_header(mailed, "服务记录")) == len(records)


def test_the_same_messages_put_back_are_not_taken_twice(mailed, cli):
    messages = fixture_set(mailed)
    mails.drop(inbox_of(mailed), messages)
    assert cli("intake", mailed, "--now", LATER).code == 0
    rows, entries = len(by_header(mailed, "服务记录")), len(by_header(mailed, "进度跟踪"))
    mails.drop(inbox_of(mailed), messages)   # a person drags the same mail in again
    done = cli("intake", mailed, "--now", LATER, "--json")
    assert done.code == 0
    assert done.json()["already"] == 26 and done.json()["items"] == []
    assert (len(by_header(mailed, "服务记录")), len(by_header(mailed, "进度跟踪"))) == (rows, entries)


def test_a_customers_reply_is_not_sent_back_to_them_as_a_progress_update(mailed, cli):
    mails.drop(inbox_of(mailed), fixture_set(mailed))
    assert cli("intake", mailed, "--now", LATER).code == 0
    done = cli("mail", mailed, "--now", LATER, "--json")
    assert done.code == 0
    to_them = [m for m in done.json()["messages"] if m["recipient"] in ("zhangwei@example.com", "wu@example.com")]
    assert to_them == []


def test_a_nightly_run_reads_the_mailbox_first_and_numbers_what_came(mailed, cli):
    mails.drop(inbox_of(mailed), {"new.eml": mails.plain("lilei@example.com", "订单支付失败", "还是失败。", at(19),
                                                         "<night-1@example.com>")})
    done = cli("run", mailed, "--now", LATER, "--json")
    assert done.code == 0, done.err
    report = done.json()
    assert report["intake"]["counts"]["new"] == 1
    number = report["intake"]["items"][0]["ticket"]
    assert number in [n["ticket_no"] for n in report["number"]["numbered"]]
    row = next(r for r in by_header(mailed, "服务记录") if r["记录编号"] == number)
    assert (row["客户编号"], row["受理人"]) == ("U20240099", "C008 张敏")   # assigned like any new record
    assert [p.name for p in (inbox_of(mailed) / "已处理").iterdir()] == ["new.eml"]


def test_an_unreadable_file_is_set_aside_and_named(mailed, cli):
    mails.drop(inbox_of(mailed), {"broken.msg": b"not an outlook file", "empty.eml": b"\r\n\r\n"})
    done = cli("intake", mailed, "--now", LATER)
    assert done.code == 0
    assert "无法读取 broken.msg" in done.out and "无法读取 empty.eml" in done.out
    assert sorted(p.name for p in (inbox_of(mailed) / "无法读取").iterdir()) == ["broken.msg", "empty.eml"]


def test_with_no_inbox_folder_intake_makes_it_and_says_where(tmp_path, cli):
    path = caseload(tmp_path)
    done = cli("intake", path, "--now", LATER)
    assert done.code == 0
    assert inbox_of(path).is_dir()
    assert f"收件箱文件夹：{inbox_of(path)}" in done.out


# ------------------------------------------------------------------ the customer's words


@pytest.mark.parametrize(("words", "expected"), [
    ("5", (5, "")), ("5分", (5, "")), ("５分，很满意", (5, "很满意")), ("非常满意", (5, "")), ("满意", (4, "")),
    ("不满意，等了三天", (2, "等了三天")), ("非常不满意", (1, "")), ("一般", (3, "")), ("四分", (4, "")),
    ("★★★★★ 谢谢", (5, "谢谢")), ("评分：3 分 还行", (3, "还行")), ("我很满意", (5, "")),
    ("2024年的订单", None), ("请问什么时候发货", None), ("10分", None),
])
def test_a_rating_is_read_in_the_forms_customers_write(words, expected):
    assert rating_of(words) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("好的\n\n-----原始邮件-----\n发件人: a", "好的"),
    ("收到\n\n------------------ 原始邮件 ------------------\n发件人: a", "收到"),
    ("可以\n\nOn Fri, May 31, 2024 at 6:00 PM Service <s@x.com> wrote:\n> old", "可以"),
    ("行\n> 引用\n> 引用", "行"),
    ("谢谢\n-- \n张三\n电话", "谢谢"),
    ("谢谢\n\n发自我的iPhone", "谢谢"),
    ("第一行\n\n第二行\n________________________________\nFrom: x", "第一行\n\n第二行"),
])
def test_quoted_history_and_signatures_are_removed(text, expected):
    assert own_words(text) == expected


def test_outlook_msg_files_dragged_in_become_records_and_replies(mailed, cli):
    ack = ledger_ids(mailed)[(P1, "acknowledgement")]
    sent = datetime(2024, 5, 31, 19, 30, tzinfo=mails.CHINA)
    mails.drop(inbox_of(mailed), {
        "订单问题.msg": outlook_msg("lilei@example.com", "李雷", mails.SERVICE, "发票还没收到",
                                   "您好，上周的发票还没收到。\r\n\r\n李雷", sent, "<outlook-1@example.com>",
                                   attachments={"订单截图.png": PNG + bytes(5000)}),
        "RE 已受理.msg": outlook_msg("zhangwei@example.com", "张伟", mails.SERVICE, "RE: 已受理",
                                    "明天上午也可以。\r\n\r\n-----原始邮件-----\r\n发件人: 客户服务中心", sent,
                                    "<outlook-2@example.com>", in_reply_to=ack),
    })
    done = cli("intake", mailed, "--now", LATER, "--json")
    assert done.code == 0, done.err
    assert done.json()["counts"] == {"new": 1, "reply": 1, "confirm": 0, "rating": 0, "bounce": 0, "skip": 0}
    new = next(r for r in by_header(mailed, "服务记录") if r["电子邮箱"] == "lilei@example.com")
    assert (new["客户编号"], new["提交时间"], new["问题描述"]) == ("U20240099", datetime(2024, 5, 31, 19, 30),
                                                          "发票还没收到\n您好，上周的发票还没收到。\n\n李雷")
    kept = mailed.with_name(mailed.stem + ".servicebook") / "attachments" / new["记录编号"] / "订单截图.png"
    assert kept.read_bytes() == PNG + bytes(5000)
    reply = next(r for r in by_header(mailed, "进度跟踪") if r["来信标识"] == "<outlook-2@example.com>")
    assert (reply["记录编号"], reply["进展说明"]) == (P1, "明天上午也可以。")


def test_after_a_bounce_no_more_mail_goes_to_that_address_until_it_is_corrected(mailed, cli):
    bounce = mails.bounce(ledger_ids(mailed)[(B1, "acknowledgement")], "nobody@nowhere.example.com", at(18, 55),
                          "<bounce-2@mx.service.example.com>")
    mails.drop(inbox_of(mailed), {"bounce.eml": bounce})
    assert cli("intake", mailed, "--now", LATER).code == 0
    row = 12   # B1's row
    write_rows(mailed, "records", [{"solution": "远程重置", "due_at": datetime(2024, 6, 2, 12)}], first_row=row)

    held = cli("run", mailed, "--now", LATER, "--json")
    assert held.code == 0, held.err
    assert [m for m in held.json()["mail"]["messages"] if m["ticket"] == B1] == []
    b1 = next(r for r in by_header(mailed, "服务记录") if r["记录编号"] == B1)
    assert b1["校验结果"] == ("提示：G列「电子邮箱」方案同步暂不发送：发往 nobody@nowhere.example.com 的邮件被退回"
                           "（550 5.1.1 <nobody@nowhere.example.com>: Recipient address rejected: User unknown），"
                           "请核对「电子邮箱」，改正后下次运行发送")

    write_rows(mailed, "records", [{"email": "b1@example.com"}], first_row=row)
    sent = cli("run", mailed, "--now", LATER, "--json")
    assert [(m["template"], m["recipient"]) for m in sent.json()["mail"]["messages"] if m["ticket"] == B1] == \
        [("方案同步", "b1@example.com")]


def test_the_agent_is_told_of_a_reply_and_that_a_closed_case_was_reopened(mailed, cli):
    mails.drop(inbox_of(mailed), fixture_set(mailed))
    assert cli("intake", mailed, "--now", LATER).code == 0
    done = cli("mail", mailed, "--now", LATER, "--json")
    assert done.code == 0, done.err
    notices = sorted((m["ticket"], m["recipient"], m["subject"]) for m in done.json()["messages"]
                     if m["template"] == "客户回复提醒")
    # Replies, the confirmation, the objection and the two low scores; not the scores of 4 and 5.
    assert notices == [
        (C1, AGENT, f"【客户回复】{C1} 张伟（已关闭的记录，已改为需跟进）"),
        (P1, AGENT, f"【客户回复】{P1} 张伟"),
        (SURVEYED[4], AGENT, f"【客户回复】{SURVEYED[4]} 客户5"),
        (SURVEYED[5], AGENT, f"【客户回复】{SURVEYED[5]} 客户6"),
        (W1, AGENT, f"【客户回复】{W1} 张伟"),
        (W2, AGENT, f"【客户回复】{W2} 张伟"),
    ]
    reopened = next(m for m in done.json()["messages"] if m["template"] == "客户回复提醒" and m["ticket"] == C1)
    outbox = mailed.with_name(mailed.stem + ".servicebook") / "outbox"
    body = message_from_bytes((outbox / reopened["file"]).read_bytes(), policy=policy.default)
    assert "问题又出现了，还是无法登录。" in body.get_body(("plain",)).get_content()
    assert "收到回复后已改为“需跟进”" in body.get_body(("plain",)).get_content()
    again = cli("mail", mailed, "--now", LATER, "--json")
    assert [m for m in again.json()["messages"] if m["template"] == "客户回复提醒"] == []


def test_the_nightly_run_says_what_came_in(mailed, cli):
    mails.drop(inbox_of(mailed), {"new.eml": mails.plain("lilei@example.com", "订单支付失败", "还是失败。", at(19),
                                                         "<night-2@example.com>")})
    done = cli("run", mailed, "--now", LATER)
    assert done.code == 0, done.err
    lines = done.out.splitlines()
    at_intake = lines.index("【收信】")
    assert lines[at_intake + 1] == "收件箱文件夹：读入 1 封来信——新记录 1；0 封此前已读入。"
    assert lines[at_intake + 2].startswith("  新记录 CSF20240531") and lines[at_intake + 2].endswith(
        "：lilei@example.com「订单支付失败」")
    assert lines[at_intake + 3] == "【编号】"
