"""Scrapy's offsite filter with the registry's host rule: a portal's ``allowed_hosts`` match
exactly (and their ``www.`` twin), ``*.domain`` the domain and its subdomains.

Scrapy's own ``OffsiteMiddleware`` admits every subdomain of ``allowed_domains``, so a redirect
from the province portal ``quangninh.gov.vn`` to ``binhlieu.quangninh.gov.vn`` (another portal
of the registry) would be fetched into the wrong portal. This subclass takes its place
(priority 50) and keeps Scrapy's logging and ``offsite/*`` stats. Spiders without a registry
``portal`` get Scrapy's rule. No settings of its own (switch it off in
``DOWNLOADER_MIDDLEWARES`` like any middleware).
"""

from __future__ import annotations

from scrapy import Request, Spider
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.utils.httpobj import urlparse_cached

from crawler.registry import host_allowed


class PortalOffsiteMiddleware(OffsiteMiddleware):
    def should_follow(self, request: Request, spider: Spider) -> bool:
        portal = getattr(spider, "portal", None)
        hosts = getattr(portal, "allowed_hosts", None)
        if not hosts:
            return super().should_follow(request, spider)
        return host_allowed(urlparse_cached(request).hostname or "", hosts)
