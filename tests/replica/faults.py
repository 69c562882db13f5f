"""Fault injection for the replica (``python -m tests.replica --faults``; off by default).

Hostile behaviours of real portals, each at its own URL and listed on ``/faults/`` (which the
home page links to only when faults are on, so the normal replica stays byte-identical):
slowness beyond the download timeout, a reset or short body, 500/503/429 (``Retry-After``),
a redirect loop, a redirect to another loopback host, a 10 MB page, misdeclared and legacy
charsets, a BOM, malformed HTML, articles with no title, no date, an impossible or a future
date, session-id URL variants, an endless calendar and corrupt gzip. With
``robots_change_after=N`` (``--robots-change-after N``) robots.txt changes once the server
has answered N requests: it then also disallows ``/faults/robots-late``.

Answers are written on the raw socket by ``Faults.answer(handler)`` (the server's hook), so a
fault can break HTTP itself. Article-like faults live at ``/Trang/ChiTietTinTuc.aspx?nid=``
with reserved ids (``ARTICLE_NIDS``), where the QNP extractor looks for articles. Everything
stays on 127.0.0.1 (the off-site redirect points at 127.0.0.2, where nothing listens).
"""

from __future__ import annotations

import gzip
import itertools
import socket
import struct
import time
import unicodedata
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl, urlsplit

SLOW_SECONDS = 4.0  # tests run with DOWNLOAD_TIMEOUT below this
BIG_BYTES = 10 * 1024 * 1024
TITLE = "Hội nghị triển khai nhiệm vụ năm 2024 của huyện Bình Liêu"
BODY = ("Sáng nay, Ủy ban nhân dân huyện Bình Liêu tổ chức hội nghị triển khai nhiệm vụ phát "
        "triển kinh tế - xã hội, bảo đảm quốc phòng, an ninh năm 2024.")
# nid -> (fault name, what the page does)
ARTICLE_NIDS: dict[int, tuple[str, str]] = {
    990001: ("charset-misdeclared", "header says charset=iso-8859-1, bytes are UTF-8"),
    990002: ("windows-1258", "the page in windows-1258 (legacy Vietnamese, combining tones)"),
    990003: ("bom", "UTF-8 with a byte order mark, no charset in the header"),
    990004: ("malformed", "unclosed tags, nested forms, stray end tags"),
    990005: ("no-title", "an article with no title"),
    990006: ("no-date", "an article with no date line"),
    990007: ("impossible-date", "dated 31/02/2024 25:61"),
    990008: ("future-date", "dated 01/01/2099"),
    990009: ("nfd", "title and body in NFD (decomposed) Unicode"),
}
PATHS: dict[str, str] = {
    "/faults/slow": f"answers after {SLOW_SECONDS:g} s (beyond the download timeout)",
    "/faults/reset": "connection reset (RST) in the middle of the body",
    "/faults/short": "body shorter than its Content-Length, then the connection closes",
    "/faults/500": "500 Internal Server Error",
    "/faults/503": "503 Service Unavailable with Retry-After: 1",
    "/faults/429": "429 Too Many Requests with Retry-After: 1",
    "/faults/loop": "redirects to itself with a new counter, forever",
    "/faults/offsite": "redirects to another host (127.0.0.2, loopback, nothing listens)",
    "/faults/private": "links to an article on a host in a private network (127.0.0.3)",
    "/faults/robots-late": "disallowed by robots.txt once it changes (--robots-change-after)",
    "/faults/big": "a 10 MB HTML page",
    "/faults/gzip": "Content-Encoding: gzip whose data is corrupt",
    # Listing-like URLs (.aspx?Cat=): the QNP profile follows listings, so a crawler meets them.
    "/faults/session.aspx?Cat=90": "links to itself with a new session id (sid, PHPSESSID)",
    "/faults/calendar.aspx?Cat=91": "an endless calendar: every month links to the next one",
    "/faults/pager.aspx?Cat=92": "endless pagination: every page links to the next one",
}


def _http_date() -> str:
    return formatdate(time.time(), usegmt=True)


def to_cp1258(text: str) -> bytes:
    """Encode Vietnamese in windows-1258: precomposed letters where the code page has them,
    combining tone marks for the rest (as legacy Vietnamese Windows text does)."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        base, *marks = unicodedata.normalize("NFD", char)
        out += _compose_cp1258(base, marks)
    return bytes(out)


def _compose_cp1258(base: str, marks: list[str]) -> bytes:
    # The most marks composed into one code-page letter (ệ -> ê + dot below), the rest combining.
    for size in range(len(marks), -1, -1):
        for chosen in itertools.combinations(range(len(marks)), size):
            letter = unicodedata.normalize("NFC", base + "".join(marks[i] for i in chosen))
            rest = "".join(m for i, m in enumerate(marks) if i not in chosen)
            try:
                return letter.encode("cp1258") + rest.encode("cp1258")
            except UnicodeEncodeError:
                continue
    return b"?"


def article_html(nid: int, title: str | None = TITLE, date: str | None = "15/01/2024 08:30",
                 body: str = BODY, charset: str = "utf-8") -> str:
    """A QNP-style article page (the markup the extractor expects), without the chrome."""
    title_tag = f"<title>{title or 'Cổng thông tin điện tử huyện Bình Liêu'}</title>"
    h1 = f'<h1 class="news-title">{title}</h1>\r\n' if title else ""
    when = f'<div class="news-date">{date}</div>\r\n' if date else ""
    return (f'<!DOCTYPE html>\r\n<html><head><meta charset="{charset}">{title_tag}</head>\r\n'
            '<body><form id="aspnetForm" action="./ChiTietTinTuc.aspx?nid={nid}">'
            '<input type="hidden" name="__VIEWSTATE" value="/wEPDwUK" />\r\n'
            f'<div class="news-detail">\r\n{h1}{when}'
            f'<div class="news-sapo"><strong>{title or ""}</strong></div>\r\n'
            f'<div class="news-content ms-rtestate-field">\r\n<p>{body}</p>\r\n</div>\r\n'
            '</div></form></body></html>\r\n')


def article_page(nid: int) -> tuple[str, bytes]:
    """(Content-Type, body bytes) of a reserved fault article."""
    name = ARTICLE_NIDS[nid][0]
    if name == "charset-misdeclared":
        return "text/html; charset=iso-8859-1", article_html(nid, charset="utf-8").encode()
    if name == "windows-1258":
        return ("text/html; charset=windows-1258",
                to_cp1258(article_html(nid, charset="windows-1258")))
    if name == "bom":
        return "text/html", b"\xef\xbb\xbf" + article_html(nid).encode()
    if name == "malformed":
        html = article_html(nid).replace("</p>", "<p><b><i>chưa đóng thẻ", 1).replace(
            "<div class=\"news-content", "<form><form></div></span><div class=\"news-content")
        return "text/html; charset=utf-8", html.encode()
    if name == "no-title":
        return "text/html; charset=utf-8", article_html(nid, title=None).encode()
    if name == "no-date":
        return "text/html; charset=utf-8", article_html(nid, date=None).encode()
    if name == "impossible-date":
        return "text/html; charset=utf-8", article_html(nid, date="31/02/2024 25:61").encode()
    if name == "future-date":
        return "text/html; charset=utf-8", article_html(nid, date="01/01/2099 08:00").encode()
    nfd = unicodedata.normalize("NFD", article_html(nid))
    return "text/html; charset=utf-8", nfd.encode()


def index_html() -> str:
    items = [f'<li><a href="{path}">{path}</a>: {what}</li>' for path, what in PATHS.items()]
    items += [f'<li><a href="/Trang/ChiTietTinTuc.aspx?nid={nid}">{name}</a>: {what}</li>'
              for nid, (name, what) in ARTICLE_NIDS.items()]
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>Faults</title></head>'
            f'<body><h1>Fault injection</h1><ul>{"".join(items)}</ul></body></html>\r\n')


def _page(title: str, inner: str) -> bytes:
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body>{inner}</body></html>\r\n").encode()


HOME_LINK = '<p class="faults"><a href="/faults/">Fault injection</a></p>'


LATE_DISALLOW = "Disallow: /faults/robots-late\r\n"


class Faults:
    """The fault routes; ``handles(target)`` says which requests ``answer`` takes over.
    ``robots_change_after``: robots.txt adds ``LATE_DISALLOW`` once the server has answered
    that many requests (None: robots.txt never changes)."""

    def __init__(self, robots_change_after: int | None = None) -> None:
        self._big: bytes | None = None
        self.robots_change_after = robots_change_after

    def handles(self, target: str) -> bool:
        parts = urlsplit(target)
        path = parts.path.lower()
        if path.startswith("/faults"):
            return True
        if path == "/robots.txt":
            return self.robots_change_after is not None
        if path == "/trang/chitiettintuc.aspx":
            nid = dict(parse_qsl(parts.query.lower())).get("nid", "")
            return nid.isdigit() and int(nid) in ARTICLE_NIDS
        return False

    # -- wire helpers ----------------------------------------------------------------------
    @staticmethod
    def _head(status: int, reason: str, headers: list[tuple[str, str]], length: int) -> bytes:
        lines = [f"HTTP/1.1 {status} {reason}", "Server: Microsoft-IIS/8.5",
                 f"Date: {_http_date()}", f"Content-Length: {length}",
                 *(f"{k}: {v}" for k, v in headers), "Connection: close"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _send(self, handler: Any, status: int, body: bytes, ctype: str = "text/html; "
              "charset=utf-8", headers: list[tuple[str, str]] | None = None,
              reason: str = "OK") -> None:
        handler.close_connection = True
        head = self._head(status, reason, [("Content-Type", ctype), *(headers or [])], len(body))
        handler.wfile.write(head + (b"" if handler.command == "HEAD" else body))
        handler.server.request_log.append((handler.command, handler.path, status))

    def answer(self, handler: Any) -> None:
        """Write the fault's answer to ``handler`` (a BaseHTTPRequestHandler)."""
        parts = urlsplit(handler.path)
        path = parts.path.lower().rstrip("/")
        params = dict(parse_qsl(parts.query))
        port = handler.server.server_address[1]
        if path == "/trang/chitiettintuc.aspx":
            ctype, body = article_page(int(params.get("nid") or params.get("NID") or 0))
            return self._send(handler, 200, body, ctype)
        if path == "/faults":
            return self._send(handler, 200, index_html().encode())
        if path == "/robots.txt":
            from .site import ROBOTS

            changed = len(handler.server.request_log) >= (self.robots_change_after or 0)
            return self._send(handler, 200, (ROBOTS + LATE_DISALLOW * changed).encode(),
                              "text/plain")
        if path == "/faults/robots-late":
            return self._send(handler, 200, _page("Trang mới cấm", "<p>robots.txt</p>"))
        if path == "/faults/slow":
            time.sleep(SLOW_SECONDS)
            return self._send(handler, 200, article_html(0).encode())
        if path in ("/faults/reset", "/faults/short"):
            body = article_html(0).encode() * 20
            handler.close_connection = True
            head = self._head(200, "OK", [("Content-Type", "text/html; charset=utf-8")],
                              len(body))
            handler.wfile.write(head + body[: len(body) // 3])
            handler.wfile.flush()
            handler.server.request_log.append((handler.command, handler.path, 200))
            if path == "/faults/reset":
                # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
                handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                              struct.pack("ii", 1, 0))
                handler.connection.close()
            return None
        if path in ("/faults/500", "/faults/503", "/faults/429"):
            status = int(path.rsplit("/", 1)[1])
            reason = {500: "Internal Server Error", 503: "Service Unavailable",
                      429: "Too Many Requests"}[status]
            extra = [("Retry-After", "1")] if status != 500 else []
            return self._send(handler, status, f"<html><body>{reason}</body></html>".encode(),
                              headers=extra, reason=reason)
        if path == "/faults/loop":
            n = int(params.get("n", "0") or 0) + 1
            return self._send(handler, 302, b"", headers=[("Location", f"/faults/loop?n={n}")],
                              reason="Found")
        if path == "/faults/offsite":
            return self._send(handler, 302, b"",
                              headers=[("Location", f"http://127.0.0.2:{port}/")], reason="Found")
        if path == "/faults/private":
            link = (f'<a href="http://127.0.0.3:{port}/Trang/ChiTietTinTuc.aspx?nid=990001">'
                    "Tin nội bộ</a>")
            return self._send(handler, 200, _page("Mạng nội bộ", link))
        if path == "/faults/big":
            if self._big is None:
                line = f"<p>{BODY}</p>\r\n".encode()
                head = article_html(0).encode().split(b"</form>")[0]
                self._big = head + line * ((BIG_BYTES - len(head)) // len(line) + 1)
                self._big = self._big[:BIG_BYTES - 23] + b"</form></body></html>\r\n"
            return self._send(handler, 200, self._big)
        if path == "/faults/gzip":
            good = gzip.compress(article_html(0).encode(), mtime=0)
            corrupt = good[:30] + bytes(b ^ 0x5A for b in good[30:60]) + good[60:]
            return self._send(handler, 200, corrupt, headers=[("Content-Encoding", "gzip")])
        if path == "/faults/session.aspx":
            n = int(params.get("sid", "0") or 0) + 1
            links = (f'<a href="/faults/session.aspx?Cat=90&amp;sid={n}">tiếp</a> '
                     f'<a href="/faults/session.aspx?Cat=90&amp;PHPSESSID={n:032x}">trang</a>')
            return self._send(handler, 200, _page("Phiên", links))
        if path == "/faults/calendar.aspx":
            # Starts in October of this year, so a crawl meets next year within three pages.
            year = int(params.get("year") or time.gmtime().tm_year)
            month = int(params.get("month", "9"))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            link = (f'<a href="/faults/calendar.aspx?Cat=91&amp;year={year}&amp;month={month}">'
                    f"Tháng {month}/{year}</a>")
            return self._send(handler, 200, _page("Lịch công tác", link))
        if path == "/faults/pager.aspx":
            page = int(params.get("Page", "1") or 1) + 1
            link = f'<a href="/faults/pager.aspx?Cat=92&amp;Page={page}">Trang {page}</a>'
            return self._send(handler, 200, _page("Tin tức", link))
        return self._send(handler, 404, b"<html><body>404</body></html>", reason="Not Found")


def serve_fault_site(out: Any, allowed_hosts: tuple[str, ...] = ("127.0.0.1",),
                     **faults: Any) -> tuple[Any, str, Any]:
    """Serve a small replica with the fault routes in a thread, and write a registry at
    ``out/registry.toml`` whose start URLs reach every fault; return (server, base URL,
    registry path). ``faults`` go to ``Faults`` (e.g. ``robots_change_after``)."""
    import json
    from pathlib import Path

    from .server import serve_in_thread
    from .site import ReplicaSite

    site = ReplicaSite(articles=12, seed=1, chrome_kb=8)
    site.home_extra = HOME_LINK
    server, base = serve_in_thread(site, faults=Faults(**faults))
    starts = [base] + [base + p.lstrip("/") for p in PATHS] + [
        f"{base}Trang/ChiTietTinTuc.aspx?nid={nid}" for nid in ARTICLE_NIDS]
    registry = Path(out) / "registry.toml"
    registry.write_text(
        f'[[portals]]\nid = "binhlieu"\nname = "Bình Liêu (hostile replica)"\n'
        f'base_url = "{base}"\nfamily = "qnp"\nstart_urls = {json.dumps(starts)}\n'
        f'allowed_hosts = {json.dumps(list(allowed_hosts))}\nconfirmed = true\n',
        encoding="utf-8")
    return server, base, registry
