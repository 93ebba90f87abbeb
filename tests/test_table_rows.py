"""Which rows below the header are records, read from the grid as calamine gives it: 合计 and its
kin in any of the forms people type are summary rows, a blank row is no record, a value right of
the header's columns occupies its column — whether the rows are visited one by one or the sheet
is recognised as records only."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicebook.definition import definition
from servicebook.domain.table import build_table

RECORDS = definition().sheet("records")
HEADER = [c.header for c in RECORDS.template_columns if not c.computed]


def _row(name: object, status: object = "处理中", **more: object) -> list[object]:
    cells = {"客户名称": name, "处理状态": status, "提交时间": datetime(2026, 11, 20, 9, 0), **more}
    return [cells.get(header) for header in HEADER]


def _table(rows: list[list[object]]):
    return build_table(RECORDS, "服务记录", [HEADER, *rows])


def test_a_sheet_of_records_only_keeps_every_row():
    table = _table([_row(f"客户{n}") for n in range(50)])
    assert table.row_numbers == list(range(2, 52))
    assert (table.skipped, table.last_used_row) == ({}, 51)
    assert table.values["customer_name"][:2] == ["客户0", "客户1"]
    assert table.occupancy.valued == frozenset()


@pytest.mark.parametrize("word", ["合计", "合 计", "　合计", "合计：", "小计:", "總計", "汇总", "Total", " TOTAL ",
                                  "Sub Total", "grandtotal", "SUM", "\tTotal"])
def test_a_summary_word_in_any_form_makes_a_summary_row(word):
    rows = [_row("小王"), _row("Sam"), _row("总部客户"), [None] * len(HEADER), _row(word, None), _row("赵磊")]
    table = _table(rows)
    assert table.row_numbers == [2, 3, 4, 7]
    assert table.skipped == {6: f"汇总行（{word.strip()}）"}
    assert table.last_used_row == 7


@pytest.mark.parametrize("text", ["备注\n合计", "合计金额待核对的记录", "总部客户", "小计划", "Totally"])
def test_a_text_that_only_begins_like_a_summary_word_is_a_record(text):
    table = _table([_row("张伟"), _row(text)])
    assert (table.row_numbers, table.skipped) == ([2, 3], {})


def test_trailing_blank_rows_and_a_value_right_of_the_records_are_seen():
    width = len(HEADER)
    rows = [[*_row("张伟"), None, None], [*_row("李娜"), None, "旁注"], [None] * (width + 2), [None] * (width + 2)]
    table = _table(rows)
    assert (table.row_numbers, table.skipped, table.last_used_row) == ([2, 3], {}, 3)
    assert table.occupancy.valued == frozenset({width + 2})
    blank_tail = _table([_row("张伟"), _row("李娜"), [None] * width, ["  "] + [None] * (width - 1)])
    assert (blank_tail.row_numbers, blank_tail.last_used_row) == ([2, 3], 3)


# Each cell a fresh object, as a reader makes them: the same word in two cells is two objects.
def _fresh(value: object) -> object:
    return "".join(list(value)) if isinstance(value, str) else value


CELLS = ["处理中", "已关闭", "待处理", "", "  ", None, 1, 1.0, True, False, 0, 0.0, -0.0, "1", "True",
         datetime(2026, 11, 20, 9, 0)]


# At least 130 rows: a column is judged for sharing by a sample of 128 cells or more.
@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(CELLS), st.sampled_from(CELLS[:6])), min_size=130, max_size=400))
def test_every_cell_is_read_as_it_was_typed_whatever_its_column_shares(pairs):
    rows = [_row(f"客户{n}", _fresh(status), 满意度=_fresh(score)) for n, (score, status) in enumerate(pairs)]
    table = _table(rows)
    kept = [rows[number - 2] for number in table.row_numbers]
    assert set(table.values) == {c.key for c in RECORDS.template_columns if not c.computed}
    for key, values in table.values.items():   # every column, across blocks of rows turned at once
        at = HEADER.index(RECORDS.column(key).header)
        assert [(type(v), repr(v)) for v in values] == [(type(cells[at]), repr(cells[at])) for cells in kept]


def test_equal_words_of_a_column_of_words_are_one_object():
    words = ["处理中", "已关闭", "待处理"]
    rows = [_row(f"客户{n}", _fresh(words[n % 3]), 满意度=[1, 1.0, True, "5"][n % 4]) for n in range(600)]
    table = _table(rows)
    assert len({id(v) for v in table.values["status"]}) == 3
    assert table.values["status"][:4] == ["处理中", "已关闭", "待处理", "处理中"]
    # Names, one per row, are left as read; so is a column where 1, 1.0 and True stand side by side.
    assert len({id(v) for v in table.values["customer_name"]}) == 600
    assert [(type(v), v) for v in table.values["csat"][:4]] == [(int, 1), (float, 1.0), (bool, True), (str, "5")]
