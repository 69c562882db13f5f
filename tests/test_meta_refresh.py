"""QuickMetaRefreshMiddleware: Scrapy's meta refresh, minus the decode of pages that cannot
hold the tag."""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from crawler.middlewares.meta_refresh import HEAD_BYTES, QuickMetaRefreshMiddleware, may_refresh

URL = "http://127.0.0.1:8000/Trang/Default.aspx"
FILLER = "<p>Tin tức huyện Bình Liêu</p>" * 10


def run(body: bytes, headers: dict | None = None):
    crawler = get_crawler(settings_dict={"METAREFRESH_ENABLED": True})
    mw = QuickMetaRefreshMiddleware.from_crawler(crawler)
    request = Request(URL)
    response = HtmlResponse(URL, body=body, request=request, headers=headers or {})
    return response, mw.process_response(request, response)


def page(head: str, encoding: str = "utf-8") -> bytes:
    return f"<html><head>{head}</head><body>{FILLER}</body></html>".encode(encoding)


@pytest.mark.parametrize("tag", [
    '<meta http-equiv="refresh" content="0; url=/moi.aspx">',
    '<META HTTP-EQUIV="Refresh" CONTENT="0;URL=/moi.aspx">',
])
def test_a_refresh_still_redirects(tag):
    _, out = run(page(tag))
    assert isinstance(out, Request) and out.url == "http://127.0.0.1:8000/moi.aspx"


def test_utf16_page_goes_to_scrapys_check():
    body = page('<meta http-equiv="refresh" content="0; url=/moi.aspx">', "utf-16")
    assert b"refresh" not in body.lower() and may_refresh(body)
    _, out = run(body, {"Content-Type": "text/html; charset=utf-16"})
    assert isinstance(out, Request) and out.url.endswith("/moi.aspx")


def test_a_page_without_the_word_is_passed_without_decoding():
    response, out = run(page('<meta http-equiv="X-UA-Compatible" content="IE=10">'))
    assert out is response
    assert response._cached_ubody is None  # response.text was never computed


def test_the_word_far_down_the_page_is_left_alone_as_scrapy_does():
    # Scrapy looks at the first 4,096 characters only; bytes past HEAD_BYTES cannot be in them.
    body = page("") + b" " * HEAD_BYTES + b'<meta http-equiv="refresh" content="0; url=/x">'
    assert not may_refresh(body)
    response, out = run(body)
    assert out is response
