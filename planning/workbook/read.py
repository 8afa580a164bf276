"""Reading an uploaded workbook (xlsx) or one sheet as CSV into typed rows.

A file that cannot be trusted is refused whole, with a sentence saying why: empty, not an xlsx,
an encrypted (password-protected) one, a damaged or lying zip, a zip whose members inflate out of
proportion (the real bytes are counted as they are read, whatever the zip's directory claims, and
reading stops at the limit), a CSV with NUL bytes or in an unknown encoding, merged header
cells, formulas where values belong, too many rows (every row counted as it is read, blank ones
too). Sheets are read streaming (openpyxl's read-only mode). A cell that holds the wrong kind of
value is a problem of its row, named by sheet, row and column.
"""

import codecs
import csv
import io
import logging
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from openpyxl.reader.excel import ExcelReader
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
# A worksheet row's start tag (`<row r="12" …>`, `<x:row/>`) and its row number.
ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row(?=[\s/>])([^>]*)>")
ROW_NUMBER = re.compile(rb'\sr\s*=\s*["\']([0-9]{1,9})["\']')
CHUNK = MB
# openpyxl reads the small parts (styles, workbook, relationships) whole, into memory; the
# worksheets and shared strings it reads streaming.
WHOLE_PART_MAX = 64 * MB
# Bytes UTF-16 and UTF-32 text starts with (Excel's "Unicode text").
WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# What a damaged archive raises while it is read (CRC, truncated stream, bad header, method).
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError)

logger = logging.getLogger(__name__)


class WorkbookRefused(Exception):
    """The file as a whole cannot be imported; the message says why, for the user."""


class _Enough(Exception):
    """A measure has seen what it needed (`workbook_measure`)."""


DAMAGED = "The file is damaged: it is not a readable xlsx workbook"


class Inflation:
    """The real bytes read out of an xlsx (zip) so far, member by member (reading a member again
    counts once). Past WORKBOOK_MAX_UNCOMPRESSED_MB, or past WORKBOOK_MAX_INFLATION times the
    file's own size (above BOMB_FLOOR), reading stops and the file is refused; past `enough`
    (a measure's budget), or past the limit if it is at most BOMB_FLOOR (a small zip bomb is
    judged at once), reading stops too, without a verdict."""

    def __init__(self, path: Path, *, enough: int | None = None):
        self.packed = max(path.stat().st_size, 1)
        self.limit = min(
            settings.WORKBOOK_MAX_UNCOMPRESSED_MB * MB,
            max(BOMB_FLOOR, settings.WORKBOOK_MAX_INFLATION * self.packed),
        )
        self.enough = enough
        self.stop_at = None if enough is None else max(enough, min(self.limit, BOMB_FLOOR))
        self.members: dict[str, int] = {}
        self.total = 0

    def count(self, member: str, position: int) -> None:
        before = self.members.get(member, 0)
        if position <= before:
            return
        self.members[member] = position
        self.total += position - before
        if self.total > self.limit:
            raise WorkbookRefused(
                f"The file inflates to more than {self.limit / MB:,.0f} MB from "
                f"{self.packed / MB:,.1f} MB: far out of proportion for a workbook (a zip "
                "bomb?). Reading stopped there."
            )
        if self.stop_at is not None and self.total > self.stop_at:
            raise _Enough


class _Counted(io.RawIOBase):
    """A member of the archive being read, its real bytes counted against the Inflation."""

    def __init__(self, stream, member: str, inflation: Inflation):
        self.stream, self.member, self.inflation = stream, member, inflation
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:  # a part openpyxl reads whole (styles, workbook, rels …)
            parts, held = [], 0
            while part := self.read(CHUNK):
                held += len(part)
                if held > WHOLE_PART_MAX:
                    raise WorkbookRefused(
                        f"The file's part {self.member} inflates past "
                        f"{WHOLE_PART_MAX // MB} MB: no workbook has one that large."
                    )
                parts.append(part)
            return b"".join(parts)
        try:
            data = self.stream.read(size)
        except ZIP_ERRORS as error:
            raise WorkbookRefused(f"{DAMAGED} ({error}).") from None
        self.position += len(data)
        self.inflation.count(self.member, self.position)
        return data

    def close(self) -> None:
        self.stream.close()
        super().close()


class CountingZip(zipfile.ZipFile):
    """A zip archive whose members are read through `_Counted`: openpyxl reads the workbook
    through this, so the inflation guard sees every byte it inflates."""

    def __init__(self, path: Path, inflation: Inflation):
        try:
            super().__init__(path)
        except (zipfile.BadZipFile, OSError, ValueError):
            raise WorkbookRefused(f"{DAMAGED}.") from None
        self.inflation = inflation

    def open(self, name, mode="r", pwd=None, *, force_zip64=False):
        if mode != "r":
            return super().open(name, mode, pwd, force_zip64=force_zip64)
        member = name.filename if isinstance(name, zipfile.ZipInfo) else name
        try:
            stream = super().open(name, mode, pwd, force_zip64=force_zip64)
        except ZIP_ERRORS as error:
            raise WorkbookRefused(f"{DAMAGED} ({error}).") from None
        return _Counted(stream, member, self.inflation)


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
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
            "text": str(self),
        }


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
            Problem(
                title,
                None,
                "",
                f"required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} missing",
            )
        )
        return None
    sheet = ParsedSheet(spec, [column for _, column in present])
    limit = settings.WORKBOOK_MAX_ROWS
    for number, cells in rows:
        counted[0] += 1  # every row read, blank ones too: they cost as much to read
        if counted[0] > limit:
            raise WorkbookRefused(
                f"The file has more than {limit:,} rows (blank ones included), the most one "
                "import takes (setting WORKBOOK_MAX_ROWS): split it."
            )
        if all(v is None or (isinstance(v, str) and not v.strip()) for v, _ in cells):
            continue
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


def _archive_open(path: Path, inflation: Inflation) -> CountingZip:
    archive = CountingZip(path, inflation)
    if "xl/workbook.xml" not in archive.namelist():
        archive.close()
        raise WorkbookRefused("The file is a zip archive but not an xlsx workbook.")
    return archive


def _merged_header(archive: CountingZip, member: str) -> str | None:
    """The first merged range that touches the header row, read streaming from the sheet's XML
    (openpyxl's read-only mode does not report merged cells)."""
    tail = b""
    with archive.open(member) as stream:
        while chunk := stream.read(CHUNK):
            block = tail + chunk
            for ref in MERGE_CELL.findall(block):
                _, top, _, _ = range_boundaries(ref.decode())
                if top == 1:
                    return ref.decode()
            tail = block[-200:]  # longer than any mergeCell element
    return None


def _xlsx_read(path: Path, parsed: ParsedWorkbook) -> None:
    archive = _archive_open(path, Inflation(path))
    try:
        with path.open("rb") as stream:  # a file object: openpyxl judges a path by its extension
            reader = ExcelReader(stream, read_only=True, data_only=False)
            reader.archive.close()
        reader.archive = archive  # openpyxl reads every part through the counting archive
        reader.read()
        _sheets_read(reader.wb, archive, parsed)
    except WorkbookRefused:
        raise
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        logger.warning("workbook refused: %s: %s", type(error).__name__, error)
        raise WorkbookRefused(f"The file is not a readable xlsx workbook ({error}).") from None
    finally:
        archive.close()


def _sheets_read(book, archive: CountingZip, parsed: ParsedWorkbook) -> None:
    counted = [0]
    for sheet in book.worksheets:
        spec = c.sheet_named(sheet.title)
        if spec is None:
            if c.normalized(sheet.title) != "readme":
                parsed.notes.append(
                    Problem(sheet.title, None, "", "not a sheet lpmplanner reads, ignored")
                )
            continue
        merged = _merged_header(archive, sheet._worksheet_path)
        if merged:
            raise WorkbookRefused(
                f"Sheet {sheet.title} has merged header cells ({merged}): unmerge them so "
                "that every column has its own header."
            )
        sheet.reset_dimensions()  # a row is as long as its cells, whatever the file claims
        rows = (
            (number, [(cell.value, cell.data_type == "f") for cell in cells])
            for number, cells in enumerate(sheet.iter_rows(), start=1)
        )
        found = _sheet_rows(spec, sheet.title, rows, parsed, counted)
        if found is not None:
            parsed.sheets.append(found)


def _csv_encoding(path: Path) -> str:
    """The CSV file's encoding (UTF-8, else Windows-1252, as Excel saves CSV), read streaming;
    a file with NUL bytes, or in neither encoding, is refused."""
    with path.open("rb") as stream:
        head = stream.read(4)
        if head.startswith(WIDE_BOMS):
            raise WorkbookRefused(
                'The CSV file is saved as UTF-16 or UTF-32 (Excel\'s "Unicode text"): save it '
                'as "CSV UTF-8" and upload it again.'
            )
        for encoding in ("utf-8-sig", "cp1252"):
            stream.seek(0)
            decoder = codecs.getincrementaldecoder(encoding)()
            try:
                while chunk := stream.read(CHUNK):
                    if b"\0" in chunk:
                        raise WorkbookRefused(
                            "The file holds NUL bytes: it is binary data, not a CSV text file."
                        )
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                continue
            return encoding
    raise WorkbookRefused(
        'The CSV file is neither UTF-8 nor Windows-1252 text: save it as "CSV UTF-8" and '
        "upload it again."
    )


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """The CSV file's rows, numbered from 1, read streaming."""
    encoding = _csv_encoding(path)
    with path.open(encoding=encoding, newline="") as text:
        sample = text.read(4096)
        text.seek(0)
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        try:
            yield from enumerate(csv.reader(text, dialect), start=1)
        except csv.Error as error:
            raise WorkbookRefused(f"The CSV file cannot be read ({error}).") from None


def _csv_read(path: Path, filename: str, sheet: str, parsed: ParsedWorkbook) -> None:
    name = sheet or Path(filename).stem
    spec = c.sheet_named(name)
    if spec is None:
        raise WorkbookRefused(
            f"Which sheet is the CSV file {filename}? Name it after a sheet (e.g. "
            f"'{c.VIRTUAL_ADAPTERS.title}.csv') or choose the sheet."
        )
    rows = ((number, [(value, False) for value in cells]) for number, cells in _csv_rows(path))
    found = _sheet_rows(spec, spec.title, rows, parsed, [0])
    if found is not None:
        parsed.sheets.append(found)


def _kind(path: Path, filename: str, sheet: str) -> str:
    """ "xlsx" or "csv", or the file is refused: empty, encrypted, neither."""
    if path.stat().st_size == 0:
        raise WorkbookRefused("The file is empty.")
    with path.open("rb") as stream:
        magic = stream.read(8)
    if magic.startswith(OLE_MAGIC):
        raise WorkbookRefused(
            "The file is password protected (an encrypted workbook) or an old .xls: remove the "
            "password and save it as an Excel workbook (.xlsx)."
        )
    if magic.startswith(ZIP_MAGIC):
        return "xlsx"
    if filename.lower().endswith((".csv", ".txt")) or sheet:
        return "csv"
    raise WorkbookRefused("The file is not an xlsx workbook nor a CSV file.")


def workbook_read(path: Path, *, filename: str, sheet: str = "") -> ParsedWorkbook:
    """Read the uploaded file; raises WorkbookRefused when the file itself is unacceptable."""
    parsed = ParsedWorkbook()
    if _kind(path, filename, sheet) == "xlsx":
        _xlsx_read(path, parsed)
    else:
        _csv_read(path, filename, sheet, parsed)
    if not parsed.sheets and not parsed.problems:
        raise WorkbookRefused(
            "The workbook has none of the sheets lpmplanner reads ("
            + ", ".join(spec.title for spec in c.SHEETS)
            + ")."
        )
    return parsed


@dataclass(frozen=True)
class Measure:
    """How much of a file a look at it found: `rows` (blank ones too, counted up to one past the
    budget) and whether the whole file fit the budget of rows and inflated bytes."""

    rows: int
    fits: bool


def workbook_measure(
    path: Path, *, filename: str, sheet: str = "", rows_at_most: int, bytes_at_most: int
) -> Measure:
    """Whether the file holds at most `rows_at_most` rows and (an xlsx) inflates to at most
    `bytes_at_most`, read streaming and only until it is known: the worksheets' rows counted in
    their XML as openpyxl will yield them (a row numbered past the last one counts the gap), the
    real bytes counted against the inflation guard. Refuses the file as `workbook_read` would
    for what the look sees (empty, encrypted, damaged, a zip bomb, a NUL byte …)."""
    if _kind(path, filename, sheet) == "csv":
        rows = 0
        for _ in _csv_rows(path):
            rows += 1
            if rows > rows_at_most:
                return Measure(rows, False)
        return Measure(rows, True)
    inflation = Inflation(path, enough=bytes_at_most)
    archive = _archive_open(path, inflation)
    rows = 0
    try:
        with archive:
            for name in archive.namelist():
                with archive.open(name) as member:
                    if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                        while member.read(CHUNK):
                            pass
                        continue
                    rows = _rows_counted(member, rows, rows_at_most)
                    if rows > rows_at_most:
                        return Measure(rows, False)
    except _Enough:
        return Measure(rows, False)
    return Measure(rows, inflation.total <= bytes_at_most)


def _rows_counted(member: _Counted, rows: int, rows_at_most: int) -> int:
    """`rows` plus the rows of one worksheet's XML, stopping once past `rows_at_most`."""
    sheet_rows = 0
    tail = b""
    while chunk := member.read(CHUNK):
        block = tail + chunk
        cut = block.rfind(b"<")
        if cut >= 0 and block.find(b">", cut) < 0 and len(block) - cut < CHUNK:
            block, tail = block[:cut], block[cut:]  # a tag cut in two: finish it next time
        else:
            tail = b""
        for attributes in ROW_TAG.findall(block):
            number = ROW_NUMBER.search(attributes)
            sheet_rows = max(sheet_rows + 1, int(number.group(1)) if number else 0)
            if rows + sheet_rows > rows_at_most:
                return rows + sheet_rows
    return rows + sheet_rows
