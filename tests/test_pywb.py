"""Interoperability with pywb, as a real component: a pywb collection is built from the
project's WARC files (and another from its WACZ package) with ``wb-manager``, a real
``wayback`` server is started on 127.0.0.1, and the founding article is replayed through it.

pywb lives in its own virtualenv, ``.venv-pywb`` (made by ``make setup`` or here when
missing, from ``tests/requirements-pywb.txt``): installing it into the project's venv would
downgrade cryptography and pyOpenSSL under Scrapy.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.archive_crawl import cli, crawl_replica
from tests.portal_fixture import ROOT, free_port
from tests.replica import FOUNDING_NID

pytestmark = pytest.mark.e2e
PYWB_VENV = ROOT / ".venv-pywb"


def pywb_bin(name: str) -> Path:
    path = PYWB_VENV / "bin" / name
    if not path.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PYWB_VENV)], check=True)
        subprocess.run([PYWB_VENV / "bin" / "pip", "install", "-q", "-r",
                        ROOT / "tests" / "requirements-pywb.txt"], check=True)
    return path


def fetch(url: str, timeout: float = 10) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return resp.status, resp.read().decode("utf-8", "replace")


@pytest.fixture(scope="module")
def wayback(tmp_path_factory):
    out = tmp_path_factory.mktemp("pywb-crawl")
    crawl_replica(out, 6)
    package = out / "crawl.wacz"
    assert cli("wacz", "--db", str(out / "archive.db"), "-o", str(package)).returncode == 0
    root = tmp_path_factory.mktemp("pywb-root")
    manager = pywb_bin("wb-manager")
    for args in (["init", "warcs"], ["add", "warcs", *map(str, (out / "warc").glob("*.gz"))],
                 ["init", "wacz"], ["add", "--unpack-wacz", "wacz", str(package)]):
        done = subprocess.run([manager, *args], cwd=root, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    port = free_port()
    server = subprocess.Popen([pywb_bin("wayback"), "-p", str(port), "-b", "127.0.0.1"],
                              cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                fetch(base + "/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        import sqlite3

        db = sqlite3.connect(out / "archive.db")
        url, fetched = db.execute("SELECT url, fetched_at FROM captures WHERE url LIKE ?",
                                  [f"%nid={FOUNDING_NID}"]).fetchone()
        db.close()
        yield {"base": base, "url": url, "ts": "".join(c for c in fetched if c.isdigit())[:14]}
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stderr.close()


@pytest.mark.parametrize("collection", ["warcs", "wacz"])
def test_pywb_replays_the_founding_article(wayback, collection):
    # id_: the archived bytes as captured (content-encoding undone by pywb)
    status, page = fetch(f"{wayback['base']}/{collection}/{wayback['ts']}id_/{wayback['url']}")
    assert status == 200
    assert "Họp Ban thường vụ HU" in page and "Thu Hằng" in page
    # mp_: pywb's rewritten replay, links pointing back into the collection
    status, page = fetch(f"{wayback['base']}/{collection}/{wayback['ts']}mp_/{wayback['url']}")
    assert status == 200 and "Họp Ban thường vụ HU" in page
    assert f"/{collection}/{wayback['ts']}mp_/http://127.0.0.1:" in page


def test_pywb_index_lists_the_capture(wayback):
    status, body = fetch(f"{wayback['base']}/warcs/cdx?url={wayback['url']}&output=json")
    assert status == 200 and wayback["ts"] in body and '"status": "200"' in body
