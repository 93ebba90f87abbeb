"""`servicebook validate`: check every record row, write 校验结果, mark the cells, mask phones."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from servicebook.domain.masking import MaskChange, plan_masking
from servicebook.domain.problems import Problem
from servicebook.domain.table import SheetTable, column_letter
from servicebook.domain.validation import ValidationResult, validate_progress, validate_records
from servicebook.domain.values import as_text, is_blank
from servicebook.edits import Edits, Highlight, data_ref, write_column
from servicebook.jobs.session import Session
from servicebook.text import t
from servicebook.vault import Vault, load_key


@dataclass
class ValidateReport:
    rows: int
    result: ValidationResult
    masked: int
    sheet_problems: list[Problem] = field(default_factory=list)
    progress: ValidationResult | None = None
    not_records: dict[int, str] = field(default_factory=dict)   # rows of 服务记录 left unchecked, and why

    @property
    def problems(self) -> list[Problem]:
        return self.sheet_problems + self.result.problems + (self.progress.problems if self.progress else [])

    @property
    def failed(self) -> bool:
        return any(p.is_error for p in self.problems)

    def as_json(self) -> dict:
        rows_with_errors = {p.row for p in self.result.problems if p.is_error}
        return {
            "rows": self.rows,
            "rows_with_errors": len(rows_with_errors),
            "errors": sum(p.is_error for p in self.problems),
            "warnings": sum(not p.is_error for p in self.problems),
            "phones_masked": self.masked,
            "problems": [p.as_dict() for p in self.problems],
            "not_records": [{"row": row, "why": why} for row, why in sorted(self.not_records.items())],
        }


def _needle(table: SheetTable, key: str, severity: str) -> str:
    text = t("problem.in_cell", severity=t(f"severity.{severity}"), where=table.cell_name(key), message="")
    return text.replace("~", "~~").replace("*", "~*").replace("?", "~?").replace('"', '""')


def highlights(table: SheetTable, result: ValidationResult, result_col: int) -> list[Highlight]:
    """Colour the cells named in 校验结果; the rules follow the column, not a snapshot of cells."""
    first, last = table.headers.row + 1, table.last_row
    anchor = f"${column_letter(result_col)}{first}"
    rules = []
    for severity, style in (("error", "error"), ("warning", "warning")):
        keys = sorted({p.key for p in result.problems if p.severity == severity and p.key},
                      key=lambda k: table.column_index(k) or 0)
        for key in keys:
            col = table.column_index(key)
            if col:
                formula = f'ISNUMBER(SEARCH("{_needle(table, key, severity)}",{anchor}))'
                rules.append(Highlight(data_ref(col, first, last), formula, style, stop=True))
    marker = {s: t(f"severity.{s}") + "：" for s in ("error", "warning")}
    ref = data_ref(result_col, first, last)
    rules.append(Highlight(ref, f'ISNUMBER(SEARCH("{marker["error"]}",{anchor}))', "error", stop=True))
    rules.append(Highlight(ref, f'ISNUMBER(SEARCH("{marker["warning"]}",{anchor}))', "warning", stop=True))
    return rules


def mask_phones(session: Session, edits: Edits) -> int:
    """Mask every phone number in the team's sheets; the real numbers go into the vault first (when
    a key is set up), before the edits can reach the workbook. Returns how many were masked."""
    plan = plan_masking(session.book, session.settings["landline_mask"])
    numbers = plan.numbers   # counted once: a walk of every change (152,269 at 100,000 records)
    if numbers:
        key = load_key()
        if key is None:
            session.warnings.append(t("vault.not_kept", count=numbers))
        else:
            Vault(session.sidecar, key).keep(plan.secrets, session.now)
    by_column: dict[tuple[str, int], tuple[MaskChange, list[int], list[str]]] = {}
    for change in plan.changes:
        table = change.table
        _, rows, texts = by_column.setdefault((table.title, table.column_index(change.key)), (change, [], []))
        rows.append(table.row_numbers[change.index])
        texts.append(change.text)
    for (_, col), (change, rows, texts) in by_column.items():   # a column's at once: not a cell each
        sheet = edits.sheet(change.table.title, change.table.headers.row)
        sheet.set_column(col, rows, texts)
        sheet.masked.update(zip(rows, itertools.repeat(col)))
        if change.phone_column:   # the same for every cell of a column
            sheet.formats[col] = "@"
    return numbers


def write_results(edits: Edits, table: SheetTable, result: ValidationResult) -> None:
    """校验结果 per row, and the rules that colour the cells it names."""
    col = write_column(edits, table, "validation", [result.row_text(i) for i in range(len(table))])
    edits.sheet(table.title, table.headers.row).highlights["validate"] = (
        highlights(table, result, col) if len(table) else [])


def validation_edits(session: Session, edits: Edits) -> ValidateReport:
    table, book = session.records(), session.book
    result = validate_records(table, book.vocab, session.now)
    write_results(edits, table, result)
    progress, progress_result = book.table("progress"), None
    if progress is not None and progress.headers.found and len(progress):
        tickets = {as_text(v) for v in table.column("ticket_no") if not is_blank(v)}
        progress_result = validate_progress(progress, book.vocab, session.now, tickets)
        write_results(edits, progress, progress_result)
    masked = mask_phones(session, edits)
    mapping = [p for p in book.problems if p.sheet == table.title]
    # An Excel Table's own totals row is Excel's, not a guess: only the rows taken for 合计 are said.
    totals = table.excel_table.totals_row if table.excel_table else None
    guessed = {row: why for row, why in table.skipped.items() if row != totals}
    return ValidateReport(len(table), result, masked, mapping, progress_result, guessed)


def validate(session: Session) -> ValidateReport:
    return session.apply(validation_edits)


def note_held(edits: Edits, table: SheetTable, held: list[Problem]) -> None:
    """An email held back is said in its row's 校验结果, after what validation found there (only
    where validation wrote the column in this same run)."""
    sheet = edits.sheets.get(table.title)
    if not held or sheet is None:
        return
    header = table.definition.column("validation").header
    col = table.column_index("validation") or next((n.col for n in sheet.new_columns if n.header == header), None)
    ok = t("validate.row_ok")
    for problem in held:
        before = sheet.get(problem.row, col)
        if before is None:
            continue
        text = problem.cell_text()
        sheet.set(problem.row, col, text if before == ok else f"{before}；\n{text}")
