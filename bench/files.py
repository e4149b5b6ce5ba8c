"""Files benchmark: what isolating extraction in a child process costs.

    python bench/files.py [--runs 5]

For documents of each type and size, the wall time of extracting in the
resource-limited child (apps.files.extraction.process) is printed next to the
baseline measured in the same run: the same extractor called in-process. The
difference is the price of the isolation (interpreter start, imports, JSON
hand-over). Also the upload-time content check of a 25 MB file. No database.
"""

import argparse
import csv
import datetime as dt
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import docx
import openpyxl
from reportlab.pdfgen import canvas

from apps.files.extraction.child import _extract
from apps.files.extraction.limits import Limits
from apps.files.extraction.process import extract_in_child
from apps.files.formats import FORMATS


def make_pdf(pages: int) -> bytes:
    buffer = io.BytesIO()
    document = canvas.Canvas(buffer)
    for page in range(pages):
        for line in range(40):
            document.drawString(72, 800 - 18 * line, f"Page {page} line {line} of the report.")
        document.showPage()
    document.save()
    return buffer.getvalue()


def make_docx(paragraphs: int) -> bytes:
    document = docx.Document()
    for number in range(paragraphs):
        document.add_paragraph(f"Paragraph {number}: the quick brown fox jumps over the dog.")
    table = document.add_table(rows=50, cols=4)
    for row in table.rows:
        for cell in row.cells:
            cell.text = "cell"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_xlsx(rows: int) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Data")
    sheet.append(["Name", "Amount", "Date", "Note"])
    for number in range(rows):
        sheet.append([f"Row {number}", number * 1.5, dt.date(2024, 1, 1), "some text"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def make_csv(rows: int) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["name", "amount", "city", "note"])
    for number in range(rows):
        writer.writerow([f"Person {number}", number, "Zürich", "a short note"])
    return buffer.getvalue().encode()


def timed(function, runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    limits = Limits()
    cases = [
        ("txt", "small text (2 KB)", b"hello world\n" * 170),
        ("pdf", "PDF, 50 pages", make_pdf(50)),
        ("docx", "DOCX, 500 paragraphs + table", make_docx(500)),
        ("xlsx", "XLSX, 20,000 rows", make_xlsx(20_000)),
        ("csv", "CSV, 100,000 rows", make_csv(100_000)),
    ]
    print(f"median of {runs} runs; baseline = the same extractor in-process")
    print(f"{'document':34} {'size':>9} {'in-process':>11} {'child':>9} {'overhead':>9}")
    with tempfile.TemporaryDirectory() as workdir:
        for file_format, label, data in cases:
            path = Path(workdir) / f"doc.{file_format}"
            path.write_bytes(data)
            request = {"path": str(path), "format": file_format, "name": "doc"}
            inline = timed(lambda request=request: _extract(request, limits), runs)
            child = timed(lambda path=path, file_format=file_format: extract_in_child(
                path=str(path), file_format=file_format, name="doc", limits=limits), runs)
            print(f"{label:34} {len(data) / 1e6:>7.2f}MB {inline:>9.1f}ms {child:>7.1f}ms "
                  f"{child - inline:>7.1f}ms")
        big = make_csv(650_000)
        check = timed(lambda: FORMATS["csv"].matches(io.BytesIO(big)), runs)
        print(f"\nupload content check of a {len(big) / 1e6:.0f} MB CSV: {check:.2f} ms "
              "(reads the first 64 KB only)")


if __name__ == "__main__":
    main()
