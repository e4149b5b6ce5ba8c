"""Files benchmark: extraction throughput, the cost of isolating it, and uploads.

    python bench/files.py [--runs 5]

1. For documents of each type and size, the wall time of extracting in the
   resource-limited child (apps.files.extraction.process) next to the baseline
   measured in the same run: the same extractor called in-process. The difference
   is the price of the isolation (interpreter start, imports, JSON hand-over).
   Throughput (MB/s) for a 20 MB CSV and a 200-page PDF.
2. The upload-time content check of a large file.
3. Upload latency over HTTP (gunicorn, 4 workers, as production runs web): 1 MB
   files at 10 concurrent uploads, next to 1 KB uploads and GET /health at the same
   concurrency in the same run. Extraction is queued, not run in the request.
"""

import argparse
import csv
import datetime as dt
import io
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import docx
import openpyxl
from _common import Server, percentile, report, setup_django
from reportlab.pdfgen import canvas

from apps.files.extraction.child import _extract
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


def unique_text(size: int, seed: int) -> bytes:
    """Text of `size` bytes, different for every seed (no upload is a duplicate)."""
    line = f"upload {seed:08d} " + "lorem ipsum dolor sit amet " * 3 + "\n"
    return (line * (size // len(line) + 1)).encode()[:size]


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
    setup_django()
    from apps.files.services.extraction import extraction_limits

    limits = extraction_limits()  # the platform's own, from settings
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
        print("\nextraction throughput (child process, median of "
              f"{max(1, runs // 2)} runs)")
        for file_format, label, data in (("csv", "CSV, 500,000 rows", make_csv(500_000)),
                                          ("pdf", "PDF, 200 pages", make_pdf(200))):
            path = Path(workdir) / f"big.{file_format}"
            path.write_bytes(data)
            child = timed(lambda path=path, file_format=file_format: extract_in_child(
                path=str(path), file_format=file_format, name="big", limits=limits),
                max(1, runs // 2))
            print(f"  {label:30} {len(data) / 1e6:6.1f} MB in {child:7.1f} ms = "
                  f"{len(data) / 1e6 / (child / 1000):5.1f} MB/s")
        big = make_csv(650_000)
        check = timed(lambda: FORMATS["csv"].matches(io.BytesIO(big)), runs)
        print(f"\nupload content check of a {len(big) / 1e6:.0f} MB CSV: {check:.2f} ms "
              "(reads the first 64 KB only)")
    uploads()


UPLOADS = 200
CONCURRENCY = 10


def uploads() -> None:
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from apps.accounts.selectors import user_get_by_email
    from apps.accounts.services import api_key_create, user_register
    from apps.tenants.selectors import tenant_get_by_slug

    email = "owner@bench-files.example.com"
    user = user_get_by_email(email)
    if user is None:
        user, _tenant = user_register(email=email, password="bench-password-long-enough-1",
                                      tenant_name="Bench Files", tenant_slug="bench-files")
    key = api_key_create(tenant=tenant_get_by_slug("bench-files"), user=user, name="bench",
                         scopes=["read", "write"])[1]
    with tempfile.TemporaryDirectory() as media:
        server = Server(workers=4, extra_env={
            "MEDIA_ROOT": media, "CELERY_TASK_ALWAYS_EAGER": "false",
            "THROTTLE_API_KEY": "1000000/min", "THROTTLE_TENANT": "1000000/min"})
        headers = {"Authorization": f"Bearer {key}"}
        created: list[str] = []
        local = threading.local()

        def client() -> httpx.Client:
            # One per thread, made once: building a client costs ~20 ms of TLS set-up.
            if not hasattr(local, "client"):
                local.client = httpx.Client(base_url=server.url, headers=headers, timeout=60)
            return local.client

        def upload(size: int, seed: int) -> float:
            body = unique_text(size, seed)
            files = {"file": (f"notes-{seed}.txt", body, "text/plain")}
            started = time.perf_counter()
            answer = client().post("/api/v1/files", files=files)
            elapsed = (time.perf_counter() - started) * 1000
            assert answer.status_code == 201, answer.text
            created.append(answer.json()["id"])
            return elapsed

        def health(_seed: int) -> float:
            started = time.perf_counter()
            assert client().get("/health").status_code == 200
            return (time.perf_counter() - started) * 1000

        def concurrent(function) -> list[float]:
            with ThreadPoolExecutor(CONCURRENCY) as pool:
                return list(pool.map(function, range(UPLOADS)))

        seed = time.time_ns()
        try:
            concurrent(health)  # warm-up
            rows = []
            for label, function in (
                    ("GET /health (baseline)", health),
                    ("upload 1 KB", lambda n: upload(1024, seed + n)),
                    ("upload 1 MB", lambda n: upload(1024 * 1024, seed + UPLOADS + n))):
                samples = concurrent(function)
                rows.append((label, f"p50 {percentile(samples, 50):7.1f} ms  "
                                    f"p95 {percentile(samples, 95):7.1f} ms"))
            for file_id in created:
                client().delete(f"/api/v1/files/{file_id}")
        finally:
            server.stop()
            from config.celery import app as celery_app

            celery_app.control.purge()  # the queued extractions of the files deleted above
    report(f"uploads over HTTP, {UPLOADS} each, {CONCURRENCY} at a time "
           "(gunicorn, 4 workers)", rows)


if __name__ == "__main__":
    main()
