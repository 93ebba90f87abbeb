"""`servicebook history`: one customer's past, for the agent about to answer them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from servicebook.domain.history import Customer, History, find, history
from servicebook.edits import BuiltSheet, Edits
from servicebook.jobs.session import Session
from servicebook.text import t


@dataclass
class Lookup:
    query: str
    found: History | None
    candidates: list[Customer]
    loosely: str | None = None   # how the match was loose (domain.history BY_…), None when exact

    def as_json(self) -> dict:
        if self.found is None:
            return {"query": self.query, "found": None,
                    "candidates": [{"customer_id": c.customer_id, "name": c.name, "records": len(c.rows)}
                                   for c in self.candidates]}
        h = self.found
        profile = {k: v for k, v in h.customer.profile.items() if k not in ("phone", "email")}
        return {"query": self.query, "loosely": self.loosely,
                "found": {"customer_id": h.customer.customer_id, "name": h.customer.name, "profile": profile,
                          "records": h.records, "open": h.open, "last_csat": h.last_csat}}


def lookup(session: Session, query: str) -> Lookup:
    """The customer's past across the workbook and the archives beside it."""
    from servicebook.jobs.archive import with_archives

    with_archives(session)
    records = session.records()
    matches, loosely = find(query, records, session.book.table("customers"))
    if len(matches) != 1:
        return Lookup(query, None, matches, loosely)
    closed = session.book.vocab.word("status", "closed")
    return Lookup(query, history(matches[0], records, closed), matches, loosely)


def history_sheet_edits(found: History, edits: Edits) -> str:
    from servicebook.sheets.history import build_history_sheet  # openpyxl: only when the sheet is built

    title = t("history.sheet_title")
    edits.built_sheets.append(BuiltSheet(title, partial(build_history_sheet, history=found)))
    return title
