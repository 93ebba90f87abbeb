"""The team's items, grouped: the supervisor gets one 升级汇总 per run listing every new
escalation, each agent one 时效提醒汇总 listing their records at risk or breached — each record
once. A group robot gets the same digests, in posts small enough for its service.

A digest's identity is made of the identities of the items it lists, so a rerun that finds the
same items unproduced plans the same message (and the ledger sees it was tried), and an item
counts as produced once any digest that listed it was.
"""

from __future__ import annotations

from datetime import datetime

from servicebook.domain.mail_rules import DIGEST_OF, FIELDS, MAIL, ROBOT, MailRules, Planned, digest, when


def group_digests(items: list[Planned], rules: MailRules, now: datetime, robot_items_per_post: int) -> list[Planned]:
    """`items` as they go out: customer emails unchanged; the team's items as digests (by
    email when 设置 says so, always for a robot) or one by one."""
    out: list[Planned] = []
    groups: dict[tuple[str, str, str], list[Planned]] = {}
    for item in items:
        if item.template not in DIGEST_OF or (item.channel == MAIL and not rules.digest):
            out.append(item)
        else:
            groups.setdefault((item.channel, item.template, item.recipient), []).append(item)
    for (channel, template, _), group in groups.items():
        group = sorted(group, key=lambda p: (p.context.get("assignee") or "", p.ticket))
        size = robot_items_per_post if channel == ROBOT else len(group)
        parts = [group[k:k + size] for k in range(0, len(group), size)]
        for number, part in enumerate(parts, start=1):
            out.append(_digest(DIGEST_OF[template], part, rules, now, number, len(parts)))
    return out


def _digest(template: str, items: list[Planned], rules: MailRules, now: datetime, part: int, parts: int) -> Planned:
    first = items[0]
    context = dict.fromkeys(FIELDS)
    context.update(team=rules.team, hotline=rules.hotline, supervisor_name=rules.supervisor_name,
                   recipient_name=first.recipient_name, items=[i.context for i in items], count=len(items),
                   date=when(now), part=part, parts=parts, by_agent=_by_agent(items))
    tickets = "、".join(i.ticket for i in items)
    name = f"{first.recipient_name}-{now:%Y%m%d}" + (f"-{part}" if parts > 1 else "")
    return Planned(template, tickets, 0, first.recipient, first.recipient_name,
                   digest(*sorted(i.identity for i in items)), context, first.channel, tuple(items), name)


def _by_agent(items: list[Planned]) -> list[tuple[str, list[dict]]]:
    """The items under each agent who holds them, for a digest a whole group reads."""
    groups: dict[str, list[dict]] = {}
    for item in items:
        groups.setdefault(item.context.get("assignee_name") or item.context.get("assignee") or "", []).append(
            item.context)
    return list(groups.items())
