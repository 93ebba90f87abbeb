"""What the mail plan looks up for a record: the customer's profile and the latest 进度跟踪 entries,
found a column at a time and made into rows only when an email asks for one."""

from __future__ import annotations

from datetime import datetime

from servicebook.definition import definition
from servicebook.domain.mail_rules import CUSTOMER_AUTHOR, Lookup
from servicebook.domain.table import build_table

CUSTOMERS = definition().sheet("customers")
PROGRESS = definition().sheet("progress")


def _customers(*rows: tuple[str, str, str]):
    return build_table(CUSTOMERS, "客户档案", [["客户编号", "联系人", "邮箱"], *map(list, rows)])


def _progress(*rows: tuple[object, object, str, str]):
    return build_table(PROGRESS, "进度跟踪", [["记录编号", "时间", "进展说明", "记录人"], *map(list, rows)])


def test_a_customer_listed_twice_is_known_by_the_last_row():
    lookup = Lookup(_customers(("C001", "王伟", "old@example.com"), ("C002", "李娜", "li@example.com"),
                               ("C001", "王伟", "new@example.com")), None, None)

    assert lookup.profiles.get("C001")["email"] == "new@example.com"
    assert lookup.profiles.get("C002")["contact"] == "李娜"
    assert lookup.profiles.get("C999", {}) == {}


def test_the_latest_entry_wins_and_of_two_at_one_moment_the_lower_row():
    at = datetime(2026, 11, 20, 9, 0)
    lookup = Lookup(None, None, _progress(
        ("SR-1", datetime(2026, 11, 21, 9, 0), "later", "张三"),
        ("SR-1", at, "earlier", "张三"),
        ("SR-2", at, "first of two", "张三"),
        ("SR-2", at, "second of two", "张三"),
        ("", datetime(2026, 11, 22), "no record named", "张三"),
        ("SR-3", "not a time", "unreadable time", "张三"),
    ))

    assert lookup.latest.get("SR-1")["note"] == "later"
    assert lookup.latest.get("SR-1")["_at"] == datetime(2026, 11, 21, 9, 0)
    assert lookup.latest.get("SR-2")["note"] == "second of two"
    assert lookup.latest.get("SR-3") is None
    assert len(lookup.latest) == 2


def test_a_customers_own_email_is_a_reply_and_a_good_score_is_not_news():
    lookup = Lookup(None, None, _progress(
        ("SR-1", datetime(2026, 11, 20, 9, 0), "agent's note", "张三"),
        ("SR-1", datetime(2026, 11, 21, 9, 0), "还是连不上", CUSTOMER_AUTHOR),
        ("SR-2", datetime(2026, 11, 21, 9, 0), "客户评分 5 分", CUSTOMER_AUTHOR),
    ))

    assert lookup.latest.get("SR-1")["note"] == "agent's note"
    assert lookup.replies.get("SR-1")["note"] == "还是连不上"
    assert lookup.replies.get("SR-2") is None
    assert lookup.latest.get("SR-2") is None
