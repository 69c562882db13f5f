"""Spiders of portal-archive (navigation only; extraction lives in crawler.extract)."""
