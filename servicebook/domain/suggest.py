"""Near-miss matching for dropdown values and headers: stray spaces, full-width characters,
traditional characters and small typos are recognised, and the intended word is suggested."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import opencc

# Words the source documents use for the same thing.
SYNONYMS: dict[str, str] = {
    "不着急": "一般",
    "普通": "一般",
    "高": "紧急",
    "已解决": "已关闭",
    "已完成": "已关闭",
    "已归档": "已关闭",
    "待跟进": "需跟进",
    "未处理": "待受理",
    "待处理": "待受理",
    "未受理": "待受理",
    "处理完成": "已关闭",
    "已结案": "已关闭",
    "跟进中": "处理中",
    "在线": "在线客服",
    "微信": "社交媒体",
    "微博": "社交媒体",
    "官网": "官网意见箱",
    "意见箱": "官网意见箱",
    "报修": "故障",
    "故障报修": "故障",
    "会员": "VIP",
}


@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return _t2s().convert(text)


def canonical(text: str) -> str:
    """The comparable form of a word: half-width, simplified, no spaces, case-folded."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"\s+", "", text)
    return to_simplified(text).casefold()


@dataclass(frozen=True)
class Suggestion:
    value: str          # the allowed word
    reasons: tuple[str, ...]  # spaces / fullwidth / traditional / case / synonym / similar


def _reasons(typed: str, allowed: str) -> tuple[str, ...]:
    reasons = []
    if typed != typed.strip() or re.search(r"\s", typed):
        reasons.append("spaces")
    if unicodedata.normalize("NFKC", typed) != typed:
        reasons.append("fullwidth")
    if to_simplified(typed) != typed:
        reasons.append("traditional")
    if not reasons and typed.casefold() == allowed.casefold():
        reasons.append("case")
    return tuple(reasons) or ("similar",)


def suggest(typed: str, allowed: list[str]) -> Suggestion | None:
    """The allowed word `typed` was most likely meant to be, or None."""
    key = canonical(typed)
    by_canonical = {canonical(a): a for a in allowed}
    if key in by_canonical:
        return Suggestion(by_canonical[key], _reasons(typed, by_canonical[key]))
    synonym = SYNONYMS.get(key) or SYNONYMS.get(to_simplified(typed.strip()))
    if synonym in allowed:
        return Suggestion(synonym, ("synonym",))
    close = difflib.get_close_matches(key, list(by_canonical), n=1, cutoff=0.6)
    if close:
        return Suggestion(by_canonical[close[0]], ("similar",))
    return None
