"""The "văn bản" a QNP portal attaches to articles: PDF, DOCX, XLSX and ZIP files, generated
as small, valid files (deterministic bytes), plus the per-URL article images.

Every article of category 87 (Chỉ đạo điều hành) links one PDF. One article of category 86
(Thông báo: the oldest, so day 2 never touches it) links the whole set: a PDF, a DOCX, an
XLSX, a ZIP, a ~300 KB PDF (over the small ``REQUISITES_MAX_SIZE`` the tests set) and, on
another host (127.0.0.2, loopback, where nothing listens), a PDF and a logo image a crawler
must not fetch.
"""

from __future__ import annotations

import io
import random
import zipfile

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP = "application/zip"
TYPES = {"pdf": PDF, "docx": DOCX, "xlsx": XLSX, "zip": ZIP}
BASE = "/Documents/VanBan"
OFFSITE_DOCUMENT = "http://127.0.0.2/VanBan/cong-van-tinh-quang-ninh.pdf"
OFFSITE_IMAGE = "http://127.0.0.2/PublishingImages/logo-ubnd-tinh.jpg"
LARGE_PDF_BYTES = 300_000
_ZIP_TIME = (2022, 1, 27, 10, 16, 0)


def pdf(title: str, padding: int = 0) -> bytes:
    """A one-page PDF 1.4 showing ``title`` (ASCII), with ``padding`` bytes of binary
    stream data (a scanned attachment's weight); xref offsets are exact."""
    text = title.encode("ascii", "replace").replace(b"(", b"[").replace(b")", b"]")
    content = b"BT /F1 14 Tf 72 760 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    if padding:
        blob = random.Random(f"pdf:{title}").randbytes(padding)
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(blob), blob))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += (b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objects) + 1, xref))
    return bytes(out)


def _package(parts: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as package:
        for name, text in parts.items():
            package.writestr(zipfile.ZipInfo(name, _ZIP_TIME), text.encode("utf-8"),
                             zipfile.ZIP_DEFLATED)
    return buf.getvalue()


_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
         'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
         'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
         'Target="{}"/></Relationships>')


def docx(text: str) -> bytes:
    """A minimal Word document (OOXML) with one paragraph."""
    return _package({
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://'
        'schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Override '
        'PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.wordprocessingml.document.main+xml"/></Types>',
        "_rels/.rels": _RELS.format("word/document.xml"),
        "word/document.xml": '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http:'
        '//schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>'
        f"{text}</w:t></w:r></w:p></w:body></w:document>",
    })


def xlsx(rows: list[tuple[str, str]]) -> bytes:
    """A minimal Excel workbook (OOXML), one sheet of inline strings."""
    cells = "".join(
        f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>{a}</t></is></c>'
        f'<c r="B{i}" t="inlineStr"><is><t>{b}</t></is></c></row>'
        for i, (a, b) in enumerate(rows, 1))
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    return _package({
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://'
        'schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Override '
        'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
        'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": _RELS.format("xl/workbook.xml"),
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="BieuMau" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": _RELS.format("worksheets/sheet1.xml").replace(
            "relationships/officeDocument", "relationships/worksheet"),
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0" encoding="UTF-8"?><worksheet '
        f'xmlns="{main}"><sheetData>{cells}</sheetData></worksheet>',
    })


def links_for(nid: int, year: int, category: int, full_set: bool) -> list[tuple[str, str]]:
    """(href, label) of the documents an article links to, in page order."""
    if full_set:
        return [
            (f"{BASE}/{year}/QD-{nid}-UBND.pdf", "Quyết định (PDF)"),
            (f"{BASE}/{year}/KH-{nid}.docx", "Kế hoạch thực hiện (DOCX)"),
            (f"{BASE}/{year}/BM-{nid}.xlsx", "Biểu mẫu đăng ký (XLSX)"),
            (f"{BASE}/{year}/HS-{nid}.zip", "Hồ sơ kèm theo (ZIP)"),
            (f"{BASE}/{year}/BC-{nid}-toan-van.pdf", "Báo cáo toàn văn, bản quét (PDF)"),
            (OFFSITE_DOCUMENT, "Công văn của UBND tỉnh (PDF)"),
        ]
    if category == 87:
        return [(f"{BASE}/{year}/VB-{nid}.pdf", "Văn bản chỉ đạo (PDF)")]
    return []


def attachments_html(links: list[tuple[str, str]], full_set: bool) -> str:
    """The attachments box under an article's content (outside ``news-content``)."""
    if not links:
        return ""
    items = "".join(f'<li><a href="{href}">{label}</a></li>' for href, label in links)
    logo = (f'<img src="{OFFSITE_IMAGE}" alt="Logo UBND tỉnh Quảng Ninh" width="48" />'
            if full_set else "")
    return (f'  <div class="news-attachments">{logo}<strong>Văn bản đính kèm:</strong>'
            f"<ul>{items}</ul></div>\r\n")


def document(path: str) -> tuple[str, bytes] | None:
    """(Content-Type, bytes) of the document at ``path`` (case as linked), or None."""
    name = path.rsplit("/", 1)[-1]
    stem, _, ext = name.rpartition(".")
    ctype = TYPES.get(ext.lower())
    if not path.lower().startswith(BASE.lower() + "/") or ctype is None or not stem:
        return None
    title = f"UBND huyen - {stem}"
    if ext.lower() == "pdf":
        return ctype, pdf(title, LARGE_PDF_BYTES if stem.endswith("-toan-van") else 0)
    if ext.lower() == "docx":
        return ctype, docx(f"Kế hoạch {stem}: triển khai thực hiện nhiệm vụ năm.")
    if ext.lower() == "xlsx":
        return ctype, xlsx([("Họ và tên", "Đơn vị"), ("Nguyễn Văn A", "Xã Hoành Mô")])
    return ctype, _package({f"{stem}/huong-dan.txt": "Hướng dẫn nộp hồ sơ.",
                            f"{stem}/to-khai.txt": "Tờ khai theo mẫu."})


def image(path: str, jpeg: bytes) -> bytes:
    """The replica's JPEG made unique to ``path`` by a comment segment (real images differ
    from each other; deduplication must not find them all identical)."""
    comment = path.encode("utf-8")[:60000]
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return jpeg[:2] + segment + jpeg[2:]
