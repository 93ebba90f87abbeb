"""What a person reads about a job's result, as lines of text from the message catalogue.

The command line prints them, the ribbon shows them in a message box, the nightly run keeps them
in its log — from the same typed result, through the same functions, so the terminal and Excel
never drift apart. Nothing here prints.
"""

from __future__ import annotations

from servicebook.domain.problems import Problem
from servicebook.errors import CannotRun
from servicebook.text import t

SHOWN = 30   # problems and list lines shown before "…… 另有 N 条"


def problem_lines(problems: list[Problem], more_hint: str = "") -> list[str]:
    problems = sorted(problems, key=lambda p: (not p.is_error, p.sheet, p.row or 0))
    lines = ["  " + problem.describe() for problem in problems[:SHOWN]]
    if len(problems) > SHOWN:
        lines.append("  " + t("cli.more_problems", count=len(problems) - SHOWN, hint=more_hint))
    return lines


def cannot_run_lines(error: CannotRun) -> list[str]:
    return [t("cli.cannot_run", message=error.message), *("  - " + line for line in error.details)]
