"""The care plan (source 003): which customers to contact, when, and why.

- a new customer: a first call-back within 3 days of the first purchase, a second follow-up a week
  after it;
- festivals (春节, 中秋 and those in 设置 → 关怀节日): between 5 and 3 days before, lunar dates
  converted for the year;
- customers of a year or more: one deep conversation per quarter;
- birthdays and partnership anniversaries: on the day.

Each planned row carries a plan key (首次回访, 中秋2027, 季度回访2027Q1, 生日2027…) so a rerun never
plans it twice; a 首次回访 or 二次跟进 a person logged by hand also counts as done.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, timedelta

from lunardate import LunarDate

from servicebook.domain.problems import ERROR, Problem
from servicebook.domain.settings import ROW, Settings, Vocabulary
from servicebook.domain.table import SheetTable
from servicebook.domain.values import as_text, parse_time
from servicebook.text import t

FIRST_CALLBACK = (1, 3)       # days after the first purchase: planned, due
SECOND_FOLLOW_UP = (7, 9)
QUARTER_OFFSET = 14           # the quarterly conversation is planned two weeks into the quarter
LOYAL_DAYS = 365

_CHINESE_MONTHS = {"正": 1, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
                   "十一": 11, "冬": 11, "十二": 12, "腊": 12}
_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


@dataclass(frozen=True)
class Festival:
    name: str
    lunar: bool
    month: int
    day: int
    earliest: int
    latest: int

    def on(self, year: int) -> date:
        return _festival_day(self.lunar, self.month, self.day, year)


@functools.cache   # the same few festivals, for every customer
def _festival_day(lunar: bool, month: int, day: int, year: int) -> date:
    if lunar:
        try:
            return LunarDate(year, month, day).to_solar_date()
        except ValueError:
            if day != 30:
                raise
            # A lunar month has 29 or 30 days, year by year: the 30th of a short one is its last
            # day (除夕, 腊月三十, falls on 腊月廿九 in such a year).
            return LunarDate(year, month, 29).to_solar_date()
    return _anniversary(date(2024, month, day), year)   # 2-29 (checked in 2024, a leap year): 2-28 in others


@dataclass(frozen=True)
class CareSettings:
    horizon: int
    festival_vip_only: bool
    festivals: tuple[Festival, ...]


@dataclass(frozen=True)
class PlannedCare:
    customer_id: str
    customer_name: str
    phone: object
    industry: str
    care_date: date
    due: date
    reason: str          # a 关怀事由 word
    method: str          # a 关怀方式 word
    owner: str
    plan_key: str


def _chinese_day(text: str) -> int:
    text = text.removeprefix("初")
    if text in ("十", "二十", "三十"):
        return {"十": 10, "二十": 20, "三十": 30}[text]
    text = text.replace("廿", "二十")
    if text.startswith("二十") or text.startswith("三十"):
        return (20 if text[0] == "二" else 30) + _DIGITS.get(text[2:], 0)
    if text.startswith("十"):
        return 10 + _DIGITS[text[1:]]
    return _DIGITS[text]


def parse_festival_date(text: str) -> tuple[bool, int, int]:
    """'农历1-1', '农历八月十五', '农历正月初一', '10-1', '10月1日' -> (lunar, month, day)."""
    text = text.strip().replace(" ", "")
    lunar = text.startswith("农历")
    body = text.removeprefix("农历")
    numeric = re.fullmatch(r"(\d{1,2})[-/月.](\d{1,2})日?", body)
    if numeric:
        return lunar, int(numeric.group(1)), int(numeric.group(2))
    chinese = re.fullmatch(r"(正|冬|腊|十[一二]?|[一二三四五六七八九])月(.+)", body)
    if chinese:
        return lunar, _CHINESE_MONTHS[chinese.group(1)], _chinese_day(chinese.group(2))
    raise ValueError(text)


def read_care_settings(settings: Settings, table_header: dict[str, str]) -> tuple[CareSettings, list[Problem]]:
    problems, festivals = [], []
    for row in settings.table("festivals"):
        name, text = as_text(row.get("name")), as_text(row.get("date"))
        if not name:
            continue
        try:
            lunar, month, day = parse_festival_date(text)
            earliest = int(float(as_text(row.get("earliest")) or 5))
            latest = int(float(as_text(row.get("latest")) or 3))
            festival = Festival(name, lunar, month, day, max(earliest, latest), min(earliest, latest))
            festival.on(2024)  # a date that exists in no year is refused here, not at planning time
        except (ValueError, KeyError):
            where = settings.where("festivals", "date", table_header["date"])
            problems.append(Problem(settings.title, row[ROW], where, ERROR, "bad_setting",
                                    t("care.bad_festival", value=text)))
            continue
        festivals.append(festival)
    return CareSettings(int(settings["care_horizon_days"]), settings["festival_audience"] == "vip",
                        tuple(festivals)), problems


def _anniversary(day: date, year: int) -> date:
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 2, 28)


def _quarter(day: date) -> tuple[int, int, date, date]:
    q = (day.month - 1) // 3 + 1
    start = date(day.year, 3 * q - 2, 1)
    end = (date(day.year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)) - timedelta(days=1)
    return day.year, q, start, end


class _Planner:
    def __init__(self, customers: SheetTable, records: SheetTable | None, care: SheetTable | None,
                 settings: CareSettings, vocab: Vocabulary, today: date):
        self.settings, self.vocab, self.today = settings, vocab, today
        self.last_day = today + timedelta(days=settings.horizon)
        self.reasons = {code: vocab.word("care_reason", code) for code in vocab.definition.lists["care_reason"].values}
        self.done_keys: set[tuple[str, str]] = set()
        self.done_once: set[tuple[str, str]] = set()
        if care is not None:
            for i in range(len(care)):
                customer = as_text(care.get("customer_id", i))
                self.done_keys.add((customer, as_text(care.get("plan_key", i))))
                self.done_once.add((customer, as_text(care.get("reason", i))))
        self.owners, self.first_records = self._owners_and_firsts(records)
        self.customers = customers
        # The same dates for every customer: each festival's, and this quarter's and the next's.
        self.festival_days = self._festival_days(settings.festivals, today)
        self.quarters = self._quarters(today)
        self.planned: list[PlannedCare] = []

    @staticmethod
    def _owners_and_firsts(records: SheetTable | None) -> tuple[dict[str, str], dict[str, date]]:
        """The agent of each customer's latest record (the one who knows them), and the day of each
        customer's first record (what the plan counts from when 首次购买日期 is empty)."""
        owners: dict[str, tuple] = {}
        first: dict[str, date] = {}
        if records is None:
            return {}, first
        columns = (records.column(key) for key in ("customer_id", "assignee", "received_at"))
        for customer_value, agent_value, received_value in zip(*columns, strict=True):
            customer = as_text(customer_value)
            received = parse_time(received_value).value if customer else None
            if not received:
                continue
            if customer not in first or received.date() < first[customer]:
                first[customer] = received.date()
            agent = as_text(agent_value)
            if agent and (customer not in owners or received > owners[customer][0]):
                owners[customer] = (received, agent)
        return {c: agent for c, (_, agent) in owners.items()}, first

    @staticmethod
    def _festival_days(festivals: tuple[Festival, ...], today: date) -> list[tuple[str, date, date]]:
        """Each festival's call this year and next: (plan key, planned, due)."""
        found = []
        for festival in festivals:
            for year in (today.year, today.year + 1):
                on = festival.on(year)
                found.append((f"{festival.name}{year}", on - timedelta(festival.earliest),
                              on - timedelta(festival.latest)))
        return found

    def _quarters(self, today: date) -> list[tuple[date, date, str]]:
        """This quarter's call and the next's: (planned, due, plan key)."""
        found, day = [], today
        for _ in range(2):
            year, q, start, end = _quarter(day)
            found.append((start + timedelta(QUARTER_OFFSET), end, f"{self.reasons['quarterly']}{year}Q{q}"))
            day = end + timedelta(days=1)
        return found

    def add(self, row: dict, code: str, planned: date, due: date, key: str) -> None:
        if due < self.today or planned > self.last_day:   # asked first: most dates are out of range
            return
        customer = as_text(row.get("customer_id"))
        reason = self.reasons[code]
        if (customer, key) in self.done_keys:
            return
        if code in ("first_callback", "second_followup") and (customer, reason) in self.done_once:
            return
        self.done_keys.add((customer, key))
        method = {"电话": "phone", "邮件": "email", "在线": "online"}.get(as_text(row.get("contact_pref")), "phone")
        self.planned.append(PlannedCare(
            customer, as_text(row.get("name")), row.get("phone"), as_text(row.get("industry")), planned, due, reason,
            self.vocab.word("care_method", method), self.owners.get(customer, ""), key))

    def plan(self) -> list[PlannedCare]:
        vip = self.vocab.word("tier", "vip")
        for i in range(len(self.customers)):
            row = self.customers.row(i)
            if not as_text(row.get("customer_id")):
                continue
            purchased = parse_time(row.get("first_purchase")).value
            first = purchased.date() if purchased else self.first_records.get(as_text(row.get("customer_id")))
            if first:
                self.add(row, "first_callback", first + timedelta(FIRST_CALLBACK[0]),
                         first + timedelta(FIRST_CALLBACK[1]), self.reasons["first_callback"])
                self.add(row, "second_followup", first + timedelta(SECOND_FOLLOW_UP[0]),
                         first + timedelta(SECOND_FOLLOW_UP[1]), self.reasons["second_followup"])
                self._quarterly(row, first)
            if not self.settings.festival_vip_only or as_text(row.get("tier")) == vip:
                self._festivals(row)
            for code, key in (("birthday", "birthday"), ("anniversary", "anniversary")):
                day = parse_time(row.get(key)).value
                if day:
                    for year in (self.today.year, self.today.year + 1):
                        when = _anniversary(day.date(), year)
                        self.add(row, code, when, when, f"{self.reasons[code]}{year}")
        return self.planned

    def _quarterly(self, row: dict, first: date) -> None:
        for planned, end, key in self.quarters:
            if (planned - first).days >= LOYAL_DAYS:
                self.add(row, "quarterly", planned, end, key)

    def _festivals(self, row: dict) -> None:
        for key, planned, due in self.festival_days:
            self.add(row, "festival", planned, due, key)


def plan_care(customers: SheetTable, records: SheetTable | None, care: SheetTable | None, settings: CareSettings,
              vocab: Vocabulary, today: date) -> list[PlannedCare]:
    """Care rows to add: due from today, planned within the horizon, not planned before."""
    return _Planner(customers, records, care, settings, vocab, today).plan()
