"""The SLA part of 设置 read into rules: the limits table, the clock, the team's calendar."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from servicebook.definition import SettingsDef, TableDef
from servicebook.domain.problems import ERROR, Problem
from servicebook.domain.settings import ROW, Settings, Vocabulary
from servicebook.domain.suggest import canonical
from servicebook.domain.values import as_text, is_blank, normalize_text, parse_time
from servicebook.text import t

METRICS = ("accept", "first_response", "resolve", "resolve_complex", "update")
ANY = "全部"
MAX_LIMIT_HOURS = 8760


@dataclass(frozen=True)
class Limits:
    accept: float | None = None
    first_response: float | None = None
    resolve: float | None = None
    resolve_complex: float | None = None
    update: float | None = None


@dataclass(frozen=True)
class LimitRule:
    priority: str | None   # None: any
    type: str | None
    tier: str | None
    values: dict[str, float | None]
    order: int

    def matches(self, priority: str, type_: str, tier: str) -> bool:
        return all(want is None or want == have
                   for want, have in ((self.priority, priority), (self.type, type_), (self.tier, tier)))

    @property
    def specificity(self) -> int:
        return sum(x is not None for x in (self.priority, self.type, self.tier))


@dataclass
class LimitTable:
    rules: list[LimitRule]
    _cache: dict[tuple[str, str, str], Limits] = field(default_factory=dict)

    def limits(self, priority: str, type_: str, tier: str) -> Limits:
        """Per metric, the value of the most specific matching row that has one (later rows win ties)."""
        key = (priority, type_, tier)
        if key not in self._cache:
            matching = sorted((r for r in self.rules if r.matches(*key)), key=lambda r: (r.specificity, r.order))
            values = {}
            for metric in METRICS:
                found = [r.values[metric] for r in matching if r.values[metric] is not None]
                values[metric] = found[-1] if found else None
            self._cache[key] = Limits(**values)
        return self._cache[key]


@dataclass(frozen=True)
class SlaSettings:
    clock: str                         # "calendar" or "working"
    periods: list[tuple[int, int]]
    pause_awaiting: bool
    risk_rule: str                     # "ratio" or "hours"
    risk_ratio: float                  # share of the limit, 0..1
    risk_hours: float
    escalate_after_hours: float
    limits: LimitTable
    team_days: dict[date, bool]


def _dimension(value: object, allowed: list[str], where: str, row: int | None, title: str,
               problems: list[Problem]) -> str | None:
    text = as_text(value)
    if is_blank(value) or canonical(text) == canonical(ANY):
        return None
    if text not in allowed:
        problems.append(Problem(title, row, where, ERROR, "bad_setting",
                                t("sla.settings_bad_word", value=text, allowed="、".join([ANY, *allowed]))))
    return text


def _hours(value: object, where: str, row: int | None, title: str, problems: list[Problem]) -> float | None:
    if is_blank(value):
        return None
    try:
        hours = float(normalize_text(as_text(value)))
    except ValueError:
        hours = -1.0
    if not 0 < hours <= MAX_LIMIT_HOURS:
        problems.append(Problem(title, row, where, ERROR, "bad_setting",
                                t("sla.settings_bad_hours", value=as_text(value), max=MAX_LIMIT_HOURS)))
        return None
    return hours


def read_limits(settings: Settings, table: TableDef, vocab: Vocabulary, problems: list[Problem]) -> LimitTable:
    headers = {c.key: c.header for c in table.columns}
    lists = {"priority": "priority", "type": "type", "tier": "tier"}
    rules = []
    for order, row in enumerate(settings.table("sla_limits")):
        number = row[ROW]
        where = {k: settings.where("sla_limits", k, h) for k, h in headers.items()}
        dims = {k: _dimension(row.get(k), vocab.words(lst), where[k], number, settings.title, problems)
                for k, lst in lists.items()}
        values = {m: _hours(row.get(m), where[m], number, settings.title, problems) for m in METRICS}
        rules.append(LimitRule(dims["priority"], dims["type"], dims["tier"], values, order))
    return LimitTable(rules)


def read_team_days(settings: Settings, table: TableDef, problems: list[Problem]) -> dict[date, bool]:
    headers = {c.key: c.header for c in table.columns}
    kinds = {"休息日": False, "工作日": True}
    days: dict[date, bool] = {}
    for row in settings.table("team_calendar"):
        number = row[ROW]
        parsed = parse_time(row.get("date"))
        kind = as_text(row.get("kind"))
        if parsed.value is None:
            where = settings.where("team_calendar", "date", headers["date"])
            problems.append(Problem(settings.title, number, where, ERROR, "bad_setting",
                                    t("sla.settings_bad_date", value=as_text(row.get("date")))))
            continue
        if kind not in kinds:
            where = settings.where("team_calendar", "kind", headers["kind"])
            problems.append(Problem(settings.title, number, where, ERROR, "bad_setting",
                                    t("sla.settings_bad_kind", value=kind)))
            continue
        days[parsed.value.date()] = kinds[kind]
    return days


def read_sla_settings(settings: Settings, definition: SettingsDef,
                      vocab: Vocabulary) -> tuple[SlaSettings, list[Problem]]:
    problems: list[Problem] = []
    limits = read_limits(settings, definition.table("sla_limits"), vocab, problems)
    team_days = read_team_days(settings, definition.table("team_calendar"), problems)
    return SlaSettings(
        clock=settings["sla_clock"],
        periods=settings["working_hours"],
        pause_awaiting=bool(settings["pause_awaiting"]),
        risk_rule=settings["risk_rule"],
        risk_ratio=float(settings["risk_ratio"]) / 100,
        risk_hours=float(settings["risk_hours"]),
        escalate_after_hours=float(settings["escalate_after_hours"]),
        limits=limits,
        team_days=team_days,
    ), problems
