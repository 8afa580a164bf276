"""The migratability matrix: LPARs (rows) against frames (columns), each cell a pre-flight
verdict. One estate index serves a page of rows or the whole estate (the xlsx export)."""

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, NamedTuple

from django.db.models import QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from openpyxl import Workbook
from openpyxl.formatting.rule import Rule
from openpyxl.styles import Font, PatternFill
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.utils import get_column_letter

from inventory.choices import LparKind
from inventory.models import Frame, Lpar
from lpmplanner.memory import gc_paused
from lpmplanner.security.spreadsheets import xlsx_cell
from planning.preflight import EstateIndex, Preflight, Verdict

CLIENTS = "clients"  # the kind filter's default: every LPAR but the VIOS
# openpyxl writes about 20,000 cells a second: past this, a download would outlast the request,
# and the matrix is exported by a worker instead (`planning/matrix_exports.py`).
MAX_EXPORT_CELLS = 200_000
PROGRESS_ROWS = 200
FILLS = {Verdict.OK: "D1E7DD", Verdict.WARNINGS: "FFF3CD", Verdict.BLOCKED: "F8D7DA"}


@dataclass(frozen=True)
class MatrixFilter:
    """Which LPARs (by their frame and kind) and which destination frames (name contains)."""

    frame: Frame | None = None
    kind: str = CLIENTS
    destination: str = ""

    def lpars(self) -> QuerySet:
        lpars = Lpar.objects.order_by("frame__name", "lpar_id")
        if self.frame is not None:
            lpars = lpars.filter(frame=self.frame)
        if self.kind == CLIENTS:
            return lpars.exclude(kind=LparKind.VIOS)
        return lpars.filter(kind=self.kind) if self.kind else lpars

    def frames(self) -> QuerySet:
        frames = Frame.objects.order_by("name")
        return frames.filter(name__icontains=self.destination) if self.destination else frames


OWN_FRAME = "own"  # the LPAR's own frame: no destination, so no verdict


class MatrixCell(NamedTuple):  # millions of them for the whole estate: a tuple is cheapest
    frame: int  # pk
    frame_name: str
    outcome: tuple[str, tuple[str, ...]]  # verdict, finding codes (`Preflight.outcome`)
    own_frame: bool = False

    @property
    def verdict(self) -> str:
        return OWN_FRAME if self.own_frame else self.outcome[0]

    @property
    def text(self) -> str:
        return "own frame" if self.own_frame else cell_text(*self.outcome)


SYMBOLS = {Verdict.OK: "✓", Verdict.WARNINGS: "!", Verdict.BLOCKED: "✕", OWN_FRAME: "·"}


@dataclass(frozen=True)
class MatrixRow:
    lpar: dict  # pk, name, frame name, kind
    cells: list[MatrixCell]

    def cells_html(self, cell_url: str) -> SafeString:
        """The row's cells as HTML: a page holds thousands of them, which the template engine
        renders twenty times slower than this."""
        name = escape(self.lpar["name"])
        return mark_safe(  # noqa: S308 (every value is escaped or a number)
            "".join(
                f'<td class="mx mx-own" title="{name} lives on {escape(c.frame_name)}">'
                f'<span aria-label="{name} lives on {escape(c.frame_name)}">·</span></td>'
                if c.own_frame
                else f'<td class="mx mx-{c.verdict}"><a href="{cell_url}?'
                f"lpar={self.lpar['pk']}&amp;"
                f'frame={c.frame}" title="{escape(c.frame_name)}: {escape(c.text)}" '
                f'aria-label="{name} to {escape(c.frame_name)}: {c.verdict}">'
                f"{SYMBOLS[c.verdict]}</a></td>"
                for c in self.cells
            )
        )


def matrix_rows(*, lpar_pks: list[int], frame_pks: list[int]) -> Iterator[MatrixRow]:
    """The rows of `lpar_pks` against `frame_pks`, from one index (no cyclic garbage
    collection until the last row: the index and the rows are many small acyclic objects)."""
    with gc_paused():
        yield from _matrix_rows(lpar_pks, frame_pks)


def _matrix_rows(lpar_pks: list[int], frame_pks: list[int]) -> Iterator[MatrixRow]:
    index = EstateIndex.load(lpar_ids=None if len(lpar_pks) > 1000 else lpar_pks)
    preflight = Preflight(index)
    frame_pks = [pk for pk in frame_pks if pk in index.frames]
    names = {pk: frame.name for pk, frame in index.frames.items()}
    for lpar_pk in lpar_pks:
        lpar = index.lpars.get(lpar_pk)
        if lpar is None:
            continue
        row = {
            "pk": lpar.pk,
            "name": lpar.name,
            "frame": index.frames[lpar.frame_id].name,
            "kind": lpar.kind,
        }
        outcomes = preflight.outcomes(lpar_pk, frame_pks)
        cells = [
            MatrixCell(pk, names[pk], outcome, pk == lpar.frame_id)
            for pk, outcome in zip(frame_pks, outcomes, strict=True)
        ]
        yield MatrixRow(row, cells)


def cell_text(verdict: str, codes: tuple[str, ...]) -> str:
    """`ok`, or the verdict and its codes: `blocked: CAPACITY_MEMORY, COMPAT_MODE`."""
    if not codes:
        return Verdict.OK.value
    return f"{verdict}: {', '.join(codes)}"


def export_refusal(*, matrix: MatrixFilter) -> str | None:
    """Why the filtered matrix is too large to download, or None."""
    lpars, frames = matrix.lpars().count(), matrix.frames().count()
    if lpars * frames <= MAX_EXPORT_CELLS:
        return None
    return (
        f"This matrix has {lpars:,} LPARs × {frames:,} frames = {lpars * frames:,} cells; a "
        f"direct download holds at most {MAX_EXPORT_CELLS:,}. Prepare the file instead (a "
        "worker writes it and this page offers it when it is done), or filter the matrix."
    )


def matrix_workbook(*, matrix: MatrixFilter) -> bytes:
    """The whole filtered matrix as xlsx (see `matrix_workbook_write`)."""
    buffer = io.BytesIO()
    matrix_workbook_write(matrix=matrix, out=buffer)
    return buffer.getvalue()


def matrix_workbook_write(
    *,
    matrix: MatrixFilter,
    out: IO[bytes] | str,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """Write the whole filtered matrix as xlsx to `out` (a file or a path): a row per LPAR, a
    column per frame, each cell the verdict and its codes, coloured by verdict (conditional
    formats, so it stays fast). openpyxl's write-only mode keeps the rows in a temporary file,
    so memory does not grow with the rows. `progress(rows done, rows)` is called every
    `PROGRESS_ROWS` rows. Returns (rows, verdict cells)."""
    frames = list(matrix.frames().values_list("pk", "name"))
    lpar_pks = list(matrix.lpars().values_list("pk", flat=True))
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Migratability")
    sheet.freeze_panes = "D2"
    bold = Font(bold=True)
    header = ["LPAR", "Frame", "Kind", *(name for _, name in frames)]
    sheet.append([xlsx_cell(sheet, value, font=bold) for value in header])
    last = f"{get_column_letter(len(header))}{len(lpar_pks) + 1}"
    for verdict, colour in FILLS.items():
        style = DifferentialStyle(fill=PatternFill(bgColor=colour, fill_type="solid"))
        rule = Rule(type="beginsWith", operator="beginsWith", text=verdict.value, dxf=style)
        rule.formula = [f'LEFT(D2,{len(verdict.value)})="{verdict.value}"']
        sheet.conditional_formatting.add(f"D2:{last}", rule)
    done = 0
    for row in matrix_rows(lpar_pks=lpar_pks, frame_pks=[pk for pk, _ in frames]):
        lpar = row.lpar
        values = [lpar["name"], lpar["frame"], lpar["kind"], *(cell.text for cell in row.cells)]
        sheet.append([xlsx_cell(sheet, value) for value in values])
        done += 1
        if progress is not None and done % PROGRESS_ROWS == 0:
            progress(done, len(lpar_pks))
    sheet.append([])
    sheet.append(
        [
            "ok: can move; warnings: can move with warnings; blocked: cannot move; own "
            "frame: where the LPAR lives. "
            "The codes are explained in the guide: Reference, Finding codes."
        ]
    )
    book.save(out)
    return done, done * len(frames)
