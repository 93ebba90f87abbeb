"""check, validate, number and sla, in words."""

from __future__ import annotations

from servicebook.jobs.check import CheckReport, required_columns
from servicebook.jobs.number import NumberReport
from servicebook.jobs.sla import SlaReport, state_word
from servicebook.jobs.validate import ValidateReport
from servicebook.render import SHOWN, problem_lines
from servicebook.text import t


def _alias_hint(report: CheckReport, sheet: str, header: str) -> str:
    if report.alias_cell:
        return t("check.alias_hint", cell=report.alias_cell, sheet=sheet, header=header)
    return t("check.alias_hint_no_settings")


def _extras(extras: list[dict]) -> str:
    return t("check.extras", extras="、".join(f"{e['column']}列「{e['header']}」" for e in extras))


def check_lines(name: str, report: CheckReport, show_all: bool = False) -> list[str]:
    """What decides whether the tool can work first, then what changes what it does; the optional
    columns and the other sheets' details only with --all."""
    out = [t("check.title", name=name)]
    records, others = report.sheets[0], report.sheets[1:]
    if records.title is None:
        out.append(t("check.records_absent"))
    else:
        out.append(t("check.sheet_found", name=records.name, title=records.title, row=records.header_row,
                     rows=records.rows, columns=len(records.columns)))
        if records.table:
            out.append(t("check.in_table", table=records.table))
        required = {c.key for c in required_columns()}
        out += [t("check.alias_used", column=c["column"], written=c["as_written"], header=c["header"])
                for c in records.columns if c["as_written"] != c["header"] and c["key"] in required]
        out += [t("check.missing_required", header=c["header"]) + " " + _alias_hint(report, records.name, c["header"])
                for c in records.missing if c["required"]]
        if report.blocked:
            out.append("  " + report.blocked)
        elif report.new_columns:
            letters = [letter for _, letter in report.new_columns]
            out.append(t("check.new_columns", count=len(letters), first=letters[0], last=letters[-1],
                         where=t("check.in_the_table") if records.table else ""))
        out += [t("check.not_computed", columns="、".join(f"「{c}」" for c in entry.columns),
                  what="、".join(entry.metrics + entry.figures)) for entry in report.disabled]
        out += [t("check.skipped_row", row=s["row"], why=s["why"]) for s in records.skipped]
        if records.extras:
            out.append(_extras(records.extras))
    for sheet in others:
        out.append(t("check.sheet_absent", name=sheet.name) if sheet.title is None else
                   t("check.sheet_found", name=sheet.name, title=sheet.title, row=sheet.header_row,
                     rows=sheet.rows, columns=len(sheet.columns)))
    if show_all:
        for sheet in (s for s in report.sheets if s.title is not None):
            out.append(t("check.details", name=sheet.name))
            out += [t("check.alias_used", column=c["column"], written=c["as_written"], header=c["header"])
                    for c in sheet.columns if c["as_written"] != c["header"]]
            out += [t("check.missing_computed" if c["computed"] else "check.missing_optional", header=c["header"])
                    for c in sheet.missing if not c["required"]]
            if sheet.extras and sheet.key != "records":
                out.append(_extras(sheet.extras))
    else:
        out.append(t("check.more_with_all"))
    if report.problems:
        out += [t("check.problems"), *problem_lines(report.problems)]
    return out


def validate_lines(report: ValidateReport) -> list[str]:
    summary = report.as_json()
    return [t("validate.summary", rows=summary["rows"], bad_rows=summary["rows_with_errors"], errors=summary["errors"],
              warnings=summary["warnings"], masked=summary["phones_masked"]),
            *problem_lines(report.problems, t("validate.see_column")),
            # A row the agent typed that is taken for a 合计 row is said at every run, not only by `check`.
            *(t("validate.not_record", row=row, why=why) for row, why in sorted(report.not_records.items()))]


def number_lines(report: NumberReport) -> list[str]:
    numbered = report.numbered
    out = [t("number.summary", count=len(numbered), already=report.result.already, skipped=len(report.problems))]
    if numbered:
        out.append(t("number.range", first=numbered[0][1], last=numbered[-1][1]))
    return out + problem_lines(report.problems)


def sla_headline(report: SlaReport) -> str:
    return t(f"sla.clock_{report.clock}")


def sla_lines(report: SlaReport) -> list[str]:
    out = [sla_headline(report), *("  ! " + warning for warning in report.warnings)]
    for metric, counts in report.counts.items():
        items = "，".join(t("sla.count_item", state=state_word(s), count=c) for s, c in counts.items())
        out.append("  " + t("sla.summary_line", metric=t(f"sla.metric.{metric}"), counts=items or "—"))
    out += ["  " + t("sla.not_computed", metric=t(f"sla.metric.{m}"), columns="、".join(f"「{h}」" for h in headers))
            for m, headers in report.uncomputed.items()]
    if report.observed:
        out.append("  " + t("sla.history_recorded", count=report.observed))
    if not report.escalations:
        return [*out, t("sla.no_escalations")]
    out.append(t("sla.escalations", count=len(report.escalations)))
    out += [t("sla.escalation_line", **item.as_dict()) for item in report.escalations[:SHOWN]]
    if len(report.escalations) > SHOWN:
        out.append("  " + t("cli.more_problems", count=len(report.escalations) - SHOWN, hint=t("sla.see_column")))
    return out
