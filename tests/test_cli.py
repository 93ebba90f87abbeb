"""Command-line conventions: help for every command, exit codes 0/1/2, progress only on a terminal."""

from __future__ import annotations

import io
import time

import pytest

from servicebook import progress
from tests.support.run import servicebook_process
from tests.support.workbooks import good_record, team_workbook

COMMANDS = ["init", "check", "validate", "number", "run", "demo"]


def test_help_lists_every_command_in_chinese(cli):
    result = cli("--help")
    assert result.code == 0
    for command in COMMANDS:
        assert command in result.out
    assert "退出码" in result.out


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_help(cli, command):
    result = cli(command, "--help")
    assert result.code == 0
    assert any("\u4e00" <= ch <= "\u9fff" for ch in result.out)


def test_exit_codes_from_a_real_process(tmp_path):
    clean = team_workbook(tmp_path, [good_record()], name="好.xlsx")
    dirty = team_workbook(tmp_path, [good_record(priority="緊急")], name="坏.xlsx")
    assert servicebook_process("validate", clean, "--now", "2024-05-31 18:00").code == 0
    problems = servicebook_process("validate", dirty, "--now", "2024-05-31 18:00")
    assert problems.code == 1 and "緊急" in problems.out
    missing = servicebook_process("validate", tmp_path / "没有这个文件.xlsx")
    assert missing.code == 2 and "找不到文件" in missing.err
    assert "Traceback" not in missing.err


def test_cannot_run_cases_exit_with_two(tmp_path, cli):
    text = tmp_path / "说明.xlsx"
    text.write_text("不是工作簿", encoding="utf-8")
    assert cli("check", text).code == 2
    assert "不是 Excel 工作簿" in cli("check", text).err
    assert cli("validate", "--no-such-option", text).code == 2
    assert cli("frobnicate").code == 2
    path = team_workbook(tmp_path, [good_record()])
    bad_now = cli("validate", path, "--now", "明天")
    assert bad_now.code == 2 and "无法识别的时间" in bad_now.err


def test_bad_settings_stop_the_command_naming_the_cell(tmp_path, cli):
    from tests.support.workbooks import set_setting

    path = team_workbook(tmp_path, [good_record()])
    set_setting(path, "备份保留份数", "很多")
    result = cli("validate", path)
    assert result.code == 2
    assert "设置 第7行 C列「值」" in result.err and "「备份保留份数」的值「很多」无法使用：应填数字" in result.err


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_step_longer_than_a_second_shows_progress_on_a_terminal(monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    with progress.stage("读取工作簿"):
        time.sleep(1.5)
    assert "读取工作簿" in terminal.getvalue()
    quick = _Terminal()
    monkeypatch.setattr("sys.stderr", quick)
    with progress.stage("读取工作簿"):
        pass
    assert quick.getvalue() == ""


def test_a_long_loop_shows_its_bar_on_a_terminal(monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)

    def slow():
        for n in range(3):
            time.sleep(0.5)
            yield n

    assert list(progress.track(slow(), "发送邮件", total=3)) == [0, 1, 2]
    assert "发送邮件" in terminal.getvalue() and "3/3" in terminal.getvalue()


def test_no_progress_when_output_is_not_a_terminal(monkeypatch):
    piped = io.StringIO()
    monkeypatch.setattr("sys.stderr", piped)
    with progress.stage("读取工作簿"):
        time.sleep(1.3)
    assert list(progress.track(range(3), "校验")) == [0, 1, 2]
    assert piped.getvalue() == ""


@pytest.mark.parametrize("verb", ["run", "validate", "number", "sla", "assign", "care", "mail", "report", "check"])
def test_a_command_that_cannot_run_leaves_nothing_behind(tmp_path, cli, verb):
    (tmp_path / "笔记.xlsx").write_text("不是工作簿", encoding="utf-8")
    for name, said in (("不存在.xlsx", "找不到文件"), ("笔记.xlsx", "不是 Excel 工作簿")):
        result = cli(verb, tmp_path / name)
        assert result.code == 2 and said in result.err, result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["笔记.xlsx"]
