"""Routing each new record to the right agent (source 002, step 2: 故障 to the technical group,
投诉 to the supervisor, VIP customers to senior agents, otherwise the free queue).

Within the group a rule names, a record goes to the on-duty agent with the fewest open cases;
VIP records go to the group's senior agents first. Ties go to the lowest 工号, so the result does
not depend on chance. A group with nobody on duty sends its records to the general queue: any
on-duty agent. A 受理人 a person wrote is never changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from servicebook.domain.settings import Settings, Vocabulary
from servicebook.domain.table import SheetTable
from servicebook.domain.values import as_text, parse_time
from servicebook.text import t

NOTE_SEPARATOR = "｜"


@dataclass(frozen=True)
class Agent:
    agent_id: str
    name: str
    group: str
    senior: bool
    on_duty: bool
    email: str | None

    @property
    def label(self) -> str:
        return f"{self.agent_id} {self.name}".strip()


@dataclass(frozen=True)
class AssignmentRules:
    by_type: dict[str, tuple[str, str | None]]   # 服务类型 -> (组别, 协作部门)
    default_group: str
    vip_to_senior: bool


@dataclass(frozen=True)
class Assignment:
    index: int
    agent: Agent
    department: str | None
    reason: str


@dataclass
class AssignmentResult:
    assignments: list[Assignment] = field(default_factory=list)
    unassigned: list[tuple[int, str]] = field(default_factory=list)
    loads: dict[str, int] = field(default_factory=dict)           # 工号 -> open cases after assigning


def read_roster(table: SheetTable | None, vocab: Vocabulary) -> list[Agent]:
    if table is None:
        return []
    yes, no = vocab.word("yes_no", "yes"), vocab.word("yes_no", "no")
    agents = []
    for i in range(len(table)):
        row = table.row(i)
        agent_id = as_text(row.get("agent_id"))
        if not agent_id:
            continue
        agents.append(Agent(agent_id, as_text(row.get("name")), as_text(row.get("group")),
                            as_text(row.get("senior")) == yes, as_text(row.get("on_duty")) != no,
                            as_text(row.get("email")) or None))
    return sorted(agents, key=lambda a: a.agent_id)


def read_rules(settings: Settings) -> AssignmentRules:
    by_type = {}
    for row in settings.table("assignment_rules"):
        type_, group = as_text(row.get("type")), as_text(row.get("group"))
        if type_ and group:
            by_type[type_] = (group, as_text(row.get("department")) or None)
    return AssignmentRules(by_type, as_text(settings["default_group"]), bool(settings["vip_to_senior"]))


def find_agent(assignee: str, agents: list[Agent]) -> Agent | None:
    """The roster entry a 受理人 cell means: by 工号, else by name."""
    text = assignee.strip()
    if not text:
        return None
    first = text.split()[0]
    for agent in agents:
        if agent.agent_id == first or agent.label == text:
            return agent
    return next((a for a in agents if a.name and a.name in text.split()), None)


def open_loads(records: SheetTable, agents: list[Agent], vocab: Vocabulary) -> dict[str, int]:
    closed = vocab.word("status", "closed")
    loads = {a.agent_id: 0 for a in agents}
    for assignee, status in zip(records.column("assignee"), records.column("status"), strict=True):
        agent = find_agent(as_text(assignee), agents)
        if agent and vocab.standard("status", as_text(status)) != closed:
            loads[agent.agent_id] += 1
    return loads


def _order(records: SheetTable, vocab: Vocabulary, rows: list[int]) -> list[int]:
    """VIP first, then the more urgent, then the earlier submitted."""
    vip = vocab.word("tier", "vip")
    urgency = {word: rank for rank, word in enumerate(vocab.words("priority"))}

    def key(i: int):
        received = parse_time(records.get("received_at", i)).value
        return (as_text(records.get("tier", i)) != vip, urgency.get(as_text(records.get("priority", i)), 99),
                received is None, received or 0, i)

    return sorted(rows, key=key)


def assign(records: SheetTable, agents: list[Agent], rules: AssignmentRules, vocab: Vocabulary) -> AssignmentResult:
    closed = vocab.word("status", "closed")
    result = AssignmentResult(loads=open_loads(records, agents, vocab))
    # A formula in 受理人 is the team's own way of assigning: never written over.
    waiting = [i for i in range(len(records))
               if not as_text(records.get("assignee", i))
               and vocab.standard("status", as_text(records.get("status", i))) != closed
               and not records.is_formula("assignee", i)]
    on_duty = [a for a in agents if a.on_duty]
    vip = vocab.word("tier", "vip")
    for i in _order(records, vocab, waiting):
        type_ = as_text(records.get("type", i))
        group, department = rules.by_type.get(type_, (rules.default_group, None))
        pool = [a for a in on_duty if a.group == group]
        why = [t("assign.rule", type=type_ or "—", group=group)]
        if not pool:
            pool = on_duty
            why.append(t("assign.queue", group=group))
        if rules.vip_to_senior and as_text(records.get("tier", i)) == vip:
            seniors = [a for a in pool if a.senior]
            if seniors:
                pool = seniors
                why.append(t("assign.vip"))
        if not pool:
            result.unassigned.append((i, t("assign.nobody")))
            continue
        agent = min(pool, key=lambda a: (result.loads[a.agent_id], a.agent_id))
        why.append(t("assign.load", count=result.loads[agent.agent_id]))
        result.loads[agent.agent_id] += 1
        fill = department if department and not as_text(records.get("department", i)) \
            and not records.is_formula("department", i) else None
        result.assignments.append(Assignment(i, agent, fill, "，".join(why)))
    return result


def assignment_note(assignment: Assignment, when: str) -> str:
    """What the tool writes in 分配记录: the agent first, so a later change can be recognised."""
    return NOTE_SEPARATOR.join((assignment.agent.label, when, assignment.reason))


def noted_agent(note: str) -> str:
    return note.split(NOTE_SEPARATOR, 1)[0].strip()
