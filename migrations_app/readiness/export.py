"""A readiness run's results as xlsx: one row per LPAR with the HMC's verdict, its codes and
words, and the pre-flight verdict beside it. Every cell goes through `xlsx_cell` (text is never
a formula: the HMC's words and LPAR names are written as strings, whatever they start with)."""

import io

from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.styles import Font

from lpmplanner.security.spreadsheets import xlsx_cell
from migrations_app.readiness.models import ReadinessResult, ReadinessRun

COLUMNS = (
    "LPAR",
    "Frame",
    "HMC",
    "Target",
    "Target from",
    "Checked",
    "Verdict",
    "HSCL codes",
    "HMC says",
    "Pre-flight",
    "Pre-flight says",
    "Disagreement",
    "Failing since",
)


def _row(result: ReadinessResult) -> list[object]:
    preflight_words = "; ".join(f["message"] for f in result.preflight_findings)
    return [
        result.lpar_name,
        result.frame_name,
        result.hmc_name,
        result.target_name,
        result.get_target_source_display(),
        result.checked.replace(tzinfo=None),
        result.get_verdict_display(),
        ", ".join(result.codes),
        result.reason,
        result.preflight_verdict,
        preflight_words,
        result.get_disagreement_display() if result.disagreement else "",
        result.failing_since.replace(tzinfo=None) if result.failing_since else None,
    ]


def readiness_workbook(*, run: ReadinessRun, results: QuerySet[ReadinessResult]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(f"Readiness run {run.pk}")
    sheet.freeze_panes = "B2"
    bold = Font(bold=True)
    sheet.append([xlsx_cell(sheet, name, font=bold) for name in COLUMNS])
    for result in results.order_by("frame_name", "lpar_name").iterator(chunk_size=2000):
        sheet.append([xlsx_cell(sheet, value) for value in _row(result)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
