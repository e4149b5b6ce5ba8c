"""Real documents of every accepted type, and hostile ones, made in memory."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import docx
import openpyxl
from pypdf import PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

ELF_HEADER = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00\x01\x00\x00\x00"


def pdf(*pages: str, title: str = "Quarterly report") -> bytes:
    buffer = io.BytesIO()
    document = canvas.Canvas(buffer, pagesize=A4)
    document.setTitle(title)
    document.setAuthor("Ada Lovelace")
    for text in pages:
        for number, line in enumerate(text.splitlines()):
            document.drawString(72, 770 - 16 * number, line)
        document.showPage()
    document.save()
    return buffer.getvalue()


def encrypted_pdf(password: str = "s3cret") -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(pdf("Top secret plans")))
    writer.encrypt(user_password=password, algorithm="AES-256")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def docx_file() -> bytes:
    document = docx.Document()
    document.core_properties.title = "Team handbook"
    document.add_heading("Welcome", level=1)
    document.add_paragraph("Our office opens at nine.")
    table = document.add_table(rows=3, cols=2)
    for row, values in zip(table.rows, [("Name", "Role"), ("Ann", "Engineer"), ("Bob", "Designer")],
                           strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_paragraph("See you on Monday.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def xlsx_file() -> bytes:
    workbook = openpyxl.Workbook()
    people = workbook.active
    people.title = "People"
    people.append(["Name", "Age", "Joined"])
    people.append(["Ann", 31, dt.date(2023, 5, 1)])
    people.append(["Bob", 42.5, dt.date(2024, 1, 15)])
    budget = workbook.create_sheet("Budget")
    budget.append(["Item", "Cost"])
    budget.append(["Laptop", 1200])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_file(rows: list[list[str]], *, delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode(encoding)


def zip_bomb_xlsx(unpacked_mb: int = 300) -> bytes:
    """An XLSX-shaped archive whose sheet inflates from ~300 KB to `unpacked_mb`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"\x00" * (1024 * 1024)
            for _ in range(unpacked_mb):
                member.write(chunk)
    return buffer.getvalue()


def wide_csv(columns: int = 100_000) -> bytes:
    header = ",".join(f"c{index}" for index in range(columns))
    values = ",".join("1" for _ in range(columns))
    return f"{header}\n{values}\n".encode()


def ole2_garbage() -> bytes:
    return bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 1024


_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Orders" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
}
LARGE_XLSX_COLUMNS = ["Order", "Customer", "Quantity", "Price"]


def large_xlsx(path, rows: int) -> None:
    """An order sheet of `rows` rows (plus its header) written to `path` as a spreadsheet
    program writes it (numbers as numbers, text inline), streamed: 400,000 rows make a file
    of about 6.6 MB."""
    def cell(column: str, number: int, value) -> str:
        if isinstance(value, str):
            return f'<c r="{column}{number}" t="inlineStr"><is><t>{value}</t></is></c>'
        return f'<c r="{column}{number}"><v>{value}</v></c>'

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in _XLSX_PARTS.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            member.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                         b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                         b'2006/main"><sheetData>')
            header = "".join(cell(column, 1, name)
                             for column, name in zip("ABCD", LARGE_XLSX_COLUMNS, strict=True))
            member.write(f'<row r="1">{header}</row>'.encode())
            for index in range(rows):
                number = index + 2
                values = (f"ORD-{index:07d}", f"Customer {index % 997}", index % 50 + 1,
                          round((index % 10_000) * 0.37, 2))
                row = "".join(cell(column, number, value)
                              for column, value in zip("ABCD", values, strict=True))
                member.write(f'<row r="{number}">{row}</row>'.encode())
            member.write(b"</sheetData></worksheet>")
