"""What the mail step did, for the command line, the ribbon and the log to render."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from servicebook.domain.delivery import FAILED
from servicebook.domain.problems import Problem


@dataclass
class Result:
    ticket: str
    template: str
    recipient: str
    subject: str
    state: str
    detail: str = ""
    file: str | None = None


@dataclass
class MailReport:
    preview: bool
    transport: str
    results: list[Result] = field(default_factory=list)
    already: int = 0
    recovered: int = 0
    problems: list[Problem] = field(default_factory=list)
    folder: Path | None = None
    log_saved: bool = True          # False: 邮件日志 could not be written now (rebuilt next run)
    held: list[Problem] = field(default_factory=list)   # customer emails held back, per row
    late_skipped: int = 0           # 受理通知 not sent: the reply deadline had passed (设置 says so)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for result in self.results:
            counts[result.state] = counts.get(result.state, 0) + 1
        return counts

    @property
    def failed(self) -> bool:
        return any(r.state == FAILED for r in self.results) or not self.log_saved

    def as_json(self) -> dict:
        return {"preview": self.preview, "transport": self.transport, "counts": self.counts(),
                "already_produced": self.already, "interrupted_now_unknown": self.recovered,
                "folder": str(self.folder) if self.folder else None, "log_saved": self.log_saved,
                "messages": [asdict(r) for r in self.results], "problems": [p.as_dict() for p in self.problems],
                "held": [p.as_dict() for p in self.held], "late_skipped": self.late_skipped}
