"""The part writer asks an edit set row by row, without folding a first run's two million cells
into one dict: what it is given is what folding would give, after a rerun's unchanged cells are
left out as well."""

from __future__ import annotations

from contextlib import contextmanager

from hypothesis import given, settings
from hypothesis import strategies as st

from servicebook.definition import definition
from servicebook.domain.table import build_table
from servicebook.edits import Edits, RowEdits, _same, drop_unchanged

RECORDS = definition().sheet("records")
HEADER = [c.header for c in RECORDS.template_columns]
NAME = HEADER.index(RECORDS.column("customer_name").header) + 1
EDITED = [HEADER.index(RECORDS.column(key).header) + 1 for key in ("description", "solution", "notes")]
ROWS = [2, 3, 4, 5, 6]
VALUES = st.sampled_from(["a", "b", "", None, 1, 1.0, True])


def _grid(held: dict[tuple[int, int], object]) -> list[list[object]]:
    grid = [HEADER]
    for row in ROWS:
        cells = [None] * len(HEADER)
        cells[NAME - 1] = f"客户{row}"   # every row a record
        for col in EDITED:
            cells[col - 1] = held.get((row, col))
        grid.append(cells)
    return grid


cell_edit = st.tuples(st.just("cell"), st.sampled_from(ROWS), st.sampled_from(EDITED), VALUES)
column_edit = st.tuples(st.just("column"), st.sampled_from(EDITED),
                        st.lists(st.sampled_from(ROWS), unique=True).map(sorted), st.lists(VALUES, min_size=5))


def _apply(edits: Edits, operations: list) -> dict[tuple[int, int], object]:
    """The edits made, and each cell's last word."""
    sheet, last = edits.sheet(RECORDS.name), {}
    for operation in operations:
        if operation[0] == "cell":
            _, row, col, value = operation
            sheet.set(row, col, value)
            last[(row, col)] = value
        else:
            _, col, rows, values = operation
            sheet.set_column(col, rows, values[:len(rows)])
            last.update({(row, col): value for row, value in zip(rows, values, strict=False)})
    return last


def _flat(row_edits) -> dict[tuple[int, int], object]:
    return {(row, col): value for row in row_edits for col, value in row_edits[row].items()}


# Rows are gathered a stretch at a time: the tests' five rows in stretches of one, two, three, all.
STRETCHES = st.sampled_from([1, 2, 3, RowEdits.STRETCH])


@contextmanager
def _stretch(rows: int):
    default = RowEdits.STRETCH
    RowEdits.STRETCH = rows
    try:
        yield
    finally:
        RowEdits.STRETCH = default


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.tuples(st.sampled_from(ROWS), st.sampled_from(EDITED)), VALUES),
       st.lists(st.one_of(cell_edit, column_edit), max_size=8), STRETCHES)
def test_the_rows_given_the_writer_are_the_last_word_of_each_cell_the_file_does_not_hold(held, operations, stretch):
    table = build_table(RECORDS, RECORDS.name, _grid(held))
    assert table.row_numbers == ROWS
    edits = Edits()
    last = _apply(edits, operations)
    drop_unchanged(edits, {"records": table}, {})
    sheet = edits.sheets[RECORDS.name]
    key = {col: key for key, col in table.headers.columns.items()}
    expected = {(row, col): value for (row, col), value in last.items()
                if not _same(table.get(key[col], ROWS.index(row)), value)}
    with _stretch(stretch):
        row_edits = sheet.by_row()
        assert _flat(row_edits) == expected
    assert list(row_edits) == sorted({row for row, _ in expected})
    assert sheet.cells == expected   # folding after the writer asked gives the same


def test_the_rows_are_asked_in_order_and_a_last_word_wins_over_them_all():
    sheet = Edits().sheet(RECORDS.name)
    sheet.set_column(5, [2, 3, 4], ["e2", "e3", "e4"])
    sheet.set_column(6, [2, 3, 4], ["f2", "f3", "f4"])   # the same rows: asked together
    sheet.set(3, 5, "cell")
    sheet.set_column(5, [4, 9], ["again", "new row"])
    rows = sheet.by_row({(1, 7): "header", (3, 6): "header's row? no: last word"})
    assert list(rows) == [1, 2, 3, 4, 9] and len(rows) == 5
    assert rows[1] == {7: "header"}
    assert rows[2] == {5: "e2", 6: "f2"}
    assert rows[3] == {5: "cell", 6: "header's row? no: last word"}
    assert rows[4] == {5: "again", 6: "f4"} and rows[9] == {5: "new row"}
    assert rows.last_column() == 7 and 8 not in rows and rows.get(8) is None


def test_what_was_written_is_noted_a_column_at_a_time():
    from servicebook.edits import RowSet, note_written

    edits = Edits()
    sheet = edits.sheet(RECORDS.name)
    sheet.set_column(5, [2, 3], ["a", "b"])
    sheet.set(7, 5, "c")
    sheet.set(2, 6, "d")
    written: dict = {RECORDS.name: {5: RowSet([10])}}
    note_written(written, edits)
    assert {col: set(rows) for col, rows in written[RECORDS.name].items()} == {5: {2, 3, 7, 10}, 6: {2}}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(cell_edit, column_edit, st.tuples(st.just("column"), st.sampled_from(EDITED),
                                                             st.permutations(ROWS), st.lists(VALUES, min_size=5))),
                max_size=8),
       st.randoms(use_true_random=False), STRETCHES)
def test_a_row_asked_in_any_order_or_twice_holds_what_it_holds_asked_in_order(operations, random, stretch):
    """The writer asks rows in order, a stretch of rows gathered at a time; a row asked out of
    order, or again, or a column written out of row order, holds the same."""
    edits = Edits()
    last = _apply(edits, operations)
    sheet = edits.sheets[RECORDS.name]
    in_order: dict[int, dict[int, object]] = {}
    for (row, col), value in sorted(last.items()):
        in_order.setdefault(row, {})[col] = value
    with _stretch(stretch):
        rows = sheet.by_row()
        asked = list(rows) * 2 + [1, 99]
        random.shuffle(asked)
        assert {row: rows.get(row) for row in asked} == {**in_order, 1: None, 99: None}
        walked = sheet.by_row()
        assert [walked[row] for row in walked] == list(in_order.values())
        assert [row in walked for row in (1, *in_order, 99)] == [False, *(True for _ in in_order), False]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(
    st.builds(lambda start, length: list(range(start, start + length)), st.integers(1, 40), st.integers(0, 12)),
    st.lists(st.integers(1, 60), max_size=6),
    st.integers(1, 60).map(lambda row: (row,)),
), max_size=8))
def test_the_rows_noted_are_the_rows_written_in_whatever_pieces_they_came(pieces):
    from servicebook.edits import RowSet

    held, model = RowSet(), set()
    for rows in pieces:
        held.add(rows)
        model.update(rows)
    assert {row for row in range(0, 80) if row in held} == model
    assert set(held) == model and bool(held) == bool(model)


def test_a_first_runs_columns_are_noted_in_eight_bytes_a_row_or_less():
    """Thirty columns of 100,000 rows, as a first run writes them — fifteen whole, fifteen with a
    gap every tenth row (an empty cell left empty): as sets they held 126 MB to the end of the
    command."""
    import tracemalloc

    from servicebook.edits import note_written

    edits = Edits()
    sheet = edits.sheet(RECORDS.name)
    rows = list(range(2, 100_002))
    gappy = [row for row in rows if row % 10]
    for col in range(1, 31):
        written_rows = rows if col <= 15 else gappy
        sheet.set_column(col, written_rows, [None] * len(written_rows))
    sheet.set(100_010, 31, "one more")
    written: dict = {}
    tracemalloc.start()
    try:
        note_written(written, edits)
        kept = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert kept < 15 * len(gappy) * 8 + 100_000
    noted = written[RECORDS.name]
    assert all(100_001 in noted[col] and 1 not in noted[col] and 100_002 not in noted[col] for col in range(1, 31))
    assert [30 in noted[col] for col in (15, 16)] == [True, False] and 100_010 in noted[31]
