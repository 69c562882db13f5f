"""Scrapy settings of portal-archive.

Our own settings carry a prefix and an ``_ENABLED`` flag, Scrapy style:

- ``WARC_ENABLED``, ``WARC_DIR`` (default ``<ARCHIVE_OUT_DIR>/warc``), ``WARC_MAX_SIZE``,
  ``WARC_OPERATOR``: the WARC capture middleware.
- ``ARCHIVE_DB_ENABLED``, ``ARCHIVE_DB_PATH`` (default ``<ARCHIVE_OUT_DIR>/archive.db``),
  ``ARCHIVE_DB_BATCH``, ``ARCHIVE_DB_FLUSH_INTERVAL`` (seconds a queued row waits at most, also
  in a quiet stretch of the crawl): the SQLite pipeline.
- ``ARCHIVE_OUT_DIR``: the output directory (``data/``).
- ``PROGRESS_ENABLED`` (``None``: only when stderr is a terminal), ``PROGRESS_INTERVAL``.
- ``INCREMENTAL_OVERLAP_PAGES``, ``INCREMENTAL_REVISIT_DAYS``, ``INCREMENTAL_REVISIT_SAMPLE``,
  ``INCREMENTAL_CONDITIONAL``: incremental crawls (``crawler/incremental.py``).
- ``CRAWL_DELAY_ENABLED``, ``CRAWL_DELAY_MAX``: robots.txt ``Crawl-delay`` and the registry's
  per-portal ``concurrency``/``delay``; ``RETRY_AFTER_ENABLED``, ``RETRY_AFTER_MAX``,
  ``RETRY_AFTER_DEFAULT``: ``Retry-After`` on 429/503 (``crawler/middlewares/``);
  ``FAILURE_KINDS_ENABLED``: download failures sorted into DNS, TLS, timeout, refused, other.
- ``NOTHING_ARCHIVED_ENABLED``: a crawl that archived no response fails (``nothing_archived``);
  ``QUIET_NETWORK_ERRORS_ENABLED``: network failures are logged without tracebacks.
- ``CRAWL_WINDOW_ENABLED``, ``CRAWL_WINDOW``, ``CRAWL_WINDOW_TIMEZONE``,
  ``CRAWL_WINDOW_CHECK_INTERVAL``, ``CRAWL_WINDOW_CLOCK_START``: a crawl stops when its
  portal's time window closes (``window_closed``).
- ``CRAWL_SHARD``: this process is one worker of ``crawl --workers N`` (``crawler/sharding.py``);
  ``CRAWL_SWEEP``, ``CRAWL_SWEEP_RUN``: the crawl after them (``crawler/sweep.py``).
- ``FAILURE_LOG_ENABLED``: one ``fetch_failures`` row per failed request;
  ``TRUNCATE_ENABLED``: a body past ``DOWNLOAD_MAXSIZE`` or cut by the connection is archived
  as truncated (``WARC-Truncated``), not dropped (``crawler/middlewares/truncation.py``);
  ``PRIVATE_HOSTS_ENABLED``, ``PRIVATE_HOSTS_ALLOWED``: no request to a host that resolves
  into a private network but the portal's own (``crawler/middlewares/private_hosts.py``);
  ``TRAPS_ENABLED``, ``TRAPS_MAX_PAGE``, ``TRAPS_YEARS_AHEAD``: traps (``crawler/traps.py``).
- ``REQUISITES_ENABLED``, ``REQUISITES_TYPES``, ``REQUISITES_MAX_SIZE``,
  ``REQUISITES_DOCUMENT_EXTENSIONS``, ``REQUISITES_PRIORITY``: each article's images,
  stylesheets, scripts and linked documents (``crawler/middlewares/requisites.py``).
- ``LOG_LEVEL_EARLY_ENABLED``, ``GC_TUNING_ENABLED``, ``GC_TUNING_THRESHOLD``: CPU spent on
  dropped log records and on the garbage collector (``crawler/extensions/``).

Politeness is on by default: robots.txt obeyed, AutoThrottle, at most 2 concurrent requests
per host, and a User-Agent that names the project and a contact URL.
"""

from archive.writer import DEFAULT_MAX_SIZE

BOT_NAME = "portal-archive"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

VERSION = "0.1.0"
USER_AGENT = (
    f"portal-archive/{VERSION} (archival crawler of public government portals; "
    "+https://github.com/portal-archive/portal-archive)"
)

# Politeness
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
# Scrapy starts this many asyncio tasks for every response's output (items and requests);
# our pipeline is synchronous, so 100 (the default) bought nothing and cost ~15% of the
# crawl's CPU (make bench).
CONCURRENT_ITEMS = 4
# Scrapy re-parses the callback's source on every response to warn about a generator that
# returns a value (its cache is keyed by short-lived bound methods): ~2% of the CPU.
WARN_ON_GENERATOR_RETURN_VALUE = False
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 60
RETRY_TIMES = 2

# Archival crawls go breadth-first so the newest listings and articles come first.
DEPTH_PRIORITY = 1
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

# Responses with error statuses still reach the spider's errback path only through our
# middleware: the WARC capture sits at 950, nearer the downloader than decompression (590),
# redirects (600) and retries (550), so it sees every response with its wire bytes.
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.warc_capture.WarcCaptureMiddleware": 950,
    # Between decompression (590) and retries (550): robots.txt bodies arrive decoded, and a
    # 429/503 holds the host before RetryMiddleware sends the retry.
    "crawler.middlewares.crawl_delay.CrawlDelayMiddleware": 580,
    "crawler.middlewares.retry_after.RetryAfterMiddleware": 560,
    "crawler.middlewares.failure_kinds.FailureKindsMiddleware": 570,  # DNS/TLS/... per run
    # fetch_failures rows: below retries (550) so only final failures count; the redirect
    # half sits above RedirectMiddleware (600), which drops a loop past everything below it.
    "crawler.middlewares.failure_log.FailureLogMiddleware": 540,
    "crawler.middlewares.failure_log.RedirectLogMiddleware": 610,
    # Right after the capture: a body cut short (too large, connection lost) is archived as
    # truncated, then dropped before decompression would choke on it.
    "crawler.middlewares.truncation.TruncationMiddleware": 900,
    # Scrapy's meta refresh, without decoding every page that cannot hold the tag.
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.meta_refresh.QuickMetaRefreshMiddleware": 580,
    # Scrapy's decompression, with an undecodable body recorded (decode_error), not raised.
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.middlewares.decode_errors.DecodeErrorsMiddleware": 590,
    # Before robots.txt (100): no request at all to a host in a private network.
    "crawler.middlewares.private_hosts.PrivateHostsMiddleware": 60,
    # allowed_hosts match exactly (and www.), not every subdomain as Scrapy's filter does.
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "crawler.middlewares.offsite.PortalOffsiteMiddleware": 50,
}
SPIDER_MIDDLEWARES = {
    # Above RefererMiddleware (700), so requisite requests carry the article as Referer, and
    # below DepthMiddleware (900), so they do not count as a level deeper.
    "crawler.middlewares.requisites.RequisitesMiddleware": 750,
}
ITEM_PIPELINES = {
    "crawler.pipelines.sqlite_store.SQLiteStorePipeline": 300,
}
EXTENSIONS = {
    "crawler.extensions.progress.Progress": 500,
    "crawler.extensions.nothing_archived.NothingArchived": 510,
    "crawler.extensions.quiet_network_errors.QuietNetworkErrors": 520,
    "crawler.extensions.crawl_window.CrawlWindow": 530,
    "crawler.extensions.log_level.EarlyLogLevel": 540,
    "crawler.extensions.gc_tuning.GcTuning": 550,
}
# Scrapy 2.19's base extensions (scrapy.settings.default_settings, copied: importing it would
# import Scrapy into the light parent of crawl --workers) without the Telnet console and
# RemoteControl, Scrapy's remote-code HTTP server (aiohttp) with a job file in the user's
# profile (left behind by every killed crawl): unattended crawls need neither. Dropped here,
# not set to None in EXTENSIONS, because Scrapy imports every listed component, disabled or
# not, to read the list: RemoteControl's aiohttp alone is ~80 ms of every crawl process's
# start-up CPU (python -X importtime), which adds up over hundreds of Scrapyd jobs.
# Scrapy's in-memory stats, without the deprecation shim on every attribute lookup
# (crawler/stats.py: ~2% of a crawl's CPU).
STATS_CLASS = "crawler.stats.LeanStatsCollector"
EXTENSIONS_BASE = {
    "scrapy.extensions.corestats.CoreStats": 0,
    "scrapy.extensions.logcount.LogCount": 0,
    "scrapy.extensions.memusage.MemoryUsage": 0,
    "scrapy.extensions.memdebug.MemoryDebugger": 0,
    "scrapy.extensions.closespider.CloseSpider": 0,
    "scrapy.extensions.feedexport.FeedExporter": 0,
    "scrapy.extensions.logstats.LogStats": 0,
    "scrapy.extensions.spiderstate.SpiderState": 0,
    "scrapy.extensions.throttle.AutoThrottle": 0,
}

ARCHIVE_OUT_DIR = "data"
WARC_ENABLED = True
WARC_DIR = None
WARC_MAX_SIZE = DEFAULT_MAX_SIZE
WARC_OPERATOR = ""
ARCHIVE_DB_ENABLED = True
ARCHIVE_DB_PATH = None
ARCHIVE_DB_BATCH = 200
ARCHIVE_DB_FLUSH_INTERVAL = 1.0
PROGRESS_ENABLED = None
PROGRESS_INTERVAL = 1.0
# Incremental crawls (crawl --mode incremental): see crawler/incremental.py.
INCREMENTAL_OVERLAP_PAGES = 1
INCREMENTAL_REVISIT_DAYS = 60
INCREMENTAL_REVISIT_SAMPLE = 10
INCREMENTAL_CONDITIONAL = True
CRAWL_DELAY_ENABLED = True
CRAWL_DELAY_MAX = 60.0
RETRY_AFTER_ENABLED = True
RETRY_AFTER_MAX = 120.0
RETRY_AFTER_DEFAULT = 0.0
FAILURE_KINDS_ENABLED = True
FAILURE_LOG_ENABLED = True  # fetch_failures rows (crawler/middlewares/failure_log.py)
TRUNCATE_ENABLED = True  # archive cut bodies as truncated (crawler/middlewares/truncation.py)
PRIVATE_HOSTS_ENABLED = True  # refuse private/loopback addresses (middlewares/private_hosts.py)
PRIVATE_HOSTS_ALLOWED: list[str] = []  # host names, addresses or networks allowed anyway
NOTHING_ARCHIVED_ENABLED = True  # a crawl that archived nothing fails (nothing_archived)
QUIET_NETWORK_ERRORS_ENABLED = True  # network failures logged in one line, no traceback
# A portal's registry window ends its crawls (crawler/extensions/crawl_window.py).
CRAWL_WINDOW_ENABLED = True
CRAWL_WINDOW = None  # "22:00-05:00"; default: the portal's registry window
CRAWL_WINDOW_TIMEZONE = None  # default: the portal's registry timezone
CRAWL_WINDOW_CHECK_INTERVAL = 30.0
CRAWL_WINDOW_CLOCK_START = None  # tests: an ISO time the crawl's clock starts at
# Request fingerprints on disk, not in a set that grows with the portal (crawler/seen.py).
DUPEFILTER_CLASS = "crawler.dupefilter.DiskDupeFilter"
CRAWL_SHARD = ""  # "I/N": worker I of a crawl split over N processes (crawler/sharding.py)
# After the workers: the file of articles they left to each other, and the run's crawl ids
# (crawler/sweep.py; set by crawl --workers, not by hand).
CRAWL_SWEEP = ""
CRAWL_SWEEP_RUN = ""
TRAPS_ENABLED = True  # session ids, endless calendars/pagination (crawler/traps.py)
TRAPS_MAX_PAGE = 5000  # ?page=/?Page= beyond this is a trap (a QNP category of 20,000
# articles already has 2,000 pages of 10: 500 cut real listings of big portals)
TRAPS_YEARS_AHEAD = 1  # calendar years beyond next year are a trap
# Page requisites and attachments of articles (crawler/middlewares/requisites.py).
REQUISITES_ENABLED = True
REQUISITES_TYPES = ["image", "stylesheet", "script", "document"]
REQUISITES_MAX_SIZE = 50_000_000  # bytes; larger ones are not fetched (a skipped row says so)
REQUISITES_DOCUMENT_EXTENSIONS = ["pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt",
                                  "ods", "rtf", "zip", "rar", "7z"]
REQUISITES_PRIORITY = 20  # above articles (10) and navigation (0): fetched soon after their
# article, so the frontier never holds every requisite of the site until the end

LOG_LEVEL = "INFO"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
