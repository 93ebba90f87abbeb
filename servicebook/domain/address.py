"""Addressing a customer the way the documents ask: by surname and title (张先生), not 尊敬的客户."""

from __future__ import annotations

import re

COMPOUND_SURNAMES = {
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "令狐", "端木", "独孤", "南宫", "西门", "轩辕", "澹台",
}
_PERSONAL_NAME = re.compile(r"^[\u4e00-\u9fff]{2,4}$")


def surname(name: str | None) -> str | None:
    """The surname of a Chinese personal name, or None when the text is not one (a company)."""
    name = (name or "").strip()
    if not _PERSONAL_NAME.match(name):
        return None
    return name[:2] if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else name[0]


def salutation(contact: str | None, title: str | None, customer: str | None) -> str:
    """张先生 when surname and title are known; else the contact's or customer's name."""
    family = surname(contact) or surname(customer)
    if family and title in ("先生", "女士"):
        return family + title
    return (contact or customer or "").strip() or "您"
