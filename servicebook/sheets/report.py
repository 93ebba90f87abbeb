"""The report sheet, laid out with openpyxl: a title, the key figures beside the previous period
and the targets, the breakdowns, four native charts, the lists, and the definitions — printable
on A4 landscape. It holds no phone numbers, emails or free text beyond tags."""

from __future__ import annotations

from copy import copy
from dataclasses import dataclass
from datetime import datetime, timedelta

from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.text import RichText
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties, RichTextProperties
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from servicebook import palette
from servicebook.domain.report import TARGET_CSAT, TARGET_RESOLVED, Figures, share
from servicebook.sheets.conventions import FORMULA_STARTS
from servicebook.sheets.style import font
from servicebook.text import t

LAST_TABLE_COLUMN = 7            # tables use A:G, charts sit to the right from I
CHART_COLUMN = "I"
CHART_ROWS = (4, 16, 28, 40)     # four charts down the right of the first printed page
CHART_HEIGHT, CHART_WIDTH = 5.8, 15  # cm: the four end by row 53, inside page one
# What one printed page holds, in points of row height, as LibreOffice prints this layout on A4
# landscape fitted to its width (measured: rows 1–56 of the demo's 月报, default rows at 15 pt).
PAGE_POINTS, DEFAULT_ROW_POINTS = 880, 15
LIST_LIMIT = 500
PERCENT, HOURS, COUNT, SCORE = "0.0%", "0.0", "0", "0.00"
POINTS = '+0.0" 个百分点";-0.0" 个百分点";0.0" 个百分点"'   # a rate's change, in percentage points
SIGNED = {PERCENT: POINTS, HOURS: "+0.0;-0.0;0.0", COUNT: "+0;-0;0", SCORE: "+0.00;-0.00;0.00",
          "0.0": "+0.0;-0.0;0.0"}
WIDTHS = {"A": 24, "B": 13, "C": 13, "D": 13, "E": 13, "F": 13, "G": 44, "H": 2}

_THIN = Side(style="thin", color="BFBFBF")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill(fill_type="solid", start_color="DDEBF7", end_color="DDEBF7")
_SECTION_FILL = PatternFill(fill_type="solid", start_color=palette.HEADER_FILL, end_color=palette.HEADER_FILL)


@dataclass(frozen=True)
class ReportMeta:
    team: str
    clock: str                # how the SLA clock counted, in words
    generated: datetime
    kind_word: str            # 月报 / 周报 / 日报 / 季报


@dataclass(frozen=True)
class TeamFigures:
    """One team's own figures, beside the department's, and the clock its settings count on."""

    team: str
    figures: Figures
    clock: str


NUMERALS = "一二三四五六七八九十"
# The figures compared team by team, in the order of the key figures.
COMPARED = (("received", COUNT), ("avg_accept_hours", HOURS), ("first_response_overdue", PERCENT),
            ("avg_handling_hours", HOURS), ("resolved_rate", PERCENT), ("resolve_on_time", PERCENT),
            ("first_contact_rate", PERCENT), ("csat_avg", SCORE), ("csat_good", PERCENT), ("csat_bad", PERCENT),
            ("care_coverage", PERCENT), ("care_on_time", PERCENT))


def ordinal(n: int) -> str:
    """1 -> 一, 11 -> 十一: how the sections are numbered."""
    if n <= 10:
        return NUMERALS[n - 1]
    return ("" if n < 20 else NUMERALS[n // 10 - 1]) + "十" + (NUMERALS[n % 10 - 1] if n % 10 else "")


@dataclass
class ListedRows:
    """The rows of one of the report's lists (the breaches, the records to call back: up to 500
    rows each, most of a report's cells), laid out apart from openpyxl's cells, which take ~15 µs
    each to make and write against ~1 µs through the part writer. Each cell is its value and its
    style as an index into the openpyxl workbook's cell styles; the part writer puts the rows into
    the sheet after it is moved into the team's package, and `fill` makes them cells of a workbook
    openpyxl saves itself."""

    first: int                                  # the row under the list's header
    rows: list[list[tuple[object, int]]]        # per row, per column from A: (value, style index)

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1

    def fill(self, ws: Worksheet) -> None:
        styles = ws.parent._cell_styles
        for offset, cells in enumerate(self.rows):
            for col, (value, style) in enumerate(cells, start=1):
                ws.cell(row=self.first + offset, column=col, value=value)._style = copy(styles[style])


class _Writer:
    def __init__(self, ws: Worksheet):
        self.ws, self.row = ws, 1
        self.sections: list[int] = []
        self.lists: list[ListedRows] = []

    def merged(self, text: str, font: Font, height: float | None = None, fill=None) -> int:
        row = self.row
        self.ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=LAST_TABLE_COLUMN)
        cell = self.ws.cell(row=row, column=1, value=text)
        cell.font, cell.alignment = font, Alignment(vertical="center", wrap_text=True)
        if fill:
            cell.fill = fill
        if height:
            self.ws.row_dimensions[row].height = height
        self.row += 1
        return row

    def section(self, text: str) -> None:
        self.row += 1
        self.sections.append(self.row - 1)   # from the blank row above its heading
        numbered = f"{ordinal(len(self.sections))}、{text}"
        self.merged(numbered, font(bold=True, size=12, color=palette.HEADER_FONT), 20, _SECTION_FILL)

    def table(self, headers: list[str], rows: list[list], formats: list[str | None]) -> tuple[int, int]:
        """Write a table; returns (header row, last row)."""
        top = self.row
        for col, header in enumerate(headers, start=1):
            cell = self.ws.cell(row=top, column=col, value=header)
            cell.font, cell.fill, cell.border = font(bold=True), _HEADER_FILL, _BOX
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        looks: dict[tuple, object] = {}   # one styled cell per look; the rest copy its style (fast)
        for offset, values in enumerate(rows, start=1):
            for col, (value, fmt) in enumerate(zip(values, formats, strict=True), start=1):
                cell = self.ws.cell(row=top + offset, column=col, value=value)
                look = (fmt, isinstance(value, str))
                if look in looks:
                    cell._style = copy(looks[look])
                    continue
                cell.border = _BOX
                if fmt:
                    cell.number_format = fmt
                if isinstance(value, str):
                    cell.alignment = Alignment(vertical="top", wrap_text=True)
                looks[look] = cell._style
        self.row = top + len(rows) + 1
        return top, top + len(rows)

    def listed(self, headers: list[str], rows: list[list], formats: list[str | None]) -> None:
        """A table whose rows are a list (its header made here, its rows kept as `ListedRows`),
        each cell styled as `table` styles it — and as text, with a quote prefix, where it would
        read as a formula."""
        top, _ = self.table(headers, [], formats)
        looks: dict[tuple, int] = {}

        def styled(value: object, fmt: str | None) -> tuple[object, int]:
            look = (fmt, isinstance(value, str), isinstance(value, str) and value.startswith(FORMULA_STARTS))
            style = looks.get(look)
            if style is None:
                style = looks[look] = self._look(*look)
            return value, style

        self.lists.append(ListedRows(top + 1, [[styled(value, fmt) for value, fmt in zip(values, formats, strict=True)]
                                                for values in rows]))
        self.row = top + len(rows) + 1

    def _look(self, fmt: str | None, text: bool, formula_like: bool) -> int:
        cell = Cell(self.ws)   # never placed: only its style is wanted
        cell.border = _BOX
        if fmt:
            cell.number_format = fmt
        if text:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        if formula_like:
            cell.quotePrefix = True
        return cell.style_id

    def boxed_row(self, row: int, values: list, formats: list[str | None]) -> None:
        """One row of a table of figures, each cell with its own number format."""
        for col, (value, fmt) in enumerate(zip(values, formats, strict=True), start=1):
            cell = self.ws.cell(row=row, column=col, value=value)
            cell.border = _BOX
            if fmt:
                cell.number_format = fmt

    def note(self, text: str) -> None:
        self.merged(text, font(italic=True, color="808080"))


def _change(current, previous, fmt: str | None = None):
    """This period minus the last; a rate's in percentage points. Rounded to what is shown, so a
    change too small to see reads 0.0, never -0.0."""
    if current is None or previous is None:
        return None
    change = current - previous
    if fmt == PERCENT:
        return round(change * 100, 1) + 0.0
    return round(change, 2) + 0.0 if isinstance(change, float) else change


def _keys(current: dict, previous: dict) -> list:
    """Both periods' categories, so each column adds up to its period's 受理量."""
    return [*current, *(k for k in previous if k not in current)]


def _met(value, target, higher_is_better=True):
    if value is None:
        return "—"
    ok = value >= target if higher_is_better else value <= target
    return t("report.met") if ok else t("report.not_met")


def _key_rows(cur: Figures, prev: Figures) -> list[tuple[str, object, object, object, str, str, str]]:
    """(figure, this, previous, target, verdict, format, definition)"""
    rows = [
        ("received", cur.received, prev.received, None, "", COUNT),
        ("avg_accept_hours", cur.avg_accept_hours, prev.avg_accept_hours, None, "", HOURS),
        ("first_response_overdue", cur.first_response_overdue, prev.first_response_overdue, None, "", PERCENT),
        ("avg_handling_hours", cur.avg_handling_hours, prev.avg_handling_hours, None, "", HOURS),
        ("resolved_rate", cur.resolved_rate, prev.resolved_rate, TARGET_RESOLVED,
         _met(cur.resolved_rate, TARGET_RESOLVED), PERCENT),
        ("first_contact_rate", cur.first_contact_rate, prev.first_contact_rate, None, "", PERCENT),
        ("csat_avg", cur.csat_avg, prev.csat_avg, TARGET_CSAT, _met(cur.csat_avg, TARGET_CSAT), SCORE),
        ("csat_100", cur.csat_100, prev.csat_100, TARGET_CSAT * 20, _met(cur.csat_100, TARGET_CSAT * 20), "0.0"),
        ("csat_good", cur.csat_good, prev.csat_good, None, "", PERCENT),
        ("csat_bad", cur.csat_bad, prev.csat_bad, None, "", PERCENT),
        ("care_coverage", cur.care_coverage, prev.care_coverage, None, "", PERCENT),
        ("care_on_time", cur.care_on_time, prev.care_on_time, None, "", PERCENT),
    ]
    if cur.period.kind == "quarter":   # the care document's 问题解决及时率
        rows.insert(5, ("resolve_on_time", cur.resolve_on_time, prev.resolve_on_time, None, "", PERCENT))
    return [(t(f"report.figure.{key}"), c, p, target, verdict, fmt, _definition(key, cur))
            for key, c, p, target, verdict, fmt in rows]


def _definition(key: str, figures: Figures) -> str:
    """What a figure counts — or, when the workbook lacks a column it needs, that it is not computed."""
    lacking = figures.not_computed.get(key)
    if lacking:
        return t("report.not_computed", columns="、".join(f"「{header}」" for header in lacking))
    return t(f"report.definition.{key}")


def _rows_or_dash(values):
    return ["—" if v is None else v for v in values]


def build_report_sheet(ws: Worksheet, current: Figures, previous: Figures, meta: ReportMeta,
                       teams: list[TeamFigures] | None = None) -> list[ListedRows]:
    """`teams`: a department report — each team's own figures beside the department's, and a 团队
    column in the lists. Returns the lists' rows, not yet cells of `ws`."""
    for letter, width in WIDTHS.items():
        ws.column_dimensions[letter].width = width
    w = _Writer(ws)
    period, before = current.period, previous.period
    title = "report.title_quarter" if period.kind == "quarter" else "report.title"
    w.merged(t(title, team=meta.team, kind=meta.kind_word, label=period.label),
             font(bold=True, size=18, color=palette.TITLE_FONT), 32)
    last_day = period.end - timedelta(days=1)
    w.merged(t("report.subtitle", start=period.start, end=last_day, previous=before.label,
               generated=meta.generated.strftime("%Y-%m-%d %H:%M"), clock=meta.clock),
             font(color="595959"), 30)

    w.section(t("report.section.key"))
    headers = [t(f"report.column.{c}") for c in ("figure", "this", "previous", "target", "verdict", "change",
                                                  "definition")]
    top, _ = w.table(headers, [], [None] * len(headers))
    key_rows = _key_rows(current, previous)
    for offset, (name, cur, prev, target, verdict, fmt, definition) in enumerate(key_rows, 1):
        values = [*_rows_or_dash([name, cur, prev]), target, verdict, _change(cur, prev, fmt), definition]
        w.boxed_row(top + offset, values, [None, fmt, fmt, fmt, None, SIGNED[fmt], None])
        colour = {t("report.met"): "006100", t("report.not_met"): "9C0006"}.get(verdict)
        if colour:
            ws.cell(row=top + offset, column=5).font = font(bold=True, color=colour)
    w.row = top + len(key_rows) + 1
    if teams:
        _team_comparison(w, current, teams)
    if current.monthly:
        _monthly(w, current)

    w.section(t("report.section.types"))
    types_top, types_end = w.table(
        [t("report.column.type"), t("report.column.count"), t("report.column.share"),
         t("report.column.previous_count"), t("report.column.change")],
        [[k, current.by_type.get(k, 0), share(current.by_type.get(k, 0), current.received), previous.by_type.get(k, 0),
          current.by_type.get(k, 0) - previous.by_type.get(k, 0)] for k in _keys(current.by_type, previous.by_type)],
        [None, COUNT, PERCENT, COUNT, SIGNED[COUNT]])

    w.section(t("report.section.channels"))
    w.table([t("report.column.channel"), t("report.column.count"), t("report.column.share"),
             t("report.column.previous_count")],
            [[k, current.by_channel.get(k, 0), share(current.by_channel.get(k, 0), current.received),
              previous.by_channel.get(k, 0)] for k in _keys(current.by_channel, previous.by_channel)],
            [None, COUNT, PERCENT, COUNT])

    w.section(t("report.section.tags"))
    w.table([t("report.column.rank"), t("report.column.tag"), t("report.column.count"), t("report.column.share")],
            [[rank, tag, n, share(n, current.received)] for rank, (tag, n) in enumerate(current.tags, start=1)],
            [COUNT, None, COUNT, PERCENT])

    w.section(t("report.section.sla"))
    sla_top, sla_end = w.table(
        [t("report.column.priority"), t("report.column.records"), t("sla.metric.accept"),
         t("sla.metric.first_response"), t("sla.metric.resolve")],
        [[p, v["records"], *_rows_or_dash([v["accept"], v["first_response"], v["resolve"]])]
         for p, v in current.by_priority.items()],
        [None, COUNT, PERCENT, PERCENT, PERCENT])

    w.section(t("report.section.csat"))
    csat_top, csat_end = w.table(
        [t("report.column.score"), t("report.column.count"), t("report.column.share")],
        [[f"{s} 分", n, share(n, current.csat_rated)] for s, n in sorted(current.csat_counts.items())],
        [None, COUNT, PERCENT])

    w.section(t("report.section.agents"))
    w.table([t(f"report.column.{c}") for c in ("agent", "records", "response", "handling", "csat_avg", "sla_met")],
            [_rows_or_dash([a["agent"], a["records"], a["response_hours"], a["handling_hours"], a["csat"],
                            a["sla_met"]]) for a in current.agents],
            [None, COUNT, HOURS, HOURS, SCORE, PERCENT])

    team = ["team"] if teams else []   # a department's lists say whose record it is
    w.section(t("report.section.breaches", count=len(current.breaches)))
    w.listed([t(f"report.column.{c}") for c in (*team, "ticket", "type", "priority", "agent", "metric", "state",
                                                "deadline")],
             [[*(b["team"] for _ in team), b["ticket"], b["type"], b["priority"], b["assignee"],
               t(f"sla.metric.{b['metric']}"), t(f"sla.state.{b['state']}"), b["deadline"]]
              for b in current.breaches[:LIST_LIMIT]],
             [*(None for _ in team), None, None, None, None, None, None, "yyyy-mm-dd hh:mm"])
    if len(current.breaches) > LIST_LIMIT:
        w.note(t("report.more", count=len(current.breaches) - LIST_LIMIT))

    w.section(t("report.section.follow_up", count=len(current.follow_up)))
    w.listed([t(f"report.column.{c}") for c in (*team, "ticket", "type", "agent", "score", "tag")],
             [[*(f["team"] for _ in team), f["ticket"], f["type"], f["assignee"], f["csat"], f["tags"]]
              for f in current.follow_up[:LIST_LIMIT]],
             [*(None for _ in team), None, None, None, COUNT, None])
    if period.kind == "quarter":
        _care_reasons(w, current)

    w.section(t("report.section.daily"))
    # Days as text labels: a chart axis shows "10-01" the same in Excel and LibreOffice.
    daily_top, daily_end = w.table([t("report.column.date"), t("report.column.count")],
                                   [[f"{d:%m-%d}", n] for d, n in current.daily], [None, COUNT])

    w.section(t("report.section.notes"))
    for key in ("cohorts", "clock", "targets", "privacy"):
        w.note(t(f"report.note.{key}", clock=meta.clock))
    if teams:
        w.note(t("report.note.teams", teams="；".join(t("report.note.team_clock", team=f.team, clock=f.clock)
                                                      for f in teams)))
    if period.kind == "quarter":
        w.note(t("report.note.quarterly"))
    if current.missing.get("received_at"):
        w.note(t("report.note.missing", count=current.missing["received_at"]))

    _charts(ws, (types_top, types_end), (sla_top, sla_end), (csat_top, csat_end), (daily_top, daily_end))
    _keep_sections_whole(ws, w.sections, w.row)
    _page_setup(ws, w.row)
    return w.lists


def _team_comparison(w: _Writer, current: Figures, teams: list[TeamFigures]) -> None:
    w.section(t("report.section.teams"))
    headers = [t("report.column.figure"), t("report.column.all_teams"), *(f.team for f in teams)]
    rows = [_rows_or_dash([t(f"report.figure.{key}"), getattr(current, key), *(getattr(f.figures, key) for f in teams)])
            for key, _fmt in COMPARED]
    top, _ = w.table(headers, [], [None] * len(headers))
    for offset, ((_key, fmt), values) in enumerate(zip(COMPARED, rows, strict=True), start=1):
        w.boxed_row(top + offset, values, [None, *[fmt] * (len(values) - 1)])
    w.row = top + len(rows) + 1


def _monthly(w: _Writer, current: Figures) -> None:
    w.section(t("report.section.monthly"))
    w.table([t("report.column.month"), t("report.figure.received"), t("report.figure.resolved_rate"),
             t("report.figure.resolve_on_time"), t("report.column.csat_avg"), t("report.figure.care_coverage")],
            [_rows_or_dash([m["month"], m["received"], m["resolved_rate"], m["resolve_on_time"], m["csat_avg"],
                            m["care_coverage"]]) for m in current.monthly],
            [None, COUNT, PERCENT, PERCENT, SCORE, PERCENT])


def _care_reasons(w: _Writer, current: Figures) -> None:
    w.section(t("report.section.care_reasons"))
    w.table([t("report.column.care_reason"), t("report.column.planned"), t("report.column.done"),
             t("report.column.on_time"), t("report.figure.care_on_time")],
            [[reason, v["planned"], v["done"], v["on_time"], "—" if not v["done"] else v["on_time"] / v["done"]]
             for reason, v in sorted(current.care_by_reason.items(), key=lambda item: -item[1]["planned"])],
            [None, COUNT, COUNT, COUNT, PERCENT])


def _keep_sections_whole(ws: Worksheet, starts: list[int], end: int) -> None:
    """A page break before each section that would straddle two pages but fits on one; a longer
    one (a list of breaches) just follows, page after page."""
    def points(first: int, stop: int) -> float:
        return sum(ws.row_dimensions[r].height or DEFAULT_ROW_POINTS for r in range(first, stop))

    used = points(1, starts[0]) if starts else 0
    for start, stop in zip(starts, [*starts[1:], end + 1], strict=True):
        size = points(start, stop)
        if used and used + size > PAGE_POINTS and size <= PAGE_POINTS:
            ws.row_breaks.append(Break(id=start - 1))
            used = 0
        used = (used + size) % PAGE_POINTS


def _charts(ws: Worksheet, types: tuple[int, int], sla: tuple[int, int], csat: tuple[int, int],
            daily: tuple[int, int]) -> None:
    def bar(title: str, rows: tuple[int, int], first_col: int, last_col: int, percent: bool = False) -> BarChart:
        chart = BarChart()
        chart.type, chart.title, chart.style = "col", title, 10
        chart.height, chart.width = CHART_HEIGHT, CHART_WIDTH
        data = Reference(ws, min_col=first_col, max_col=last_col, min_row=rows[0], max_row=max(rows[1], rows[0] + 1))
        cats = Reference(ws, min_col=1, min_row=rows[0] + 1, max_row=max(rows[1], rows[0] + 1))
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(cats)
        if percent:
            chart.y_axis.number_format = "0%"
            chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 1
        if last_col == first_col:
            chart.legend = None
        _show_axes(chart)
        return chart

    anchors = iter(f"{CHART_COLUMN}{row}" for row in CHART_ROWS)
    ws.add_chart(bar(t("report.chart.types"), types, 2, 2), next(anchors))
    ws.add_chart(bar(t("report.chart.sla"), sla, 3, 5, percent=True), next(anchors))
    ws.add_chart(bar(t("report.chart.csat"), csat, 2, 2), next(anchors))
    line = LineChart()
    line.title, line.style, line.height, line.width = t("report.chart.daily"), 12, CHART_HEIGHT, CHART_WIDTH
    line.add_data(Reference(ws, min_col=2, min_row=daily[0], max_row=max(daily[1], daily[0] + 1)),
                  titles_from_data=True)
    line.set_categories(Reference(ws, min_col=1, min_row=daily[0] + 1, max_row=max(daily[1], daily[0] + 1)))
    line.series[0].smooth = False
    line.x_axis.txPr = _small_rotated_labels()
    line.legend = None
    _show_axes(line)
    ws.add_chart(line, next(anchors))


def _show_axes(chart) -> None:
    # openpyxl 3.1 writes <c:delete val="1"/> by default, and Excel then hides the axes.
    chart.x_axis.delete = False
    chart.y_axis.delete = False


def _small_rotated_labels() -> RichText:
    """Axis labels turned 90°, small: a month of days fits under the chart."""
    return RichText(bodyPr=RichTextProperties(rot=-5400000, vert="horz"),
                    p=[Paragraph(pPr=ParagraphProperties(defRPr=CharacterProperties(sz=700)),
                                 endParaRPr=CharacterProperties(), r=[])])


def _page_setup(ws: Worksheet, last_row: int) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.print_area = f"A1:{get_column_letter(17)}{max(last_row, 72)}"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.center.text = "&P / &N"
    ws.freeze_panes = "A3"
    ws.sheet_view.showGridLines = False
