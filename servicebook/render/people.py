"""assign and history, in words."""

from __future__ import annotations

from servicebook.domain.values import mask_phone, phone_text
from servicebook.jobs.assign import AssignReport
from servicebook.jobs.history import Lookup
from servicebook.render import SHOWN
from servicebook.text import t


def assign_lines(report: AssignReport) -> list[str]:
    out = [t("assign.summary", count=len(report.lines), unassigned=len(report.unassigned_rows))]
    out += [t("assign.line", **{**line, "vip": " VIP" if line["vip"] else ""}) for line in report.lines[:SHOWN]]
    out += [t("assign.unassigned_line", row=row, ticket="", reason=reason) for row, reason in report.unassigned_rows]
    busy = "，".join(f"{agent} {count}" for agent, count in sorted(report.result.loads.items()))
    return [*out, t("assign.loads", loads=busy)]


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "—"


def history_lines(found: Lookup) -> list[str]:
    if found.found is None:
        if not found.candidates:
            return [t("history.not_found", query=found.query)]
        loose = [t(f"history.loosely.{found.loosely}", query=found.query)] if found.loosely else []
        return [*loose, t("history.ambiguous", query=found.query),
                *(t("history.candidate", customer_id=c.customer_id or "—", name=c.name, records=len(c.rows))
                  for c in found.candidates)]
    h, none = found.found, t("history.none")
    profile = h.customer.profile
    phone = mask_phone(phone_text(profile["phone"])) if profile.get("phone") else none
    last = h.last_csat
    out = [t("history.title", name=h.customer.name, customer_id=h.customer.customer_id or none,
             tier=profile.get("tier") or none, preferred=h.preferred or none, phone=phone),
           t("history.contact", contact=profile.get("contact") or none, notes=profile.get("notes") or none),
           t("history.summary", total=len(h.records), open=len(h.open),
             last_csat=f"{last['csat']} 分（{last['ticket']}）" if last else none)]
    if found.loosely:
        out.insert(0, t(f"history.loosely.{found.loosely}", query=found.query))
    for title, rows in ((t("history.open_title"), h.open), (t("history.records_title"), h.records)):
        if rows:
            out.append(title)
            out += [t("history.line", **{**r, "received": _when(r["received"]), "csat": r["csat"] or "—"})
                    for r in rows[:SHOWN]]
    return out
