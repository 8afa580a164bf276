"""Reading an uploaded workbook (xlsx) or one sheet as CSV into typed rows.

A file that cannot be trusted is refused whole before any row is looked at: not an xlsx, an
encrypted (password-protected) one, a zip whose members would inflate out of proportion (looked
at before openpyxl opens it), merged header cells, formulas where values belong, too many rows.
A cell that holds the wrong kind of value is a problem of its row, named by sheet, row and column.
"""

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries

from planning.workbook import columns as c

OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
ZIP_MAGIC = b"PK\x03\x04"
MB = 2**20
# Below this an xlsx is never called a zip bomb, whatever its ratio (sparse sheets compress well).
BOMB_FLOOR = 20 * MB
TRUE_WORDS = {"yes", "y", "true", "1", "x", "on"}
FALSE_WORDS = {"no", "n", "false", "0", "off", ""}
SCIENTIFIC = re.compile(r"^[0-9]\.[0-9]+E\+[0-9]+$", re.IGNORECASE)
MERGE_CELL = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')


class WorkbookRefused(Exception):
    """The file as a whole cannot be imported; the message says why, for the user."""


@dataclass(frozen=True)
class Problem:
    """Something wrong in the file, where it is: sheet, row (as the spreadsheet numbers it) and
    column header; `row` is None for the sheet as a whole."""

    sheet: str
    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = self.sheet + (f" row {self.row}" if self.row else "")
        return (
            f"{where}, {self.column}: {self.message}" if self.column else f"{where}: {self.message}"
        )

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column,
                "message": self.message, "text": str(self)}  # fmt: skip


@dataclass
class ParsedSheet:
    spec: c.SheetSpec
    columns: list[c.Column]
    rows: list[tuple[int, dict]] = field(default_factory=list)


@dataclass
class ParsedWorkbook:
    sheets: list[ParsedSheet] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)  # ignored sheets and columns

    def sheet(self, spec: c.SheetSpec) -> ParsedSheet | None:
        return next((s for s in self.sheets if s.spec is spec), None)

    @property
    def row_count(self) -> int:
        return sum(len(s.rows) for s in self.sheets)


def _text_refusal(column: c.Column, value: object) -> str:
    if isinstance(value, datetime | date | time):
        return (
            f"is a date ({value}) in the file, not text: the spreadsheet turned the entry into a "
            "date. Format the column as Text and type the value again."
        )
    # As a spreadsheet shows it: 12 digits and more in scientific notation (1.2E+15).
    big = isinstance(value, int | float) and abs(value) >= 1e11
    shown = f"{value:.6G}" if big or isinstance(value, float) else str(value)
    return (
        f"is a number ({shown}) in the file, not text: spreadsheets turn long digit strings into "
        f"numbers and lose digits or leading zeros. Format the {column.header} column as Text "
        "and type the value again."
    )


def cell_convert(column: c.Column, value: object) -> object:
    """The cell's value as the column's kind; raises ValueError with the reason in words."""
    blank = value is None or (isinstance(value, str) and not value.strip())
    if isinstance(value, str):
        value = value.strip()
    kind = column.kind
    if kind in (c.ID, c.INT):
        if blank:
            return None
        if isinstance(value, (bool, datetime | date | time)):
            raise ValueError(f"{value} is not a whole number")
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, str) and re.fullmatch(r"[0-9]+", value):
            return int(value)
        raise ValueError(f"{value} is not a whole number")
    if kind == c.DECIMAL:
        if blank:
            return None
        if isinstance(value, (bool, datetime | date | time)):
            raise ValueError(f"{value} is not a number")
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise ValueError(f"{value} is not a number") from None
    if kind == c.BOOL:
        if isinstance(value, bool):
            return value
        word = "" if blank else str(value).lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError(f"{value} is not yes or no")
    if kind == c.CHOICE:
        if blank:
            return ""
        wanted = c.normalized(value)
        for stored, label in column.labels.items():
            if wanted in (c.normalized(stored), c.normalized(label)):
                return stored
        raise ValueError(f"{value} is not one of {', '.join(column.labels.values())}")
    if kind == c.NUMBERS:
        if blank:
            return []
        if isinstance(value, int | float) and not isinstance(value, bool):
            return [int(value)]
        items = [item.strip() for item in re.split(r"[,;\s]+", str(value)) if item.strip()]
        if not all(re.fullmatch(r"[0-9]+", item) for item in items):
            raise ValueError(f"{value} is not a list of numbers such as 400, 401")
        return sorted({int(item) for item in items})
    if kind == c.LIST:
        if blank:
            return []
        if not isinstance(value, str):
            raise ValueError(_text_refusal(column, value))
        return [item.strip() for item in re.split(r"[,;]", value) if item.strip()]
    if blank:
        return ""
    if kind == c.FREE:
        if isinstance(value, datetime | date | time):
            raise ValueError(_text_refusal(column, value))
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    if not isinstance(value, str) or isinstance(value, bool):
        raise ValueError(_text_refusal(column, value))
    if SCIENTIFIC.match(value):
        raise ValueError(_text_refusal(column, float(value)))
    return value


def _sheet_rows(
    spec: c.SheetSpec, title: str, rows, parsed: ParsedWorkbook, counted: list[int]
) -> ParsedSheet | None:
    """Turn (row number, [(value, is formula)…]) into a ParsedSheet, noting every problem."""
    lookup = c.header_lookup(spec)
    try:
        number, header = next(rows)
    except StopIteration:
        return ParsedSheet(spec, [])
    present: list[tuple[int, c.Column]] = []
    seen: set[str] = set()
    for index, (value, _) in enumerate(header):
        if value is None or not str(value).strip():
            continue
        column = lookup.get(c.normalized(value))
        if column is None:
            parsed.notes.append(Problem(title, None, str(value), "unknown column, ignored"))
        elif column.key in seen:
            parsed.notes.append(
                Problem(title, None, str(value), f"a second {column.header} column, ignored")
            )
        else:
            seen.add(column.key)
            present.append((index, column))
    missing = [col.header for col in spec.columns if col.required and col.key not in seen]
    if missing:
        parsed.problems.append(
            Problem(title, None, "", f"required column{'s' if len(missing) > 1 else ''} "
                    f"{', '.join(missing)} missing")
        )  # fmt: skip
        return None
    sheet = ParsedSheet(spec, [column for _, column in present])
    limit = settings.WORKBOOK_MAX_ROWS
    for number, cells in rows:
        if all(v is None or (isinstance(v, str) and not v.strip()) for v, _ in cells):
            continue
        counted[0] += 1
        if counted[0] > limit:
            raise WorkbookRefused(
                f"The file has more than {limit:,} rows, the most one import takes "
                "(setting WORKBOOK_MAX_ROWS): split it."
            )
        values = {}
        for index, column in present:
            value, formula = cells[index] if index < len(cells) else (None, False)
            if formula:
                raise WorkbookRefused(
                    f"Sheet {title} has a formula where a value is expected (row {number}, "
                    f"{column.header}: {value}): copy the sheet and paste it as values."
                )
            try:
                values[column.key] = cell_convert(column, value)
            except ValueError as error:
                parsed.problems.append(Problem(title, number, column.header, str(error)))
        sheet.rows.append((number, values))
    return sheet


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
    except zipfile.BadZipFile:
        raise WorkbookRefused("The file is damaged: it is not a readable xlsx workbook.") from None
    if "xl/workbook.xml" not in names:
        raise WorkbookRefused("The file is a zip archive but not an xlsx workbook.")
    inflated = sum(m.file_size for m in members)
    packed = max(path.stat().st_size, 1)
    ratio = settings.WORKBOOK_MAX_INFLATION
    if inflated > settings.WORKBOOK_MAX_UNCOMPRESSED_MB * MB or (
        inflated > BOMB_FLOOR and inflated > ratio * packed
    ):
        raise WorkbookRefused(
            f"The file would inflate to {inflated / MB:,.0f} MB from {packed / MB:,.1f} MB: far "
            "out of proportion for a workbook (a zip bomb?). It was not opened."
        )


def _merged_header(sheet) -> str | None:
    with sheet.parent._archive.open(sheet._worksheet_path) as stream:
        content = stream.read()
    for ref in MERGE_CELL.findall(content):
        _, top, _, _ = range_boundaries(ref.decode())
        if top == 1:
            return ref.decode()
    return None


def _xlsx_read(path: Path, parsed: ParsedWorkbook) -> None:
    _check_zip(path)
    stream = path.open("rb")  # a file object: openpyxl judges a path by its extension
    try:
        book = load_workbook(stream, read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        stream.close()
        raise WorkbookRefused(f"The file is not a readable xlsx workbook ({error}).") from None
    counted = [0]
    try:
        for sheet in book.worksheets:
            spec = c.sheet_named(sheet.title)
            if spec is None:
                if c.normalized(sheet.title) != "readme":
                    parsed.notes.append(
                        Problem(sheet.title, None, "", "not a sheet lpmplanner reads, ignored")
                    )
                continue
            merged = _merged_header(sheet)
            if merged:
                raise WorkbookRefused(
                    f"Sheet {sheet.title} has merged header cells ({merged}): unmerge them so "
                    "that every column has its own header."
                )
            rows = (
                (number, [(cell.value, cell.data_type == "f") for cell in cells])
                for number, cells in enumerate(sheet.iter_rows(), start=1)
            )
            found = _sheet_rows(spec, sheet.title, rows, parsed, counted)
            if found is not None:
                parsed.sheets.append(found)
    finally:
        book.close()
        stream.close()


def _csv_read(path: Path, filename: str, sheet: str, parsed: ParsedWorkbook) -> None:
    name = sheet or Path(filename).stem
    spec = c.sheet_named(name)
    if spec is None:
        raise WorkbookRefused(
            f"Which sheet is the CSV file {filename}? Name it after a sheet (e.g. "
            f"'{c.VIRTUAL_ADAPTERS.title}.csv') or choose the sheet."
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    rows = (
        (number, [(value, False) for value in cells])
        for number, cells in enumerate(reader, start=1)
    )
    found = _sheet_rows(spec, spec.title, rows, parsed, [0])
    if found is not None:
        parsed.sheets.append(found)


def workbook_read(path: Path, *, filename: str, sheet: str = "") -> ParsedWorkbook:
    """Read the uploaded file; raises WorkbookRefused when the file itself is unacceptable."""
    with path.open("rb") as stream:
        magic = stream.read(8)
    parsed = ParsedWorkbook()
    if magic.startswith(OLE_MAGIC):
        raise WorkbookRefused(
            "The file is password protected (an encrypted workbook) or an old .xls: remove the "
            "password and save it as an Excel workbook (.xlsx)."
        )
    if magic.startswith(ZIP_MAGIC):
        _xlsx_read(path, parsed)
    elif filename.lower().endswith((".csv", ".txt")) or sheet:
        _csv_read(path, filename, sheet, parsed)
    else:
        raise WorkbookRefused("The file is not an xlsx workbook nor a CSV file.")
    if not parsed.sheets and not parsed.problems:
        raise WorkbookRefused(
            "The workbook has none of the sheets lpmplanner reads ("
            + ", ".join(spec.title for spec in c.SHEETS)
            + ")."
        )
    return parsed


def workbook_size(path: Path, *, filename: str) -> int:
    """A cheap count of the rows in the file, to choose between answering at once and a
    background job: the rows of every worksheet counted in the decompressed XML (no parsing),
    or the CSV's lines."""
    with path.open("rb") as stream:
        magic = stream.read(8)
    if not magic.startswith(ZIP_MAGIC):
        with path.open("rb") as stream:
            return sum(1 for _ in stream)
    _check_zip(path)
    rows = 0
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if not name.startswith("xl/worksheets/") or not name.endswith(".xml"):
                continue
            tail = b""
            with archive.open(name) as member:
                while chunk := member.read(MB):
                    block = tail + chunk
                    rows += block.count(b"</row>")  # the tail is too short to hold one
                    tail = block[-5:]
    return rows
