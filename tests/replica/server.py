"""HTTP/1.1 server for a ReplicaSite (standard library only, 127.0.0.1 only).

Speed matters (a benchmark pits the crawler against `wget --recursive` on it): pages come
pre-rendered from the site's cache, headers are formatted by hand and sent with the body in one
write, and Nagle is off, so keep-alive clients never wait on delayed ACKs.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections import deque
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .site import ReplicaSite, Response

HOST = "127.0.0.1"
_REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 304: "Not Modified",
            404: "Not Found", 405: "Method Not Allowed"}
_date_cache: tuple[int, str] = (0, "")


def _http_now() -> str:
    # formatdate costs a few microseconds; the value only changes once a second.
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(now, usegmt=True))
    return _date_cache[1]


class ReplicaServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer holding the site, a hit counter and a log of requests."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, site: ReplicaSite, port: int = 0, verbose: bool = False,
                 faults: Any = None):
        self.site = site
        self.verbose = verbose
        self.faults = faults  # tests.replica.faults.Faults, or None (the default)
        # (method, request target, status) of recent requests, so tests can check what a crawler
        # asked for (e.g. nothing under robots-disallowed paths). deque.append is thread-safe.
        self.request_log: deque[tuple[str, str, int]] = deque(maxlen=1_000_000)
        super().__init__((HOST, port), ReplicaHandler)

    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        # Crawlers drop keep-alive connections when they finish: not worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}/"


class ReplicaHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ReplicaServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def do_POST(self) -> None:
        # Postback paging needs a browser; the replica does not emulate ASP.NET postbacks.
        self.close_connection = True
        self._send(405, [("Content-Type", "text/plain"), ("Allow", "GET, HEAD"),
                         ("Connection", "close")], b"405 Method Not Allowed\r\n", head=False)

    def _answer(self, head: bool) -> None:
        faults = self.server.faults
        if faults is not None and faults.handles(self.path):
            faults.answer(self)  # raw-socket behaviours (reset, short body) need the handler
            return
        site = self.server.site
        response: Response = site.resolve(self.path)
        if response.status == 200 and not_modified(self.headers, response):
            headers = [("Last-Modified", response.last_modified)]
            if response.etag:
                headers.append(("ETag", response.etag))
            self._send(304, headers, b"", head=True)
            return
        accepts = self.headers.get("Accept-Encoding", "")
        gzip = site.gzip and response.compressible and "gzip" in accepts.lower()
        body = response.body(site.next_hit(), gzip)
        headers = [("Content-Type", response.content_type),
                   ("Last-Modified", response.last_modified)]
        if response.etag:
            headers.append(("ETag", response.etag))
        if response.location:
            headers.append(("Location", response.location))
        if response.compressible:
            headers.append(("Vary", "Accept-Encoding"))
        if gzip:
            headers.append(("Content-Encoding", "gzip"))
        headers += [("Cache-Control", "private, max-age=0"), ("X-Powered-By", "ASP.NET"),
                    ("MicrosoftSharePointTeamServices", "15.0.0.4569")]
        self._send(response.status, headers, body, head)

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes, head: bool) -> None:
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'OK')}", "Server: Microsoft-IIS/8.5",
                 f"Date: {_http_now()}", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in headers]
        if self.close_connection:
            lines.append("Connection: close")
        elif self.request_version == "HTTP/1.0":  # 1.0 clients keep alive only when told
            lines.append("Connection: keep-alive")
        payload = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(payload if head else payload + body)
        self.server.request_log.append((self.command, self.path, status))
        if self.server.verbose:
            self.log_message('"%s" %d %d', self.requestline, status, len(body))

    def log_message(self, fmt: str, *args: object) -> None:
        # Silent by default: per-request logging to stderr would dominate a benchmark.
        if self.server.verbose:
            sys.stderr.write(f"{self.address_string()} - {fmt % args}\n")


def not_modified(headers: object, response: Response) -> bool:
    """Conditional GET (RFC 9110 13.2.2): If-None-Match (weak comparison) wins over
    If-Modified-Since, which is compared as a date."""
    from email.utils import parsedate_to_datetime

    match = headers.get("If-None-Match")  # type: ignore[attr-defined]
    if match is not None:
        if not response.etag:
            return False
        ours = response.etag.removeprefix("W/")
        return match.strip() == "*" or ours in (t.strip().removeprefix("W/")
                                                 for t in match.split(","))
    since = headers.get("If-Modified-Since")  # type: ignore[attr-defined]
    if since is None:
        return False
    try:
        return parsedate_to_datetime(response.last_modified) <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


def make_server(site: ReplicaSite, port: int = 0, verbose: bool = False,
                faults: Any = None) -> ReplicaServer:
    return ReplicaServer(site, port, verbose, faults)


def serve_in_thread(site: ReplicaSite, port: int = 0, verbose: bool = False,
                    faults: Any = None) -> tuple[ReplicaServer, str]:
    """Start serving `site` on 127.0.0.1 in a daemon thread; `server.shutdown()` stops it."""
    server = make_server(site, port, verbose, faults)
    thread = threading.Thread(target=server.serve_forever, name="replica", daemon=True)
    thread.start()
    return server, server.base_url
