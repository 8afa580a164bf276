"""The streaming xlsx writer shared by the planning and zoning workbooks: what a spreadsheet
shows for each kind of value, read back with openpyxl."""

import io
from decimal import Decimal

import openpyxl
from django.utils.safestring import mark_safe

from planning.workbook.xlsx import XlsxWriter


def written(rows: list[list[object]], *, dropdown: tuple[int, list[str]] | None = None):
    out = io.BytesIO()
    book = XlsxWriter(out)
    sheet = book.sheet("Data", 4, [12, 12, 12, 12])
    sheet.append(["A", "B", "C", "D"], bold=True)
    for row in rows:
        sheet.append(row)
    if dropdown:
        sheet.dropdown(*dropdown)
    sheet.close()
    book.close()
    return openpyxl.load_workbook(io.BytesIO(out.getvalue()))["Data"]


def test_text_keeps_markup_characters_and_edge_spaces_and_loses_illegal_ones():
    sheet = written([["a & b <c>", "  padded ", "bell\x07here", "=1+1"]])
    assert [cell.value for cell in sheet[2]] == ["a & b <c>", "  padded ", "bellhere", "=1+1"]
    assert all(cell.data_type == "s" for cell in sheet[2])  # "=1+1" is text, not a formula


def test_numbers_stay_numbers_and_empty_values_leave_no_cell():
    sheet = written([[7, Decimal("0.25"), 1.5, True], ["", None, "x", ""]])
    assert [cell.value for cell in sheet[2]] == [7, 0.25, 1.5, True]
    assert [cell.value for cell in sheet[3]] == [None, None, "x", None]


def test_text_of_other_types_is_written_as_text():
    sheet = written([[mark_safe("safe <b>"), "c0507601a2b30010", "0123", "1.2E+15"]])
    assert [cell.value for cell in sheet[2]] == ["safe <b>", "c0507601a2b30010", "0123", "1.2E+15"]
    assert all(cell.data_type == "s" for cell in sheet[2])


def test_a_value_repeated_on_many_rows_reads_the_same_on_each():
    rows = [["frame & co", f"lpar{i}", "frame & co", " x"] for i in range(300)]
    sheet = written(rows)
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert values == [tuple(row) for row in rows]


def test_the_header_is_bold_frozen_filtered_and_the_dropdown_is_kept():
    sheet = written([["ADD", "b", "c", "d"]], dropdown=(0, ["ADD", "KEEP", "REMOVE"]))
    assert sheet["A1"].font.b and sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:D2"
    [validation] = sheet.data_validations.dataValidation
    assert validation.formula1 == '"ADD,KEEP,REMOVE"' and "A2" in str(validation.sqref)
