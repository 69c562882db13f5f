"""No request reaches a host in a private network unless it is the portal's own address.

Unit tests of the address rule (crawler/middlewares/private_hosts.py) with a fake resolver
for host names; end to end, the fault replica (on 127.0.0.1) links to an article on 127.0.0.3
and redirects to 127.0.0.2, with both among the portal's allowed hosts so the host allowlist
lets them through: the middleware refuses them (``private_address`` rows, no connection, no
WARC record), and ``PRIVATE_HOSTS_ALLOWED`` lets them through again.
"""

from __future__ import annotations

import ipaddress
import json
import sqlite3
import subprocess
import sys
from types import SimpleNamespace

import pytest
from scrapy.settings import Settings

from archive import iter_records
from crawler.middlewares.private_hosts import PrivateHostsMiddleware, is_private, resolve
from tests.portal_fixture import FAST_SETTINGS, ROOT
from tests.replica import ReplicaSite, serve_in_thread
from tests.replica.faults import Faults

ip = ipaddress.ip_address


@pytest.mark.parametrize(("address", "private"), [
    ("127.0.0.1", True), ("127.0.0.2", True), ("10.1.2.3", True), ("172.16.0.9", True),
    ("192.168.1.1", True), ("169.254.169.254", True), ("100.64.0.1", True), ("0.0.0.0", True),
    ("::1", True), ("fe80::1", True), ("fd00::1", True), ("::ffff:10.0.0.1", True),
    ("224.0.0.1", True), ("203.162.10.5", False), ("113.160.1.1", False),
    ("2001:ee0:1::1", False),
])
def test_private_ranges(address, private):
    assert is_private(ip(address)) is private


def test_resolve_literals_and_failures():
    assert resolve("127.0.0.2") == (ip("127.0.0.2"),)
    assert resolve("[::1]") == (ip("::1"),)
    assert resolve("no-such-host.invalid") == ()


def middleware(**settings) -> PrivateHostsMiddleware:
    crawler = SimpleNamespace(settings=Settings(settings), stats=None, spider=None)
    return PrivateHostsMiddleware(crawler)


def test_refusal_rule():
    mw = middleware(PRIVATE_HOSTS_ALLOWED=["intranet.ubnd.gov.vn", "10.20.0.0/16"])
    public = {ip("203.162.10.5")}
    # a public portal: any private address is refused, public ones pass
    assert mw.refusal("binhlieu.quangninh.gov.vn", [ip("203.162.10.5")], public) is None
    assert mw.refusal("noibo.binhlieu.quangninh.gov.vn", [ip("10.0.0.7")], public) == (
        "private address: noibo.binhlieu.quangninh.gov.vn resolves to 10.0.0.7, which is not "
        "the portal's own address (PRIVATE_HOSTS_ALLOWED to allow it)")
    assert mw.refusal("metadata", [ip("169.254.169.254")], public)
    # one private address among public ones is enough
    assert mw.refusal("mixed.gov.vn", [ip("203.162.10.6"), ip("192.168.0.2")], public)
    # explicitly allowed hosts and networks
    assert mw.refusal("intranet.ubnd.gov.vn", [ip("10.0.0.8")], public) is None
    assert mw.refusal("kho.gov.vn", [ip("10.20.3.4")], public) is None
    # a portal on a private address: its own addresses only, not the whole range
    own = {ip("127.0.0.1")}
    assert mw.refusal("127.0.0.1", [ip("127.0.0.1")], own) is None
    assert mw.refusal("127.0.0.2", [ip("127.0.0.2")], own)


def test_switched_off():
    from scrapy.exceptions import NotConfigured

    with pytest.raises(NotConfigured):
        middleware(PRIVATE_HOSTS_ENABLED=False)


@pytest.fixture(scope="module")
def replica():
    server, base = serve_in_thread(ReplicaSite(articles=6, seed=1, chrome_kb=2),
                                   faults=Faults())
    yield server, base
    server.shutdown()
    server.server_close()


def crawl(tmp_path, base: str, *extra: str) -> sqlite3.Connection:
    registry = tmp_path / "registry.toml"
    starts = [base + "faults/private", base + "faults/offsite"]
    registry.write_text(
        f'[[portals]]\nid = "binhlieu"\nname = "Bình Liêu"\nbase_url = "{base}"\n'
        f'family = "qnp"\nstart_urls = {json.dumps(starts)}\n'
        'allowed_hosts = ["127.0.0.1", "127.0.0.2", "127.0.0.3"]\nconfirmed = true\n',
        encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "crawl", "binhlieu", "--registry", str(registry),
         "--out", str(tmp_path / "out"), *FAST_SETTINGS, "-s", "RETRY_TIMES=0", *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    db = sqlite3.connect(tmp_path / "out" / "archive.db")
    db.row_factory = sqlite3.Row
    return db


@pytest.mark.e2e
def test_links_and_redirects_into_a_private_network_are_refused(replica, tmp_path):
    server, base = replica
    port = base.rsplit(":", 1)[1].rstrip("/")
    db = crawl(tmp_path, base)
    rows = {r["url"]: r for r in db.execute("SELECT * FROM fetch_failures")}
    link = f"http://127.0.0.3:{port}/Trang/ChiTietTinTuc.aspx?nid=990001"
    redirect = f"http://127.0.0.2:{port}/"
    assert rows[link]["kind"] == rows[redirect]["kind"] == "private_address"
    assert "resolves to 127.0.0.3, which is not the portal's own address" in rows[link]["detail"]
    assert not [u for u, r in rows.items() if u.startswith(("http://127.0.0.2", "http://127.0.0.3"))
                and r["kind"] != "private_address"]  # no connection was even tried
    uris = {rec.target_uri for warc in (tmp_path / "out" / "warc").glob("*.warc.gz")
            for rec in iter_records(warc)}
    assert base + "faults/private" in uris
    assert not [u for u in uris if u.startswith(("http://127.0.0.2", "http://127.0.0.3"))]
    stats = json.loads(db.execute("SELECT stats FROM crawls").fetchone()[0])
    assert stats["private_hosts/refused"] == 2


@pytest.mark.e2e
def test_an_explicitly_allowed_private_host_is_fetched(replica, tmp_path):
    server, base = replica
    port = base.rsplit(":", 1)[1].rstrip("/")
    db = crawl(tmp_path, base, "-s", "PRIVATE_HOSTS_ALLOWED=127.0.0.2,127.0.0.3")
    kinds = {r["url"]: r["kind"] for r in db.execute("SELECT * FROM fetch_failures")}
    # the request went out: nothing listens on 127.0.0.3, so the connection is refused
    assert kinds[f"http://127.0.0.3:{port}/Trang/ChiTietTinTuc.aspx?nid=990001"] == "refused"
    assert "private_address" not in kinds.values()
