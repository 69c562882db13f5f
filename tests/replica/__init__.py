"""Offline replica of a Quảng Ninh district portal (QNP family, SharePoint), for tests and demos.

It stands for binhlieu.quangninh.gov.vn: heavy SharePoint chrome (~60 KB, `__VIEWSTATE`, mega
menu, sidebar widgets, volatile visit counters), category listings with GET and postback pagers,
article pages in the markup the extractor expects, twin URLs, robots.txt, and the traps of
FAMILIES.md (NFD text, entities, entity + combining mark, missing authors, a page with no title,
a 404 and a 301 from listings). Everything derives from (articles, seed, portal, chrome_kb).

    from tests.replica import ReplicaSite, serve_in_thread
    site = ReplicaSite(articles=240, seed=1)
    server, base_url = serve_in_thread(site)      # http://127.0.0.1:<port>/
    ...
    server.shutdown(); server.server_close()

Command line: `python -m tests.replica --port 0 --articles 240` (see `--help`).
"""

from .model import FOUNDING_NID, MISSING_NID, MOVED_NID, NO_TITLE_NID, Article
from .server import ReplicaServer, make_server, serve_in_thread
from .site import ReplicaSite, Response

__all__ = ["FOUNDING_NID", "MISSING_NID", "MOVED_NID", "NO_TITLE_NID", "Article", "ReplicaServer",
           "ReplicaSite", "Response", "make_server", "serve_in_thread"]
