"""The planning workbook on a 10,000-LPAR estate (BENCH_LPARS=n for another size): the export
under 20 s, a dry run of a 10,000-row Virtual adapters sheet under 30 s and its commit under
60 s, each beside bare openpyxl writing or reading the same cells in the same run."""

import io
import itertools
import math
import os
import tempfile
import time
import uuid
from pathlib import Path

from openpyxl import Workbook, load_workbook

from bench.common import Result
from inventory.history import change_author
from inventory.models import Lpar, VirtualAdapter
from inventory.seeding import estate_seed
from planning.workbook import columns as c
from planning.workbook.export import planning_workbook, sheet_rows, sheet_workbook
from planning.workbook.importer import workbook_apply
from planning.workbook.read import workbook_read

LPARS = int(os.environ.get("BENCH_LPARS", "10000"))
ADAPTER_ROWS = int(os.environ.get("BENCH_WORKBOOK_ROWS", "10000"))
EXPORT_MAX_SECONDS = 20.0
DRY_RUN_MAX_SECONDS = 30.0
COMMIT_MAX_SECONDS = 60.0


def _timed(action) -> tuple[float, object]:
    start = time.perf_counter()
    value = action()
    return time.perf_counter() - start, value


def _bare_write(shape: list[tuple[str, int, int]]) -> bytes:
    """Bare openpyxl write-only: the same sheets, rows and columns, every cell a short string."""
    book = Workbook(write_only=True)
    for title, rows, columns in shape:
        sheet = book.create_sheet(title)
        row = [f"value-{i}" for i in range(columns)]
        for _ in range(rows):
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _bare_read(content: bytes) -> int:
    """Bare openpyxl read-only: every cell of every sheet, as the importer reads them."""
    book = load_workbook(io.BytesIO(content), read_only=True)
    cells = sum(1 for sheet in book.worksheets for row in sheet.iter_rows() for _ in row)
    book.close()
    return cells


def _import(path: Path, *, commit: bool):
    parsed = workbook_read(path, filename=path.name)
    with change_author(user=None, request_id=str(uuid.uuid4())):
        return workbook_apply(parsed, commit=commit)


def run() -> list:
    missing = LPARS - Lpar.objects.exclude(kind="vios").count()
    if missing > 0:
        per_frame = min(50, missing)
        print(f"building the estate: {math.ceil(missing / per_frame)} frames × {per_frame} …")
        estate_seed(frames=math.ceil(missing / per_frame), lpars_per_frame=per_frame, seed=3)

    export_seconds, content = _timed(planning_workbook)
    book = load_workbook(io.BytesIO(content), read_only=True)
    shape = [
        (s.title, sum(1 for _ in s.iter_rows(values_only=True)), len(next(s.iter_rows())))
        for s in book.worksheets
    ]
    book.close()
    base_write, _ = _timed(lambda: _bare_write(shape))
    rows_written = sum(r for _, r, _ in shape)
    adapters = VirtualAdapter.objects.count()
    print(
        f"export: {rows_written} rows, {Lpar.objects.count()} LPARs, {adapters} virtual "
        f"adapters, {len(content) / 2**20:.1f} MB"
    )

    # Every row of the sheet changes one cell: 10,000 updates, the heaviest kind of import.
    rows = list(itertools.islice(sheet_rows(c.VIRTUAL_ADAPTERS), ADAPTER_ROWS))
    for row in rows:
        row["device_name"] = f"{row['device_name'] or 'dev'}x"
    sheet = sheet_workbook(c.VIRTUAL_ADAPTERS, rows)
    base_read, _ = _timed(lambda: _bare_read(sheet))
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "adapters.xlsx"
        path.write_bytes(sheet)
        dry_seconds, dry = _timed(lambda: _import(path, commit=False))
        commit_seconds, done = _timed(lambda: _import(path, commit=True))
    for name, report in (("dry run", dry), ("commit", done)):
        counts = report.sheets[c.VIRTUAL_ADAPTERS.title]
        print(
            f"{name}: {counts.as_dict()}, {len(report.problems)} problems, "
            f"committed {report.committed}"
        )
    label = f"bare openpyxl reading {len(rows)} rows"
    return [
        Result(
            "workbook export",
            export_seconds,
            "bare openpyxl write-only, same rows × columns",
            base_write,
            EXPORT_MAX_SECONDS / max(base_write, 0.5),
            EXPORT_MAX_SECONDS,
        ),
        Result(
            f"dry run of {len(rows)} virtual adapter rows",
            dry_seconds,
            label,
            base_read,
            DRY_RUN_MAX_SECONDS / max(base_read, 0.5),
            DRY_RUN_MAX_SECONDS,
        ),
        Result(
            f"commit of {len(rows)} virtual adapter rows",
            commit_seconds,
            label,
            base_read,
            COMMIT_MAX_SECONDS / max(base_read, 0.5),
            COMMIT_MAX_SECONDS,
        ),
    ]
