"""The one rule for every CSV and xlsx the app writes: no cell is ever a formula (CSV injection,
OWASP). A text that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is what a
spreadsheet evaluates on opening; in CSV it gets a leading `'` (shown as text, never evaluated),
in xlsx it is an explicit string cell. Numbers stay numbers (a negative number too) and WWPNs,
which never start with those characters, stay as they are."""

import csv
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from openpyxl.cell import WriteOnlyCell

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_value(value: object) -> object:
    """The value as a CSV export writes it: text that a spreadsheet would evaluate is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_row(values: Iterable[object]) -> list[object]:
    return [csv_value(value) for value in values]


class SafeCsvWriter:
    """`csv.writer` with the rule applied to every cell of every row."""

    def __init__(self, out: Any, **options: Any):
        self.writer = csv.writer(out, **options)

    def writerow(self, values: Iterable[object]) -> Any:
        return self.writer.writerow(csv_row(values))

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for values in rows:
            self.writer.writerow(csv_row(values))


def csv_writer(out: Any, **options: Any) -> SafeCsvWriter:
    """The CSV writer every export uses (the options are `csv.writer`'s)."""
    return SafeCsvWriter(out, **options)


def xlsx_value(value: object) -> object:
    """A value openpyxl can store: numbers, booleans, dates as they are, anything else as text."""
    if value is None or isinstance(value, str | int | float | Decimal | bool):
        return value
    return str(value)


def xlsx_cell(sheet: Any, value: object, **style: Any) -> WriteOnlyCell:
    """An openpyxl cell (write-only sheets) holding `value`; text is always a string cell, never
    a formula, whatever it starts with."""
    cell = WriteOnlyCell(sheet, xlsx_value(value))
    if cell.data_type == "f":
        cell.data_type = "s"
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell
