"""A small streaming xlsx writer for the planning workbook: each sheet's XML is written straight
into the zip, row by row, with inline strings. openpyxl's write-only mode builds a cell object
per value and spends most of an export there; the workbook needs only text, numbers, a bold
frozen header, an autofilter and list dropdowns, which are a few lines of XML each. Text is
always an inline string cell, never a formula, whatever it starts with: the export rule of
`lpmplanner/security/spreadsheets.py` holds by construction."""

import re
import zipfile
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import IO
from xml.sax.saxutils import escape, quoteattr

from openpyxl.utils import get_column_letter

EXCEL_LAST_ROW = 1_048_576
ROWS_PER_WRITE = 2000
NEEDS_ESCAPE = re.compile(r"[&<>]")
# Characters XML 1.0 does not allow at all: dropped from text.
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Anything that needs more than `<t>value</t>`: one search answers it for most values.
_PLAIN = re.compile(r"[^&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]*")
# A sheet remembers the rendered text of up to this many values (names, states and choices
# repeat across thousands of rows), starting again when it is full and forgetting them when the
# sheet is closed: a workbook's memory does not follow its number of distinct values.
RENDERED_MAX = 20_000
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"

STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{MAIN}"><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>
<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill>
<fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""


def _text(value: str) -> str:
    text = value
    if _PLAIN.fullmatch(text) is None:
        if NEEDS_ESCAPE.search(text):
            text = escape(text)
        text = ILLEGAL.sub("", text)
    if text[:1].isspace() or text[-1:].isspace():
        return f'<is><t xml:space="preserve">{text}</t></is>'
    return f"<is><t>{text}</t></is>"


class Sheet:
    """One worksheet being written: `append` rows of cell values (str is text, int and float
    are numbers, None and "" are no cell), then `close`."""

    def __init__(
        self,
        stream: IO[bytes],
        columns: int,
        widths: Iterable[int],
        finished: Callable[[str], None],
    ):
        self.stream, self.finished = stream, finished
        self.letters = [get_column_letter(i) for i in range(1, columns + 1)]
        self.rows = 0
        self.rendered: dict[str, str] = {}
        self.dropdowns: list[tuple[int, list[str]]] = []
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
            for i, w in enumerate(widths, start=1)
        )
        self.buffer = [
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}" '
            f'xmlns:r="{RELS}"><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" '
            'topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
            f"<cols>{cols}</cols><sheetData>"
        ]

    def append(self, values: Iterable[object], *, bold: bool = False) -> None:
        self.rows += 1
        number = self.rows
        style = ' s="1"' if bold else ""
        rendered = self.rendered
        cells: list[str] = []
        append = cells.append
        for letter, value in zip(self.letters, values, strict=False):
            kind = type(value)
            if kind is str:
                if value:
                    text = rendered.get(value) or self._render(value)
                    append(f'<c r="{letter}{number}" t="inlineStr"{style}>{text}</c>')
            elif value is None:
                continue
            elif kind is bool:
                cells.append(f'<c r="{letter}{number}" t="b"{style}><v>{int(value)}</v></c>')
            elif kind is int or kind is float or isinstance(value, int | float | Decimal):
                cells.append(f'<c r="{letter}{number}"{style}><v>{value}</v></c>')
            else:  # a str subclass (a lazy translation, a SafeString) or another type: its text
                text = str(value)
                if text:
                    cells.append(f'<c r="{letter}{number}" t="inlineStr"{style}>{_text(text)}</c>')
        self.buffer.append(f'<row r="{number}">{"".join(cells)}</row>')
        if len(self.buffer) >= ROWS_PER_WRITE:
            self._flush()

    def _render(self, value: str) -> str:
        text = _text(value)
        if len(self.rendered) >= RENDERED_MAX:
            self.rendered.clear()
        self.rendered[value] = text
        return text

    def dropdown(self, column: int, options: list[str]) -> None:
        """A list dropdown on the column (0-based) from row 2 to the last row Excel has."""
        self.dropdowns.append((column, options))

    def _flush(self) -> None:
        self.stream.write("".join(self.buffer).encode())
        self.buffer = []

    def close(self) -> None:
        """Finish the sheet."""
        last = self.letters[-1]
        area = f"A1:{last}{max(self.rows, 2)}"
        self.buffer.append(f'</sheetData><autoFilter ref="{area}"/>')
        if self.dropdowns:
            self.buffer.append(f'<dataValidations count="{len(self.dropdowns)}">')
            for column, options in self.dropdowns:
                letter = self.letters[column]
                formula = escape('"' + ",".join(options) + '"')
                self.buffer.append(
                    f'<dataValidation type="list" allowBlank="1" showErrorMessage="1" '
                    f'sqref="{letter}2:{letter}{EXCEL_LAST_ROW}"><formula1>{formula}</formula1>'
                    "</dataValidation>"
                )
            self.buffer.append("</dataValidations>")
        self.buffer.append("</worksheet>")
        self._flush()
        self.rendered.clear()
        self.stream.close()
        self.finished(area)


class XlsxWriter:
    """The workbook's package: sheets are added in order, `close` writes the parts that list
    them and returns the file's bytes."""

    def __init__(self, out: IO[bytes], *, compresslevel: int = 6):
        """`compresslevel` 1 is a fifth faster to write and a quarter larger than 6."""
        self.zip = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
        self.titles: list[tuple[str, str]] = []  # (title, autofilter area)

    def sheet(self, title: str, columns: int, widths: Iterable[int]) -> Sheet:
        index = len(self.titles) + 1
        self.titles.append((title, ""))
        stream = self.zip.open(f"xl/worksheets/sheet{index}.xml", "w", force_zip64=True)

        def finished(area: str) -> None:
            self.titles[index - 1] = (title, area)

        return Sheet(stream, columns, widths, finished)

    def close(self) -> None:
        count = len(self.titles)
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{SHEET_TYPE}"/>'
            for i in range(1, count + 1)
        )
        self.zip.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
            f'officedocument.spreadsheetml.styles+xml"/>{overrides}</Types>',
        )
        self.zip.writestr(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
            f'xmlns="{PACKAGE_RELS}"><Relationship Id="rId1" Type="{RELS}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        sheets = "".join(
            f'<sheet name={quoteattr(title)} sheetId="{i}" r:id="rId{i}"/>'
            for i, (title, _) in enumerate(self.titles, start=1)
        )
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
            f"{escape(_sheet_ref(title, area))}</definedName>"
            for i, (title, area) in enumerate(self.titles)
            if area
        )
        self.zip.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{MAIN}" '
            f'xmlns:r="{RELS}"><bookViews><workbookView/></bookViews><sheets>{sheets}</sheets>'
            + (f"<definedNames>{names}</definedNames>" if names else "")
            + "</workbook>",
        )
        links = "".join(
            f'<Relationship Id="rId{i}" Type="{RELS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, count + 1)
        )
        self.zip.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
            f'xmlns="{PACKAGE_RELS}">{links}<Relationship Id="rId{count + 1}" '
            f'Type="{RELS}/styles" Target="styles.xml"/></Relationships>',
        )
        self.zip.writestr("xl/styles.xml", STYLES)
        self.zip.close()


def _sheet_ref(title: str, area: str) -> str:
    """`'Sheet name'!$A$1:$X$9` for an area like A1:X9."""
    absolute = re.sub(r"([A-Z]+)([0-9]+)", r"$\1$\2", area)
    return "'" + title.replace("'", "''") + "'!" + absolute
