"""Every sentence a user reads comes from here, so the product can be translated in one place.

Messages live in `locale/<lang>.toml` as `str.format` templates keyed by dotted ids.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

LANGUAGE = "zh_CN"


@cache
def _catalog(language: str) -> dict:
    path = Path(__file__).with_name("locale") / f"{language}.toml"
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    flat: dict[str, str] = {}

    def walk(prefix: str, node: dict) -> None:
        for key, value in node.items():
            dotted = f"{prefix}.{key}" if prefix else key
            if isinstance(value, dict):
                walk(dotted, value)
            else:
                flat[dotted] = value

    walk("", raw)
    return flat


def t(message_id: str, /, **fields: object) -> str:
    """The user-facing sentence for `message_id`, filled with `fields`."""
    template = _catalog(LANGUAGE)[message_id]
    return template.format(**fields) if fields else template


def pairs(message_id: str, /) -> list[tuple[str, str]]:
    """A table of (original, translation) pairs, such as click's own messages."""
    return [(original, translated) for original, translated in _catalog(LANGUAGE)[message_id]]


def has(message_id: str) -> bool:
    return message_id in _catalog(LANGUAGE)
