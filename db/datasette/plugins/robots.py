"""Datasette plugin: ``/robots.txt`` that keeps crawlers out when publishing.

Plugin config ``portal-archive-robots`` ``{"block": true}`` (set by ``portal-archive serve
--publish --block-robots``) answers ``User-agent: *`` / ``Disallow: /``; without it the path is
a 404 as in stock Datasette.
"""

from __future__ import annotations

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response

BLOCK_ALL = "User-agent: *\nDisallow: /\n"


async def robots_txt(datasette):
    config = datasette.plugin_config("portal-archive-robots") or {}
    if not config.get("block"):
        raise NotFound("robots.txt")
    return Response.text(BLOCK_ALL)


@hookimpl
def register_routes():
    return [(r"^/robots\.txt$", robots_txt)]
