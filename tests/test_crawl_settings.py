"""The project's Scrapy settings: components every crawl process loads."""

from __future__ import annotations

import subprocess
import sys

from scrapy.settings.default_settings import EXTENSIONS_BASE as SCRAPY_EXTENSIONS_BASE

from crawler import settings
from tests.portal_fixture import ROOT

DROPPED = {"scrapy.extensions.telnet.TelnetConsole",
           "scrapy.extensions.remote_control.RemoteControl"}


def test_extensions_base_is_scrapys_without_telnet_and_remote_control():
    # A Scrapy upgrade that changes its base extensions shows up here.
    assert settings.EXTENSIONS_BASE == {
        k: v for k, v in SCRAPY_EXTENSIONS_BASE.items() if k not in DROPPED}


def test_a_crawl_process_neither_loads_nor_imports_them():
    probe = """
import sys
from scrapy.crawler import Crawler
from scrapy.utils.project import get_project_settings
from scrapy.utils.reactor import install_reactor
install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
from spiders.portal import PortalSpider
crawler = Crawler(PortalSpider, get_project_settings())
crawler._apply_settings()
names = {type(e).__name__ for e in crawler.extensions.middlewares}
assert {"CoreStats", "LogStats", "AutoThrottle", "Progress"} <= names, names
assert not names & {"TelnetConsole", "RemoteControl"}, names
print(sorted(m for m in ("aiohttp", "twisted.conch.telnet") if m in sys.modules))
"""
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"
