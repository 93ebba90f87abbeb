"""click in Chinese: its own messages (usage, options, errors, prompts, defaults, ranges) come from
the catalogue, and help text wraps by display width, between Chinese characters and never inside
an option name.

click marks its messages for gettext (`_()` and `ngettext()` in each of its modules); we give those
names our lookup instead, keyed by click's English text in the catalogue's `click.messages`.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from collections.abc import Iterable
from functools import cache

import click

from servicebook.text import pairs, t

MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "termui", "types", "utils",
           "shell_completion", "_termui_impl")
# Never at the start of a line: they stay with the character before them.
CLOSING = set("，。、；：？！）》」』】”’％")
_ANSI = re.compile(r"\033\[[;?0-9]*[a-zA-Z]")


@cache
def _translations() -> dict[str, str]:
    return dict(pairs("click.messages"))


def _gettext(message: str) -> str:
    return _translations().get(message, message)


def _ngettext(singular: str, plural: str, count: int) -> str:
    return _gettext(singular if count == 1 else plural)


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


def display_width(text: str) -> int:
    """Columns `text` takes in a terminal: Chinese characters take two."""
    return sum(2 if _wide(c) else 1 for c in _ANSI.sub("", text))


def _pieces(chunk: str) -> Iterable[str]:
    """A chunk split so a line may break after any Chinese character, not inside a Latin word."""
    piece = ""
    for char in chunk:
        if char in CLOSING:
            piece += char
        elif _wide(char):
            if piece:
                yield piece
            piece = char
        else:
            if piece and _wide(piece[-1]):
                yield piece
                piece = ""
            piece += char
    if piece:
        yield piece


def _wrapper_class(base: type) -> type:
    class ChineseWrapper(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.break_on_hyphens = False   # never `--pre` / `view`, `client-` / `secret`

        def _split(self, text: str) -> list[str]:
            return [piece for chunk in super()._split(text) for piece in _pieces(chunk)]

    return ChineseWrapper


def _describe_range(self) -> str:
    low = "" if self.min is None else f"{self.min}{'（不含）' if self.min_open else ''}"
    high = "" if self.max is None else f"{self.max}{'（不含）' if self.max_open else ''}"
    if not high:
        return t("cli.range_min", low=low)
    if not low:
        return t("cli.range_max", high=high)
    return t("cli.range", low=low, high=high)


def _write_heading(self, heading: str) -> None:
    self.write(f"{'':>{self.current_indent}}{heading}：\n")


def _full_stop(text: str) -> str:
    """click ends "缺少参数 '工作簿'" with an English full stop."""
    return re.sub(r"\.( |$)", "。", text, count=1)


def install() -> None:
    """Put the catalogue behind click's messages and Chinese-aware wrapping into its help."""
    for name in MODULES:
        try:
            module = importlib.import_module(f"click.{name}")
        except ImportError:   # a click without this module (or one for another platform)
            continue
        if hasattr(module, "_"):
            module._ = _gettext
        if hasattr(module, "ngettext"):
            module.ngettext = _ngettext
    textwrap_module = importlib.import_module("click._textwrap")
    textwrap_module.TextWrapper = _wrapper_class(textwrap_module.TextWrapper)
    for module in (textwrap_module, importlib.import_module("click.formatting")):
        module.term_len = display_width
    click.types._NumberRangeBase._describe_range = _describe_range
    click.formatting.HelpFormatter.write_heading = _write_heading
    missing = click.exceptions.MissingParameter.format_message
    click.exceptions.MissingParameter.format_message = lambda self: _full_stop(missing(self))
    for kind, word in ((click.types.IntParamType, "整数"), (click.types.IntRange, "整数"),
                       (click.types.FloatParamType, "数字"), (click.types.FloatRange, "数字"),
                       (click.types.BoolParamType, "是/否"), (click.types.StringParamType, "文本")):
        kind.name = word


def localise(command: click.Command) -> None:
    """Chinese metavars in usage lines, and a one-line summary for the command list (click's own
    cuts Chinese text to "…", having no spaces to cut at)."""
    command.options_metavar = t("cli.options_metavar")
    if command.help and not command.short_help:
        command.short_help = re.split(r"[。：；]", command.help.strip(), maxsplit=1)[0]
    if isinstance(command, click.Group):
        command.subcommand_metavar = t("cli.subcommand_metavar")
        for child in command.commands.values():
            localise(child)
