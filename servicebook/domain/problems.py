"""A problem found in the data: where it is, how bad, and what to do, in the users' words."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from servicebook.text import t

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int | None          # 1-based spreadsheet row, None for the whole sheet
    column: str | None       # how the column is named: "K列「优先级」"
    severity: str            # ERROR or WARNING
    code: str                # machine-readable kind, e.g. "required", "enum"
    message: str             # what is wrong and what to do
    key: str | None = None   # column key, for the tool's own use

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def cell_text(self) -> str:
        """How the problem reads in the row's 校验结果 cell."""
        where = f"{self.column}" if self.column else ""
        return t("problem.in_cell", severity=t(f"severity.{self.severity}"), where=where, message=self.message)

    def describe(self) -> str:
        """How the problem reads on its own, naming the sheet, row and column."""
        parts = [self.sheet]
        if self.row:
            parts.append(t("problem.row", row=self.row))
        if self.column:
            parts.append(self.column)
        return t("problem.full", severity=t(f"severity.{self.severity}"), where=" ".join(parts), message=self.message)

    def as_dict(self) -> dict:
        return asdict(self)
