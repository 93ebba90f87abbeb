"""`servicebook report 华东.xlsx 华南.xlsx 华北.xlsx --out 客服中心汇总.xlsx`: one report over
several teams' workbooks — every figure for all teams together and for each team beside it, the
lists with a 团队 column — each team's figures on its own settings (clock, limits).

The team workbooks are only read. The report goes into `--out`: a new workbook holding just the
report, or, when that file exists, a sheet added to it (or rebuilt) by the lossless writer."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from pathlib import Path

import openpyxl

from servicebook.domain.report import Figures, Period, TeamRecords, department_figures, report_figures
from servicebook.edits import BuiltSheet, Edits
from servicebook.jobs import sla as sla_job
from servicebook.jobs.report import ReportReport, reopened_tickets
from servicebook.jobs.session import open_session
from servicebook.sheets.report import ReportMeta, TeamFigures, build_report_sheet
from servicebook.sidecar import Sidecar
from servicebook.text import t
from servicebook.xlsx.save import replace_atomically


@dataclass
class DepartmentReport(ReportReport):
    out: Path | None = None
    teams: list[tuple[str, Figures]] = field(default_factory=list)

    def as_json(self) -> dict:
        found = super().as_json()
        found["out"] = str(self.out) if self.out else None
        found["teams"] = {name: ReportReport(self.title, figures, figures).as_json()["current"]
                          for name, figures in self.teams}
        return found


def _team_names(settings_names: list[str], paths: list[Path]) -> list[str]:
    """Each team by its 团队名称; by the workbook's name where two teams share one."""
    return [name if settings_names.count(name) == 1 else path.stem for name, path in zip(settings_names, paths,
                                                                                         strict=True)]


def _read_team(path: Path, now: datetime | None) -> tuple[TeamRecords, str, str]:
    with open_session(path, now=now, writing=False) as session:
        computed = sla_job.compute(session)
        clock = t(f"report.clock.{computed.settings.clock}")
        team = TeamRecords(session.settings["team_name"], session.records(), session.book.vocab, computed.result,
                           reopened_tickets(session, computed), session.book.table("care"))
        return team, clock, session.now


def department_report(paths: list[Path], out: Path, period: Period, now: datetime | None = None) -> DepartmentReport:
    read = [_read_team(Path(p), now) for p in paths]
    names = _team_names([team.team for team, _, _ in read], [Path(p) for p in paths])
    teams = [replace(team, team=name) for name, (team, _, _) in zip(names, read, strict=True)]
    current, previous = department_figures(teams, period)
    own = [TeamFigures(team.team, report_figures(team.table, team.vocab, team.sla, period, team.reopened,
                                                 team.care)[0], clock)
           for team, (_, clock, _) in zip(teams, read, strict=True)]
    generated = read[0][2]
    kind = t(f"report.kind.{period.kind}")
    title = t("report.sheet.department", kind=kind, label=period.label)
    report = DepartmentReport(title, current, previous, out=out, teams=[(f.team, f.figures) for f in own])
    if current.received == 0:
        report.skipped = t("report.no_records", label=period.label, kind=kind)
        return report
    meta = ReportMeta(out.stem, "；".join(dict.fromkeys(f.clock for f in own)), generated, kind)
    build = partial(build_report_sheet, current=current, previous=previous, meta=meta, teams=own)
    _write(out, BuiltSheet(title, build))
    return report


def _write(out: Path, sheet: BuiltSheet) -> None:
    """Into the existing workbook through the lossless writer (a backup first), or a new one."""
    sidecar = Sidecar(out)
    if out.exists():
        with open_session(out) as session:
            edits = Edits()
            edits.built_sheets.append(sheet)
            session.save(edits)
        return

    def write(temp: Path) -> None:
        workbook = openpyxl.Workbook()
        worksheet = workbook.active
        worksheet.title = sheet.title
        sheet.lay_out(worksheet)
        workbook.save(temp)

    out.parent.mkdir(parents=True, exist_ok=True)
    replace_atomically(out, write, sidecar.backups, 0)

