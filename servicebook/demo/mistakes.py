"""The usual input mistakes, put into a few dozen demo rows so validation has work to show."""

from __future__ import annotations

import random
from datetime import timedelta


def _traditional_priority(r: dict) -> None:
    r["priority"] = "緊急"


def _stray_space_type(r: dict) -> None:
    r["type"] = f" {r['type']}"


def _fullwidth_tier(r: dict) -> None:
    r["tier"] = "ＶＩＰ"


def _text_date(r: dict) -> None:
    r["received_at"] = f"{r['received_at']:%Y/%m/%d %H:%M}".replace("/0", "/")


def _chinese_text_date(r: dict) -> None:
    received = r["received_at"]
    r["received_at"] = f"{received.year}年{received.month}月{received.day}日 {received.hour}时{received.minute}分"


def _bad_date(r: dict) -> None:
    r["received_at"] = "上周三下午"


def _short_phone(r: dict) -> None:
    r["phone"] = r["phone"][:10]


def _bad_email(r: dict) -> None:
    r["email"] = r["email"].replace("@", "@@", 1)


def _email_no_dot(r: dict) -> None:
    r["email"] = r["email"].split("@")[0] + "@163"


def _closed_without_time(r: dict) -> None:
    if r["status"] == "已关闭":
        r.pop("closed_at", None)


def _closed_without_solution(r: dict) -> None:
    if r["status"] == "已关闭":
        r.pop("solution", None)


def _score_out_of_range(r: dict) -> None:
    if r["status"] == "已关闭":
        r["csat"] = 6


def _resolved_before_received(r: dict) -> None:
    if r.get("resolved_at"):
        r["resolved_at"] = r["received_at"] - timedelta(hours=3)


def _missing_name(r: dict) -> None:
    r["customer_name"] = None


def _synonym_status(r: dict) -> None:
    if r["status"] == "已关闭":
        r["status"] = "已解决"


def _id_number(r: dict) -> None:
    r["description"] += "客户提供身份证号330106198803151234用于核实。"


def _unknown_channel(r: dict) -> None:
    r["channel"] = "抖音私信"


MISTAKES = [
    _traditional_priority, _stray_space_type, _fullwidth_tier, _text_date, _chinese_text_date, _bad_date,
    _short_phone, _bad_email, _email_no_dot, _closed_without_time, _closed_without_solution,
    _score_out_of_range, _resolved_before_received, _missing_name, _synonym_status, _id_number,
    _unknown_channel,
]


def add_mistakes(rng: random.Random, records: list[dict], count: int) -> list[int]:
    """Spoil `count` rows among the older ones (numbered already); returns their indexes."""
    candidates = list(range(len(records)))
    chosen = sorted(rng.sample(candidates, min(count, len(candidates))))
    for n, index in enumerate(chosen):
        MISTAKES[n % len(MISTAKES)](records[index])
    return chosen
