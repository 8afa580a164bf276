"""Peak memory of the web process taking a workbook upload (target: under 300 MB), for the worst
files it accepts, beside the floor (a three-row file) measured in the same run. Each upload runs
in a fresh child process, through what the upload view calls (`workbook_import_start`: keep the
file, measure it streaming, then read and dry-run it at once or hand it to a worker)."""

import io
import multiprocessing
import resource
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook

MB = 2**20
TARGET_MB = 300
# WORKBOOK_ASYNC_ROWS' default, the header included: the most a file read in the request holds.
ROWS = 1999
BLANK_ROWS = 3_000_000
SHEET = "xl/worksheets/sheet1.xml"


@dataclass(frozen=True)
class PeakMemory:
    """A child process's peak resident memory against the floor measured in the same run."""

    name: str
    peak_mb: float
    floor_mb: float
    outcome: str
    seconds: float
    target_mb: float = TARGET_MB

    @property
    def ok(self) -> bool:
        return self.peak_mb < self.target_mb

    def line(self) -> str:
        verdict = "ok" if self.ok else "MISSED"
        return (
            f"{self.name}: peak RSS {self.peak_mb:.0f} MB ({self.outcome}, {self.seconds:.1f} s); "
            f"floor (three-row file) {self.floor_mb:.0f} MB; above the floor "
            f"{self.peak_mb - self.floor_mb:.0f} MB (target < {self.target_mb} MB) {verdict}"
        )

    def columns(self) -> dict:
        return {
            "name": self.name,
            "target": f"< {self.target_mb} MB peak",
            "floor": f"a three-row file: {self.floor_mb:.0f} MB",
            "ratio": f"{self.peak_mb / self.floor_mb:.2f}" if self.floor_mb else "",
            "measured": f"{self.peak_mb:.0f} MB ({self.outcome})",
        }


def _vlans(rows: int) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "VLANs"
    sheet.append(["VLAN", "Name"])
    for number in range(1, rows + 1):
        sheet.append([number, f"vlan-{number:06d}"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rebuilt(content: bytes, members: dict) -> bytes:
    """The xlsx with members replaced or added: each a function writing to the member's
    stream, or bytes; streamed into the zip, deflated."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        names = [info.filename for info in source.infolist()]
        for name in names + [name for name in members if name not in names]:
            body = members.get(name) or source.read(name)
            with target.open(name, "w", force_zip64=True) as stream:
                if callable(body):
                    body(stream)
                else:
                    stream.write(body)
    return out.getvalue()


SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
    b'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>VLAN</t>'
    b'</is></c><c r="B1" t="inlineStr"><is><t>Name</t></is></c></row>'
)
SHARED_STRINGS_TYPE = (
    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
    b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)


def _shared_strings_file(size: int) -> bytes:
    """1,999 rows whose names come from a shared strings table of `size` bytes of short unique
    strings: the most objects openpyxl builds for a file the web process reads itself."""
    content = _vlans(1)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        types = archive.read("[Content_Types].xml").replace(b"</Types>", SHARED_STRINGS_TYPE)
    rows = b"".join(
        b'<row r="%d"><c r="A%d"><v>%d</v></c><c r="B%d" t="s"><v>%d</v></c></row>'
        % (n + 1, n + 1, n, n + 1, n - 1)
        for n in range(1, ROWS + 1)
    )

    def strings(stream) -> None:
        stream.write(
            b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.'
            b'openxmlformats.org/spreadsheetml/2006/main">'
        )
        written, number = 0, 0
        while written < size:
            block = b"".join(b"<si><t>%07x</t></si>" % n for n in range(number, number + 10000))
            number += 10000
            stream.write(block)
            written += len(block)
        stream.write(b"</sst>")

    return _rebuilt(
        content,
        {
            SHEET: SHEET_HEAD + rows + b"</sheetData></worksheet>",
            "xl/sharedStrings.xml": strings,
            "[Content_Types].xml": types,
        },
    )


def _blank_rows_file() -> bytes:
    """3 million blank rows: once read whole in the request without counting."""

    def write(stream) -> None:
        stream.write(SHEET_HEAD)
        for start in range(2, BLANK_ROWS, 100_000):
            stream.write(b"".join(b'<row r="%d"/>' % n for n in range(start, start + 100_000)))
        stream.write(b"</sheetData></worksheet>")

    return _rebuilt(_vlans(1), {SHEET: write})


def _long_csv() -> bytes:
    """1,999 rows of 12 KB each: the largest CSV the request itself reads (24 MB)."""
    filler = "x" * 12_000
    return "".join(["VLAN,Name\n", *(f"{n},{filler}{n}\n" for n in range(1, ROWS + 1))]).encode()


def _upload(database: str, directory: str, path: str, filename: str, answer) -> None:
    """In a fresh child process: the web process's part of an upload; answers its peak RSS."""
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    settings.DATABASES["default"]["NAME"] = connection.settings_dict["NAME"] = database
    settings.WORKBOOK_UPLOAD_DIR = Path(directory)
    from planning import tasks
    from planning.workbook.jobs import workbook_import_start

    tasks.workbook_import_task.delay = lambda *args, **kwargs: None  # the worker's part

    def chunks():
        with open(path, "rb") as stream:
            while chunk := stream.read(64 * 1024):
                yield chunk

    start = time.perf_counter()
    job = workbook_import_start(chunks=chunks(), filename=filename, user=None)
    seconds = time.perf_counter() - start
    outcome = f"{job.state}, {job.rows} rows read in the request"
    if job.message:
        outcome += f": {job.message[:80]}"
    answer.put((_peak_mb(), outcome, seconds))


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited from the
    parent the process was forked from before it ran Python afresh)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure(database: str, directory: Path, name: str, content: bytes) -> tuple:
    path = directory / name
    path.write_bytes(content)
    context = multiprocessing.get_context("spawn")
    answer = context.Queue()
    child = context.Process(
        target=_upload, args=(database, str(directory / "kept"), str(path), name, answer)
    )
    child.start()
    result = answer.get(timeout=600)
    child.join()
    path.unlink()
    return result


def run() -> list:
    from django.db import connection, connections

    from planning.workbook.jobs import REQUEST_MAX_INFLATED

    database = connection.settings_dict["NAME"]
    connections.close_all()
    # Just under what the web process reads itself (the rest of the file is about 0.2 MB).
    strings = REQUEST_MAX_INFLATED - MB // 2
    label = f"shared strings, 1,999 rows, {strings / MB:.1f} MB"
    files = [
        (label, "strings.xlsx", _shared_strings_file(strings)),
        ("3 million blank rows", "blank.xlsx", _blank_rows_file()),
        ("CSV, 1,999 rows of 12 KB", "VLANs.csv", _long_csv()),
    ]
    with tempfile.TemporaryDirectory() as directory:
        here = Path(directory)
        floor, _, _ = _measure(database, here, "small.xlsx", _vlans(3))
        results = []
        for title, name, content in files:
            print(f"{title}: {len(content) / MB:.1f} MB uploaded")
            peak, outcome, seconds = _measure(database, here, name, content)
            results.append(PeakMemory(title, peak, floor, outcome, seconds))
    return results
