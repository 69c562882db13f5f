"""Requisite discovery (crawler/requisites.py): a pure function over HTML, no Scrapy."""

from __future__ import annotations

import pytest

from crawler.requisites import (
    Requisite,
    decode_field,
    discover,
    encode_field,
    extension,
    kind_of,
    outlink_lines,
)

URL = "https://binhlieu.quangninh.gov.vn/Trang/ChiTietTinTuc.aspx?nid=35530"
SITE = "https://binhlieu.quangninh.gov.vn"

PAGE = """<!DOCTYPE html><html><head><title>Họp Ban thường vụ HU</title>
<link rel="stylesheet" type="text/css" href="/_catalogs/masterpage/QNP/css/style.css" />
<link rel="alternate stylesheet" href="print.css" />
<link rel="shortcut icon" href="/favicon.ico" />
<script type="text/javascript" src="/_catalogs/masterpage/QNP/js/menu.js"></script>
<script>var s = '<img src="/in-a-script.jpg">'; document.write('<a href="/x.pdf">');</script>
<style>body { background: url(/in-a-style.png) }</style>
</head><body>
<!-- <img src="/in-a-comment.jpg"> -->
<img src="/PublishingImages/TinTuc/2022/01/35530_1.jpg" alt="" />
<img src="/PublishingImages/TinTuc/2022/01/35530_1.jpg" alt="again" />
<img srcset="/img/a-480.jpg 480w, /img/a-800.jpg 800w" src="/img/a.jpg" />
<img srcset="/img/b.jpg?w=1,2 1x" />
<img src="data:image/png;base64,iVBORw0KGgo=" />
<img src="http://127.0.0.2/PublishingImages/logo-tinh.jpg" />
<p><a href="/Documents/VanBan/2022/QD-123.pdf#page=2">Quyết định</a>
<a href="/Documents/VanBan/2022/KH%2005.DOCX">Kế hoạch</a>
<a href="/Download/bieu-mau.xlsx?download=1&amp;v=2">Biểu mẫu</a>
<a href="/Documents/VanBan/2022/ho-so.zip">Hồ sơ</a>
<a href="/Trang/ChiTietTinTuc.aspx?nid=35531">Tin khác</a>
<a href="javascript:void(0)">In</a> <a href="mailto:a@b.vn">Thư</a>
<a href="/Documents/bao-cao.pdf">Báo cáo (lại)</a>
<a href="/Documents/bao-cao.pdf">Báo cáo</a></p>
</body></html>"""


def test_discovers_images_stylesheets_scripts_and_documents_in_page_order():
    found = discover(PAGE, URL)
    assert found == [
        Requisite(f"{SITE}/_catalogs/masterpage/QNP/css/style.css", "stylesheet"),
        Requisite(f"{SITE}/Trang/print.css", "stylesheet"),
        Requisite(f"{SITE}/_catalogs/masterpage/QNP/js/menu.js", "script"),
        Requisite(f"{SITE}/PublishingImages/TinTuc/2022/01/35530_1.jpg", "image"),
        Requisite(f"{SITE}/img/a.jpg", "image"),
        Requisite(f"{SITE}/img/a-480.jpg", "image"),
        Requisite(f"{SITE}/img/a-800.jpg", "image"),
        Requisite("http://127.0.0.2/PublishingImages/logo-tinh.jpg", "image"),
        Requisite(f"{SITE}/Documents/VanBan/2022/QD-123.pdf", "document"),
        Requisite(f"{SITE}/Documents/VanBan/2022/KH%2005.DOCX", "document"),
        Requisite(f"{SITE}/Download/bieu-mau.xlsx?download=1&v=2", "document"),
        Requisite(f"{SITE}/Documents/VanBan/2022/ho-so.zip", "document"),
        Requisite(f"{SITE}/Documents/bao-cao.pdf", "document"),
    ]


def test_scripts_comments_styles_icons_and_fancy_srcsets_are_not_requisites():
    urls = {r.url for r in discover(PAGE, URL)}
    assert not [u for u in urls if "in-a-" in u or u.endswith("/x.pdf")]
    assert f"{SITE}/favicon.ico" not in urls and not [u for u in urls if "/img/b.jpg" in u]
    assert not [u for u in urls if u.startswith(("data:", "javascript:", "mailto:"))]


def test_base_href_and_extensions_are_honoured():
    page = ('<html><head><base href="https://cdn.example.gov.vn/site/"></head><body>'
            '<img src="a.jpg"><a href="b.odt">b</a><a href="c.pdf">c</a>'
            '<base href="https://ignored.example/"></body></html>')
    assert discover(page, URL, document_extensions=["odt"]) == [
        Requisite("https://cdn.example.gov.vn/site/a.jpg", "image"),
        Requisite("https://cdn.example.gov.vn/site/b.odt", "document")]


def test_bad_input_gives_nothing_not_an_error():
    assert discover("", URL) == []
    assert discover(b"\x00\xff\xfe not html at all", URL) == []
    assert discover("<img src='http://[::1'>", URL) == []  # an unparsable URL
    assert discover(PAGE.encode("utf-8"), URL) == discover(PAGE, URL)


def test_content_type_says_what_a_fetched_requisite_is():
    assert kind_of("image/jpeg", "document") == "image"
    assert kind_of("text/css; charset=utf-8", "image") == "stylesheet"
    assert kind_of("application/x-javascript", "image") == "script"
    assert kind_of("application/pdf", "image") == "document"
    assert kind_of("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                   "image") == "document"
    assert kind_of("application/octet-stream", "document") == "document"
    assert kind_of("text/html; charset=utf-8", "image") == "image"
    assert kind_of(None, "script") == "script"
    assert extension("https://a.vn/x/Quyet-Dinh.PDF?x=1.html") == "pdf"
    assert extension("https://a.vn/x/") == ""


def test_metadata_field_round_trip():
    reqs = discover(PAGE, URL)
    assert decode_field(encode_field(reqs)) == reqs
    assert decode_field("not json") == [] and decode_field(None) == []
    assert decode_field('[["image", "https://a.vn/1.jpg"], ["bogus", "x"], "y", [1]]') == [
        Requisite("https://a.vn/1.jpg", "image")]
    lines = outlink_lines(reqs)
    assert ("outlink", f"{SITE}/_catalogs/masterpage/QNP/js/menu.js E script/@src") in lines
    assert not [v for _, v in lines if ".pdf" in v]  # documents are L a/@href outlinks


@pytest.mark.parametrize("setting, message", [
    ("REQUISITES_TYPES=image,imgs", "REQUISITES_TYPES: unknown imgs (known: image, "),
    ("REQUISITES_MAX_SIZE=lots", "REQUISITES_MAX_SIZE: 'lots' is not a whole number"),
    ("REQUISITES_MAX_SIZE=-1", "REQUISITES_MAX_SIZE: -1 is negative"),
])
def test_a_bad_requisites_setting_is_a_one_line_usage_error(tmp_path, setting, message):
    from click.testing import CliRunner

    from crawler.cli import main

    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["crawl", "--url", "http://127.0.0.1:9/", "--out",
                                       str(out), "-s", setting])
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output and not out.exists()  # nothing was started


def test_the_crawl_summary_counts_requisites():
    from crawler.extensions.progress import summary_lines

    stats = {"response_received_count": 40, "extract/articles": 12, "requisites/archived": 25,
             "requisites/skipped/robots": 5, "requisites/skipped/too_large": 1}
    lines = summary_lines(stats, "binhlieu-x", 10.0, "finished")
    assert "  requisites        25 archived, 6 skipped (images, stylesheets, scripts, " \
           "documents)" in lines
