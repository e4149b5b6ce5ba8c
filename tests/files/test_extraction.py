"""Real documents of each accepted type extract to the text and tables they hold."""

from __future__ import annotations

import stat
import time

from django_tenants.utils import schema_context

from apps.files import selectors, services
from apps.files.signals import file_processed

from . import documents
from .helpers import store


def content_of(team, file) -> dict:
    with schema_context(team.tenant.schema_name):
        return selectors.file_content_get(file_id=file.pk)


def test_pdf_text_per_page_page_count_and_metadata(team_a):
    file = store(team_a, "report.pdf", documents.pdf("Revenue grew 12 percent", "Outlook: sunny"))
    assert file.status == "processed"
    content = content_of(team_a, file)
    assert content["metadata"]["pages"] == 2
    assert content["metadata"]["title"] == "Quarterly report"
    assert content["metadata"]["author"] == "Ada Lovelace"
    assert content["pages"] == ["Revenue grew 12 percent", "Outlook: sunny"]
    assert content["text"] == "Revenue grew 12 percent\n\nOutlook: sunny"
    assert content["tables"] == []


def test_docx_paragraphs_and_tables_in_document_order(team_a):
    file = store(team_a, "handbook.docx", documents.docx_file())
    content = content_of(team_a, file)
    assert content["text"].splitlines() == [
        "Welcome", "Our office opens at nine.", "Name\tRole", "Ann\tEngineer", "Bob\tDesigner",
        "See you on Monday."]
    assert content["tables"] == [{"name": "Table 1", "columns": ["Name", "Role"],
                                  "rows": [["Ann", "Engineer"], ["Bob", "Designer"]],
                                  "row_count": 2}]
    assert content["metadata"]["title"] == "Team handbook"
    assert content["metadata"]["tables"] == 1


def test_xlsx_sheets_header_row_and_typed_rows(team_a):
    file = store(team_a, "people.xlsx", documents.xlsx_file())
    content = content_of(team_a, file)
    assert content["metadata"] == {"sheets": 2, "sheet_names": ["People", "Budget"], "rows": 3}
    people, budget = content["tables"]
    assert people["columns"] == ["Name", "Age", "Joined"]
    assert people["rows"] == [["Ann", 31, "2023-05-01T00:00:00"],
                              ["Bob", 42.5, "2024-01-15T00:00:00"]]
    assert budget == {"name": "Budget", "columns": ["Item", "Cost"], "rows": [["Laptop", 1200]],
                      "row_count": 1}
    assert "## People\nName\tAge\tJoined\nAnn\t31\t2023-05-01T00:00:00" in content["text"]


def test_csv_dialect_and_encoding_are_detected(team_a):
    rows = [["Stadt", "Einwohner"], ["München", "1488202"], ["Köln", "1073096"],
            ["Düsseldorf", "619294"]]
    file = store(team_a, "städte.csv", documents.csv_file(rows, delimiter=";",
                                                          encoding="cp1252"))
    content = content_of(team_a, file)
    assert content["metadata"]["delimiter"] == ";"
    assert content["metadata"]["rows"] == 3
    assert content["tables"][0]["name"] == "städte"
    assert content["tables"][0]["columns"] == ["Stadt", "Einwohner"]
    assert content["tables"][0]["rows"][0] == ["München", "1488202"]
    assert "Düsseldorf;619294" in content["text"]


def test_csv_header_names_are_made_unique_and_short_rows_padded(team_a):
    data = b"name,,Name,score\nAnn,x,y,1\nBob\n\nCid,a,b,3,extra\n"
    content = content_of(team_a, store(team_a, "scores.csv", data))
    table = content["tables"][0]
    assert table["columns"] == ["name", "Column 2", "Name (2)", "score", "Column 5"]
    assert table["rows"] == [["Ann", "x", "y", "1", ""], ["Bob", "", "", "", ""],
                             ["Cid", "a", "b", "3", "extra"]]


def test_txt_in_utf16_with_bom_and_in_utf8(team_a):
    utf16 = store(team_a, "notes.txt", "Grüße aus Zürich\r\nZweite Zeile".encode("utf-16"))
    content = content_of(team_a, utf16)
    assert content["text"] == "Grüße aus Zürich\nZweite Zeile"
    assert content["metadata"]["encoding"] == "utf-16"
    assert content["metadata"]["lines"] == 2
    utf8 = store(team_a, "plain.txt", "naïve café ☕\n".encode())
    assert content_of(team_a, utf8)["text"] == "naïve café ☕\n"


def test_doc_without_a_converter_fails_with_the_reason(team_a, settings, tmp_path):
    settings.FILES_EXTRACT_LIMITS = {"tools_path": str(tmp_path)}
    file = store(team_a, "old.doc", documents.ole2_garbage())
    assert file.status == "failed"
    assert file.error["code"] == "ERROR_FILE_FORMAT_UNSUPPORTED"
    assert "antiword" in file.error["message"]


def test_doc_goes_through_the_installed_converter(team_a, settings, tmp_path):
    converter = tmp_path / "antiword"
    converter.write_text('#!/bin/sh\nfor last; do :; done\nprintf "Text of %s\\n" '
                         '"$(basename "$last")"\n')
    converter.chmod(converter.stat().st_mode | stat.S_IEXEC)
    settings.FILES_EXTRACT_LIMITS = {"tools_path": str(tmp_path)}
    file = store(team_a, "old.doc", documents.ole2_garbage())
    assert file.status == "processed"
    content = content_of(team_a, file)
    assert content["text"].startswith("Text of files-blob-")
    assert content["metadata"] == {"converter": "antiword"}


def test_a_converter_that_refuses_the_file_fails_it(team_a, settings, tmp_path):
    converter = tmp_path / "antiword"
    converter.write_text("#!/bin/sh\necho 'is not a Word Document.' >&2\nexit 1\n")
    converter.chmod(converter.stat().st_mode | stat.S_IEXEC)
    settings.FILES_EXTRACT_LIMITS = {"tools_path": str(tmp_path)}
    file = store(team_a, "old.doc", documents.ole2_garbage())
    assert file.status == "failed"
    assert file.error == {"code": "ERROR_FILE_CORRUPT",
                          "message": "The Word document can't be read (antiword: is not a Word "
                                     "Document.)."}


def test_extraction_runs_once_and_sends_file_processed(team_a, django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    file_processed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            file = store(team_a, "a.txt", b"hello")
    finally:
        file_processed.disconnect(receiver)
    assert received == [{"signal": file_processed, "schema_name": team_a.tenant.schema_name,
                         "file_id": str(file.pk)}]
    with schema_context(team_a.tenant.schema_name):
        again = services.file_extract(file_id=file.pk)
    assert again.status == "processed"
    assert again.processed_at == file.processed_at


def test_a_text_file_the_upload_limit_lets_in_fits_the_text_limit(settings):
    """A byte is at most one character, so CSV and text files up to MAX_UPLOAD_MB always
    extract; the 20,000,000-character cap only binds below that."""
    from apps.files.services.extraction import extraction_limits

    settings.FILES_EXTRACT_LIMITS = {}
    settings.MAX_UPLOAD_MB = 25
    assert extraction_limits().max_text_chars == 25 * 1024 * 1024
    settings.MAX_UPLOAD_MB = 5
    assert extraction_limits().max_text_chars == 20_000_000
    settings.FILES_EXTRACT_LIMITS = {"max_text_chars": 1000}
    assert extraction_limits().max_text_chars == 1000


def test_a_sheet_of_100k_rows_extracts_well_inside_a_tight_limit(team_a, settings, tmp_path):
    """Scaled down from a 400,000-row sheet that ran past the 60 s limit: 100,000 rows must
    extract inside 3 s of CPU in a child allowed 250 MB of memory (they take about 1 s;
    openpyxl's read-only mode took 4.3 s of CPU for the parsing alone)."""
    settings.FILES_EXTRACT_TIMEOUT_SECONDS = 3
    settings.FILES_EXTRACT_MEMORY_MB = 250
    path = tmp_path / "orders.xlsx"
    documents.large_xlsx(path, 100_000)
    started = time.monotonic()
    file = store(team_a, "orders.xlsx", path.read_bytes())
    elapsed = time.monotonic() - started
    assert file.status == "processed", (file.error_code, file.error_message)
    assert elapsed < 20, elapsed
    content = content_of(team_a, file)
    assert content["metadata"]["rows"] == 100_000
    (table,) = content["tables"]
    assert table["columns"] == documents.LARGE_XLSX_COLUMNS
    assert table["rows"][0] == ["ORD-0000000", "Customer 0", 1, 0]
    assert table["rows"][-1] == ["ORD-0099999", "Customer 299", 50, 3699.63]
