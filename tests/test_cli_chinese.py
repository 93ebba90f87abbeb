"""Every word the command line says is Chinese: each command's --help, a missing argument, a bad
option value, an unknown command — click's own texts included, none cut to "..."."""

from __future__ import annotations

import re

import click
import pytest

from servicebook.cli import COMMAND_MODULES, app
from servicebook.cli.chinese import display_width
from servicebook.text import pairs
from tests.support.run import servicebook_process

# click's English, as it would show: the text of each of its messages up to its first field.
ENGLISH = sorted({re.split(r"[{%]", original)[0].strip() for original, _ in pairs("click.messages")} - {""},
                 key=len, reverse=True)
METAVARS = ("[OPTIONS]", "COMMAND [ARGS]", "TEXT", "PATH", "INTEGER", "FLOAT", "FILENAME", "DIRECTORY",
            "ACCOUNT", "KIND")


def _commands(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    if isinstance(command, click.Group):
        for name in command.list_commands(None):
            found += _commands(command.get_command(None, name), (*path, name))
    return found


def _english(text: str) -> list[str]:
    words = [phrase for phrase in ENGLISH if len(phrase) > 3 and re.search(rf"(?<![\w-]){re.escape(phrase)}", text)]
    return words + [m for m in METAVARS if re.search(rf"(?<![\w-]){re.escape(m)}(?![\w-])", text)]


@pytest.mark.parametrize("path", _commands(app), ids=lambda p: " ".join(p) or "servicebook")
def test_every_help_is_chinese_and_whole(cli, path):
    result = cli(*path, "--help")
    assert result.code == 0, result.err
    assert _english(result.out) == [], result.out
    assert result.out.startswith("用法：") and "选项：" in result.out
    listing = result.out.split("命令：", 1)[-1] if "命令：" in result.out else ""
    assert not re.search(r"\.\.\.$", listing, re.M)              # no summary cut to "..."
    assert not re.search(r"-\n", result.out)                      # no option name broken over two lines
    assert max(display_width(line) for line in result.out.splitlines()) <= 80


def test_the_command_list_gives_every_command_its_summary(cli):
    listing = cli("--help").out.split("命令：", 1)[1]
    names = [line.split()[0] for line in listing.splitlines() if line.startswith("  ") and not line.startswith("   ")]
    assert names == app.list_commands(None) == sorted(COMMAND_MODULES)
    assert "mail      按邮件规则为记录生成邮件" in listing and "run       定时任务的一键处理" in listing


def test_every_command_module_is_named_for_each_of_its_commands():
    import importlib
    import pkgutil

    import servicebook.cli as cli_package

    found = {}
    for info in pkgutil.iter_modules(cli_package.__path__):
        module = importlib.import_module(f"servicebook.cli.{info.name}")
        found |= {command.name: info.name for command in getattr(module, "COMMANDS", [])}
    assert found == COMMAND_MODULES


@pytest.mark.parametrize(("args", "expected"), [
    (("check",), "错误：缺少参数 '工作簿'。"),
    (("nosuch",), "运行 python -m servicebook --help 查看帮助。\n\n错误：没有「nosuch」这个命令。"),
    (("run", "x.xlsx", "--wait", "abc"), "错误：'--wait' 的取值无效：「abc」不是有效的数字。"),
    (("run", "x.xlsx", "--wait", "9999"), "错误：'--wait' 的取值无效：9999.0 不在允许的范围内（范围 0–1440）。"),
    (("demo", "--records", "10"), "错误：'--records' 的取值无效：10 不在允许的范围内（范围 100–200000）。"),
    (("check", "a.xlsx", "--nosuch"), "错误：没有「--nosuch」这个选项。"),
    (("secret", "set", "token", "x"), "错误：'类型' 的取值无效：「token」无效，只能是其中之一："),
    (("report", "a.xlsx", "--month"), "错误：选项 --month 需要一个取值。"),
])
def test_usage_mistakes_are_told_in_chinese(args, expected):
    result = servicebook_process(*args)
    assert result.code == 2
    assert expected in result.err, result.err
    assert _english(result.err) == [], result.err
    assert result.out == ""


def test_a_secret_typed_where_it_may_show_is_warned_in_chinese(tmp_path):
    result = servicebook_process("secret", "set", "password", "agent@example.com",
                                 env={"PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"})
    assert result.code == 2                       # no input: the prompt is aborted
    assert "注意：当前不是交互式终端，输入的内容可能会显示出来。" in result.err
    assert "Warning" not in result.err and "Password input" not in result.err
