"""The part writer's pieces, each on a sheet of a few lines: the rows path (both ways a row is
patched), the XML path (every element it edits), and the patcher that joins them — each result
checked against sml.xsd as Excel would read it."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from lxml import etree

from servicebook.edits import Highlight, NewColumn, RowEdits, SheetEdits, marked
from servicebook.xlsx.parts.rows import CellLooks, RowPatcher
from servicebook.xlsx.parts.sheet import SheetPatcher
from servicebook.xlsx.parts.sheet_xml import SheetXml
from servicebook.xlsx.parts.styles import StyleSheet
from servicebook.xlsx.xml import NS, Q
from tests.support.ooxml import schema_errors

STYLES = f"""<styleSheet xmlns="{NS}">
<fonts count="1"><font><sz val="11"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border/></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="0" fontId="0" fillId="1" borderId="0" xfId="0" applyFill="1"/>
<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>
</styleSheet>""".encode()


def sheet(rows: str, before: str = "", after: str = "", prefix: str = "") -> bytes:
    p = prefix
    xmlns = f'xmlns:x="{NS}"' if prefix else f'xmlns="{NS}"'
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{p}worksheet {xmlns}>{before}'
            f"<{p}sheetData>{rows}</{p}sheetData>{after}</{p}worksheet>").encode()


def rows_of(data: bytes) -> list[list[tuple[str, str | None, str]]]:
    """Each row's cells as (reference, style, shown value)."""
    root = etree.fromstring(data)
    out = []
    for row in root.iter(Q + "row"):
        cells = []
        for c in row.iter(Q + "c"):
            v, t = c.find(Q + "v"), c.find(f"{Q}is/{Q}t")
            cells.append((c.get("r"), c.get("s"), t.text if t is not None else (v.text if v is not None else "")))
        out.append((row.get("r"), cells))
    return out


def patched(data: bytes, edits: SheetEdits, styles: StyleSheet | None = None):
    result = SheetPatcher(data, styles or StyleSheet(STYLES), False).patch(edits)
    joined = b"".join(result.data)
    assert schema_errors("sheet1.xml", joined) == []
    return joined, result


def edit(cells: dict[tuple[int, int], object], **more) -> SheetEdits:
    sheet = SheetEdits("服务记录", **more)
    sheet.cells.update(cells)
    return sheet


# ---------------------------------------------------------------- the rows, as text

TWO_ROWS = ('<row r="1" spans="1:3"><c r="A1" t="inlineStr"><is><t>编号</t></is></c>'
            '<c r="C1" t="inlineStr"><is><t>状态</t></is></c></row>'
            '<row r="2" spans="1:3"><c r="A2" s="1"><v>7</v></c><c r="C2"><v>3</v></c></row>')


def _rows(body: str, edits: dict[int, dict[int, object]], looks: CellLooks | None = None, prefix: str = ""):
    patcher = RowPatcher(prefix, StyleSheet(STYLES), False, looks or CellLooks())
    return b"".join(patcher.patch(body.encode(), edits)).decode(), patcher


def test_rows_without_edits_are_copied_byte_for_byte():
    out, _ = _rows(TWO_ROWS, {})
    assert out == TWO_ROWS


def test_an_existing_cell_is_replaced_in_place_keeping_its_style():
    out, _ = _rows(TWO_ROWS, {2: {1: 8}})
    assert '<c r="A2" s="1"><v>8</v></c><c r="C2"><v>3</v></c>' in out


def test_a_cell_right_of_the_last_is_appended_without_reading_the_row():
    patcher = RowPatcher("", StyleSheet(STYLES), False, CellLooks())
    body = b'<c r="A2" s="1"><v>7</v></c><c r="C2"><v>3</v></c>'
    direct = patcher.replaced_directly(2, body, {4: "已超时"}, None)
    assert direct == body + '<c r="D2" t="inlineStr"><is><t>已超时</t></is></c>'.encode()


def test_a_new_cell_between_two_takes_the_ordered_path_and_lands_in_column_order():
    patcher = RowPatcher("", StyleSheet(STYLES), False, CellLooks())
    body = b'<c r="A2" s="1"><v>7</v></c><c r="C2"><v>3</v></c>'
    assert patcher.replaced_directly(2, body, {2: "新"}, None) is None
    ordered = patcher.replaced_in_order(2, body, {2: "新"}, None)
    assert [c[0] for c in rows_of(sheet(f'<row r="2">{ordered.decode()}</row>'))[0][1]] == ["A2", "B2", "C2"]


def test_both_paths_write_the_same_row():
    """A row whose edits the direct path can make gives the same bytes through the ordered path."""
    body = b'<c r="A2" s="1"><v>7</v></c><c r="C2"><v>3</v></c>'
    edits = {1: 9, 3: "通过", 5: datetime(2024, 6, 3, 9, 30)}
    one = RowPatcher("", StyleSheet(STYLES), False, CellLooks()).replaced_directly(2, body, edits, None)
    two = RowPatcher("", StyleSheet(STYLES), False, CellLooks()).replaced_in_order(2, body, edits, None)
    assert one == two


def test_new_rows_go_between_and_after_existing_rows_and_spans_go_from_patched_ones():
    out, _ = _rows(TWO_ROWS + '<row r="5"><c r="A5"><v>1</v></c></row>', {3: {1: "甲"}, 2: {3: 4}, 9: {2: "乙"}})
    assert [r for r, _ in rows_of(sheet(out))] == ["1", "2", "3", "5", "9"]
    assert '<row r="1" spans="1:3">' in out and '<row r="2">' in out   # patched row: no spans hint


def test_rows_and_cells_without_references_are_counted_in_order():
    body = '<row><c><v>1</v></c><c><v>2</v></c></row><row><c><v>3</v></c></row>'
    out, _ = _rows(body, {2: {2: 5}})
    root = rows_of(sheet(out))
    assert root[1][1] == [(None, None, "3"), ("B2", None, "5")]


@pytest.mark.parametrize("edits", [
    {5: {2: "已超时"}, 9: {1: 7, 4: "通过"}},                       # rows that exist, found by reference
    {5: {2: "已超时"}, 12: {1: 1}, 13: {1: 2}},                      # and rows past the last one
    {6: {1: "新"}},                                                  # a missing row between: read in order
    {1: {3: "新列"}, 2: {1: "A"}, 10: {2: "B"}, 11: {2: "C"}},
])
def test_finding_the_edited_rows_by_reference_writes_what_reading_every_row_writes(edits):
    """A day's edits touch a few rows of many: they are found by their reference, with the same
    result — byte for byte, strings to scrub and formulas dropped — as reading every row."""
    body = "".join(f'<row r="{n}" spans="1:4"><c r="A{n}" t="s"><v>{n}</v></c>'
                   f'<c r="B{n}"><f>A{n}*2</f><v>{2 * n}</v></c><c r="D{n}"><v>{n}</v></c></row>'
                   for n in (1, 2, 3, 4, 5, 7, 8, 9, 10, 11)).encode()
    looks = CellLooks(masked={(row, col) for row, cells in edits.items() for col in cells})
    fast = RowPatcher("", StyleSheet(STYLES), False, looks)
    by_reference = b"".join(fast.patch(body, edits))
    slow = RowPatcher("", StyleSheet(STYLES), False, looks)
    slow._locate = lambda *_: None   # every row read in order
    in_order = b"".join(slow.patch(body, edits))
    assert by_reference == in_order
    assert (fast.result.replaced_strings, fast.result.dropped_formula) == \
        (slow.result.replaced_strings, slow.result.dropped_formula)
    assert (fast._locate(body, sorted(edits)) is None) == (6 in edits)   # the path each case takes


def test_a_new_cell_takes_its_rows_format_else_its_columns():
    body = '<row r="2" s="1" customFormat="1"><c r="A2"><v>1</v></c></row><row r="3"><c r="A3"><v>1</v></c></row>'
    out, _ = _rows(body, {2: {2: 5}, 3: {2: 5}}, CellLooks(column_styles={2: 2}))
    cells = {ref: style for _, row in rows_of(sheet(out)) for ref, style, _ in row}
    assert (cells["B2"], cells["B3"]) == ("1", "2")


def test_overwriting_a_formula_is_reported_and_a_masked_shared_string_named():
    body = ('<row r="2"><c r="A2"><f>1+1</f><v>2</v></c><c r="B2" t="s"><v>4</v></c>'
            '<c r="C2" t="s"><v>5</v></c></row>')
    _, patcher = _rows(body, {2: {1: 3, 2: "138****5678", 3: "不脱敏"}}, CellLooks(masked={(2, 2)}))
    assert patcher.result.dropped_formula is True
    assert patcher.result.replaced_strings == {4: "138****5678"}


def test_the_quote_prefix_and_date_styles_exist_in_the_style_sheet():
    styles = StyleSheet(STYLES)
    patcher = RowPatcher("", styles, False, CellLooks())
    out = b"".join(patcher.patch(b'<row r="2"><c r="A2"><v>1</v></c></row>',
                                 {2: {2: "=1+1", 3: datetime(2024, 6, 3, 8)}}))
    cells = {ref: int(style) for _, row in rows_of(sheet(out.decode())) for ref, style, _ in row if style}
    xfs = etree.fromstring(styles.to_bytes()).find(Q + "cellXfs")
    assert xfs[cells["B2"]].get("quotePrefix") == "1"
    fmt_id = xfs[cells["C2"]].get("numFmtId")
    codes = {f.get("numFmtId"): f.get("formatCode") for f in etree.fromstring(styles.to_bytes()).iter(Q + "numFmt")}
    assert codes[fmt_id] == "yyyy-mm-dd hh:mm"


def test_a_prefixed_sheet_gets_prefixed_cells():
    body = '<x:row r="2"><x:c r="A2"><x:v>1</x:v></x:c></x:row>'
    out, _ = _rows(body, {2: {2: "新"}}, prefix="x:")
    assert out == ('<x:row r="2"><x:c r="A2"><x:v>1</x:v></x:c>'
                   '<x:c r="B2" t="inlineStr"><x:is><x:t>新</x:t></x:is></x:c></x:row>')


# ---------------------------------------------------------------- the rest, as XML


def xml_of(before: str = "", after: str = "") -> SheetXml:
    return SheetXml(etree.fromstring(sheet("", before, after)))


def children(tree: SheetXml) -> list[str]:
    return [etree.QName(c).localname for c in tree.root]


def test_set_column_splits_the_range_that_covered_it_keeping_its_look():
    tree = xml_of('<cols><col min="1" max="5" width="9" style="1" customWidth="1"/></cols>')
    tree.set_column(3, 14, hidden=False)
    cols = [(c.get("min"), c.get("max"), c.get("width"), c.get("style")) for c in tree.child("cols")]
    assert cols == [("1", "2", "9", "1"), ("3", "3", "14", None), ("4", "5", "9", "1")]


def test_set_column_creates_cols_where_the_schema_puts_it_and_hides_when_asked():
    tree = xml_of('<dimension ref="A1"/><sheetFormatPr defaultRowHeight="15"/>')
    tree.set_column(7, 0, hidden=True)
    assert children(tree) == ["dimension", "sheetFormatPr", "cols", "sheetData"]
    assert tree.child("cols")[0].get("hidden") == "1"


def test_column_styles_are_read_for_the_columns_a_cell_can_land_in():
    tree = xml_of('<cols><col min="2" max="16384" style="1"/></cols>')
    styles = tree.column_styles()
    assert (len(styles), styles[2], 1 in styles) == (299, 1, False)


def test_add_prompt_adds_a_message_and_counts_the_validations():
    tree = xml_of(after='<dataValidations count="1"><dataValidation type="list" sqref="B2:B9">'
                        '<formula1>"甲,乙"</formula1></dataValidation></dataValidations>')
    tree.add_prompt("D2:D1048576", "本列由工具填写")
    validations = tree.child("dataValidations")
    assert validations.get("count") == "2"
    assert [(v.get("sqref"), v.get("prompt")) for v in validations][1] == ("D2:D1048576", "本列由工具填写")


@pytest.mark.parametrize(("ref", "header_row", "expected"), [
    ("A1:C40", 1, "A1:F40"),     # the records' filter grows to the new column
    ("A3:C40", 1, "A3:C40"),     # a filter on another table is left alone
    ("A1:H40", 1, "A1:H40"),     # already wide enough
])
def test_widen_filter(ref, header_row, expected):
    tree = xml_of(after=f'<autoFilter ref="{ref}"/>')
    tree.widen_filter(header_row, 6)
    assert tree.child("autoFilter").get("ref") == expected


def test_replace_highlights_keeps_the_teams_rules_and_replaces_only_ours():
    ours = marked("$D2>1", "sla")
    tree = xml_of(after=f'<conditionalFormatting sqref="A2:A9"><cfRule type="expression" dxfId="0" priority="4">'
                        f'<formula>$A2="急"</formula></cfRule></conditionalFormatting>'
                        f'<conditionalFormatting sqref="D2:D9"><cfRule type="expression" dxfId="0" priority="5">'
                        f'<formula>{ours}</formula></cfRule></conditionalFormatting>'
                        f'<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>')
    tree.replace_highlights({"sla": [Highlight("E2:E9", "$E2=1", "breach", stop=True)]}, lambda style: 9)
    blocks = tree.root.findall(Q + "conditionalFormatting")
    assert [b.get("sqref") for b in blocks] == ["A2:A9", "E2:E9"]
    rule = blocks[1][0]
    assert (rule.get("priority"), rule.get("dxfId"), rule.get("stopIfTrue"), rule[0].text) == \
        ("5", "9", "1", marked("$E2=1", "sla"))
    assert children(tree)[-1] == "pageMargins"


def test_replace_highlights_on_a_sheet_without_any_puts_them_in_schema_order():
    tree = xml_of(after='<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>',
                  before='<dimension ref="A1:C3"/>')
    tree.replace_highlights({"validate": [Highlight("A2:A3", "1", "error"), Highlight("B2:B3", "1", "warning")]},
                            lambda style: {"error": 0, "warning": 1}[style])
    assert children(tree) == ["dimension", "sheetData", "conditionalFormatting", "conditionalFormatting", "pageMargins"]


def test_grow_dimension_reaches_the_last_written_cell():
    tree = xml_of('<dimension ref="A1:C40"/>')
    tree.grow_dimension(41, 2)
    assert tree.child("dimension").get("ref") == "A1:C41"
    tree.grow_dimension(10, 6)
    assert tree.child("dimension").get("ref") == "A1:F41"


# ---------------------------------------------------------------- the patcher: both paths joined


def test_a_new_column_is_a_header_a_width_a_prompt_and_a_wider_filter():
    data = sheet(TWO_ROWS, '<dimension ref="A1:C2"/>', '<autoFilter ref="A1:C2"/>')
    out, _ = patched(data, edit({(2, 4): "达标"}, new_columns=[NewColumn(4, "时效状态", 12, "按时效规则计算")]))
    root = etree.fromstring(out)
    assert root.find(Q + "dimension").get("ref") == "A1:D2"
    assert root.find(Q + "autoFilter").get("ref") == "A1:D2"
    assert root.find(f"{Q}cols/{Q}col").get("width") == "12"
    assert [v.get("sqref") for v in root.iter(Q + "dataValidation")] == ["D2:D1048576"]
    assert rows_of(out)[0][1][-1][::2] == ("D1", "时效状态") and rows_of(out)[1][1][-1][::2] == ("D2", "达标")


def test_a_sheet_with_no_rows_at_all_gets_its_first():
    data = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{NS}">'
            f'<dimension ref="A1"/><sheetData/></worksheet>').encode()
    out, _ = patched(data, edit({(1, 1): "编号", (2, 1): 1}))
    assert rows_of(out) == [("1", [("A1", None, "编号")]), ("2", [("A2", None, "1")])]


def test_a_prefixed_sheet_keeps_its_prefix_everywhere():
    data = sheet('<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>', prefix="x:")
    out, _ = patched(data, edit({(1, 2): 2}, highlights={"sla": [Highlight("B1", "1", "met")]}))
    assert b"<x:sheetData>" in out and b'<x:c r="B1"><x:v>2</x:v></x:c>' in out
    assert etree.fromstring(out).find(Q + "conditionalFormatting") is not None


def test_the_writer_reads_number_formats_and_cleans_text_as_openpyxl_does():
    """The part writer keeps its own copies (it must not load openpyxl on every save): they agree
    with openpyxl's on every built-in format and on the codes teams use."""
    import openpyxl.cell.cell
    import openpyxl.styles.numbers as numbers

    from servicebook.xlsx.parts import cells

    codes = [*numbers.BUILTIN_FORMATS.values(), "yyyy-mm-dd hh:mm", "yyyy/m/d h:mm", '"d"0', "[h]:mm:ss",
             "[Red]0.00", "[$-804]yyyy年m月d日", "0.0", "@", None, "General;[Red]dd", "\\d0", "_d0", 'm"月"d"日"']
    assert [c for c in codes if cells.is_date_format(c) != numbers.is_date_format(c)] == []
    assert sum(map(cells.is_date_format, codes)) == sum(map(numbers.is_date_format, codes)) == 17
    text = "".join(map(chr, range(0, 200))) + "客服\u200b"
    assert cells.clean_text(text) == openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE.sub("", text)


# ---------------------------------------------------------------- a large sheet, streamed

_CELL_KINDS = st.sampled_from(["string", "formula", "number", "empty"])


@st.composite
def _sheet_rows(draw) -> str:
    """Rows as a producer may write them: references or none (then counted), gaps, empty rows,
    cells without references, line breaks between rows."""
    out, number = [], 0
    for _ in range(draw(st.integers(0, 12))):
        number += draw(st.integers(1, 3))
        counted = number == (out[-1][0] + 1 if out else 1)   # a row without reference is the one after
        ref = "" if counted and draw(st.booleans()) else f' r="{number}"'
        cols = sorted(draw(st.sets(st.integers(1, 6), max_size=4)))
        cells = []
        for col in cols:
            at = f' r="{"ABCDEF"[col - 1]}{number}"'
            kind = draw(_CELL_KINDS)
            cells.append({"string": f'<c{at} t="s"><v>{col}</v></c>', "number": f"<c{at}><v>{col}.5</v></c>",
                          "formula": f"<c{at}><f>1+{col}</f><v>{col}</v></c>", "empty": f'<c{at} s="1"/>'}[kind])
        body = f'<row{ref} spans="1:6">{"".join(cells)}</row>' if cells else f"<row{ref}/>"
        out.append((number, body + draw(st.sampled_from(["", "", "\n"]))))
    return "".join(body for _, body in out)


@settings(max_examples=300, deadline=None)
@given(_sheet_rows(), st.dictionaries(st.integers(1, 40), st.dictionaries(
           st.integers(1, 8), st.sampled_from(["新", "138****5678", 5, 2.5, "", None, datetime(2024, 6, 3, 9)]),
           min_size=1, max_size=3), max_size=6),
       st.integers(1, 400), st.sampled_from(["", "x:"]))
def test_a_sheet_patched_a_block_of_rows_at_a_time_is_the_sheet_patched_whole(rows, cells, block, prefix):
    """A sheet too large to hold is inflated a few megabytes at a time, its rows cut into blocks
    where a row starts; here in blocks of a few bytes, cutting tags, rows and the sheetData end:
    the part written is the one the whole buffer gives, byte for byte, and so is what its rows
    found (strings to scrub, formulas overwritten)."""
    p = prefix
    data = sheet(rows.replace("<row", f"<{p}row").replace("</row", f"</{p}row").replace("<c", f"<{p}c")
                 .replace("</c", f"</{p}c").replace("<v>", f"<{p}v>").replace("</v", f"</{p}v")
                 .replace("<f>", f"<{p}f>").replace("</f", f"</{p}f"),
                 before=f'<{p}dimension ref="A1"/><{p}cols><{p}col min="1" max="2" width="9"/></{p}cols>',
                 after=f'<{p}conditionalFormatting sqref="A1"><{p}cfRule type="expression" priority="1">'
                       f"<{p}formula>1</{p}formula></{p}cfRule></{p}conditionalFormatting>", prefix=prefix)
    masked = {(row, col) for row, values in cells.items() for col in values if col % 2}

    def patched_by(patcher: SheetPatcher):
        edits = edit({(row, col): value for row, values in cells.items() for col, value in values.items()})
        edits.masked = masked
        result = patcher.patch(edits)
        return b"".join(result.data), result.replaced_strings, result.dropped_formula

    whole = patched_by(SheetPatcher(data, StyleSheet(STYLES), False))
    streamed = patched_by(SheetPatcher.streamed(lambda: (data[i:i + block] for i in range(0, len(data), block)),
                                                StyleSheet(STYLES), False))
    assert streamed == whole


_NUMBERS = st.one_of(st.floats(allow_nan=False), st.integers(-10**15, 10**15), st.booleans(),
                     st.datetimes(datetime(1899, 12, 31), datetime(2199, 12, 31)))


_WORDS = ["达标", "已超时", "", " 前后空格 ", "=1+1", "超过二十四个字" * 4, "a&b<c", "x\x01y"]
_VALUES = st.one_of(_NUMBERS, st.just(float("inf")), st.none(), st.dates(), st.sampled_from(_WORDS))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 8), st.dictionaries(st.integers(2, 9), _VALUES, max_size=8)), max_size=6),
       st.booleans(), st.sets(st.tuples(st.integers(2, 9), st.integers(1, 8)), max_size=3),
       st.sampled_from([1, 2, RowEdits.STRETCH]))
@example([(7, {2: "达标", 3: "=1+1", 5: "已超时", 7: 1.5, 8: "=1+1"})], False, set(), 2048)
def test_new_cells_made_a_column_at_a_time_are_the_cells_each_alone_makes(columns, date1904, overridden, stretch):
    """Row edits come in stretches of rows, and a column's new cells of a whole stretch are made at
    once: the bytes are those made cell by cell, for existing rows and new ones, a row with a style
    of its own, cells with a style of their own, every kind of value."""
    body = (b'<row r="2"><c r="A2"><v>1</v></c><c r="C2" s="2"><v>3</v></c></row>'
            b'<row r="3"><c r="A3"><v>1</v></c></row>'
            b'<row r="4" s="1" customFormat="1"><c r="B4"><v>1</v></c></row>'
            b'<row r="6"><c r="A6"><v>1</v></c></row>')
    sheet = SheetEdits("s")
    for col, values in columns:
        rows = sorted(values)
        sheet.set_column(col, rows, [values[row] for row in rows])
    looks = CellLooks(formats={4: "0.00"}, column_styles={2: 2, 5: 1}, overrides={cell: 1 for cell in overridden})

    # One style sheet for both: a column's cells made at once add the styles they need in another
    # order (each is found again by what it is, so a cell given a wrong one shows).
    styles = StyleSheet(STYLES)

    def written(edits) -> bytes:
        return b"".join(RowPatcher("", styles, date1904, looks).patch(body, edits))

    default, RowEdits.STRETCH = RowEdits.STRETCH, stretch
    try:
        in_stretches = written(sheet.by_row())
    finally:
        RowEdits.STRETCH = default
    assert in_stretches == written(dict(sheet.by_row().items()))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.integers(2, 6), st.dictionaries(st.integers(1, 5), _NUMBERS, min_size=1, max_size=5),
                       min_size=1, max_size=5),
       st.booleans(), st.sets(st.tuples(st.integers(2, 6), st.integers(1, 5)), max_size=4))
def test_numbers_and_dates_are_written_as_each_cell_alone_would_be(cells, date1904, overridden):
    """A number or a date (the computed columns, ~20 cells a row) is written from XML made once per
    column and style: each cell is the one `cell_xml` makes of it with the style it takes alone —
    its row's, its column's, a number format of its column, a style of its own — in either date
    system, and infinity an empty styled cell."""
    body = ('<row r="2"><c r="A2"><v>1</v></c><c r="C2" s="2"><v>3</v></c></row>'
            '<row r="3" s="1" customFormat="1"><c r="A3"><v>1</v></c></row>'
            '<row r="4"><c r="A4"><v>1</v></c></row>')
    looks = CellLooks(formats={4: "0.00"}, column_styles={2: 2, 5: 1}, overrides={cell: 1 for cell in overridden})
    cells = {row: {col: float("inf") if col == 5 and row == 6 else value for col, value in values.items()}
             for row, values in cells.items()}

    def written(alone: bool) -> bytes:
        patcher = RowPatcher("", StyleSheet(STYLES), date1904, looks)
        if alone:
            patcher._number_text = lambda *_: None   # every cell made by cell_xml on its own
        return b"".join(patcher.patch(body.encode(), cells))

    assert written(alone=False) == written(alone=True)
