"""Privacy that never destroys: every phone masked where it stands (and nothing that is not one),
a malformed number kept until corrected, the real number sealed in the vault beside the workbook
for whoever holds the key, every reveal logged; invisible characters hide nothing; no text the
tool writes is ever a formula; the report shows no person."""

from __future__ import annotations

import os
import re
import stat
import zipfile
from datetime import datetime

import openpyxl
import pytest

from servicebook.domain.phones import LAST_FOUR, mask_text, phone_cell_ok
from servicebook.sidecar import Sidecar
from servicebook.vault import new_key
from tests.support import lo
from tests.support.fake_xlwings import FakeBook
from tests.support.workbooks import good_record, records_by_header, set_setting, team_workbook, write_rows

NOW = "2024-06-03 09:00"
D = datetime

# (what was typed, what it shows) — free text and phone cells alike
FORMS = [
    ("13812345678", "138****5678"),
    ("+86 13812345678", "+86 138****5678"),
    ("+8613812345678", "+86138****5678"),
    ("0086 138 1234 5678", "0086 138 **** 5678"),
    ("138-1234-5678", "138-****-5678"),
    ("138 1234 5678", "138 **** 5678"),
    ("１３８１２３４５６７８", "１３８****５６７８"),
    ("电话13812345678", "电话138****5678"),
    ("13812345678/13987654321", "138****5678/139****4321"),
    ("联系：13812345678，备用13987654321。", "联系：138****5678，备用139****4321。"),
    ("手机：13812345678（下午）", "手机：138****5678（下午）"),
    ("客户说\u201c打我13812345678\u201d", "客户说\u201c打我138****5678\u201d"),
    ("010-62345678", "010-****5678"),
    ("(010)62345678", "(010)****5678"),
    ("0755-1234567", "0755-***4567"),
    ("021-12345678转801", "021-****5678转801"),
    ("010 6234 5678", "010 **** 5678"),
    ("座机01062345678", "座机010****5678"),
    ("400-820-8820", "400-820-8820"),           # the company's own service numbers stay
    ("4008208820", "4008208820"),
    ("800-810-1234", "800-810-1234"),
    ("拨打95588查询", "拨打95588查询"),
    ("138****5678", "138****5678"),             # already masked
    ("订单号DD2024051012345678", "订单号DD2024051012345678"),   # look-alikes: not phones
    ("退款13800.50元", "退款13800.50元"),
    ("日期20240510", "日期20240510"),
    ("2024-05-10 13:45", "2024-05-10 13:45"),
    ("身份证330106198803151234", "身份证330106198803151234"),
    ("卡号6222021234567890123", "卡号6222021234567890123"),
    ("快递SF1234567890123", "快递SF1234567890123"),
    ("138123456789", "138123456789"),           # twelve digits: not a phone
    ("CSF20240510000001", "CSF20240510000001"),
    ("客户U13812345678", "客户U13812345678"),     # an ID that merely contains one
    ("1377360771", "1377360771"),               # ten digits: malformed, kept for correction
]


@pytest.mark.parametrize(("typed", "shown"), FORMS)
def test_every_phone_form_is_masked_and_nothing_else(typed, shown):
    assert mask_text(typed) == shown


@pytest.mark.parametrize(("cell", "ok"), [
    ("13812345678", True), ("138****5678", True), ("13812345678/13987654321", True), ("400-820-8820", True),
    ("张先生 13812345678", True), ("010-62345678", True), ("1377360771", False), ("1381234567", False),
    ("23812345678", False), ("13812345678 转 1", False), ("电话", False),
])
def test_a_phone_cell_holds_phones_or_is_flagged(cell, ok):
    assert phone_cell_ok(cell) is ok


def test_a_landline_can_be_masked_to_its_last_four_digits():
    assert mask_text("010-62345678", LAST_FOUR) == "***-****5678"
    assert mask_text("(0755)1234567", LAST_FOUR) == "(****)***4567"


# ---------------------------------------------------------------- the workbook


def _cases(tmp_path):
    path = team_workbook(tmp_path, [
        good_record(ticket_no="CSF20240510000001", phone="13812345678",
                    description="客户反映“打不开”，回电13987654321，订单DD2024051012345678。"),
        good_record(ticket_no="CSF20240510000002", phone="1377360771", customer_name="李娜"),
        good_record(ticket_no="CSF20240510000003", phone="400-820-8820", customer_name="王芳"),
    ])
    write_rows(path, "customers", [{"customer_id": "U20240001", "name": "张伟", "phone": "010-62345678",
                                    "notes": "只在下午接电话 13812345678"}])
    return path


def test_masking_in_the_workbook_keeps_the_malformed_and_the_service_numbers(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("SERVICEBOOK_VAULT_KEY", new_key())
    path = _cases(tmp_path)
    assert cli("validate", path, "--now", NOW).code == 1      # the ten-digit number
    rows = records_by_header(path)
    assert [r["联系电话"] for r in rows] == ["138****5678", "1377360771", "400-820-8820"]
    assert rows[0]["问题描述"] == "客户反映“打不开”，回电139****4321，订单DD2024051012345678。"
    assert "电话「13****0771」格式不正确" in rows[1]["校验结果"]
    again = cli("validate", path, "--now", NOW)
    assert again.code == 1 and "13****0771" in records_by_header(path)[1]["校验结果"]   # still flagged
    customer = records_by_header(path, "客户档案")[0]
    assert (customer["电话"], customer["备注"]) == ("010-****5678", "只在下午接电话 138****5678")


def test_the_real_number_is_sealed_in_the_vault_and_revealed_only_with_the_key(tmp_path, cli, monkeypatch):
    key = new_key()
    monkeypatch.setenv("SERVICEBOOK_VAULT_KEY", key)
    path = _cases(tmp_path)
    assert cli("validate", path, "--now", NOW).code == 1
    shown = cli("reveal", path, "CSF20240510000001")
    assert shown.code == 0, shown.err
    assert "联系电话：138****5678 → 13812345678" in shown.out and "问题描述：139****4321 → 13987654321" in shown.out
    assert "电话：010-****5678 → 010-62345678" in cli("reveal", path, "U20240001").out
    log = (Sidecar(path).folder / "logs" / "reveal.log").read_text(encoding="utf-8")
    lines = log.strip().splitlines()
    assert len(lines) == 2 and "查看 CSF20240510000001 的完整号码\t找到 2 个" in lines[0]
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\t\S+\t命令行\t", lines[0])
    # Nothing in clear beside the workbook or in it, but the backup of the version before masking.
    for file in tmp_path.rglob("*"):
        if file.is_file() and "backups" not in file.parts:
            data = file.read_bytes()
            if file.suffix == ".xlsx":
                data = b"".join(zipfile.ZipFile(file).read(n) for n in zipfile.ZipFile(file).namelist())
            for number in (b"13812345678", b"13987654321", b"62345678"):
                assert number not in data, (file, number)
            assert key.encode() not in data
    monkeypatch.setenv("SERVICEBOOK_VAULT_KEY", new_key())          # another key: refused, nothing shown
    wrong = cli("reveal", path, "CSF20240510000001")
    assert wrong.code == 2 and "是用另一把密钥加密的" in wrong.err and "13812345678" not in wrong.out
    monkeypatch.delenv("SERVICEBOOK_VAULT_KEY")
    none = cli("reveal", path, "CSF20240510000001")
    assert none.code == 2 and "没有设置号码保险箱的密钥" in none.err


def test_without_a_key_numbers_are_masked_and_the_run_says_they_are_not_kept(tmp_path, cli, monkeypatch):
    monkeypatch.delenv("SERVICEBOOK_VAULT_KEY", raising=False)
    monkeypatch.delenv("SERVICEBOOK_VAULT_KEY_FILE", raising=False)
    path = team_workbook(tmp_path, [good_record(ticket_no="CSF20240510000001", phone="13812345678",
                                                description="先打 13987654321，不通再打 13711112222")])
    result = cli("validate", path, "--now", NOW)
    # every number is counted, two in one cell too: three numbers in two cells
    assert result.code == 0 and result.err.count("3 个电话号码已脱敏，但这台机器没有设置号码保险箱的密钥") == 1
    row = records_by_header(path)[0]
    assert (row["联系电话"], row["问题描述"]) == ("138****5678", "先打 139****4321，不通再打 137****2222")
    assert not (Sidecar(path).folder / "vault.sqlite").exists()


def test_a_key_file_must_be_readable_by_its_owner_only(tmp_path, cli, monkeypatch):
    monkeypatch.delenv("SERVICEBOOK_VAULT_KEY", raising=False)
    key_file = tmp_path / "keys" / "vault.key"
    assert cli("vault", "key", "--file", key_file).code == 0
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    monkeypatch.setenv("SERVICEBOOK_VAULT_KEY_FILE", str(key_file))
    path = _cases(tmp_path)
    assert cli("validate", path, "--now", NOW).code == 1
    assert "→ 13812345678" in cli("reveal", path, "CSF20240510000001").out
    key_file.chmod(0o644)
    refused = cli("reveal", path, "CSF20240510000001")
    assert refused.code == 2 and "其他用户也能读取" in refused.err
    assert cli("vault", "key", "--file", key_file).code == 2           # never overwritten


def test_the_reveal_button_shows_the_selected_rows_numbers_and_logs_it(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("SERVICEBOOK_VAULT_KEY", new_key())
    path = _cases(tmp_path)
    assert cli("validate", path, "--now", NOW).code == 1
    from servicebook.addin import buttons

    book = FakeBook.from_file(path)
    book.selected_row = 2
    buttons.reveal(book)
    alert = book.app.alerts[-1]
    assert alert["mode"] == "info" and "联系电话：138****5678 → 13812345678" in alert["prompt"]
    log = (Sidecar(path).folder / "logs" / "reveal.log").read_text(encoding="utf-8")
    assert "Excel 查看号码按钮\t查看 CSF20240510000001 的完整号码\t找到 2 个" in log


# ---------------------------------------------------------------- invisible characters


def test_invisible_characters_hide_nothing(tmp_path, cli):
    zw = "\u200b"
    path = team_workbook(tmp_path, [
        good_record(ticket_no="CSF20240510000001"),
        good_record(ticket_no="CSF20240510000001" + zw),                       # the same number
        good_record(ticket_no="CSF20240510000003", description=f"身份证3301061988{zw}03151234"),
        good_record(ticket_no="CSF20240510000004", type=f"投诉{zw}", email=f"zhang{zw}wei@example.com"),
        good_record(ticket_no="CSF20240510000005", phone=f"138{zw}12345678"),
    ])
    assert cli("validate", path, "--now", NOW).code == 1
    verdicts = [r["校验结果"] for r in records_by_header(path)]
    assert "记录编号与第 3 行重复" in verdicts[0] and "记录编号与第 2 行重复" in verdicts[1]
    assert "含有看不见的字符（零宽空格等），已按去掉后的内容「CSF20240510000001」校验" in verdicts[1]
    assert "疑似身份证号码" in verdicts[2]
    assert "「投诉」校验" in verdicts[3] and "不在下拉列表中" not in verdicts[3]
    assert "「zhangwei@example.com」校验" in verdicts[3] and "格式不正确" not in verdicts[3]
    assert records_by_header(path)[4]["联系电话"] == "138****5678"


# ---------------------------------------------------------------- no formula smuggled in

PAYLOADS = ['=HYPERLINK("http://evil","x")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(1,2)", "=1+1"]


def _as_typed_text(path):
    """The payloads as a person's text (typed after an apostrophe, or imported), not as formulas."""
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value in PAYLOADS:
                    cell.data_type = "s"
    wb.save(path)


def test_what_the_tool_copies_into_a_sheet_stays_text(tmp_path, cli):
    records = [good_record(ticket_no=f"CSF2024052{i}000001", received_at=D(2024, 5, 20 + i, 9),
                           accepted_at=D(2024, 5, 20 + i, 9, 10), first_response_at=D(2024, 5, 20 + i, 9, 20),
                           resolved_at=D(2024, 5, 20 + i, 12), closed_at=D(2024, 5, 20 + i, 13),
                           tags=payload, status=payload if i == 0 else "已关闭", customer_id="U1", csat=2)
               for i, payload in enumerate(PAYLOADS)]
    path = team_workbook(tmp_path, records)
    write_rows(path, "customers", [{"customer_id": "U1", "name": PAYLOADS[0], "contact": PAYLOADS[1],
                                    "first_purchase": D(2024, 6, 1), "contact_pref": "电话"}])
    _as_typed_text(path)
    assert cli("run", path, "--now", NOW).code == 1
    assert cli("history", path, "U1", "--sheet").code == 0
    shown = lo.sheets_as_csv(path, tmp_path / "csv", recalc=True)
    cells = {title: {v for row in rows for v in row} for title, rows in shown.items()}
    for payload in PAYLOADS[1:]:
        assert payload in cells["月报 2024-05"], payload          # tags of the 专项改进 list, as text
    assert PAYLOADS[1] in cells["客户历史"]
    assert PAYLOADS[0] in cells["客户关怀"] and PAYLOADS[0] in cells["客户历史"]
    assert PAYLOADS[0] in cells["状态历史"]
    wb = openpyxl.load_workbook(path)
    for title in ("月报 2024-05", "客户关怀", "客户历史", "状态历史"):
        assert not [c.coordinate for row in wb[title].iter_rows() for c in row if c.data_type == "f"], title


# ---------------------------------------------------------------- the report shows no person


def test_the_report_holds_no_name_phone_email_or_comment(tmp_path, cli):
    names = ["张伟", "欧阳娜", "杭州云帆科技有限公司"]
    records = [good_record(ticket_no=f"CSF2024052{i}000001", customer_name=name, received_at=D(2024, 5, 20 + i, 9),
                           accepted_at=D(2024, 5, 20 + i, 9, 10), first_response_at=D(2024, 5, 20 + i, 9, 20),
                           resolved_at=D(2024, 5, 20 + i, 12), closed_at=D(2024, 5, 20 + i, 13), csat=2,
                           email=f"person{i}@example.com", csat_comment="服务太差了，再也不买了",
                           tags="13812345678、330106198803151234、登录故障")
               for i, name in enumerate(names)]
    path = team_workbook(tmp_path, records)
    assert cli("report", path, "--month", "2024-05", "--now", NOW).code == 0
    text = " ".join(str(c) for row in openpyxl.load_workbook(path)["月报 2024-05"].iter_rows(values_only=True)
                    for c in row if c is not None)
    assert not any(name in text for name in names)
    assert "@example.com" not in text and "再也不买了" not in text
    assert "13812345678" not in text and "330106198803151234" not in text
    assert "138****5678" in text and "330106********1234" in text and "登录故障" in text


def test_the_vault_file_is_never_readable_as_numbers(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("SERVICEBOOK_VAULT_KEY", new_key())
    path = _cases(tmp_path)
    set_setting(path, "备份保留份数", 1)
    assert cli("validate", path, "--now", NOW).code == 1
    vault = Sidecar(path).folder / "vault.sqlite"
    assert vault.exists() and b"13812345678" not in vault.read_bytes()
    assert os.path.getsize(vault) > 0


def test_a_cell_holding_a_formula_is_the_teams_and_is_not_masked():
    """A phone shown by a formula (its cached value is what is read) is left to the formula: only
    the typed cells of the same columns are masked."""
    from servicebook.definition import definition
    from servicebook.domain.book import Book
    from servicebook.domain.masking import plan_masking
    from servicebook.domain.table import build_table

    rows = [["记录编号", "提交时间", "客户名称", "联系电话", "问题描述"],
            ["T1", D(2024, 5, 10), "张伟", "13812345678", "回电 13987654321"],
            ["T2", D(2024, 5, 10), "李娜", "13812345670", "回电 13987654320"],
            ["T3", D(2024, 5, 10), "王芳", 13812345671, "无"]]
    table = build_table(definition().sheet("records"), "服务记录", rows, formulas={(3, 4): 'D2&""', (3, 5): "E2"})
    plan = plan_masking(Book(definition(), ["服务记录"], {"records": table}))
    assert [(c.index, c.key, c.text) for c in plan.changes] == [
        (0, "phone", "138****5678"), (2, "phone", "138****5671"), (0, "description", "回电 139****4321")]
    assert [s.number for s in plan.secrets] == ["13812345678", "13812345671", "13987654321"]


def test_a_number_on_many_rows_is_masked_in_each_and_kept_once_per_row():
    """A customer's number recurs on every record of theirs (judged once, written in every row):
    each row is masked and its real number kept under its own record number; the same digits
    typed as a number are masked too, a malformed one and one already masked stay."""
    from servicebook.definition import definition
    from servicebook.domain.book import Book
    from servicebook.domain.masking import plan_masking
    from servicebook.domain.table import build_table

    rows = [["记录编号", "提交时间", "客户名称", "联系电话", "问题描述"],
            ["T1", D(2024, 5, 10), "张伟", "13812345678", "请回电 13812345678"],
            ["T2", D(2024, 5, 10), "张伟", 13812345678.0, "请回电 13812345678"],
            ["T3", D(2024, 5, 10), "张伟", "13812345678", "无"],
            ["T4", D(2024, 5, 10), "李娜", "1381234567", "无"],
            ["T5", D(2024, 5, 10), "王芳", "138****5678", "无"]]
    table = build_table(definition().sheet("records"), "服务记录", rows)
    plan = plan_masking(Book(definition(), ["服务记录"], {"records": table}))

    assert [(c.index, c.key, c.text) for c in plan.changes] == [
        (0, "phone", "138****5678"), (1, "phone", "138****5678"), (2, "phone", "138****5678"),
        (0, "description", "请回电 138****5678"), (1, "description", "请回电 138****5678")]
    assert [(s.row_key, s.column, s.number) for s in plan.secrets] == [
        ("T1", "联系电话", "13812345678"), ("T2", "联系电话", "13812345678"), ("T3", "联系电话", "13812345678"),
        ("T1", "问题描述", "13812345678"), ("T2", "问题描述", "13812345678")]


def test_the_texts_that_may_hold_a_phone_are_found_as_a_search_of_each_would_find_them():
    """Free text is searched for digits as one joined text: the texts found are those a search of
    each finds — digits first or last, after a line break, full-width, beside numbers and empty cells."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from servicebook.domain.masking import _with_digit

    texts = st.text(alphabet=st.sampled_from("ab 客户\n\t5０١-*"), max_size=8)
    cells = st.lists(st.one_of(texts, st.none(), st.floats(allow_nan=False), st.integers()), max_size=30)

    @settings(max_examples=300, deadline=None)
    @given(cells)
    def check(values):
        assert _with_digit(values) == [i for i, v in enumerate(values) if type(v) is str and re.search(r"\d", v)]

    check()
    assert _with_digit(["无", "电话\n138", "", "１"]) == [1, 3]


@pytest.mark.parametrize("lookup", ["from servicebook.vault import load_key as look; look()",
                                    "from servicebook.mail.secrets import find_secret as look; "
                                    "look('password', 'agent@service.example.com')"])
def test_asking_the_keyring_keeps_nothing_of_the_step_that_asked(lookup):
    """keyring keeps the traceback of a backend that failed to import, and with it every frame on
    the stack that imported it: asked from the masking step, its plan of every number it changed
    stayed to the end of the run. Asked in a fresh process, where keyring finds its backends."""
    import subprocess
    import sys

    code = f"""
import gc, weakref
class Plan: pass
def step():
    plan = Plan()
    {lookup}
    return weakref.ref(plan)
held = step()
gc.collect()
print("kept" if held() is not None else "let go")
"""
    env = {k: v for k, v in os.environ.items()
           if k not in ("SERVICEBOOK_VAULT_KEY", "SERVICEBOOK_VAULT_KEY_FILE", "SERVICEBOOK_MAIL_PASSWORD",
                        "PYTHON_KEYRING_BACKEND")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert (done.returncode, done.stdout.strip()) == (0, "let go"), done.stderr
