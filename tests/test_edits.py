"""An edit set keeps a whole column as the lists it came in; the cells it ends as are those the
edits made in order, later ones winning, and a rerun's unchanged cells are left out."""

from __future__ import annotations

from datetime import date, datetime

from servicebook.edits import Edits, drop_unchanged
from servicebook.jobs.session import open_session
from tests.support.workbooks import good_record, team_workbook


def _sheet():
    return Edits().sheet("服务记录")


def test_later_edits_win_cell_by_cell_and_column_by_column():
    sheet = _sheet()
    sheet.set(2, 5, "first")
    sheet.set_column(5, [2, 3, 4], ["column", "column", "column"])
    sheet.set(3, 5, "after the column")
    sheet.set_column(6, [2, 3], [1, 2])
    assert sheet.get(2, 5) == "column" and sheet.get(3, 5) == "after the column" and sheet.get(9, 5) is None
    assert sheet.cells == {(2, 5): "column", (3, 5): "after the column", (4, 5): "column", (2, 6): 1, (3, 6): 2}
    sheet.set_column(5, [2], ["again"])            # after the cells were read out: still the last word
    assert sheet.cells[(2, 5)] == "again"


def test_an_edit_set_with_only_an_empty_column_is_empty():
    edits = Edits()
    edits.sheet("服务记录").set_column(5, [], [])
    assert edits.is_empty()
    edits.sheet("服务记录").set_column(5, [2], [None])
    assert not edits.is_empty()


def test_unchanged_column_cells_are_left_out_with_what_was_set_there_before(tmp_path):
    path = team_workbook(tmp_path, [good_record(due_at=datetime(2024, 5, 13, 9, 0)),
                                    good_record(due_at=datetime(2024, 5, 14, 0, 0)),
                                    good_record(due_at=datetime(2024, 5, 15, 9, 0))])
    with open_session(path) as session:
        table = session.book.tables["records"]
        col, rows = table.headers.columns["due_at"], table.row_numbers
        edits = Edits()
        sheet = edits.sheet(table.title, table.headers.row)
        sheet.set(rows[0], col, datetime(2030, 1, 1))      # overwritten below by the value the file holds
        sheet.set_column(col, rows, [datetime(2024, 5, 13, 9, 0), datetime(2024, 5, 14), datetime(2024, 5, 16)])
        sheet.masked.add((rows[1], col))                   # a masked cell is written whatever it holds
        drop_unchanged(edits, session.read, {})
        assert sheet.cells == {(rows[1], col): datetime(2024, 5, 14), (rows[2], col): datetime(2024, 5, 16)}
        assert type(table.get("due_at", 1)) is date       # midnight, as the reader gives it


def test_a_cell_this_command_wrote_before_is_written_again_even_when_the_file_held_the_value(tmp_path):
    path = team_workbook(tmp_path, [good_record(due_at=datetime(2024, 5, 13, 9, 0))])
    with open_session(path) as session:
        table = session.book.tables["records"]
        col, row = table.headers.columns["due_at"], table.row_numbers[0]
        edits = Edits()
        edits.sheet(table.title, table.headers.row).set_column(col, [row], [datetime(2024, 5, 13, 9, 0)])
        drop_unchanged(edits, session.read, {table.title: {col: {row}}})
        assert edits.sheets[table.title].cells == {(row, col): datetime(2024, 5, 13, 9, 0)}


def test_a_cell_set_after_its_column_is_judged_by_its_own_value(tmp_path):
    path = team_workbook(tmp_path, [good_record(due_at=datetime(2024, 5, 13, 9, 0)),
                                    good_record(due_at=datetime(2024, 5, 15, 9, 0)),
                                    good_record(due_at=datetime(2024, 5, 16, 9, 0))])
    with open_session(path) as session:
        table = session.book.tables["records"]
        col, rows = table.headers.columns["due_at"], table.row_numbers
        edits = Edits()
        sheet = edits.sheet(table.title, table.headers.row)
        sheet.set_column(col, rows, [datetime(2030, 1, 1), datetime(2030, 1, 2), datetime(2024, 5, 16, 9, 0)])
        sheet.set(rows[0], col, datetime(2024, 5, 13, 9, 0))   # back to what the file holds: left out
        sheet.set(rows[1], col, datetime(2031, 1, 1))          # a change of its own: written
        drop_unchanged(edits, session.read, {})
        assert sheet.cells == {(rows[1], col): datetime(2031, 1, 1)}


def test_a_whole_column_is_judged_as_cell_by_cell_judging_would():
    """The C-speed comparison of a column with what the file holds: equal values of another type
    (1 and True, 1 and 1.0, "" and None, a date and its midnight) come out as one by one."""
    from itertools import product

    from servicebook.edits import _same, _same_all

    samples = [None, "", "达标", 1, 1.0, True, False, 0, 0.0, 2.5, date(2024, 5, 14), datetime(2024, 5, 14),
               datetime(2024, 5, 14, 9, 0), "1"]
    held, values = zip(*product(samples, samples), strict=True)
    assert _same_all(list(held), list(values)) == [_same(h, v) for h, v in zip(held, values, strict=True)]
    assert _same_all([True], [1]) == [False] and _same_all([1], [1.0]) == [True] and _same_all([""], [None]) == [True]


def test_a_column_left_out_takes_the_earlier_edits_of_its_cells_with_it_however_many():
    """Fewer earlier edits than the column has rows, or more: those of its rows go, the rest stay."""
    for earlier_rows in (range(2, 4), range(2, 500)):
        sheet = _sheet()
        for row in earlier_rows:
            sheet.set(row, 5, "earlier")
            sheet.set(row, 6, "other column")
        sheet.set_column(5, [2, 3, 4], ["held", "new", "held"])
        sheet.settle(lambda column: [True, False, True])
        cells = sheet.cells
        assert (2, 5) not in cells and (4, 5) not in cells and cells[(3, 5)] == "new"
        assert all(cells[(row, 6)] == "other column" for row in earlier_rows)
        assert all(cells[(row, 5)] == "earlier" for row in earlier_rows if row > 4)
