"""Crawling on several machines: Scrapyd nodes as the executor (``scrapyd``), the project's
egg for them (``deploy``), and gathering the nodes' outputs into one archive (``collect``)."""
