"""A customer's history, as an agent needs it before answering (source 000 and 004: look up the
past records, the usual contact channel, the notes): found by 客户编号, name or phone — a phone
matches in its masked form, since the workbook keeps no other."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from servicebook.domain.suggest import canonical
from servicebook.domain.table import SheetTable
from servicebook.domain.values import as_text, mask_phone, parse_score, parse_time, phone_text


@dataclass
class Customer:
    customer_id: str
    name: str
    profile: dict = field(default_factory=dict)      # the 客户档案 row, when there is one
    rows: list[int] = field(default_factory=list)    # record indexes


@dataclass
class History:
    customer: Customer
    records: list[dict]                 # newest first
    open: list[dict]
    last_csat: dict | None

    @property
    def preferred(self) -> str:
        return as_text(self.customer.profile.get("contact_pref"))


def _masked(value: object) -> str:
    text = phone_text(value)
    return mask_phone(re.sub(r"[\s\-()]", "", text)) if text else ""


def _is_phone(query: str) -> bool:
    return len(re.sub(r"\D", "", query)) >= 7 and bool(re.fullmatch(r"[\d\s\-+()*]+", query))


def customers(records: SheetTable, profiles: SheetTable | None) -> list[Customer]:
    """Everyone the workbook knows: 客户档案 rows, and record-only customers by id or name."""
    found: dict[str, Customer] = {}
    if profiles is not None:
        for i in range(len(profiles)):
            row = profiles.row(i)
            key = as_text(row.get("customer_id"))
            if key:
                found[key] = Customer(key, as_text(row.get("name")), row)
    for i in range(len(records)):
        key = as_text(records.get("customer_id", i))
        name = as_text(records.get("customer_name", i))
        ident = key or f"name:{name}"
        if ident not in found:
            found[ident] = Customer(key, name)
        found[ident].rows.append(i)
    return list(found.values())


# How a customer was found, when it was not an exact match: said to the agent, who may be
# looking at somebody else's history.
BY_MASKED_PHONE, BY_PART_OF_NAME = "masked_phone", "part_of_name"


def find(query: str, records: SheetTable, profiles: SheetTable | None) -> tuple[list[Customer], str | None]:
    """The customers `query` names, and how loosely (None: exactly, by number, id or name)."""
    everyone = customers(records, profiles)
    text = query.strip()
    if _is_phone(text):
        wanted = _masked(text)
        found = [c for c in everyone
                 if _masked(c.profile.get("phone")) == wanted
                 or any(_masked(records.get("phone", i)) == wanted for i in c.rows)]
        return found, BY_MASKED_PHONE   # masked numbers keep 7 of 11 digits: others may share them
    by_id = [c for c in everyone if c.customer_id and canonical(c.customer_id) == canonical(text)]
    if by_id:
        return by_id, None
    exact = [c for c in everyone if canonical(c.name) == canonical(text)]
    if exact:
        return exact, None
    return [c for c in everyone if text and canonical(text) in canonical(c.name)], BY_PART_OF_NAME


EXCEL_ROWS = 1_048_576


def history(customer: Customer, records: SheetTable, closed: str) -> History:
    rows = []
    for i in customer.rows:
        received = parse_time(records.get("received_at", i)).value
        closed_at = parse_time(records.get("closed_at", i)).value
        rows.append({
            # A record read from an archive beside the workbook has no row in it.
            "row": records.row_numbers[i] if records.row_numbers[i] <= EXCEL_ROWS else None,
            "archived": records.row_numbers[i] > EXCEL_ROWS, "ticket": as_text(records.get("ticket_no", i)),
            "received": received, "type": as_text(records.get("type", i)),
            "priority": as_text(records.get("priority", i)), "status": as_text(records.get("status", i)),
            "assignee": as_text(records.get("assignee", i)), "csat": parse_score(records.get("csat", i)),
            "tags": as_text(records.get("tags", i)), "closed": closed_at,
        })
    rows.sort(key=lambda r: (r["received"] or datetime.min), reverse=True)
    rated = [r for r in rows if r["csat"] is not None]
    last = max(rated, key=lambda r: r["closed"] or r["received"] or datetime.min) if rated else None
    return History(customer, rows, [r for r in rows if r["status"] != closed], last)
