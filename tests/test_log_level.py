"""EarlyLogLevel: Scrapy's DEBUG messages are dropped before a record is made of them."""

from __future__ import annotations

import logging

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler.extensions.log_level import EarlyLogLevel


def test_debug_records_are_never_made_below_the_log_level(caplog, monkeypatch):
    engine = logging.getLogger("scrapy.core.engine")
    before = logging.getLogger("scrapy").level
    # As Scrapy's configure_logging leaves it: the root at NOTSET, filtering at its handler.
    monkeypatch.setattr(logging.root, "level", logging.NOTSET)
    engine.manager._clear_cache()
    assert engine.isEnabledFor(logging.DEBUG)
    ext = EarlyLogLevel.from_crawler(get_crawler(settings_dict={"LOG_LEVEL": "WARNING"}))
    try:
        assert not engine.isEnabledFor(logging.DEBUG) and not engine.isEnabledFor(logging.INFO)
        assert engine.isEnabledFor(logging.WARNING)
        with caplog.at_level(logging.DEBUG):
            engine.debug("Crawled (200) <GET http://127.0.0.1/>")
            engine.warning("kept")
        assert [r.getMessage() for r in caplog.records if r.name == engine.name] == ["kept"]
    finally:
        ext.engine_stopped()
    assert logging.getLogger("scrapy").level == before


@pytest.mark.parametrize("settings", [{"LOG_LEVEL": "DEBUG"},
                                      {"LOG_LEVEL": "INFO", "LOG_LEVEL_EARLY_ENABLED": False}])
def test_not_configured_when_debug_passes_or_switched_off(settings):
    with pytest.raises(NotConfigured):
        EarlyLogLevel.from_crawler(get_crawler(settings_dict=settings))
